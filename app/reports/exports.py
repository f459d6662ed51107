"""The plan's exports: each one a named builder of reports, listed in EXPORTS.

The export page, the download route and the archive all read this one registry, so a file
in the archive is byte-for-byte what a worker would download (apart from its heading time).
"""

from collections.abc import Callable
from dataclasses import dataclass

from app.plans.models import Plan
from app.reports.tables import Report


@dataclass(frozen=True)
class ExportSpec:
    """One export: identifier (used in URLs and file names), label, and its builder.

    `build(plan)` returns the reports: the first is the CSV; XLSX holds them all, one sheet each.
    """

    name: str
    label: str  # lazy translated text; str() it when shown
    build: Callable[[Plan], list[Report]]
    permission: str = "export"


EXPORTS: dict[str, ExportSpec] = {}


def register(spec: ExportSpec) -> ExportSpec:
    """Add an export to the registry (in the order pages list them)."""
    EXPORTS[spec.name] = spec
    return spec
