"""The plan file's options within an item (方案比选) and opt-in items (户内自选): every problem
named by place and field, nothing written on error, the example imported whole."""

import copy
import json
from pathlib import Path

from sqlalchemy import func, select

from app.extensions import db
from app.plans.models import FundingSource, Item, ItemOption, Plan
from tests.conftest import DATA
from tests.plans.test_planschema import problems_of

OPTIONS_EXAMPLE = json.loads((Path(DATA) / "plan-options-example.json").read_text(encoding="utf-8"))


def _raw():
    return copy.deepcopy(OPTIONS_EXAMPLE)


def _item(raw, key):
    return next(i for i in raw["items"] if i["key"] == key)


def test_the_options_example_parses(app):
    from app.plans.planfile import parse_plan_file

    with app.test_request_context():
        spec = parse_plan_file(json.dumps(OPTIONS_EXAMPLE).encode())
    b1 = next(i for i in spec.items if i.key == "B1")
    assert [o.key for o in b1.options] == ["a", "b", "c"]
    assert b1.option_rule == "plurality"
    assert b1.options[2].funding == {"government": 20000000, "maintenance_fund": 5000000}
    assert b1.options[2].share_method == "floor_flat"
    d1 = next(i for i in spec.items if i.key == "D1")
    assert (d1.kind, d1.price_fen, d1.price_fen_per_m2) == ("opt_in", None, 3500)
    assert (d1.subsidy_fen, d1.min_uptake, str(d1.signup_closes)) == (50000, 20, "2026-04-25")


def test_option_problems_are_named_by_item_option_and_field(app):
    raw = _raw()
    b1 = _item(raw, "B1")
    b1["options"][1]["key"] = "a"  # a duplicate key
    b1["options"][2]["title"] = "同意"  # a mark word
    b1["options"][0]["funding"]["government"] = 99000000  # more than the cost
    b1["options"][0]["share_method"] = "custom"  # no uploads for options
    b1["cost_fen"] = 100  # money on the item as well as on its options
    with app.test_request_context():
        text = "\n".join(problems_of(raw))
    assert "items[2] 项目 B1 options[1] a" in text and "与 options[0].key 重复" in text
    assert "options[2] c：title 不能是“同意”" in text
    assert "items[2].options[0].share_method" in text and "custom" in text
    assert "不能在项目上写 cost_fen" in text
    assert "options[0] a" in text


def test_too_few_or_too_many_options(app):
    raw = _raw()
    b1 = _item(raw, "B1")
    b1["options"] = b1["options"][:1]
    with app.test_request_context():
        problems = problems_of(raw)
    assert any("items[2].options：应有 2 到 5 个方案（现有 1 个）" in p for p in problems)
    b1["options"] = [dict(OPTIONS_EXAMPLE["items"][2]["options"][0], key=f"k{n}") for n in range(6)]
    for n, option in enumerate(b1["options"]):
        option["title"] = f"方案{n}"
    with app.test_request_context():
        assert any("应有 2 到 5 个方案（现有 6 个）" in p for p in problems_of(raw))


def test_option_rule_needs_options(app):
    raw = _raw()
    _item(raw, "A1")["option_rule"] = "threshold"
    _item(raw, "A2")["option_rule"] = "majority"
    with app.test_request_context():
        text = "\n".join(problems_of(raw))
    assert "items[0] 项目 A1：option_rule 只用于有比选方案" in text
    assert "items[1].option_rule：“majority”不可用" in text


def test_opt_in_price_problems(app):
    raw = _raw()
    d1 = _item(raw, "D1")
    d1["price_fen"] = 100000  # both price forms
    d1["share_method"] = "area"
    d1["min_uptake"] = 0
    d1["subsidy_fen"] = -5
    d1["signup_closes"] = "2026-04-01"  # before voting opens
    _item(raw, "A1")["price_fen"] = 10  # a price on a voted item
    with app.test_request_context():
        text = "\n".join(problems_of(raw))
    assert "项目 D1：户内自选项目（kind: opt_in）要写 price_fen" in text
    assert "不能写 share_method" in text
    assert "items[5].min_uptake：0 超出范围" in text
    assert "items[5].subsidy_fen：-5 超出范围" in text
    assert "项目 D1：signup_closes 早于表决开始日期" in text
    assert "项目 A1：price_fen 只用于户内自选项目" in text
    del d1["price_fen"], d1["price_fen_per_m2"]
    with app.test_request_context():
        assert any("要写 price_fen" in p for p in problems_of(raw))


def test_import_writes_options_with_their_funding_and_nothing_on_error(app, example, tmp_path):
    _cid, plan_id = example("drafting", plan_file="plan-options-example.json")
    with app.app_context():
        b1 = db.session.scalar(select(Item).where(Item.plan_id == plan_id, Item.key == "B1"))
        assert [(o.key, o.cost_fen, o.share_method) for o in b1.options] == [
            ("a", 65000000, "floor"),
            ("b", 78000000, "floor"),
            ("c", 92000000, "floor_flat"),
        ]
        assert {f.source: f.amount_fen for f in b1.options[2].funding} == {
            "government": 20000000,
            "maintenance_fund": 5000000,
        }
        assert b1.funding == [] and b1.option_rule == "plurality"
        assert all(f.item_id == b1.id for o in b1.options for f in o.funding)
        d1 = db.session.scalar(select(Item).where(Item.plan_id == plan_id, Item.key == "D1"))
        assert (d1.kind, d1.price_fen_per_m2, d1.subsidy_fen, d1.min_uptake) == (
            "opt_in",
            3500,
            50000,
            20,
        )
        counts = (
            db.session.scalar(select(func.count(Plan.id))),
            db.session.scalar(select(func.count(ItemOption.id))),
            db.session.scalar(select(func.count(FundingSource.id))),
        )
    raw = _raw()
    _item(raw, "B1")["options"][1]["funding"]["government"] = 99000000
    _item(raw, "D1")["price_fen"] = 1
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["plan", "import", str(path)])
    assert result.exit_code == 1
    assert "options[1] b" in result.output and "项目 D1" in result.output
    with app.app_context():
        assert counts == (
            db.session.scalar(select(func.count(Plan.id))),
            db.session.scalar(select(func.count(ItemOption.id))),
            db.session.scalar(select(func.count(FundingSource.id))),
        )


def test_the_demo_plan_is_the_options_example():
    """`make run` shows the options example: one item with options and one opt-in item."""
    demo = json.loads(
        (Path(__file__).resolve().parents[2] / "app" / "demo" / "data" / "plan.json").read_text(
            encoding="utf-8"
        )
    )
    assert demo["items"] == OPTIONS_EXAMPLE["items"]
    assert [i["key"] for i in demo["items"] if i.get("options")] == ["B1"]
    assert [i["key"] for i in demo["items"] if i.get("kind") == "opt_in"] == ["D1"]


def test_demo_seed_votes_with_options(app):
    from app.voting.models import BallotChoice

    assert app.test_cli_runner().invoke(args=["demo", "seed"]).exit_code == 0
    with app.app_context():
        b1 = db.session.scalar(select(Item).where(Item.key == "B1"))
        d1 = db.session.scalar(select(Item).where(Item.key == "D1"))
        assert len(b1.options) == 3 and d1.kind == "opt_in" and d1.signup_closes
        marked = db.session.scalars(
            select(BallotChoice.option_id).where(
                BallotChoice.item_id == b1.id, BallotChoice.choice == "agree"
            )
        ).all()
        assert marked and all(m in {o.id for o in b1.options} for m in marked)
        assert not db.session.scalar(
            select(func.count(BallotChoice.id)).where(BallotChoice.item_id == d1.id)
        )
