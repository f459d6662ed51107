"""README.txt of an archive: what it is and how to check it, in Chinese and English.

Always both languages, whatever the page's language: the archive is a record kept for years
and may be read by an auditor who reads either.
"""

from datetime import datetime

from app.reports.archive.contents import iso

README = """\
CoPlan 小区改造方案档案（一小区一档案）
=====================================

小区：{community}
方案：{plan}（编号 {plan_id}）
生成时间（UTC）：{created_at}

这是什么
--------
本档案保存一个改造方案从征集意见到公布结果的全部记录，供日后审计、复核和查询：
住户名册快照、方案内容、每一张表决票及其修改历史、纸质票的录入与复核、计票结果、
公示与异议、公告和计票表（PDF）、各类导出表格，以及本小区的全部操作记录（哈希链）。

档案含业主姓名、电话和实名表决内容，请按保密资料保管，不得公开。档案中没有登录码、
登录码摘要和证件号摘要（“同一业主”一栏只用档案内的编号标出同一业主的多户）；住户登录信
含登录码，从不存入档案。

文件
----
README.txt               本说明
roster.csv               住户名册快照（编号即其他文件中的 household id）
electorate.json          表决范围：开始表决时固定的住户、面积、业主归属，及业委会的每次更正和原因
plan.json                方案：阶段日期、规则、项目、范围、资金、居民提议
ballots.json             每户的全部表决票（网上历次修改、纸质、上门代填）、有效票、冲突、送达记录
paper.json               纸质票票号（已发、作废、收回、无效）、每次录入、委员会复核
tally.json               计票结果（与结果页、flask tally --json 相同）
publication.json         结果公示、公告与异议处理
closeout/change-orders.json   设计变更：原因、造价与资金变化、审批、修订表决、每户变更前后的份额
closeout/final-accounts.json  决算：实际造价与资金来源、每户原定与决算份额及退补
notices/*.pdf            公示、公告、计票表（按生成时的数据重新绘制）
aftercare/*              竣工验收（小组、清单、结果、问题与整改、公示 PDF）与满意度评价
printing/print-jobs.json 打印记录；仍保存的表决票 PDF 在 printing/ 下
exports/*.csv, *.xlsx    与“导出”页面相同的表格
works/works.json         施工：各项目的施工信息、日志、监督员巡查、居民问题反映及办理经过
works/photos/*           施工日志和问题反映的照片；works.json 中记有每张照片的 SHA-256
audit.jsonl              本小区的全部操作记录，每行一条，含 prev_hash 和 hash
audit-verification.json  生成档案时对操作记录哈希链的核验结果
SHA256SUMS               除清单外每个文件的 SHA-256（sha256sum 格式）
manifest.json            清单：档案格式、小区、方案、生成时间和生成人，每个文件的路径、大小、SHA-256
manifest.sha256          manifest.json 的 SHA-256

如何核对
--------
1. 用 CoPlan 核对（推荐）：  flask archive verify 档案文件.zip
   全部相符时退出码为 0；否则逐条列出问题（缺文件、多文件、大小或内容不符、清单被改动、
   操作记录哈希链断裂），退出码为 1。也可在“一小区一档案”页面上传 ZIP 核对。
2. 手工核对（Linux / macOS）：解压后进入 {root} 目录，运行
       sha256sum -c manifest.sha256
       sha256sum -c SHA256SUMS
   两条命令的每一行都应显示 OK（macOS 可用 shasum -a 256 -c）。
3. 核对档案本身：整个 ZIP 文件的 SHA-256 在生成时已记入系统的操作记录（操作 archive），
   命令行生成时也会显示。两者一致，说明这份档案就是当时生成的那一份。

操作记录的哈希链是全系统统一的：本小区相邻两条记录之间可能夹着其他小区的记录，
核对时这类“间隔”只作说明，不算错误。

What this is (English)
----------------------
The archive of one renovation plan in CoPlan: the roster at archive time, the electorate as fixed
when voting opened with its recorded corrections (electorate.json), the plan, every ballot
with its history, the paper-ballot trail, the tally, publication and objections, the notices and
tally sheet as PDF, after the works the acceptance and the residents' evaluation (aftercare/), every
export, and the community's hash-chained audit trail. It holds owners'
names, phone numbers (in the roster export) and named ballots: keep it confidential. It never
holds sign-in codes, their hashes or owner ID hashes; household letters (which carry sign-in
codes) are never kept.

How to verify:
1. flask archive verify FILE.zip   (exit status 0 when intact; 1 with each problem listed)
   or upload the ZIP on the plan's archive page.
2. By hand: unzip, cd {root} and run
       sha256sum -c manifest.sha256 && sha256sum -c SHA256SUMS
3. The SHA-256 of the whole ZIP was recorded in the audit trail (action "archive") when it was
   made; a copy with the same SHA-256 is that archive, byte for byte.

The audit chain is global across communities: a gap between two of this community's events
means other communities' events lie in between; it is reported, not counted as a failure.
"""


def readme_text(community, plan, root: str, created_at: datetime) -> str:
    """The README of one archive."""
    return README.format(
        community=community.name,
        plan=plan.title,
        plan_id=plan.id,
        created_at=iso(created_at),
        root=root.rstrip("/"),
    )
