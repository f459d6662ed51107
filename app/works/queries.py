"""Reads of the works: a plan's works with their items, logs, supervisors, issue reports,
overdue reports, and the per-plan figures the district overview shows."""

import hashlib
import hmac
from dataclasses import dataclass
from datetime import date

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.communities.models import Household
from app.extensions import db
from app.plans.models import Item, Plan
from app.works.models import IssueReport, Works, WorksLogEntry, WorksSupervisor
from app.works.rules import OPEN_ISSUE_STATUSES, average_progress, is_overdue


def plan_works(plan: Plan) -> list[Works]:
    """The plan's works in item order."""
    return list(
        db.session.scalars(
            select(Works)
            .join(Item, Item.id == Works.item_id)
            .where(Works.plan_id == plan.id)
            .options(selectinload(Works.item))
            .order_by(Item.position, Item.id)
        )
    )


def works_log(works: Works) -> list[WorksLogEntry]:
    """The works' log, newest first, with photos."""
    return list(
        db.session.scalars(
            select(WorksLogEntry)
            .where(WorksLogEntry.works_id == works.id)
            .options(selectinload(WorksLogEntry.photos))
            .order_by(WorksLogEntry.entry_date.desc(), WorksLogEntry.id.desc())
        )
    )


def supervisors(works: Works) -> list[WorksSupervisor]:
    """Volunteered, nominated and appointed supervisors of a works."""
    return list(
        db.session.scalars(
            select(WorksSupervisor)
            .where(WorksSupervisor.works_id == works.id)
            .options(selectinload(WorksSupervisor.household))
            .order_by(WorksSupervisor.id)
        )
    )


def household_supervisor(works: Works, household: Household) -> WorksSupervisor | None:
    """The household's supervisor row for the works, if it volunteered or was named."""
    return db.session.scalar(
        select(WorksSupervisor).where(
            WorksSupervisor.works_id == works.id, WorksSupervisor.household_id == household.id
        )
    )


def plan_issues(plan: Plan, works: Works | None = None) -> list[IssueReport]:
    """Issue reports of a plan (or of one works), open ones first, newest first."""
    query = select(IssueReport).where(IssueReport.plan_id == plan.id)
    if works is not None:
        query = query.where(IssueReport.works_id == works.id)
    rows = db.session.scalars(
        query.options(
            selectinload(IssueReport.household), selectinload(IssueReport.works)
        ).order_by(IssueReport.id.desc())
    )
    return sorted(rows, key=lambda r: r.status == "closed")


def household_issues(household: Household) -> list[IssueReport]:
    """The household's own issue reports, newest first."""
    return list(
        db.session.scalars(
            select(IssueReport)
            .where(IssueReport.household_id == household.id)
            .options(selectinload(IssueReport.works))
            .order_by(IssueReport.id.desc())
        )
    )


def overdue_issues(plan: Plan, today: date) -> list[IssueReport]:
    """Open issue reports of the plan past their deadline."""
    return [r for r in plan_issues(plan) if is_overdue(r.status, r.deadline, today)]


def open_issue_counts(plan: Plan) -> dict[int, int]:
    """Open issue reports per works id."""
    return dict(
        db.session.execute(
            select(IssueReport.works_id, func.count(IssueReport.id))
            .where(IssueReport.plan_id == plan.id, IssueReport.status.in_(OPEN_ISSUE_STATUSES))
            .group_by(IssueReport.works_id)
        ).all()
    )


def appointed_counts(plan: Plan) -> dict[int, int]:
    """Appointed supervisors per works id."""
    return dict(
        db.session.execute(
            select(WorksSupervisor.works_id, func.count(WorksSupervisor.id))
            .join(Works, Works.id == WorksSupervisor.works_id)
            .where(Works.plan_id == plan.id, WorksSupervisor.status == "appointed")
            .group_by(WorksSupervisor.works_id)
        ).all()
    )


def public_token(works_id: int) -> str:
    """The key in the site notice's QR link: the works' public page cannot be guessed by id."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"works:{works_id}".encode(), hashlib.sha256).hexdigest()[:16]


@dataclass(frozen=True)
class WorksFigures:
    """A plan's works in the district overview: how many, how many done, average progress,
    open and overdue issue reports."""

    works_total: int = 0
    works_done: int = 0
    average_progress: int | None = None
    issues_open: int = 0
    issues_overdue: int = 0


def works_figures(plan_ids: list[int], today: date) -> dict[int, WorksFigures]:
    """WorksFigures per plan id (plans without works are left out); two queries in all."""
    if not plan_ids:
        return {}
    progress: dict[int, list[int]] = {}
    done: dict[int, int] = {}
    for plan_id, status, value in db.session.execute(
        select(Works.plan_id, Works.status, Works.progress).where(Works.plan_id.in_(plan_ids))
    ):
        progress.setdefault(plan_id, []).append(value)
        done[plan_id] = done.get(plan_id, 0) + (status == "accepted")
    issues: dict[int, list[int]] = {}
    for plan_id, status, deadline in db.session.execute(
        select(IssueReport.plan_id, IssueReport.status, IssueReport.deadline).where(
            IssueReport.plan_id.in_(plan_ids), IssueReport.status.in_(OPEN_ISSUE_STATUSES)
        )
    ):
        counts = issues.setdefault(plan_id, [0, 0])
        counts[0] += 1
        counts[1] += is_overdue(status, deadline, today)
    return {
        plan_id: WorksFigures(
            works_total=len(progress.get(plan_id, [])),
            works_done=done.get(plan_id, 0),
            average_progress=average_progress(progress.get(plan_id, [])),
            issues_open=issues.get(plan_id, [0, 0])[0],
            issues_overdue=issues.get(plan_id, [0, 0])[1],
        )
        for plan_id in set(progress) | set(issues)
    }
