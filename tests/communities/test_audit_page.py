"""The audit page: filters by action, record type, actor and local dates, pages that keep them."""

from datetime import datetime

import pytest

from app.extensions import db
from tests.conftest import sign_in_staff

ROW = '<tr><td class="head">'  # one audit event per row


@pytest.fixture
def trail(app, factory, monkeypatch):
    """A community whose trail holds 60 code issues, 3 payments and 2 proposals on known days."""
    import app.core.audit as audit

    cid = factory.community(buildings=1, units=1, floors=1)
    factory.user("w1", "worker", communities=[cid])

    def log(action, record_type, actor, when):
        monkeypatch.setattr(audit, "utcnow", lambda: when)
        audit.log_event(action, record_type, 1, community_id=cid, actor=actor)

    with app.test_request_context():
        for n in range(60):
            log("codes.issue", "household", "user:w1", datetime(2026, 3, 1, 2, n))
        # 2026-03-04 23:30 UTC is already 5 March in Beijing.
        for day, hour in ((3, 3), (4, 3), (4, 23)):
            log("payment.record", "payment", "user:cashier", datetime(2026, 3, day, hour, 30))
        log("proposal.create", "proposal", "household:7", datetime(2026, 3, 6, 1))
        log("proposal.create", "proposal", "household:8", datetime(2026, 3, 6, 2))
        db.session.commit()
    monkeypatch.undo()
    client = app.test_client()
    sign_in_staff(client, "w1")
    return client, cid


def rows(client, url) -> tuple[int, str]:
    """(number of rows shown, html) of an audit page."""
    html = client.get(url).get_data(as_text=True)
    return html.split("<tbody>")[1].count(ROW), html


def test_unfiltered_trail_pages_newest_first(trail):
    client, cid = trail
    n, html = rows(client, f"/c/{cid}/audit")
    assert n == 50 and "proposal.create" in html.split("<tbody>")[1].split(ROW)[1]
    assert "第 1 / 2 页" in html
    assert '<option value="payment.record">' in html and '<option value="proposal">' in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("action=payment.record", 3),
        ("record_type=proposal", 2),
        ("actor=cashier", 3),
        ("actor=household:", 2),
        ("date_from=2026-03-04&date_to=2026-03-04", 1),  # local days: the 23:30 UTC one is the 5th
        ("date_from=2026-03-05&date_to=2026-03-31", 3),
        ("date_to=2026-03-01", 50),
        ("action=payment.record&date_from=2026-03-05", 1),
        ("action=no.such&record_type=nothing&date_from=garbage", 50),  # unknown values ignored
    ],
)
def test_filters(trail, query, expected):
    client, cid = trail
    n, _html = rows(client, f"/c/{cid}/audit?{query}")
    assert n == expected


def test_pages_keep_the_filters(trail):
    client, cid = trail
    url = f"/c/{cid}/audit?action=codes.issue&actor=w1&date_to=2026-03-02"
    n, html = rows(client, url)
    assert n == 50 and "共 60 条" in html
    assert (
        f"/c/{cid}/audit?page=2&amp;action=codes.issue&amp;actor=w1&amp;date_to=2026-03-02" in html
    )
    n, html = rows(client, url + "&page=2")
    assert n == 10 and 'value="w1"' in html and 'value="2026-03-02"' in html


def test_foreign_community_trail_is_404(app, factory, trail):
    client, _cid = trail
    other = factory.community("别的小区", buildings=1, units=1, floors=1)
    assert client.get(f"/c/{other}/audit?action=codes.issue").status_code == 404
