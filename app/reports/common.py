"""What both reports share: monthly counting, JSON-array helpers that work on SQLite and PostgreSQL, and the
category lists that give every report the same rows whatever the data."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from app.cases.models import Person
from app.cases.schemas import RaceEthnicity
from app.reports.periods import MONTHS, Period

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


def monthly(columns: Sequence[str], found: Iterable[Sequence[Any]], groups: Iterable[str],
            label: Callable[[Any], str | None] | None = None) -> dict[str, dict[str, list[int]]]:
    """group -> column -> twelve monthly counts, from rows (group key, month 0..11, *counts); `label` maps a
    group key to its label (keys it maps to None are dropped)."""
    out = {g: {c: [0] * MONTHS for c in columns} for g in groups}
    for key, month, *values in found:
        group = label(key) if label is not None else key
        if group not in out:
            continue
        for c, v in zip(columns, values, strict=True):
            out[group][c][int(month)] += int(v or 0)
    return out


def before(column: sa.SQLColumnExpression[datetime | None], cutoff: datetime) -> sa.ColumnElement[bool]:
    """SQL: the timestamp is set and earlier than the cutoff (never NULL, so it can be negated)."""
    return sa.and_(column.is_not(None), column < cutoff)


def recorded_before(value: datetime | None, cutoff: datetime) -> bool:
    return value is not None and _utc(value) < cutoff


def count_if(condition: sa.ColumnExpressionArgument[bool]) -> sa.ColumnElement[int]:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


def json_values(session: AsyncSession, column: sa.SQLColumnExpression[Any]) -> sa.TableValuedAlias:
    """A table of the text values of a JSON array column, one row each, with the column `value`."""
    bind = session.bind
    if bind is not None and bind.dialect.name == "postgresql":
        return sa.func.json_array_elements_text(column).table_valued("value").render_derived()
    return sa.func.json_each(column).table_valued("value")


def json_contains(session: AsyncSession, column: sa.SQLColumnExpression[Any], value: str) -> sa.ColumnElement[bool]:
    """SQL condition: the JSON array in `column` holds the string `value`."""
    values = json_values(session, column)
    return sa.exists().select_from(values).where(values.c.value == value)


def json_empty(column: sa.SQLColumnExpression[Any]) -> sa.ColumnElement[bool]:
    return sa.func.json_array_length(column) == 0


def office_labels(offices: Iterable[Row[uuid.UUID, str]], reserved: tuple[str, ...]) -> dict[uuid.UUID, str]:
    """Office id -> the name it is reported under (a repeated or reserved name gets a number; ids never
    appear in a report)."""
    labels: dict[uuid.UUID, str] = {}
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


def person_categories(session: AsyncSession, roles: tuple[str, ...], period: Period) -> sa.Subquery:
    """(person_id, case_id, category) for the people in `roles` recorded by the end of the period's year,
    one row per category they report."""
    values = json_values(session, Person.race_ethnicity)
    scope = [Person.case_role.in_(roles), Person.created_at < period.cutoff]
    listed = (sa.select(Person.id.label("person_id"), Person.case_id.label("case_id"),
                        values.c.value.label("category"))
              .select_from(Person).join(values, sa.true()).where(*scope))
    unlisted = (sa.select(Person.id.label("person_id"), Person.case_id.label("case_id"),
                          sa.literal(NOT_RECORDED).label("category"))
                .where(*scope, json_empty(Person.race_ethnicity)))
    return sa.union(listed, unlisted).subquery("person_categories")
