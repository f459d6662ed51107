"""The plan archive's acceptance and evaluation files (一小区一档案), written by
app.reports.archive.build through ``write_aftercare``: every file goes into its manifest."""

import json

from sqlalchemy import select

from app.aftercare.models import EvaluationKeying, EvaluationResponse
from app.aftercare.pdfs import acceptance_notice_pdf
from app.aftercare.queries import acceptance_of, members, passed_items, round_results, rounds
from app.communities.models import Household
from app.extensions import db
from app.plans.models import Plan
from app.rules.satisfaction import ASPECTS, one_decimal


def _address(household_id: int | None, cache: dict) -> str | None:
    if household_id is None:
        return None
    if household_id not in cache:
        h = db.session.get(Household, household_id)
        cache[household_id] = f"{h.building.name}{h.unit.name}{h.room}"
    return cache[household_id]


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def acceptance_document(plan: Plan, items=None) -> dict:
    """The group, each passed item's checklist and result, defects and rectification."""
    places: dict = {}
    return {
        "plan": plan.id,
        "group": [
            {
                "kind": m.kind,
                "name": m.name,
                "role": m.role,
                "household": _address(m.household_id, places),
            }
            for m in members(plan)
        ],
        "items": [
            {
                "key": row.item.key,
                "title": row.item.title,
                "result": row.result,
                "checked_on": _iso(row.check.checked_on) if row.check else None,
                "notes": row.check.notes if row.check else "",
                "checklist": row.lines,
                "defects": [
                    {
                        "description": d.description,
                        "responsible": d.responsible,
                        "deadline": _iso(d.deadline),
                        "status": d.status,
                        "rectification": d.rectification,
                        "rectified_on": _iso(d.rectified_on),
                    }
                    for d in row.defects
                ],
            }
            for row in acceptance_of(plan, items)
        ],
    }


def evaluation_document(plan: Plan, items=None) -> dict:
    """Every round: its results, each household's effective response, every form keying."""
    places: dict = {}
    out = []
    for round_ in rounds(plan):
        results = round_results(plan, round_, items)
        responses = db.session.scalars(
            select(EvaluationResponse)
            .where(EvaluationResponse.round_id == round_.id)
            .order_by(EvaluationResponse.household_id)
        )
        keyings = db.session.scalars(
            select(EvaluationKeying)
            .where(EvaluationKeying.round_id == round_.id)
            .order_by(EvaluationKeying.id)
        )
        out.append(
            {
                "number": round_.number,
                "opened_on": _iso(round_.opened_on),
                "closes_on": _iso(round_.closes_on),
                "closed_at": _iso(round_.closed_at),
                "households": results.community.households,
                "responses": results.community.responses,
                "averages": {a: one_decimal(results.community.aspects[a].average) for a in ASPECTS},
                "items": {i.key: one_decimal(t.average) for i, t in results.items},
                "buildings": [
                    {"building": b.name, "households": b.households, "responses": b.responses}
                    for b in results.buildings
                ],
                "household_responses": [
                    {
                        "household": _address(r.household_id, places),
                        "channel": r.channel,
                        "recorded_at": _iso(r.recorded_at),
                        **json.loads(r.scores),
                    }
                    for r in responses
                ],
                "form_keyings": [
                    {
                        "household": _address(k.household_id, places),
                        "status": k.status,
                        "entered_at": _iso(k.entered_at),
                        **json.loads(k.scores),
                    }
                    for k in keyings
                ],
            }
        )
    return {"plan": plan.id, "rounds": out}


def write_aftercare(writer, plan: Plan) -> dict:
    """Add aftercare/acceptance.json, its notice PDF and aftercare/evaluation.json to an
    archive being written (writer.add(path, bytes)); returns counts for the manifest."""
    items = passed_items(plan)
    if not items:
        return {}
    acceptance = acceptance_document(plan, items)
    evaluation = evaluation_document(plan, items)

    def pretty(doc):
        return json.dumps(doc, ensure_ascii=False, indent=2).encode()

    writer.add("aftercare/acceptance.json", pretty(acceptance))
    writer.add("aftercare/acceptance-notice.pdf", acceptance_notice_pdf(plan))
    writer.add("aftercare/evaluation.json", pretty(evaluation))
    return {
        "acceptance_items": sum(1 for i in acceptance["items"] if i["result"]),
        "evaluation_responses": sum(r["responses"] for r in evaluation["rounds"]),
    }
