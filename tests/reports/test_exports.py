"""Plan exports (导出): every export as CSV and XLSX through the client, their heading, contents,
audit trail, CSV-injection guard, permissions, and a query count that does not grow with data."""

import io
import json
from contextlib import contextmanager
from decimal import Decimal
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook
from sqlalchemy import event, select

from app.core.audit import AuditEvent
from app.extensions import db
from app.formats.writers import read_csv
from app.reports.exports import EXPORTS
from tests.conftest import sign_in_staff
from tests.reports.conftest import HYPERLINK

NAMES = list(EXPORTS)


def url(ids, tail=""):
    """A URL of the example plan."""
    return f"/c/{ids['cid']}/plans/{ids['pid']}{tail}"


def get_csv(client, ids, name):
    """An export downloaded as CSV: (raw bytes, heading, labels, rows)."""
    response = client.get(url(ids, f"/exports/{name}.csv"))
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return (response.data, *read_csv(response.data))


def get_xlsx(client, ids, name):
    """An export downloaded as XLSX, opened."""
    response = client.get(url(ids, f"/exports/{name}.xlsx"))
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    return load_workbook(io.BytesIO(response.data))


def as_dicts(labels, rows):
    """Rows keyed by column label."""
    return [dict(zip(labels, row, strict=True)) for row in rows]


def sheet_rows(sheet):
    """A sheet's heading, header and data rows (values), split at the blank row."""
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    blank = next(i for i, r in enumerate(rows) if all(v is None for v in r))
    return rows[:blank], rows[blank + 1], rows[blank + 2 :], blank + 2


def test_plan_page_links_to_the_export_page_listing_every_export(client, exported):
    sign_in_staff(client, "worker1")
    assert url(exported, "/exports") in client.get(url(exported)).get_data(as_text=True)
    html = client.get(url(exported, "/exports")).get_data(as_text=True)
    for name, spec in EXPORTS.items():
        assert str(spec.label) in html
        for fmt in ("csv", "xlsx"):
            assert url(exported, f"/exports/{name}.{fmt}") in html
    assert "style=" not in html and "<script" not in html


@pytest.mark.parametrize("name", NAMES)
def test_every_export_downloads_headed_audited_as_csv_and_xlsx(app, client, exported, name):
    sign_in_staff(client, "worker1")
    label = str(EXPORTS[name].label)
    response = client.get(url(exported, f"/exports/{name}.csv"))
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.data.startswith("\ufeff".encode())  # BOM: Excel reads the Chinese right
    disposition = unquote(response.headers["Content-Disposition"])
    assert f"2026年老旧小区改造方案-{label}-" in disposition and disposition.endswith(".csv")
    heading, labels, rows = read_csv(response.data)
    assert heading[0] == [label]
    assert heading[1] == ["小区", "滨城区示例小区"]
    assert heading[2] == ["方案", "2026年老旧小区改造方案"]
    assert heading[3][0] == "导出时间" and len(heading[3][1]) == 19
    assert heading[4] == ["导出人", "王芳（worker1）"]
    assert rows, "an export of the example plan has rows"

    book = get_xlsx(client, exported, name)
    for index, sheet in enumerate(book.worksheets):
        top, header, _data, header_row = sheet_rows(sheet)
        assert top[0][0].startswith(label)
        assert top[1][:2] == ["小区", "滨城区示例小区"] and top[4][:2] == [
            "导出人",
            "王芳（worker1）",
        ]
        assert sheet.freeze_panes == f"A{header_row + 1}"  # the header row stays in view
        assert sheet.cell(header_row, 1).font.b
        if index == 0:
            assert [h for h in header if h is not None] == labels
    with app.app_context():
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "export").order_by(AuditEvent.id)
        ).all()
    assert [(e.record_type, e.record_id) for e in events] == [("plan", str(exported["pid"]))] * 2
    assert [(e.after_data["export"], e.after_data["format"]) for e in events] == [
        (name, "csv"),
        (name, "xlsx"),
    ]
    assert events[0].after_data["rows"] >= 1 and events[0].after_data["bytes"] > 0
    assert events[0].actor and events[0].community_id == exported["cid"]


def test_ballots_export_lists_every_version_with_each_items_choice(client, exported):
    sign_in_staff(client, "committee1")
    _raw, _heading, labels, rows = get_csv(client, exported, "ballots")
    a1, a2, b1, b2 = (
        next(label for label in labels if label.startswith(key)) for key in ("A1", "A2", "B1", "B2")
    )
    rows = as_dicts(labels, rows)

    def of(building, unit, room):
        return [r for r in rows if (r["楼栋"], r["单元"], r["房号"]) == (building, unit, room)]

    first, last = of("1号楼", "1单元", "101")
    assert (first["方式"], first["计入结果"], first[a1]) == ("网上", "否", "同意")
    assert first["说明"] == "已被这户后来的网上表决替代"
    assert (last["计入结果"], last["说明"], last[a1], last[b2]) == ("是", "计入", "反对", "同意")
    assert last["回执码"] and last["回执码"] != first["回执码"]
    assert last[b1] == ""  # 3号楼2单元's elevator is not on 1号楼's ballot
    (paper,) = of("1号楼", "1单元", "102")
    assert (paper["方式"], paper["录入人"], paper[a1], paper[a2]) == (
        "纸质",
        "王芳（worker1）",
        "同意",
        "弃权",
    )
    assert paper["承诺出资"] == "A1"
    (assisted,) = of("1号楼", "1单元", "201")
    assert (assisted["方式"], assisted["授权人"], assisted["见证人"]) == (
        "上门代填",
        "李四",
        "王五",
    )
    assert assisted[b2] == "未填"
    online, signed = of("3号楼", "2单元", "101")
    assert (online["计入结果"], online["说明"]) == ("否", "未计入（按方案的冲突处理规则）")
    assert (signed["方式"], signed["计入结果"], signed[b1], signed[a2]) == (
        "纸质",
        "是",
        "反对",
        "",
    )
    assert online["网上与纸质不一致"] == signed["网上与纸质不一致"] == "是"
    assert paper["网上与纸质不一致"] == "否"
    assert len(rows) == 6


def test_ballots_export_marks_choices_on_a_revised_item_void(app, client, exported):
    from app.plans.models import Item

    with app.app_context():
        item = db.session.get(Item, exported["a1"])
        item.revision += 1
        db.session.commit()
    sign_in_staff(client, "worker1")
    _raw, _heading, labels, rows = get_csv(client, exported, "ballots")
    a1 = labels.index(next(label for label in labels if label.startswith("A1")))
    assert {row[a1] for row in rows} == {
        "作废（项目已修改，原：同意）",
        "作废（项目已修改，原：反对）",
    }


def test_tally_export_has_the_numbers_of_tally_plan(app, client, exported):
    from app.plans.models import Plan
    from app.tally.queries import tally_plan

    sign_in_staff(client, "worker1")
    _raw, _heading, labels, rows = get_csv(client, exported, "tally")
    book = get_xlsx(client, exported, "tally")
    _top, header, data, _row = sheet_rows(book.worksheets[0])
    with app.test_request_context():
        result = tally_plan(db.session.get(Plan, exported["pid"]))
        assert [r["编号"] for r in as_dicts(labels, rows)] == [i.item.key for i in result.items]
        for row, cells, item in zip(as_dicts(labels, rows), data, result.items, strict=True):
            t = item.tally
            cells = dict(zip(header, cells, strict=False))
            measures = (("应参与", t.electorate), ("参与", t.participating),
                        ("同意", t.agree), ("反对", t.oppose), ("弃权", t.abstain))  # fmt: skip
            for name, m in measures:
                assert row[f"{name}户数"] == str(m.households)
                assert row[f"{name}面积（㎡）"] == f"{m.area:.2f}"
                assert cells[f"{name}户数"] == m.households
                assert Decimal(str(cells[f"{name}面积（㎡）"])) == m.area
                if m.owners.denominator == 1:
                    assert row[f"{name}人数"] == str(m.owners) == str(cells[f"{name}人数"])
            assert row["结果"] == ("通过（临时）" if t.passed else "未通过（临时）")
            assert row["参与达到门槛"] == ("是" if t.quorum_met else "否")
        assert "参与表决的人数达到总人数的三分之二以上" in rows[0][labels.index("表决门槛")]
        assert "同意的面积达到参与表决面积的四分之三以上" in rows[0][labels.index("表决门槛")]
        counts = dict((r[0], r[1]) for r in sheet_rows(book["计票概况"])[2])  # the second sheet
        assert counts["计入的表决票"] == result.ballots.effective == 4
        assert counts["网上与纸质不一致的住户"] == result.ballots.conflicts == 1


def test_turnout_export_has_the_place_turnout_of_tally_plan(app, client, exported):
    from app.plans.models import Plan
    from app.tally.queries import tally_plan

    sign_in_staff(client, "worker1")
    _raw, _heading, labels, rows = get_csv(client, exported, "turnout")
    rows = as_dicts(labels, rows)
    assert [(r["楼栋"], r["单元"]) for r in rows[:3]] == [
        ("1号楼", "全楼"),
        ("1号楼", "1单元"),
        ("1号楼", "2单元"),
    ]
    whole = rows[-1]
    unit = next(r for r in rows if (r["楼栋"], r["单元"]) == ("1号楼", "1单元"))
    assert (unit["户数"], unit["已表决户数"], unit["投票率（户数）"]) == ("12", "3", "25.00%")
    with app.test_request_context():
        result = tally_plan(db.session.get(Plan, exported["pid"]))
    c = result.community
    assert whole["楼栋"] == "全小区" and whole["户数"] == str(c.electorate.households) == "84"
    assert whole["已表决户数"] == str(c.participating.households) == "4"
    assert whole["面积（㎡）"] == f"{c.electorate.area:.2f}"
    assert whole["已表决面积（㎡）"] == f"{c.participating.area:.2f}"
    assert whole["人数"] == str(c.electorate.owners)


def test_payments_export_is_exact_to_the_fen_with_every_correction(app, client, exported):
    from app.plans.shares import fixed_share_rows

    sign_in_staff(client, "worker1")
    _raw, _heading, labels, rows = get_csv(client, exported, "payments")
    rows = as_dicts(labels, rows)
    with app.app_context():
        home = exported["homes"][("1号楼", "1单元", "102")]
        (share,) = [fen for _i, _h, fen in fixed_share_rows([exported["a1"]], home)]
    line = next(
        r
        for r in rows
        if (r["楼栋"], r["单元"], r["房号"], r["项目编号"]) == ("1号楼", "1单元", "102", "A1")
    )
    assert line["应缴（元）"] == f"{Decimal(share) / 100:.2f}"
    assert (line["已承诺"], line["已缴（元）"]) == ("是", "120.01")
    assert line["未缴（元）"] == f"{Decimal(share - 12001) / 100:.2f}"
    book = get_xlsx(client, exported, "payments")
    assert book.sheetnames == ["承诺与缴款", "缴费记录", "楼栋汇总"]
    _top, header, entries, _row = sheet_rows(book["缴费记录"])
    entries = [dict(zip(header, e, strict=True)) for e in entries[:-1]]  # the last is the total
    assert [e["类型"] for e in entries] == ["缴费", "冲正", "更正后重新登记"]
    assert [Decimal(str(e["金额（元）"])) for e in entries] == [
        Decimal("123.45"),
        Decimal("-123.45"),
        Decimal("120.01"),
    ]
    assert [e["已被冲正"] for e in entries] == ["是", "否", "否"]
    assert entries[1]["更正原因"] == entries[2]["更正原因"] == "收据金额看错"
    assert entries[2]["方式"] == "微信" and entries[2]["收据号"] == "R-002"
    assert entries[0]["登记人"] == "王芳（worker1）"


def test_plan_export_has_items_funding_and_fixed_shares(app, client, exported):
    from app.plans.shares import fixed_share_rows

    sign_in_staff(client, "worker1")
    _raw, _heading, labels, rows = get_csv(client, exported, "plan")
    items = as_dicts(labels, rows)
    a1 = items[0]
    assert (a1["编号"], a1["总费用（元）"], a1["居民出资（元）"]) == (
        "A1",
        "1800000.00",
        "200000.00",
    )
    assert a1["政府补助（含以奖代补）（元）"] == "1500000.00"
    assert a1["每户份额已确定"] == "是" and a1["分摊方式"] == "按房屋面积分摊"
    assert a1["采纳的居民提议"] == f"{exported['taken']} 外墙漏水"
    b1 = items[2]
    assert b1["范围"] == "3号楼2单元" and "1、2 层免缴" in b1["分摊方式"]
    assert items[-1]["编号"] == "合计"
    book = get_xlsx(client, exported, "plan")
    _top, header, data, _row = sheet_rows(book["每户分摊"])
    with app.app_context():
        home = exported["homes"][("1号楼", "1单元", "102")]
        fixed = {i: fen for i, _h, fen in fixed_share_rows([exported["a1"]], home)}
    row = next(
        dict(zip(header, r, strict=True)) for r in data if r[:3] == ["1号楼", "1单元", "102"]
    )
    assert Decimal(str(row["A1 份额（元）"])) == Decimal(fixed[exported["a1"]]) / 100
    assert row["B1 份额（元）"] is None  # not in the elevator's unit


def test_proposals_export(client, exported):
    sign_in_staff(client, "worker1")
    _raw, _heading, labels, rows = get_csv(client, exported, "proposals")
    taken, declined = as_dicts(labels, rows)
    assert (taken["标题"], taken["提议住户"], taken["支持户数"]) == (
        "外墙漏水",
        "1号楼1单元101",
        "3",
    )
    assert taken["纳入项目"].startswith("A1 ") and taken["状态"] == "已采纳"
    assert (declined["状态"], declined["未采纳原因"]) == ("未采纳", "场地不够")


def test_roster_never_holds_codes_and_neutralises_formulas(app, client, exported, factory):
    codes = factory.codes(exported["cid"])
    sign_in_staff(client, "worker1")
    raw, _heading, labels, rows = get_csv(client, exported, "roster")
    text = raw.decode("utf-8-sig")
    assert not any(code in text for code in codes.values())
    with app.app_context():
        from app.communities.models import Household

        secrets = db.session.execute(select(Household.code_hash, Household.owner_key)).all()
    assert not any(s and s in text for pair in secrets for s in pair)
    rows = as_dicts(labels, rows[:-1])  # the last row is the total
    assert len(rows) == 84 and all(r["已发登录码"] == "是" for r in rows)
    authority = next(
        r for r in rows if (r["楼栋"], r["单元"], r["房号"]) == ("1号楼", "1单元", "301")
    )
    assert authority["证件号后四位"] == "000X" and authority["同一业主户数"] == "6"
    assert authority["电话"] == "13528179593"
    evil = next(r for r in rows if (r["楼栋"], r["单元"], r["房号"]) == ("1号楼", "1单元", "202"))
    assert evil["业主"] == "'" + HYPERLINK  # shown as text, never run as a formula
    book = get_xlsx(client, exported, "roster")
    cell = next(
        c
        for row in book.worksheets[0].iter_rows()
        for c in row
        if c.value and "HYPERLINK" in str(c.value)
    )
    assert cell.data_type == "s" and cell.value == "'" + HYPERLINK


def test_community_roster_export_without_a_plan(app, client, exported):
    sign_in_staff(client, "worker1")
    households = client.get(f"/c/{exported['cid']}/households").get_data(as_text=True)
    assert f"/c/{exported['cid']}/households/export.xlsx" in households
    response = client.get(f"/c/{exported['cid']}/households/export.csv")
    assert response.status_code == 200
    heading, _labels, rows = read_csv(response.data)
    assert heading[0] == ["住户名册"] and heading[1] == ["小区", "滨城区示例小区"]
    assert heading[2][0] == "导出时间"  # no plan line
    assert len(rows) == 85  # 84 households and the total
    assert rows[-1][0] == "合计 84 户"
    book = load_workbook(
        io.BytesIO(client.get(f"/c/{exported['cid']}/households/export.xlsx").data)
    )
    assert book.worksheets[0].freeze_panes == "A7"
    assert client.get(f"/c/{exported['cid']}/households/export.pdf").status_code == 404
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "export")).all()
    assert [(e.record_type, json.loads(e.after)["format"]) for e in events] == [
        ("community", "csv"),
        ("community", "xlsx"),
    ]


def test_unknown_export_or_format_answers_404(client, exported):
    sign_in_staff(client, "worker1")
    assert client.get(url(exported, "/exports/nothing.csv")).status_code == 404
    assert client.get(url(exported, "/exports/roster.pdf")).status_code == 404
    assert client.get(url(exported, "/exports/roster")).status_code == 404


def test_district_staff_may_not_export_and_foreign_plans_are_404(app, client, exported, factory):
    sign_in_staff(client, "district1")
    assert client.get(url(exported, "/exports")).status_code == 403
    assert client.get(url(exported, "/exports/ballots.csv")).status_code == 403
    assert client.get(f"/c/{exported['cid']}/households/export.csv").status_code == 403
    other = factory.community("别的小区", "滨城区", buildings=1, units=1, floors=1)
    factory.user("worker2", "worker", communities=[other])
    client = app.test_client()
    sign_in_staff(client, "worker2")
    assert client.get(url(exported, "/exports/ballots.csv")).status_code == 404
    foreign_plan = f"/c/{other}/plans/{exported['pid']}/exports/ballots.csv"
    assert client.get(foreign_plan).status_code == 404
    assert client.get(f"/c/{exported['cid']}/households/export.csv").status_code == 404


@contextmanager
def counting():
    """Count the SQL statements run inside the block."""
    seen = []

    def count(*_args):
        seen.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def test_queries_per_export_do_not_grow_with_ballots_and_payments(app, exported):
    from app.communities.models import Household
    from app.plans.models import Plan
    from app.plans.queries import items_for_household
    from app.voting.operations import cast_online_ballot

    def statements() -> dict[str, int]:
        found = {}
        with app.test_request_context():
            plan = db.session.get(Plan, exported["pid"])
            for name, spec in EXPORTS.items():
                db.session.expire_all()
                with counting() as seen:
                    spec.build(plan)
                found[name] = len(seen)
        return found

    before = statements()
    with app.test_request_context():
        plan = db.session.get(Plan, exported["pid"])
        homes = db.session.scalars(
            select(Household).where(Household.community_id == exported["cid"]).limit(30)
        ).all()
        for n, home in enumerate(homes):
            choices = {i.id: "agree" for i in items_for_household(plan, home)}
            cast_online_ballot(plan, home, choices, set(), f"more-{n}")
        db.session.commit()
    assert statements() == before
    assert max(before.values()) <= 16, before


@pytest.mark.parametrize("phase", ["proposals", "drafting"])
def test_every_export_works_before_voting(app, client, factory, example, phase):
    from datetime import timedelta

    from app.plans.queries import local_today

    with app.test_request_context():
        today = local_today()
    cid, pid = example(phase=phase, opens=today + timedelta(5), closes=today + timedelta(9))
    factory.user("worker1", "worker", communities=[cid])
    sign_in_staff(client, "worker1")
    ids = {"cid": cid, "pid": pid}
    for name in EXPORTS:
        _raw, _heading, labels, rows = get_csv(client, ids, name)
        assert labels
        assert get_xlsx(client, ids, name).worksheets
    _raw, _heading, labels, rows = get_csv(client, ids, "plan")
    assert {r["每户份额已确定"] for r in as_dicts(labels, rows[:-1])} == {"否"}  # computed now
    _raw, _heading, labels, rows = get_csv(client, ids, "ballots")
    assert rows == []


def test_the_roster_export_keeps_the_households_list_filter(app, client, exported):
    """From a searched list, the export holds what the list shows and says how it was cut."""
    sign_in_staff(client, "worker1")
    base = f"/c/{exported['cid']}/households"
    page = client.get(f"{base}?q=1号楼1单元").get_data(as_text=True)
    assert "export.csv?q=" in page and "导出筛选出的住户" in page
    response = client.get(f"{base}/export.csv", query_string={"q": "1号楼1单元"})
    heading, labels, rows = read_csv(response.data)
    assert ["搜索", "1号楼1单元"] in heading
    households = rows[:-1]
    assert households and all(r[0] == "1号楼" and r[1] == "1单元" for r in households)
    assert rows[-1][0] == f"合计 {len(households)} 户" and len(households) < 84
    missing = read_csv(client.get(f"{base}/export.csv?codes=missing").data)
    assert ["登录码", "未发"] in missing[0]
    assert all(r[labels.index("已发登录码")] == "否" for r in missing[2][:-1])
