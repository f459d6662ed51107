"""Batches of letters or ballots: prepare (read, generate codes or serials), render, then apply.

A batch is rendered before anything is written: the new codes and serials live only in memory
while the PDF is drawn, and are written in one short transaction afterwards, which also checks
that no other print changed the same households meanwhile. So a failed render changes nothing,
a written PDF never holds a code that does not work, and the database is not locked while
pages are drawn (progress can be committed alongside).
"""

import os
from collections.abc import Callable
from dataclasses import dataclass, field

from app.communities.models import Community, Household
from app.core.codes import format_code, generate_code
from app.extensions import db
from app.formats.pdf import Pen
from app.paper.serials import new_serial
from app.plans.models import Plan
from app.plans.queries import local_today
from app.printing.ballots import draw_ballot
from app.printing.letters import LetterData, draw_letter
from app.printing.queries import PlanBook, batch_households, issued_serials

Progress = Callable[[int], None]


@dataclass
class PreparedBatch:
    """What a batch prints and what it will write once printed."""

    kind: str  # letters or ballots
    plan_id: int
    title: str
    pages: list = field(default_factory=list)  # LetterData or BallotData, in household order
    # letters: household id -> (new code, code generation seen)
    codes: dict[int, tuple[str, int]] = field(default_factory=dict)
    # ballots: household id -> (new serial, id of the serial it replaces or None)
    serials: dict[int, tuple[str, int | None]] = field(default_factory=dict)

    @property
    def households(self) -> int:
        """How many households the batch covers."""
        return len(self.pages)


def sign_in_link(base_url: str, code: str) -> str:
    """The QR sign-in link of a code (the route accounts.qr_signin)."""
    return f"{base_url.rstrip('/')}/h/{code}"


def prepare_letters(
    plan: Plan, households: list[Household], *, base_url: str, contact: str = ""
) -> PreparedBatch:
    """Letters with fresh codes (not yet written) for the households."""
    community = db.session.get(Community, plan.community_id)
    batch = PreparedBatch("letters", plan.id, f"{community.name} 住户登录信")
    today = local_today()
    for household in households:
        code = generate_code()
        batch.codes[household.id] = (code, household.code_generation)
        batch.pages.append(
            LetterData(
                community=community.name,
                plan_title=plan.title,
                address=household.address_label,
                owner_name=household.owner_name,
                code=format_code(code),
                link=sign_in_link(base_url, code),
                site=base_url.rstrip("/"),
                voting_opens=plan.voting_opens,
                voting_closes=plan.voting_closes,
                contact=contact,
                printed_on=today,
                phase=plan.phase,
                proposals_closes=plan.proposals_closes,
            )
        )
    return batch


def prepare_ballots(plan: Plan, households: list[Household]) -> PreparedBatch:
    """Ballots with fresh serials (not yet written) for the households with items in scope."""
    community = db.session.get(Community, plan.community_id)
    book = PlanBook(plan)
    current = issued_serials(plan, (h.id for h in households))
    batch = PreparedBatch("ballots", plan.id, f"{community.name} {plan.title} 表决票")
    for household in households:
        if not book.items_for(household):
            continue  # nothing to vote on: no ballot
        serial = new_serial()
        old = current.get(household.id)
        batch.serials[household.id] = (serial, old.id if old else None)
        batch.pages.append(book.ballot(household, serial, community))
    return batch


def render(batch: PreparedBatch, target, progress: Progress | None = None) -> int:
    """Draw the batch into `target` (a path or a binary file); returns the page count."""
    pen = Pen(target, title=batch.title, subject="CoPlan")
    draw = draw_letter if batch.kind == "letters" else draw_ballot
    for page in batch.pages:
        draw(pen, page)
        if progress:
            progress(1)
    pen.save()
    return pen.pages


def render_to_file(batch: PreparedBatch, path: str, progress: Progress | None = None) -> int:
    """Render into `path` atomically (a temporary file renamed at the end); returns pages."""
    partial = f"{path}.partial"
    try:
        pages = render(batch, partial, progress)
        os.replace(partial, path)
    finally:
        if os.path.exists(partial):
            os.remove(partial)
    return pages


def prepare(plan: Plan, kind: str, *, building_id=None, unit_id=None, **options) -> PreparedBatch:
    """Read a batch's households and prepare its letters or ballots."""
    households = batch_households(plan, building_id, unit_id)
    if kind == "letters":
        return prepare_letters(plan, households, **options)
    return prepare_ballots(plan, households)
