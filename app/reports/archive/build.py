"""The community archive (一小区一档案): one ZIP per plan with everything a later audit needs.

``build_archive`` writes the ZIP into a file (a path or an open binary file), streaming the
big parts (ballots, paper entries, audit trail) so thousands of households never sit in memory;
``manifest.json`` lists every other file with its size and SHA-256, and ``verify_archive``
(app.reports.archive.verify) checks a copy against it. Building reads only; the caller records
the "archive" audit event (``record_archive``) in its own transaction.

Never in an archive: sign-in codes or their hashes, owner ID keys, freshly printed letters
(printing one rotates the household's code).
"""

import io
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

from babel.dates import get_timezone
from flask import current_app
from sqlalchemy import func, select

from app.aftercare.archive import write_aftercare
from app.closeout.archive import closeout_files
from app.communities.models import Community
from app.core.audit import AuditEvent, chain_head, chain_of, log_event, verify_chain
from app.core.db import utcnow
from app.core.memo import reading_once
from app.extensions import db
from app.formats.downloads import plan_meta
from app.formats.fonts import pdf_font
from app.formats.pdf import Pen
from app.formats.writers import csv_bytes, xlsx_bytes
from app.paper.models import PaperEntry, PaperSerial
from app.plans.models import Plan
from app.printing.jobs import job_file
from app.printing.notice_data import NOTICE_KINDS, notice_data, notice_problem
from app.printing.notices import draw_notice
from app.reports.archive.ballots import BallotBook, paper_entries, paper_reviews, paper_serials
from app.reports.archive.contents import (
    Places,
    audit_line,
    audit_rows,
    electorate_document,
    iso,
    plan_document,
    print_job_entry,
    print_jobs,
    publication_document,
    roster_report,
)
from app.reports.archive.readme import readme_text
from app.reports.archive.verify import (
    AUDIT,
    FORMAT,
    VERSION,
    VerificationResult,
    check_audit_lines,
    file_digest,
    verify_archive,
)
from app.reports.archive.writer import ArchiveWriter, compact_json, pretty, write_json
from app.reports.exports import EXPORTS
from app.tally.document import tally_document
from app.tally.queries import tally_plan
from app.works.archive import write_works_archive

__all__ = ["VerificationResult", "build_archive", "record_archive", "verify_archive"]

NOTICE_FILES = {
    "preliminary": "notices/preliminary-notice.pdf",
    "final": "notices/final-notice.pdf",
    "sheet": "notices/tally-sheet.pdf",
}
CLI_USER = SimpleNamespace(display_name="", username="cli", actor_label="cli")


@dataclass
class ArchiveInfo:
    """A built archive: its folder, manifest, and the ZIP's size and SHA-256."""

    root: str
    manifest: dict
    size: int = 0
    sha256: str = ""

    @property
    def files(self) -> int:
        """Members of the ZIP: the listed files, manifest.json and manifest.sha256."""
        return len(self.manifest["files"]) + 2


def ascii_name(name: str) -> str:
    """A file name part in plain ASCII (letters, digits, dot, dash, underscore)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or "export"


def archive_root(plan: Plan) -> str:
    """The archive's one folder: plan-<id>/."""
    return f"plan-{plan.id}/"


def _zip_time(when: datetime) -> tuple:
    """A stored UTC time as the ZIP's local (community time zone) date_time."""
    zone = get_timezone(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    local = when.replace(tzinfo=get_timezone("UTC")).astimezone(zone)
    return local.timetuple()[:6]


# The parts of an archive in the order they are written: a job's progress counts them.
ARCHIVE_STEPS = (
    "roster",
    "plan",
    "ballots",
    "paper",
    "tally",
    "notices",
    "printing",
    "exports",
    "audit",
    "manifest",
)


def build_archive(plan: Plan, target, *, user=None, progress=None) -> ArchiveInfo:
    """Write the plan's archive into `target` (a path or a seekable binary file).

    `user` is the staff user making it (None: the command line); `progress(step)` is called
    with each of ARCHIVE_STEPS as it begins. Raises DomainError when a notice PDF cannot be
    drawn (no CJK font installed). Building only reads, so the plan's shares and its tally,
    which many parts need, are worked out once.
    """
    with reading_once():
        return _build_archive(plan, target, user, progress)


def _build_archive(plan: Plan, target, user, progress) -> ArchiveInfo:
    """build_archive, inside its memos."""
    step = progress or (lambda _name: None)
    created_at = utcnow()
    user = user or CLI_USER
    community = db.session.get(Community, plan.community_id)
    # The archive holds the community's chain up to this head, and says so in its manifest.
    head = chain_head(plan.community_id)
    places = Places(plan.community_id)
    writer = ArchiveWriter(target, archive_root(plan), _zip_time(created_at))
    counts: dict = {}
    step("roster")
    writer.add("README.txt", readme_text(community, plan, archive_root(plan), created_at))
    writer.add("roster.csv", csv_bytes(roster_report(places)))
    counts["households"] = len(places.rows)
    step("plan")
    electorate = electorate_document(plan, places)
    writer.add("electorate.json", pretty(electorate))
    counts["electorate"] = len(electorate["households"])
    counts["electorate_corrections"] = len(electorate["corrections"])
    document = plan_document(plan, places)
    writer.add("plan.json", pretty(document))
    counts["items"] = len(document["items"])
    step("ballots")
    counts.update(_write_ballots(writer, plan, places))
    step("paper")
    counts.update(_write_paper(writer, plan, places))
    step("tally")
    tally = tally_document(tally_plan(plan))
    writer.add("tally.json", pretty(tally))
    publication = publication_document(plan, places)
    writer.add("publication.json", pretty(publication))
    counts["objections"] = len(publication["objections"])
    files, closeout_counts = closeout_files(plan)  # change orders and final accounts
    for path, data in files:
        writer.add(path, data)
    counts.update(closeout_counts)
    step("notices")
    counts["notices"] = _write_notices(writer, plan)
    counts.update(write_aftercare(writer, plan))  # acceptance and evaluation, after the works
    step("printing")
    counts["print_jobs"] = _write_print_register(writer, plan, places)
    step("exports")
    counts["exports"] = _write_exports(writer, plan, user)
    counts.update(write_works_archive(writer, plan))  # after the vote: app.works.archive
    step("audit")
    counts["audit_events"] = _write_audit(writer, plan, head.seq if head else 0)
    step("manifest")
    manifest = writer.close(
        {
            "format": FORMAT,
            "version": VERSION,
            "generator": "CoPlan",
            "community": {
                "id": community.id,
                "name": community.name,
                "district": community.district,
                "street": community.street,
                "address": community.address,
            },
            "plan": {
                "id": plan.id,
                "title": plan.title,
                "phase": plan.phase,
                "result_stage": plan.result_stage,
            },
            "created_at": iso(created_at),
            "created_by": user.actor_label,
            # The community chain's head when the archive was made: SEQ:HASH.
            "audit_head": head.head if head else None,
            "root": archive_root(plan),
            "counts": counts,
        }
    )
    info = ArchiveInfo(archive_root(plan), manifest)
    if isinstance(target, str | Path):
        with open(target, "rb") as stream:
            info.sha256, info.size = file_digest(stream)
    else:
        target.seek(0)
        info.sha256, info.size = file_digest(target)
    return info


def _write_ballots(writer: ArchiveWriter, plan: Plan, places: Places) -> dict:
    """ballots.json: every household's ballots with their history, conflicts, deliveries."""
    book = BallotBook(plan, places)
    with writer.open("ballots.json") as out:
        write_json(
            out,
            [
                ("plan", plan.id),
                ("conflict_policy", plan.conflict_policy),
                ("households", book.households()),
                ("conflicts", lambda: book.conflicts),
                ("deliveries", book.deliveries()),
                ("summary", lambda: dict(sorted(book.counts.items()))),
            ],
        )
    return {
        "ballots": book.counts["ballots"],
        "households_with_ballots": book.counts["households"],
        "effective_ballots": book.counts["effective"],
        "conflicts": len(book.conflicts),
    }


def _write_paper(writer: ArchiveWriter, plan: Plan, places: Places) -> dict:
    """paper.json: serials, every keying, the committee's resolutions."""
    serials = dict(
        db.session.execute(
            select(PaperSerial.id, PaperSerial.serial).where(PaperSerial.plan_id == plan.id)
        ).all()
    )
    with writer.open("paper.json") as out:
        write_json(
            out,
            [
                ("plan", plan.id),
                ("double_entry", plan.paper_double_entry),
                ("serials", paper_serials(plan, places)),
                ("entries", paper_entries(plan, places, serials)),
                ("resolutions", paper_reviews(plan, places)),
            ],
        )
    entries = db.session.scalar(
        select(func.count(PaperEntry.id)).where(PaperEntry.plan_id == plan.id)
    )
    return {"paper_serials": len(serials), "paper_entries": entries}


def _write_notices(writer: ArchiveWriter, plan: Plan) -> list[str]:
    """The notices and tally sheet the plan's stage allows, drawn as PDF now."""
    kinds = [kind for kind in NOTICE_KINDS if notice_problem(plan, kind) is None]
    if kinds:
        pdf_font()  # no CJK font: a clear DomainError before anything is drawn
    for kind in kinds:
        buffer = io.BytesIO()
        pen = Pen(buffer, title=f"{plan.title} {kind}")
        draw_notice(pen, notice_data(plan, kind))
        pen.save()
        writer.add(NOTICE_FILES[kind], buffer.getvalue())
    return kinds


def _write_print_register(writer: ArchiveWriter, plan: Plan, places: Places) -> int:
    """printing/print-jobs.json, and the stored PDFs of ballot jobs (never letters: codes)."""
    register = []
    for job in print_jobs(plan):
        path = job_file(job)
        if job.kind == "letters":
            stored, note = None, "letters hold sign-in codes: never archived"
        elif path is None:
            stored, note = None, "file no longer kept (removed after printing)"
        else:
            stored, note = f"printing/{job.kind}-{job.id}.pdf", "stored file, as printed"
            writer.add_file(stored, path)
        register.append(print_job_entry(job, places, stored, note))
    writer.add("printing/print-jobs.json", pretty({"plan": plan.id, "jobs": register}))
    return len(register)


def _write_exports(writer: ArchiveWriter, plan: Plan, user) -> int:
    """Every registered export as CSV (first table) and XLSX (all tables)."""
    for spec in EXPORTS.values():
        reports = spec.build(plan)
        meta = plan_meta(str(spec.label), plan, user)
        name = ascii_name(spec.name)
        writer.add(f"exports/{name}.csv", csv_bytes(reports[0], meta))
        writer.add(f"exports/{name}.xlsx", xlsx_bytes(reports, meta))
    return len(EXPORTS)


def _write_audit(writer: ArchiveWriter, plan: Plan, upto: int) -> int:
    """audit.jsonl (the community's chain, 1 to `upto`) and audit-verification.json."""
    with writer.open(AUDIT) as out:

        def lines():
            """Each event written as it is read, and handed on to the chain check."""
            for event in audit_rows(plan.community_id, upto):
                line = audit_line(event)
                out.write(compact_json(line) + "\n")
                yield line

        check = check_audit_lines(lines())
    in_database = verify_chain(chain_of(plan.community_id), upto=upto)
    writer.add(
        "audit-verification.json",
        pretty(
            {
                "in_archive": check.summary(),
                "in_database": {
                    "chain": in_database.chain,
                    "events": in_database.checked,
                    "head": in_database.head,
                    "links_ok": in_database.ok,
                    "broken_at": in_database.broken_at,
                    "reason": in_database.reason,
                },
            }
        ),
    )
    return check.events


def record_archive(
    plan: Plan, info: ArchiveInfo, *, via: str, filename: str = "", actor: str | None = None
) -> AuditEvent:
    """Append the "archive" audit event: which plan, how many files, the ZIP's size and hash."""
    return log_event(
        "archive",
        "plan",
        plan.id,
        community_id=plan.community_id,
        after={
            "via": via,
            "file": filename,
            "files": info.files,
            "bytes": info.size,
            "sha256": info.sha256,
            "created_at": info.manifest["created_at"],
            "format": VERSION,
            "counts": info.manifest["counts"],
        },
        actor=actor,
    )
