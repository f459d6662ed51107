"""Payments against fixed shares; corrections as new entries; statement PDF; XLSX reports."""

import io
import json
from datetime import date, timedelta

import openpyxl
import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from app.core.audit import AuditEvent
from app.core.errors import DomainError
from app.extensions import db
from app.formats.writers import report_xlsx
from app.funding.ledger import funding_dashboard, ledger
from app.funding.models import Payment
from app.funding.payments import correct_payment, record_payment
from app.funding.statement import household_statement, statement_pdf
from app.funding.summaries import building_detail, building_summary, item_report
from app.plans.queries import local_today
from tests.funding.conftest import build_world

UNIT = "3号楼2单元"


@pytest.fixture
def voting(app):
    return build_world(app, voting=True)


def pay(world, label, key, amount_fen, receipt, **kwargs):
    args = {"paid_on": local_today(), "method": "wechat", "receipt_no": receipt, **kwargs}
    return record_payment(
        world.plan, world.household(label), world.item(key), amount_fen=amount_fen, **args
    )


def paid(world, label, key) -> int:
    return db.session.scalar(
        select(func.coalesce(func.sum(Payment.amount_fen), 0)).where(
            Payment.household_id == world.household(label).id,
            Payment.item_id == world.item(key).id,
        )
    )


def test_payment_recorded_and_checked_against_the_fixed_share(app, voting, ctx):
    w = voting
    p = pay(w, UNIT + "602", "B1", 5_000_000, "NO-001")
    assert paid(w, UNIT + "602", "B1") == 5_000_000
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "payment.record"))
    assert json.loads(event.after)["amount_fen"] == 5_000_000 and event.record_id == str(p.id)
    # The share is 79,120.88 yuan: 29,120.88 more at most.
    with pytest.raises(DomainError) as refused:
        pay(w, UNIT + "602", "B1", 2_912_089, "NO-002")
    assert "应缴 79,120.88 元，已缴 50,000.00 元，本次最多可登记 29,120.88 元" in str(refused.value)
    pay(w, UNIT + "602", "B1", 2_912_088, "NO-002")
    assert paid(w, UNIT + "602", "B1") == 7_912_088
    with pytest.raises(DomainError, match="没有应缴金额"):
        pay(w, UNIT + "101", "B1", 100, "NO-003")  # exempt floor
    with pytest.raises(DomainError, match="没有应缴金额"):
        pay(w, "3号楼1单元101", "B1", 100, "NO-003")  # outside the item's scope
    with pytest.raises(DomainError, match="已经登记过"):
        pay(w, UNIT + "301", "B1", 100, "no-001")  # receipt numbers compare case-blind
    with pytest.raises(DomainError, match="晚于今天"):
        pay(w, UNIT + "301", "B1", 100, "NO-004", paid_on=local_today() + timedelta(days=1))
    with pytest.raises(DomainError, match="大于零"):
        pay(w, UNIT + "301", "B1", 0, "NO-004")


def test_no_payment_before_shares_are_fixed(app, world, ctx):
    with pytest.raises(DomainError, match="表决开始后"):
        pay(world, UNIT + "602", "B1", 100, "X-1")


def test_corrections_are_new_entries_never_edits(app, voting, ctx):
    w = voting
    wrong = pay(w, UNIT + "301", "B1", 1_000_000, "R-1", method="cash")
    # Replace: a reversing entry and the right one, both pointing at the wrong entry.
    reversal, right = correct_payment(
        wrong,
        reason="金额录错",
        replacement={
            "amount_fen": 100_000,
            "paid_on": date(2026, 1, 5),
            "method": "cash",
            "receipt_no": "R-1",
        },
    )
    assert (reversal.amount_fen, reversal.corrects_id) == (-1_000_000, wrong.id)
    assert (right.amount_fen, right.corrects_id) == (100_000, wrong.id)
    assert db.session.get(Payment, wrong.id).amount_fen == 1_000_000  # untouched
    assert paid(w, UNIT + "301", "B1") == 100_000
    with pytest.raises(DomainError, match="已经更正过"):
        correct_payment(wrong, reason="again")
    with pytest.raises(DomainError, match="冲正记录不能再更正"):
        correct_payment(reversal, reason="x")
    with pytest.raises(DomainError, match="原因"):
        correct_payment(right, reason=" ")
    # Void the replacement too: a duplicate entry, say.
    (void,) = correct_payment(right, reason="重复登记")
    assert void.amount_fen == -100_000 and paid(w, UNIT + "301", "B1") == 0
    assert db.session.scalar(select(func.count(Payment.id))) == 4
    reasons = [
        json.loads(e.after)["reason"]
        for e in db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "payment.correct")
        )
    ]
    assert reasons == ["金额录错", "重复登记"]
    # A replacement that would overpay is refused and the whole correction with it.
    big = pay(w, UNIT + "302", "B1", 100, "R-9")
    with pytest.raises(DomainError, match="超出应缴金额"):
        correct_payment(
            big,
            reason="x",
            replacement={
                "amount_fen": 10**9,
                "paid_on": local_today(),
                "method": "cash",
                "receipt_no": "R-9",
            },
        )


def test_dashboard_paid_and_outstanding(app, voting, ctx):
    w = voting
    pay(w, UNIT + "602", "B1", 7_912_088, "P-1")
    wrong = pay(w, UNIT + "601", "B1", 1_000, "P-2")
    correct_payment(wrong, reason="x")
    pay(w, "1号楼1单元101", "A2", 10_000, "P-3")
    board = funding_dashboard(w.plan)
    f = {row.item.key: row.figures for row in board.items}
    assert f["B1"].paid_fen == 7_912_088
    assert f["B1"].outstanding_fen == 45_000_000 - 7_912_088
    assert f["A2"].paid_fen == 10_000
    assert board.total.paid_fen == 7_922_088


def test_statement_pdf_text(app, voting, ctx):
    w = voting
    first = pay(w, UNIT + "602", "B1", 1_000_000, "SJ-88")
    correct_payment(
        first,
        reason="金额录错",
        replacement={
            "amount_fen": 2_000_000,
            "paid_on": local_today(),
            "method": "bank",
            "receipt_no": "SJ-88",
        },
    )
    household = w.household(UNIT + "602")
    statement = household_statement(w.plan, household, date(2026, 4, 12))
    assert [(line.item.key, line.share_fen) for line in statement.lines] == [
        ("A1", statement.lines[0].share_fen),
        ("B1", 7_912_088),
    ]
    data = statement_pdf(statement)
    assert data.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    flat = text.replace(" ", "").replace("\n", "")
    assert "幸福小区改造出资对账单" in flat
    assert "3号楼2单元602" in flat and "2026年4月12日" in flat
    assert "79,120.88" in flat  # the B1 share
    assert "59,120.88" in flat  # B1 still to pay after 20,000.00
    assert "-10,000.00" in flat and f"冲正第{first.id}号记录：金额录错" in flat
    assert "SJ-88" in flat and "银行转账" in flat


def test_reports_as_xlsx(app, voting, ctx):
    w = voting
    pay(w, UNIT + "602", "B1", 1_234_567, "X-1")
    lines = ledger(w.plan)
    b1_report = item_report(w.item("B1"), lines)
    detail = building_detail("3号楼", [x for x in lines if x.household.building == "3号楼"])
    book = openpyxl.load_workbook(
        io.BytesIO(report_xlsx([b1_report, building_summary(lines), detail]))
    )
    assert book.sheetnames == ["B1", "楼栋汇总", "3号楼"]
    sheet = book["B1"]
    assert sheet.freeze_panes == "A2"
    header = [c.value for c in sheet[1]]
    assert header == [
        "楼栋",
        "单元",
        "房号",
        "业主",
        "楼层",
        "面积（㎡）",
        "应缴（元）",
        "已承诺",
        "已缴（元）",
        "未缴（元）",
    ]
    assert sheet[1][0].font.bold
    rows = {r[2]: r for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert float(rows["602"][6]) == pytest.approx(79_120.88)
    assert float(rows["602"][8]) == pytest.approx(12_345.67)
    assert float(rows["602"][9]) == pytest.approx(79_120.88 - 12_345.67)
    assert rows["602"][7] == "否"
    total = next(sheet.iter_rows(min_row=sheet.max_row, values_only=True))
    assert total[0] == "合计 12 户" and float(total[6]) == pytest.approx(450_000.00)
    assert sheet.cell(row=2, column=7).number_format == "#,##0.00"
    assert sheet.column_dimensions["A"].width >= 8
    assert sheet.column_dimensions["D"].width >= len("业主") * 2
    summary = book["楼栋汇总"]
    assert summary.freeze_panes == "A2"
    buildings = {(r[0], r[1][:2]) for r in summary.iter_rows(min_row=2, values_only=True) if r[1]}
    assert buildings == {("1号楼", "A1"), ("1号楼", "A2"), ("3号楼", "A1"), ("3号楼", "B1")}
