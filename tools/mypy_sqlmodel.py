"""A mypy plugin: a SQLModel table's field read on the class is a column, not a value.

SQLModel annotates `Case.agency_id` as `uuid.UUID`, which is what an instance holds; on the class, SQLAlchemy
instruments the field, so `Case.agency_id == x` builds a SQL clause and `Case.closed_at.is_(None)` exists. mypy
sees neither (it types the comparison as `bool`). This plugin types a field read on a SQLModel class as
`InstrumentedAttribute[T]` (what SQLAlchemy's `Mapped[T]` gives on the class), so queries are checked instead
of excused. Instances are untouched. Fields are the ones the pydantic plugin found (its metadata survives
mypy's cache); ClassVars, methods and properties are not fields.
"""

from __future__ import annotations

from collections.abc import Callable

from mypy.nodes import MypyFile, TypeInfo, Var
from mypy.plugin import AttributeContext, Plugin
from mypy.types import Instance, Type

SQLMODEL = "sqlmodel.main.SQLModel"
PYDANTIC_METADATA = "pydantic-mypy-metadata"
COLUMN = "sqlalchemy.orm.attributes.InstrumentedAttribute"


class SQLModelColumns(Plugin):
    def get_additional_deps(self, file: MypyFile) -> list[tuple[int, str, int]]:
        # The column type must be loaded wherever a field may be read on a class.
        return [(10, COLUMN.rpartition(".")[0], -1)]

    def get_class_attribute_hook(self, fullname: str) -> Callable[[AttributeContext], Type] | None:
        class_name, _, attr = fullname.rpartition(".")
        sym = self.lookup_fully_qualified(class_name)
        if sym is None or not isinstance(sym.node, TypeInfo):
            return None
        info = sym.node
        if info.fullname == SQLMODEL or not info.has_base(SQLMODEL):
            return None
        node = info.get(attr)
        if node is None or not isinstance(node.node, Var) or node.node.is_classvar:
            return None
        fields = info.metadata.get(PYDANTIC_METADATA, {}).get("fields", {})
        if attr not in fields:
            return None
        column = self.lookup_fully_qualified(COLUMN)
        if column is None or not isinstance(column.node, TypeInfo):
            return None
        column_info = column.node

        def as_column(ctx: AttributeContext) -> Type:
            return Instance(column_info, [ctx.default_attr_type])

        return as_column


def plugin(version: str) -> type[Plugin]:
    return SQLModelColumns
