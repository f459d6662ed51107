"""Results pages, tally JSON and CLI, delivery, permissions and tenancy."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.communities.codes import issue_codes
from app.core.audit import AuditEvent
from app.extensions import db
from app.paper.models import Delivery
from app.plans.queries import local_today
from tests.conftest import post_form, sign_in_staff


@pytest.fixture
def voting(app, build, factory):
    """A community voting on A1 (whole community) and B1 (3号楼 2单元), with a split owner,
    a conflict and a blank; a worker, a committee member and district staff. Returns ids."""
    with build() as estate:
        today = local_today()
        plan = estate.plan(voting_opens=today - timedelta(3), voting_closes=today + timedelta(3))
        estate.item(plan, "A1", rule="cc278_ordinary", title="外墙保温")
        estate.item(plan, "B1", rule="cc278_major", scope=[("3号楼", "2单元")], title="加装电梯")
        x1 = estate.household("50", owner="X", building="3号楼", unit="2单元", room="301")
        x2 = estate.household("50", owner="X", building="1号楼", room="101")
        y = estate.household("100", building="3号楼", unit="2单元", room="302")
        z = estate.household("80", building="1号楼", room="102")
        estate.ballot(plan, x1, {"A1": "agree", "B1": "agree"})
        estate.ballot(plan, x2, {"A1": "oppose"}, channel="paper", conflict=True)
        estate.ballot(plan, y, {"A1": "agree", "B1": None})
        ids = {"cid": estate.cid, "pid": plan.id, "x1": x1.id, "z": z.id}
        ids["items"] = {i.key: i.id for i in plan.items}
    factory.user("worker1", "worker", communities=[estate.cid])
    factory.user("committee1", "committee", communities=[estate.cid])
    factory.user("district1", "district", district="滨城区")
    return ids


def url(ids, tail=""):
    """A plan URL of the voting community."""
    return f"/c/{ids['cid']}/plans/{ids['pid']}{tail}"


def test_dashboard_shows_turnout_items_reasons_and_conflicts(client, voting):
    sign_in_staff(client, "worker1")
    html = client.get(url(voting, "/results")).get_data(as_text=True)
    assert "临时结果" in html
    assert "外墙保温" in html and "加装电梯" in html
    # A1: 3 owners, X split 1/2 agree + 1/2 oppose; Y agrees: agree 3/2 heads of 2 participating.
    assert "1.5" in html and "1又1/2" not in html  # headcounts as decimals on pages
    # B1 fails on agreement: the one-sentence reason names what, of whom, the bound and the value
    b1 = "目前未通过：同意的人数和面积未达到参与表决业主的四分之三以上（按人数 50.0%，按面积 33.3%"
    assert b1 in html
    assert "占全体业主" in html and "占参与表决业主的比例" in html
    assert "3号楼" in html and "2单元" in html and "<meter" in html
    assert "未达到" in html  # B1: 1 of 2 heads agree, 3/4 needed
    assert "1号楼1单元101" in html  # the conflict list
    assert "纸质票优先" in html
    assert f"/items/{voting['items']['B1']}/explain" in html
    assert "style=" not in html and "<script" not in html


def test_tally_json_url_serves_the_cli_document(app, client, voting):
    sign_in_staff(client, "committee1")
    response = client.get(url(voting, "/tally.json"))
    assert response.status_code == 200 and response.mimetype == "application/json"
    doc = response.get_json()
    runner = app.test_cli_runner()
    cli = runner.invoke(args=["tally", str(voting["pid"]), "--json"])
    assert cli.exit_code == 0, cli.output
    printed = json.loads(cli.output)
    doc.pop("generated_at"), printed.pop("generated_at")
    assert doc == printed
    assert doc["plan"]["policies"]["non_voter_policy"] == "none"
    assert doc["ballots"] == {
        "effective": 3,
        "by_channel": {"online": 2, "paper": 1, "assisted": 0},
        "conflicts": 1,
        "awaiting_entry": 0,
    }
    a1 = next(i for i in doc["items"] if i["key"] == "A1")
    assert a1["electorate"] == {"owners": 3, "area": 280, "households": 4}
    assert a1["agree"] == {"owners": 1.5, "owners_exact": "3/2", "area": 150, "households": 2}
    assert a1["oppose"] == {"owners": 0.5, "owners_exact": "1/2", "area": 50, "households": 1}
    assert (a1["quorum_met"], a1["approved"], a1["passed"]) == (True, True, True)
    b1 = next(i for i in doc["items"] if i["key"] == "B1")
    assert b1["abstain"] == {"owners": 1, "area": 100, "households": 1}  # Y left B1 blank
    assert b1["passed"] is False and b1["scoped"] is True
    assert doc["provisional"] is True


def test_cli_text_output_and_unknown_plan(app, voting):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["tally", str(voting["pid"])])
    assert result.exit_code == 0 and "A1" in result.output and "PASSED" in result.output
    missing = runner.invoke(args=["tally", "999999", "--json"])
    assert missing.exit_code == 1 and "no plan with id 999999" in missing.output


def test_explain_page_reads_the_arithmetic_aloud(client, voting):
    sign_in_staff(client, "worker1")
    html = client.get(url(voting, f"/items/{voting['items']['A1']}/explain")).get_data(as_text=True)
    assert "共 4 户，属于 3 位业主" in html
    assert "只算一人" in html  # X's two households
    assert "达到表决范围内全体业主的三分之二以上" in html
    assert "超过参与表决业主的半数" in html
    assert "结论" in html and "本项目通过" in html
    # Pages round headcounts to one place; the explain page also gives them exactly.
    assert "1.5 人 ÷ 2 人 = 75.0%" in html
    assert "精确值：1又1/2 人 ÷ 2 人；界线 1 人；相差 1/2 人" in html
    assert "折合 1.5 人（精确为 1又1/2 人）" in html


def test_explain_of_another_plans_item_is_404(client, voting, build):
    with build(voting["cid"]) as estate:
        item_id = estate.item(estate.plan(), "Z1").id
    sign_in_staff(client, "worker1")
    assert client.get(url(voting, f"/items/{item_id}/explain")).status_code == 404


def test_non_voters_by_building_and_unit_and_delivery_is_recorded(app, client, voting):
    sign_in_staff(client, "worker1")
    page = url(voting, "/non-voters")
    html = client.get(page).get_data(as_text=True)
    assert "未表决住户（1 户）" in html and "102" in html and "业主102" in html
    assert "@media print" not in html  # print rules live in the stylesheet
    response = post_form(
        client,
        url(voting, "/deliveries"),
        {"household_id": voting["z"], "method": "mailbox"},
        form_page=page,
    )
    assert response.status_code == 302
    html = client.get(page).get_data(as_text=True)
    assert "已送达" in html and "投入信箱" in html
    with app.app_context():
        delivery = db.session.scalar(select(Delivery).where(Delivery.household_id == voting["z"]))
        assert delivery.method == "mailbox" and delivery.recorded_by_id is not None
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "ballot.delivery"))
    again = post_form(
        client, url(voting, "/deliveries"), {"household_id": voting["z"], "method": "in_person"},
        form_page=url(voting, "/results"),
    )  # fmt: skip
    assert again.status_code == 302
    assert "已经登记过" in client.get(page).get_data(as_text=True)


def test_roles_on_results_pages(client, voting):
    sign_in_staff(client, "district1")
    assert client.get(url(voting, "/results")).status_code == 200
    assert client.get(url(voting, "/tally.json")).status_code == 200
    assert client.get(url(voting, "/non-voters")).status_code == 403  # names and phones
    client.post("/signout")
    sign_in_staff(client, "committee1")
    token_page = url(voting, "/results")
    response = post_form(
        client, url(voting, "/deliveries"), {"household_id": voting["z"], "method": "mailbox"},
        form_page=token_page,
    )  # fmt: skip
    assert response.status_code == 403


def test_anonymous_is_sent_to_sign_in(client, voting):
    response = client.get(url(voting, "/results"))
    assert response.status_code == 302 and "/staff/signin" in response.headers["Location"]


def test_community_results_menu_entry_opens_the_latest_plan(client, voting):
    sign_in_staff(client, "worker1")
    response = client.get(f"/c/{voting['cid']}/results")
    assert response.status_code == 302 and response.headers["Location"].endswith(
        url(voting, "/results")
    )
    html = client.get(f"/c/{voting['cid']}/plans").get_data(as_text=True)
    assert f'href="/c/{voting["cid"]}/results"' in html


STAFF_GETS = ["/results", "/tally.json", "/non-voters", "/publication"]
STAFF_POSTS = ["/deliveries", "/publish/preliminary", "/publish/final", "/objections"]


def test_foreign_community_and_foreign_plan_answer_404(client, voting, build):
    with build(name="别的小区", district="别的区") as foreign:
        plan = foreign.plan()
        fids = {"cid": foreign.cid, "pid": plan.id, "item": foreign.item(plan, "F1").id}
    sign_in_staff(client, "worker1")
    token_page = url(voting, "/results")
    for tail in [*STAFF_GETS, f"/items/{fids['item']}/explain"]:
        assert client.get(url(fids, tail)).status_code == 404, tail
        mixed = {"cid": voting["cid"], "pid": fids["pid"]}  # own community, foreign plan
        assert client.get(url(mixed, tail)).status_code == 404, tail
    assert client.get(f"/c/{fids['cid']}/results").status_code == 404
    for tail in [*STAFF_POSTS, "/objections/resolve"]:
        response = post_form(client, url(fids, tail), {}, form_page=token_page)
        assert response.status_code == 404, tail


def test_delivery_for_a_household_of_another_community_is_404(client, voting, build):
    with build(name="别的小区") as foreign:
        stranger = foreign.household("60").id
    sign_in_staff(client, "worker1")
    response = post_form(
        client, url(voting, "/deliveries"), {"household_id": stranger, "method": "mailbox"},
        form_page=url(voting, "/non-voters"),
    )  # fmt: skip
    assert response.status_code == 404


def test_resident_results_page(app, client, voting):
    from app.communities.models import Community
    from app.plans.models import Plan

    with app.test_request_context():
        issued = issue_codes(db.session.get(Community, voting["cid"]))
        codes = {h.id: code for h, code in issued}
        db.session.commit()
    post_form(client, "/", {"code": codes[voting["z"]]})  # 1号楼 102: only A1 in scope
    html = client.get("/results").get_data(as_text=True)
    assert "表决结果还没有公布" in html

    def publish(stage):
        with app.app_context():
            plan = db.session.get(Plan, voting["pid"])
            plan.phase, plan.result_stage = "published", stage
            plan.objections_close = local_today() + timedelta(days=7)
            plan.final_published_at = plan.objections_close if stage == "final" else None
            db.session.commit()
            return plan.objections_close

    closes = publish("preliminary")
    html = client.get("/results").get_data(as_text=True)
    assert "外墙保温" in html and "加装电梯" not in html
    assert "✓ 通过" in html
    assert "公示期到" in html and closes.isoformat() in html
    assert "75.0%" in html  # agree by headcount: 3/2 of 2 participating owners
    # Why, in one sentence, with what each percentage is taken of; the rule spelt out.
    assert "通过：参与表决的人数和面积达到表决范围内全体业主的三分之二以上" in html
    assert "同意的人数和面积超过参与表决业主的半数（按人数 75.0%" in html
    assert "占全体业主" in html and "占参与表决业主" in html
    assert "要求：《民法典》第二百七十八条 一般事项（双过半）：参与表决的人数和面积须达到" in html
    publish("final")
    assert "这是最终结果" in client.get("/results").get_data(as_text=True)


def test_dashboard_and_json_show_both_outcomes_under_follow_majority(app, client, build, factory):
    with build() as estate:
        plan = estate.plan(non_voter_policy="follow_majority")
        estate.item(plan, "A1", rule="cc278_ordinary")
        voters = [estate.household("60") for _ in range(2)]
        for h in voters:
            estate.ballot(plan, h, {"A1": "agree"})
        estate.deliver(plan, estate.household("60"))
        ids = {"cid": estate.cid, "pid": plan.id, "item": plan.items[0].id}
    factory.user("worker2", "worker", communities=[ids["cid"]])
    sign_in_staff(client, "worker2")
    html = client.get(url(ids, "/results")).get_data(as_text=True)
    assert "按“随多数”计入" in html and "不采用“随多数”时" in html
    item = client.get(url(ids, "/tally.json")).get_json()["items"][0]
    # With the delivered household: 3 of 3 take part; without: 2 of 3 (= 2/3, met as well).
    assert item["participating"]["households"] == 3 and item["deemed"]["households"] == 1
    assert item["without_non_voter_policy"]["participating"]["households"] == 2
    assert item["passed"] and item["without_non_voter_policy"]["passed"]
    explained = client.get(url(ids, f"/items/{ids['item']}/explain")).get_data(as_text=True)
    assert "人数上计入“同意”，面积上计入“同意”" in explained
    assert "如果不采用“未表决视为随多数”" in explained


def test_resolving_an_objection_of_another_community_is_404(client, voting, build):
    with build(name="别的小区") as foreign:
        plan = foreign.plan(phase="published", result_stage="preliminary")
        from app.tally.models import Objection

        objection = Objection(community_id=foreign.cid, plan_id=plan.id, text="x")
        db.session.add(objection)
        db.session.flush()
        objection_id = objection.id
    sign_in_staff(client, "worker1")
    response = post_form(
        client, url(voting, "/objections/resolve"),
        {"objection_id": objection_id, "resolution": "y"}, form_page=url(voting, "/results"),
    )  # fmt: skip
    assert response.status_code == 404


def test_non_voter_list_offers_tap_to_call_and_an_assisted_ballot(app, client, voting):
    from app.communities.models import Household
    from app.plans.models import Plan

    with app.app_context():
        db.session.get(Household, voting["z"]).phone = "138 0000 1111 / 0571-8888 0000"
        db.session.commit()
    sign_in_staff(client, "worker1")
    html = client.get(url(voting, "/non-voters")).get_data(as_text=True)
    assert '<a class="tel" href="tel:13800001111">138 0000 1111</a>' in html
    assert 'href="tel:057188880000"' in html
    assert f'href="{url(voting, "/assisted")}?household={voting["z"]}"' in html
    assert 'class="table-wrap stack"' in html and 'data-label="送达"' in html
    client.post("/signout")
    sign_in_staff(client, "committee1")  # reads the list, records no ballots
    html = client.get(url(voting, "/non-voters")).get_data(as_text=True)
    assert "tel:13800001111" in html and "/assisted" not in html
    client.post("/signout")
    with app.app_context():
        db.session.get(Plan, voting["pid"]).voting_closed_at = db.func.now()
        db.session.commit()
    sign_in_staff(client, "worker1")
    html = client.get(url(voting, "/non-voters")).get_data(as_text=True)
    assert "tel:13800001111" in html and "/assisted" not in html  # voting paused: no ballots


def test_results_page_gives_each_items_outcome_first_and_folds_the_counts(client, voting):
    sign_in_staff(client, "worker1")
    html = client.get(url(voting, "/results")).get_data(as_text=True)
    # Items before the ballot counts and turnout; each with its shares, its table folded away.
    assert html.index('id="item-A1"') < html.index('class="stats"') < html.index("参与情况")
    assert html.count('<details class="tally-details">') == 2
    assert "同意（占参与）" in html and "参与（占表决范围）" in html
    assert '<details class="card turnout-places">' in html
    assert html.count('data-label="面积（㎡）"') == 10  # five measures of two items
