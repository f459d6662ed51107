"""The works in the plan's archive (一小区一档案): works/works.json and every photo as a file.

``write_works_archive(writer, plan)`` is called by the archive builder (app.reports.archive.build)
with its ArchiveWriter: each photo becomes works/photos/<id>.<ext>, so the manifest lists its
size and SHA-256, and works.json names each photo by that path with the SHA-256 taken when it
was uploaded (and logged in the audit trail), so a reader can check one against the other.
"""

import json
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.communities.models import Household
from app.extensions import db
from app.plans.models import Plan
from app.proposals.photos import EXTENSIONS
from app.works.models import IssueReport, WorksPhoto
from app.works.queries import plan_works, supervisors, works_log

WORKS_FILE = "works/works.json"


def _iso(value):
    """A stored UTC time as ISO text marked Z, a date as YYYY-MM-DD, None as None."""
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds") + "Z"
    if isinstance(value, date):
        return value.isoformat()
    return value


def _photo(writer, photo: WorksPhoto) -> dict:
    """Write one photo into the archive; its entry in works.json."""
    path = f"works/photos/{photo.id}.{EXTENSIONS.get(photo.content_type, 'bin')}"
    writer.add(path, photo.data)
    return {"file": path, "type": photo.content_type, "size": photo.size, "sha256": photo.sha256}


def works_document(writer, plan: Plan) -> tuple[dict, dict]:
    """The plan's works, logs, supervisors, inspections and issue reports (photos written as
    files on the way), and their counts for the manifest."""
    counts = {"works": 0, "works_log_entries": 0, "inspections": 0, "issue_reports": 0,
              "works_photos": 0}  # fmt: skip
    works_list = []
    for works in plan_works(plan):
        counts["works"] += 1
        log = []
        for entry in reversed(works_log(works)):
            counts["works_log_entries"] += 1
            counts["inspections"] += entry.kind == "inspection"
            photos = [_photo(writer, p) for p in entry.photos]
            counts["works_photos"] += len(photos)
            log.append(
                {
                    "id": entry.id,
                    "date": _iso(entry.entry_date),
                    "kind": entry.kind,
                    "stage": entry.stage,
                    "severity": entry.severity,
                    "text": entry.text,
                    "author": entry.author,
                    "household": entry.household_id and _address(entry.household_id),
                    "recorded_at": _iso(entry.created_at),
                    "photos": photos,
                }
            )
        works_list.append(
            {
                "id": works.id,
                "item": {"id": works.item_id, "key": works.item.key, "title": works.item.title},
                "option_id": works.option_id,
                "contractor": works.contractor,
                "site_supervisor": works.site_supervisor,
                "contract_fen": works.contract_fen,
                "complaints_contact": works.complaints_contact,
                "planned_start": _iso(works.planned_start),
                "planned_end": _iso(works.planned_end),
                "actual_start": _iso(works.actual_start),
                "actual_end": _iso(works.actual_end),
                "status": works.status,
                "progress": works.progress,
                "supervisors": [
                    {
                        "household": s.household.address_label,
                        "status": s.status,
                        "note": s.note,
                        "since": _iso(s.created_at),
                        "appointed_at": _iso(s.appointed_at),
                    }
                    for s in supervisors(works)
                ],
                "log": log,
            }
        )
    issues = []
    for issue in db.session.scalars(
        select(IssueReport)
        .where(IssueReport.plan_id == plan.id)
        .options(selectinload(IssueReport.household))
        .order_by(IssueReport.id)
    ):
        counts["issue_reports"] += 1
        photos = [_photo(writer, p) for p in issue.photos]
        counts["works_photos"] += len(photos)
        issues.append(
            {
                "id": issue.id,
                "works_id": issue.works_id,
                "household": issue.household.address_label if issue.household else None,
                "location": issue.location,
                "text": issue.text,
                "status": issue.status,
                "responsible": issue.responsible,
                "deadline": _iso(issue.deadline),
                "reported_at": _iso(issue.created_at),
                "closed_at": _iso(issue.closed_at),
                "steps": [
                    {"step": s.step, "note": s.note, "by": s.actor, "at": _iso(s.at)}
                    for s in issue.steps
                ],
                "photos": photos,
            }
        )
    return {"plan": plan.id, "works": works_list, "issue_reports": issues}, counts


def _address(household_id: int) -> str:
    """A household's address label."""
    household = db.session.get(Household, household_id)
    return household.address_label if household else str(household_id)


def write_works_archive(writer, plan: Plan) -> dict:
    """Add works/works.json and the photos to the archive; the counts for its manifest.

    A plan that never reached the works writes nothing and counts nothing."""
    document, counts = works_document(writer, plan)
    if not document["works"] and not document["issue_reports"]:
        return {}
    writer.add(WORKS_FILE, json.dumps(document, ensure_ascii=False, indent=2) + "\n")
    return counts
