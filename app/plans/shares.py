"""Each household's share of each item (docs/counting.md#shares), fixed when voting opens, and
the funding breakdown of an item."""

import json
from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, delete, or_, select

from app.communities.electorate import snapshot_for
from app.communities.models import FrozenHousehold, Household
from app.communities.queries import household_address_select
from app.core.audit import log_event
from app.core.memo import once
from app.core.vocabulary import RESIDENTS_LABEL, coefficient_text, describe_method, label
from app.extensions import db
from app.plans.models import (
    FUNDING_SOURCES,
    HouseholdShare,
    Item,
    ItemOption,
    OptionShare,
    Plan,
)
from app.plans.phases import DRAFTING, PHASES, PROPOSALS
from app.rules.optin import household_price
from app.rules.shares import (
    ShareError,
    ShareHousehold,
    household_order,
    parse_floor_coefficients,
    residents_part,
    split_shares,
)


def item_residents_part(item: Item) -> int:
    """Cost minus the other funding sources, in fen."""
    return residents_part(item.cost_fen, {f.source: f.amount_fen for f in item.funding})


def floor_table(item: Item) -> dict[int, Decimal] | None:
    """The item's floor-coefficient table, exact, or None when it has none."""
    if not item.floor_coefficients:
        return None
    return parse_floor_coefficients(json.loads(item.floor_coefficients))


def electorate_places(plan_id: int, community_id: int) -> list[tuple[ShareHousehold, int, int]]:
    """The plan's whole electorate as the share rules see it, each with its building and unit
    ids, in building, unit, room order (one query).

    Once voting opened, the plan's frozen electorate (areas and floors as fixed then, design
    §3c); before, the census.
    """
    snapshot = snapshot_for(plan_id)
    if snapshot is None:
        building, unit = Household.building_id, Household.unit_id
        query = household_address_select(
            Household.area_centi, Household.floor, building, unit
        ).where(Household.community_id == community_id)
    else:
        building, unit = FrozenHousehold.building_id, FrozenHousehold.unit_id
        query = household_address_select(
            FrozenHousehold.area_centi, FrozenHousehold.floor, building, unit
        ).join(
            FrozenHousehold,
            (FrozenHousehold.household_id == Household.id)
            & (FrozenHousehold.snapshot_id == snapshot.id),
        )
    households = [
        (
            ShareHousehold(
                id=hid,
                area=Decimal(centi).scaleb(-2),
                floor=floor,
                order=household_order(b, u, room),
                label=f"{b}{u}{room}",
            ),
            building_id,
            unit_id,
        )
        for hid, b, u, room, centi, floor, building_id, unit_id in db.session.execute(query)
    ]
    return sorted(households, key=lambda h: (h[0].order, h[0].id))


def electorate_for_shares(item: Item, places=None) -> list[ShareHousehold]:
    """The item's electorate as the share rules see it, in building, unit, room order: the
    plan's electorate (`places`, from electorate_places, read now when not given) narrowed to
    the item's scopes (a building, or one unit of it)."""
    if places is None:
        places = electorate_places(item.plan_id, item.community_id)
    if not item.scopes:
        return [h for h, _b, _u in places]
    buildings = {s.building_id for s in item.scopes if s.unit_id is None}
    units = {(s.building_id, s.unit_id) for s in item.scopes if s.unit_id is not None}
    return [h for h, b, u in places if b in buildings or (b, u) in units]


def uploaded_custom_shares(item: Item) -> dict[int, int]:
    """The amounts uploaded for the custom method, {household id: fen}."""
    return dict(
        db.session.execute(
            select(HouseholdShare.household_id, HouseholdShare.amount_fen).where(
                HouseholdShare.item_id == item.id, HouseholdShare.custom.is_(True)
            )
        ).all()
    )


def compute_item_shares(item: Item, places=None) -> dict[int, int]:
    """Split the item's residents' part by its method (custom: the uploaded amounts).

    `places`: the plan's electorate_places when the caller splits several items (read once).
    Raises ShareError when the split is impossible (e.g. a floor missing from the table).
    """
    residents = item_residents_part(item)
    custom = uploaded_custom_shares(item) if item.share_method == "custom" else None
    if custom == {} and residents:
        raise ShareError(str(_l("还没有上传每户金额。")))
    return split_shares(
        item.share_method,
        residents,
        electorate_for_shares(item, places),
        floor_coefficients=floor_table(item),
        custom=custom,
    )


def compute_option_shares(
    option: ItemOption, electorate: list[ShareHousehold] | None = None
) -> dict[int, int]:
    """Split one option's residents' part (its own cost minus its own funding) over the item's
    electorate by the option's method (design §3a). Raises ShareError when impossible."""
    if electorate is None:
        electorate = electorate_for_shares(option.item)
    return split_shares(
        option.share_method,
        item_residents_part(option),
        electorate,
        floor_coefficients=floor_table(option),
    )


def fixed_option_rows(option_ids: list[int], household_id: int | None = None):
    """(option id, household id, fen) of the stored option shares."""
    query = select(OptionShare.option_id, OptionShare.household_id, OptionShare.amount_fen).where(
        OptionShare.option_id.in_(option_ids)
    )
    if household_id is not None:
        query = query.where(OptionShare.household_id == household_id)
    return db.session.execute(query).all()


def plan_option_shares(plan: Plan) -> dict[int, dict[int, int]]:
    """Every household's share under every option of the plan's items, {option: {household:
    fen}}: stored once voting opened, else computed now; an impossible split is left out (its
    problem shows on the draft page: option_problems)."""
    options = [o for item in plan.items if item.has_options for o in item.options]
    if not options:
        return {}
    result: dict[int, dict[int, int]] = {}
    if shares_fixed(plan):
        for option_id, household_id, fen in fixed_option_rows([o.id for o in options]):
            result.setdefault(option_id, {})[household_id] = fen
        if result:
            return result
    places = electorate_places(plan.id, plan.community_id)  # read once for every item
    for item in plan.items:
        if not item.has_options:
            continue
        electorate = electorate_for_shares(item, places)
        for option in item.options:
            try:
                result[option.id] = compute_option_shares(option, electorate)
            except ShareError:
                continue
    return result


def household_option_shares(items: list[Item], household_id: int) -> dict[int, int | None]:
    """The household's share under each option of these items, {option id: fen}: fixed once
    stored, else computed; None for an option whose split cannot be computed."""
    options = [o for item in items if item.has_options for o in item.options]
    if not options:
        return {}
    fixed = {
        oid: fen for oid, _hid, fen in fixed_option_rows([o.id for o in options], household_id)
    }
    shares: dict[int, int | None] = {}
    for item in items:
        if not item.has_options:
            continue
        electorate = None
        for option in item.options:
            if option.id in fixed:
                shares[option.id] = fixed[option.id]
                continue
            if electorate is None:
                electorate = electorate_for_shares(item)
            try:
                shares[option.id] = compute_option_shares(option, electorate).get(household_id, 0)
            except ShareError:
                shares[option.id] = None
    return shares


def option_problems(item: Item) -> dict[int, str]:
    """{option id: why its shares cannot be computed} for the item's options."""
    problems = {}
    electorate = electorate_for_shares(item) if item.has_options else []
    for option in item.options:
        try:
            compute_option_shares(option, electorate)
        except ShareError as exc:
            problems[option.id] = exc.message
    return problems


def opt_in_prices(item: Item) -> dict[int, int]:
    """Each household's price of an opt-in item (户内自选, design §3b), {household id: fen}, over
    the item's scope: the frozen electorate's areas once voting opened, else the census's."""
    return {
        h.id: household_price(
            price_fen=item.price_fen,
            price_fen_per_m2=item.price_fen_per_m2,
            subsidy_fen=item.subsidy_fen or 0,
            area=h.area,
        )
        for h in electorate_for_shares(item)
    }


def shares_fixed(plan: Plan) -> bool:
    """True once voting has opened: shares are then stored and change only by revision."""
    return PHASES.index(plan.phase) > PHASES.index(DRAFTING)


def fixed_share_rows(item_ids: list[int], household_id: int | None = None):
    """(item id, household id, fen) of the stored shares: computed rows, or for a custom item
    its uploaded rows (the upload is what was fixed)."""
    query = (
        select(HouseholdShare.item_id, HouseholdShare.household_id, HouseholdShare.amount_fen)
        .join(Item, Item.id == HouseholdShare.item_id)
        .where(
            HouseholdShare.item_id.in_(item_ids),
            or_(
                and_(Item.share_method == "custom", HouseholdShare.custom.is_(True)),
                and_(Item.share_method != "custom", HouseholdShare.custom.is_(False)),
            ),
        )
    )
    if household_id is not None:
        query = query.where(HouseholdShare.household_id == household_id)
    return db.session.execute(query).all()


@dataclass
class PlanShares:
    """Every household's share of every item, and the items whose split is impossible."""

    shares: dict[int, dict[int, int]] = field(default_factory=dict)  # item → household → fen
    problems: dict[int, str] = field(default_factory=dict)  # item → message
    fixed: set[int] = field(default_factory=set)  # items read from stored shares


def plan_shares(plan: Plan) -> PlanShares:
    """Shares as they stand (worked out once per plan inside core.memo.reading_once())."""
    return once(("plan_shares", plan.id), lambda: _plan_shares(plan))


def _plan_shares(plan: Plan) -> PlanShares:
    """Shares as they stand: stored once voting opened, else computed now.

    A custom item is always checked against its residents' part, so an upload that no longer
    adds up (the cost changed) shows as a problem instead of as shares.
    """
    result = PlanShares()
    stored: dict[int, dict[int, int]] = {}
    if shares_fixed(plan):
        for item_id, household_id, fen in fixed_share_rows([i.id for i in plan.items]):
            stored.setdefault(item_id, {})[household_id] = fen
    places = None
    for item in plan.items:
        if item.kind == "opt_in":  # owed per sign-up, not shared (funding.ledger)
            continue
        if item.id in stored and item.share_method != "custom":
            result.shares[item.id] = stored[item.id]
            result.fixed.add(item.id)
            continue
        if places is None:  # read once for every item whose shares are computed now
            places = electorate_places(plan.id, plan.community_id)
        try:
            result.shares[item.id] = compute_item_shares(item, places)
        except ShareError as exc:
            result.problems[item.id] = exc.message
        else:
            if item.id in stored:
                result.fixed.add(item.id)
    return result


def share_problems(plan: Plan) -> list[str]:
    """Why some items' shares cannot be computed, one line per item (empty when all can)."""
    problems = plan_shares(plan).problems
    return [f"{i.key} {i.title}：{problems[i.id]}" for i in plan.items if i.id in problems]


def household_shares(items: list[Item], household_id: int) -> dict[int, int | None]:
    """The household's share of each item, in fen: fixed shares once stored, else computed.

    None for an item whose split cannot be computed yet (e.g. custom amounts not uploaded):
    the page should say the share is still to be set, never show 0.
    """
    if not items:
        return {}
    fixed = {
        item_id: fen for item_id, _hid, fen in fixed_share_rows([i.id for i in items], household_id)
    }
    shares: dict[int, int | None] = {}
    for item in items:
        if item.kind == "opt_in":  # its price: what the household owes if it signs up
            shares[item.id] = opt_in_prices(item).get(household_id, 0)
        elif item.id in fixed and item.share_method != "custom":
            shares[item.id] = fixed[item.id]
        elif item.cost_fen:
            try:
                shares[item.id] = compute_item_shares(item).get(household_id, 0)
            except ShareError:
                shares[item.id] = None
        else:
            shares[item.id] = 0
    return shares


@dataclass(frozen=True)
class SourceLine:
    """One funding source of an item."""

    source: str
    label: str
    amount_fen: int
    note: str


@dataclass(frozen=True)
class Breakdown:
    """An item's funding as the draft plan shows it."""

    item_id: int
    cost_fen: int
    sources: list[SourceLine]
    residents_fen: int | None  # None when the sources exceed the cost
    residents_label: str
    method: str
    method_words: str
    floor_rows: list[tuple[int, str]]  # the coefficient table (floor, "1.2"), floor methods
    problem: str | None


def item_breakdown(item: Item | ItemOption) -> Breakdown:
    """Cost, each source, residents' part and the method in words (of an item or an option)."""
    order = {s: i for i, s in enumerate(FUNDING_SOURCES)}
    sources = [
        SourceLine(f.source, label("funding_source", f.source), f.amount_fen, f.note)
        for f in sorted(item.funding, key=lambda f: (order.get(f.source, 99), f.id or 0))
        if f.amount_fen or f.note
    ]
    problem = None
    try:
        residents = item_residents_part(item)
    except ShareError as exc:
        residents, problem = None, exc.message
    try:
        table = floor_table(item)
    except ShareError as exc:
        table, problem = None, problem or exc.message
    floor_method = item.share_method in ("floor", "floor_flat")
    return Breakdown(
        item_id=item.id,
        cost_fen=item.cost_fen,
        sources=sources,
        residents_fen=residents,
        residents_label=str(RESIDENTS_LABEL),
        method=item.share_method,
        method_words=describe_method(item.share_method, table),
        floor_rows=[(f, coefficient_text(c)) for f, c in sorted(table.items())]
        if floor_method and table
        else [],
        problem=problem,
    )


def plan_breakdowns(plan: Plan) -> dict[int, Breakdown]:
    """The breakdown of every item of the plan, by item id."""
    return {item.id: item_breakdown(item) for item in plan.items}


def option_breakdowns(plan: Plan) -> dict[int, Breakdown]:
    """The breakdown of every option (方案比选) of the plan's items, by option id: an option has
    its own cost, funding and share method, so the same breakdown reads it (item_id: its id)."""
    return {
        o.id: item_breakdown(o) for item in plan.items if item.has_options for o in item.options
    }


def items_editable(plan: Plan) -> bool:
    """Funding may be edited directly (before voting) or by revision (voting paused)."""
    return plan.phase in (PROPOSALS, DRAFTING) or (
        plan.phase == "voting" and plan.voting_closed_at is not None
    )


def fix_item_shares(item: Item) -> int:
    """Store the item's shares as they are now; returns how many. Raises ShareError.

    A custom item's uploaded amounts are themselves the fixed shares; for any other method a
    stale upload is dropped, as a household has one share row per item.
    """
    shares = compute_item_shares(item)
    if item.share_method == "custom":
        db.session.execute(
            delete(HouseholdShare).where(
                HouseholdShare.item_id == item.id, HouseholdShare.custom.is_(False)
            )
        )
        db.session.flush()
        return len(shares)
    db.session.execute(delete(HouseholdShare).where(HouseholdShare.item_id == item.id))
    db.session.add_all(
        HouseholdShare(
            community_id=item.community_id, item_id=item.id, household_id=hid, amount_fen=fen
        )
        for hid, fen in shares.items()
    )
    db.session.flush()
    return len(shares)


def fix_option_shares(item: Item) -> tuple[int, dict[str, str]]:
    """Store every household's share under each of the item's options, over the electorate as
    it is now (frozen once voting opens); returns (rows written, {option key: problem})."""
    written, problems = 0, {}
    electorate = electorate_for_shares(item) if item.has_options else []
    for option in item.options:
        db.session.execute(delete(OptionShare).where(OptionShare.option_id == option.id))
        try:
            shares = compute_option_shares(option, electorate)
        except ShareError as exc:
            problems[option.key] = exc.message
            continue
        db.session.add_all(
            OptionShare(
                community_id=item.community_id,
                option_id=option.id,
                household_id=hid,
                amount_fen=fen,
            )
            for hid, fen in shares.items()
        )
        written += len(shares)
    db.session.flush()
    return written, problems


def fix_shares(plan: Plan) -> int:
    """Store every household's share of every item; returns the number of shares written.

    Called when voting opens, so what a household saw before voting is what it pledges. An item
    whose split is impossible keeps no stored shares and is named in the audit event (and on the
    funding dashboard) instead of stopping the phase change.
    """
    written, problems = 0, {}
    for item in plan.items:
        if item.kind == "opt_in":  # priced per household, owed only on signing up
            continue
        try:
            written += fix_item_shares(item)
        except ShareError as exc:
            problems[item.key] = exc.message
            db.session.execute(
                delete(HouseholdShare).where(
                    HouseholdShare.item_id == item.id, HouseholdShare.custom.is_(False)
                )
            )
        if item.has_options:
            count, option_problems_found = fix_option_shares(item)
            written += count
            for key, message in option_problems_found.items():
                problems[f"{item.key}/{key}"] = message
    db.session.flush()
    log_event(
        "funding.fix_shares",
        "plan",
        plan.id,
        community_id=plan.community_id,
        after={"shares": written, "problems": problems},
    )
    return written
