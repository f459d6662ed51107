"""PDFs of the acceptance and the evaluation: the acceptance notice (竣工验收公示) and the
printed evaluation form (满意度评价表), one page per household with its form code as a QR code.

Always Chinese, as they go on paper. Drawn with app.formats.pdf like the other notices; the
notice carries the community audit chain's head at its foot (app.printing.notices).
"""

import io
from dataclasses import dataclass

from reportlab.lib.units import mm
from sqlalchemy import select

from app.aftercare.queries import acceptance_of, applicable_items, members, passed_items
from app.communities.models import Building, Community, Household, Unit
from app.core.audit import chain_head
from app.extensions import db
from app.formats.pdf import CONTENT_W, MARGIN, PAGE_H, PAGE_W, Pen, cn_date
from app.plans.models import Plan
from app.plans.queries import local_today
from app.printing.notices import ANCHOR_QR, draw_audit_anchor
from app.rules.satisfaction import ASPECTS, form_code

RESULT_CN = {"passed": "通过", "conditional": "有条件通过", "failed": "不通过", None: "待验收"}
ASPECT_CN = {"content": "改造内容", "process": "施工过程", "management": "长效管理"}
ASPECT_HINT = {
    "content": "改造的项目、用料和做工是否满意",
    "process": "施工期间的安全、文明施工、对居民生活的影响和沟通",
    "management": "改造后的维护、保洁、物业等长期管理安排",
}
SCORE_CN = ("很不满意", "不满意", "一般", "满意", "很满意")


def _address(h: Household) -> str:
    return f"{h.building.name}{h.unit.name}{h.room}"


# The acceptance notice ------------------------------------------------------------------------


def _heading(pen: Pen, community: str, plan: Plan, continued: bool) -> float:
    top = PAGE_H - MARGIN
    title = f"{community}改造项目竣工验收公示" + ("（续）" if continued else "")
    pen.text(PAGE_W / 2, top - 8 * mm, title, 20, bold=True, align="center")
    pen.text(PAGE_W / 2, top - 16 * mm, f"《{plan.title}》", 13, align="center")
    return top - 25 * mm


def acceptance_notice_pdf(plan: Plan) -> bytes:
    """The notice: the group, every passed item's result and checklist, defects with deadlines."""
    community = db.session.get(Community, plan.community_id).name
    rows = acceptance_of(plan)
    group = members(plan)
    head = chain_head(plan.community_id)
    buf = io.BytesIO()
    pen = Pen(buf, title=f"{community}竣工验收公示", subject=plan.title)
    bottom = MARGIN + 14 * mm
    y = _heading(pen, community, plan, False)

    def room(needed: float) -> None:
        nonlocal y
        if y - needed < bottom:
            pen.end_page()
            y = _heading(pen, community, plan, True)

    checked = [r for r in rows if r.result]
    dates = sorted(r.check.checked_on for r in checked if r.check.checked_on)
    when = (
        f"于 {cn_date(dates[0])}" + (f" 至 {cn_date(dates[-1])}" if dates[-1] != dates[0] else "")
        if dates
        else ""
    )
    intro = (
        f"《{plan.title}》经业主表决通过的 {len(rows)} 个项目已完工。验收小组{when}对其中 "
        f"{len(checked)} 个项目进行了竣工验收，结果公示如下。"
    )
    y = pen.paragraph(MARGIN, y, intro, 11, CONTENT_W) - 2 * mm

    residents = [m for m in group if m.kind == "resident"]
    staff = [m for m in group if m.kind == "staff"]
    pen.text(MARGIN, y, "验收小组", 13, bold=True)
    y -= 6 * mm
    households = {
        h.id: h
        for h in db.session.scalars(
            select(Household).where(Household.id.in_([m.household_id for m in residents]))
        )
    }
    lines = []
    if residents:
        lines.append(
            "居民代表："
            + "；".join(
                f"{m.name}（{_address(households[m.household_id])}"
                + (f"，{m.role}" if m.role else "")
                + "）"
                for m in residents
            )
        )
    if staff:
        lines.append(
            "其他成员：" + "；".join(m.name + (f"（{m.role}）" if m.role else "") for m in staff)
        )
    for text in lines or ["（验收小组尚未组成）"]:
        y = pen.paragraph(MARGIN + 3 * mm, y, text, 10.5, CONTENT_W - 3 * mm)
    y -= 3 * mm

    for row in rows:
        item_lines = [f"{'√' if line['ok'] else '×' if line['ok'] is False else '○'} {line['text']}"
                      for line in row.lines]  # fmt: skip
        needed = (len(item_lines) + 3) * 5.2 * mm + len(row.defects) * 11 * mm
        room(min(needed, 80 * mm))
        pen.rule(MARGIN, y + 3 * mm, MARGIN + CONTENT_W, y + 3 * mm, line=0.4)
        y -= 3 * mm
        pen.text(MARGIN, y, f"{row.item.key}  {row.item.title}", 12.5, bold=True)
        result = RESULT_CN[row.result]
        pen.text(MARGIN + CONTENT_W, y, f"验收结果：{result}", 12.5, bold=True, align="right")
        y -= 6 * mm
        if row.check and row.check.checked_on:
            pen.text(MARGIN + 3 * mm, y, f"验收日期：{cn_date(row.check.checked_on)}", 10)
            y -= 5 * mm
        for text in item_lines:
            room(6 * mm)
            y = pen.paragraph(MARGIN + 3 * mm, y, text, 10, CONTENT_W - 3 * mm)
        if row.check and row.check.notes:
            y = pen.paragraph(
                MARGIN + 3 * mm, y, f"说明：{row.check.notes}", 10, CONTENT_W - 3 * mm
            )
        for n, d in enumerate(row.defects, start=1):
            state = (
                f"已于 {cn_date(d.rectified_on)} 整改：{d.rectification}"
                if d.status == "rectified"
                else "待整改"
            )
            text = (
                f"问题 {n}：{d.description}。整改责任单位：{d.responsible}；"
                f"整改期限：{cn_date(d.deadline)}；{state}。"
            )
            room(12 * mm)
            y = pen.paragraph(MARGIN + 3 * mm, y, text, 10, CONTENT_W - 3 * mm, bold=False)
        y -= 3 * mm

    closing = [
        "图例：√ 符合要求；× 不符合要求；○ 未检查。",
        "公示期间，业主对验收结果或整改情况有意见的，请向社区居委会或业主委员会反映。",
        "有条件通过的项目，须在整改期限内完成整改并经验收小组复查。",
    ]
    needed = len(closing) * 7 * mm + 30 * mm + (ANCHOR_QR + 6 * mm if head else 0)
    room(needed)
    for text in closing:
        y = pen.paragraph(MARGIN, y, text, 10, CONTENT_W, gray=0.2)
    y -= 6 * mm
    pen.text(MARGIN + CONTENT_W, y, f"{community}改造项目竣工验收小组", 11, align="right")
    y -= 6 * mm
    pen.text(MARGIN + CONTENT_W, y, cn_date(local_today()), 11, align="right")
    draw_audit_anchor(pen, head.head if head else None)
    pen.end_page()
    pen.save()
    return buf.getvalue()


# The printed evaluation form ------------------------------------------------------------------

QR = 26 * mm
BOX = 7 * mm


@dataclass(frozen=True)
class FormData:
    """What one household's form prints."""

    community: str
    plan_title: str
    round_number: int
    closes_on: object
    address: str
    owner: str
    code: str
    items: tuple[tuple[str, str], ...]  # (key, title) of the passed items in its scope


def _score_row(pen: Pen, y: float, label: str, hint: str) -> float:
    """One question: its words on the left, five boxes 1–5 with their words on the right."""
    left_w = CONTENT_W - 5 * 17 * mm
    pen.text(MARGIN, y, label, 11.5, bold=True)
    if hint:
        pen.paragraph(MARGIN, y - 4.6 * mm, hint, 8.5, left_w - 3 * mm, gray=0.3)
    for n in range(5):
        x = MARGIN + left_w + n * 17 * mm
        pen.box(x + 5 * mm, y - 3 * mm, BOX, BOX, line=1)
        pen.text(x + 8.5 * mm, y - 7.5 * mm, str(n + 1), 8, align="center", gray=0.3)
    return y - 14 * mm


def draw_evaluation_form(pen: Pen, d: FormData) -> None:
    """One household's page."""
    top = PAGE_H - MARGIN
    pen.text(MARGIN, top - 8 * mm, f"{d.community}改造满意度评价表", 18, bold=True)
    pen.text(MARGIN, top - 15 * mm, f"第 {d.round_number} 轮 · 《{d.plan_title}》", 11)
    pen.text(MARGIN, top - 23 * mm, f"房屋：{d.address}    业主：{d.owner}", 12)
    pen.qr(PAGE_W - MARGIN - QR, top - QR, QR, d.code)
    pen.text(PAGE_W - MARGIN - QR / 2, top - QR - 5 * mm, d.code, 10, bold=True, align="center")
    y = top - QR - 13 * mm
    intro = (
        "请对下列每一项在一个方框内打“√”：1 很不满意，2 不满意，3 一般，4 满意，5 很满意；"
        "不了解的可以不填。每户一份，以最后一次提交为准；也可以用手机登录本平台评价。"
    )
    if d.closes_on:
        intro += f"请于 {cn_date(d.closes_on)} 前交回社区。"
    y = pen.paragraph(MARGIN, y, intro, 10, CONTENT_W) - 2 * mm
    left_w = CONTENT_W - 5 * 17 * mm
    for n, word in enumerate(SCORE_CN):
        pen.text(MARGIN + left_w + n * 17 * mm + 8.5 * mm, y, word, 8, align="center")
    y -= 7 * mm
    for aspect in ASPECTS:
        y = _score_row(pen, y, ASPECT_CN[aspect], ASPECT_HINT[aspect])
    if d.items:
        pen.text(MARGIN, y, "各项目（与您家有关、已通过表决的项目）", 11, bold=True)
        y -= 8 * mm
        for key, title in d.items:
            if y < MARGIN + 70 * mm:
                break
            y = _score_row(pen, y, f"{key} {title}"[:22], "")
    pen.text(MARGIN, y, "意见和建议", 11.5, bold=True)
    y -= 4 * mm
    box_h = max(24 * mm, y - (MARGIN + 22 * mm))
    pen.box(MARGIN, y - box_h, CONTENT_W, box_h, line=0.8)
    y -= box_h + 9 * mm
    pen.text(MARGIN, y, "填表人签名：______________      日期：____年____月____日", 11)
    pen.text(
        MARGIN,
        MARGIN,
        "由社区两位工作人员分别录入；两次录入一致后生效，不一致的由业委会核对原件。",
        8,
        gray=0.35,
    )
    pen.end_page()


def evaluation_forms_pdf(plan: Plan, round_, building_id: int | None = None) -> tuple[bytes, int]:
    """The forms of a round: one page per household (of one building if given); (pdf, count)."""
    community = db.session.get(Community, plan.community_id).name
    query = (
        select(Household)
        .join(Building, Building.id == Household.building_id)
        .join(Unit, Unit.id == Household.unit_id)
        .where(Household.community_id == plan.community_id)
        .order_by(Building.id, Unit.id, Household.floor, Household.room)
    )
    if building_id:
        query = query.where(Household.building_id == building_id)
    passed = passed_items(plan)
    buf = io.BytesIO()
    pen = Pen(buf, title=f"{community}满意度评价表 第{round_.number}轮", subject=plan.title)
    count = 0
    for h in db.session.scalars(query):
        items = applicable_items(plan, h, passed)
        draw_evaluation_form(
            pen,
            FormData(
                community=community,
                plan_title=plan.title,
                round_number=round_.number,
                closes_on=round_.closes_on,
                address=_address(h),
                owner=h.owner_name,
                code=form_code(round_.number, h.id),
                items=tuple((i.key, i.title) for i in items),
            ),
        )
        count += 1
    if not count:
        pen.text(MARGIN, PAGE_H / 2, "没有需要打印的住户。", 14)
        pen.end_page()
    pen.save()
    return buf.getvalue(), count
