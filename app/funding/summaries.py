"""Funding summaries (per item, per building) as plain tables, shown as pages and saved as XLSX.

One Report feeds both the page and the spreadsheet, so they always agree.
"""

from flask_babel import lazy_gettext as _l

from app.formats.tables import AREA, INT, MONEY, PERCENT, YESNO, Column, Report
from app.funding.ledger import Figures, HouseholdInfo, Line, by_building
from app.plans.models import Item


def household_columns() -> list[Column]:
    """The four household columns of a ledger report: building, unit, room, owner."""
    return [
        Column(str(_l("楼栋"))),
        Column(str(_l("单元"))),
        Column(str(_l("房号"))),
        Column(str(_l("业主"))),
    ]


def household_cells(household: HouseholdInfo) -> list:
    """A household's values under `household_columns`."""
    return [household.building, household.unit, household.room, household.owner_name]


def money_columns() -> list[Column]:
    """The four money columns of a ledger line: required, pledged, paid, outstanding."""
    return [
        Column(str(_l("应缴（元）")), MONEY),
        Column(str(_l("已承诺")), YESNO),
        Column(str(_l("已缴（元）")), MONEY),
        Column(str(_l("未缴（元）")), MONEY),
    ]


def money_cells(line: Line) -> list:
    """A ledger line's values under `money_columns`."""
    return [line.share_fen, line.pledged, line.paid_fen, line.balance_fen]


def money_totals(figures: Figures) -> list:
    """The totals under `money_columns`: required, pledging households, paid, outstanding."""
    return [
        figures.required_fen,
        figures.pledged_payers,
        figures.paid_fen,
        figures.outstanding_fen,
    ]


def item_report(item: Item, lines: list[Line]) -> Report:
    """Every household of one item: share, pledge, paid, balance."""
    report = Report(
        title=str(_l("%(key)s %(title)s 出资明细", key=item.key, title=item.title)),
        columns=[
            *household_columns(),
            Column(str(_l("楼层")), INT),
            Column(str(_l("面积（㎡）")), AREA),
            *money_columns(),
        ],
        sheet=f"{item.key}",
    )
    figures = Figures()
    for line in lines:
        if line.item.id != item.id:
            continue
        h = line.household
        figures.add(line)
        report.rows.append(
            [
                *household_cells(h),
                h.floor,
                h.area_centi,
                *money_cells(line),
            ]
        )
    report.total = [
        str(_l("合计 %(n)d 户", n=len(report.rows))),
        "",
        "",
        "",
        None,
        sum(r[5] for r in report.rows),
        *money_totals(figures),
    ]
    return report


def building_summary(lines: list[Line]) -> Report:
    """Per building and item: households with a share, required, pledged, rates, paid."""
    report = Report(
        title=str(_l("各楼栋出资汇总")),
        columns=[
            Column(str(_l("楼栋"))),
            Column(str(_l("项目"))),
            Column(str(_l("应出资户数")), INT),
            Column(str(_l("应缴（元）")), MONEY),
            Column(str(_l("已承诺（元）")), MONEY),
            Column(str(_l("承诺率（户）")), PERCENT),
            Column(str(_l("承诺率（面积）")), PERCENT),
            Column(str(_l("已缴（元）")), MONEY),
            Column(str(_l("未缴（元）")), MONEY),
        ],
        sheet=str(_l("楼栋汇总")),
    )
    total = Figures()
    for building, _bid, item, f in by_building(lines):
        report.rows.append(
            [
                building,
                f"{item.key} {item.title}",
                f.payers,
                f.required_fen,
                f.pledged_fen,
                f.household_rate,
                f.area_rate,
                f.paid_fen,
                f.outstanding_fen,
            ]
        )
    for line in lines:
        total.add(line)
    report.total = [
        str(_l("合计")),
        "",
        total.payers,
        total.required_fen,
        total.pledged_fen,
        None,
        None,
        total.paid_fen,
        total.outstanding_fen,
    ]
    return report


def building_detail(building: str, lines: list[Line]) -> Report:
    """Every household and item of one building: share, pledge, paid, balance."""
    report = Report(
        title=str(_l("%(building)s 出资明细", building=building)),
        columns=[
            Column(str(_l("单元"))),
            Column(str(_l("房号"))),
            Column(str(_l("业主"))),
            Column(str(_l("项目"))),
            *money_columns(),
        ],
        sheet=building[:31],
    )
    figures = Figures()
    ordered = sorted(lines, key=lambda x: (x.household.order, x.item.position, x.item.id))
    for line in ordered:
        h = line.household
        figures.add(line)
        report.rows.append(
            [
                h.unit,
                h.room,
                h.owner_name,
                f"{line.item.key} {line.item.title}",
                *money_cells(line),
            ]
        )
    report.total = [str(_l("合计")), "", "", "", *money_totals(figures)]
    return report
