"""A household edits or withdraws its own proposal, while proposals are open and before a worker
has answered it (accepted, linked to an item, merged or declined).

Like every operation: checks, changes, flushes, appends an audit event, never commits.
"""

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from app.communities.models import Household
from app.core.audit import log_event
from app.core.errors import DomainError
from app.core.vocabulary import PROPOSAL_STATUS_LABELS
from app.extensions import db
from app.plans.models import ItemProposal, Plan
from app.plans.phases import phase_allows
from app.proposals.models import Proposal, ProposalPhoto, ProposalSupport
from app.proposals.operations import _check_text, _clean
from app.proposals.photos import MAX_PHOTOS
from app.proposals.uploads import prepare_photos


def answered(proposal: Proposal) -> bool:
    """True once a worker has dealt with the proposal, or an item answers it."""
    if proposal.status != "open":
        return True
    linked = select(ItemProposal.id).where(ItemProposal.proposal_id == proposal.id).limit(1)
    return db.session.scalar(linked) is not None


def may_change(proposal: Proposal, household: Household | None, plan: Plan) -> bool:
    """True when this household may still edit or withdraw this proposal now."""
    return (
        household is not None
        and proposal.household_id == household.id
        and proposal.source == "resident"
        and phase_allows("household", "propose", plan.phase)
        and not answered(proposal)
    )


def _own_changeable(proposal: Proposal, household: Household) -> Plan:
    """The proposal's plan, or a refusal saying why the household cannot change it."""
    plan = db.session.get(Plan, proposal.plan_id)
    if proposal.household_id != household.id or proposal.source != "resident":
        raise DomainError(_l("只能修改或撤回您家自己提出的提议。"))
    if not phase_allows("household", "propose", plan.phase):
        raise DomainError(_l("征集提议已经结束，不能再修改或撤回提议。"))
    if answered(proposal):
        raise DomainError(
            _l(
                "工作人员已经处理了这条提议（%(status)s），不能再修改或撤回。",
                status=PROPOSAL_STATUS_LABELS[proposal.status],
            )
        )
    return plan


def _state(proposal: Proposal) -> dict:
    """What the audit trail records of a proposal's content."""
    return {
        "title": proposal.title,
        "body": proposal.body,
        "category": proposal.category,
        "photos": [{"id": p.id, "type": p.content_type, "size": p.size} for p in proposal.photos],
    }


def edit_proposal(
    proposal: Proposal,
    household: Household,
    *,
    title: str,
    body: str,
    category: str,
    remove_photo_ids=(),
    photos: list[tuple[str, bytes]] = (),
) -> Proposal:
    """Change the words, the category and the photos of the household's own open proposal."""
    _own_changeable(proposal, household)
    title, body = _clean(title), _clean(body)
    problems = _check_text(title, body, category)
    removing = {int(i) for i in remove_photo_ids}
    keep = [p for p in proposal.photos if p.id not in removing]
    photos = list(photos)
    if len(keep) + len(photos) > MAX_PHOTOS:
        problems.append(
            _l(
                "最多 %(max)d 张照片：保留 %(keep)d 张，还能再加 %(room)d 张。",
                max=MAX_PHOTOS,
                keep=len(keep),
                room=MAX_PHOTOS - len(keep),
            )
        )
        prepared = []
    else:
        prepared = prepare_photos(photos, problems)
    if problems:
        raise DomainError(*problems)
    before = _state(proposal)
    proposal.title, proposal.body, proposal.category = title, body, category
    for photo in [p for p in proposal.photos if p.id in removing]:
        proposal.photos.remove(photo)
    for content_type, data in prepared:
        proposal.photos.append(
            ProposalPhoto(
                community_id=proposal.community_id,
                content_type=content_type,
                size=len(data),
                data=data,
            )
        )
    db.session.flush()
    after = _state(proposal)
    if after != before:
        log_event(
            "proposal.edit",
            "proposal",
            proposal.id,
            community_id=proposal.community_id,
            before=before,
            after=after,
        )
    return proposal


def withdraw_proposal(proposal: Proposal, household: Household) -> None:
    """Take back the household's own open proposal: it, its photos and its supports go; the
    audit event keeps what it said. Refused when other proposals were merged into it."""
    _own_changeable(proposal, household)
    merged = select(Proposal.id).where(Proposal.merged_into_id == proposal.id).limit(1)
    if db.session.scalar(merged) is not None:
        raise DomainError(
            _l("已有别的提议合并到这条提议，不能撤回；如需撤回，请联系社区工作人员。")
        )
    supporters = db.session.scalars(
        select(ProposalSupport.household_id).where(ProposalSupport.proposal_id == proposal.id)
    ).all()
    before = {**_state(proposal), "status": proposal.status, "supporters": sorted(supporters)}
    db.session.execute(delete(ProposalSupport).where(ProposalSupport.proposal_id == proposal.id))
    db.session.delete(proposal)
    db.session.flush()
    log_event(
        "proposal.withdraw",
        "proposal",
        proposal.id,
        community_id=proposal.community_id,
        before=before,
    )
