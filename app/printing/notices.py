"""Result notices (公示 / 公告) and the tally sheet (计票表) for the bulletin board and the file.

Pure drawing from plain data (NoticeData, built from ``tally_plan`` in printing.queries): per
item the headcount and area figures and the outcome, never a name or a household's choice.
Always Chinese, as they go on paper.
"""

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from reportlab.lib.units import mm

from app.formats.pdf import CONTENT_W, MARGIN, PAGE_H, PAGE_W, Pen, cn_date
from app.printing.option_chart import OptionLine, draw_option_chart, option_chart_height

TITLES = {
    "preliminary": "表决结果公示",
    "final": "表决结果公告",
    "sheet": "表决计票表",
}
ROWS = (("electorate", "表决范围"), ("participating", "参与表决"), ("agree", "同意"),
        ("oppose", "反对"), ("abstain", "弃权"))  # fmt: skip


@dataclass(frozen=True)
class Figures:
    """One line of counts: owners (headcount, exact), area (m²), households."""

    owners: Fraction
    area: Decimal
    households: int


@dataclass(frozen=True)
class NoticeItem:
    """One item's result as a notice prints it."""

    key: str
    title: str
    rule: str  # the rule spelt out with its thresholds (app.tally.explain.rule_text)
    scope: str  # "" for the whole community
    figures: dict  # ROWS name -> Figures
    passed: bool
    reason: str  # the outcome and why, one sentence (app.tally.explain.result_sentence)
    without_policy_passed: bool | None = None  # follow_majority: the outcome without it
    # An item with options (方案比选): its bars, and the outcome in words (the chosen option,
    # or "未决出方案，需决选").
    options: tuple[OptionLine, ...] = ()
    options_text: str = ""
    runoff_note: str = ""  # a runoff (决选): which vote it decides; or the runoff opened for it


@dataclass(frozen=True)
class NoticeData:
    """A notice or tally sheet: the plan, its dates, its ballots and its items."""

    kind: str  # preliminary, final, sheet
    community: str
    plan_title: str
    voting_opens: date | None
    voting_closes: date | None
    published_on: date | None
    objections_close: date | None
    contact: str
    ballots: dict  # effective, online, paper, assisted, awaiting
    turnout: tuple[Figures, Figures]  # community electorate, participating
    items: tuple[NoticeItem, ...]
    objections: tuple[int, int] = (0, 0)  # received, resolved
    corrections: tuple[str, ...] = ()  # corrections of the frozen electorate, in words
    # Opt-in items (户内自选): not voted, listed apart with their sign-ups, one line each.
    opt_in: tuple[str, ...] = ()
    # The community audit chain's head when this was drawn ("SEQ:HASH"): anyone can later
    # check that the chain still holds this exact event (flask audit verify --anchor, or the
    # archive page), so history rewritten after the notice went up is caught.
    audit_head: str | None = None


def owners_cn(owners: Fraction) -> str:
    """A headcount: whole, or with one decimal, rounded half up (104.1)."""
    owners = Fraction(owners)
    if owners.denominator == 1:
        return str(owners.numerator)
    value = Decimal(owners.numerator) / Decimal(owners.denominator)
    return str(value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def area_cn(area: Decimal) -> str:
    """Square metres to the hundredth."""
    return f"{Decimal(area).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,}"


def percent_cn(part, whole) -> str:
    """part / whole as a percentage with one decimal; "—" when whole is 0."""
    if not whole:
        return "—"
    ratio = Fraction(part) / Fraction(whole) * 100
    value = Decimal(ratio.numerator) / Decimal(ratio.denominator)
    return f"{value.quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}%"


def _heading(pen: Pen, d: NoticeData, continued: bool) -> float:
    """Title and plan; returns the y below."""
    top = PAGE_H - MARGIN
    title = d.community + "改造方案" + TITLES[d.kind] + ("（续）" if continued else "")
    pen.text(PAGE_W / 2, top - 8 * mm, title, 20, bold=True, align="center")
    pen.text(PAGE_W / 2, top - 16 * mm, f"《{d.plan_title}》", 13, align="center")
    return top - 24 * mm


def _intro(d: NoticeData) -> str:
    """The opening paragraph: period, electorate, participation by channel."""
    electorate, participating = d.turnout
    b = d.ballots
    period = (
        f"于 {cn_date(d.voting_opens)} 至 {cn_date(d.voting_closes)} 进行表决"
        if d.voting_opens and d.voting_closes
        else "已完成表决"
    )
    text = (
        f"《{d.plan_title}》{period}。全小区共 {electorate.households} 户（业主 "
        f"{owners_cn(electorate.owners)} 人，专有部分面积 {area_cn(electorate.area)} 平方米）；"
        f"参与表决 {participating.households} 户（网上 {b['online']} 户，纸质票 {b['paper']} 户，"
        f"上门代填 {b['assisted']} 户）。按《中华人民共和国民法典》第二百七十八条，"
        "同一业主拥有多户的按一人计，每个项目在其表决范围内分别计票，结果如下。"
        "表中“参与表决”的占比是占该项目表决范围内全体业主的比例，同意、反对、弃权的占比是"
        "占参与表决业主的比例；人数保留一位小数。"
    )
    return text


def correction_cn(kind: str, address: str, before: dict, after: dict, reason: str, on) -> str:
    """One correction of the frozen electorate as the notice prints it (design §3c)."""
    if kind == "area":
        old, new = area_cn(Decimal(before["area"])), area_cn(Decimal(after["area"]))
        change = f"面积由 {old} 平方米更正为 {new} 平方米"
    elif kind == "owner":
        change = (
            f"业主归属由“同一业主 {before['owner_households']} 户”更正为"
            f"“同一业主 {after['owner_households']} 户”"
        )
    elif kind == "add":
        change = f"补入表决范围（面积 {area_cn(Decimal(after['area']))} 平方米）"
    else:
        change = f"移出表决范围（原面积 {area_cn(Decimal(before['area']))} 平方米）"
    return f"{cn_date(on)}，{address}：{change}。原因：{reason}"


def _corrections(pen: Pen, y: float, d: NoticeData) -> float:
    """The electorate corrections since voting opened, listed under the intro; returns y."""
    if not d.corrections:
        return y
    y = pen.paragraph(
        MARGIN,
        y,
        f"更正：本方案的表决范围在开始表决时固定，此后经业委会更正 {len(d.corrections)} 处，"
        "以下结果已按更正后的表决范围计算：",
        10.5,
        CONTENT_W,
        bold=True,
    )
    for n, line in enumerate(d.corrections, start=1):
        y = pen.paragraph(MARGIN + 4 * mm, y, f"{n}. {line}", 10, CONTENT_W - 4 * mm)
    return y - 2 * mm


def _opt_in_lines(pen: Pen, y: float, d: NoticeData, bottom: float) -> float:
    """The opt-in items and their sign-ups, after the voted items; returns y."""
    if not d.opt_in:
        return y
    texts = ["户内自选项目（不表决、不计票，由各户自愿报名）：", *d.opt_in]
    needed = sum(len(pen.wrap(t, 10.5, CONTENT_W - 4 * mm)) for t in texts) * 15 + 4 * mm
    if y - needed < bottom:
        pen.end_page()
        y = _heading(pen, d, continued=True)
    y = pen.paragraph(MARGIN, y, texts[0], 11, CONTENT_W, bold=True)
    for n, line in enumerate(d.opt_in, start=1):
        y = pen.paragraph(MARGIN + 4 * mm, y, f"{n}. {line}", 10.5, CONTENT_W - 4 * mm)
    return y - 2 * mm


def _item_block_height(pen: Pen, item: NoticeItem) -> float:
    """Height of one item's block: title, table, the outcome and rule paragraphs as wrapped."""
    reason_lines = len(pen.wrap("结果：" + item.reason, 11, CONTENT_W))
    rule_lines = len(pen.wrap(_rule_line(item), 8.5, CONTENT_W))
    height = 10 * mm + 6.2 * mm * (len(ROWS) + 1) + reason_lines * 16 + rule_lines * 12.5 + 6 * mm
    if item.runoff_note:
        height += len(pen.wrap(item.runoff_note, 10, CONTENT_W)) * 14
    if item.options:
        options_lines = len(pen.wrap(item.options_text, 11, CONTENT_W))
        height += option_chart_height(item.options) + options_lines * 16 + 12 * mm
    return height


def _rule_line(item: NoticeItem) -> str:
    """The item's rule spelt out, and under follow_majority the outcome without it."""
    rule = "规则：" + item.rule
    if item.without_policy_passed is not None:
        rule += "按议事规则，已送达未表决的住户计入多数意见；不计入时本项" + (
            "通过" if item.without_policy_passed else "未通过"
        )
    return rule


def _item_block(pen: Pen, y: float, item: NoticeItem) -> float:
    """One item: title, rule, the five lines of figures, the outcome; returns the y below."""
    left = MARGIN
    scope = f"（范围：{item.scope}）" if item.scope else "（范围：全小区）"
    pen.text(left, y - 5 * mm, f"{item.key}  {item.title}", 13, bold=True)
    pen.text(
        left + pen.width(f"{item.key}  {item.title}", 13) + 3 * mm,
        y - 5 * mm,
        scope,
        9.5,
        gray=0.35,
    )
    y -= 8 * mm
    if item.runoff_note:
        y = pen.paragraph(left, y, item.runoff_note, 10, CONTENT_W) - 1 * mm
    cols = [
        ("", 26 * mm),
        ("人数（业主）", 30 * mm),
        ("人数占比", 26 * mm),
        ("面积（㎡）", 40 * mm),
        ("面积占比", 26 * mm),
        ("户数", CONTENT_W - 148 * mm),
    ]
    row_h = 6.2 * mm
    pen.box(left, y - row_h, CONTENT_W, row_h, line=0.5, fill=0.92)
    x = left
    for label, w in cols:
        pen.text(
            x + w - 2 * mm if label else x + 2 * mm,
            y - 4.4 * mm,
            label,
            9.5,
            align="right" if label else "left",
        )
        x += w
    y -= row_h
    f = item.figures
    for name, label in ROWS:
        m = f[name]
        base = f["electorate"] if name == "participating" else f["participating"]
        pen.box(left, y - row_h, CONTENT_W, row_h, line=0.4)
        share_owner = "" if name == "electorate" else percent_cn(m.owners, base.owners)
        share_area = "" if name == "electorate" else percent_cn(m.area, base.area)
        cells = [label, owners_cn(m.owners), share_owner, area_cn(m.area), share_area,
                 str(m.households)]  # fmt: skip
        x = left
        for (_label, w), text in zip(cols, cells, strict=True):
            if text is label:
                pen.text(
                    x + 2 * mm, y - 4.4 * mm, text, 10, bold=name in ("agree", "participating")
                )
            else:
                pen.text(x + w - 2 * mm, y - 4.4 * mm, text, 10, align="right")
            x += w
        y -= row_h
    y = pen.paragraph(left, y - 5.5 * mm, "结果：" + item.reason, 11, CONTENT_W, bold=True)
    if item.options:
        y = pen.paragraph(left, y + 1 * mm, item.options_text, 11, CONTENT_W, bold=True)
        y = draw_option_chart(pen, left, y + 2 * mm, item.options)
        y = pen.paragraph(
            left, y - 2 * mm, "实心条为同意人数，斜线条为同意面积，均为占参与表决业主的比例。", 8.5,
            CONTENT_W, gray=0.35,
        ) - 1 * mm  # fmt: skip
    return pen.paragraph(left, y + 1 * mm, _rule_line(item), 8.5, CONTENT_W, gray=0.35) - 2 * mm


def _closing_lines(d: NoticeData) -> list[str]:
    """What follows the items: objection period, final note, privacy, how to check a receipt."""
    lines = []
    if d.kind == "preliminary":
        deadline = cn_date(d.objections_close) if d.objections_close else "公示期满"
        lines.append(
            f"公示期：{cn_date(d.published_on)} 至 {deadline}。对表决结果有异议的，请于 {deadline}"
            f"前向{d.contact or '社区居委会'}提出（书面或当面均可），我们将核查并答复。"
        )
    elif d.kind == "final":
        received, resolved = d.objections
        lines.append(
            f"初步结果公示期间共收到异议 {received} 件，已全部核查答复 {resolved} 件。"
            "本公告为最终结果。" + (f"咨询：{d.contact}。" if d.contact else "")
        )
    if d.kind != "sheet":
        lines.append(
            "本公示只公布人数和面积的合计，不公布业主姓名和各户的表决意见。住户可凭表决回执码"
            "在网上或到社区查询本户表决是否已计入。"
        )
    return lines


def _signatures(pen: Pen, y: float, d: NoticeData) -> float:
    """Signature lines: the tally sheet's counters and witnesses, or the notice's stamp."""
    left = MARGIN
    if d.kind == "sheet":
        for label in ("计票人", "计票人", "监票人", "监票人", "见证人（街道/社区）"):
            y -= 11 * mm
            text = f"{label}（签名）："
            pen.text(left, y, text, 12)
            start = left + max(48 * mm, pen.width(text, 12) + 2 * mm)
            pen.rule(start, y - 1.5 * mm, left + 110 * mm, y - 1.5 * mm, line=0.6)
            pen.text(left + 116 * mm, y, "日期：", 12)
            pen.rule(left + 130 * mm, y - 1.5 * mm, PAGE_W - MARGIN, y - 1.5 * mm, line=0.6)
        return y
    y -= 14 * mm
    pen.text(PAGE_W - MARGIN, y, "发布单位（盖章）：", 12, align="right")
    y -= 10 * mm
    published = cn_date(d.published_on) or "        年    月    日"
    pen.text(PAGE_W - MARGIN, y, published, 12, align="right")
    return y


ANCHOR_QR = 24 * mm


def _anchor(pen: Pen, d: NoticeData) -> None:
    """The chain head at the foot of the last page: sequence, 16 hex characters, QR of all."""
    draw_audit_anchor(pen, d.audit_head)


def draw_audit_anchor(pen: Pen, audit_head: str | None) -> None:
    """The audit chain's head ("SEQ:HASH") at the foot of the page, as every notice prints it."""
    if not audit_head:
        return
    seq, _sep, digest = audit_head.partition(":")
    x, y = MARGIN, MARGIN
    pen.qr(x, y, ANCHOR_QR, audit_head)
    left = x + ANCHOR_QR + 3 * mm
    pen.text(left, y + ANCHOR_QR - 4 * mm, f"记录链核验码：第 {seq} 条 · {digest[:16]}", 9)
    pen.paragraph(
        left,
        y + ANCHOR_QR - 7 * mm,
        "本页打印时本小区操作记录链的最新一条。任何人可请社区用此码核对：打印后的记录如被删改，"
        "核对将不通过。二维码为完整核验码。",
        8,
        CONTENT_W - ANCHOR_QR - 3 * mm,
        gray=0.35,
    )


def draw_notice(pen: Pen, d: NoticeData) -> None:
    """Draw a result notice or tally sheet; items flow onto further pages as needed."""
    y = _heading(pen, d, continued=False)
    if d.kind == "sheet":
        b = d.ballots
        state = f"有效表决票 {b['effective']} 户；冲突 {b.get('conflicts', 0)} 户已按方案规则处理。"
        if b.get("awaiting"):
            state += f"尚有 {b['awaiting']} 户纸质票未完成录入核对。"
        y = pen.paragraph(MARGIN, y, state, 10.5, CONTENT_W)
    y = pen.paragraph(MARGIN, y, _intro(d), 11, CONTENT_W) - 2 * mm
    y = _corrections(pen, y, d)
    bottom = MARGIN + 12 * mm
    for item in d.items:
        if y - _item_block_height(pen, item) < bottom:
            pen.end_page()
            y = _heading(pen, d, continued=True)
        y = _item_block(pen, y, item)
    y = _opt_in_lines(pen, y, d, bottom)
    closing = _closing_lines(d)
    needed = sum(len(pen.wrap(t, 11, CONTENT_W)) for t in closing) * 16 + 70 * mm
    needed += ANCHOR_QR + 6 * mm if d.audit_head else 0
    if y - needed < bottom:
        pen.end_page()
        y = _heading(pen, d, continued=True)
    y -= 3 * mm
    for text in closing:
        y = pen.paragraph(MARGIN, y, text, 11, CONTENT_W) - 1.5 * mm
    _signatures(pen, y, d)
    _anchor(pen, d)
    pen.end_page()
