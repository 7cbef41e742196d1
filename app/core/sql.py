"""SQL constructs the domains share in statements built once, and the way the hottest of them run."""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import asyncpg as _asyncpg  # noqa: F401 - the dialect `Prebuilt` checks against
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import SelectBase
from sqlalchemy.sql.visitors import InternalTraversal
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

    def arguments(self, params: Mapping[str, Any]) -> list[Any]:
        out = []
        for name, default, process in self.args:
            value = params.get(name, default)
            if value is _MISSING:
                raise KeyError(f"statement parameter {name!r} is not given")
            out.append(process(value) if process is not None and value is not None else value)
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
    return _Plan(compiled.string, tuple(args), row, results)


class Prebuilt:
    """A statement on a hot path, built once with bind parameters and run on PostgreSQL straight on the
    driver connection of the session's transaction, with its compiled text and its parameters' and columns'
    conversions worked out once: the ORM session, the statement cache and the result machinery each cost
    more per request than the driver's own execution. Elsewhere (SQLite) it runs through the session as any
    statement does.

    It is the same statement, in the same transaction, begun as SQLAlchemy begins it; the engine's
    `before_cursor_execute` listeners still see it (the statement counts), a write still marks the session as
    having written (`end_reads`), and a database error is raised as SQLAlchemy raises it (a lost connection
    invalidates the pool, and is answered 503)."""

    def __init__(self, statement: sa.Executable) -> None:
        self.statement = statement
        self._plans: dict[str, _Plan] = {}
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
        plan = self._plan_for(sync.dialect)
        return plan.rows(await _on_driver(sync, plan, params, async_caller=True))

    async def run(self, session: AsyncSession, params: Mapping[str, Any]) -> None:
        """Run a write that returns nothing."""
        session.info["wrote"] = True
        conn = await session.connection()
        sync = conn.sync_connection
        assert sync is not None
        if sync.dialect.driver != "asyncpg":
            await session.execute(self.statement, params)
            return
        await _on_driver(sync, self._plan_for(sync.dialect), params, async_caller=True)

    def rows_in(self, conn: sa.Connection, params: Mapping[str, Any]) -> list[Any]:
        """`rows` from synchronous code running in the session's greenlet (a flush or commit hook)."""
        if conn.dialect.driver != "asyncpg":
            return list(conn.execute(self.statement, params).all())
        plan = self._plan_for(conn.dialect)
        return plan.rows(await_only(_on_driver(conn, plan, params, async_caller=False)))


async def _on_driver(sync: sa.Connection, plan: _Plan, params: Mapping[str, Any], *, async_caller: bool) -> Any:
    """Run `plan` on the asyncpg connection under `sync`, in its transaction (begun here if the session's
    has not sent its BEGIN yet, as the dialect's cursor would), through the dialect's prepared-statement
    cache; returns asyncpg's records."""
    args = plan.arguments(params)
    if sync._has_events or sync.engine._has_events:
        sync.dispatch.before_cursor_execute(sync, None, plan.sql, args, None, False)
    adapted: Any = sync.connection.dbapi_connection
    try:
        async with adapted._execute_mutex:
            if adapted._transaction is None:
                await adapted._start_transaction()
            dialect: Any = sync.dialect
            prepared, _ = await adapted._prepare(plan.sql, dialect._invalidate_schema_cache_asof)
            return await prepared.fetch(*args)
    except Exception as error:
        if async_caller:
            await greenlet_spawn(_raise_as_sqlalchemy, sync, adapted, error, plan.sql, args)
        _raise_as_sqlalchemy(sync, adapted, error, plan.sql, args)
        raise  # unreachable: the above raises


def _raise_as_sqlalchemy(sync: sa.Connection, adapted: Any, error: Exception, sql: str, args: list[Any]) -> None:
    """Raise `error` as SQLAlchemy would have from the same statement: the driver's error translated to the
    DBAPI's, then wrapped (IntegrityError, OperationalError, ...) with the connection invalidated when lost."""
    try:
        adapted._handle_exception(error)
    except Exception as translated:
        sync._handle_dbapi_exception(translated, sql, args, None, None)
