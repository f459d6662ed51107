"""Reads on proposals: lists with support counts, what each became, and lookups for the pages."""

from dataclasses import dataclass, field

from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from app.communities.models import Building, Household, Unit
from app.communities.queries import household_search, households_at
from app.core.paging import paginate_rows
from app.extensions import db
from app.plans.models import Item, ItemProposal, Plan
from app.proposals.models import Proposal, ProposalPhoto, ProposalSupport

# Sections of the residents' page, in the order they read them.
SECTIONS = ("open", "accepted", "declined", "merged")


@dataclass
class ProposalCard:
    """A proposal with what a page shows beside it."""

    proposal: Proposal
    supports: int = 0
    supported: bool = False  # by the household looking at the page
    items: list[Item] = field(default_factory=list)  # the draft items that answer it
    merged_into: Proposal | None = None
    household: Household | None = None  # the proposer (staff pages only)
    photos: int = 0


def support_counts(proposal_ids: list[int]) -> dict[int, int]:
    """Number of supporting households per proposal."""
    if not proposal_ids:
        return {}
    rows = db.session.execute(
        select(ProposalSupport.proposal_id, func.count())
        .where(ProposalSupport.proposal_id.in_(proposal_ids))
        .group_by(ProposalSupport.proposal_id)
    )
    return dict(rows.all())


def proposal_cards(
    plan: Plan,
    *,
    viewer: Household | None = None,
    status: str = "",
    category: str = "",
    search: str = "",
    with_households: bool = False,
) -> list[ProposalCard]:
    """The plan's proposals, most supported first, with counts and what each became."""
    query = select(Proposal).where(Proposal.plan_id == plan.id)
    if status:
        query = query.where(Proposal.status == status)
    if category:
        query = query.where(Proposal.category == category)
    search = search.strip()
    if search:
        query = query.where(
            or_(
                Proposal.title.contains(search, autoescape=True),
                Proposal.body.contains(search, autoescape=True),
            )
        )
    cards = _cards(db.session.scalars(query).all(), viewer, with_households)
    cards.sort(key=lambda c: (-c.supports, c.proposal.created_at, c.proposal.id))
    return cards


def proposal_card_page(
    plan: Plan,
    *,
    status: str = "",
    category: str = "",
    search: str = "",
    page: int = 1,
    per_page: int = 50,
    with_households: bool = False,
):
    """A page of the plan's proposals for the workers' list, most supported first.

    The order and the page are cut in SQL (support counts grouped once), so a plan with
    thousands of proposals builds cards for one page only; the count skips the support
    counts. The search looks in the title, the text and the proposing household's address or
    owner name. Items are ProposalCards.
    """

    search = search.strip()
    # Built once: an address search looks up the community's place names.
    found = search and or_(
        Proposal.title.contains(search, autoescape=True),
        Proposal.body.contains(search, autoescape=True),
        household_search(plan.community_id, search),
    )

    def narrowed(query):
        query = query.where(Proposal.plan_id == plan.id)
        if status:
            query = query.where(Proposal.status == status)
        if category:
            query = query.where(Proposal.category == category)
        if search:
            query = (
                query.outerjoin(Household, Household.id == Proposal.household_id)
                .outerjoin(Building, Building.id == Household.building_id)
                .outerjoin(Unit, Unit.id == Household.unit_id)
                .where(found)
            )
        return query

    supports = (
        select(ProposalSupport.proposal_id, func.count().label("n"))
        .join(Proposal, Proposal.id == ProposalSupport.proposal_id)
        .where(Proposal.plan_id == plan.id)
        .group_by(ProposalSupport.proposal_id)
        .subquery()
    )
    query = narrowed(
        select(Proposal).outerjoin(supports, supports.c.proposal_id == Proposal.id)
    ).order_by(func.coalesce(supports.c.n, 0).desc(), Proposal.created_at, Proposal.id)
    count = narrowed(select(func.count()).select_from(Proposal))
    result = paginate_rows(query, page, per_page, count=count)
    result.items = _cards([row[0] for row in result.items], None, with_households)
    return result


def _cards(proposals, viewer: Household | None, with_households: bool) -> list[ProposalCard]:
    """Cards for the given proposals: a handful of queries, whatever their number."""
    ids = [p.id for p in proposals]
    counts = support_counts(ids)
    supported = set()
    if viewer is not None and ids:
        supported = set(
            db.session.scalars(
                select(ProposalSupport.proposal_id).where(
                    ProposalSupport.household_id == viewer.id,
                    ProposalSupport.proposal_id.in_(ids),
                )
            )
        )
    items = answering_items(ids)
    photos = dict(
        db.session.execute(
            select(ProposalPhoto.proposal_id, func.count())
            .where(ProposalPhoto.proposal_id.in_(ids))
            .group_by(ProposalPhoto.proposal_id)
        ).all()
    )
    targets = {
        p.id: p
        for p in db.session.scalars(
            select(Proposal).where(
                Proposal.id.in_({p.merged_into_id for p in proposals if p.merged_into_id})
            )
        )
    }
    households = {}
    if with_households:
        households = {
            h.id: h
            for h in db.session.scalars(
                select(Household)
                .options(joinedload(Household.building), joinedload(Household.unit))
                .where(Household.id.in_({p.household_id for p in proposals if p.household_id}))
            )
        }
    return [
        ProposalCard(
            proposal=p,
            supports=counts.get(p.id, 0),
            supported=p.id in supported,
            items=items.get(p.id, []),
            merged_into=targets.get(p.merged_into_id),
            household=households.get(p.household_id),
            photos=photos.get(p.id, 0),
        )
        for p in proposals
    ]


def resident_sections(plan: Plan, household: Household) -> dict[str, list[ProposalCard]]:
    """The residents' page: the household's own proposals, then every proposal by status."""
    cards = proposal_cards(plan, viewer=household)
    sections = {"mine": [c for c in cards if c.proposal.household_id == household.id]}
    for status in SECTIONS:
        sections[status] = [c for c in cards if c.proposal.status == status]
    return sections


def proposal_card(proposal: Proposal, viewer: Household | None = None) -> ProposalCard:
    """One proposal with its count, what it became and its photos (detail pages)."""
    return _cards([proposal], viewer, with_households=viewer is None)[0]


def answering_items(proposal_ids: list[int]) -> dict[int, list[Item]]:
    """The items that answer each proposal (ItemProposal), in plan order."""
    if not proposal_ids:
        return {}
    found: dict[int, list[Item]] = {}
    rows = db.session.execute(
        select(ItemProposal.proposal_id, Item)
        .join(Item, ItemProposal.item_id == Item.id)
        .where(ItemProposal.proposal_id.in_(proposal_ids))
        .order_by(Item.position, Item.id)
    )
    for proposal_id, item in rows:
        found.setdefault(proposal_id, []).append(item)
    return found


def proposals_for_items(item_ids: list[int]) -> dict[int, list[Proposal]]:
    """The proposals each item took up (for the draft plan pages)."""
    if not item_ids:
        return {}
    found: dict[int, list[Proposal]] = {}
    rows = db.session.execute(
        select(ItemProposal.item_id, Proposal)
        .join(Proposal, ItemProposal.proposal_id == Proposal.id)
        .where(ItemProposal.item_id.in_(item_ids))
        .order_by(Proposal.id)
    )
    for item_id, proposal in rows:
        found.setdefault(item_id, []).append(proposal)
    return found


def merged_from(proposal: Proposal) -> list[Proposal]:
    """Proposals merged into this one."""
    return db.session.scalars(
        select(Proposal).where(Proposal.merged_into_id == proposal.id).order_by(Proposal.id)
    ).all()


def merge_targets(proposal: Proposal) -> list[Proposal]:
    """Proposals of the same plan this one may be merged into."""
    return db.session.scalars(
        select(Proposal)
        .where(
            Proposal.plan_id == proposal.plan_id,
            Proposal.id != proposal.id,
            Proposal.status.in_(("open", "accepted")),
        )
        .order_by(Proposal.id)
    ).all()


def plan_items(plan: Plan) -> list[Item]:
    """The plan's items in plan order."""
    return db.session.scalars(
        select(Item).where(Item.plan_id == plan.id).order_by(Item.position, Item.id)
    ).all()


def suggested_key(plan: Plan) -> str:
    """A free item key to offer: the next number after the plan's keys (A1, A2 → A3)."""
    keys = set(db.session.scalars(select(Item.key).where(Item.plan_id == plan.id)))
    n = len(keys) + 1
    while f"A{n}" in keys:
        n += 1
    return f"A{n}"


def photo_ids(proposal: Proposal) -> list[int]:
    """Ids of the proposal's photos, in upload order."""
    return db.session.scalars(
        select(ProposalPhoto.id)
        .where(ProposalPhoto.proposal_id == proposal.id)
        .order_by(ProposalPhoto.id)
    ).all()


def household_by_address(community_id: int, text: str) -> Household | None:
    """The community's household at a typed address (3号楼2单元301, 3-2-301); None when no
    household or several match."""
    found = households_at(community_id, text)
    return found[0] if len(found) == 1 else None
