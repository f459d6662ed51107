"""Plan pages and CLI: import with every problem named, items with scope, phase guards."""

import io
import json
import os

from sqlalchemy import func, select

from app.extensions import db
from app.plans.models import Item, ItemScope, Plan
from tests.conftest import DATA, post_form, sign_in_staff


def example_plan(**changes) -> bytes:
    with open(os.path.join(DATA, "plan-example.json"), encoding="utf-8") as fh:
        raw = json.load(fh)
    raw.update(changes)
    return json.dumps(raw, ensure_ascii=False).encode()


def worker_client(app, factory, **shape):
    cid = factory.community("滨城区示例小区", roster=False)
    factory.user("w1", "worker", communities=[cid])
    runner = app.test_cli_runner()
    assert (
        runner.invoke(
            args=["roster", "import", "滨城区示例小区", os.path.join(DATA, "roster-example.csv")]
        ).exit_code
        == 0
    )
    client = app.test_client()
    sign_in_staff(client, "w1")
    return client, cid


def count(app, model):
    with app.app_context():
        return db.session.scalar(select(func.count(model.id)))


def test_upload_plan_file_creates_items_with_scopes(app, factory):
    client, cid = worker_client(app, factory)
    response = post_form(
        client,
        f"/c/{cid}/plans/import",
        {"file": (io.BytesIO(example_plan()), "plan.json")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    assert count(app, Item) == 5
    with app.app_context():
        b1 = db.session.scalar(select(Item).where(Item.key == "B1"))
        assert [(s.unit_id is not None) for s in b1.scopes] == [True]
        assert json.loads(b1.floor_coefficients)["4"] == "1.2"
        c1 = db.session.scalar(select(Item).where(Item.key == "C1"))
        assert json.loads(c1.rule_params)["approval"] == "2/3"
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "3号楼2单元加装电梯" in html and "3号楼2单元" in html


def test_plan_file_problems_are_all_listed_and_nothing_is_written(app, factory):
    client, cid = worker_client(app, factory)
    raw = json.loads(example_plan())
    raw["items"][0]["category"] = "luxury"
    raw["items"][1]["scope"] = {"buildings": ["9号楼"]}
    raw["items"][2]["funding"] = {"government": 99_999_999_999}
    raw["items"][3]["key"] = "A1"
    response = post_form(
        client,
        f"/c/{cid}/plans/import",
        {"file": (io.BytesIO(json.dumps(raw).encode()), "plan.json")},
        content_type="multipart/form-data",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "luxury" in html and "A1 重复" in html
    assert count(app, Plan) == 0


def test_unknown_building_in_scope_is_named(app, factory):
    client, cid = worker_client(app, factory)
    raw = json.loads(example_plan())
    raw["items"][1]["scope"] = {"buildings": ["9号楼"]}
    response = post_form(
        client,
        f"/c/{cid}/plans/import",
        {"file": (io.BytesIO(json.dumps(raw).encode()), "plan.json")},
        content_type="multipart/form-data",
    )
    assert "9号楼" in response.get_data(as_text=True) and count(app, Plan) == 0


def test_cli_plan_import_and_phase(app, factory):
    worker_client(app, factory)
    path = os.path.join(app.instance_path, "plan.json")
    os.makedirs(app.instance_path, exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(example_plan())
    runner = app.test_cli_runner()
    result = runner.invoke(args=["plan", "import", path])
    assert result.exit_code == 0 and "5 items" in result.output
    result = runner.invoke(args=["plan", "phase", "1", "voting"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["plan", "phase", "1", "drafting"])
    assert result.exit_code == 1 and "不能从" in result.output
    # The works follow a final result only (docs/process.md, after the vote).
    result = runner.invoke(args=["plan", "phase", "1", "works"])
    assert result.exit_code == 1 and "最终结果公布后" in result.output
    with app.app_context():
        plan = db.session.get(Plan, 1)
        plan.phase, plan.result_stage = "published", "final"
        db.session.commit()
    for phase in ("works", "acceptance", "evaluation", "closed"):
        result = runner.invoke(args=["plan", "phase", "1", phase])
        assert result.exit_code == 0, result.output
    with open(path, "wb") as fh:
        fh.write(b"{not json")
    result = runner.invoke(args=["plan", "import", path])
    assert result.exit_code == 1 and "JSON" in result.output


def test_worker_creates_an_item_scoped_to_one_unit(app, factory):
    client, cid = worker_client(app, factory)
    post_form(
        client,
        f"/c/{cid}/plans/new",
        {
            "title": "2027年方案",
            "objection_days": "7",
            "conflict_policy": "paper_prevails",
            "non_voter_policy": "none",
        },
    )
    with app.app_context():
        pid = db.session.scalar(select(Plan.id))
        from app.communities.models import Unit

        unit = db.session.scalar(select(Unit).where(Unit.name == "2单元"))
    url = f"/c/{cid}/plans/{pid}/items/new"
    response = post_form(
        client,
        url,
        {
            "key": "E1",
            "title": "加装电梯",
            "category": "improvement",
            "rule": "cc278_major",
            "custom_base": "participating",
            "custom_dimensions": "both",
            "scope_units": [str(unit.id)],
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[-800:]
    with app.app_context():
        scope = db.session.scalars(select(ItemScope)).all()
        assert [(s.building_id, s.unit_id) for s in scope] == [(unit.building_id, unit.id)]
    # The same key twice is refused with a clear message.
    response = post_form(
        client,
        url,
        {
            "key": "E1",
            "title": "重复",
            "category": "basic",
            "rule": "cc278_major",
            "custom_base": "participating",
            "custom_dimensions": "both",
        },
        follow_redirects=True,
    )
    assert "已被本方案的其他项目使用" in response.get_data(as_text=True)
    assert count(app, Item) == 1


def test_items_cannot_be_edited_once_voting_opens(app, factory):
    client, cid = worker_client(app, factory)
    post_form(
        client,
        f"/c/{cid}/plans/import",
        {"file": (io.BytesIO(example_plan()), "p.json")},
        content_type="multipart/form-data",
    )
    with app.app_context():
        pid = db.session.scalar(select(Plan.id))
    detail = f"/c/{cid}/plans/{pid}"
    post_form(client, f"{detail}/phase", {"phase": "voting", "confirmed": "1"}, form_page=detail)
    with app.app_context():
        assert db.session.get(Plan, pid).phase == "voting"
    response = post_form(
        client,
        f"{detail}/items/new",
        {
            "key": "Z9",
            "title": "新项目",
            "category": "basic",
            "rule": "cc278_major",
            "custom_base": "participating",
            "custom_dimensions": "both",
        },
        form_page=f"{detail}/items/new",
        follow_redirects=True,
    )
    assert "表决已开始" in response.get_data(as_text=True)
    assert count(app, Item) == 5


def test_voting_needs_items(app, factory):
    client, cid = worker_client(app, factory)
    post_form(
        client,
        f"/c/{cid}/plans/new",
        {
            "title": "空方案",
            "objection_days": "7",
            "conflict_policy": "paper_prevails",
            "non_voter_policy": "none",
        },
    )
    with app.app_context():
        pid = db.session.scalar(select(Plan.id))
    detail = f"/c/{cid}/plans/{pid}"
    response = post_form(
        client,
        f"{detail}/phase",
        {"phase": "voting", "confirmed": "1"},
        form_page=detail,
        follow_redirects=True,
    )
    assert "还没有项目" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Plan, pid).phase == "proposals"


def test_committee_reads_plans_but_cannot_manage(app, factory):
    _client, cid = worker_client(app, factory)
    factory.user("c1", "committee", communities=[cid])
    committee = app.test_client()
    sign_in_staff(committee, "c1")
    assert committee.get(f"/c/{cid}/plans").status_code == 200
    assert committee.get(f"/c/{cid}/plans/new").status_code == 403
