"""The plan's exports: each one a named builder of reports, listed in EXPORTS.

The export page, the download route and the archive all read this one registry, so a file
in the archive is byte-for-byte what a worker would download (apart from its heading time).
"""

from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from app.formats.tables import Report
from app.plans.models import Plan
from app.reports.census import plan_roster, proposal_reports
from app.reports.funding import plan_reports, pledge_reports
from app.reports.voting import ballot_reports, tally_reports, turnout_reports
from app.voting.optin_lists import plan_signup_reports


@dataclass(frozen=True)
class ExportSpec:
    """One export: identifier (used in URLs and file names), label, and its builder.

    `build(plan)` returns the reports: the first is the CSV; XLSX holds them all, one sheet each.
    """

    name: str
    label: str  # lazy translated text; str() it when shown
    build: Callable[[Plan], list[Report]]
    permission: str = "export"
    # Built in the request whatever the plan's size: one row per item or per building and unit
    # (tally, turnout: 0.1 s at 5,000 households × 40 items, bench/exports.py). Exports with a
    # row per household go to the job worker beyond COPLAN_EXPORT_INLINE_HOUSEHOLDS.
    inline: bool = False
    description: str = ""  # lazy translated text: what the file holds, for the export page


EXPORTS: dict[str, ExportSpec] = {}


def register(spec: ExportSpec) -> ExportSpec:
    """Add an export to the registry (in the order pages list them)."""
    EXPORTS[spec.name] = spec
    return spec


register(
    ExportSpec(
        "roster",
        _l("住户名册"),
        plan_roster,
        description=_l(
            "每户的楼栋、单元、房号、楼层、面积、业主、证件号后四位、电话，是否已发登录码。"
        ),
    )
)
register(
    ExportSpec(
        "proposals",
        _l("居民提议"),
        proposal_reports,
        description=_l(
            "每条提议的提议住户、支持户数、处理结果、未采纳原因、合并去向和纳入的项目。"
        ),
    )
)
register(
    ExportSpec(
        "plan",
        _l("方案与资金"),
        plan_reports,
        description=_l(
            "每个项目的类别、范围、表决规则、费用和资金来源、居民出资与分摊方式；"
            "Excel 另有每户分摊金额表。"
        ),
    )
)
register(
    ExportSpec(
        "ballots",
        _l("投票记录"),
        ballot_reports,
        description=_l(
            "每一张表决票（含被替代、未计入的）：住户、方式、时间、录入人、回执码、是否计入，"
            "各项目的选择和出资承诺。实名信息，仅供工作人员核对。"
        ),
    )
)
register(
    ExportSpec(
        "tally",
        _l("表决结果"),
        tally_reports,
        inline=True,
        description=_l(
            "每个项目的应参与、参与、同意、反对、弃权（户数、人数、面积），门槛和是否通过；"
            "与结果页同一计票。"
        ),
    )
)
register(
    ExportSpec(
        "turnout",
        _l("楼栋投票率"),
        turnout_reports,
        inline=True,
        description=_l("每栋楼、每个单元的户数、已表决户数，按户数、人数和面积的投票率。"),
    )
)
register(
    ExportSpec(
        "payments",
        _l("承诺与缴款"),
        pledge_reports,
        description=_l(
            "每户每个项目的应缴、是否承诺、已缴、未缴（无须出资的不列）；"
            "Excel 另有每一笔缴费记录（含更正）和各楼栋汇总。"
        ),
    )
)
register(
    ExportSpec(
        "signups",
        _l("户内自选报名"),
        plan_signup_reports,
        description=_l(
            "户内自选项目（不表决）范围内每户的答复（参加、不参加、未答复）、方式、本户价格和应缴；"
            "Excel 另有各项目的报名户数、最低报名户数和团购价是否成立。"
        ),
    )
)
