"""Rows that reconcile with the audit chain: each write of an audited row leaves its digest there.

A model opts in with ONE line in its class body: ``__audited__ = True`` (its table must have an
``id`` primary key and the tenant column ``community_id``). From then on every transaction that
inserts, updates or deletes such a row records ``{table: {id: digest or null}}`` in an event of
that community's chain (see app.core.audit.log_event): the digest of the row's canonical content
as it stands at the end of the transaction, or null for a row deleted. Verification
(app.core.reconcile) recomputes every row's digest and compares it with the newest one its
chain recorded.

The rows are collected here, without the operations saying anything:
- ORM unit-of-work changes (``session.add``, attribute changes, ``session.delete``, cascades),
  as each flush writes them (mapper events);
- ORM-enabled statements run through the session (``session.execute(insert(Model) ...)``,
  ``update(Model)``, ``delete(Model)``, dialect upserts): a DELETE or UPDATE by criteria first
  reads the ids it will touch; an INSERT returns its rows (RETURNING is added when the statement
  has none), so an insert needs no extra statement to be read back.
A write that bypasses the session (``connection.execute``, raw SQL) is not seen: that is exactly
what verification reports, so application code must not write audited tables that way, except
through ``record_returned``: a hot path (the online ballot) that writes in plain statements
hands over the full rows its statements RETURNED, so the digests are of what is stored.
"""

import hashlib
import json
from datetime import UTC, date

from sqlalchemy import Boolean, Date, DateTime, Integer, LargeBinary, event, select
from sqlalchemy.orm import Session, attributes, object_session

from app.extensions import db

PENDING = "coplan_ledger_pending"
# Ids per statement when reading rows back.
_CHUNK = 500

# A pending entry is (kind, value): ("digest", (community_id, digest)) for a row a statement
# returned, ("object", instance) for an instance a statement's RETURNING loaded (so it holds
# what is stored), ("reread", community_id) for a row to read back at the end, or
# ("deleted", community_id).


def audited_models() -> dict[str, type]:
    """{table name: model} of every model with ``__audited__ = True``."""
    cached = _cache.get("models")
    if cached is None:
        cached = {
            m.class_.__table__.name: m.class_
            for m in db.Model.registry.mappers
            if m.class_.__dict__.get("__audited__", False)
        }
        _cache["models"] = cached
    return cached


_cache: dict = {}


def _normal(column, value):
    """One column value in canonical form, whichever side (ORM object or database row) it
    came from."""
    if value is None:
        return None
    kind = column.type
    if isinstance(kind, Boolean):
        return bool(value)
    if isinstance(kind, Integer):
        return int(value)
    if isinstance(kind, DateTime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.isoformat(timespec="microseconds")
    if isinstance(kind, Date):
        return value.isoformat() if isinstance(value, date) else str(value)
    if isinstance(kind, LargeBinary):
        return hashlib.sha256(bytes(value)).hexdigest()
    return str(value)


def _columns(table):
    key = ("columns", table.name)
    cols = _cache.get(key)
    if cols is None:
        cols = _cache[key] = sorted(table.columns, key=lambda c: c.name)
    return cols


def row_digest(table, values) -> str:
    """The digest of one row: SHA-256 (first 128 bits, hex) of its table name and every
    column's canonical value, by column name. `values` maps column names to values."""
    body = [table.name] + [[c.name, _normal(c, values[c.name])] for c in _columns(table)]
    text = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _object_values(obj) -> dict | None:
    """Column values of a loaded instance, or None when one is not loaded (read it back)."""
    mapper = attributes.instance_state(obj).mapper
    state = attributes.instance_state(obj)
    values = {}
    for column in mapper.local_table.columns:
        prop = mapper.get_property_by_column(column)
        if prop.key not in state.dict:
            return None
        values[column.name] = state.dict[prop.key]
    return values


def _pending(session) -> dict:
    return session.info.setdefault(PENDING, {})


def _audited_table(obj) -> str | None:
    table = getattr(type(obj), "__table__", None)
    if table is None or not type(obj).__dict__.get("__audited__", False):
        return None
    return table.name


def _row_written(_mapper, _connection, target):
    """An audited instance inserted or updated by a flush (cascades included). Read back from
    the database before recording: the instance may not hold what was stored (a Python-side
    default or onupdate evaluated per row of a batched statement, a server default, a value the
    column type converts)."""
    if type(target).__dict__.get("__audited__", False):
        session = object_session(target)
        if session is not None:
            key = (target.__table__.name, target.id)
            _pending(session)[key] = ("reread", target.__dict__.get("community_id"))


def _row_deleted(_mapper, _connection, target):
    """An audited instance deleted by a flush (delete-orphan cascades included)."""
    if type(target).__dict__.get("__audited__", False):
        session = object_session(target)
        if session is not None:
            state = attributes.instance_state(target)
            key = (target.__table__.name, state.identity[0])
            _pending(session)[key] = ("deleted", state.dict.get("community_id"))


event.listen(db.Model, "after_insert", _row_written, propagate=True)
event.listen(db.Model, "after_update", _row_written, propagate=True)
event.listen(db.Model, "after_delete", _row_deleted, propagate=True)


@event.listens_for(Session, "do_orm_execute")
def _collect_statement(state):
    """ORM-enabled INSERT / UPDATE / DELETE statements on audited tables."""
    if not (state.is_insert or state.is_update or state.is_delete):
        return None
    statement = state.statement
    table = getattr(statement, "table", None)
    name = getattr(table, "name", None)
    if name not in audited_models():
        return None
    session = state.session
    pending = _pending(session)
    if state.is_insert:
        return _collect_insert(state, table, pending)
    params = state.parameters
    if state.is_update and isinstance(params, list) and params and "id" in params[0]:
        # Bulk UPDATE by primary key: the ids are in the parameters; read the rows back later.
        for row in params:
            pending[(name, int(row["id"]))] = ("reread", row.get("community_id"))
        return None
    criteria = statement.whereclause
    query = select(table.c.id, table.c.community_id)
    if criteria is not None:
        query = query.where(criteria)
    kind = "deleted" if state.is_delete else "reread"
    for row_id, community_id in session.execute(query, params or {}):
        pending[(name, row_id)] = (kind, community_id)
    return None


def record_returned(session, table, rows) -> None:
    """Audited rows a plain (Core) statement wrote, as its RETURNING gave them back: every
    column of the table, so each digest is of the stored row, as verification will read it."""
    if table.name not in audited_models():
        raise ValueError(f"{table.name} is not an audited table")
    pending = _pending(session)
    for row in rows:
        pending[(table.name, row["id"])] = (
            "digest",
            (row["community_id"], row_digest(table, row)),
        )


def _plain_nulls(table, params) -> bool:
    """Whether a bulk INSERT's None values may be sent as NULL: each is for a column without a
    default, so NULL is what the row gets either way.

    SQLAlchemy's ORM bulk INSERT leaves a None out of a row's parameters, groups consecutive rows
    by the keys that remain, runs a statement per group and splices the groups' returned rows
    one group at a time: quadratic in the groups (a paper import of 120,000 choices with blanks
    took minutes). With ``render_nulls`` every row keeps its keys: one group, one result.
    """
    if not isinstance(params, list) or len(params) < 2:
        return False
    nulls = {key for row in params for key, value in row.items() if value is None}
    columns = table.columns
    return all(
        key in columns and columns[key].default is None and columns[key].server_default is None
        for key in nulls
    )


def _collect_insert(state, table, pending):
    statement = state.statement
    name = table.name
    options = {"render_nulls": True} if _plain_nulls(table, state.parameters) else None
    if not statement._returning:
        statement = statement.returning(*table.columns)
        frozen = state.invoke_statement(statement=statement, execution_options=options).freeze()
        for row in frozen().mappings():
            pending[(name, row["id"])] = ("digest", (row["community_id"], row_digest(table, row)))
        return frozen()  # the statement ran: hand back its result (with the rows it returned)
    frozen = state.invoke_statement(execution_options=options).freeze()
    for row in frozen().all():
        first = row[0]
        if _audited_table(first) == name:
            pending[(name, first.id)] = ("object", first)
        elif "id" in row._fields:
            pending[(name, row.id)] = ("reread", None)
    return frozen()


def take_pending(session) -> dict[int | None, dict[str, dict[str, str | None]]]:
    """The rows written in this transaction since the last call, as
    {community_id: {table: {id (text): digest or None}}}, and forget them. Flush first."""
    pending = session.info.pop(PENDING, None)
    if not pending:
        return {}
    models = audited_models()
    out: dict = {}
    reread: dict[str, list] = {}
    for (name, row_id), (kind, value) in pending.items():
        if kind == "object":
            values = _object_values(value)
            if values is None or attributes.instance_state(value).deleted:
                reread.setdefault(name, []).append(row_id)
                continue
            community_id = values["community_id"]
            digest = row_digest(models[name].__table__, values)
        elif kind == "digest":
            community_id, digest = value
        elif kind == "deleted":
            community_id, digest = value, None
        else:
            reread.setdefault(name, []).append(row_id)
            continue
        out.setdefault(community_id, {}).setdefault(name, {})[str(row_id)] = digest
    for name, ids in reread.items():
        table = models[name].__table__
        found = set()
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            for row in session.execute(select(table).where(table.c.id.in_(chunk))).mappings():
                found.add(row["id"])
                by_table = out.setdefault(row["community_id"], {}).setdefault(name, {})
                by_table[str(row["id"])] = row_digest(table, row)
        for row_id in ids:
            if row_id not in found:  # gone again before the end of the transaction
                kind, value = pending[(name, row_id)]
                community_id = value if isinstance(value, int) else None
                out.setdefault(community_id, {}).setdefault(name, {})[str(row_id)] = None
    return out


def forget_pending(session) -> None:
    """Drop what was collected (the transaction ended)."""
    session.info.pop(PENDING, None)
