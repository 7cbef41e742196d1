"""Services on day one: how soon the families of the caller's agency's cases get a service going, from the
case's opening and from a removal, for a calendar period, by race/ethnicity and by office.

The practice this measures (seed 003): families reunify when services start within the first couple of days,
not after months. For each case opened in the period: the days from its opening to the first service started
for anyone in it (a service already running when the case opened counts as day 0); for each removal recorded
in the period: the days from the removal to the first service started on or after it. Counts are suppressed
over the period's whole year like every report (see suppression.py); medians and shares from fewer than the
threshold stay suppressed."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.cases.models import Case
from app.checklists.defaults import Juncture
from app.checklists.models import JunctureRecord
from app.core.clock import utcnow
from app.identity.models import Office
from app.reports import access
from app.reports.common import (
    NOT_RECORDED,
    RACE_GROUPS,
    RACE_NOTE,
    RACE_ROLES,
    hours,
    office_labels,
    person_categories,
)
from app.reports.periods import MONTHS, Period, default_period, month_index, reportable
from app.reports.suppression import THRESHOLD, Cell, YearCounts, rate_cell, suppress_year
from app.reports.tables import TOTAL, Durations, Extra, Table, added, new_durations, stat_cells, table_at
from app.services.models import Service
from app.trail.recorder import record

WITHIN_DAYS = 2
COUNTS = ["cases_opened", "cases_served_within_2_days", "removals", "removals_served_within_2_days"]
STATS = ["days_to_first_service_median", "share_within_2_days", "days_from_removal_to_service_median",
         "share_removals_within_2_days"]
NO_OFFICE = "no_office"
MEDIAN = (("median", 0.5),)
NOTES = [
    "Cases are the agency's cases opened in the period (UTC); removals are removal junctures recorded on the "
    "agency's cases, placed in the period by when they took place.",
    "A case is served when a service for anyone in it has started (as recorded by the end of the period's "
    "year, as_of); days run from the case's opening to the first start (a service already running then counts "
    "as day 0), and from a removal to the first service started on or after it. Within 2 days means at most "
    "48 hours. Medians are over the cases (removals) served by as_of; shares are over all of them.",
    f"Counts under {THRESHOLD} are suppressed (null, suppressed=true), and further cells are suppressed where "
    "the other periods of the year, the other rows or the total would reveal one. Medians and shares from "
    f"fewer than {THRESHOLD} items, and shares that would give a suppressed count back, are suppressed too.",
]


def _first_started(after: sa.SQLColumnExpression[datetime] | None, cutoff: datetime) -> sa.ScalarSelect[Any]:
    """SQL: the first start of a service for the case (at or after `after`, when given), recorded by cutoff."""
    cond = [Service.case_id == Case.id, Service.started_at.is_not(None), Service.started_at < cutoff,
            Service.created_at < cutoff]
    if after is not None:
        cond.append(Service.started_at >= after)
    return sa.select(sa.func.min(Service.started_at)).where(*cond).scalar_subquery()


def _days(start: datetime, end: datetime | None) -> float | None:
    h = hours(start, end)
    return None if h is None else max(h, 0.0) / 24


class _Year:
    """Monthly counts and durations of one grouping, filled item by item (a case or a removal)."""

    def __init__(self, groups: list[str]) -> None:
        self.groups = groups
        self.rows = {g: {c: [0] * MONTHS for c in COUNTS} for g in groups}
        self.total = {c: [0] * MONTHS for c in COUNTS}
        self.durations: Durations = new_durations()

    def add(self, groups: set[str], month: int, kind: str, days: float | None) -> None:
        counted, within, spell = (("cases_opened", "cases_served_within_2_days", "days_to_first_service")
                                  if kind == "case" else
                                  ("removals", "removals_served_within_2_days", "days_from_removal_to_service"))
        for target, key in [(self.rows[g], g) for g in groups if g in self.rows] + [(self.total, TOTAL)]:
            target[counted][month] += 1
            if days is not None:
                self.durations[key][spell].append((month, days))
                if days <= WITHIN_DAYS:
                    target[within][month] += 1


def _extra(durations: Durations, months: range) -> Extra:
    def extra(group: str, c: dict[str, int], cells: dict[str, Cell]) -> None:
        found = durations.get(group, {})
        cells.update(stat_cells(found, "days_to_first_service", months, MEDIAN))
        cells.update(stat_cells(found, "days_from_removal_to_service", months, MEDIAN))
        cells["share_within_2_days"] = rate_cell(
            c["cases_served_within_2_days"], c["cases_opened"],
            (cells["cases_served_within_2_days"], cells["cases_opened"]))
        cells["share_removals_within_2_days"] = rate_cell(
            c["removals_served_within_2_days"], c["removals"],
            (cells["removals_served_within_2_days"], cells["removals"]))
    return extra


Item = tuple[uuid.UUID, uuid.UUID | None, int, str, float | None]


async def _items(session: AsyncSession, agency_id: uuid.UUID, period: Period) -> list[Item]:
    """(case_id, office_id, month, "case" | "removal", days to the first service or None) for every case
    opened and removal recorded in the period's year."""
    cutoff = period.cutoff
    cases = (await session.execute(
        sa.select(Case.id, Case.office_id, Case.created_at, _first_started(None, cutoff))
        .where(Case.agency_id == agency_id, Case.created_at >= period.year_start, Case.created_at < cutoff)
    )).all()
    removals = (await session.execute(
        sa.select(Case.id, Case.office_id, JunctureRecord.scheduled_for,
                  _first_started(JunctureRecord.scheduled_for, cutoff))
        .select_from(JunctureRecord).join(Case, Case.id == JunctureRecord.case_id)
        .where(JunctureRecord.agency_id == agency_id, JunctureRecord.juncture == Juncture.removal.value,
               JunctureRecord.recorded_at < cutoff, JunctureRecord.scheduled_for >= period.year_start,
               JunctureRecord.scheduled_for < cutoff)
    )).all()
    out: list[Item] = []
    for kind, rows in (("case", cases), ("removal", removals)):
        for case_id, office_id, start, first in rows:
            out.append((case_id, office_id, month_index(start, period.year), kind, _days(start, first)))
    return out


async def _race_groups(session: AsyncSession, case_ids: set[uuid.UUID], period: Period) -> dict[uuid.UUID, set[str]]:
    if not case_ids:
        return {}
    cats = person_categories(session, RACE_ROLES, period)
    rows = (await session.execute(sa.select(cats.c.case_id, cats.c.category).where(cats.c.case_id.in_(case_ids))
                                  .distinct())).all()
    out: dict[uuid.UUID, set[str]] = {}
    for case_id, category in rows:
        out.setdefault(case_id, set()).add(category)
    return out


def _table(year: _Year, additive: bool, period: Period, notes: list[str]) -> Table:
    total = added(year.rows, COUNTS) if additive else year.total
    counts = YearCounts(year.groups, COUNTS, year.rows, total, additive=additive)
    return table_at(suppress_year(counts), period.node, COUNTS + STATS, _extra(year.durations, period.months),
                    notes)


async def day_one_year(session: AsyncSession, agency_id: uuid.UUID, period: Period) -> tuple[_Year, _Year]:
    """Unsuppressed monthly counts and durations of the period's year, by race/ethnicity and by office (never
    leave the service as they are)."""
    items = await _items(session, agency_id, period)
    races = await _race_groups(session, {i[0] for i in items}, period)
    offices = (await session.execute(
        sa.select(Office.id, Office.name).where(Office.agency_id == agency_id).order_by(Office.name, Office.id)
    )).all()
    labels = office_labels(offices, (NO_OFFICE, TOTAL))
    by_race, by_office = _Year(RACE_GROUPS), _Year([*labels.values(), NO_OFFICE])
    for case_id, office_id, month, kind, days in items:
        by_race.add(races.get(case_id) or {NOT_RECORDED}, month, kind, days)
        by_office.add({labels.get(office_id, NO_OFFICE) if office_id else NO_OFFICE}, month, kind, days)
    return by_race, by_office


async def services_on_day_one(
    session: AsyncSession, principal: Principal, period: Period | None
) -> tuple[dict[str, Any], dict[str, Table]]:
    """The report's header fields and its two tables (by race/ethnicity, by office) for one period, each
    suppressed over the period's whole year; the read is audited."""
    agency_id = access.report_agency_id(principal)
    period = reportable(period or default_period(utcnow()), utcnow())
    by_race, by_office = await day_one_year(session, agency_id, period)
    tables = {
        "by_race_ethnicity": _table(by_race, False, period, [
            RACE_NOTE + " A case (and its removals) counts in every category of its adult survivors and "
            "children."]),
        "by_office": _table(by_office, True, period, ["Each case counts in the office it belongs to; "
                                                      "'no_office' holds cases without one."]),
    }
    await record(session, principal, "report.read", "report", "services-on-day-one", agency_id=agency_id)
    header = {"report": "services-on-day-one", "period": str(period), "from": period.start, "to": period.end,
              "as_of": period.cutoff, "threshold": THRESHOLD, "notes": NOTES}
    return header, tables
