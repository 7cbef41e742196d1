"""The SQL statements the database receives while a block runs, as the engine sends them (one per cursor
execute): what the statement-count tests count and inspect."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from app.core.db import get_engine


class Seen(list[str]):
    """The statements sent, in order; `rewritten`: those whose text SQLAlchemy rewrote for this execution (an
    expanding IN, a literal rendered at execution), which a statement built once should not need."""

    def __init__(self) -> None:
        super().__init__()
        self.rewritten: list[str] = []


@contextmanager
def statements() -> Iterator[Seen]:
    seen = Seen()

    def keep(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        seen.append(statement)
        compiled = getattr(context, "compiled", None)
        if compiled is not None and "POSTCOMPILE" in compiled.string:
            seen.rewritten.append(statement)

    engine = get_engine().sync_engine
    event.listen(engine, "before_cursor_execute", keep)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", keep)
