"""The paper ballot (纸质表决票): one household, every item in its scope, one page where possible.

Pure drawing: takes a BallotData and a Pen. The ballot is always Chinese, as it goes on paper.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from reportlab.lib.units import mm

from app.formats.pdf import CONTENT_W, MARGIN, PAGE_H, PAGE_W, Pen, cn_date, yuan
from app.paper.serials import format_serial

CATEGORY_CN = {"basic": "基础类", "improvement": "完善类", "enhancement": "提升类"}
CONFLICT_CN = {
    "paper_prevails": "以签名的纸质票为准",
    "online_prevails": "以网上表决为准",
    "latest_prevails": "以最后一次表决为准",
}
MARKS = ("同意", "反对", "弃权", "认缴")


@dataclass(frozen=True)
class BallotOption:
    """One option of an item (方案比选) as the ballot prints it, with the household's share
    under it (None when residents pay nothing under it)."""

    key: str
    title: str
    share_fen: int | None


@dataclass(frozen=True)
class BallotItem:
    """One item as the ballot prints it; share_fen None when the item has no residents' part.

    An item with options prints one line per option, each with its own 同意 box and share; the
    反对 and 弃权 boxes stay on the item's line."""

    key: str
    title: str
    summary: str
    category: str
    share_fen: int | None  # an opt-in item: the household's price
    options: tuple[BallotOption, ...] = ()
    kind: str = "vote"  # "opt_in" (户内自选): a 参加/不参加 box instead of the vote marks


@dataclass(frozen=True)
class BallotData:
    """What one household's ballot says."""

    community: str
    plan_title: str
    building: str
    unit: str
    room: str
    area: Decimal
    owner_name: str
    serial: str  # normalised; printed grouped
    items: tuple[BallotItem, ...]
    voting_closes: date | None
    conflict_policy: str


OPT_IN_RULE = (
    "标“户内自选”的项目不表决、不计票：由您家自己决定，参加的在“参加”框打“√”，"
    "不参加的在“不参加”框打“√”，都不打视为未答复。参加的按“您家分摊”栏的本户价格出资。"
)


def has_opt_in(d: BallotData) -> bool:
    """True when the ballot lists an opt-in item."""
    return any(item.kind == "opt_in" for item in d.items)


def ballot_rules(d: BallotData) -> list[str]:
    """The rules for a valid mark, printed under the items."""
    options = []
    if any(item.options for item in d.items):
        options = [
            "有比选方案的项目：同意的，在所选方案那一行的“同意”框内打“√”，只能选一个方案；"
            "不同意的在“反对”框内打“√”。"
        ]
    return [
        *([OPT_IN_RULE] if has_opt_in(d) else []),
        "每个项目只能选一项。一个项目选了多项、或涂改后无法辨认的，该项目视为未填写。",
        *options,
        "未填写的项目按“弃权”计。本票须由业主或其受托人签名，未签名的表决票无效。",
        "受托人代为表决的，请附业主签名的授权委托书。",
        "每户一张表决票，以票号为准；重新打印后，原表决票作废。",
        "同一户既在网上表决又交回纸质票的，"
        + CONFLICT_CN.get(d.conflict_policy, CONFLICT_CN["paper_prevails"])
        + "。",
    ]


INSTRUCTIONS = (
    "填写方法：每个项目在“同意”“反对”“弃权”中选一项，在方框内打“√”。"
    "同意并愿意承担您家分摊费用的，请在“认缴”栏也打“√”。"
)
INSTRUCTION_SIZE = 10.5
QR_SIZE = 24 * mm
HOUSEHOLD_H = 17 * mm
HEADER_H = QR_SIZE + 15 * mm + HOUSEHOLD_H + 4 * mm
HEAD_H = 9 * mm

# Table columns: key, item, category, share, then the four mark boxes.
COL_KEY, COL_CAT, COL_SHARE, COL_MARK = 13 * mm, 17 * mm, 27 * mm, 14 * mm
COL_ITEM = CONTENT_W - COL_KEY - COL_CAT - COL_SHARE - 4 * COL_MARK
TITLE_SIZE, SUMMARY_SIZE = 11.5, 8.5
OPTION_SIZE = 10.5
ROW_PAD = 2.6 * mm
OPTION_PAD = 1.5 * mm
FOOTER_H = 10 * mm


class _Layout:
    """Measured rows and the pages they fall on."""

    def __init__(self, pen: Pen, d: BallotData):
        self.rows = []
        for item in d.items:
            title = pen.wrap(item.title, TITLE_SIZE, COL_ITEM - 3 * mm)
            summary = pen.wrap(item.summary, SUMMARY_SIZE, COL_ITEM - 3 * mm)[:2]
            height = len(title) * TITLE_SIZE * 1.3 + len(summary) * SUMMARY_SIZE * 1.35
            head = max(11 * mm, height + 2 * ROW_PAD)
            options = []
            for option in item.options:
                lines = pen.wrap(
                    f"方案{option.key}：{option.title}", OPTION_SIZE, COL_ITEM - 5 * mm
                )
                options.append(
                    (option, lines, max(7.5 * mm, len(lines) * OPTION_SIZE * 1.3 + 2 * OPTION_PAD))
                )
            total = head + sum(h for *_rest, h in options)
            self.rows.append((item, title, summary, head, tuple(options), total))
        self.rules = [
            pen.wrap(f"{n}. {r}", 10, CONTENT_W) for n, r in enumerate(ballot_rules(d), 1)
        ]
        self.closing_h = sum(len(r) for r in self.rules) * 14.5 + 50 * mm
        self.instructions = pen.wrap(INSTRUCTIONS, INSTRUCTION_SIZE, CONTENT_W)
        instructions_h = len(self.instructions) * INSTRUCTION_SIZE * 1.45 + 2 * mm
        self.rows_top = PAGE_H - MARGIN - HEADER_H - instructions_h - HEAD_H

    def pages(self) -> list[list[int]]:
        """Row indices per page; the rules and signature follow the last row on the last page."""
        bottom = MARGIN + FOOTER_H
        pages, current, y = [], [], self.rows_top
        for index, (*_ignored, height) in enumerate(self.rows):
            if current and y - height < bottom:
                pages.append(current)
                current, y = [], self.rows_top
            current.append(index)
            y -= height
        pages.append(current)
        if y - self.closing_h < bottom:
            pages.append([])  # the signature block gets a page of its own
        return pages


def _header_static(pen: Pen, d: BallotData, continued: bool) -> None:
    """What every ballot of the batch shares at its top: titles, frames, labels, instructions."""
    left, right = MARGIN, PAGE_W - MARGIN
    top = PAGE_H - MARGIN
    qr = QR_SIZE
    pen.text(right - qr / 2, top - qr - 5 * mm, "票号", 8, align="center", gray=0.35)
    pen.text(left, top - 6 * mm, d.community, 14)
    title = "改造方案表决票" + ("（续页）" if continued else "")
    pen.text(left, top - 17 * mm, title, 22, bold=True)
    pen.paragraph(left, top - 25 * mm, f"方案：{d.plan_title}", 11, CONTENT_W - qr - 6 * mm)
    y = top - HEADER_H + 4 * mm + HOUSEHOLD_H
    pen.box(left, y - HOUSEHOLD_H, CONTENT_W, HOUSEHOLD_H, line=1)
    step = CONTENT_W / 4
    for i, label in enumerate(("楼栋", "单元", "房号", "面积")):
        pen.text(left + 4 * mm + i * step, y - 7 * mm, label, 9, gray=0.35)
    pen.text(left + 4 * mm, y - 14 * mm, "业主", 9, gray=0.35)
    y = top - HEADER_H
    for line in pen.wrap(INSTRUCTIONS, INSTRUCTION_SIZE, CONTENT_W):
        pen.text(MARGIN, y - INSTRUCTION_SIZE, line, INSTRUCTION_SIZE)
        y -= INSTRUCTION_SIZE * 1.45


def _header_values(pen: Pen, d: BallotData) -> None:
    """This household's part of the header: its serial, QR code and address."""
    left, right = MARGIN, PAGE_W - MARGIN
    top = PAGE_H - MARGIN
    qr = QR_SIZE
    printed = format_serial(d.serial)
    pen.qr(right - qr, top - qr, qr, printed)
    pen.text(right, top - qr - 10 * mm, printed, 11, bold=True, align="right")
    y = top - HEADER_H + 4 * mm + HOUSEHOLD_H
    step = CONTENT_W / 4
    values = (d.building, d.unit or "—", d.room, f"{d.area:.2f} ㎡")
    for i, value in enumerate(values):
        pen.text(left + 14 * mm + i * step, y - 7 * mm, value, 13, bold=True)
    pen.text(left + 14 * mm, y - 14 * mm, d.owner_name, 13, bold=True)


def _table_head(pen: Pen, y: float) -> float:
    """The column headings; returns the y below them."""
    left = MARGIN
    h = HEAD_H
    pen.box(left, y - h, CONTENT_W, h, line=0.8, fill=0.9)
    x = left
    labels = [("编号", COL_KEY), ("改造项目", COL_ITEM), ("类别", COL_CAT)]
    labels.append(("您家分摊（元）", COL_SHARE))
    labels += [(m, COL_MARK) for m in MARKS]
    for label, w in labels:
        pen.text(x + w / 2, y - 6 * mm, label, 10, bold=True, align="center")
        x += w
    return y - h


def _opt_in_boxes(pen: Pen, x: float, y: float, height: float) -> None:
    """The mark columns of an opt-in row: a 参加 box and a 不参加 box, each over two columns."""
    side = 6.5 * mm
    box_y = y - height / 2 - side / 2
    for i, label in enumerate(("参加", "不参加")):
        left = x + i * 2 * COL_MARK
        pen.box(left + 3 * mm, box_y, side, side, line=1.1)
        pen.text(left + 3 * mm + side + 1.5 * mm, box_y + 1.8 * mm, label, 11, bold=True)
        pen.rule(left, y, left, 0, line=0.3)


def _row_static(pen: Pen, row, pledge_box: bool) -> None:
    """One item row without the household's share, its top at y = its height (a form)."""
    item, title, summary, head, options, height = row
    y, left = height, MARGIN
    pen.box(left, 0, CONTENT_W, height, line=0.6)
    x = left
    pen.text(
        x + COL_KEY / 2, y - ROW_PAD - TITLE_SIZE, item.key, TITLE_SIZE, bold=True, align="center"
    )
    x += COL_KEY
    ty = y - ROW_PAD - TITLE_SIZE
    for line in title:
        pen.text(x + 1.5 * mm, ty, line, TITLE_SIZE)
        ty -= TITLE_SIZE * 1.3
    for line in summary:
        pen.text(x + 1.5 * mm, ty + 1.5, line, SUMMARY_SIZE, gray=0.35)
        ty -= SUMMARY_SIZE * 1.35
    x += COL_ITEM
    opt_in = item.kind == "opt_in"
    category = "户内自选" if opt_in else CATEGORY_CN.get(item.category, "")
    pen.text(x + COL_CAT / 2, y - ROW_PAD - TITLE_SIZE, category, 10, align="center", bold=opt_in)
    x += COL_CAT + COL_SHARE
    if opt_in:
        _opt_in_boxes(pen, x, y, height)
        for edge in (COL_KEY, COL_KEY + COL_ITEM, COL_KEY + COL_ITEM + COL_CAT):
            pen.rule(left + edge, y, left + edge, 0, line=0.3)
        return
    side = 6.5 * mm
    # With options the item's own line is its head: 反对, 弃权 and 认缴 there, 同意 per option.
    box_y = y - (head if options else height) / 2 - side / 2
    for i in range(4):
        if i == 0 and options:
            pen.text(x + COL_MARK / 2, box_y + 2 * mm, "选方案↓", 8, align="center", gray=0.35)
        elif i == 3 and not pledge_box:
            pen.text(x + COL_MARK / 2, box_y + 2 * mm, "—", 10, align="center", gray=0.4)
        else:
            pen.box(x + (COL_MARK - side) / 2, box_y, side, side, line=1.1)
        pen.rule(x, y, x, 0, line=0.3)
        x += COL_MARK
    for edge in (COL_KEY, COL_KEY + COL_ITEM, COL_KEY + COL_ITEM + COL_CAT):
        pen.rule(left + edge, y, left + edge, 0, line=0.3)
    agree_x = left + COL_KEY + COL_ITEM + COL_CAT + COL_SHARE
    oy = y - head
    for _option, lines, option_h in options:
        pen.rule(left + COL_KEY, oy, left + CONTENT_W, oy, line=0.3)
        ty = oy - OPTION_PAD - OPTION_SIZE
        for line in lines:
            pen.text(left + COL_KEY + 4 * mm, ty, line, OPTION_SIZE)
            ty -= OPTION_SIZE * 1.3
        pen.box(agree_x + (COL_MARK - side) / 2, oy - option_h / 2 - side / 2, side, side, line=1.1)
        oy -= option_h


def _row(pen: Pen, y: float, row) -> float:
    """One item row: the shared form, then this household's share (under each option, for an
    item with options); returns the y below it."""
    item, title, _summary, head, options, height = row
    pledge_box = bool(item.share_fen) or any(o.share_fen for o in item.options)
    key = (
        "row",
        item.key,
        item.title,
        item.summary,
        item.category,
        item.kind,
        len(title),
        pledge_box,
        tuple((o.key, o.title) for o in item.options),
    )
    pen.stamp(key, lambda: _row_static(pen, row, pledge_box), dy=y - height)
    x = MARGIN + COL_KEY + COL_ITEM + COL_CAT + COL_SHARE - 2 * mm
    if not options:
        share = "—" if item.share_fen is None else yuan(item.share_fen)
        pen.text(x, y - ROW_PAD - TITLE_SIZE, share, 11, align="right")
        return y - height
    oy = y - head
    for option, _lines, option_h in options:
        share = "—" if option.share_fen is None else yuan(option.share_fen)
        pen.text(x, oy - OPTION_PAD - OPTION_SIZE, share, 11, align="right")
        oy -= option_h
    return y - height


def _closing_static(pen: Pen, d: BallotData, layout: _Layout) -> None:
    """Rules for a valid mark, signature and date lines, where to return the ballot (a form
    whose top is at y = layout.closing_h)."""
    left, right = MARGIN, PAGE_W - MARGIN
    y = layout.closing_h - 7 * mm
    pen.text(left, y, "有效填写规则", 11, bold=True)
    y -= 6 * mm
    for lines in layout.rules:
        for line in lines:
            pen.text(left, y, line, 10)
            y -= 14.5
    y -= 9 * mm
    pen.text(left, y, "业主（或受托人）签名：", 12)
    pen.rule(left + 44 * mm, y - 1.5 * mm, left + 105 * mm, y - 1.5 * mm, line=0.7)
    pen.text(left + 110 * mm, y, "联系电话：", 12)
    pen.rule(left + 131 * mm, y - 1.5 * mm, right, y - 1.5 * mm, line=0.7)
    y -= 12 * mm
    pen.text(left, y, "日期：        年        月        日", 12)
    y -= 11 * mm
    when = f"请于 {cn_date(d.voting_closes)} 前" if d.voting_closes else "请在表决截止前"
    pen.text(left, y, when + "将本票交回社区居委会，或投入小区表决箱。", 12, bold=True)


def draw_ballot(pen: Pen, d: BallotData) -> None:
    """Draw one household's ballot: one page, or continuation pages for many items.

    What every ballot of a batch shares (titles, rules, each item's row) is drawn once into a
    PDF form and placed on each page, so a batch costs little more than its variable text.
    """
    layout = _Layout(pen, d)
    pages = layout.pages()
    for number, rows in enumerate(pages, start=1):
        continued = number > 1
        pen.stamp(
            ("ballot-head", d.community, d.plan_title, continued),
            lambda continued=continued: _header_static(pen, d, continued),
        )
        _header_values(pen, d)
        y = layout.rows_top
        if rows:
            pen.stamp(("ballot-columns", y), lambda: _table_head(pen, layout.rows_top + HEAD_H))
        for index in rows:
            y = _row(pen, y, layout.rows[index])
        if number == len(pages):
            pen.stamp(
                (
                    "ballot-closing",
                    d.voting_closes,
                    d.conflict_policy,
                    has_opt_in(d),
                    layout.closing_h,
                ),
                lambda: _closing_static(pen, d, layout),
                dy=y - layout.closing_h,
            )
        footer = f"票号 {format_serial(d.serial)} · {d.building}{d.unit}{d.room}"
        if len(pages) > 1:
            footer += f" · 第 {number} / {len(pages)} 页"
        pen.text(PAGE_W / 2, MARGIN - 4 * mm, footer, 9, align="center", gray=0.4)
        pen.end_page()
