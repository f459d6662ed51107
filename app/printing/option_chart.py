"""Per-option bars on result notices (方案比选): vector shapes drawn on the PDF canvas.

The same rows as the pages' inline SVG (app.tally.charts): per option its title, then a solid
bar for agreeing owners and a hatched bar for agreeing area, each as a share of the item's
participants, with the figure printed beside it, so the chart reads in black and white.
"""

from dataclasses import dataclass
from fractions import Fraction

from reportlab.lib.units import mm

from app.formats.pdf import Pen

LABEL_W, TRACK_W, BAR_H, TITLE_H, GAP = 14 * mm, 100 * mm, 4.2 * mm, 6 * mm, 1.6 * mm


@dataclass(frozen=True)
class OptionLine:
    """One option as a notice draws it; the texts are already in Chinese."""

    key: str
    title: str
    owners_share: Fraction
    area_share: Fraction
    owners_text: str  # "1.5 人 · 37.5%"
    area_text: str  # "130.00 ㎡ · 37.1%"
    note: str  # "✓ 选定", "单独达到标准", or ""


def option_chart_height(lines) -> float:
    """Height of the chart for these options."""
    return len(lines) * (TITLE_H + 2 * (BAR_H + GAP)) + GAP


def _hatched(pen: Pen, x: float, y: float, w: float, h: float) -> None:
    """A rectangle filled with diagonal lines (clipped to it) and outlined."""
    c = pen.canvas
    if w > 0:
        c.saveState()
        path = c.beginPath()
        path.rect(x, y, w, h)
        c.clipPath(path, stroke=0, fill=0)
        c.setLineWidth(0.9)
        step = 1.6 * mm
        start = x - h
        while start < x + w:
            c.line(start, y, start + h, y + h)
            start += step
        c.restoreState()
    pen.box(x, y, w, h, line=0.8)


def draw_option_chart(pen: Pen, x: float, y: float, lines) -> float:
    """Draw the options' bars from the top y down; returns the y below."""
    for line in lines:
        title = f"{line.key}  {line.title}"
        pen.text(x, y - 4.2 * mm, title, 10.5, bold=True)
        if line.note:
            pen.text(x + pen.width(title, 10.5) + 3 * mm, y - 4.2 * mm, line.note, 10.5, bold=True)
        y -= TITLE_H
        for name, share, text, hatched in (
            ("人数", line.owners_share, line.owners_text, False),
            ("面积", line.area_share, line.area_text, True),
        ):
            bottom = y - BAR_H
            pen.text(x, bottom + 1.1 * mm, name, 9.5)
            pen.box(x + LABEL_W, bottom, TRACK_W, BAR_H, line=0.3)  # the whole: 100 %
            width = float(min(max(share, Fraction(0)), Fraction(1))) * TRACK_W
            if hatched:
                _hatched(pen, x + LABEL_W, bottom, width, BAR_H)
            elif width > 0:
                pen.box(x + LABEL_W, bottom, width, BAR_H, line=0.8, fill=0.15)
            pen.text(x + LABEL_W + TRACK_W + 2.5 * mm, bottom + 1.1 * mm, text, 9.5)
            y = bottom - GAP
    return y - GAP
