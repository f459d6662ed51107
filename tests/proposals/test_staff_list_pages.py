"""The workers' proposal list in pages of 50: order by support across pages, search by the
proposer's address, filters kept in the page links."""

from app.extensions import db
from tests.conftest import post_form

ROW = '<span class="count"'


def _support(app, proposal_id, household_ids):
    """Households support a proposal through the real operation."""
    from app.communities.models import Household
    from app.proposals.models import Proposal
    from app.proposals.operations import support_proposal

    with app.test_request_context():
        proposal = db.session.get(Proposal, proposal_id)
        for hid in household_ids:
            support_proposal(proposal, db.session.get(Household, hid))
        db.session.commit()


def test_sixty_proposals_page_by_fifty_most_supported_first(app, world, make_proposal):
    ids = [make_proposal(None, source="survey", title=f"问卷提议{n:02d}") for n in range(60)]
    _support(app, ids[-1], world.households_a[:3])  # the newest is the most supported
    worker = world.staff_client("worker")
    first = worker.get(world.staff_url()).get_data(as_text=True)
    assert first.count(ROW) == 50 and "第 1 / 2 页，共 60 条" in first
    assert first.index("问卷提议59") < first.index("问卷提议00")
    second = worker.get(world.staff_url("?page=2")).get_data(as_text=True)
    assert second.count(ROW) == 10 and "问卷提议59" not in second and "问卷提议58" in second
    assert "共 60 条，按支持户数从多到少排列" in second


def test_search_by_the_proposers_address_and_filters_kept_in_page_links(app, world, make_proposal):
    h = world.households_a
    mine = make_proposal(h[0], title="楼顶漏水", category="basic")
    make_proposal(h[1], title="加装电梯", category="improvement")
    for n in range(55):
        make_proposal(None, source="survey", title=f"路面破损{n}", category="basic")
    worker = world.staff_client("worker")
    by_room = worker.get(world.staff_url("?q=1-1-101")).get_data(as_text=True)
    assert by_room.count(ROW) == 1 and "楼顶漏水" in by_room
    by_text = worker.get(world.staff_url("?q=1号楼1单元101")).get_data(as_text=True)
    assert by_text.count(ROW) == 1
    url = world.staff_url("?category=basic&q=路面")
    html = worker.get(url).get_data(as_text=True)
    assert "第 1 / 2 页，共 55 条" in html
    assert "?page=2&amp;category=basic&amp;q=%E8%B7%AF%E9%9D%A2" in html
    assert worker.get(url + "&page=2").get_data(as_text=True).count(ROW) == 5
    # Declining keeps the list working under a status filter with pages.
    post_form(
        worker,
        world.staff_url(f"/{mine}/decline"),
        {"reason": "不属于改造范围"},
        form_page=world.staff_url(),
    )
    declined = worker.get(world.staff_url("?status=declined")).get_data(as_text=True)
    assert declined.count(ROW) == 1 and "楼顶漏水" in declined
