"""Sign-up lists of an opt-in item (户内自选) for the contractor: per building and unit, with
the price each signed-up household owes and the totals; as a page, CSV/XLSX and a PDF.

The PDF uses the embedded CJK font (app.formats.fonts.pdf_font) and is written in Chinese, as
it goes on paper to the contractor whatever the worker's screen language.
"""

import io
from dataclasses import dataclass, field
from datetime import date

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Spacer, Table, TableStyle

from app.communities.models import Household
from app.communities.queries import household_rows
from app.formats.fonts import pdf_font
from app.formats.pdf import cn_date, flow_document, paragraph, yuan
from app.formats.tables import AREA, INT, MONEY, TEXT, Column, Report
from app.plans.models import Item, Plan
from app.voting.optin import OfferStatus, plan_offers, signup_deadline


@dataclass(frozen=True)
class SignupRow:
    """One household of the item's scope and its answer."""

    household_id: int
    building: str
    unit: str
    room: str
    owner: str
    area_centi: int
    decision: str | None  # "join", "decline" or None (no answer yet)
    channel: str | None
    price_fen: int
    owed_fen: int  # the price if signed up and the offer stands, else 0


@dataclass
class UnitGroup:
    """The signed-up households of one building and unit, with their total."""

    building: str
    unit: str
    rows: list[SignupRow] = field(default_factory=list)

    @property
    def owed_fen(self) -> int:
        """What the unit's signed-up households owe together."""
        return sum(r.owed_fen for r in self.rows)


def signup_rows(status: OfferStatus, community_id: int) -> list[SignupRow]:
    """Every household in the item's scope, in building, unit, room order."""
    owed = status.owed
    rows = household_rows(
        community_id, Household.owner_name, Household.area_centi, ids=list(status.prices)
    )
    result = []
    for hid, building, unit, room, owner, area in rows:
        answer = status.answers.get(hid)
        result.append(
            SignupRow(
                hid,
                building,
                unit,
                room,
                owner,
                area,
                answer.decision if answer else None,
                answer.channel if answer else None,
                status.prices[hid],
                owed.get(hid, 0),
            )
        )
    return result


def signed_up_by_unit(rows: list[SignupRow]) -> list[UnitGroup]:
    """The signed-up households grouped per building and unit (the contractor's list)."""
    groups: dict[tuple[str, str], UnitGroup] = {}
    for row in rows:
        if row.decision == "join":
            key = (row.building, row.unit)
            groups.setdefault(key, UnitGroup(row.building, row.unit)).rows.append(row)
    return list(groups.values())


DECISION_WORDS = {"join": _l("参加"), "decline": _l("不参加"), None: _l("未答复")}
CHANNEL_WORDS = {"online": _l("网上"), "paper": _l("纸质票"), "door": _l("上门登记"), None: ""}


def signup_report_columns() -> list[Column]:
    """The columns of a sign-up list."""
    return [
        Column(str(_l("楼栋"))),
        Column(str(_l("单元"))),
        Column(str(_l("房号"))),
        Column(str(_l("业主"))),
        Column(str(_l("面积（㎡）")), AREA),
        Column(str(_l("答复"))),
        Column(str(_l("方式"))),
        Column(str(_l("每户价格（元）")), MONEY),
        Column(str(_l("应缴（元）")), MONEY),
    ]


def signup_report(status: OfferStatus, rows: list[SignupRow]) -> Report:
    """The sign-up list as a report (CSV/XLSX): every household in scope and its answer."""
    item = status.item
    report = Report(
        title=str(_l("%(k)s %(t)s 报名名单", k=item.key, t=item.title)),
        columns=signup_report_columns(),
        sheet=str(_l("报名名单")),
    )
    for r in rows:
        report.rows.append(
            [
                r.building,
                r.unit,
                r.room,
                r.owner,
                r.area_centi,
                str(DECISION_WORDS[r.decision]),
                str(CHANNEL_WORDS[r.channel]),
                r.price_fen,
                r.owed_fen,
            ]
        )
    report.total = [
        str(_l("合计")),
        "",
        "",
        str(_l("参加 %(n)d 户", n=status.signed_up)),
        None,
        str(status_words(status)),
        "",
        None,
        status.owed_fen,
    ]
    return report


def summary_report(statuses: list[OfferStatus]) -> Report:
    """One row per opt-in item: households in scope, signed up, declined, minimum, status."""
    report = Report(
        title=str(_l("户内自选项目报名情况")),
        columns=[
            Column(str(_l("编号"))),
            Column(str(_l("项目"))),
            Column(str(_l("范围内户数")), INT),
            Column(str(_l("参加")), INT),
            Column(str(_l("不参加")), INT),
            Column(str(_l("未答复")), INT),
            Column(str(_l("最低报名户数")), TEXT),
            Column(str(_l("状态"))),
            Column(str(_l("应缴合计（元）")), MONEY),
        ],
        sheet=str(_l("报名情况")),
    )
    for s in statuses:
        report.rows.append(
            [
                s.item.key,
                s.item.title,
                s.in_scope,
                s.signed_up,
                s.declined,
                s.unanswered,
                str(s.item.min_uptake) if s.item.min_uptake is not None else "—",
                str(status_words(s)),
                s.owed_fen,
            ]
        )
    return report


def status_words(status: OfferStatus):
    """The offer's state in words: stands, or lapses (with how many are missing)."""
    if status.item.min_uptake is None:
        return _l("无最低报名要求，报名即成立")
    if status.stands:
        return _l("已达最低报名户数，团购价成立")
    return _l("未达最低报名户数（还差 %(n)d 户），团购价不成立", n=status.still_needed)


def price_words(item: Item):
    """How the item is priced, in words."""
    if item.price_fen is not None:
        base = _l("每户 %(y)s 元", y=yuan(item.price_fen))
    elif item.price_fen_per_m2 is not None:
        base = _l("每平方米 %(y)s 元 × 本户面积", y=yuan(item.price_fen_per_m2))
    else:
        base = _l("免费")
    if item.subsidy_fen:
        return _l("%(base)s，每户补贴 %(s)s 元", base=base, s=yuan(item.subsidy_fen))
    return base


# --- PDF -----------------------------------------------------------------------------------

_DECISION_ZH = {"join": "参加", "decline": "不参加", None: "未答复"}


def signup_pdf(
    status: OfferStatus, rows: list[SignupRow], community: str, plan: Plan, today: date
) -> bytes:
    """The contractor's list: signed-up households per building and unit, prices and totals."""
    item = status.item
    font = pdf_font()
    out = io.BytesIO()
    doc, styles = flow_document(out, f"{item.key} {item.title} 报名名单")
    title, sub, body = styles.title, styles.sub, styles.body
    strong = ParagraphStyle("g", parent=body, fontSize=12, leading=18)
    deadline = signup_deadline(item, plan)
    story = [
        paragraph(f"{community} 户内自选项目报名名单", title),
        paragraph(f"{plan.title} · {item.key} {item.title}", sub),
        Spacer(1, 5 * mm),
        paragraph(f"价格：{_zh(price_words(item))}", body),
        paragraph(
            f"报名截止：{cn_date(deadline) if deadline else '—'}　　打印日期：{cn_date(today)}",
            body,
        ),
        paragraph(
            f"范围内 {status.in_scope} 户：参加 {status.signed_up} 户，"
            f"不参加 {status.declined} 户，未答复 {status.unanswered} 户。",
            body,
        ),
        paragraph(f"状态：{_zh(status_words(status))}", strong),
        Spacer(1, 4 * mm),
    ]
    groups = signed_up_by_unit(rows)
    header = ["楼栋", "单元", "房号", "业主", "面积（㎡）", "应缴（元）", "施工签认"]
    widths = [24 * mm, 20 * mm, 18 * mm, 30 * mm, 22 * mm, 28 * mm, 36 * mm]
    table_rows = [header]
    shaded = []
    for group in groups:
        for r in group.rows:
            table_rows.append(
                [
                    r.building,
                    r.unit,
                    r.room,
                    r.owner,
                    f"{r.area_centi / 100:.2f}",
                    yuan(r.owed_fen) if status.stands else f"（{yuan(r.price_fen)}）",
                    "",
                ]
            )
        table_rows.append(
            [
                group.building,
                group.unit,
                f"{len(group.rows)} 户",
                "小计",
                "",
                yuan(group.owed_fen),
                "",
            ]
        )
        shaded.append(len(table_rows) - 1)
    table_rows.append(["合计", "", f"{status.signed_up} 户", "", "", yuan(status.owed_fen), ""])
    shaded.append(len(table_rows) - 1)
    if not groups:
        story.append(paragraph("还没有住户报名参加。", body))
    else:
        table = Table(table_rows, colWidths=widths, repeatRows=1)
        style = [
            ("FONTNAME", (0, 0), (-1, -1), font),
            ("FONTSIZE", (0, 0), (-1, -1), 10),
            ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#EFEBE2")),
            ("ALIGN", (4, 0), (5, -1), "RIGHT"),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ]
        style += [("BACKGROUND", (0, i), (-1, i), colors.HexColor("#F6F4EF")) for i in shaded]
        table.setStyle(TableStyle(style))
        story.append(table)
    if not status.stands:
        story += [
            Spacer(1, 4 * mm),
            paragraph("报名户数未达最低要求，团购价不成立：括号内为报价，住户无需缴费。", body),
        ]
    doc.build(story)
    return out.getvalue()


def _zh(text) -> str:
    """A lazily translated phrase in Chinese, whatever the screen's language."""
    with force_locale("zh_CN"):
        return str(text)


def plan_signup_reports(plan: Plan) -> list[Report]:
    """Every opt-in item's sign-ups (the export and the archive): one list of every household
    of every item's scope with its answer and what it owes (the CSV), then the summary."""
    statuses = plan_offers(plan)
    report = Report(
        title=str(_l("户内自选报名名单")),
        columns=[Column(str(_l("项目编号"))), *signup_report_columns()],
        sheet=str(_l("报名名单")),
    )
    for status in statuses:
        single = signup_report(status, signup_rows(status, plan.community_id))
        report.rows += [[status.item.key, *row] for row in single.rows]
    return [report, summary_report(statuses)]
