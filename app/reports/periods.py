"""Reporting periods: a calendar month, quarter or year in UTC (`YYYY-MM`, `YYYY-Qn`, `YYYY`).

Every answer about a period of year Y is read from one table of the whole year (months, their quarters and
the year, see suppression.py), so a period is reported only once its year has ended: a year still running
would change that table, and with it what is suppressed, as data arrives, and two requests at different
times could then be set against each other. Counts are taken as recorded by the end of the year (the
cutoff), so later work on a case does not move a closed year's numbers either."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from app.core.errors import Conflict, Invalid

MONTHS = 12
QUARTERS = 4
# Nodes of a year's table: 0 is the year, 1..4 the quarters, 5..16 the months.
YEAR_NODE = 0
NODES = 1 + QUARTERS + MONTHS
PATTERN = re.compile(r"(?P<year>[0-9]{4})(?:-(?:(?P<month>[0-9]{2})|Q(?P<quarter>[0-9])))?")
FORMAT = "YYYY (a year), YYYY-Qn (a quarter, n from 1 to 4) or YYYY-MM (a month), calendar periods in UTC"


def quarter_node(q: int) -> int:
    return 1 + q


def month_node(m: int) -> int:
    return 1 + QUARTERS + m


def node_months(node: int) -> range:
    """The months (0..11) a node adds up."""
    if node == YEAR_NODE:
        return range(MONTHS)
    if node <= QUARTERS:
        return range(3 * (node - 1), 3 * node)
    m = node - 1 - QUARTERS
    return range(m, m + 1)


def _month_start(year: int, month: int) -> datetime:
    """The start of month `month` (0-based, may be 12) of `year`, in UTC."""
    return datetime(year + month // MONTHS, month % MONTHS + 1, 1, tzinfo=UTC)


def month_index(value: datetime, year: int) -> int:
    """The month (0..11) of `year` that a timestamp (UTC, or naive UTC as SQLite returns it) falls in; the
    Python twin of `month_of` for rows already limited to that year."""
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return min(max((value.year - year) * MONTHS + value.month - 1, 0), MONTHS - 1)


@dataclass(frozen=True)
class Period:
    year: int
    node: int

    @property
    def months(self) -> range:
        return node_months(self.node)

    @property
    def start(self) -> datetime:
        return _month_start(self.year, self.months.start)

    @property
    def end(self) -> datetime:
        return _month_start(self.year, self.months.stop)

    @property
    def year_start(self) -> datetime:
        return _month_start(self.year, 0)

    @property
    def cutoff(self) -> datetime:
        """The end of the period's year: counts are as recorded by then."""
        return _month_start(self.year, MONTHS)

    def __str__(self) -> str:
        if self.node == YEAR_NODE:
            return f"{self.year:04d}"
        if self.node <= QUARTERS:
            return f"{self.year:04d}-Q{self.node}"
        return f"{self.year:04d}-{self.months.start + 1:02d}"


def parse_period(text: str) -> Period:
    """A period from its text; 422 naming `period` when it is not one."""
    match = PATTERN.fullmatch(text.strip())
    if match is None:
        raise Invalid(f"`period` must be {FORMAT}.", loc=["query", "period"])
    year = int(match["year"])
    if not 1 <= year <= 9998:
        raise Invalid("`period` names a year out of range.", loc=["query", "period"])
    if match["month"] is not None:
        month = int(match["month"])
        if not 1 <= month <= MONTHS:
            raise Invalid("`period` names a month that does not exist (01 to 12).", loc=["query", "period"])
        return Period(year, month_node(month - 1))
    if match["quarter"] is not None:
        quarter = int(match["quarter"])
        if not 1 <= quarter <= QUARTERS:
            raise Invalid("`period` names a quarter that does not exist (Q1 to Q4).", loc=["query", "period"])
        return Period(year, quarter_node(quarter - 1))
    return Period(year, YEAR_NODE)


def default_period(now: datetime) -> Period:
    """The last calendar year that has ended."""
    return Period(now.astimezone(UTC).year - 1, YEAR_NODE)


def reportable(period: Period, now: datetime) -> Period:
    """The period itself when its year has ended; 409 otherwise (its numbers would still change)."""
    if now < period.cutoff:
        raise Conflict(
            f"Reports on {period} are available from {period.cutoff.date().isoformat()}: a period is reported "
            "once the calendar year that holds it has ended (UTC), so that its numbers no longer change.",
            title="Period not closed")
    return period


def refuse_window(**given: Any) -> None:
    """A free window (`from`, `to`) is no longer taken: 422 naming each one given."""
    names = [name for name, value in given.items() if value is not None]
    if names:
        raise Invalid(
            "Reports cover calendar periods only; use `period` (" + FORMAT + ") instead of "
            + " and ".join(f"`{n}`" for n in names) + ".",
            errors=[{"loc": ["query", n], "msg": "not accepted; use period", "type": "value_error"}
                    for n in names])


def month_of(column: sa.SQLColumnExpression[datetime | None], year: int) -> sa.ColumnElement[int]:
    """SQL: the month (0..11) of the year `year` that a timestamp column falls in (rows are already limited
    to that year); portable, compares against bound UTC timestamps."""
    return sa.case(*[(column < _month_start(year, m + 1), m) for m in range(MONTHS - 1)], else_=MONTHS - 1)
