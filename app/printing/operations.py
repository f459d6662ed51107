"""Writes of printing: print jobs, and applying a printed batch (new codes, new serials)."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.communities.codes import issue_codes_for
from app.communities.models import Building, Household, Unit
from app.core.audit import log_event
from app.core.db import utcnow
from app.core.errors import DomainError
from app.extensions import db
from app.paper.models import PaperSerial
from app.plans.models import Plan
from app.printing.batches import PreparedBatch
from app.printing.models import PrintJob
from app.printing.queries import issued_serials


def create_print_job(
    plan: Plan,
    kind: str,
    *,
    building: Building | None = None,
    unit: Unit | None = None,
    contact: str = "",
    user=None,
) -> PrintJob:
    """Queue a batch of letters or ballots for the background printer."""
    job = PrintJob(
        community_id=plan.community_id,
        plan_id=plan.id,
        kind=kind,
        building_id=building.id if building else (unit.building_id if unit else None),
        unit_id=unit.id if unit else None,
        contact=contact.strip(),
        created_by_id=user.id if user else None,
    )
    db.session.add(job)
    db.session.flush()
    log_event(
        "print.queue",
        "print_job",
        job.id,
        community_id=plan.community_id,
        after={"plan": plan.id, "kind": kind, "building": job.building_id, "unit": job.unit_id},
    )
    return job


def _apply_letters(plan: Plan, batch: PreparedBatch, actor: str | None) -> None:
    """Write the printed codes; refuse if another print changed a household's code meanwhile."""
    households = db.session.scalars(
        select(Household).where(Household.id.in_(list(batch.codes))).with_for_update()
    ).all()
    changed = [h for h in households if h.code_generation != batch.codes[h.id][1]]
    if changed or len(households) != len(batch.codes):
        raise DomainError(
            _l("打印期间有住户的登录码被更换（可能同时有另一次打印），本次打印作废，请重新打印。")
        )
    issue_codes_for(
        households,
        codes={hid: code for hid, (code, _gen) in batch.codes.items()},
        reason=f"letters:plan:{plan.id}",
        actor=actor,
    )


def _apply_ballots(plan: Plan, batch: PreparedBatch, user_id: int | None, actor: str | None):
    """Void the households' previous serials and record the printed ones."""
    current = issued_serials(plan, batch.serials)
    expected = {hid: old for hid, (_serial, old) in batch.serials.items()}
    if any((current[h].id if h in current else None) != old for h, old in expected.items()):
        raise DomainError(
            _l(
                "打印期间有住户的表决票被重新打印（可能同时有另一次打印），本次打印作废，请重新打印。"
            )
        )
    now = utcnow()
    for serial in current.values():
        serial.status = "void"
        serial.voided_at = now
    db.session.flush()
    db.session.add_all(
        PaperSerial(
            community_id=plan.community_id,
            plan_id=plan.id,
            household_id=hid,
            serial=serial,
            printed_at=now,
            printed_by_id=user_id,
        )
        for hid, (serial, _old) in batch.serials.items()
    )
    db.session.flush()
    log_event(
        "ballots.print",
        "plan",
        plan.id,
        community_id=plan.community_id,
        after={
            "households": len(batch.serials),
            "voided": sorted(s.serial for s in current.values()),
        },
        actor=actor,
    )


def apply_batch(plan: Plan, batch: PreparedBatch, *, user_id=None, actor=None) -> None:
    """Write what a rendered batch printed: letters' codes, or ballots' serials."""
    if batch.kind == "letters":
        _apply_letters(plan, batch, actor)
    else:
        _apply_ballots(plan, batch, user_id, actor)


def finish_print_job(job: PrintJob, filename: str, pages: int, *, actor=None) -> None:
    """Mark a job done with its file (same transaction as the batch it printed)."""
    job.status = "done"
    job.filename = filename
    job.pages = pages
    job.done = job.total
    job.finished_at = job.updated_at = utcnow()
    db.session.flush()
    log_event(
        "print.done",
        "print_job",
        job.id,
        community_id=job.community_id,
        after={"pages": pages, "households": job.total},
        actor=actor,
    )
