"""Server-side bar charts as inline SVG, readable in black and white (no script, no colour code).

Each row is a label and one or two values on a 0–5 scale (a second round beside the first):
the first round's bar is solid black, the second's is white with a black outline and diagonal
hatching, and each bar carries its number, so a photocopy still reads.
"""

from fractions import Fraction

from markupsafe import Markup, escape

from app.rules.satisfaction import one_decimal

# About a phone's width in CSS pixels, so the text is drawn near its own size.
ROW_H = 26
BAR_H = 18
LABEL_W = 120
BAR_W = 150
VALUE_W = 50


def _bar(x: float, y: float, value: Fraction | None, scale: float, hatched: bool) -> str:
    if value is None:
        return f'<text x="{x + 4}" y="{y + BAR_H - 5}" font-size="13" fill="#000">—</text>'
    w = max(1.0, float(value) / scale * BAR_W)
    fill = "url(#hatch)" if hatched else "#000"
    return (
        f'<rect x="{x}" y="{y}" width="{w:.1f}" height="{BAR_H}" fill="{fill}" stroke="#000" '
        f'stroke-width="1"/><text x="{x + w + 4:.1f}" y="{y + BAR_H - 5}" font-size="13" '
        f'fill="#000">{one_decimal(value)}</text>'
    )


def bar_chart(
    title: str,
    rows: list[tuple[str, list[Fraction | None]]],
    *,
    scale: float = 5,
    legend: list[str] | None = None,
) -> Markup:
    """An SVG chart: one group per row, one bar per series (at most two), values 0..scale."""
    series = max((len(v) for _l, v in rows), default=1)
    group_h = ROW_H * series + 8
    top = 24 if legend and series > 1 else 4
    height = top + group_h * len(rows) + 4
    width = LABEL_W + BAR_W + VALUE_W
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="100%" '
        f'xmlns="http://www.w3.org/2000/svg" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        '<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="6" height="6" fill="#fff"/>'
        '<line x1="0" y1="0" x2="0" y2="6" stroke="#000" stroke-width="2"/></pattern></defs>',
    ]
    if legend and series > 1:
        for n, name in enumerate(legend[:2]):
            x = LABEL_W + n * 100
            fill = "url(#hatch)" if n else "#000"
            parts.append(
                f'<rect x="{x}" y="4" width="14" height="14" fill="{fill}" stroke="#000"/>'
                f'<text x="{x + 18}" y="16" font-size="13" fill="#000">{escape(name)}</text>'
            )
    for r, (label, values) in enumerate(rows):
        y = top + r * group_h
        text = str(label)
        if len(text) > 8:
            text = text[:7] + "…"
        parts.append(
            f'<text x="0" y="{y + ROW_H * series / 2 + 5:.0f}" font-size="14" fill="#000">'
            f"{escape(text)}</text>"
        )
        for n, value in enumerate(values):
            parts.append(_bar(LABEL_W, y + n * ROW_H, value, scale, hatched=n > 0))
        parts.append(
            f'<line x1="{LABEL_W}" y1="{y - 2}" x2="{LABEL_W}" y2="{y + ROW_H * series}" '
            'stroke="#000" stroke-width="1"/>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
