"""What both reports share: the reporting window, JSON-array helpers that work on SQLite and PostgreSQL,
and the category lists that give every report the same rows whatever the data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.cases.schemas import RaceEthnicity
from app.core.clock import utcnow
from app.core.errors import Invalid

DEFAULT_DAYS = 365
NOT_RECORDED = "not_recorded"
RACE_GROUPS = [r.value for r in RaceEthnicity] + [NOT_RECORDED]
# People whose race/ethnicity the reports break down by: the survivor and the children (never the person
# using violence, whose categories would otherwise be attributed to the family's decisions).
RACE_ROLES = ("adult_survivor", "child")
RACE_NOTE = (
    "A person may report several race/ethnicity categories and is counted in each of them, so the rows add up "
    "to more than the total. 'not_recorded' counts people with no category recorded; 'declined' those who "
    "declined to answer."
)


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def window(start: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
    """[from, to): `to` defaults to now, `from` to 365 days before `to`. Naive values are UTC."""
    try:
        end = _utc(end) if end is not None else utcnow().astimezone(UTC)
    except OverflowError:
        raise Invalid("`to` is out of range.", loc=["query", "to"])
    try:
        start = _utc(start) if start is not None else end - timedelta(days=DEFAULT_DAYS)
    except OverflowError:
        raise Invalid("`from` is out of range.", loc=["query", "from"])
    if start >= end:
        raise Invalid("`from` must be earlier than `to`.", loc=["query", "from"])
    return start, end


def json_values(session: AsyncSession, column: Any) -> Any:
    """A table of the text values of a JSON array column, one row each, with the column `value`."""
    bind = session.bind
    if bind is not None and bind.dialect.name == "postgresql":
        return sa.func.json_array_elements_text(column).table_valued("value").render_derived()
    return sa.func.json_each(column).table_valued("value")


def json_contains(session: AsyncSession, column: Any, value: str) -> Any:
    """SQL condition: the JSON array in `column` holds the string `value`."""
    values = json_values(session, column)
    return sa.exists().select_from(values).where(values.c.value == value)


def json_empty(column: Any) -> Any:
    return sa.func.json_array_length(column) == 0


def office_labels(offices: list[Any], reserved: tuple[str, ...]) -> dict[Any, str]:
    """Office id -> the name it is reported under (a repeated or reserved name gets a number; ids never
    appear in a report)."""
    labels: dict[Any, str] = {}
    for office_id, name in offices:
        label, n = name, 2
        while label in labels.values() or label in reserved:
            label, n = f"{name} ({n})", n + 1
        labels[office_id] = label
    return labels


def hours(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return (_utc(end) - _utc(start)).total_seconds() / 3600
