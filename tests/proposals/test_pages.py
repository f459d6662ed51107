"""Proposal pages: a resident proposes with photos, supports with one tap, reads what became of
each proposal; workers filter, add, merge, accept and decline."""

import io
import re

from PIL import Image
from sqlalchemy import func, select

from app.core.audit import AuditEvent
from app.extensions import db
from app.proposals.models import Proposal, ProposalPhoto, ProposalSupport
from app.proposals.photos import MAX_SIDE, MAX_STORED_BYTES
from tests.conftest import post_form
from tests.proposals.conftest import image_bytes

MB = 1024 * 1024


def upload(data: bytes, name: str, mimetype: str = "image/jpeg"):
    """One file for a multipart form."""
    return (io.BytesIO(data), name, mimetype)


def propose(client, photos=(), title="单元门禁坏了", category="improvement"):
    """Post the residents' form."""
    return post_form(
        client,
        "/proposals/new",
        {"title": title, "body": "门禁一直开着。", "category": category, "photos": list(photos)},
        content_type="multipart/form-data",
    )


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(model.id)))


def test_form_explains_the_three_categories_in_plain_words(world):
    html = (
        world.household_client(world.households_a[0]).get("/proposals/new").get_data(as_text=True)
    )
    for label, example in (("基础类", "屋顶漏水"), ("完善类", "加装电梯"), ("提升类", "快递驿站")):
        assert label in html and example in html
    assert html.count('type="radio"') == 3
    assert 'accept="image/jpeg,image/png,image/webp"' in html
    assert 'enctype="multipart/form-data"' in html


def test_resident_proposes_with_photos_and_sees_it_among_their_own(app, world):
    client = world.household_client(world.households_a[0])
    response = propose(
        client,
        [
            upload(image_bytes("JPEG"), "门禁.jpg"),
            upload(image_bytes("WEBP"), "b.webp", "image/webp"),
        ],
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/proposals#mine")
    html = client.get("/proposals").get_data(as_text=True)
    mine = html.split('id="mine"')[1].split("</section>")[0]
    assert "单元门禁坏了" in mine and "征集中" in mine and "您家提出的" in mine
    with app.app_context():
        proposal = db.session.scalar(select(Proposal))
        photos = db.session.scalars(select(ProposalPhoto).order_by(ProposalPhoto.id)).all()
        assert [p.content_type for p in photos] == ["image/jpeg", "image/webp"]
        assert proposal.household_id == world.households_a[0]
    detail = client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    assert detail.count('class="prop-photo"') == 2
    photo = client.get(f"/proposals/photos/{photos[0].id}")
    assert photo.status_code == 200 and photo.mimetype == "image/jpeg"
    assert photo.data[:3] == b"\xff\xd8\xff" and "private" in photo.headers["Cache-Control"]


def test_sending_the_same_proposal_twice_records_it_once(app, world):
    client = world.household_client(world.households_a[0])
    assert propose(client).status_code == 302
    assert propose(client).status_code == 302  # double tap, or a resent form
    assert count(app, Proposal) == 1
    assert propose(client, title="另一件事").status_code == 302
    assert count(app, Proposal) == 2


def test_a_fourth_photo_is_refused_and_nothing_is_saved(app, world):
    client = world.household_client(world.households_a[0])
    response = propose(client, [upload(image_bytes("JPEG"), f"{n}.jpg") for n in range(4)])
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "最多只能上传 3 张照片，您选了 4 张" in html
    assert "单元门禁坏了" in html  # what was typed is kept
    assert count(app, Proposal) == 0 and count(app, ProposalPhoto) == 0


def test_a_non_image_is_refused_with_a_clear_message_whatever_its_name(app, world):
    client = world.household_client(world.households_a[0])
    response = propose(client, [upload(b"%PDF-1.4 not a photo", "photo.jpg")])
    assert response.status_code == 422
    assert "第 1 张照片（photo.jpg）不是 JPEG、PNG 或 WebP 格式的图片" in response.get_data(
        as_text=True
    )
    response = propose(client, [upload(b"\xff\xd8\xff\xe0" + b"x" * 500, "fake.jpg")])
    assert "打不开" in response.get_data(as_text=True)
    assert count(app, Proposal) == 0
    # The bytes decide the type, not the name: a PNG called .jpg is kept as a PNG.
    assert propose(client, [upload(image_bytes("PNG"), "misnamed.jpg")]).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(ProposalPhoto.content_type)) == "image/png"


def test_photo_over_five_megabytes_is_shrunk_not_refused(app, world):
    client = world.household_client(world.households_a[0])
    big = image_bytes("JPEG", size=(4000, 3000)) + b"\0" * (7 * MB)  # a phone's full-size photo
    response = propose(client, [upload(big, "big.jpg")])
    assert response.status_code == 302
    with app.app_context():
        stored = db.session.scalar(select(ProposalPhoto))
        assert stored.size == len(stored.data) < MAX_STORED_BYTES
        with Image.open(io.BytesIO(stored.data)) as image:
            assert max(image.size) == MAX_SIDE


def test_a_photo_over_twelve_megabytes_is_refused_by_name(app, world):
    client = world.household_client(world.households_a[0])
    huge = image_bytes("JPEG") + b"\0" * (12 * MB)
    response = propose(client, [upload(huge, "huge.jpg")])
    assert response.status_code == 422 and "超过 12 MB" in response.get_data(as_text=True)
    assert count(app, Proposal) == 0


def test_three_photos_near_the_limit_fit_in_one_request(app, world):
    # 3 × 11 MB is far over the site-wide 10 MB body limit; the proposal form allows it.
    assert app.config["MAX_CONTENT_LENGTH"] < 3 * 11 * MB
    client = world.household_client(world.households_a[0])
    photo = image_bytes("JPEG") + b"\0" * (11 * MB)
    response = propose(client, [upload(photo, f"{n}.jpg") for n in range(3)])
    assert response.status_code == 302
    assert count(app, ProposalPhoto) == 3


def test_a_request_over_the_upload_limit_says_how_much_fits(app, world):
    client = world.household_client(world.households_a[0])
    photo = image_bytes("JPEG") + b"\0" * (11 * MB)
    response = propose(client, [upload(photo, f"{n}.jpg") for n in range(4)])
    html = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "一次最多上传 37 MB（3 张照片，每张不超过 12 MB）" in html
    assert count(app, Proposal) == 0


def test_one_tap_support_counts_once_and_can_be_withdrawn(app, world, make_proposal):
    pid = make_proposal(world.households_a[0])
    client = world.household_client(world.households_a[1])
    html = client.get("/proposals").get_data(as_text=True)
    assert f'action="/proposals/{pid}/support"' in html and "1</strong> 户支持" in html
    for _ in range(2):
        response = post_form(client, f"/proposals/{pid}/support", form_page="/proposals")
        assert response.status_code == 302 and response.headers["Location"].endswith(f"#p{pid}")
    html = client.get("/proposals").get_data(as_text=True)
    assert "2</strong> 户支持" in html and f'action="/proposals/{pid}/withdraw"' in html
    with app.app_context():
        supports = select(func.count()).where(AuditEvent.action == "proposal.support")
        assert db.session.scalar(supports) == 1
    post_form(client, f"/proposals/{pid}/withdraw", {"back": "detail"}, form_page="/proposals")
    assert count(app, ProposalSupport) == 1


def test_support_needs_a_csrf_token(app, world, make_proposal):
    pid = make_proposal(world.households_a[0])
    client = world.household_client(world.households_a[1])
    assert client.post(f"/proposals/{pid}/support").status_code == 400
    assert (
        client.post("/proposals/new", data={"title": "x", "category": "basic"}).status_code == 400
    )
    assert count(app, ProposalSupport) == 1 and count(app, Proposal) == 1


def test_decline_reason_is_shown_to_the_proposer(app, world, make_proposal):
    pid = make_proposal(world.households_a[0], title="小区门口修个喷泉")
    worker = world.staff_client("worker")
    response = post_form(
        worker,
        world.staff_url(f"/{pid}/decline"),
        {"reason": "维护费用高，本次改造资金不足。"},
        form_page=world.staff_url(f"/{pid}"),
    )
    assert response.status_code == 302
    html = world.household_client(world.households_a[0]).get("/proposals").get_data(as_text=True)
    mine = html.split('id="mine"')[1].split("</section>")[0]
    assert (
        "小区门口修个喷泉" in mine and "未采纳" in mine and "维护费用高，本次改造资金不足。" in mine
    )


def test_decline_without_a_reason_is_refused(app, world, make_proposal):
    pid = make_proposal(world.households_a[0])
    worker = world.staff_client("worker")
    response = post_form(
        worker, world.staff_url(f"/{pid}/decline"), {"reason": ""}, form_page=world.staff_url()
    )
    assert response.status_code == 422 and "请写明不采纳的原因" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Proposal, pid).status == "open"


def test_accepted_and_merged_proposals_say_what_became_of_them(app, world, make_proposal):
    keep = make_proposal(world.households_a[0], title="加装电梯")
    dup = make_proposal(world.households_a[1], title="装个电梯")
    worker = world.staff_client("worker")
    detail = world.staff_url(f"/{keep}")
    assert 'value="A1"' in worker.get(detail).get_data(as_text=True)  # a free key is offered
    post_form(
        worker,
        world.staff_url(f"/{keep}/accept"),
        {"key": "B2", "title": "2单元加装电梯", "category": "improvement"},
        form_page=detail,
    )
    post_form(
        worker,
        world.staff_url(f"/{dup}/merge"),
        {"target": keep, "confirmed": "1"},
        form_page=detail,
    )
    html = world.household_client(world.households_a[1]).get("/proposals").get_data(as_text=True)
    assert "已纳入改造方案：<strong>B2 2单元加装电梯</strong>" in html
    assert f'href="/proposals/{keep}">加装电梯</a>' in html  # the merged one points to the kept one
    assert "2</strong> 户支持" in html


def test_worker_list_filters_searches_and_sorts_by_support(app, world, make_proposal):
    h = world.households_a
    few = make_proposal(h[0], title="修路灯", category="basic")
    many = make_proposal(h[1], title="建快递驿站", category="enhancement")
    client_a = world.household_client(h[2])
    post_form(client_a, f"/proposals/{many}/support", form_page="/proposals")
    worker = world.staff_client("worker")
    html = worker.get(world.staff_url()).get_data(as_text=True)
    assert html.index("建快递驿站") < html.index("修路灯")
    assert "1号楼1单元101" in html  # workers see who proposed
    filtered = worker.get(world.staff_url("?category=basic")).get_data(as_text=True)
    assert "修路灯" in filtered and "建快递驿站" not in filtered
    searched = worker.get(world.staff_url("?q=驿站")).get_data(as_text=True)
    assert "建快递驿站" in searched and "修路灯" not in searched
    post_form(
        worker, world.staff_url(f"/{few}/decline"), {"reason": "重复"}, form_page=world.staff_url()
    )
    declined = worker.get(world.staff_url("?status=declined")).get_data(as_text=True)
    assert "修路灯" in declined and "建快递驿站" not in declined
    # District staff read the list, without the households' addresses.
    district = world.staff_client("district").get(world.staff_url()).get_data(as_text=True)
    assert "建快递驿站" in district and "1号楼1单元" not in district


def test_worker_adds_a_door_to_door_proposal_for_a_household(app, world):
    worker = world.staff_client("worker")
    url = world.staff_url("/new")
    data = {"source": "door_to_door", "title": "一楼返潮", "category": "basic"}
    response = post_form(worker, url, {**data, "household": "9号楼1单元101"})
    assert response.status_code == 422 and "找不到住户" in response.get_data(as_text=True)
    response = post_form(worker, url, {**data, "household": "1-1-101"})  # shorthand, as in search
    assert response.status_code == 302
    with app.app_context():
        proposal = db.session.scalar(select(Proposal))
        assert (proposal.source, proposal.household_id) == ("door_to_door", world.households_a[0])
        assert proposal.entered_by_id is not None
    html = world.household_client(world.households_a[0]).get("/proposals").get_data(as_text=True)
    assert "一楼返潮" in html.split('id="mine"')[1] and "入户走访" in html


def test_merge_target_from_another_community_changes_nothing(app, world, make_proposal):
    pa = make_proposal(world.households_a[0])
    pb = make_proposal(world.households_b[0], plan_id=world.plan_b)
    worker = world.staff_client("worker")
    response = post_form(
        worker, world.staff_url(f"/{pa}/merge"), {"target": pb}, form_page=world.staff_url()
    )
    assert response.status_code == 422
    with app.app_context():
        assert db.session.get(Proposal, pa).status == "open"


def test_community_entry_goes_to_the_current_plan(app, world, factory):
    worker = world.staff_client("worker")
    response = worker.get(f"/c/{world.a}/proposals")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(world.staff_url())
    menu = worker.get(world.staff_url()).get_data(as_text=True)
    assert f'href="/c/{world.a}/proposals"' in menu


FORM_RE = re.compile(r"<form\b[^>]*>.*?</form>", re.S)


def post_forms(html: str) -> list[str]:
    """Every POST form of a page."""
    return [f for f in FORM_RE.findall(html) if re.search(r'method="post"', f, re.I)]


def test_every_post_form_carries_a_csrf_token(app, world, make_proposal):
    pid = make_proposal(world.households_a[0], photos=[("a.jpg", image_bytes("JPEG"))])
    make_proposal(world.households_a[1], title="另一条")
    pages = {
        world.household_client(world.households_a[2]): [
            "/proposals",
            "/proposals/new",
            f"/proposals/{pid}",
        ],
        world.staff_client("worker"): [
            world.staff_url(),
            world.staff_url("/new"),
            world.staff_url(f"/{pid}"),
        ],
    }
    seen = 0
    for client, urls in pages.items():
        for url in urls:
            html = client.get(url).get_data(as_text=True)
            for form in post_forms(html):
                assert re.search(r'name="csrf_token"[^>]*value="[^"]+"', form), (url, form[:200])
                seen += 1
    # language + sign-out on each of 6 pages, support buttons, the two proposal forms, and
    # the worker's four decisions.
    assert seen >= 12 + 2 + 2 + 4


def test_a_household_may_propose_ten_times_an_hour(app, world):
    """Each proposal may carry photos that take seconds to shrink: a limit per household."""
    client = world.household_client(world.households_a[0])
    statuses = [propose(client, title=f"第{n}条提议").status_code for n in range(11)]
    assert statuses[:10] == [302] * 10 and statuses[10] == 429
