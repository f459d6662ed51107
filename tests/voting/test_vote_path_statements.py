"""The vote path stays short: a count of SQL statements per online ballot (issue 13, part 5).

A count, not a timing: bench/vote_throughput.py times the path, bench/vote_profile.py takes it
apart. A change that adds a statement to every ballot submission has to raise the figure here.
"""

import pytest
from sqlalchemy import event

from app.extensions import db
from tests.plans.conftest import example  # noqa: F401
from tests.voting.test_online_ballot import OTHER, ballots, choose, confirm, item_ids, signed_in

# The confirmation POST, from the principal loader to the audit event, BEGIN included.
STATEMENTS_PER_BALLOT = {"sqlite": 10, "postgresql": 12}


def _statements_of_confirmation(app, client, page) -> list[str]:
    statements = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        response, _data = confirm(client, page)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert response.status_code == 303
    return statements


@pytest.mark.parametrize("ballot_number", [1, 2])
def test_an_online_ballot_takes_a_fixed_number_of_statements(
    app,
    factory,
    example,  # noqa: F811
    ballot_number,
):
    cid, pid = example()
    ids = item_ids(app, pid)
    client = signed_in(app, factory, cid, OTHER)
    picks = {ids[k]: "agree" for k in ("A1", "A2", "B2", "C1")}
    if ballot_number == 2:  # a changed ballot: a second version, the effective ballot updated
        confirm(client, choose(client, picks))
        picks[ids["A2"]] = "oppose"
    statements = _statements_of_confirmation(app, client, choose(client, picks))
    with app.app_context():
        dialect = db.engine.dialect.name
    assert len(ballots(app, pid)) == ballot_number
    assert len(statements) <= STATEMENTS_PER_BALLOT[dialect], "\n".join(statements)
