"""What the tests of the statement sources check on PostgreSQL: a disclosure reads a source's table in the one
statement (`app.core.sql.rows_together`) that carries every category source's select, not in one of its own."""

from __future__ import annotations

import re

# The statement `rows_together` sends: each select's rows as one JSON array column.
TOGETHER = "SELECT (SELECT coalesce(json_agg("


def mentioning(seen: list[str], table: str) -> list[str]:
    """The statements sent that name `table`."""
    word = re.compile(rf"\b{re.escape(table)}\b")
    return [s for s in seen if word.search(s)]


def assert_read_together(seen: list[str], table: str, *others: str) -> None:
    """Exactly one statement names `table`: the one reading every category source together, which also names
    each of `others` (the tables of the request's other statement sources)."""
    reads = mentioning(seen, table)
    assert len(reads) == 1, reads
    (read,) = reads
    assert read.startswith(TOGETHER), read
    for other in others:
        assert mentioning([read], other), (other, read)
