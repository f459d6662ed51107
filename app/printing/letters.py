"""The household letter (住户登录信): one A4 page in large type, for elderly readers.

Pure drawing: takes a LetterData and a Pen, touches neither Flask nor the database. The text is
Chinese, as the letter goes on paper to residents whatever language the worker's screen uses.
"""

from dataclasses import dataclass
from datetime import date

from reportlab.lib.units import mm

from app.formats.pdf import CONTENT_W, MARGIN, PAGE_H, PAGE_W, Pen, cn_date


@dataclass(frozen=True)
class LetterData:
    """What one household's letter says."""

    community: str
    plan_title: str
    address: str  # 3号楼2单元301
    owner_name: str
    code: str  # formatted for reading: ABCDE-FGHJK
    link: str  # the QR sign-in link
    site: str  # where to type the code
    voting_opens: date | None
    voting_closes: date | None
    contact: str
    printed_on: date
    # The plan's phase when printed: the letter speaks of what residents can do now.
    phase: str = "voting"
    proposals_closes: date | None = None


def _period(opens: date | None, closes: date | None) -> str:
    """ "2026年5月1日 至 2026年5月15日", "截止 2026年5月15日", or "" when no dates are set."""
    if opens and closes:
        return f"{cn_date(opens)} 至 {cn_date(closes)}"
    if closes:
        return f"截止 {cn_date(closes)}"
    return ""


def letter_purpose(d: LetterData) -> str:
    """The opening paragraph: what the household can do with the code in this phase."""
    title = f"《{d.plan_title}》"
    if d.phase == "proposals":
        return (
            f"本小区正在为{title}征集改造建议。每一户都可以用手机提出想改造的地方，"
            "也可以支持邻居的建议。"
        )
    if d.phase == "drafting":
        return f"{title}的草案已经公布。每一户都可以用手机查看改造项目和您家要分摊的费用。"
    if d.phase == "voting":
        return (
            f"本小区正在商议{title}。每一户都可以用手机查看改造项目和您家"
            "要分摊的费用，并对每个项目表决。"
        )
    return f"每一户都可以用手机查看{title}的改造项目、结果和您家的出资情况。"


def letter_steps(d: LetterData) -> list[str]:
    """The numbered instructions for the plan's phase, in plain words."""
    sign_in = f"用手机相机或微信扫描右上方的二维码；也可以在浏览器打开 {d.site} ，输入登录码。"
    if d.phase == "proposals":
        until = _period(None, d.proposals_closes)
        when = f"征集建议{until}。" if until else "征集截止时间另行通知。"
        return [
            sign_in,
            "看看邻居们提的改造建议，觉得好就点“支持”。",
            "您家觉得哪里需要改（如楼道灯、水管、屋顶漏水、加装电梯），可以写下来提交，"
            "也可以附上照片。" + when,
            "不会用手机也没关系：可以告诉社区工作人员，由他们帮您登记建议。",
        ]
    if d.phase == "voting":
        period = _period(d.voting_opens, d.voting_closes)
        when = f"表决时间：{period}。" if period else "表决时间另行通知。"
        return [
            sign_in,
            "查看每个改造项目，以及您家需要分摊的费用。",
            when + "请对每个项目选择“同意”“反对”或“弃权”。",
            "不会用手机也没关系：可以填写纸质表决票，或请社区工作人员上门帮您填写。",
        ]
    if d.phase == "drafting":
        period = _period(d.voting_opens, d.voting_closes)
        later = f"表决时间：{period}，" if period else "表决时间另行通知，"
        return [
            sign_in,
            "查看改造方案的每个项目，以及您家需要分摊的费用。",
            later + "到时用本信的登录码登录表决。",
            "有疑问可以联系社区工作人员。",
        ]
    return [
        sign_in,
        "查看改造方案、结果公示和您家的出资情况。",
        "有疑问可以联系社区工作人员。",
    ]


def draw_letter(pen: Pen, d: LetterData) -> None:
    """Draw one household's letter as one page."""
    left, right = MARGIN, PAGE_W - MARGIN
    y = PAGE_H - MARGIN - 6 * mm
    pen.text(PAGE_W / 2, y, d.community, 22, bold=True, align="center")
    y -= 10 * mm
    pen.text(PAGE_W / 2, y, "老旧小区改造 · 住户登录信", 17, align="center")
    y -= 5 * mm
    pen.rule(left, y, right, y, line=1.2)

    # Addressee and purpose, left of the QR code.
    qr_size = 46 * mm
    qr_x, qr_top = right - qr_size, y - 6 * mm
    text_w = CONTENT_W - qr_size - 8 * mm
    y -= 12 * mm
    pen.text(left, y, f"致 {d.address} 业主：", 17, bold=True)
    y -= 8 * mm
    pen.text(left, y, d.owner_name, 15)
    y -= 10 * mm
    y = pen.paragraph(left, y, letter_purpose(d), 15, text_w)
    pen.qr(qr_x, qr_top - qr_size, qr_size, d.link)
    pen.text(qr_x + qr_size / 2, qr_top - qr_size - 7 * mm, "手机扫码直接登录", 13, align="center")

    # The code, large, in a box.
    y = min(y, qr_top - qr_size - 12 * mm) - 4 * mm
    box_h = 30 * mm
    pen.box(left, y - box_h, CONTENT_W, box_h, line=1.5, fill=0.95)
    pen.text(left + 6 * mm, y - 10 * mm, "您家的登录码", 15)
    pen.text(PAGE_W / 2, y - 23 * mm, d.code, 34, bold=True, align="center")
    y -= box_h + 12 * mm

    pen.text(left, y, "怎么用", 18, bold=True)
    y -= 10 * mm
    for number, step in enumerate(letter_steps(d), start=1):
        pen.text(left, y, f"{number}.", 16, bold=True)
        y = pen.paragraph(left + 9 * mm, y, step, 16, CONTENT_W - 9 * mm) - 3 * mm

    y -= 3 * mm
    notice = (
        "请妥善保管本信。登录码相当于您家的钥匙，请不要告诉他人。"
        f"本信打印于 {cn_date(d.printed_on)}，在此之前发给您家的登录信已经作废。"
    )
    lines = pen.wrap(notice, 13, CONTENT_W - 10 * mm)
    box_h = len(lines) * 13 * 1.45 + 8 * mm
    pen.box(left, y - box_h, CONTENT_W, box_h, line=0.8)
    pen.paragraph(left + 5 * mm, y - 7 * mm, notice, 13, CONTENT_W - 10 * mm)
    y -= box_h + 12 * mm

    help_text = f"需要帮助请联系：{d.contact}" if d.contact else "需要帮助请联系社区居委会。"
    pen.paragraph(left, y, help_text, 16, CONTENT_W, bold=True)
    pen.text(
        PAGE_W / 2, MARGIN - 4 * mm, f"{d.community} · {d.address}", 9, align="center", gray=0.4
    )
    pen.end_page()
