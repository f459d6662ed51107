"""A ballot's rows written in plain (Core) statements, built once per database: the hot path of
every vote.

The ORM's unit of work and its ORM-enabled INSERTs cost several times what the statements
themselves do (bench/vote_segments.py). Here each write is one prebuilt statement whose
RETURNING hands back the whole stored row, and that row goes to the ledger
(``app.core.ledger.record_returned``): the audit chain records the digest of what the database
holds, exactly as for an ORM write. The ballot comes back as an ORM instance attached to the
session without a query, so callers use it like one loaded.
"""

from functools import cache

from sqlalchemy import bindparam, exists, insert, select
from sqlalchemy.orm import make_transient_to_detached

from app.core.audit import chain_of, known_tail, tail_columns
from app.core.db import db_clock, insert_on_conflict
from app.core.ledger import record_returned
from app.extensions import db
from app.plans.models import Plan
from app.voting.models import Ballot, BallotChoice, EffectiveBallot

_BALLOT = Ballot.__table__
_CHOICE = BallotChoice.__table__
_EFFECTIVE = EffectiveBallot.__table__


class _Statements:
    """The statements of one database ("postgresql" or "sqlite")."""

    def __init__(self, dialect: str):
        self.ballot = insert_on_conflict(_BALLOT, dialect).returning(*_BALLOT.c)
        # A submission key the household used on this plan already: nothing, no row back.
        self.ballot_once = (
            insert_on_conflict(_BALLOT, dialect)
            .on_conflict_do_nothing(index_elements=["household_id", "plan_id", "submission_key"])
            .returning(*_BALLOT.c)
        )
        self.choices = insert(_CHOICE).returning(*_CHOICE.c)
        upsert = insert_on_conflict(_EFFECTIVE, dialect)
        # One statement whether the household had an effective ballot or not; the unique
        # constraint (plan, household) is the conflict, so there is never a second row.
        self.effective = upsert.on_conflict_do_update(
            index_elements=["plan_id", "household_id"],
            set_={
                name: upsert.excluded[name]
                for name in ("ballot_id", "conflict", "reason", "updated_at")
            },
        ).returning(*_EFFECTIVE.c)
        # Before a ballot, as the household's lock holds it: the end of voting read afresh,
        # whether the household has a paper or assisted ballot on the plan; on PostgreSQL the
        # database's time; on SQLite (one writer) the chain's tail, which the ballot's audit
        # event links to (app.core.audit.known_tail).
        others = (
            exists()
            .where(
                _BALLOT.c.plan_id == bindparam("plan_id"),
                _BALLOT.c.household_id == bindparam("household_id"),
                _BALLOT.c.channel != "online",
            )
            .label("others")
        )
        checks = select(Plan.voting_ended_at, others).where(Plan.id == bindparam("plan_id"))
        self.checks_read_tail = dialect == "sqlite"
        if self.checks_read_tail:
            self.checks = checks.add_columns(*tail_columns())
        else:
            self.checks = checks.add_columns(db_clock().label("now"))


@cache
def _statements(dialect: str) -> _Statements:
    return _Statements(dialect)


def statements() -> _Statements:
    """The statements for the session's database."""
    return _statements(db.session.get_bind().dialect.name)


def add_ballot(values: dict, once: bool):
    """Insert a ballot; the stored row, or None when `once` and its submission key was used."""
    s = statements()
    row = _write(s.ballot_once if once else s.ballot, values)
    return row[0] if row else None


def add_choices(rows: list[dict]) -> None:
    """Insert a ballot's choices (one statement; each row has every column but the id)."""
    if rows:
        _write(statements().choices, rows)


def keep_effective(values: dict):
    """Insert or update the household's effective ballot; the stored row. A copy of it already
    in the session is brought up to date."""
    (row,) = _write(statements().effective, values)
    key = db.session.identity_key(EffectiveBallot, (row["id"],))
    if key in db.session.identity_map:
        db.session.expire(db.session.identity_map[key])
    return row


def ballot_checks(plan: Plan, household_id: int):
    """(voting ended at, has a paper or assisted ballot, and on PostgreSQL the database's time)
    in one statement, under the household's lock (app.voting.operations.lock_household); on
    SQLite the chain's tail is read along and handed to the audit chain."""
    s = statements()
    params = {"plan_id": plan.id, "household_id": household_id}
    if s.checks_read_tail:
        params["chain"] = chain_of(plan.community_id)
    row = db.session.execute(s.checks, params).one()
    if s.checks_read_tail:
        known_tail(plan.community_id, row.tail_seq, row.tail_hash)
    return row


def attached_ballot(row) -> Ballot:
    """The ballot row as an ORM instance in the session, as if loaded (no query)."""
    ballot = Ballot(**row)
    make_transient_to_detached(ballot)
    db.session.add(ballot)
    return ballot


def _write(statement, params) -> list:
    """Run an INSERT … RETURNING every column on the session's connection; hand its rows to the
    ledger and return them."""
    session = db.session()
    session.flush()  # what the ORM holds goes first, as an ORM statement's autoflush would
    rows = session.connection().execute(statement, params).mappings().all()
    record_returned(session, statement.table, rows)
    return rows
