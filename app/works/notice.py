"""The site notice (施工公示) posted at the works: item, builder, supervisor, amounts, schedule,
complaints contact and a QR code to the item's public page. Always Chinese, as it goes on paper.

Pure drawing from plain data (SiteNotice); app.works.views builds it from a works.
"""

import io
from dataclasses import dataclass
from datetime import date

from reportlab.lib.units import mm

from app.formats.pdf import CONTENT_W, MARGIN, PAGE_H, PAGE_W, Pen, cn_date, yuan


@dataclass(frozen=True)
class SiteNotice:
    """What a site notice shows."""

    community: str
    plan_title: str
    item_title: str
    item_scope: str
    contractor: str
    site_supervisor: str
    contract_fen: int | None
    residents_fen: int | None  # the residents' part of the item's funding
    planned_start: date | None
    planned_end: date | None
    status: str  # in words
    contact: str
    supervisors: int  # appointed resident supervisors
    url: str  # the item's public page
    issued_on: date


def _row(pen: Pen, y: float, label: str, value: str) -> float:
    """One labelled line (the value wrapped), returns the next baseline."""
    pen.text(MARGIN, y, label, 14, gray=0.3)
    return pen.paragraph(MARGIN + 34 * mm, y, value or "—", 15, CONTENT_W - 34 * mm) - 4


def draw_site_notice(pen: Pen, n: SiteNotice) -> None:
    """One A4 page."""
    y = PAGE_H - MARGIN - 8 * mm
    pen.text(PAGE_W / 2, y, "施工公示", 30, bold=True, align="center")
    y -= 12 * mm
    pen.text(PAGE_W / 2, y, f"{n.community} · {n.plan_title}", 13, align="center", gray=0.3)
    y -= 10 * mm
    y = pen.paragraph(MARGIN, y, n.item_title, 20, CONTENT_W, bold=True) - 6
    pen.rule(MARGIN, y + 8, PAGE_W - MARGIN, y + 8)
    y -= 6 * mm
    schedule = "—"
    if n.planned_start or n.planned_end:
        schedule = f"{cn_date(n.planned_start) or '待定'} 至 {cn_date(n.planned_end) or '待定'}"
    rows = [
        ("改造范围", n.item_scope or "全小区"),
        ("施工单位", n.contractor),
        ("监理单位", n.site_supervisor),
        ("合同金额", f"{yuan(n.contract_fen)} 元" if n.contract_fen is not None else "—"),
        ("居民出资", f"{yuan(n.residents_fen)} 元" if n.residents_fen is not None else "—"),
        ("计划工期", schedule),
        ("当前状态", n.status),
        ("居民监督员", f"{n.supervisors} 名（由居委会任命）" if n.supervisors else "正在招募"),
        ("投诉电话", n.contact),
    ]
    for label, value in rows:
        y = _row(pen, y, label, value) - 3 * mm
    y -= 4 * mm
    qr = 46 * mm
    pen.box(MARGIN, y - qr - 8 * mm, CONTENT_W, qr + 12 * mm, line=0.6)
    pen.qr(MARGIN + 6 * mm, y - qr - 2 * mm, qr, n.url)
    tx = MARGIN + qr + 14 * mm
    width = CONTENT_W - qr - 20 * mm
    ty = pen.paragraph(tx, y - 8 * mm, "扫码查看施工进度、施工日志和照片", 15, width, bold=True)
    ty = pen.paragraph(
        tx,
        ty - 2,
        "发现质量、安全或扰民问题，请登录小区改造平台“问题反映”，或拨打上方投诉电话。"
        "每条反映都有整改责任方和期限，办理进度可在手机上查看。",
        12,
        width,
    )
    pen.paragraph(tx, ty - 2, n.url, 9, width, gray=0.4)
    pen.text(PAGE_W - MARGIN, MARGIN, f"公示日期：{cn_date(n.issued_on)}", 12, align="right")
    pen.end_page()


def site_notice_pdf(n: SiteNotice) -> bytes:
    """The site notice as PDF bytes."""
    buffer = io.BytesIO()
    pen = Pen(buffer, title=f"施工公示 {n.item_title}", subject=n.community)
    draw_site_notice(pen, n)
    pen.save()
    return buffer.getvalue()
