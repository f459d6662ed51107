"""Change orders and final accounts in the plan's archive (一小区一档案): closeout/*.json.

``closeout_files(plan)`` returns the files and their counts; the archive builder
(app.reports.archive.build) adds them to the ZIP, and so to its manifest. Households are named
by building, unit and room (never by code or owner key)."""

from __future__ import annotations

import json
from datetime import datetime

from app.funding.ledger import households_of
from app.plans.models import Plan
from app.settlement.changes import plan_changes
from app.settlement.finals import plan_finals


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat(timespec="seconds") + "Z"


def _pretty(value) -> bytes:
    return (json.dumps(value, ensure_ascii=False, indent=2) + "\n").encode()


def closeout_files(plan: Plan) -> tuple[list[tuple[str, bytes]], dict[str, int]]:
    """([(path, bytes)], counts) of the plan's change orders and final accounts."""
    changes = plan_changes(plan)
    finals = plan_finals(plan)
    items = {i.id: i for i in plan.items}
    ids = {s.household_id for c in changes for s in c.shares}
    ids |= {s.household_id for f in finals.values() for s in f.shares}
    households = households_of(plan.community_id, ids) if ids else {}

    def name(hid: int) -> str:
        return households[hid].label if hid in households else f"#{hid}"

    change_doc = {
        "plan": plan.id,
        "change_threshold_pct": plan.change_threshold_pct,
        "change_orders": [
            {
                "id": c.id,
                "item": items[c.item_id].key,
                "reason": c.reason,
                "cost_change_fen": c.cost_change_fen,
                "funding_change_fen": json.loads(c.funding_change or "{}"),
                "scope_change": c.scope_change,
                "status": c.status,
                "threshold_pct": c.threshold_pct,
                "largest_rise_pct": c.largest_rise or None,
                "households_beyond_threshold": c.households_beyond,
                "needs_revision_vote": c.needs_vote,
                "revision_plan": c.revision_plan_id,
                "residents_before_fen": c.residents_before_fen,
                "residents_after_fen": c.residents_after_fen,
                "decision_note": c.decision_note,
                "created_at": _iso(c.created_at),
                "decided_at": _iso(c.decided_at),
                "effective_at": _iso(c.effective_at),
                "shares": [
                    {
                        "household_id": s.household_id,
                        "household": name(s.household_id),
                        "before_fen": s.before_fen,
                        "after_fen": s.after_fen,
                    }
                    for s in sorted(c.shares, key=lambda s: name(s.household_id))
                ],
            }
            for c in sorted(changes, key=lambda c: c.id)
        ],
    }
    final_doc = {
        "plan": plan.id,
        "final_accounts": [
            {
                "item": items[f.item_id].key,
                "option": f.option_id,
                "status": f.status,
                "planned_cost_fen": f.planned_cost_fen,
                "actual_cost_fen": f.actual_cost_fen,
                "sources": [
                    {"source": s.source, "planned_fen": s.planned_fen, "actual_fen": s.actual_fen}
                    for s in f.sources
                ],
                "planned_residents_fen": f.planned_residents_fen,
                "actual_residents_fen": f.actual_residents_fen,
                "refunds_fen": f.refunds_fen,
                "top_ups_fen": f.top_ups_fen,
                "note": f.note,
                "entered_at": _iso(f.entered_at),
                "confirmed_at": _iso(f.confirmed_at),
                "shares": [
                    {
                        "household_id": s.household_id,
                        "household": name(s.household_id),
                        "planned_fen": s.planned_fen,
                        "actual_fen": s.actual_fen,
                        "difference_fen": s.actual_fen - s.planned_fen,
                    }
                    for s in sorted(
                        f.shares,
                        key=lambda s: (
                            households[s.household_id].order if s.household_id in households else ()
                        ),
                    )
                ],
            }
            for f in sorted(finals.values(), key=lambda f: items[f.item_id].position)
        ],
    }
    files = [
        ("closeout/change-orders.json", _pretty(change_doc)),
        ("closeout/final-accounts.json", _pretty(final_doc)),
    ]
    return files, {"change_orders": len(changes), "final_accounts": len(finals)}
