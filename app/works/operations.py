"""Writes of the works: validate, change, flush, append an audit event; never commit.

Every refusal is a DomainError in the user's words. Who may act in which phase comes from the
phase × role table (app.plans.phases): workers manage the works, the committee appoints
supervisors, workers and the committee handle issue reports, households report and volunteer.
"""

import hashlib
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.communities.models import Household
from app.core.audit import log_event
from app.core.db import utcnow
from app.core.errors import DomainError
from app.extensions import db
from app.plans.models import Plan
from app.plans.phases import WORKS, phase_allows
from app.plans.queries import local_today
from app.proposals.uploads import prepare_photos
from app.tally.queries import items_going_ahead
from app.works.models import (
    PHOTO_STAGES,
    SEVERITIES,
    WORKS_STATUSES,
    IssueReport,
    IssueStep,
    Works,
    WorksLogEntry,
    WorksPhoto,
    WorksSupervisor,
)
from app.works.rules import progress_for

TEXT_MAX = 2000
NAME_MAX = 200


def require_phase(plan: Plan, role: str, action: str) -> None:
    """Refuse unless `role` may take `action` in the plan's phase."""
    if not phase_allows(role, action, plan.phase):
        raise DomainError(_l("方案当前阶段不能进行这项操作。"))


def _clean(text: str | None, limit: int = TEXT_MAX) -> str:
    """Text as typed, trimmed; refused when longer than `limit`."""
    text = (text or "").strip()
    if len(text) > limit:
        raise DomainError(_l("文字太长了，请不超过 %(n)d 个字。", n=limit))
    return text


def _store_photos(photos, community_id: int, *, log_entry_id=None, issue_id=None) -> list[dict]:
    """Add the already prepared photos; their type, size and SHA-256 for the audit event."""
    stored = []
    for content_type, data in photos:
        digest = hashlib.sha256(data).hexdigest()
        db.session.add(
            WorksPhoto(
                community_id=community_id,
                log_entry_id=log_entry_id,
                issue_id=issue_id,
                content_type=content_type,
                size=len(data),
                sha256=digest,
                data=data,
            )
        )
        stored.append({"type": content_type, "size": len(data), "sha256": digest})
    db.session.flush()
    return stored


def _prepared(photos) -> list[tuple[str, bytes]]:
    """Photos checked and re-encoded (app.proposals.photos); any refusal raises them all."""
    problems: list = []
    prepared = prepare_photos(list(photos or ()), problems)
    if problems:
        raise DomainError(*problems)
    return prepared


# Works ------------------------------------------------------------------------------------


def create_works_for_plan(plan: Plan, user=None) -> list[Works]:
    """One works per passed item that has none yet (the plan entering `works`, or a worker)."""
    if user is not None:
        require_phase(plan, user.role, "manage_works")
    have = set(db.session.scalars(select(Works.item_id).where(Works.plan_id == plan.id)))
    created = []
    for item, option_id in items_going_ahead(plan):
        if item.id in have:
            continue
        works = Works(
            community_id=plan.community_id,
            plan_id=plan.id,
            item_id=item.id,
            option_id=option_id,  # the option the vote chose, for an item with options
            status="pending",
            progress=0,
            contract_fen=None,
        )
        db.session.add(works)
        created.append(works)
    db.session.flush()
    for works in created:
        log_event(
            "works.create",
            "works",
            works.id,
            community_id=plan.community_id,
            after={"plan_id": plan.id, "item_id": works.item_id, "option_id": works.option_id},
        )
    return created


def create_works_on_entering(plan: Plan, phase: str) -> None:
    """Phase hook (plans.workflow): entering `works` creates the passed items' works."""
    if phase == WORKS:
        create_works_for_plan(plan)


def update_works(works: Works, plan: Plan, user, **fields) -> Works:
    """A worker edits a works: contractor, supervisor (监理), contract amount, dates, status and
    progress. A status change without a typed progress sets the status's default progress, and
    goes into the log."""
    require_phase(plan, user.role, "manage_works")
    status = fields.get("status", works.status)
    if status not in WORKS_STATUSES:
        raise DomainError(_l("施工状态无效。"))
    for name in ("planned", "actual"):
        start, end = fields.get(f"{name}_start"), fields.get(f"{name}_end")
        if start and end and end < start:
            raise DomainError(_l("结束日期不能早于开始日期。"))
    if fields.get("contract_fen") is not None and fields["contract_fen"] < 0:
        raise DomainError(_l("合同金额不能为负数。"))
    before = works.audit_state()
    for name in ("contractor", "site_supervisor", "complaints_contact"):
        if name in fields:
            setattr(works, name, _clean(fields[name], NAME_MAX))
    for name in ("contract_fen", "planned_start", "planned_end", "actual_start", "actual_end"):
        if name in fields:
            setattr(works, name, fields[name])
    typed = fields.get("progress")
    if status != works.status or typed is not None:
        works.progress = progress_for(status, works.progress, typed)
    changed_status = status != works.status
    works.status = status
    works.updated_at = utcnow()
    db.session.flush()
    if changed_status:
        db.session.add(
            WorksLogEntry(
                community_id=works.community_id,
                works_id=works.id,
                entry_date=local_today(),
                kind="status",
                text=status,
                author=user.display_name or user.username,
                user_id=user.id,
            )
        )
        db.session.flush()
    after = works.audit_state()
    log_event(
        "works.update",
        "works",
        works.id,
        community_id=works.community_id,
        before={k: v for k, v in before.items() if after[k] != v},
        after={k: v for k, v in after.items() if before[k] != v},
    )
    return works


# What an acceptance result (竣工验收, app.aftercare) makes of the item's works.
ACCEPTANCE_STATUS = {"passed": "accepted", "conditional": "accepted", "failed": "rectifying"}


def record_acceptance(plan: Plan, item_id: int, result: str | None, author: str) -> Works | None:
    """The acceptance group decided an item: its works become 已验收 (passed, or passed with
    conditions whose defects are followed at acceptance) or 整改中 (failed), with a status entry
    in the log that residents read. Called by the acceptance's own operation, which checks the
    phase and the permission; None when the item has no works."""
    status = ACCEPTANCE_STATUS.get(result or "")
    works = db.session.scalar(
        select(Works).where(Works.plan_id == plan.id, Works.item_id == item_id).limit(1)
    )
    if works is None or status is None or works.status == status:
        return works
    before = {"status": works.status, "progress": works.progress}
    works.status = status
    works.progress = progress_for(status, works.progress, None)
    works.updated_at = utcnow()
    db.session.add(
        WorksLogEntry(
            community_id=works.community_id,
            works_id=works.id,
            entry_date=local_today(),
            kind="status",
            text=status,
            author=author,
        )
    )
    db.session.flush()
    log_event(
        "works.update",
        "works",
        works.id,
        community_id=works.community_id,
        before=before,
        after={"status": status, "progress": works.progress, "acceptance": result},
    )
    return works


def _add_entry(entry: WorksLogEntry, prepared) -> list[dict]:
    """Add a log entry with its (already checked) photos; returns the stored photos' facts for
    the caller's audit event."""
    db.session.add(entry)
    db.session.flush()
    return _store_photos(prepared, entry.community_id, log_entry_id=entry.id)


def add_log_entry(
    works: Works,
    plan: Plan,
    user,
    *,
    entry_date: date,
    text: str,
    stage: str | None = None,
    photos=(),
) -> WorksLogEntry:
    """A worker's dated log entry with up to three photos (before, during or after)."""
    require_phase(plan, user.role, "manage_works")
    text = _clean(text)
    if stage not in (None, *PHOTO_STAGES):
        raise DomainError(_l("照片阶段无效。"))
    prepared = _prepared(photos)
    if not text and not prepared:
        raise DomainError(_l("请写下施工情况或上传照片。"))
    if entry_date > local_today():
        raise DomainError(_l("日志日期不能晚于今天。"))
    entry = WorksLogEntry(
        community_id=works.community_id,
        works_id=works.id,
        entry_date=entry_date,
        kind="progress",
        stage=stage,
        text=text,
        author=user.display_name or user.username,
        user_id=user.id,
    )
    stored = _add_entry(entry, prepared)
    after = {"works_id": works.id, "date": entry_date, "stage": stage, "text": text}
    log_event(
        "works.log",
        "works_log_entry",
        entry.id,
        community_id=works.community_id,
        after={**after, "photos": stored},
    )
    return entry


# Resident supervisors ---------------------------------------------------------------------


def _supervisor(works: Works, household: Household) -> WorksSupervisor | None:
    """The household's supervisor row for this works, if any."""
    return db.session.scalar(
        select(WorksSupervisor).where(
            WorksSupervisor.works_id == works.id, WorksSupervisor.household_id == household.id
        )
    )


def _add_supervisor(works: Works, household: Household, status: str, note: str):
    """A supervisor row (volunteered or nominated) with its audit event."""
    row = WorksSupervisor(
        community_id=works.community_id,
        works_id=works.id,
        household_id=household.id,
        status=status,
        note=_clean(note),
    )
    db.session.add(row)
    db.session.flush()
    log_event(
        "supervisor.volunteer" if status == "volunteered" else "supervisor.nominate",
        "works_supervisor",
        row.id,
        community_id=works.community_id,
        after={"works_id": works.id, "household_id": household.id, "note": row.note},
    )
    return row


def volunteer(works: Works, plan: Plan, household: Household, note: str = "") -> WorksSupervisor:
    """A household offers to supervise the works (居民监督员 自荐); once is enough."""
    require_phase(plan, "household", "volunteer")
    if household.community_id != works.community_id:
        raise DomainError(_l("这户不属于本小区。"))
    existing = _supervisor(works, household)
    if existing is not None:
        return existing
    return _add_supervisor(works, household, "volunteered", note)


def nominate(works: Works, plan: Plan, user, household: Household, note: str = ""):
    """A worker nominates a household as supervisor (被推荐); the committee appoints."""
    require_phase(plan, user.role, "manage_works")
    if household.community_id != works.community_id:
        raise DomainError(_l("这户不属于本小区。"))
    if _supervisor(works, household) is not None:
        raise DomainError(_l("这户已在监督员名单中。"))
    return _add_supervisor(works, household, "nominated", note)


def appoint(supervisor: WorksSupervisor, plan: Plan, user) -> WorksSupervisor:
    """The committee appoints a volunteered or nominated household as the works' supervisor."""
    require_phase(plan, user.role, "appoint_supervisor")
    if supervisor.status == "appointed":
        raise DomainError(_l("这户已经是监督员了。"))
    before = supervisor.status
    supervisor.status = "appointed"
    supervisor.appointed_at = utcnow()
    supervisor.appointed_by_id = user.id
    db.session.flush()
    log_event(
        "supervisor.appoint",
        "works_supervisor",
        supervisor.id,
        community_id=supervisor.community_id,
        before={"status": before},
        after={
            "status": "appointed",
            "works_id": supervisor.works_id,
            "household_id": supervisor.household_id,
        },
    )
    return supervisor


def is_appointed(works: Works, household: Household) -> bool:
    """The household is an appointed supervisor of this works."""
    row = _supervisor(works, household)
    return row is not None and row.status == "appointed"


def log_inspection(
    works: Works,
    plan: Plan,
    household: Household,
    *,
    findings: str,
    severity: str,
    photos=(),
) -> WorksLogEntry:
    """An appointed supervisor's inspection (findings, severity, photos) goes into the log.

    Supervisors serve while the committee may appoint them (works and acceptance)."""
    if not phase_allows("committee", "appoint_supervisor", plan.phase):
        raise DomainError(_l("方案当前阶段不能进行这项操作。"))
    if not is_appointed(works, household):
        raise DomainError(_l("只有居委会任命的监督员才能登记巡查。"))
    findings = _clean(findings)
    if not findings:
        raise DomainError(_l("请写下巡查发现的情况。"))
    if severity not in SEVERITIES:
        raise DomainError(_l("请选择问题严重程度。"))
    prepared = _prepared(photos)
    entry = WorksLogEntry(
        community_id=works.community_id,
        works_id=works.id,
        entry_date=local_today(),
        kind="inspection",
        severity=severity,
        text=findings,
        author=str(_l("居民监督员 %(a)s", a=household.address_label)),
        household_id=household.id,
    )
    stored = _add_entry(entry, prepared)
    after = {"works_id": works.id, "household_id": household.id, "severity": severity}
    log_event(
        "works.inspection",
        "works_log_entry",
        entry.id,
        community_id=works.community_id,
        after={**after, "findings": findings, "photos": stored},
    )
    return entry


# Issue reports ----------------------------------------------------------------------------


def _step(issue: IssueReport, step: str, note: str, actor: str) -> None:
    """Record one step of the issue's handling."""
    db.session.add(
        IssueStep(
            community_id=issue.community_id, issue_id=issue.id, step=step, note=note, actor=actor
        )
    )
    db.session.flush()


def report_issue(
    plan: Plan,
    household: Household,
    *,
    works: Works | None,
    location: str,
    text: str,
    photos=(),
) -> IssueReport:
    """A household reports a problem (问题反映) with where it is and up to three photos."""
    require_phase(plan, "household", "report_issue")
    if household.community_id != plan.community_id:
        raise DomainError(_l("这户不属于本小区。"))
    if works is not None and works.plan_id != plan.id:
        raise DomainError(_l("这个项目不属于本方案。"))
    location, text = _clean(location, NAME_MAX), _clean(text)
    problems = []
    if not text:
        problems.append(_l("请写下发现了什么问题。"))
    if not location:
        problems.append(_l("请写下问题在哪里（几号楼、几单元、什么位置）。"))
    if problems:
        raise DomainError(*problems)
    prepared = _prepared(photos)
    issue = IssueReport(
        community_id=plan.community_id,
        plan_id=plan.id,
        works_id=works.id if works else None,
        household_id=household.id,
        location=location,
        text=text,
        status="reported",
    )
    db.session.add(issue)
    db.session.flush()
    stored = _store_photos(prepared, plan.community_id, issue_id=issue.id)
    _step(issue, "reported", "", household.address_label)
    log_event(
        "issue.report",
        "issue_report",
        issue.id,
        community_id=plan.community_id,
        after={
            "plan_id": plan.id,
            "works_id": issue.works_id,
            "household_id": household.id,
            "location": location,
            "text": text,
            "photos": stored,
        },
    )
    return issue


def _staff_name(user) -> str:
    """How a staff member is named in an issue's steps."""
    return user.display_name or user.username


def assign_issue(
    issue: IssueReport, plan: Plan, user, *, responsible: str, deadline: date, note: str = ""
) -> IssueReport:
    """Name who puts it right and by when (交办); also a re-assignment with a new deadline."""
    require_phase(plan, user.role, "handle_issues")
    if issue.status == "closed":
        raise DomainError(_l("这条问题已经办结。"))
    responsible = _clean(responsible, NAME_MAX)
    if not responsible:
        raise DomainError(_l("请填写整改责任方。"))
    if deadline is None or deadline < local_today():
        raise DomainError(_l("整改期限不能早于今天。"))
    before = {"status": issue.status, "responsible": issue.responsible, "deadline": issue.deadline}
    issue.status, issue.responsible, issue.deadline = "assigned", responsible, deadline
    note = _clean(note)
    summary = f"{responsible}；{deadline.isoformat()}" + (f"；{note}" if note else "")
    _step(issue, "assigned", summary, _staff_name(user))
    log_event(
        "issue.assign",
        "issue_report",
        issue.id,
        community_id=issue.community_id,
        before=before,
        after={"status": "assigned", "responsible": responsible, "deadline": deadline,
               "note": note},
    )  # fmt: skip
    return issue


def rectify_issue(issue: IssueReport, plan: Plan, user, *, note: str) -> IssueReport:
    """The responsible party reports the problem put right (整改完成); re-inspection follows."""
    require_phase(plan, user.role, "handle_issues")
    if issue.status != "assigned":
        raise DomainError(_l("只有整改中的问题才能登记整改完成。"))
    note = _clean(note)
    if not note:
        raise DomainError(_l("请写下是怎么整改的。"))
    issue.status = "rectified"
    _step(issue, "rectified", note, _staff_name(user))
    log_event(
        "issue.rectify",
        "issue_report",
        issue.id,
        community_id=issue.community_id,
        before={"status": "assigned"},
        after={"status": "rectified", "note": note},
    )
    return issue


def reinspect_issue(
    issue: IssueReport,
    plan: Plan,
    user,
    *,
    passed: bool,
    note: str,
    deadline: date | None = None,
) -> IssueReport:
    """Re-inspection (复查): passed closes the report; failed sends it back to rectification,
    with a new deadline when one is given."""
    require_phase(plan, user.role, "handle_issues")
    if issue.status != "rectified":
        raise DomainError(_l("整改完成后才能复查。"))
    note = _clean(note)
    if passed:
        issue.status = "closed"
        issue.closed_at = utcnow()
        _step(issue, "closed", note, _staff_name(user))
    else:
        if not note:
            raise DomainError(_l("复查未通过，请写下原因。"))
        if deadline is not None:
            if deadline < local_today():
                raise DomainError(_l("整改期限不能早于今天。"))
            issue.deadline = deadline
        issue.status = "assigned"
        _step(issue, "reopened", note, _staff_name(user))
    log_event(
        "issue.close" if passed else "issue.reopen",
        "issue_report",
        issue.id,
        community_id=issue.community_id,
        before={"status": "rectified"},
        after={"status": issue.status, "note": note, "deadline": issue.deadline},
    )
    return issue
