"""Printing fixtures: the example plan, PDF text and fonts, running the print CLI."""

import io
import os
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from app.extensions import db
from tests.conftest import DATA
from tests.plans.conftest import example, household_id  # noqa: F401


def publish_example(app, factory, example, *, committee=()) -> tuple[int, int]:  # noqa: F811
    """The example plan (voting opened through set_phase) with the 20 example paper ballots
    keyed twice by workers w1 and w2, voting over, and the preliminary result published;
    (cid, pid). `committee`: usernames of committee members to create too."""
    from app.plans.models import Plan
    from app.plans.queries import local_today
    from app.tally.operations import publish_preliminary

    cid, pid = example(phase="voting")
    for username in ("w1", "w2"):
        factory.user(username, "worker", communities=[cid])
    for username in committee:
        factory.user(username, "committee", communities=[cid])
    path = os.path.join(DATA, "paper-ballots-example.csv")
    for user in ("w1", "w2"):
        result = app.test_cli_runner().invoke(
            args=["ballots", "import", str(pid), path, "--by", user]
        )
        assert result.exit_code == 0, result.output
    with app.test_request_context():
        plan = db.session.get(Plan, pid)
        plan.voting_closes = local_today() - timedelta(days=1)
        db.session.flush()
        publish_preliminary(plan)
        db.session.commit()
    return cid, pid


def pdf_pages(data: bytes) -> list[str]:
    """The text of each page."""
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def pdf_fonts(data: bytes) -> list[dict]:
    """Every font the pages use: name, subtype, and whether its outlines are embedded."""
    fonts = {}
    for page in PdfReader(io.BytesIO(data)).pages:
        for ref in (page["/Resources"].get("/Font") or {}).values():
            font = ref.get_object()
            descriptor = font.get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor else {}
            fonts[font["/BaseFont"]] = {
                "subtype": font["/Subtype"],
                "embedded": any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")),
            }
    return [{"name": name, **info} for name, info in fonts.items()]


def issued(app, plan_id: int) -> dict[int, str]:
    """{household id: serial} of the plan's issued (not void) serials."""
    from app.paper.models import PaperSerial

    with app.app_context():
        return dict(
            db.session.execute(
                select(PaperSerial.household_id, PaperSerial.serial).where(
                    PaperSerial.plan_id == plan_id, PaperSerial.status == "issued"
                )
            ).all()
        )


@pytest.fixture
def run_print(app, tmp_path):
    """Run `flask print KIND PLAN ... --out FILE`; returns (result, pdf bytes or None)."""

    def run(kind, plan_id, *args):
        out = tmp_path / f"{kind}.pdf"
        if out.exists():
            out.unlink()
        result = app.test_cli_runner().invoke(
            args=["print", kind, str(plan_id), "--out", str(out), *args]
        )
        return result, (out.read_bytes() if out.exists() else None)

    return run
