"""The PDF engine: A4 pages in the embedded CJK font, wrapped Chinese text, boxes, QR codes.

One ``Pen`` draws one document. Text always goes through the registered TrueType font
(``fonts.pdf_font``), so a PDF never references a font it does not embed.
"""

import re
from dataclasses import dataclass
from datetime import date
from xml.sax.saxutils import escape

import segno
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate

from app.formats.fonts import pdf_font

PAGE_W, PAGE_H = A4
MARGIN = 16 * mm
CONTENT_W = PAGE_W - 2 * MARGIN
# A fixed mask: segno's search for the best of eight masks dominated print time, and every
# mask scans; error level M survives a crease or a smudge on a door.
QR_MASK = 4
QR_ERROR = "m"
# Chinese line-breaking (禁则): these never start a line.
NO_LINE_START = set("，。、；：？！）》」』】〕”’…%,.;:?!)")
_TOKENS = re.compile(r"[A-Za-z0-9@._:/\-+%#=?&]+|\s+|.", re.DOTALL)


def qr_matrix(data: str):
    """The QR modules (rows of 0/1, top row first, no quiet zone) encoding `data`."""
    return segno.make(data, error=QR_ERROR, micro=False, mask=QR_MASK, boost_error=False).matrix


def cn_date(value: date | None) -> str:
    """A date as Chinese readers write it: 2026年4月11日; "" for None."""
    return f"{value.year}年{value.month}月{value.day}日" if value else ""


def yuan(fen: int) -> str:
    """Fen as yuan with thousands separators: 123456 -> 1,234.56."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole:,}.{cents:02d}"


class Pen:
    """Draws A4 pages of one document with the embedded font; coordinates in points."""

    def __init__(self, target, *, title: str, subject: str = ""):
        self.font = pdf_font()
        self.canvas = Canvas(
            target,
            pagesize=A4,
            initialFontName=self.font,
            initialFontSize=12,
            pageCompression=1,
        )
        self.canvas.setTitle(title)
        self.canvas.setSubject(subject)
        self.canvas.setCreator("CoPlan")
        self.canvas.setAuthor("CoPlan")
        self._unit_widths: dict[str, float] = {}
        self._forms: dict = {}
        self.pages = 0

    # Text -------------------------------------------------------------------------------

    def width(self, text: str, size: float) -> float:
        """Width of `text` at `size` points."""
        return stringWidth(text, self.font, size)

    def text(
        self,
        x: float,
        y: float,
        text: str,
        size: float = 12,
        *,
        bold: bool = False,
        align: str = "left",
        gray: float = 0,
    ) -> None:
        """Draw one line; align left, center (x is the middle) or right (x is the end)."""
        if align != "left":
            w = self.width(text, size)
            x -= w / 2 if align == "center" else w
        c = self.canvas
        if gray:
            c.setFillGray(gray)
        if bold:
            # The CJK face has no bold weight: fill and stroke the outlines instead.
            t = c.beginText(x, y)
            t.setFont(self.font, size)
            t.setTextRenderMode(2)
            c.setLineWidth(size * 0.035)
            t.textOut(text)
            c.drawText(t)
        else:
            c.setFont(self.font, size)
            c.drawString(x, y, text)
        if gray:
            c.setFillGray(0)

    def _unit_width(self, token: str) -> float:
        """Width of a token at 1 pt, cached (the same characters recur on every page)."""
        w = self._unit_widths.get(token)
        if w is None:
            w = self._unit_widths[token] = stringWidth(token, self.font, 1)
        return w

    def wrap(self, text: str, size: float, width: float) -> list[str]:
        """Break text into lines no wider than `width`: between any two Chinese characters,
        between Latin words, never before closing punctuation."""
        lines: list[str] = []
        for paragraph in text.split("\n"):
            line, line_w = "", 0.0
            for token in _TOKENS.findall(paragraph):
                if not line and token.isspace():
                    continue
                w = self._unit_width(token) * size
                if line and line_w + w > width and token[0] not in NO_LINE_START:
                    if token.isspace():
                        lines.append(line)
                        line, line_w = "", 0.0
                        continue
                    lines.append(line.rstrip())
                    line, line_w = "", 0.0
                if w > width and len(token) > 1:  # a long URL or number: break it anywhere
                    for ch in token:
                        cw = self._unit_width(ch) * size
                        if line and line_w + cw > width:
                            lines.append(line)
                            line, line_w = "", 0.0
                        line += ch
                        line_w += cw
                    continue
                line += token
                line_w += w
            lines.append(line.rstrip())
        return lines

    def paragraph(
        self,
        x: float,
        y: float,
        text: str,
        size: float,
        width: float,
        *,
        leading: float | None = None,
        bold: bool = False,
        gray: float = 0,
    ) -> float:
        """Draw wrapped text whose first baseline is y; returns the baseline after the last line."""
        leading = leading or size * 1.45
        for line in self.wrap(text, size, width):
            self.text(x, y, line, size, bold=bold, gray=gray)
            y -= leading
        return y

    # Shapes -----------------------------------------------------------------------------

    def box(self, x: float, y: float, w: float, h: float, *, line: float = 0.8, fill=None):
        """A rectangle with its lower-left corner at (x, y); fill is a gray level or None."""
        c = self.canvas
        c.setLineWidth(line)
        if fill is not None:
            c.setFillGray(fill)
        c.rect(x, y, w, h, stroke=1, fill=1 if fill is not None else 0)
        if fill is not None:
            c.setFillGray(0)

    def rule(self, x1: float, y1: float, x2: float, y2: float, *, line: float = 0.6, dash=None):
        """A straight line, optionally dashed (e.g. (2, 2))."""
        c = self.canvas
        c.setLineWidth(line)
        if dash:
            c.setDash(*dash)
        c.line(x1, y1, x2, y2)
        if dash:
            c.setDash()

    def qr(self, x: float, y: float, size: float, data: str) -> None:
        """A QR code of `data`, `size` points square (quiet zone not included), lower-left (x, y).

        Dark modules merge into horizontal runs and go into the page as one filled path, so a
        code costs a few hundred bytes and no per-module drawing calls.
        """
        matrix = qr_matrix(data)
        n = len(matrix)
        ops = []
        for r, row in enumerate(matrix):
            yy = n - 1 - r
            c = 0
            while c < n:
                if row[c]:
                    start = c
                    while c < n and row[c]:
                        c += 1
                    ops.append(f"{start} {yy} {c - start} 1 re")
                else:
                    c += 1
        scale = size / n
        self.canvas.addLiteral(
            f"q 0 g {scale:.4f} 0 0 {scale:.4f} {x:.2f} {y:.2f} cm " + " ".join(ops) + " f Q"
        )

    # Forms: drawn once per document, placed on many pages ------------------------------

    def stamp(self, key, draw, *, dx: float = 0, dy: float = 0) -> None:
        """Place the form `key` (drawn by `draw()` the first time) shifted by (dx, dy).

        The parts every page of a batch shares go into the PDF once, as a form XObject.
        """
        c = self.canvas
        name = self._forms.get(key)
        if name is None:
            name = self._forms[key] = f"CoPlanForm{len(self._forms)}"
            c.beginForm(name)
            draw()
            c.endForm()
        if dx or dy:
            c.saveState()
            c.translate(dx, dy)
            c.doForm(name)
            c.restoreState()
        else:
            c.doForm(name)

    # Pages ------------------------------------------------------------------------------

    def end_page(self) -> None:
        """Finish the current page."""
        self.canvas.showPage()
        self.pages += 1

    def save(self) -> None:
        """Write the document to its target."""
        self.canvas.save()


def paragraph(text: object, style) -> Paragraph:
    """A ReportLab paragraph of plain text: markup in it (a title, a receipt number, a reason a
    resident or worker typed) is shown as typed, never read as tags, links or images."""
    return Paragraph(escape(str(text)), style)


@dataclass(frozen=True)
class FlowStyles:
    """The paragraph styles of a flowing A4 document (a statement, a list for a contractor)."""

    title: ParagraphStyle
    sub: ParagraphStyle
    body: ParagraphStyle


def flow_document(out, title: str) -> tuple[SimpleDocTemplate, FlowStyles]:
    """An A4 document with the page margins every CoPlan PDF uses, and its base styles in the
    embedded CJK font (body text wraps by CJK rules)."""
    font = pdf_font()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=title,
        author="CoPlan",
        creator="CoPlan",
    )
    styles = FlowStyles(
        title=ParagraphStyle("t", fontName=font, fontSize=18, leading=24, alignment=TA_CENTER),
        sub=ParagraphStyle("s", fontName=font, fontSize=12, leading=17, alignment=TA_CENTER),
        body=ParagraphStyle("b", fontName=font, fontSize=11, leading=16, wordWrap="CJK"),
    )
    return doc, styles
