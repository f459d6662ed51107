"""A large plan's exports are jobs on the queue: the download answers at once with a progress
page, the worker writes the file (renamed into place), audited as the user's export.
The queue runs in immediate mode (a job runs when its response is closed)."""

import pytest
from sqlalchemy import select

from app.core.audit import AuditEvent
from app.extensions import db
from app.printing.models import PrintJob
from tests.conftest import sign_in_staff
from tests.reports.conftest import exported  # noqa: F401


@pytest.fixture
def large(app, monkeypatch, tmp_path):
    """Every plan counts as large; job files go to a folder of the test's own."""
    monkeypatch.setitem(app.config, "EXPORT_INLINE_HOUSEHOLDS", 0)
    monkeypatch.setitem(app.config, "COPLAN_PRINT_DIR", str(tmp_path / "jobs"))


def test_a_large_plans_export_answers_with_a_progress_page_then_the_file(
    app,
    exported,  # noqa: F811
    large,
    tmp_path,
):
    client = app.test_client()
    sign_in_staff(client, "worker1")
    base = f"/c/{exported['cid']}/plans/{exported['pid']}/exports"
    response = client.get(base + "/ballots.csv")
    assert response.status_code == 302
    job_url = response.headers["Location"]
    assert "/exports/jobs/" in job_url
    waiting = client.get(job_url)
    assert waiting.headers["Refresh"] == "2" and "排队中" in waiting.get_data(as_text=True)
    assert client.get(job_url + "/file").status_code == 302
    response.close()
    page = client.get(job_url)
    assert "Refresh" not in page.headers and "下载文件" in page.get_data(as_text=True)
    download = client.get(job_url + "/file")
    assert download.status_code == 200
    text = download.get_data().decode("utf-8-sig")
    assert "1号楼" in text
    with app.app_context():
        job = db.session.scalar(select(PrintJob).where(PrintJob.kind == "export"))
        assert (job.status, job.target, job.attempts) == ("done", "ballots.csv", 1)
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "export"))
        assert event.actor == "user:worker1"
        assert event.after_data["export"] == "ballots" and event.after_data["via"] == "queue"
        assert event.after_data["bytes"] == len(download.get_data())
        queued = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "export.queue"))
        assert queued.actor == "user:worker1"
    assert sorted(p.name for p in (tmp_path / "jobs").iterdir()) == [job.filename]


def test_a_large_plans_tally_and_turnout_exports_stay_in_the_request(
    app,
    exported,  # noqa: F811
    large,
):
    """One row per item or per building and unit: fast at any size, so never a job."""
    client = app.test_client()
    sign_in_staff(client, "worker1")
    base = f"/c/{exported['cid']}/plans/{exported['pid']}/exports"
    for name in ("tally", "turnout"):
        response = client.get(f"{base}/{name}.csv")
        assert response.status_code == 200, name
        assert response.get_data().decode("utf-8-sig").strip()
    assert client.get(base + "/roster.csv").status_code == 302  # a row per household: a job
    with app.app_context():
        kinds = db.session.scalars(select(PrintJob.target).where(PrintJob.kind == "export"))
        assert list(kinds) == ["roster.csv"]


def test_only_export_jobs_open_on_the_export_job_pages(app, exported, large):  # noqa: F811
    with app.app_context():
        jobs = [
            PrintJob(community_id=exported["cid"], plan_id=exported["pid"], kind=kind,
                     target=target, status="done")
            for kind, target in (("ballots", None), ("export", "nosuch.csv"),
                                 ("export", "ballots.xlsx"))
        ]  # fmt: skip
        db.session.add_all(jobs)
        db.session.commit()
        ids = [j.id for j in jobs]
    base = f"/c/{exported['cid']}/plans/{exported['pid']}/exports/jobs"
    client = app.test_client()
    sign_in_staff(client, "worker1")
    assert client.get(f"{base}/{ids[0]}").status_code == 404  # a print job
    assert client.get(f"{base}/{ids[1]}").status_code == 404  # no such export
    page = client.get(f"{base}/{ids[2]}")
    assert page.status_code == 200 and "文件已超过保留时间被删除" in page.get_data(as_text=True)
