"""Per-option bars (方案比选): headcount and area side by side, drawn on the server.

``option_bars`` turns an item's result into plain rows (shares of the participants, exact);
``option_bars_svg`` draws them as inline SVG for pages (no script, no CDN). The notice PDF draws
the same rows with reportlab graphics (app.printing.option_chart). Readable in black and white:
headcount bars are solid, area bars hatched, and every bar carries its figure as text.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from flask_babel import gettext as _
from markupsafe import Markup, escape

from app.tally.explain import area_text, owners_text, percent_text
from app.tally.queries import ItemResult


@dataclass(frozen=True)
class OptionBar:
    """One option's agree on both measures, as shares of the item's participants."""

    key: str
    title: str
    owners: Fraction
    area: Decimal
    households: int
    owners_share: Fraction  # of participating headcount (0 when nobody took part)
    area_share: Fraction
    chosen: bool
    leads_owners: bool
    leads_area: bool
    passed: bool | None  # under threshold: passed on its own agree; else None


def option_bars(result: ItemResult) -> list[OptionBar]:
    """The bars of an item with options, in the options' order; [] for a plain item."""
    outcome = result.options
    if outcome is None:
        return []
    part = result.tally.participating
    titles = {key: title for _id, key, title in result.item.options}
    bars = []
    for o in outcome.options:
        heads = o.agree.owners / part.owners if part.owners else Fraction(0)
        area = Fraction(o.agree.area) / Fraction(part.area) if part.area else Fraction(0)
        bars.append(
            OptionBar(
                o.key, titles.get(o.key, o.key), o.agree.owners, o.agree.area, o.agree.households,
                heads, area, o.key == outcome.chosen, o.key in outcome.leaders_headcount,
                o.key in outcome.leaders_area, o.passed,
            )
        )  # fmt: skip
    return bars


def bar_labels(bar: OptionBar) -> tuple[str, str]:
    """The figures written beside the two bars: "1.5 人 · 37.5%", "130.00 平方米 · 37.1%"."""
    heads = _("%(n)s 人 · %(p)s", n=owners_text(bar.owners), p=percent_text(bar.owners_share))
    area = _("%(n)s 平方米 · %(p)s", n=area_text(bar.area), p=percent_text(bar.area_share))
    return heads, area


# Geometry in SVG user units; the drawing scales to the page's width (about 1:1 on a phone).
_WIDTH, _BAR_H, _GAP, _TITLE_H, _FIGURE_H = 340, 14, 8, 26, 22


def option_bars_svg(bars: list[OptionBar], item_key: str) -> Markup:
    """Inline SVG: per option a title line, then for headcount and for area a line of figures
    above its bar (solid for headcount, hatched for area); the chosen option is marked."""
    pattern = f"hatch-{escape(item_key)}"
    rows, y = [], 0
    for bar in bars:
        mark = " ✓ " + _("选定") if bar.chosen else ""
        if bar.passed is not None:
            mark += " · " + (_("单独达到标准") if bar.passed else _("未单独达到标准"))
        rows.append(
            f'<text x="0" y="{y + 19}" class="opt-title">{escape(bar.key)} '
            f"{escape(bar.title)}{escape(mark)}</text>"
        )
        y += _TITLE_H
        heads_text, area_text_ = bar_labels(bar)
        for name, share, fill, text in (
            (_("人数"), bar.owners_share, "#222", heads_text),
            (_("面积"), bar.area_share, f"url(#{pattern})", area_text_),
        ):
            rows.append(
                f'<text x="0" y="{y + 16}" class="opt-fig">{escape(name)}  {escape(text)}</text>'
            )
            y += _FIGURE_H
            width = float(share) * _WIDTH
            rows.append(
                f'<rect x="0.5" y="{y}" width="{_WIDTH - 1}" height="{_BAR_H}" '
                f'fill="none" stroke="#777" stroke-width="1"/>'
                f'<rect x="0.5" y="{y}" width="{max(width - 1, 0):.1f}" height="{_BAR_H}" '
                f'fill="{fill}" stroke="#222" stroke-width="1"/>'
            )
            y += _BAR_H + _GAP
        y += _GAP
    title = _("各方案的同意人数和面积（占参与表决业主）")
    return Markup(
        f'<svg class="option-bars" viewBox="0 0 {_WIDTH} {y}" role="img" '
        f'xmlns="http://www.w3.org/2000/svg" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>"
        f'<defs><pattern id="{pattern}" width="6" height="6" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)"><rect width="6" height="6" fill="#fff"/>'
        f'<line x1="0" y1="0" x2="0" y2="6" stroke="#222" stroke-width="2.5"/></pattern></defs>'
        + "".join(rows)
        + "</svg>"
    )
