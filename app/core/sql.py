"""SQL constructs the domains share in statements built once, and the way the hottest of them run."""

from __future__ import annotations

import re
import uuid
from collections import namedtuple
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import asyncpg as _asyncpg  # noqa: F401 - the dialect `Prebuilt` checks against
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import SelectBase
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import TypeDecorator
from sqlalchemy.util import await_only, greenlet_spawn


class AnyOf(sa.ColumnElement[bool]):
    """`column` is one of the values of the list bound as `name`.

    On PostgreSQL `column = ANY(:name)` with the list bound as one array: the statement's text is the same
    whatever the list's length, so it is compiled once and prepared once. Elsewhere an expanding `IN`, whose
    text (rewritten for each execution) depends on the length. `sa.column.in_(list)` is always the latter: on
    a statement built once and run on every request, that rewrite (a regular-expression pass over the whole
    text) and the new text's prepared statement cost more than the query's other work."""

    __visit_name__ = "tandem_any_of"
    inherit_cache = True
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement),
                           ("name", InternalTraversal.dp_string)]

    def __init__(self, column: sa.ColumnElement[Any], name: str) -> None:
        self.column = column
        self.name = name
        self.type = sa.Boolean()


@compiles(AnyOf)
def _expanding_in(element: AnyOf, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.column.in_(sa.bindparam(element.name, expanding=True)), **kw)


@compiles(AnyOf, "postgresql")
def _any_array(element: AnyOf, compiler: SQLCompiler, **kw: Any) -> str:
    array = sa.bindparam(element.name, type_=postgresql.ARRAY(element.column.type))
    return compiler.process(element.column == sa.any_(array), **kw)


def any_of(column: Any, name: str) -> AnyOf:
    return AnyOf(column, name)


class JsonRows(FunctionElement[Any]):
    """An aggregate: the rows it runs over as one JSON array, each row a JSON array of the given columns, in
    order (`json_agg(json_build_array(...))` on PostgreSQL, `json_group_array(json_array(...))` on SQLite), e.g.
    a record's child rows carried as one column of the record's row. Over no rows it is null on PostgreSQL and
    an empty array on SQLite. The rows come in no set order: carry a column to sort them by when read."""

    type = sa.JSON()
    inherit_cache = True
    name = "tandem_json_rows"


@compiles(JsonRows)
def _json_agg(element: JsonRows, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json_agg(json_build_array({compiler.process(element.clauses, **kw)}))"


@compiles(JsonRows, "sqlite")
def _json_group_array(element: JsonRows, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json_group_array(json_array({compiler.process(element.clauses, **kw)}))"


# ------------------------------------------------------------------ statements run on the driver

_MISSING: Any = object()


@dataclass(frozen=True)
class _Plan:
    """A statement compiled for one dialect: its text, how each positional argument is made from the
    parameters (name, default, bind processor), and how each result column is read (its processor)."""

    sql: str
    args: tuple[tuple[str, Any, Callable[[Any], Any] | None], ...]
    row: Any  # the named-tuple class of a select's rows (None for a write)
    results: tuple[Callable[[Any], Any] | None, ...]
    from_json: tuple[Callable[[Any], Any] | None, ...] = ()  # each column's value as PostgreSQL's JSON renders it

    def arguments(self, params: Mapping[str, Any]) -> list[Any]:
        out = []
        for name, default, process in self.args:
            value = params.get(name, default)
            if value is _MISSING:
                raise KeyError(f"statement parameter {name!r} is not given")
            out.append(process(value) if process is not None and value is not None else value)
        return out

    def json_rows(self, rows: list[list[Any]]) -> list[Any]:
        """The rows of the select from the JSON array `rows_together` carried them in."""
        readers = [(j, p) for j, p in zip(self.from_json, self.results, strict=True)]
        out = []
        for row in rows:
            values = []
            for v, (j, p) in zip(row, readers, strict=True):
                if v is not None:
                    if j is not None:
                        v = j(v)
                    if p is not None:
                        v = p(v)
                values.append(v)
            out.append(self.row._make(values))
        return out

    def rows(self, records: Iterable[Any]) -> list[Any]:
        assert self.row is not None
        make = self.row._make
        if not any(self.results):
            return [make(r) for r in records]
        procs = self.results
        return [make([v if p is None or v is None else p(v) for v, p in zip(r, procs, strict=True)])
                for r in records]


def _plan(statement: Any, dialect: Any) -> _Plan:
    compiled: Any = statement.compile(dialect=dialect)
    if compiled.positiontup is None or compiled.post_compile_params or compiled.literal_execute_params \
            or compiled.insert_prefetch or compiled.update_prefetch or compiled.escaped_bind_names:
        raise ValueError("a statement run on the driver binds every value by position, with nothing computed "
                         "at execution (expanding lists, Python-side defaults)")
    processors = compiled._bind_processors
    args = []
    for name in compiled.positiontup:
        bind = compiled.binds[name]
        default = _MISSING if bind.required or bind.callable is not None else bind.value
        args.append((name, default, processors.get(name)))
    row: Any = None
    results: tuple[Callable[[Any], Any] | None, ...] = ()
    if isinstance(statement, SelectBase):
        keys = list(statement.selected_columns.keys())
        if len(set(keys)) != len(keys):
            raise ValueError("the columns of a statement run on the driver are named apart")
        row = namedtuple("Row", keys)  # type: ignore[misc,no-redef]  # noqa: PYI024 - the names are known here only
        results = tuple(c.type._cached_result_processor(dialect, None) for c in compiled._result_columns)
        if len(results) != len(keys):
            raise ValueError("every selected column is one result column")
        return _Plan(compiled.string, tuple(args), row, results,
                     tuple(json_reader(c.type) for c in compiled._result_columns))
    return _Plan(compiled.string, tuple(args), row, results)


def json_reader(type_: Any) -> Callable[[Any], Any] | None:
    """How a value of a column of `type_`, as PostgreSQL renders it in JSON (a uuid, a time stamp or a date as
    a string), is read back as the driver would have returned it (None: as it is)."""
    base = type_.impl_instance if isinstance(type_, TypeDecorator) else type_
    if isinstance(base, sa.Uuid):
        return uuid.UUID
    if isinstance(base, sa.DateTime):
        return datetime.fromisoformat
    if isinstance(base, sa.Date):
        return date.fromisoformat
    if isinstance(base, sa.LargeBinary):
        return lambda v: bytes.fromhex(v[2:])  # "\\x..."
    if isinstance(base, sa.Numeric | sa.Interval | sa.Time):
        return _NOT_IN_JSON
    return None


def _NOT_IN_JSON(value: Any) -> Any:  # noqa: N802 - a marker as much as a function
    raise ValueError("a column of this type is not read back from JSON")


class Prebuilt:
    """A statement on a hot path, built once with bind parameters and run on PostgreSQL straight on the
    driver connection of the session's transaction, with its compiled text and its parameters' and columns'
    conversions worked out once: the ORM session, the statement cache and the result machinery each cost
    more per request than the driver's own execution. Elsewhere (SQLite) it runs through the session as any
    statement does.

    It is the same statement on the session's connection; the engine's `before_cursor_execute` listeners
    still see it (the statement counts), a write still marks the session as having written (`end_reads`), and
    a database error is raised as SQLAlchemy raises it (a lost connection invalidates the pool, and is
    answered 503). Two round trips are saved on PostgreSQL:

    - A plain select (no FOR UPDATE) sent before the transaction has written anything does not open it: under
      READ COMMITTED every statement reads its own snapshot whether or not a BEGIN came first, and a read
      holds no lock worth keeping. The first write (or any statement through the session) sends the BEGIN,
      so every write of a request stays in one transaction. A request that only reads through here, and
      whose one write is the commit's (`deferred` below), sends neither BEGIN nor COMMIT.
    - `defer` holds a write that nothing in the request reads back (an accounting row) until the next
      statement, or until the commit, where the audit append sends it in the same statement
      (`rows_in(..., first=deferred, last=True)`)."""

    def __init__(self, statement: sa.Executable) -> None:
        self.statement = statement
        self._plans: dict[str, _Plan] = {}
        self.reads = isinstance(statement, sa.Select) and statement._for_update_arg is None
        _plan(statement, postgresql.asyncpg.dialect())  # checked when built, not at the first request

    def _plan_for(self, dialect: Any) -> _Plan:
        plan = self._plans.get(dialect.name)
        if plan is None:
            plan = self._plans[dialect.name] = _plan(self.statement, dialect)
        return plan

    async def rows(self, session: AsyncSession, params: Mapping[str, Any]) -> list[Any]:
        """The rows (named tuples, as a Core select's rows read) the select returns."""
        conn = await session.connection()
        sync = conn.sync_connection
        assert sync is not None
        if sync.dialect.driver != "asyncpg":
            return list((await session.execute(self.statement, params)).all())
        if _DEFERRED in session.info:
            await greenlet_spawn(send_deferred, session.sync_session, sync)
        plan = self._plan_for(sync.dialect)
        records = await _on_driver(sync, plan.sql, plan.arguments(params), begin=not self.reads, async_caller=True)
        return plan.rows(records)

    async def run(self, session: AsyncSession, params: Mapping[str, Any]) -> None:
        """Run a write that returns nothing, now."""
        session.info["wrote"] = True
        conn = await session.connection()
        sync = conn.sync_connection
        assert sync is not None
        if sync.dialect.driver != "asyncpg":
            await session.execute(self.statement, params)
            return
        if _DEFERRED in session.info:
            await greenlet_spawn(send_deferred, session.sync_session, sync)
        plan = self._plan_for(sync.dialect)
        await _on_driver(sync, plan.sql, plan.arguments(params), begin=True, async_caller=True)

    async def defer(self, session: AsyncSession, params: Mapping[str, Any]) -> None:
        """A write that nothing in the request reads back: on PostgreSQL it is sent with the transaction's next
        statement, or with the audit append at the commit, and dropped if the transaction rolls back; it is
        sent at once inside a savepoint, and elsewhere (SQLite)."""
        session.info["wrote"] = True
        conn = await session.connection()
        sync = conn.sync_connection
        assert sync is not None
        if sync.dialect.driver != "asyncpg" or session.in_nested_transaction():
            await self.run(session, params)
            return
        session.info.setdefault(_DEFERRED, []).append((self, dict(params)))

    def from_json(self, rows: list[list[Any]]) -> list[Any]:
        """The select's rows from a JSON array of them that another statement carried (PostgreSQL renders each
        row as `json_build_array` of the select's columns, in order): as `rows` would have returned them."""
        plan = self._plans.get("postgresql") or self._plan_for(postgresql.asyncpg.dialect())
        return plan.json_rows(rows)

    def rows_in(self, conn: sa.Connection, params: Mapping[str, Any], *,
                first: list[tuple[Prebuilt, dict[str, Any]]] | None = None, last: bool = False) -> list[Any]:
        """`rows` from synchronous code running in the session's greenlet (a flush or commit hook). `first`:
        deferred writes (`take_deferred`) sent in the same statement, ahead of this one. `last`: nothing
        follows in the transaction (the commit's statement), so it opens none: on its own it is atomic."""
        if conn.dialect.driver != "asyncpg":
            if first:
                raise RuntimeError("writes are deferred on PostgreSQL only")
            return list(conn.execute(self.statement, params).all())
        plan = self._plan_for(conn.dialect)
        if not first:
            sql, args = plan.sql, plan.arguments(params)
        else:
            plans = [w._plan_for(conn.dialect) for w, _ in first]
            sql = _combined([*plans, plan])
            args = [a for p, (_, ps) in zip(plans, first, strict=True) for a in p.arguments(ps)]
            args += plan.arguments(params)
        begin = not last and not (self.reads and not first)
        return plan.rows(await_only(_on_driver(conn, sql, args, begin=begin, async_caller=False)))


_DEFERRED = "tandem_deferred_writes"  # session.info: the writes `Prebuilt.defer` holds, in order
_COMBINED: dict[tuple[str, ...], str] = {}
_POSITION = re.compile(r"\$(\d+)")


def _combined(plans: list[_Plan]) -> str:
    """One statement running every plan but the last as a data-modifying WITH query, then the last: the
    positional parameters numbered on from one part to the next."""
    key = tuple(p.sql for p in plans)
    sql = _COMBINED.get(key)
    if sql is None:
        parts, offset = [], 0
        for p in plans:
            if "'" in p.sql or p.sql.lstrip()[:4].upper() == "WITH":
                raise ValueError("only statements without literals or WITH queries of their own are combined")
            parts.append(_POSITION.sub(_shift(offset), p.sql))
            offset += len(p.args)
        sql = _COMBINED[key] = "WITH " + ", ".join(f"deferred_{i} AS ({q})" for i, q in enumerate(parts[:-1])) \
            + " " + parts[-1]
    return sql


async def rows_together(session: AsyncSession, parts: list[tuple[Prebuilt, Mapping[str, Any]]]) -> list[list[Any]]:
    """The rows of several selects (`Prebuilt`, each with its parameters), in one round trip on PostgreSQL: one
    statement whose every column is one select's rows as a JSON array (read back with the columns' types, as
    the select alone would have returned them; a sorted select's order is kept). Elsewhere, one by one."""
    if len(parts) < 2:
        return [await p.rows(session, params) for p, params in parts]
    conn = await session.connection()
    sync = conn.sync_connection
    assert sync is not None
    if sync.dialect.driver != "asyncpg":
        return [await p.rows(session, params) for p, params in parts]
    if _DEFERRED in session.info:
        await greenlet_spawn(send_deferred, session.sync_session, sync)
    plans = [p._plan_for(sync.dialect) for p, _ in parts]
    args = [a for plan, (_, params) in zip(plans, parts, strict=True) for a in plan.arguments(params)]
    (record,) = await _on_driver(sync, _together(plans), args, begin=not all(p.reads for p, _ in parts),
                                 async_caller=True)
    return [plan.json_rows(record[i]) for i, plan in enumerate(plans)]


_TOGETHER: dict[tuple[str, ...], str] = {}


def _together(plans: list[_Plan]) -> str:
    key = tuple(p.sql for p in plans)
    sql = _TOGETHER.get(key)
    if sql is None:
        columns, offset = [], 0
        for i, p in enumerate(plans):
            if "'" in p.sql or p.row is None or _NOT_IN_JSON in p.from_json:
                raise ValueError("only selects without literals, of columns JSON renders faithfully, are read "
                                 "together")
            fields = ", ".join(f'part_{i}."{k}"' for k in p.row._fields)
            columns.append(f"(SELECT coalesce(json_agg(json_build_array({fields})), '[]'::json) "
                           f"FROM ({_POSITION.sub(_shift(offset), p.sql)}) AS part_{i}) AS rows_{i}")
            offset += len(p.args)
        sql = _TOGETHER[key] = "SELECT " + ", ".join(columns)
    return sql


def _shift(offset: int) -> Callable[[re.Match[str]], str]:
    return lambda m: f"${int(m.group(1)) + offset}"


def take_deferred(session: Session) -> list[tuple[Prebuilt, dict[str, Any]]]:
    """The writes `defer` holds, handed to the caller to send (the audit append at commit)."""
    return session.info.pop(_DEFERRED, None) or []


def send_deferred(session: Session, conn: sa.Connection | None = None, *, last: bool = False) -> None:
    """Send the writes `defer` holds, in order (before any other statement of the session, so that what it
    sends can refer to them)."""
    pending = take_deferred(session)
    if not pending:
        return
    conn = conn or session.connection()
    alone = last and len(pending) == 1  # the transaction's one statement needs no transaction of its own
    for write, params in pending:
        plan = write._plan_for(conn.dialect)
        await_only(_on_driver(conn, plan.sql, plan.arguments(params), begin=not alone, async_caller=False))


@event.listens_for(Session, "before_flush")
def _send_before_flush(session: Session, *_: Any) -> None:
    if _DEFERRED in session.info and (session.new or session.dirty or session.deleted):
        send_deferred(session)


@event.listens_for(Session, "do_orm_execute")
def _send_before_statement(state: ORMExecuteState) -> None:
    if _DEFERRED in state.session.info:
        send_deferred(state.session)


@event.listens_for(Session, "after_transaction_create")
def _send_before_savepoint(session: Session, transaction: SessionTransaction) -> None:
    if transaction.nested and _DEFERRED in session.info:
        send_deferred(session)


@event.listens_for(Session, "after_transaction_end")
def _drop_with_transaction(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_DEFERRED, None)


async def _on_driver(sync: sa.Connection, sql: str, args: list[Any], *, begin: bool, async_caller: bool) -> Any:
    """Run `sql` on the asyncpg connection under `sync` through the dialect's prepared-statement cache, in
    the connection's transaction: begun here first (as the dialect's cursor would) when `begin` and none is
    open; returns asyncpg's records."""
    if sync._has_events or sync.engine._has_events:
        sync.dispatch.before_cursor_execute(sync, None, sql, args, None, False)
    adapted: Any = sync.connection.dbapi_connection
    try:
        async with adapted._execute_mutex:
            if begin and adapted._transaction is None:
                await adapted._start_transaction()
            dialect: Any = sync.dialect
            prepared, _ = await adapted._prepare(sql, dialect._invalidate_schema_cache_asof)
            return await prepared.fetch(*args)
    except Exception as error:
        if async_caller:
            await greenlet_spawn(_raise_as_sqlalchemy, sync, adapted, error, sql, args)
        _raise_as_sqlalchemy(sync, adapted, error, sql, args)
        raise  # unreachable: the above raises


def _raise_as_sqlalchemy(sync: sa.Connection, adapted: Any, error: Exception, sql: str, args: list[Any]) -> None:
    """Raise `error` as SQLAlchemy would have from the same statement: the driver's error translated to the
    DBAPI's, then wrapped (IntegrityError, OperationalError, ...) with the connection invalidated when lost."""
    try:
        adapted._handle_exception(error)
    except Exception as translated:
        sync._handle_dbapi_exception(translated, sql, args, None, None)
