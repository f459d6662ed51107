"""The custom method: uploaded per-household amounts, all or nothing, summing exactly."""

import io
import itertools

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app.core.errors import DomainError
from app.extensions import db
from app.funding.customfile import parse_custom_shares
from app.funding.operations import update_item_funding, upload_custom_shares
from app.plans.models import HouseholdShare
from app.plans.shares import household_shares
from app.plans.workflow import set_phase
from app.rules.money import AmountError, parse_yuan
from tests.conftest import db_examples
from tests.funding.conftest import build_world

_names = itertools.count()
# A2: 1号楼 (six households), cost 1,000.00 yuan, nothing from other sources.
ROOMS = ["101", "102", "201", "202", "301", "302"]


def make_custom(world, cost_fen=100_000):
    """Switch A2 to the custom method."""
    update_item_funding(
        world.item("A2"),
        cost_fen=cost_fen,
        sources={},
        share_method="custom",
        floor_coefficients=None,
    )


def csv_bytes(amounts, header="楼栋,单元,房号,金额（元）", building="1号楼", unit="1单元"):
    lines = [header] + [f"{building},{unit},{room},{a}" for room, a in amounts]
    return "\n".join(lines).encode("utf-8-sig")


def uploaded(world) -> dict[str, int]:
    from app.communities.models import Household

    rows = db.session.scalars(
        select(HouseholdShare).where(HouseholdShare.item_id == world.item("A2").id)
    )
    return {db.session.get(Household, r.household_id).room: r.amount_fen for r in rows}


def upload(world, data: bytes, filename="a.csv", **kwargs):
    rows, problems = parse_custom_shares(data, filename)
    assert problems == [], [str(p) for p in problems]
    return upload_custom_shares(world.item("A2"), rows, filename=filename, **kwargs)


def test_parse_yuan():
    assert parse_yuan("1,234.5") == 123_450
    assert parse_yuan("￥1234.50元") == 123_450
    assert parse_yuan(12.34) == 1_234  # an Excel number cell
    assert parse_yuan("１２３") == 12_300  # full-width digits
    assert parse_yuan("0") == 0
    for bad in ("", "12.345", "-1", "abc", "1e3"):
        with pytest.raises(AmountError):
            parse_yuan(bad)


def test_upload_accepted_and_fixed_as_is(app, world, ctx):
    make_custom(world)
    amounts = [
        ("101", "100"),
        ("102", "150.5"),
        ("201", "200"),
        ("202", "149.50"),
        ("301", "200"),
        ("302", "200.00"),
    ]
    assert upload(world, csv_bytes(amounts)) == 6
    assert uploaded(world) == {
        "101": 10_000,
        "102": 15_050,
        "201": 20_000,
        "202": 14_950,
        "301": 20_000,
        "302": 20_000,
    }
    a2 = world.item("A2")
    hid = world.household("1号楼1单元102").id
    assert household_shares([a2], hid) == {a2.id: 15_050}
    set_phase(world.plan, "voting")  # the upload is what gets fixed
    assert uploaded(world)["102"] == 15_050
    assert household_shares([a2], hid) == {a2.id: 15_050}


def test_sum_mismatch_refused_with_the_difference_named(app, world, ctx):
    make_custom(world)
    short = [(r, "166.66") for r in ROOMS]  # 999.96 of 1,000.00
    with pytest.raises(DomainError) as refused:
        upload(world, csv_bytes(short))
    assert "上传金额合计 999.96 元，居民出资部分为 1,000.00 元，还差 0.04 元" in str(refused.value)
    assert uploaded(world) == {}  # nothing stored


def test_all_or_nothing_and_row_numbers(app, world, ctx):
    make_custom(world)
    good = [(r, "166.67") for r in ROOMS[:5]] + [("302", "166.65")]
    upload(world, csv_bytes(good))
    before = uploaded(world)
    data = "\n".join(
        [
            "楼栋,单元,房号,金额",
            "1号楼,1单元,101,100",
            "1号楼,1单元,102,12.345",  # row 3: three decimals
            "1号楼,1单元,101,50",  # row 4: duplicate of row 2
            "9号楼,1单元,101,50",  # row 5: no such household
        ]
    ).encode()
    rows, problems = parse_custom_shares(data, "b.csv")
    texts = [str(p) for p in problems]
    assert rows == []
    assert any(t.startswith("第 3 行") and "两位小数" in t for t in texts)
    assert any(t.startswith("第 4 行") and "第 2 行重复" in t for t in texts)
    # Rows that parse but name households outside the roster or the scope: named by row.
    data = (
        csv_bytes([("101", "500"), ("102", "500")])
        + "\n3号楼,2单元,301,0\n9号楼,1单元,101,0".encode()
    )
    rows, problems = parse_custom_shares(data, "c.csv")
    with pytest.raises(DomainError) as refused:
        upload_custom_shares(world.item("A2"), rows)
    reasons = refused.value.reasons
    assert "第 4 行：3号楼2单元301 不在本项目的范围内。" in reasons
    assert "第 5 行：花名册中没有 9号楼1单元101。" in reasons
    assert any(r.startswith("缺少本项目范围内的 4 户") for r in reasons)
    assert uploaded(world) == before


def test_xlsx_upload_and_missing_column(app, world, ctx):
    make_custom(world, cost_fen=60_000)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["楼栋", "单元", "房号", "业主", "应缴金额（元）"])  # 业主 is ignored
    for room in ROOMS:
        sheet.append(["1号楼", "1单元", int(room), "某某", 100])
    out = io.BytesIO()
    book.save(out)
    assert upload(world, out.getvalue(), "a.xlsx") == 6
    assert set(uploaded(world).values()) == {10_000}
    _rows, problems = parse_custom_shares("楼栋,房号\n1号楼,101".encode(), "x.csv")
    assert [str(p) for p in problems] == ["缺少必填列“金额”。"]


def test_upload_needs_the_custom_method_and_an_editable_plan(app, world, ctx):
    with pytest.raises(DomainError):
        upload(world, csv_bytes([(r, "0") for r in ROOMS]))  # A2 is still "equal"
    make_custom(world)
    set_phase(world.plan, "voting")
    with pytest.raises(DomainError) as refused:
        upload(world, csv_bytes([(r, "100") for r in ROOMS[:4]] + [(r, "300") for r in ROOMS[4:]]))
    assert "暂停表决" in str(refused.value)


@settings(
    max_examples=db_examples(25),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    amounts=st.lists(st.integers(0, 2_000_000), min_size=6, max_size=6),
    delta=st.integers(-5_000, 5_000),
)
def test_custom_sums_or_is_refused_with_the_difference(app, amounts, delta):
    """Property: an upload is stored iff it sums to the residents' part; else the difference
    is named in yuan and nothing changes."""
    residents = sum(amounts) - delta
    if residents < 0:
        residents = sum(amounts)
        delta = 0
    name = f"定制{next(_names)}"
    world = build_world(app, name=name)
    with app.test_request_context():
        make_custom(world, cost_fen=residents)
        data = csv_bytes(
            list(zip(ROOMS, (f"{a // 100}.{a % 100:02d}" for a in amounts), strict=True))
        )
        if delta == 0:
            assert upload(world, data) == 6
            assert sum(uploaded(world).values()) == residents
        else:
            with pytest.raises(DomainError) as refused:
                upload(world, data)
            yuan = f"{abs(delta) // 100:,}.{abs(delta) % 100:02d}"
            word = "多出" if delta > 0 else "还差"
            assert f"{word} {yuan} 元" in str(refused.value)
            assert uploaded(world) == {}
        db.session.rollback()
        db.session.remove()
