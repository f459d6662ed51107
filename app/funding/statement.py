"""A household's funding statement (对账单): its shares, pledges and payments; page and PDF.

The PDF uses the shared printing engine's embedded CJK font (app.formats.fonts.pdf_font) and
is written in Chinese, as it goes on paper to the household whatever the worker's screen uses.
"""

import io
from dataclasses import dataclass, field
from datetime import date

from flask_babel import force_locale
from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Spacer, Table, TableStyle
from sqlalchemy import select

from app.communities.models import Community, Household, centi_to_area
from app.core.audit import AuditEvent
from app.core.vocabulary import label
from app.extensions import db
from app.formats.fonts import pdf_font
from app.formats.pdf import cn_date, flow_document, paragraph, yuan
from app.funding.ledger import Figures, HouseholdInfo, Line, households_of, ledger, payments_of
from app.funding.models import Payment
from app.plans.models import Item, Plan
from app.plans.shares import item_residents_part
from app.rules.settlement import difference_words
from app.rules.shares import ShareError
from app.settlement.finals import HouseholdFinal, household_finals


@dataclass(frozen=True)
class PaymentRow:
    """One payment entry as the statement lists it."""

    payment: Payment
    item: Item
    reversed: bool  # a later entry cancelled it
    reason: str  # why it was corrected (for reversing and replacing entries)

    @property
    def kind(self) -> str:
        """ "payment", "reversal" (cancels an entry) or "replacement" (a corrected entry)."""
        if self.payment.corrects_id is None:
            return "payment"
        return "reversal" if self.payment.amount_fen < 0 else "replacement"


@dataclass
class Statement:
    """Everything one household's statement shows."""

    community: str
    plan: Plan
    household: HouseholdInfo
    lines: list[Line]
    payments: list[PaymentRow]
    total: Figures
    printed_on: date
    # Confirmed final accounts (决算): the household's refund (退) or top-up (补) per item.
    finals: list[HouseholdFinal] = field(default_factory=list)

    @property
    def final_difference_fen(self) -> int:
        """Σ actual − planned over the confirmed items: positive 补, negative 退."""
        return sum(f.difference_fen for f in self.finals)


def correction_reasons(payment_ids: list[int]) -> dict[int, str]:
    """The reason given for each corrected payment, from the audit trail."""
    if not payment_ids:
        return {}
    events = db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "payment.correct",
            AuditEvent.record_type == "payment",
            AuditEvent.record_id.in_([str(i) for i in payment_ids]),
        )
    )
    return {int(e.record_id): (e.after_data or {}).get("reason", "") for e in events}


def household_statement(plan: Plan, household: Household, today: date) -> Statement:
    """The household's lines, payments (corrections annotated) and totals on one plan."""
    # Items nobody pays for (other sources cover them) are left off; exempt shares stay.
    lines = [
        line
        for line in ledger(plan, household_id=household.id)
        if line.share_fen or line.paid_fen or _residents_pay(line.item)
    ]
    payments = payments_of(plan, household_id=household.id)
    items = {item.id: item for item in plan.items}
    reversed_ids = {p.corrects_id for p in payments if p.corrects_id and p.amount_fen < 0}
    reasons = correction_reasons([p.corrects_id for p in payments if p.corrects_id])
    rows = [
        PaymentRow(p, items[p.item_id], p.id in reversed_ids, reasons.get(p.corrects_id, ""))
        for p in payments
    ]
    total = Figures()
    for line in lines:
        total.add(line)
    info = households_of(plan.community_id, [household.id])[household.id]
    return Statement(
        community=plan_community_name(plan),
        plan=plan,
        household=info,
        lines=lines,
        payments=rows,
        total=total,
        printed_on=today,
        finals=household_finals(plan, household.id),
    )


def _residents_pay(item: Item) -> bool:
    """True when residents fund part of the item."""
    try:
        return item_residents_part(item) > 0
    except ShareError:
        return True


def plan_community_name(plan: Plan) -> str:
    """The name of the plan's community."""
    return db.session.get(Community, plan.community_id).name


def payment_note(row: PaymentRow) -> str:
    """What the statement says about an entry, in Chinese: 冲正 #12（原因）, 更正 #12 ..."""
    p = row.payment
    if row.kind == "reversal":
        note = f"冲正第 {p.corrects_id} 号记录"
    elif row.kind == "replacement":
        note = f"更正第 {p.corrects_id} 号记录"
    else:
        note = ""
    if row.reason and row.kind != "payment":
        note += f"：{row.reason}"
    if row.reversed:
        note = (note + "；" if note else "") + "已冲正"
    return note


# --- PDF -----------------------------------------------------------------------------------


def _pledge_zh(line: Line) -> str:
    """The statement's pledge column: exempt, pledged, not pledged, or signed up (opt-in)."""
    if line.share_fen == 0:
        return "免缴"
    if line.item.kind == "opt_in":
        return "已报名"
    return "已承诺" if line.pledged else "未承诺"


def _method_zh(method: str) -> str:
    """A payment method in Chinese, whatever the screen's language."""
    with force_locale("zh_CN"):
        return label("payment_method", method)


def statement_pdf(s: Statement) -> bytes:
    """The statement as an A4 PDF with the embedded CJK font."""
    font = pdf_font()
    out = io.BytesIO()
    doc, styles = flow_document(out, f"{s.household.label} 出资对账单")
    title, sub, body = styles.title, styles.sub, styles.body
    small = ParagraphStyle("m", parent=body, fontSize=9, leading=13, textColor=colors.grey)
    cell = ParagraphStyle("c", parent=body, fontSize=10, leading=13)
    h = s.household
    story = [
        paragraph(f"{s.community} 改造出资对账单", title),
        paragraph(s.plan.title, sub),
        Spacer(1, 5 * mm),
        _facts(
            [
                ["住户", h.label, "业主", h.owner_name],
                ["面积", f"{centi_to_area(h.area_centi)} ㎡", "打印日期", cn_date(s.printed_on)],
            ],
            font,
        ),
        Spacer(1, 5 * mm),
        paragraph("一、应缴与已缴（单位：元）", body),
        Spacer(1, 2 * mm),
    ]
    rows = [["项目", "应缴", "出资承诺", "已缴", "未缴"]]
    for line in s.lines:
        rows.append(
            [
                paragraph(f"{line.item.key} {line.item.title}", cell),
                yuan(line.share_fen),
                _pledge_zh(line),
                yuan(line.paid_fen),
                yuan(line.balance_fen),
            ]
        )
    t = s.total
    rows.append(["合计", yuan(t.required_fen), "", yuan(t.paid_fen), yuan(t.outstanding_fen)])
    widths = [70 * mm, 28 * mm, 22 * mm, 28 * mm, 28 * mm]
    story.append(_table(rows, widths, font, numeric=(1, 3, 4), total=True))
    story += [Spacer(1, 6 * mm), paragraph("二、缴费记录（单位：元）", body), Spacer(1, 2 * mm)]
    if s.payments:
        rows = [["编号", "日期", "项目", "金额", "方式", "收据号", "说明"]]
        for r in s.payments:
            p = r.payment
            rows.append(
                [
                    str(p.id),
                    p.paid_on.isoformat(),
                    r.item.key,
                    yuan(p.amount_fen),
                    _method_zh(p.method),
                    paragraph(p.receipt_no, cell),
                    paragraph(payment_note(r), cell),
                ]
            )
        widths = [14 * mm, 24 * mm, 14 * mm, 24 * mm, 20 * mm, 30 * mm, 50 * mm]
        story.append(_table(rows, widths, font, numeric=(3,)))
    else:
        story.append(paragraph("暂无缴费记录。", body))
    if s.finals:
        story += [
            Spacer(1, 6 * mm),
            paragraph("三、决算：多退少补（单位：元）", body),
            Spacer(1, 2 * mm),
        ]
        rows = [["项目", "原定份额", "决算份额", "退 / 补"]]
        for f in s.finals:
            rows.append(
                [
                    paragraph(f"{f.item.key} {f.item.title}", cell),
                    yuan(f.planned_fen),
                    yuan(f.actual_fen),
                    difference_words(f.difference_fen),
                ]
            )
        rows.append(["合计", "", "", difference_words(s.final_difference_fen)])
        widths = [76 * mm, 30 * mm, 30 * mm, 40 * mm]
        story.append(_table(rows, widths, font, numeric=(1, 2, 3), total=True))
    story += [
        Spacer(1, 6 * mm),
        paragraph(
            "说明：应缴金额为表决开始时确定的本户份额（经批准的设计变更会调整它）；"
            "决算按实际造价和资金来源、以同样的分摊方式重新分摊，与原定份额的差额多退少补；"
            "更正以新的冲正、更正记录登记，原记录保留。"
            "如对金额有疑问，请持本单和收据与社区工作人员核对。",
            small,
        ),
        Spacer(1, 14 * mm),
        _facts([["经办人（签字）", "", "住户（签字）", ""]], font, lines=True),
    ]
    doc.build(story)
    return out.getvalue()


def _facts(rows, font: str, *, lines: bool = False) -> Table:
    """Label / value pairs in a borderless table (with lines to sign on if asked)."""
    table = Table(rows, colWidths=[22 * mm, 63 * mm, 28 * mm, 63 * mm])
    style = [
        ("FONTNAME", (0, 0), (-1, -1), font),
        ("FONTSIZE", (0, 0), (-1, -1), 11),
        ("TEXTCOLOR", (0, 0), (0, -1), colors.grey),
        ("TEXTCOLOR", (2, 0), (2, -1), colors.grey),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
    ]
    if lines:
        style += [
            ("LINEBELOW", (1, 0), (1, -1), 0.6, colors.black),
            ("LINEBELOW", (3, 0), (3, -1), 0.6, colors.black),
        ]
    table.setStyle(TableStyle(style))
    return table


def _table(rows, widths, font: str, *, numeric=(), total: bool = False) -> Table:
    """A ruled table: header shaded, numeric columns right-aligned, the total row shaded."""
    table = Table(rows, colWidths=widths, repeatRows=1)
    style = [
        ("FONTNAME", (0, 0), (-1, -1), font),
        ("FONTSIZE", (0, 0), (-1, -1), 10),
        ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#EFEBE2")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]
    style += [("ALIGN", (c, 0), (c, -1), "RIGHT") for c in numeric]
    if total:
        style.append(("BACKGROUND", (0, -1), (-1, -1), colors.HexColor("#F6F4EF")))
    table.setStyle(TableStyle(style))
    return table
