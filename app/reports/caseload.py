"""The DV caseload report: the caller's own agency's cases with DV indicators, opened in a calendar period,
grouped by office, juncture or race/ethnicity. Counted inside the database by month; only group totals leave
it, suppressed over the period's whole year (see suppression.py)."""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.cases.models import Case, Person
from app.checklists.defaults import Juncture
from app.checklists.models import JunctureRecord
from app.core.clock import utcnow
from app.identity.models import Office
from app.referrals.models import Referral
from app.reports import access
from app.reports.common import (
    RACE_GROUPS,
    RACE_NOTE,
    RACE_ROLES,
    before,
    json_contains,
    monthly,
    office_labels,
    person_categories,
)
from app.reports.periods import Period, default_period, month_of, node_months, reportable
from app.reports.suppression import THRESHOLD, YearCounts, YearPattern, same_totals, suppress_year
from app.reports.tables import TOTAL, Table
from app.trail.recorder import record

COLUMNS = ["dv_cases", "children", "referrals_made", "removals_dv_safety_factor"]
NO_OFFICE = "no_office"
REMOVAL = Juncture.removal.value
SAFETY_THREAT = "safety_threat"


class GroupBy(StrEnum):
    race_ethnicity = "race_ethnicity"
    office = "office"
    juncture = "juncture"


NOTES = [
    "Cases are the agency's own cases with at least one DV indicator, opened in the period (UTC).",
    "children: people with the case role 'child' in those cases. referrals_made: referrals the agency sent "
    "on those cases. removals_dv_safety_factor: removal junctures recorded on those cases where the DV "
    "indicators include 'safety_threat'. Each as recorded by the end of the period's year.",
    f"Counts under {THRESHOLD} are suppressed (null, suppressed=true), and further cells are suppressed where "
    "the other periods of the year (months, quarters, the year), the other rows or the total would reveal "
    "one. The total row is the same in every grouping.",
]
GROUP_NOTES = {
    GroupBy.office: "Each case counts in the office it belongs to; 'no_office' holds cases without one.",
    GroupBy.juncture: "A case counts in every juncture recorded on it, so the rows add up to more than the total.",
    GroupBy.race_ethnicity: RACE_NOTE + " A case counts in every category of its adult survivors and children; "
    "children in a row are the children who themselves report that category.",
}


def _per_case(session: AsyncSession, agency_id: uuid.UUID, period: Period) -> sa.Subquery:
    """One row per DV case opened in the period's year, with its month and its measures as recorded by the
    end of the year (stays inside the database as a subquery)."""
    cutoff = period.cutoff
    children = (sa.select(sa.func.count()).select_from(Person)
                .where(Person.case_id == Case.id, Person.case_role == "child", Person.created_at < cutoff)
                .scalar_subquery())
    referrals = (sa.select(sa.func.count()).select_from(Referral)
                 .where(Referral.case_id == Case.id, Referral.from_agency_id == agency_id,
                        before(Referral.sent_at, cutoff)).scalar_subquery())
    removals = (sa.select(sa.func.count()).select_from(JunctureRecord)
                .where(JunctureRecord.case_id == Case.id, JunctureRecord.agency_id == agency_id,
                       JunctureRecord.juncture == REMOVAL, JunctureRecord.recorded_at < cutoff)
                .scalar_subquery())
    return (
        sa.select(
            Case.id.label("case_id"),
            Case.office_id.label("office_id"),
            month_of(Case.created_at, period.year).label("month"),
            children.label("children"),
            referrals.label("referrals_made"),
            sa.case((json_contains(session, Case.dv_indicators, SAFETY_THREAT), removals), else_=0)
            .label("removals"),
        )
        .where(Case.agency_id == agency_id, Case.created_at >= period.year_start, Case.created_at < cutoff,
               sa.func.json_array_length(Case.dv_indicators) > 0)
        .subquery("per_case")
    )


def _measures(per_case: sa.Subquery) -> list[Any]:
    return [
        sa.func.count(),
        sa.func.coalesce(sa.func.sum(per_case.c.children), 0),
        sa.func.coalesce(sa.func.sum(per_case.c.referrals_made), 0),
        sa.func.coalesce(sa.func.sum(per_case.c.removals), 0),
    ]


async def _by_office(session: AsyncSession, agency_id: uuid.UUID, per_case: sa.Subquery) -> dict[str, dict[str, list[int]]]:
    offices = (await session.execute(
        sa.select(Office.id, Office.name).where(Office.agency_id == agency_id).order_by(Office.name, Office.id)
    )).all()
    labels = office_labels(offices, (NO_OFFICE, TOTAL))
    stmt = (sa.select(per_case.c.office_id, per_case.c.month, *_measures(per_case))
            .group_by(per_case.c.office_id, per_case.c.month))
    # a case's office always belongs to its agency; anything else is reported without a name
    return monthly(COLUMNS, (await session.execute(stmt)).all(), [*labels.values(), NO_OFFICE],
                   lambda office_id: labels.get(office_id, NO_OFFICE))


async def _by_juncture(
    session: AsyncSession, agency_id: uuid.UUID, per_case: sa.Subquery, period: Period
) -> dict[str, dict[str, list[int]]]:
    reached = (sa.select(JunctureRecord.case_id, JunctureRecord.juncture)
               .where(JunctureRecord.agency_id == agency_id, JunctureRecord.recorded_at < period.cutoff)
               .distinct().subquery("reached"))
    stmt = (sa.select(reached.c.juncture, per_case.c.month, *_measures(per_case))
            .select_from(per_case.join(reached, reached.c.case_id == per_case.c.case_id))
            .group_by(reached.c.juncture, per_case.c.month))
    return monthly(COLUMNS, (await session.execute(stmt)).all(), [j.value for j in Juncture])


async def _by_race(session: AsyncSession, per_case: sa.Subquery, period: Period) -> dict[str, dict[str, list[int]]]:
    cats = person_categories(session, RACE_ROLES, period)
    case_cats = sa.select(cats.c.case_id, cats.c.category).distinct().subquery("case_categories")
    stmt = (sa.select(case_cats.c.category, per_case.c.month, *_measures(per_case))
            .select_from(per_case.join(case_cats, case_cats.c.case_id == per_case.c.case_id))
            .group_by(case_cats.c.category, per_case.c.month))
    out = monthly(COLUMNS, (await session.execute(stmt)).all(), RACE_GROUPS)
    child_cats = person_categories(session, ("child",), period)
    children = (sa.select(child_cats.c.category, per_case.c.month,
                          sa.func.count(sa.distinct(child_cats.c.person_id)))
                .select_from(child_cats.join(per_case, per_case.c.case_id == child_cats.c.case_id))
                .group_by(child_cats.c.category, per_case.c.month))
    own = monthly(["children"], (await session.execute(children)).all(), RACE_GROUPS)
    for group in RACE_GROUPS:
        out[group]["children"] = own[group]["children"]
    return out


async def caseload_year(session: AsyncSession, agency_id: uuid.UUID, group_by: GroupBy, period: Period) -> YearCounts:
    """Unsuppressed monthly counts per group, and the total, of the period's year for one agency (never
    leaves the service as is)."""
    per_case = _per_case(session, agency_id, period)
    if group_by is GroupBy.office:
        groups = await _by_office(session, agency_id, per_case)
    elif group_by is GroupBy.juncture:
        groups = await _by_juncture(session, agency_id, per_case, period)
    else:
        groups = await _by_race(session, per_case, period)
    stmt = sa.select(per_case.c.month, *_measures(per_case)).group_by(per_case.c.month)
    total = monthly(COLUMNS, [(TOTAL, *row) for row in (await session.execute(stmt)).all()], [TOTAL])[TOTAL]
    return YearCounts(list(groups), COLUMNS, groups, total, additive=group_by is GroupBy.office)


def counts_at(counts: YearCounts, months: range) -> tuple[dict[str, dict[str, int]], dict[str, int]]:
    """The unsuppressed counts of some months: per group, and the total."""
    def at(series: dict[str, list[int]]) -> dict[str, int]:
        return {c: sum(series[c][m] for m in months) for c in counts.columns}

    assert counts.total is not None
    return {g: at(counts.rows[g]) for g in counts.groups}, at(counts.total)


async def caseload_counts(
    session: AsyncSession, agency_id: uuid.UUID, group_by: GroupBy, period: Period
) -> tuple[dict[str, dict[str, int]], dict[str, int]]:
    """Unsuppressed counts per group, and the total, of one period for one agency."""
    return counts_at(await caseload_year(session, agency_id, group_by, period), node_months(period.node))


async def dv_caseload(
    session: AsyncSession, principal: Principal, group_by: GroupBy, period: Period | None
) -> tuple[dict[str, Any], Table]:
    """The report's header fields and its table for one period, suppressed over the period's whole year; the
    read is audited.

    Every grouping of the year is suppressed and the total row takes every total cell any of them hides,
    so the three groupings publish one and the same total row (what the rows of different groupings say
    about one another, e.g. offices against race/ethnicity, is not protected)."""
    agency_id = access.report_agency_id(principal)
    period = reportable(period or default_period(utcnow()), utcnow())
    patterns: dict[GroupBy, YearPattern] = {
        g: suppress_year(await caseload_year(session, agency_id, g, period)) for g in GroupBy
    }
    same_totals(patterns.values())
    pattern = patterns[group_by]
    total = pattern.total_at(period.node)
    assert total is not None
    rows = list(zip(pattern.counts.groups, pattern.rows_at(period.node), strict=True))
    table = Table(COLUMNS, rows, total, [*NOTES, GROUP_NOTES[group_by]])
    await record(session, principal, "report.read", "report", "dv-caseload", agency_id=agency_id)
    header = {"report": "dv-caseload", "group_by": group_by.value, "period": str(period), "from": period.start,
              "to": period.end, "as_of": period.cutoff, "threshold": THRESHOLD}
    return header, table
