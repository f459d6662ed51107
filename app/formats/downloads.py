"""Export downloads: the file response, its heading (plan, time, exporter) and its audit event."""

from urllib.parse import quote

from flask import Response, abort
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.core.audit import log_event
from app.core.db import utcnow
from app.formats.tables import Report
from app.formats.writers import CSV_MIMETYPE, XLSX_MIMETYPE, ExportMeta, csv_bytes, xlsx_bytes

FORMATS = ("csv", "xlsx")


def exporter_name(user=None) -> str:
    """How an export names who made it: display name and username."""
    user = user if user is not None else current_user
    name = getattr(user, "display_name", "") or ""
    username = getattr(user, "username", "") or ""
    if name and username and name != username:
        return f"{name}（{username}）"
    return name or username


def plan_meta(title: str, plan, user=None) -> ExportMeta:
    """The heading of a plan's export: community, district, plan, now, the exporter."""
    community = plan.community
    return ExportMeta(
        title=title,
        scope=[
            (str(_l("小区")), community.name),
            (str(_l("方案")), plan.title),
        ],
        exported_at=utcnow(),
        exported_by=exporter_name(user),
    )


def file_response(data: bytes, mimetype: str, filename: str, *, inline: bool = False) -> Response:
    """A download (or, `inline`, a file the browser shows) with a UTF-8 file name and an ASCII
    fallback for old browsers."""
    ascii_name = filename.encode("ascii", "ignore").decode() or "export"
    ascii_name = ascii_name.replace('"', "").replace("\\", "") or "export"
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = (
        f"{'inline' if inline else 'attachment'}; "
        f"filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    )
    return response


def export_response(
    reports: list[Report],
    meta: ExportMeta,
    fmt: str,
    filename: str,
    *,
    name: str,
    community_id: int | None,
    record_type: str,
    record_id,
) -> Response:
    """Write the reports as CSV (the first report) or XLSX, audit the export, send the file.

    `filename` has no extension; `name` is the export's identifier in the audit trail.
    """
    if fmt not in FORMATS:
        abort(404)
    if fmt == "csv":
        data, mimetype = csv_bytes(reports[0], meta), CSV_MIMETYPE
    else:
        data, mimetype = xlsx_bytes(reports, meta), XLSX_MIMETYPE
    log_event(
        "export",
        record_type,
        record_id,
        community_id=community_id,
        after={
            "export": name,
            "format": fmt,
            "rows": sum(len(r.rows) for r in reports),
            "bytes": len(data),
        },
    )
    return file_response(data, mimetype, f"{filename}.{fmt}")
