"""Words for every code the pages show: one vocabulary per kind of code, in one module.

Codes stay codes in the database, the audit trail and machine files (JSON, CSV columns of
codes); people read these words. Each label is a lazy message whose id is the Chinese text
(app/translations/en holds the English). Templates use the filters registered in
``app.register_template_helpers`` (``{{ plan.phase|phase_label }}``); Python code uses
``label(kind, code)``, the helpers below, or the mappings for form choices. An unknown code
reads as itself, never an error.
"""

from collections.abc import Iterable, Mapping
from decimal import Decimal
from fractions import Fraction

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.rules.money import format_fen

# --- Plans: phases, categories, rules, policies -----------------------------------------------

PHASE_LABELS = {
    "proposals": _l("征集意见（一上）"),
    "drafting": _l("公布草案（一下）"),
    "voting": _l("表决（二上）"),
    "published": _l("公布结果（二下）"),
    "works": _l("施工"),
    "acceptance": _l("竣工验收"),
    "evaluation": _l("满意度评价"),
    "closed": _l("已归档"),
}
NO_PLAN_LABEL = _l("未建方案")
# The button that moves a plan into the phase ("进入下一阶段：开始表决").
PHASE_STEP_LABELS = {
    "drafting": _l("公布草案"),
    "voting": _l("开始表决"),
    "works": _l("开始施工"),
    "acceptance": _l("开始竣工验收"),
    "evaluation": _l("开始满意度评价"),
    "closed": _l("结束并归档"),
}
# What to add to a phase in the district overview (voting not open yet, results shown, ...).
STAGE_NOTE_LABELS = {
    "voting_not_open": _l("未到投票日"),
    "voting_over": _l("投票已截止，待公布"),
    "preliminary": _l("公示期"),
    "final": _l("最终结果"),
}

CATEGORY_LABELS = {
    "basic": _l("基础类"),
    "improvement": _l("完善类"),
    "enhancement": _l("提升类"),
}
# The voting rule as the plan form offers it ...
RULE_LABELS = {
    "cc278_major": _l("重大事项：双四分之三（民法典第二百七十八条）"),
    "cc278_ordinary": _l("一般事项：双过半（民法典第二百七十八条）"),
    "custom": _l("自定义规则"),
}
# ... and as results and exports name it.
RULE_NAMES = {
    "cc278_major": _l("《民法典》第二百七十八条 重大事项（双四分之三）"),
    "cc278_ordinary": _l("《民法典》第二百七十八条 一般事项（双过半）"),
    "custom": _l("方案约定的规则"),
}
CONFLICT_POLICY_LABELS = {
    "paper_prevails": _l("纸质票优先（默认）"),
    "online_prevails": _l("网上投票优先"),
    "latest_prevails": _l("以最后一次为准"),
}
NON_VOTER_POLICY_LABELS = {
    "none": _l("未表决的不计入（默认）"),
    "follow_majority": _l("已送达未表决的，视为同意多数意见（须议事规则明确规定）"),
}

# --- Voting: choices, channels, which ballot counts, ballot states ------------------------------

CHOICE_LABELS = {"agree": _l("同意"), "oppose": _l("反对"), "abstain": _l("弃权")}
BLANK_CHOICE_LABEL = _l("未填")
# The rows of a result table: the three choices, then the totals.
MEASURE_LABELS = {**CHOICE_LABELS, "participating": _l("参与合计"), "electorate": _l("表决范围")}

CHANNEL_LABELS = {"online": _l("网上"), "paper": _l("纸质"), "assisted": _l("上门代填")}
# How a ballot was cast, as a receipt check tells a resident.
CHANNEL_BALLOT_LABELS = {
    "online": _l("网上投票"),
    "paper": _l("纸质票"),
    "assisted": _l("上门代填"),
}
# Why a household's effective ballot is the one it is (app.rules.precedence REASONS).
REASON_LABELS = {
    "no_ballot": _l("没有表决票"),
    "online_only": _l("只有网上票"),
    "paper_only": _l("只有纸质或代填票"),
    "paper_prevails": _l("纸质票优先"),
    "online_prevails": _l("网上票优先"),
    "latest_prevails": _l("以最后一次为准"),
}
BALLOT_STATUS_LABELS = {
    "counted": _l("有效"),
    "counted_conflict": _l("有效 · 冲突待处理"),
    "conflict": _l("冲突待处理 · 未计入"),
    "superseded": _l("已被取代"),
}
BALLOT_STATUS_FILTER_LABELS = {
    "": _l("全部"),
    "counted": _l("只看有效票"),
    "conflict": _l("冲突待处理"),
    "superseded": _l("已被取代"),
}

# --- Results: the checks of a rule and the fractions they name ---------------------------------

CHECK_LABELS = {
    "electorate_nonempty": _l("表决范围内有住户"),
    "participants_present": _l("有住户参与表决"),
    "quorum_headcount": _l("参与表决的人数"),
    "quorum_area": _l("参与表决的面积"),
    "approval_headcount": _l("同意的人数"),
    "approval_area": _l("同意的面积"),
}
THRESHOLD_LABELS = {
    Fraction(2, 3): _l("三分之二"),
    Fraction(1, 2): _l("半数"),
    Fraction(3, 4): _l("四分之三"),
    Fraction(1): _l("全部"),
}

# --- Proposals ---------------------------------------------------------------------------------

PROPOSAL_STATUS_LABELS = {
    "open": _l("征集中"),
    "accepted": _l("已采纳"),
    "declined": _l("未采纳"),
    "merged": _l("已合并"),
}
PROPOSAL_SOURCE_LABELS = {
    "resident": _l("居民提议"),
    "door_to_door": _l("入户走访"),
    "survey": _l("问卷调查"),
}

# --- Co-funding: funding sources, share methods, payment methods --------------------------------

FUNDING_SOURCE_LABELS = {
    "government": _l("政府补助（含以奖代补）"),
    "utility": _l("管线单位出资"),
    "maintenance_fund": _l("住宅专项维修资金"),
    "public_income": _l("小区公共收益"),
    "other": _l("其他来源"),
}
RESIDENTS_LABEL = _l("居民出资")

SHARE_METHOD_LABELS = {
    "equal": _l("每户平均分摊"),
    "area": _l("按房屋面积分摊"),
    "floor": _l("按楼层系数 × 面积分摊"),
    "floor_flat": _l("按楼层系数分摊（与面积无关）"),
    "custom": _l("按每户约定金额分摊"),
}

PAYMENT_METHOD_LABELS = {
    "cash": _l("现金"),
    "bank": _l("银行转账"),
    "wechat": _l("微信"),
    "alipay": _l("支付宝"),
    "other": _l("其他"),
}

# A payment entry: a payment, the entry reversing one, the entry replacing a reversed one.
PAYMENT_ENTRY_LABELS = {
    "payment": _l("缴费"),
    "reversal": _l("冲正"),
    "replacement": _l("更正后重新登记"),
}

# --- Paper ballots, printing, deliveries --------------------------------------------------------

DELIVERY_METHOD_LABELS = {
    "in_person": _l("当面送达"),
    "mailbox": _l("投入信箱"),
    "family": _l("家人代收"),
}
# The columns of the paper ballot register.
PAPER_COUNT_LABELS = {
    "households": _l("户数"),
    "issued": _l("已打印"),
    "delivered": _l("已送达"),
    "returned": _l("已交回"),
    "entered": _l("已录入"),
    "confirmed": _l("已确认计入"),
    "invalid": _l("无效票"),
    "awaiting": _l("待第二次录入"),
    "in_review": _l("待核对"),
}
PRINT_KIND_LABELS = {
    "letters": _l("登录信"),
    "ballots": _l("表决票"),
    "archive": _l("档案"),
    "export": _l("导出"),
}
PRINT_KIND_TITLES = {
    "letters": _l("住户登录信"),
    "ballots": _l("纸质表决票"),
    "archive": _l("方案档案（ZIP）"),
    "export": _l("导出文件"),
}
# What a household letter printed now says (its text follows the plan's phase).
LETTER_CONTENT_LABELS = {
    "proposals": _l(
        "现在是征集意见阶段：信上讲怎么提改造建议、支持邻居的建议，以及征集截止日期，不讲表决。"
    ),
    "drafting": _l("现在是公布草案阶段：信上讲怎么查看草案和您家的分摊费用，以及表决时间。"),
    "voting": _l("现在是表决阶段：信上讲怎么表决，以及表决截止日期。"),
    "published": _l("信上只讲怎么查看方案、结果和您家的出资情况。"),
    "works": _l("现在是施工阶段：信上讲怎么查看施工进度、反映问题，以及您家的出资情况。"),
    "acceptance": _l("现在是竣工验收阶段：信上讲怎么查看施工和验收情况、反映问题。"),
    "evaluation": _l("现在是满意度评价阶段：信上讲怎么给改造打分，以及评价截止日期。"),
    "closed": _l("信上只讲怎么查看方案、结果和您家的出资情况。"),
}
JOB_STATUS_LABELS = {
    "queued": _l("排队中"),
    "running": _l("正在生成"),
    "done": _l("已完成"),
    "failed": _l("失败"),
}
NOTICE_KIND_LABELS = {
    "preliminary": _l("初步结果公示"),
    "final": _l("最终结果公告"),
    "sheet": _l("计票表（计票人、监票人签名）"),
}
ARCHIVE_VIA_LABELS = {"cli": _l("命令行"), "web": _l("网页下载"), "queue": _l("后台任务")}

# --- People, households, codes -----------------------------------------------------------------

ROLE_LABELS = {
    "admin": _l("系统管理员"),
    "district": _l("区/市住建部门"),
    "worker": _l("社区工作者"),
    "committee": _l("居委会/业委会"),
}
# Sign-in codes: the households list's filter and a household's state.
CODE_FILTER_LABELS = {"": _l("全部"), "issued": _l("已发"), "missing": _l("未发")}
# Roster fields as the user reads them in messages and the re-import preview (household
# attributes owner_name and owner_key are the roster's owner and owner_id).
ROSTER_FIELD_LABELS = {
    "building": _l("楼栋"),
    "unit": _l("单元"),
    "room": _l("房号"),
    "floor": _l("楼层"),
    "area": _l("面积"),
    "owner": _l("业主"),
    "owner_id": _l("证件号"),
    "phone": _l("电话"),
}
ROSTER_FIELD_LABELS.update(
    owner_name=ROSTER_FIELD_LABELS["owner"], owner_key=ROSTER_FIELD_LABELS["owner_id"]
)

# --- The frozen electorate (design §3c) -------------------------------------------------------

CORRECTION_KIND_LABELS = {
    "area": _l("面积有误"),
    "owner": _l("业主归属有误（同一业主的多户）"),
    "add": _l("漏登的住户：补入表决范围"),
    "remove": _l("不应在表决范围内：移出"),
}

# --- The audit trail: actions and actors --------------------------------------------------------

AUDIT_ACTION_LABELS = {
    "community.create": _l("新建小区"),
    "audit.rows": _l("记录数据变更"),
    "audit.baseline": _l("登记已有数据（升级后）"),
    "roster.upload": _l("上传花名册"),
    "roster.import": _l("导入花名册"),
    "codes.issue": _l("发放登录码"),
    "codes.rotate": _l("补发登录码"),
    "household.signin": _l("住户登录"),
    "user.create": _l("新建账号"),
    "user.update": _l("修改账号"),
    "user.password_reset": _l("重置账号密码"),
    "user.disable": _l("停用账号"),
    "user.enable": _l("启用账号"),
    "plan.create": _l("新建方案"),
    "plan.import": _l("上传方案文件"),
    "plan.update": _l("修改方案"),
    "plan.phase": _l("进入新阶段"),
    "plan.close_voting": _l("暂停表决"),
    "plan.reopen_voting": _l("恢复表决"),
    "plan.end_voting": _l("结束表决"),
    "item.create": _l("添加项目"),
    "item.update": _l("修改项目"),
    "item.revise": _l("表决期间修改项目"),
    "item.delete": _l("删除项目"),
    "proposal.create": _l("提交提议"),
    "proposal.edit": _l("修改提议"),
    "proposal.withdraw": _l("撤回提议"),
    "proposal.support": _l("附议提议"),
    "proposal.withdraw_support": _l("撤回附议"),
    "proposal.merge": _l("合并提议"),
    "proposal.accept": _l("采纳提议"),
    "proposal.decline": _l("不采纳提议"),
    "proposal.reopen": _l("提议恢复为征集中"),
    "proposal.unmerge": _l("撤销合并提议"),
    "proposal.undecline": _l("撤销不采纳"),
    "funding.update": _l("修改资金安排"),
    "funding.custom_upload": _l("上传每户约定金额"),
    "funding.fix_shares": _l("确定每户分摊金额"),
    "option.create": _l("添加比选方案"),
    "option.update": _l("修改比选方案"),
    "option.delete": _l("删除比选方案"),
    "option.move": _l("调整比选方案顺序"),
    "item.option_rule": _l("设置方案比选规则"),
    "electorate.snapshot": _l("固定表决范围"),
    "electorate.correct": _l("更正表决范围"),
    "electorate.snapshot_copy": _l("沿用原方案的表决范围（决选）"),
    "plan.runoff_open": _l("发起决选"),
    "payment.record": _l("登记缴费"),
    "optin.signup": _l("户内自选报名"),
    "payment.correct": _l("更正缴费"),
    "ballots.print": _l("打印纸质表决票"),
    "print.queue": _l("提交打印任务"),
    "print.done": _l("打印文件已生成"),
    "print.failed": _l("打印文件生成失败"),
    "print.purge": _l("删除过期打印文件"),
    "ballot.delivery": _l("登记送达"),
    "ballot.online": _l("网上表决"),
    "ballot.paper": _l("纸质票计入"),
    "ballot.assisted": _l("上门代填表决"),
    "paper.enter": _l("录入纸质票"),
    "paper.resolve": _l("核对纸质票"),
    "paper.invalid": _l("纸质票记为无效"),
    "result.publish_preliminary": _l("公示初步结果"),
    "result.publish_final": _l("公告最终结果"),
    "objection.record": _l("登记异议"),
    "objection.resolve": _l("处理异议"),
    "export": _l("导出数据"),
    "archive": _l("生成档案"),
    "archive.queue": _l("提交生成档案任务"),
    "archive.failed": _l("档案生成失败"),
    "export.queue": _l("提交导出任务"),
    "export.failed": _l("导出失败"),
    "acceptance.member_add": _l("加入验收小组"),
    "acceptance.member_remove": _l("移出验收小组"),
    "acceptance.check": _l("记录验收结果"),
    "acceptance.defect": _l("记录验收问题"),
    "acceptance.rectify": _l("记录问题整改"),
    "acceptance.notice_print": _l("打印竣工验收公示"),
    "evaluation.open": _l("开始满意度评价"),
    "evaluation.close": _l("结束满意度评价"),
    "evaluation.respond": _l("满意度评价"),
    "evaluation.key": _l("录入纸质评价表"),
    "evaluation.resolve": _l("核对纸质评价表"),
    "evaluation.forms_print": _l("打印满意度评价表"),
    "change.draft": _l("起草设计变更"),
    "change.approve": _l("批准设计变更"),
    "change.reject": _l("驳回设计变更"),
    "change.settle_revision": _l("按修订表决结果处理设计变更"),
    "plan.create_revision": _l("建立修订表决"),
    "final.enter": _l("录入决算"),
    "final.confirm": _l("确认决算"),
    "works.create": _l("建立施工记录"),
    "works.update": _l("修改施工信息"),
    "works.log": _l("添加施工日志"),
    "works.inspection": _l("监督员巡查"),
    "supervisor.volunteer": _l("报名居民监督员"),
    "supervisor.nominate": _l("推荐居民监督员"),
    "supervisor.appoint": _l("任命居民监督员"),
    "issue.report": _l("居民反映问题"),
    "issue.assign": _l("交办问题整改"),
    "issue.rectify": _l("登记整改完成"),
    "issue.close": _l("复查通过办结"),
    "issue.reopen": _l("复查未通过"),
}
# After the works: acceptance (竣工验收) and the residents' evaluation (满意度评价).
ASPECT_LABELS = {
    "content": _l("改造内容"),
    "process": _l("施工过程"),
    "management": _l("长效管理"),
}
# How an item with options (方案比选) picks one (docs/counting.md).
OPTION_RULE_LABELS = {
    "plurality": _l("人数和面积都领先"),
    "threshold": _l("各方案单独达到门槛"),
}
# What each aspect asks about, under its question on the evaluation form.
ASPECT_HINT_LABELS = {
    "content": _l("改造的项目、用料和做工"),
    "process": _l("施工期间的安全、文明施工和沟通"),
    "management": _l("改造后的维护、保洁和长期管理"),
}
ACCEPTANCE_RESULT_LABELS = {
    "passed": _l("通过"),
    "conditional": _l("有条件通过"),
    "failed": _l("不通过"),
    "pending": _l("待验收"),
}
EVALUATION_CHANNEL_LABELS = {"phone": _l("手机"), "door": _l("上门"), "paper": _l("纸质表")}
DEFECT_STATUS_LABELS = {"open": _l("待整改"), "rectified": _l("已整改")}
SCORE_LABELS = {
    1: _l("很不满意"),
    2: _l("不满意"),
    3: _l("一般"),
    4: _l("满意"),
    5: _l("很满意"),
}
# Change orders (设计变更) and final accounts (决算), app.settlement.
CHANGE_STATUS_LABELS = {
    "drafted": _l("待审批"),
    "pending_vote": _l("待修订表决"),
    "effective": _l("已生效"),
    "rejected": _l("已驳回"),
    "refused": _l("表决未通过，未生效"),
}
FINAL_STATUS_LABELS = {"entered": _l("已录入，待确认"), "confirmed": _l("已确认")}
# Actors that are not a person: the command line and the scheduled phase changes.
SYSTEM_ACTOR_LABELS = {"cli": _l("命令行"), "system:schedule": _l("系统（按日期）")}

# --- Lookup ------------------------------------------------------------------------------------

VOCABULARIES: dict[str, Mapping] = {
    "phase": PHASE_LABELS,
    "phase_step": PHASE_STEP_LABELS,
    "stage_note": STAGE_NOTE_LABELS,
    "category": CATEGORY_LABELS,
    "rule": RULE_LABELS,
    "rule_name": RULE_NAMES,
    "conflict_policy": CONFLICT_POLICY_LABELS,
    "non_voter_policy": NON_VOTER_POLICY_LABELS,
    "choice": CHOICE_LABELS,
    "measure": MEASURE_LABELS,
    "channel": CHANNEL_LABELS,
    "channel_ballot": CHANNEL_BALLOT_LABELS,
    "reason": REASON_LABELS,
    "ballot_status": BALLOT_STATUS_LABELS,
    "ballot_status_filter": BALLOT_STATUS_FILTER_LABELS,
    "check": CHECK_LABELS,
    "proposal_status": PROPOSAL_STATUS_LABELS,
    "proposal_source": PROPOSAL_SOURCE_LABELS,
    "funding_source": FUNDING_SOURCE_LABELS,
    "share_method": SHARE_METHOD_LABELS,
    "payment_method": PAYMENT_METHOD_LABELS,
    "payment_entry": PAYMENT_ENTRY_LABELS,
    "delivery_method": DELIVERY_METHOD_LABELS,
    "paper_count": PAPER_COUNT_LABELS,
    "print_kind": PRINT_KIND_LABELS,
    "print_title": PRINT_KIND_TITLES,
    "letter_content": LETTER_CONTENT_LABELS,
    "job_status": JOB_STATUS_LABELS,
    "notice_kind": NOTICE_KIND_LABELS,
    "archive_via": ARCHIVE_VIA_LABELS,
    "role": ROLE_LABELS,
    "change_status": CHANGE_STATUS_LABELS,
    "final_status": FINAL_STATUS_LABELS,
    "code_filter": CODE_FILTER_LABELS,
    "roster_field": ROSTER_FIELD_LABELS,
    "audit_action": AUDIT_ACTION_LABELS,
    "correction_kind": CORRECTION_KIND_LABELS,
    "aspect": ASPECT_LABELS,
    "option_rule": OPTION_RULE_LABELS,
    "aspect_hint": ASPECT_HINT_LABELS,
    "acceptance_result": ACCEPTANCE_RESULT_LABELS,
    "evaluation_channel": EVALUATION_CHANNEL_LABELS,
    "defect_status": DEFECT_STATUS_LABELS,
    "score": SCORE_LABELS,
}


def label(kind: str, code) -> str:
    """The words for `code` in the vocabulary `kind`, in the current language.

    An unknown code (an old audit action, a value from a newer version) reads as itself; None
    reads as "".
    """
    try:
        words = VOCABULARIES[kind].get(code)
    except TypeError:  # not a code at all (unhashable)
        words = None
    if words is not None:
        return str(words)
    return "" if code is None else str(code)


def form_choices(kind: str, codes: Iterable[str] | None = None) -> list[tuple[str, object]]:
    """(code, lazy label) pairs for a form's select: `codes` in order, else the whole vocabulary."""
    vocabulary = VOCABULARIES[kind]
    return [(code, vocabulary[code]) for code in (vocabulary if codes is None else codes)]


def settlement_words(fen: int) -> str:
    """A difference in the screen's language: "退 12.34 元", "补 5.00 元" or "无差额"."""
    if fen < 0:
        return _("退 %(a)s 元", a=format_fen(-fen))
    if fen > 0:
        return _("补 %(a)s 元", a=format_fen(fen))
    return _("无差额")


def choice_label(code: str | None) -> str:
    """同意 / 反对 / 弃权, and 未填 for a blank (None)."""
    return str(BLANK_CHOICE_LABEL) if code is None else label("choice", code)


def phase_label(code: str | None) -> str:
    """The phase in words; 未建方案 when there is no plan (None)."""
    return str(NO_PLAN_LABEL) if code is None else label("phase", code)


def audit_action_label(action: str) -> str:
    """An audit action in words ("ballot.online" → 网上表决); unknown ones as recorded."""
    return label("audit_action", action)


def actor_label(actor: str | None, names: Mapping[str, str] | None = None) -> str:
    """Who acted, in words: 工作人员 <name>, 住户 <address>, 命令行, 系统（按日期）.

    `names` maps actors to a staff user's display name or a household's address (see
    ``app.accounts.queries.actor_names``); without it, the username and the household's id.
    Anything else reads as recorded.
    """
    if not actor:
        return ""
    system = SYSTEM_ACTOR_LABELS.get(actor)
    if system is not None:
        return str(system)
    kind, _sep, rest = actor.partition(":")
    known = (names or {}).get(actor)
    if kind == "user" and rest:
        return _("工作人员 %(name)s", name=known or rest)
    if kind == "household" and rest:
        return _("住户 %(address)s", address=known or f"#{rest}")
    return actor


def coefficient_text(value: Decimal) -> str:
    """A coefficient as people write it: 1.20 → "1.2", 0 → "0", 1 → "1"."""
    text = format(Decimal(value).normalize(), "f")
    return text


def describe_method(method: str, table: dict[int, Decimal] | None) -> str:
    """The share method in one sentence, naming exempt floors ("…，1、2 层免缴")."""
    words = label("share_method", method)
    if method in ("floor", "floor_flat") and table:
        exempt = [str(f) for f, c in sorted(table.items()) if c == 0]
        if exempt:
            words = str(_l("%(method)s，%(floors)s 层免缴", method=words, floors="、".join(exempt)))
    return words
