"""Printing pages: choose a batch, confirm, the job runs on the queue, download the PDF.

The tests run the queue in immediate mode: a job runs when its response is closed."""

import re
from contextlib import nullcontext

import pytest
from sqlalchemy import select

from app.extensions import db
from app.printing.jobs import MAX_ATTEMPTS, run_print_job
from app.printing.models import PrintJob
from tests.conftest import post_form, sign_in_staff
from tests.printing.conftest import issued, pdf_pages


def _building_choice(html: str, name: str) -> str:
    return re.search(rf'<option value="(b\d+)">{name}</option>', html).group(1)


@pytest.mark.slow
def test_worker_prints_a_building_of_ballots_in_the_background(app, factory, example):
    cid, pid = example(phase="voting")
    factory.user("w1", "worker", communities=[cid])
    client = app.test_client()
    sign_in_staff(client, "w1")
    assert "打印与纸质票" in client.get(f"/c/{cid}/").get_data(as_text=True)
    base = f"/c/{cid}/plans/{pid}/print/ballots"
    batch = _building_choice(client.get(base).get_data(as_text=True), "3号楼")
    preview = client.get(f"{base}?batch={batch}").get_data(as_text=True)
    assert "确认打印" in preview
    response = post_form(client, base, {"batch": batch}, form_page=f"{base}?batch={batch}")
    assert response.status_code == 302
    job_url = response.headers["Location"]
    response.close()  # as a WSGI server does: the job is queued once the response is closed
    page = client.get(job_url)
    html = page.get_data(as_text=True)
    assert "已完成" in html and "Refresh" not in page.headers
    download = client.get(job_url + "/file")
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    pages = pdf_pages(download.data)
    assert len(pages) == len(issued(app, pid)) > 0
    assert all("3号楼" in p for p in pages)
    # Reprinting the same building warns that the old serials become void.
    again = client.get(f"{base}?batch={batch}").get_data(as_text=True)
    assert "原来的票号作废" in again


def test_letters_page_warns_that_codes_are_replaced(app, factory, example):
    cid, pid = example(phase="drafting")
    factory.codes(cid)
    factory.user("w1", "worker", communities=[cid])
    client = app.test_client()
    sign_in_staff(client, "w1")
    base = f"/c/{cid}/plans/{pid}/print/letters"
    html = client.get(f"{base}?batch=all&contact=居委会").get_data(as_text=True)
    assert "换发新的登录码" in html and "立即失效" in html and "84" in html


def test_a_failed_render_is_retried_then_fails_having_written_nothing(
    app, factory, example, monkeypatch
):
    cid, pid = example(phase="voting")
    factory.user("w1", "worker", communities=[cid])
    client = app.test_client()
    sign_in_staff(client, "w1")

    def broken(pen, data):
        raise RuntimeError("printer on fire")

    monkeypatch.setattr("app.printing.batches.draw_ballot", broken)
    base = f"/c/{cid}/plans/{pid}/print/ballots"
    response = post_form(client, base, {"batch": "all"}, form_page=f"{base}?batch=all")
    response.close()
    # The first run failed: the job waits in the queue for its retry, nothing written.
    with app.app_context():
        job = db.session.scalar(select(PrintJob))
        assert (job.status, job.attempts, job.message) == ("queued", 1, "出错了，稍后自动重试。")
        job_id = job.id
    page = client.get(response.headers["Location"])
    assert "出错了，稍后自动重试" in page.get_data(as_text=True) and page.headers["Refresh"]
    # The queue's retries (run here by hand: immediate mode schedules them) fail the same way.
    for _attempt in range(MAX_ATTEMPTS - 1):
        expected = pytest.raises(RuntimeError) if _attempt < MAX_ATTEMPTS - 2 else nullcontext()
        with expected, app.app_context():
            run_print_job.call_local(job_id, "")
    page = client.get(response.headers["Location"])
    assert "没有写入任何更改" in page.get_data(as_text=True)
    assert issued(app, pid) == {}
    with app.app_context():
        job = db.session.get(PrintJob, job_id)
        assert (job.status, job.attempts, job.filename) == ("failed", MAX_ATTEMPTS, None)


def test_a_running_job_page_refreshes_itself(app, factory, example):
    cid, pid = example(phase="voting")
    uid = factory.user("w1", "worker", communities=[cid])
    with app.app_context():
        job = PrintJob(
            community_id=cid,
            plan_id=pid,
            kind="ballots",
            status="running",
            total=10,
            done=4,
            created_by_id=uid,
        )
        db.session.add(job)
        db.session.commit()
        job_id = job.id
    client = app.test_client()
    sign_in_staff(client, "w1")
    page = client.get(f"/c/{cid}/plans/{pid}/print/jobs/{job_id}")
    assert page.headers["Refresh"] == "2"
    assert "4 / 10" in page.get_data(as_text=True)
    # Until the file exists, the download link leads back to the progress page.
    assert client.get(f"/c/{cid}/plans/{pid}/print/jobs/{job_id}/file").status_code == 302


def test_only_code_issuers_print_letters_or_open_their_files(app, factory, example):
    cid, pid = example(phase="voting")
    uid = factory.user("w1", "worker", communities=[cid])
    factory.user("c1", "committee", communities=[cid])
    with app.app_context():
        job = PrintJob(
            community_id=cid, plan_id=pid, kind="letters", status="done", created_by_id=uid
        )
        db.session.add(job)
        db.session.commit()
        job_id = job.id
    committee = app.test_client()
    sign_in_staff(committee, "c1")
    assert committee.get(f"/c/{cid}/plans/{pid}/print/letters").status_code == 403
    assert committee.get(f"/c/{cid}/plans/{pid}/print/jobs/{job_id}").status_code == 403
    assert "打印登录信" not in committee.get(f"/c/{cid}/plans/{pid}/print").get_data(as_text=True)
    assert committee.get(f"/c/{cid}/plans/{pid}/print/ballots").status_code == 200


def test_a_job_waiting_in_the_queue_is_not_read_as_dead(app, factory, example):
    """A queued job waits for a worker however long it takes; only a running job that stopped
    reporting (its worker died) reads as failed."""
    from datetime import timedelta

    from app.core.db import utcnow

    cid, pid = example(phase="voting")
    uid = factory.user("w1", "worker", communities=[cid])
    old = utcnow() - timedelta(hours=1)
    with app.app_context():
        jobs = [
            PrintJob(community_id=cid, plan_id=pid, kind="ballots", status=status,
                     created_by_id=uid, updated_at=old)
            for status in ("queued", "running")
        ]  # fmt: skip
        archive = PrintJob(community_id=cid, plan_id=pid, kind="archive", status="done")
        db.session.add_all([*jobs, archive])
        db.session.commit()
        queued, running, archive_id = jobs[0].id, jobs[1].id, archive.id
    client = app.test_client()
    sign_in_staff(client, "w1")
    base = f"/c/{cid}/plans/{pid}/print/jobs"
    waiting = client.get(f"{base}/{queued}")
    assert "排队中" in waiting.get_data(as_text=True) and waiting.headers["Refresh"] == "2"
    dead = client.get(f"{base}/{running}")
    assert "打印任务中断了" in dead.get_data(as_text=True) and "Refresh" not in dead.headers
    # Archive jobs share the table but not the print pages.
    assert client.get(f"{base}/{archive_id}").status_code == 404
    print_page = client.get(f"/c/{cid}/plans/{pid}/print").get_data(as_text=True)
    assert f"jobs/{archive_id}" not in print_page and f"jobs/{queued}" in print_page
