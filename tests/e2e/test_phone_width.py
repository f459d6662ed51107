"""Every page each role can open fits a 360 px phone: nothing on it scrolls sideways.

The pages are not listed by hand: every GET route in the app's url_map is visited, its
arguments filled from a demo-like dataset (the demo community with its plan in voting, and a
second community whose plan has published results), so a page added later is walked too (or
the test says which argument it has no value for). A route that answers a redirect, 4xx or a
file (CSV, XLSX, PDF, ZIP, image, JSON) is not a page for that role and is skipped; a 500 fails.
On each page the document must be no wider than the screen, no table (.table-wrap) may hide
columns behind a sideways scroll of its own, and every control (buttons, fields, menus, button
links, links in tables) must be at least 44 px high; links inside running text are exempt.
"""

import re
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from app.extensions import db
from tests.e2e.conftest import PHONE

ROSTER = Path(__file__).resolve().parents[1] / "data" / "roster-example.csv"
WIDTH = 360
STAFF_PASSWORD = "coplan-demo-2026"  # app/demo/cli.py
ROLES = ("worker", "committee", "district", "admin")
# Pages whose useful state is in the query string, visited besides their bare URL.
QUERY_VARIANTS = {
    "voting.assisted": "household={household_id}",
    "voting.door_signup": "household={household_id}",
}

MEASURE = """() => {
  const doc = document.documentElement;
  const hidden = [...document.querySelectorAll('.table-wrap')]
    .filter(el => el.scrollWidth > el.clientWidth + 1)
    .map(el => (el.querySelector('table') || el).className || 'table');
  const controls = 'main button, main select, main input:not([type=hidden]):not([type=checkbox])'
    + ':not([type=radio]), main textarea, main summary, main a.button, header a, header button,'
    + ' nav a, td a, th a';
  const small = [...document.querySelectorAll(controls)]
    .filter(el => { const r = el.getBoundingClientRect();
                    return r.width > 0 && r.height > 0 && r.height < 43.5; })
    .map(el => el.tagName.toLowerCase() + (el.className ? '.' + el.className : '')
               + ' "' + (el.innerText || el.name || '').trim().slice(0, 12) + '" '
               + Math.round(el.getBoundingClientRect().height) + 'px');
  return {width: doc.scrollWidth, hidden: hidden, small: [...new Set(small)]};
}"""


def _ids(community_id: int, plan_id: int) -> dict:
    """Ids of one community's records that routes take as arguments."""
    from app.accounts.models import User
    from app.communities.models import Building, Household, RosterUpload
    from app.funding.models import Payment
    from app.paper.models import PaperEntry
    from app.plans.models import Item, ItemOption
    from app.printing.models import PrintJob
    from app.proposals.models import Proposal, ProposalPhoto
    from app.settlement.models import ChangeOrder
    from app.works.models import IssueReport, Works, WorksSupervisor

    def first(column, *where):
        return db.session.scalar(select(column).where(*where).order_by(column).limit(1))

    mismatch = first(
        PaperEntry.household_id, PaperEntry.plan_id == plan_id, PaperEntry.status == "mismatch"
    )
    return {
        "community_id": community_id,
        "plan_id": plan_id,
        # The item with options (方案比选) when the plan has one, so its option pages are walked.
        "item_id": first(ItemOption.item_id, ItemOption.community_id == community_id)
        or first(Item.id, Item.plan_id == plan_id),
        "option_id": first(ItemOption.id, ItemOption.community_id == community_id),
        "household_id": mismatch or first(Household.id, Household.community_id == community_id),
        "building_id": first(Building.id, Building.community_id == community_id),
        "payment_id": first(Payment.id, Payment.plan_id == plan_id),
        "job_id": first(
            PrintJob.id, PrintJob.plan_id == plan_id, PrintJob.kind.in_(("letters", "ballots"))
        ),
        "export_job_id": first(PrintJob.id, PrintJob.plan_id == plan_id, PrintJob.kind == "export"),
        "archive_job_id": first(
            PrintJob.id, PrintJob.plan_id == plan_id, PrintJob.kind == "archive"
        ),
        "proposal_id": first(Proposal.id, Proposal.plan_id == plan_id),
        "opt_in_id": first(Item.id, Item.plan_id == plan_id, Item.kind == "opt_in"),
        "photo_id": first(ProposalPhoto.id, ProposalPhoto.community_id == community_id),
        "upload_id": first(RosterUpload.id, RosterUpload.community_id == community_id),
        "user_id": first(User.id, User.role == "worker"),  # an account others may manage
        "change_id": first(ChangeOrder.id, ChangeOrder.plan_id == plan_id),
        "export": "roster",
        "fmt": "csv",
        "works_id": first(Works.id, Works.plan_id == plan_id),
        "issue_id": first(IssueReport.id, IssueReport.plan_id == plan_id),
        "supervisor_id": first(WorksSupervisor.id, WorksSupervisor.community_id == community_id),
    }


@pytest.fixture
def door_world(app):
    """The demo (plan in voting, paper ballots in review, deliveries, a proposal, a payment), a
    second community of the same district whose plan has its preliminary result published, and
    the demo's community in the works (app.demo.works: log with photos, a supervisor, an issue
    report)."""
    from app.accounts.models import Membership, User
    from app.accounts.operations import create_user
    from app.communities.codes import issue_codes
    from app.communities.models import Community, Household, RosterUpload
    from app.demo.cli import seed_demo, seed_works_community
    from app.funding.payments import record_payment
    from app.paper.keying import Keying
    from app.paper.operations import enter_paper_ballot, record_delivery
    from app.plans.models import Plan
    from app.plans.queries import items_for_household
    from app.plans.workflow import close_voting
    from app.printing.batches import prepare_ballots
    from app.printing.models import PrintJob
    from app.printing.operations import apply_batch
    from app.proposals.models import Proposal, ProposalPhoto
    from app.settlement.changes import draft_change
    from app.tally.operations import publish_preliminary, record_objection
    from app.voting.operations import cast_online_ballot
    from app.works.queries import public_token
    from tests.reliability.conftest import build_plan

    with app.test_request_context():
        demo, issued, _created = seed_demo()
        demo_id = demo.id
        demo_household_id, demo_code = issued[0][0].id, issued[0][1]
        works_community, works_issued = seed_works_community()  # commits
        works_id = works_community.id
        works_code = works_issued[1][1]  # the household that reported the open issue
        db.session.refresh(demo)
    result = build_plan(app, "voting")
    with app.test_request_context():
        users = {u.role: u for u in db.session.scalars(select(User))}
        second = create_user("demo-worker-2", STAFF_PASSWORD, "worker", communities=[demo])
        for role in ("worker", "committee"):
            db.session.add(Membership(user_id=users[role].id, community_id=result["community_id"]))
        for cid in (demo_id, result["community_id"]):
            db.session.add(
                RosterUpload(
                    community_id=cid,
                    user_id=users["admin"].id,
                    filename="roster.csv",
                    sha256="0" * 64,
                    data=ROSTER.read_bytes(),
                )
            )

        # The demo plan: ballots printed for the first households, two keyings that disagree
        # on one of them, deliveries, a proposal with a photo, a print job and a payment.
        plan = db.session.scalar(select(Plan).where(Plan.community_id == demo_id))
        households = db.session.scalars(
            select(Household).where(Household.community_id == demo_id).order_by(Household.id)
        ).all()
        apply_batch(plan, prepare_ballots(plan, households[:3]), actor="test")
        keys = [i.key for i in items_for_household(plan, households[1])]
        for user, mark in ((users["worker"], "agree"), (second, "oppose")):
            enter_paper_ballot(plan, households[1], Keying({k: mark for k in keys}), user=user)
        for household in households[3:8]:
            record_delivery(plan, household, "in_person", users["worker"])
        proposal = Proposal(
            community_id=demo_id,
            plan_id=plan.id,
            household_id=households[0].id,
            title="3号楼加装电梯，老人上下楼太难了，希望尽快安排勘察",
            body="我家住六楼，父母八十多岁。",
            category="improvement",
        )
        db.session.add(proposal)
        db.session.flush()
        db.session.add(
            ProposalPhoto(
                community_id=demo_id,
                proposal_id=proposal.id,
                content_type="image/png",
                size=1,
                data=b"x",
            )
        )
        db.session.add(
            PrintJob(community_id=demo_id, plan_id=plan.id, kind="ballots", status="failed")
        )
        db.session.add(
            PrintJob(community_id=demo_id, plan_id=plan.id, kind="archive", status="running")
        )
        db.session.add(
            PrintJob(
                community_id=demo_id,
                plan_id=plan.id,
                kind="export",
                target="tally.xlsx",
                status="queued",
            )
        )
        # An opt-in item (户内自选) on both plans, with sign-ups, for the sign-up pages.
        from app.plans.models import Item
        from app.voting.models import OptInSignup

        for p in (plan, db.session.get(Plan, result["plan_id"])):
            optin = Item(
                community_id=p.community_id,
                plan_id=p.id,
                key="Z9",
                position=99,
                title="入户电线改造（户内自选）",
                category="improvement",
                kind="opt_in",
                price_fen=180_000,
                subsidy_fen=50_000,
                min_uptake=2,
            )
            db.session.add(optin)
            db.session.flush()
            db.session.add(
                OptInSignup(
                    community_id=p.community_id,
                    item_id=optin.id,
                    household_id=households[0].id if p is plan else result_first(p),
                    decision="join",
                    channel="door",
                )
            )
        voter = households[20]
        item = items_for_household(plan, voter)[0]
        record_payment(
            plan,
            voter,
            item,
            amount_fen=100,
            paid_on=date.today(),
            method="cash",
            receipt_no="R-1",
            user=users["worker"],
        )
        # A change order (设计变更) with every household's share before and after.
        draft_change(item, reason="增加无障碍坡道", cost_change_fen=50_000, user=users["worker"])

        # The second community: ballots from most households, voting closed, result published.
        rplan = db.session.get(Plan, result["plan_id"])
        rhouseholds = db.session.scalars(
            select(Household).where(Household.community_id == rplan.community_id)
        ).all()
        for n, household in enumerate(rhouseholds[1:]):
            items = items_for_household(rplan, household)
            choice = ("agree", "agree", "oppose", "abstain")[n % 4]
            cast_online_ballot(rplan, household, {i.id: choice for i in items}, set(), f"r-{n}")
        close_voting(rplan, "表决期满")
        publish_preliminary(rplan)
        record_objection(rplan, "3号楼面积登记有误，请核实。", item=rplan.items[0])
        result_code = dict(
            (h.id, code) for h, code in issue_codes(db.session.get(Community, rplan.community_id))
        )[rhouseholds[0].id]
        signed_in = db.session.get(Household, demo_household_id)  # has voted: its receipt page
        receipt = cast_online_ballot(
            plan,
            signed_in,
            {i.id: "agree" for i in items_for_household(plan, signed_in)},
            set(),
            "door-world",
        ).receipt
        db.session.commit()
        wplan = db.session.scalar(select(Plan).where(Plan.community_id == works_id))
        places = [
            _ids(demo_id, plan.id),
            _ids(rplan.community_id, rplan.id),
            _ids(works_id, wplan.id),
        ]
        places[2]["key"] = public_token(places[2]["works_id"])
        db.session.remove()
    # The works community has the works' ids; the others borrow them (answering 404 there).
    for name in ("works_id", "issue_id", "supervisor_id", "key"):
        places[0][name] = places[1][name] = places[2][name]
    assert all(v is not None for v in places[0].values()), places[0]
    # The results plan has no payment, print job or proposal: the demo's ids answer 404 there.
    for place in places[1:]:
        place.update({k: places[0][k] for k, v in place.items() if v is None})
    return {
        "places": places,
        "households": {
            "household-voting": (demo_code, places[0], receipt),
            "household-results": (result_code, places[1], None),
            "household-works": (works_code, places[2], None),
        },
    }


def result_first(plan) -> int:
    """The first household of a plan's community (by id)."""
    from app.communities.models import Household

    return db.session.scalar(
        select(Household.id)
        .where(Household.community_id == plan.community_id)
        .order_by(Household.id)
        .limit(1)
    )


def _get_rules(app):
    """Every GET route but static files."""
    return sorted(
        (r for r in app.url_map.iter_rules() if "GET" in r.methods and r.endpoint != "static"),
        key=lambda r: r.rule,
    )


def _urls(app, places: list[dict], extra: dict) -> list[tuple[str, str]]:
    """(endpoint, url) of every GET route, once per community and plan it takes."""
    found = []
    for rule in _get_rules(app):
        targets = places if rule.arguments & {"community_id", "plan_id"} else places[:1]
        seen = set()
        for place in targets:
            values = {**place, **extra}
            missing = rule.arguments - values.keys()
            assert not missing, f"{rule.endpoint}: no value for {missing}; add one to door_world"
            url = re.sub(r"<(?:\w+:)?(\w+)>", lambda m, v=values: str(v[m.group(1)]), rule.rule)
            variant = QUERY_VARIANTS.get(rule.endpoint)
            for u in (url, f"{url}?{variant.format(**values)}" if variant else None):
                if u and u not in seen:
                    seen.add(u)
                    found.append((rule.endpoint, u))
    return found


def _offence(url: str, endpoint: str, measured: dict) -> str:
    """One line naming the page and what does not fit."""
    line = f"{url} ({endpoint}): {measured['width']} px wide"
    if measured["hidden"]:
        line += f"; a table scrolls sideways: {measured['hidden']}"
    if measured["small"]:
        line += f"; tap targets under 44 px: {measured['small'][:5]}"
    return line


def _walk(browser, live_server, urls, sign_in) -> tuple[list[str], list[str], list[str]]:
    """Visit each URL at 360 px; (pages checked, offenders, server errors)."""
    context = browser.new_context(
        base_url=live_server, **{**PHONE, "viewport": {"width": WIDTH, "height": 740}}
    )
    context.set_default_timeout(30_000)
    page = context.new_page()
    checked, offenders, errors = [], [], []
    try:
        sign_in(page)
        for endpoint, url in urls:
            response = context.request.get(url, max_redirects=0)
            kind = response.headers.get("content-type", "")
            if response.status >= 500:
                errors.append(f"{url} ({endpoint}): {response.status}")
            if response.status != 200 or not kind.startswith("text/html"):
                continue
            page.goto(url)
            measured = page.evaluate(MEASURE)
            checked.append(url)
            if measured["width"] > WIDTH or measured["hidden"] or measured["small"]:
                offenders.append(_offence(url, endpoint, measured))
    finally:
        context.close()
    return checked, offenders, errors


def _staff_sign_in(username: str):
    def sign_in(page):
        page.goto("/staff/signin")
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码").fill(STAFF_PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(re.compile(r"/(staff/|district)"))

    return sign_in


def _household_sign_in(code: str):
    def sign_in(page):
        page.goto(f"/h/{code}")
        page.wait_for_url(re.compile(r"/home$"))

    return sign_in


@pytest.mark.parametrize(
    "who", [*ROLES, "household-voting", "household-results", "household-works"]
)
def test_every_page_fits_a_360px_phone(app, browser, live_server, door_world, who):
    households = door_world["households"]
    # A QR link of another household: the page that asks before switching.
    extra = {"token": households["household-voting"][0], "receipt": "NONE"}
    if who in ROLES:
        sign_in = _staff_sign_in(f"demo-{who}")
    else:
        code, _place, receipt = households[who]
        sign_in = _household_sign_in(code)
        other = "household-results" if who == "household-voting" else "household-voting"
        extra = {"token": households[other][0], "receipt": receipt or "NONE"}
    urls = _urls(app, door_world["places"], extra)
    checked, offenders, errors = _walk(browser, live_server, urls, sign_in)
    print(f"\n{who}: {len(checked)} pages at {WIDTH} px:\n  " + "\n  ".join(checked))
    assert not errors, errors
    assert len(checked) >= (20 if who in ("worker", "admin") else 4), checked
    assert not offenders, f"{who}: pages that do not fit {WIDTH} px:\n" + "\n".join(offenders)


def test_worker_at_the_door_calls_and_records_an_assisted_ballot_from_the_list(phone, door_world):
    """The non-voter list on a phone: each household a card with its phone as a tel: link and a
    button that opens the assisted ballot for that very household."""
    from playwright.sync_api import expect

    place = door_world["places"][0]
    _staff_sign_in("demo-worker")(phone.page)
    page = phone.page
    page.goto(f"/c/{place['community_id']}/plans/{place['plan_id']}/non-voters")
    card = page.locator("table.nonvoters tbody tr").filter(has=page.locator("a.tel")).first
    expect(card.locator("a.tel").first).to_have_attribute("href", re.compile(r"^tel:\d{11}$"))
    room = card.locator("th").inner_text()
    owner = card.locator("td.head").inner_text()
    box = card.get_by_role("button", name="登记送达").bounding_box()
    assert box["x"] + box["width"] <= 390 and box["height"] >= 44, box
    phone.shot("non-voters")
    card.get_by_role("link", name=re.compile("上门代填表决")).click()
    expect(page).to_have_url(re.compile(r"/assisted\?household=\d+$"))
    expect(page.get_by_role("heading", level=2)).to_contain_text(room)
    expect(page.get_by_role("heading", level=2)).to_contain_text(owner)
    phone.shot("assisted")
