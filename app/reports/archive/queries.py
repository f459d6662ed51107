"""Reads for the archive page: archives made before (from the audit trail), and what an archive
of the plan would hold now, with record counts."""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.communities.models import ElectorateSnapshot, FrozenHousehold, Household
from app.core.audit import AuditEvent
from app.extensions import db
from app.paper.models import PaperEntry
from app.plans.models import Item, Plan
from app.printing.models import PRINT_KINDS, PrintJob
from app.printing.notice_data import NOTICE_KINDS, notice_problem
from app.reports.archive.build import NOTICE_FILES, ascii_name
from app.reports.archive.verify import AUDIT, MANIFEST, MANIFEST_SUM
from app.reports.archive.writer import SUMS
from app.reports.exports import EXPORTS
from app.tally.models import Objection
from app.voting.models import Ballot


def archive_history(community_id: int, plan_id: int | None = None, limit: int = 50) -> list:
    """Archives made before, newest first, from the audit trail: (event, its after data)."""
    query = select(AuditEvent).where(
        AuditEvent.community_id == community_id,
        AuditEvent.action == "archive",
        AuditEvent.record_type == "plan",
    )
    if plan_id is not None:
        query = query.where(AuditEvent.record_id == str(plan_id))
    events = db.session.scalars(query.order_by(AuditEvent.id.desc()).limit(limit)).all()
    return [(event, event.after_data or {}) for event in events]


def matching_archives(community_id: int, sha256: str) -> list:
    """The recorded archives of the community whose ZIP has exactly this SHA-256."""
    return [
        (event, data)
        for event, data in archive_history(community_id, limit=1000)
        if data.get("sha256") == sha256
    ]


@dataclass(frozen=True)
class OutlineEntry:
    """A file (or group of files) the archive will hold, and how many records it carries."""

    path: str
    label: str
    count: int | None = None


def archive_outline(plan: Plan) -> list[OutlineEntry]:
    """What an archive of the plan would hold now, with record counts (cheap count queries)."""

    def count(query) -> int:
        """A count query's answer."""
        return db.session.scalar(query) or 0

    def plan_rows(model) -> int:
        """How many rows of a plan-owned table belong to this plan."""
        return count(select(func.count(model.id)).where(model.plan_id == plan.id))

    cid = plan.community_id
    entries = [
        OutlineEntry("README.txt", _l("说明（中英文）：档案内容与核对方法")),
        OutlineEntry(
            "roster.csv",
            _l("住户名册快照（户）"),
            count(select(func.count(Household.id)).where(Household.community_id == cid)),
        ),
        OutlineEntry(
            "electorate.json",
            _l("表决范围：开始表决时固定的住户、面积、业主归属及其更正（户）"),
            count(
                select(func.count(FrozenHousehold.id))
                .join(ElectorateSnapshot, ElectorateSnapshot.id == FrozenHousehold.snapshot_id)
                .where(ElectorateSnapshot.plan_id == plan.id)
            ),
        ),
        OutlineEntry(
            "plan.json", _l("方案：阶段日期、规则、项目、范围、资金（项目数）"), plan_rows(Item)
        ),
        OutlineEntry(
            "ballots.json", _l("全部表决票及历次修改、有效票与冲突（张）"), plan_rows(Ballot)
        ),
        OutlineEntry(
            "paper.json",
            _l("纸质票：票号、每次录入、复核结果（录入次数）"),
            plan_rows(PaperEntry),
        ),
        OutlineEntry("tally.json", _l("计票结果（与结果页同一计票）")),
        OutlineEntry("publication.json", _l("结果公布与异议（异议条数）"), plan_rows(Objection)),
    ]
    for kind in NOTICE_KINDS:
        if notice_problem(plan, kind) is None:
            entries.append(OutlineEntry(NOTICE_FILES[kind], _l("公示、公告或计票表（PDF）")))
    entries.append(
        OutlineEntry(
            "printing/print-jobs.json",
            _l("打印记录（不含登录信）"),
            count(
                select(func.count(PrintJob.id)).where(
                    PrintJob.plan_id == plan.id, PrintJob.kind.in_(PRINT_KINDS)
                )
            ),
        )
    )
    for spec in EXPORTS.values():
        entries.append(OutlineEntry(f"exports/{ascii_name(spec.name)}.csv/.xlsx", spec.label))
    entries += [
        OutlineEntry(
            AUDIT,
            _l("本小区全部操作记录（条）"),
            count(select(func.count(AuditEvent.id)).where(AuditEvent.community_id == cid)),
        ),
        OutlineEntry("audit-verification.json", _l("操作记录哈希链核验结果")),
        OutlineEntry(f"{SUMS}, {MANIFEST}, {MANIFEST_SUM}", _l("清单：每个文件的大小和 SHA-256")),
    ]
    return entries


def archive_jobs(plan: Plan, limit: int = 10) -> list[PrintJob]:
    """The plan's recent archive jobs (built by the worker), newest first."""
    return db.session.scalars(
        select(PrintJob)
        .where(PrintJob.plan_id == plan.id, PrintJob.kind == "archive")
        .order_by(PrintJob.id.desc())
        .limit(limit)
    ).all()
