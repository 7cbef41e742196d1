"""DV measures at the junctures of the caller's agency's cases, for a calendar period, by race/ethnicity and
(for protective orders) by juncture: removals, and those where domestic violence was the only safety factor;
failure-to-protect findings against survivors; junctures at which a protective order was in force.

The practice guidance (JUNCTURES.md, the seeds) asks that DV alone rarely be why a child leaves a protective
parent, that allegations name the conduct of the person using violence rather than "failure to protect" by
the survivor, and that protective orders be known at every juncture; these counts show whether that happens,
and for whom. Suppressed over the period's whole year like every report (see suppression.py)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.cases.models import Person
from app.checklists.defaults import Juncture
from app.checklists.models import JunctureRecord
from app.core.clock import utcnow
from app.core.vocab import CaseRole, SafetyFactor
from app.court.models import CourtEvent, CourtFinding
from app.protective_orders.models import ProtectiveOrder, in_force_on
from app.reports import access
from app.reports.common import NOT_RECORDED, RACE_GROUPS, RACE_NOTE, RACE_ROLES, person_categories
from app.reports.periods import MONTHS, Period, default_period, month_index, reportable
from app.reports.suppression import THRESHOLD, Cell, YearCounts, rate_cell, suppress_year
from app.reports.tables import Table, added, table_at
from app.trail.recorder import record

FAILURE_TO_PROTECT = "failure_to_protect"
RACE_COLUMNS = ["removals", "removals_dv_only", "junctures_recorded", "junctures_with_protective_order",
                "failure_to_protect_findings_against_survivors"]
RACE_STATS = ["share_removals_dv_only", "share_junctures_with_protective_order"]
JUNCTURE_COLUMNS = ["junctures_recorded", "junctures_with_protective_order"]
JUNCTURE_STATS = ["share_junctures_with_protective_order"]
NOTES = [
    "Junctures (removals included) are those recorded on the agency's cases that took place in the period "
    "(UTC). removals_dv_only: removals whose only recorded safety factor is domestic_violence. "
    "junctures_with_protective_order: junctures on whose day a protective order recorded on the case was in "
    "force. failure_to_protect_findings_against_survivors: failure-to-protect findings of the agency's court "
    "events in the period made against a person recorded as an adult survivor. Each as recorded by the end of "
    "the period's year (as_of).",
    f"Counts under {THRESHOLD} are suppressed (null, suppressed=true), and further cells are suppressed where "
    "the other periods of the year, the other rows or the total would reveal one. Shares from fewer than "
    f"{THRESHOLD} items, and shares that would give a suppressed count back, are suppressed too.",
]


class _Counter:
    def __init__(self, groups: list[str], columns: list[str]) -> None:
        self.groups = groups
        self.columns = columns
        self.rows = {g: {c: [0] * MONTHS for c in columns} for g in groups}
        self.total = {c: [0] * MONTHS for c in columns}

    def add(self, groups: set[str], month: int, column: str) -> None:
        for g in groups:
            if g in self.rows:
                self.rows[g][column][month] += 1
        self.total[column][month] += 1


def _share(numerator: str, denominator: str, name: str) -> Callable[[dict[str, int], dict[str, Cell]], None]:
    def extra(c: dict[str, int], cells: dict[str, Cell]) -> None:
        cells[name] = rate_cell(c[numerator], c[denominator], (cells[numerator], cells[denominator]))
    return extra


async def _case_races(session: AsyncSession, case_ids: set[uuid.UUID], period: Period) -> dict[uuid.UUID, set[str]]:
    out: dict[uuid.UUID, set[str]] = defaultdict(set)
    if case_ids:
        cats = person_categories(session, RACE_ROLES, period)
        rows = await session.execute(sa.select(cats.c.case_id, cats.c.category)
                                     .where(cats.c.case_id.in_(case_ids)).distinct())
        for case_id, category in rows.all():
            out[case_id].add(category)
    return out


async def dv_measures_year(
    session: AsyncSession, agency_id: uuid.UUID, period: Period
) -> tuple[_Counter, _Counter]:
    """Unsuppressed monthly counts of the period's year, by race/ethnicity and (protective orders) by juncture
    (never leave the service as they are)."""
    cutoff = period.cutoff
    junctures = (await session.execute(
        sa.select(JunctureRecord.case_id, JunctureRecord.juncture, JunctureRecord.scheduled_for,
                  JunctureRecord.safety_factors)
        .where(JunctureRecord.agency_id == agency_id, JunctureRecord.recorded_at < cutoff,
               JunctureRecord.scheduled_for >= period.year_start, JunctureRecord.scheduled_for < cutoff))).all()
    findings = (await session.execute(
        sa.select(CourtFinding.case_id, CourtEvent.scheduled_for)
        .select_from(CourtFinding).join(CourtEvent, CourtEvent.id == CourtFinding.court_event_id)
        .join(Person, Person.id == CourtFinding.against_person_id)
        .where(CourtFinding.agency_id == agency_id, CourtFinding.code == FAILURE_TO_PROTECT,
               CourtFinding.created_at < cutoff, Person.case_role == CaseRole.adult_survivor.value,
               CourtEvent.scheduled_for >= period.year_start, CourtEvent.scheduled_for < cutoff))).all()
    case_ids = {j[0] for j in junctures} | {f[0] for f in findings}
    orders: dict[uuid.UUID, list[ProtectiveOrder]] = defaultdict(list)
    if case_ids:
        found = await session.execute(sa.select(ProtectiveOrder).where(
            ProtectiveOrder.agency_id == agency_id, ProtectiveOrder.case_id.in_(case_ids),
            ProtectiveOrder.created_at < cutoff))
        for order in found.scalars():
            orders[order.case_id].append(order)
    races = await _case_races(session, case_ids, period)

    by_race = _Counter(RACE_GROUPS, RACE_COLUMNS)
    by_juncture = _Counter([j.value for j in Juncture], JUNCTURE_COLUMNS)
    for case_id, juncture, when, factors in junctures:
        month = month_index(when, period.year)
        groups = races.get(case_id) or {NOT_RECORDED}
        protected = any(in_force_on(o, when.date()) for o in orders.get(case_id, []))
        for counter, keys in ((by_race, groups), (by_juncture, {juncture})):
            counter.add(keys, month, "junctures_recorded")
            if protected:
                counter.add(keys, month, "junctures_with_protective_order")
        if juncture == Juncture.removal.value:
            by_race.add(groups, month, "removals")
            if list(factors or []) == [SafetyFactor.domestic_violence.value]:
                by_race.add(groups, month, "removals_dv_only")
    for case_id, when in findings:
        by_race.add(races.get(case_id) or {NOT_RECORDED}, month_index(when, period.year),
                    "failure_to_protect_findings_against_survivors")
    return by_race, by_juncture


async def dv_measures(
    session: AsyncSession, principal: Principal, period: Period | None
) -> tuple[dict[str, Any], dict[str, Table]]:
    """The report's header fields and its tables (by race/ethnicity; protective orders by juncture) for one
    period, each suppressed over the period's whole year; the read is audited."""
    agency_id = access.report_agency_id(principal)
    period = reportable(period or default_period(utcnow()), utcnow())
    by_race, by_juncture = await dv_measures_year(session, agency_id, period)

    race_counts = YearCounts(by_race.groups, RACE_COLUMNS, by_race.rows, by_race.total, additive=False)
    juncture_counts = YearCounts(by_juncture.groups, JUNCTURE_COLUMNS, by_juncture.rows,
                                 added(by_juncture.rows, JUNCTURE_COLUMNS), additive=True)
    dv_only = _share("removals_dv_only", "removals", "share_removals_dv_only")
    protected_share = _share("junctures_with_protective_order", "junctures_recorded",
                             "share_junctures_with_protective_order")

    def race_extra(group: str, c: dict[str, int], cells: dict[str, Cell]) -> None:
        dv_only(c, cells)
        protected_share(c, cells)

    def juncture_extra(group: str, c: dict[str, int], cells: dict[str, Cell]) -> None:
        protected_share(c, cells)

    tables = {
        "by_race_ethnicity": table_at(suppress_year(race_counts), period.node, RACE_COLUMNS + RACE_STATS,
                                      race_extra, [RACE_NOTE + " A juncture or finding counts in every category "
                                                   "of the case's adult survivors and children."]),
        "protective_orders_by_juncture": table_at(suppress_year(juncture_counts), period.node,
                                                  JUNCTURE_COLUMNS + JUNCTURE_STATS, juncture_extra, []),
    }
    await record(session, principal, "report.read", "report", "dv-measures", agency_id=agency_id)
    header = {"report": "dv-measures", "period": str(period), "from": period.start, "to": period.end,
              "as_of": period.cutoff, "threshold": THRESHOLD, "notes": NOTES}
    return header, tables
