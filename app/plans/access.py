"""Pages' lookup of a plan and its items: tenancy (404), phase brought up to date."""

from flask import abort, g

from app.communities.tenancy import get_in_community_or_404
from app.plans.models import Item, Plan
from app.plans.queries import current_plan
from app.plans.workflow import sync_phase


def plan_or_404(plan_id: int) -> Plan:
    """The current community's plan, its phase moved to what its dates call for; else 404."""
    plan = get_in_community_or_404(Plan, plan_id)
    sync_phase(plan)
    return plan


def item_or_404(plan: Plan, item_id: int) -> Item:
    """An item of this plan in the current community; anything else answers 404."""
    item = get_in_community_or_404(Item, item_id)
    if item.plan_id != plan.id:
        abort(404)
    return item


def household_plan() -> Plan | None:
    """The signed-in household's current plan (g.household), its phase brought up to date."""
    plan = current_plan(g.household.community_id)
    if plan is not None:
        sync_phase(plan)
    return plan
