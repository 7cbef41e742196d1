"""SQL constructs the domains share in statements built once."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.visitors import InternalTraversal


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
