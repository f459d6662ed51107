"""The tally document (docs/formats.md#tally-json): what `flask tally PLAN --json` prints and the
staff URL serves.

Numbers stay exact. ``owners`` is a JSON integer when the headcount is whole; otherwise a float
for convenience plus ``owners_exact``, the exact fraction as text ("7/2"): an owner with two
households voting differently is half a head on each side (SPC interpretation art. 9).
``area`` is in m² with at most two decimals, a JSON number that reads back exactly; thresholds,
values and margins of ``checks`` are exact fractions as text.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from app.communities.electorate import correction_change, corrections, snapshot_for
from app.communities.models import Community
from app.core.db import utcnow
from app.extensions import db
from app.plans.models import Item
from app.rules.counting import Check, ItemTally, Measure
from app.rules.options import OptionOutcome
from app.tally.queries import ItemResult, PlanTally
from app.tally.runoff import runoffs_of
from app.voting.optin import plan_offers, signup_deadline

MEASURES = ("electorate", "participating", "agree", "oppose", "abstain")


def exact(value: Fraction | Decimal | int) -> str:
    """An exact number as text: "2", "7/2", "-1/3"."""
    return str(Fraction(value))


def owners_json(owners: Fraction) -> dict:
    """Headcount as a JSON integer when whole, else a float plus the exact fraction."""
    if owners.denominator == 1:
        return {"owners": owners.numerator}
    return {"owners": float(owners), "owners_exact": exact(owners)}


def area_json(area: Decimal) -> int | float:
    """Area in m²: an integer when whole, else a number with its (at most two) decimals."""
    return int(area) if area == area.to_integral_value() else float(area)


def measure_json(measure: Measure) -> dict:
    """{"owners", ["owners_exact"], "area", "households"} of one total (docs/formats.md)."""
    return {
        **owners_json(measure.owners),
        "area": area_json(measure.area),
        "households": measure.households,
    }


def check_json(check: Check) -> dict:
    """One threshold test, exactly: value op required × base, met, margin."""
    return {
        "name": check.name,
        "dimension": check.dimension,
        "op": check.op,
        "required": exact(check.required),
        "value": exact(check.value),
        "base": exact(check.base),
        "met": check.met,
        "margin": exact(check.margin),
    }


def outcome_json(tally: ItemTally) -> dict:
    """Totals, flags and checks of one item under one non-voter policy."""
    return {
        **{name: measure_json(getattr(tally, name)) for name in MEASURES},
        "quorum_met": tally.quorum_met,
        "approved": tally.approved,
        "passed": tally.passed,
        "checks": [check_json(c) for c in tally.checks],
    }


def item_json(result: ItemResult, runoff=None) -> dict:
    """One item: key, title, rule, totals and outcome; with follow_majority, both outcomes."""
    item = result.item
    doc = {"key": item.key, "title": item.title, "rule": item.rule_kind}
    if item.rule_params:
        doc["custom"] = item.rule_params
    doc["scoped"] = item.scoped
    doc.update(outcome_json(result.tally))
    doc["non_voter_policy"] = result.tally.non_voter_policy
    if result.without_policy is not None:
        doc["deemed"] = measure_json(result.tally.deemed)
        doc["without_non_voter_policy"] = outcome_json(result.without_policy)
    if result.options is not None:
        doc.update(options_json(result.options, item.options))
        if result.options_without_policy is not None:
            doc["without_non_voter_policy"].update(
                options_json(result.options_without_policy, item.options)
            )
    if item.runoff_of_id is not None:
        doc["runoff_of"] = runoff_of_json(item.runoff_of_id)
    if runoff is not None:  # the runoff (决选) opened for this undecided item
        doc["runoff"] = {"plan_id": runoff.plan_id, "key": runoff.item_key,
                         "phase": runoff.phase, "result_stage": runoff.result_stage}  # fmt: skip
    return doc


def options_json(outcome: OptionOutcome, options) -> dict:
    """An item with options (design §3a): the option rule, each option's agree (and, under
    threshold, whether it passed on its own), the chosen option's key, decided, and the leaders
    a runoff (决选) would be between. ``passed`` is the item's outcome with its options."""
    titles = {key: title for _id, key, title in options}
    return {
        "passed": outcome.passed,
        "option_rule": outcome.option_rule,
        "options": [
            {"key": o.key, "title": titles[o.key], "agree": measure_json(o.agree)}
            | ({"passed": o.passed} if o.passed is not None else {})
            for o in outcome.options
        ],
        "chosen_option": outcome.chosen,
        "decided": outcome.decided,
        "leaders": {"owners": list(outcome.leaders_headcount), "area": list(outcome.leaders_area)},
        "runoff_options": list(outcome.runoff),
    }


def runoff_of_json(item_id: int) -> dict | None:
    """The undecided item a runoff item decides: its plan and key."""
    original = db.session.get(Item, item_id)
    if original is None:
        return None
    return {"plan_id": original.plan_id, "key": original.key, "title": original.title}


def tally_document(result: PlanTally) -> dict:
    """The whole document: plan, ballot counts, turnout, items (docs/formats.md#tally-json)."""
    plan = result.plan
    community = db.session.get(Community, plan.community_id)
    runoffs = runoffs_of([r.item.id for r in result.items if r.options is not None])
    return {
        "plan": {
            "id": plan.id,
            "title": plan.title,
            "community": {"id": community.id, "name": community.name},
            "phase": plan.phase,
            "result_stage": plan.result_stage,
            "voting_opens": plan.voting_opens.isoformat() if plan.voting_opens else None,
            "voting_closes": plan.voting_closes.isoformat() if plan.voting_closes else None,
            "objections_close": (
                plan.objections_close.isoformat() if plan.objections_close else None
            ),
            "policies": {
                "conflict_policy": plan.conflict_policy,
                "paper_double_entry": plan.paper_double_entry,
                "non_voter_policy": plan.non_voter_policy,
            },
        },
        "provisional": result.provisional,
        "generated_at": utcnow().isoformat(timespec="seconds") + "Z",
        "ballots": {
            "effective": result.ballots.effective,
            "by_channel": result.ballots.by_channel,
            "conflicts": result.ballots.conflicts,
            "awaiting_entry": result.ballots.awaiting_entry,
        },
        "turnout": {
            "electorate": measure_json(result.community.electorate),
            "participating": measure_json(result.community.participating),
        },
        "electorate": electorate_json(plan.id),
        "items": [item_json(r, runoffs.get(r.item.id)) for r in result.items],
        "opt_in": opt_in_json(plan),
    }


def opt_in_json(plan) -> list[dict]:
    """The plan's opt-in items (户内自选, design §3b), listed apart: never voted nor counted;
    households signed up and declined over the item's scope, the minimum uptake and whether
    the offer stands."""
    return [
        {
            "key": s.item.key,
            "title": s.item.title,
            "price_fen": s.item.price_fen,
            "price_fen_per_m2": s.item.price_fen_per_m2,
            "subsidy_fen": s.item.subsidy_fen or 0,
            "signup_closes": (
                deadline.isoformat() if (deadline := signup_deadline(s.item, plan)) else None
            ),
            "households": s.in_scope,
            "signed_up": s.signed_up,
            "declined": s.declined,
            "unanswered": s.unanswered,
            "min_uptake": s.item.min_uptake,
            "offer_stands": s.stands,
            "owed_fen": s.owed_fen,
        }
        for s in plan_offers(plan)
    ]


def electorate_json(plan_id: int) -> dict:
    """When the electorate was frozen (None: voting has not opened, the census counts) and
    every correction since (design §3c)."""
    snapshot = snapshot_for(plan_id)
    return {
        "fixed_at": snapshot.taken_at.isoformat(timespec="seconds") + "Z" if snapshot else None,
        "corrections": [
            {
                "household": c.address,
                "kind": c.kind,
                "before": correction_change(c)[0],
                "after": correction_change(c)[1],
                "reason": c.reason,
                "at": c.created_at.isoformat(timespec="seconds") + "Z",
            }
            for c in corrections(snapshot)
        ],
    }
