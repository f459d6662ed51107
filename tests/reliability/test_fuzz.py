"""Property-based fuzz of the roster and paper-ballot imports and of every POST form.

Whatever arrives — random bytes, malformed CSV, hostile form values — the answer is never a
server error, and a refused import leaves the data as it was.
"""

import io
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.communities.models import Household
from app.communities.roster import HEADER_ALIASES, parse_roster
from app.core.audit import verify_every_chain
from app.extensions import db
from tests.conftest import csrf_from, db_examples, sign_in_staff
from tests.plans.conftest import example  # noqa: F401

FUZZ = settings(
    max_examples=db_examples(60),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

HEADERS = sorted(
    {alias for aliases in HEADER_ALIASES.values() for alias in aliases}
    if isinstance(HEADER_ALIASES, dict)
    else set()
)
cells = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        [
            "",
            "3号楼",
            "２单元",
            "301",
            "-5",
            "0",
            "65.3㎡",
            "1e9",
            "abc",
            "１０１",
            "=cmd|' /C calc'!A0",
            "\x00",
            "😀",
            "9" * 30,
            "65.333",
        ]
    ),
)
csv_text = st.builds(
    lambda header, rows, sep: "\n".join(sep.join(r) for r in [header, *rows]),
    st.lists(st.sampled_from(HEADERS or ["楼栋", "房号", "面积", "业主"]), min_size=1, max_size=8),
    st.lists(st.lists(cells, max_size=9), max_size=6),
    st.sampled_from([",", "\t", ";"]),
)


@FUZZ
@given(
    data=st.one_of(
        st.binary(max_size=400),
        csv_text.map(lambda t: t.encode("utf-8")),
        csv_text.map(lambda t: t.encode("gb18030", errors="replace")),
    ),
    name=st.sampled_from(["r.csv", "r.xlsx", "r.txt", "r"]),
)
def test_roster_parser_never_crashes(ctx, data, name):
    result = parse_roster(data, name)
    assert result.rows == [] or not result.errors  # never half-valid
    for issue in result.errors:
        assert str(issue.message)


@pytest.fixture
def voting_plan(example):  # noqa: F811
    """The example plan, open for voting; its id."""
    return example()[1]


@pytest.fixture
def worker(app, factory):
    cid = factory.community("模糊小区", buildings=1, units=1, floors=2)
    factory.user("w1", "worker", communities=[cid])
    client = app.test_client()
    sign_in_staff(client, "w1")
    return client, cid


def households(app):
    with app.app_context():
        return db.session.scalar(select(func.count(Household.id)))


@settings(
    max_examples=db_examples(40),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    data=st.one_of(st.binary(max_size=300), csv_text.map(lambda t: t.encode())),
    name=st.sampled_from(["r.csv", "r.xlsx"]),
)
def test_roster_upload_answers_and_changes_nothing(app, worker, data, name):
    client, cid = worker
    before = households(app)
    token = csrf_from(client, f"/c/{cid}/roster")
    response = client.post(
        f"/c/{cid}/roster",
        data={"csrf_token": token, "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )
    assert response.status_code in (200, 302, 400, 413, 422), response.status_code
    assert households(app) == before  # an upload alone never writes households


@settings(
    max_examples=db_examples(40),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.one_of(st.binary(max_size=300), csv_text.map(lambda t: t.encode())))
def test_paper_ballot_import_refuses_garbage_whole(app, voting_plan, data):
    from app.paper.importing import import_paper_ballots
    from app.paper.models import PaperEntry
    from app.plans.models import Plan

    with app.test_request_context():
        plan = db.session.get(Plan, voting_plan)
        before = db.session.scalar(select(func.count(PaperEntry.id)))
        try:
            import_paper_ballots(plan, data, "ballots.csv", user=None)
        except Exception as exc:  # a refusal must be a domain error, never a crash
            from app.core.errors import DomainError

            assert isinstance(exc, DomainError | ValueError), repr(exc)
            db.session.rollback()
            assert db.session.scalar(select(func.count(PaperEntry.id))) == before
        else:
            db.session.rollback()


FIELDS = [
    "action",
    "address",
    "amount",
    "authorised_by",
    "batch",
    "body",
    "category",
    "code",
    "communities",
    "conflict_policy",
    "contact",
    "cost",
    "custom_approval",
    "custom_base",
    "custom_dimensions",
    "custom_quorum",
    "custom_strict",
    "description",
    "display_name",
    "district",
    "drafting_closes",
    "drafting_opens",
    "household",
    "household_id",
    "item",
    "item_id",
    "key",
    "method",
    "name",
    "next",
    "non_voter_policy",
    "objection_days",
    "objection_id",
    "only_missing",
    "paid_on",
    "paper_double_entry",
    "phase",
    "proposals_closes",
    "proposals_opens",
    "reason",
    "receipt",
    "receipt_no",
    "residents_check",
    "resolution",
    "role",
    "rule",
    "scope_buildings",
    "scope_units",
    "serial",
    "share_method",
    "source",
    "street",
    "summary",
    "target",
    "text",
    "title",
    "username",
    "voting_closes",
    "voting_opens",
    "witness",
    "kind",
    "status",
    "submission_key",
    "item-1",
    "pledge-1",
    "item-2",
    "q",
]
hostile = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        [
            "",
            "-1",
            "0",
            "99999999999999999999",
            "2026-02-30",
            "1/0",
            "NaN",
            "null",
            "<script>alert(1)</script>",
            "' OR 1=1 --",
            "../../etc/passwd",
            "agree",
            "voting",
            "closed",
            "custom",
            "floor",
            "9" * 300,
        ]
    ),
)
form_values = st.dictionaries(st.sampled_from(FIELDS), hostile, max_size=8)


def post_routes(app, values):
    """Every POST route with its arguments filled from `values`."""
    for rule in app.url_map.iter_rules():
        if "POST" in rule.methods and rule.endpoint not in ("accounts.signout",):
            yield (
                rule.endpoint,
                re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values.get(m.group(1), 1)), rule.rule),
            )


@pytest.mark.slow
@pytest.mark.parametrize("role", ["admin", "worker"])
def test_every_form_survives_hostile_values(app, factory, role):
    """Each POST route, 25 random forms with a valid CSRF token: never a 5xx; chain intact."""
    cid = factory.community("表单小区", buildings=2, units=2, floors=2)
    factory.user("u1", role, communities=[cid])
    with app.test_request_context():
        from app.communities.models import Community
        from app.plans.items import create_plan

        plan = create_plan(db.session.get(Community, cid), "方案")
        db.session.commit()
        values = {
            "community_id": cid,
            "plan_id": plan.id,
            "household_id": 1,
            "item_id": 1,
            "upload_id": 1,
            "proposal_id": 1,
            "photo_id": 1,
            "payment_id": 1,
            "building_id": 1,
            "job_id": 1,
            "code": "en",
            "token": "X",
        }
    client = app.test_client()
    sign_in_staff(client, "u1")
    token = csrf_from(client, "/staff/")
    routes = list(post_routes(app, values))
    cases, examples = 0, db_examples(25)

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(form=form_values)
    def run(endpoint, url, form):
        nonlocal cases
        response = client.post(url, data={**form, "csrf_token": token})
        cases += 1
        assert response.status_code < 500, (endpoint, url, form, response.status_code)

    for endpoint, url in routes:
        run(endpoint, url)
    with app.app_context():
        assert verify_every_chain().ok
    print(f"\n{role}: {len(routes)} POST routes, {cases} hostile forms, no 5xx")
    assert cases >= examples * len(routes) * 0.9
