"""The DV caseload report: the caller's own agency's cases with DV indicators, opened in a window, grouped by
office, juncture or race/ethnicity. Counted inside the database; only group totals leave it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.cases.models import Case, Person
from app.checklists.defaults import Juncture
from app.checklists.models import JunctureRecord
from app.identity.models import Office
from app.referrals.models import Referral
from app.reports import access
from app.reports.common import (
    NOT_RECORDED,
    RACE_GROUPS,
    RACE_NOTE,
    RACE_ROLES,
    json_contains,
    json_empty,
    json_values,
    office_labels,
    window,
)
from app.reports.suppression import THRESHOLD, suppress_columns
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
    "Cases are the agency's own cases with at least one DV indicator, opened in [from, to).",
    "children: people with the case role 'child' in those cases. referrals_made: referrals the agency sent "
    "on those cases. removals_dv_safety_factor: removal junctures recorded on those cases where the DV "
    "indicators include 'safety_threat'.",
    f"Counts under {THRESHOLD} are suppressed (null, suppressed=true), and further cells are suppressed where "
    "a total would reveal one.",
]
GROUP_NOTES = {
    GroupBy.office: "Each case counts in the office it belongs to; 'no_office' holds cases without one.",
    GroupBy.juncture: "A case counts in every juncture recorded on it, so the rows add up to more than the total.",
    GroupBy.race_ethnicity: RACE_NOTE + " A case counts in every category of its adult survivors and children; "
    "children in a row are the children who themselves report that category.",
}


def _per_case(session: AsyncSession, agency_id: Any, start: datetime, end: datetime) -> Any:
    """One row per DV case in the window with its measures (stays inside the database as a subquery)."""
    children = (sa.select(sa.func.count()).select_from(Person)
                .where(Person.case_id == Case.id, Person.case_role == "child").scalar_subquery())
    referrals = (sa.select(sa.func.count()).select_from(Referral)
                 .where(Referral.case_id == Case.id, Referral.from_agency_id == agency_id,
                        Referral.sent_at.is_not(None)).scalar_subquery())
    removals = (sa.select(sa.func.count()).select_from(JunctureRecord)
                .where(JunctureRecord.case_id == Case.id, JunctureRecord.agency_id == agency_id,
                       JunctureRecord.juncture == REMOVAL).scalar_subquery())
    return (
        sa.select(
            Case.id.label("case_id"),
            Case.office_id.label("office_id"),
            children.label("children"),
            referrals.label("referrals_made"),
            sa.case((json_contains(session, Case.dv_indicators, SAFETY_THREAT), removals), else_=0)
            .label("removals"),
        )
        .where(Case.agency_id == agency_id, Case.created_at >= start, Case.created_at < end,
               sa.func.json_array_length(Case.dv_indicators) > 0)
        .subquery("per_case")
    )


def _measures(per_case: Any, cases: Any = None) -> list[Any]:
    return [
        cases if cases is not None else sa.func.count(),
        sa.func.coalesce(sa.func.sum(per_case.c.children), 0),
        sa.func.coalesce(sa.func.sum(per_case.c.referrals_made), 0),
        sa.func.coalesce(sa.func.sum(per_case.c.removals), 0),
    ]


def _counts(row: Any) -> dict[str, int]:
    return {col: int(v or 0) for col, v in zip(COLUMNS, row, strict=True)}


async def _by_office(session: AsyncSession, agency_id: Any, per_case: Any) -> dict[str, dict[str, int]]:
    offices = (await session.execute(
        sa.select(Office.id, Office.name).where(Office.agency_id == agency_id).order_by(Office.name, Office.id)
    )).all()
    labels = office_labels(offices, (NO_OFFICE, TOTAL))
    out = {label: dict.fromkeys(COLUMNS, 0) for label in labels.values()}
    out[NO_OFFICE] = dict.fromkeys(COLUMNS, 0)
    stmt = sa.select(per_case.c.office_id, *_measures(per_case)).group_by(per_case.c.office_id)
    for office_id, *values in (await session.execute(stmt)).all():
        # a case's office always belongs to its agency; anything else is reported without a name
        out[labels.get(office_id, NO_OFFICE)] = _add(out[labels.get(office_id, NO_OFFICE)], _counts(values))
    return out


def _add(a: dict[str, int], b: dict[str, int]) -> dict[str, int]:
    return {k: a[k] + b[k] for k in COLUMNS}


async def _by_juncture(session: AsyncSession, agency_id: Any, per_case: Any) -> dict[str, dict[str, int]]:
    reached = (sa.select(JunctureRecord.case_id, JunctureRecord.juncture)
               .where(JunctureRecord.agency_id == agency_id).distinct().subquery("reached"))
    stmt = (sa.select(reached.c.juncture, *_measures(per_case))
            .select_from(per_case.join(reached, reached.c.case_id == per_case.c.case_id))
            .group_by(reached.c.juncture))
    out = {j.value: dict.fromkeys(COLUMNS, 0) for j in Juncture}
    for juncture, *values in (await session.execute(stmt)).all():
        if juncture in out:
            out[juncture] = _counts(values)
    return out


def _person_categories(session: AsyncSession, roles: tuple[str, ...]) -> Any:
    """(person_id, case_id, category) for the people in `roles`, one row per category they report."""
    values = json_values(session, Person.race_ethnicity)
    listed = (sa.select(Person.id.label("person_id"), Person.case_id.label("case_id"),
                        values.c.value.label("category"))
              .select_from(Person).join(values, sa.true()).where(Person.case_role.in_(roles)))
    unlisted = (sa.select(Person.id.label("person_id"), Person.case_id.label("case_id"),
                          sa.literal(NOT_RECORDED).label("category"))
                .where(Person.case_role.in_(roles), json_empty(Person.race_ethnicity)))
    return sa.union(listed, unlisted).subquery("person_categories")


async def _by_race(session: AsyncSession, per_case: Any) -> dict[str, dict[str, int]]:
    cats = _person_categories(session, RACE_ROLES)
    case_cats = sa.select(cats.c.case_id, cats.c.category).distinct().subquery("case_categories")
    stmt = (sa.select(case_cats.c.category, *_measures(per_case))
            .select_from(per_case.join(case_cats, case_cats.c.case_id == per_case.c.case_id))
            .group_by(case_cats.c.category))
    out = {g: dict.fromkeys(COLUMNS, 0) for g in RACE_GROUPS}
    for category, *values in (await session.execute(stmt)).all():
        if category in out:
            out[category] = _counts(values)
    for counts in out.values():
        counts["children"] = 0
    child_cats = _person_categories(session, ("child",))
    children = (sa.select(child_cats.c.category, sa.func.count(sa.distinct(child_cats.c.person_id)))
                .select_from(child_cats.join(per_case, per_case.c.case_id == child_cats.c.case_id))
                .group_by(child_cats.c.category))
    for category, n in (await session.execute(children)).all():
        if category in out:
            out[category]["children"] = int(n)
    return out


async def caseload_counts(
    session: AsyncSession, agency_id: Any, group_by: GroupBy, start: datetime, end: datetime
) -> tuple[dict[str, dict[str, int]], dict[str, int]]:
    """Unsuppressed counts per group, and the total, for one agency (never leaves the service as is)."""
    per_case = _per_case(session, agency_id, start, end)
    if group_by is GroupBy.office:
        groups = await _by_office(session, agency_id, per_case)
    elif group_by is GroupBy.juncture:
        groups = await _by_juncture(session, agency_id, per_case)
    else:
        groups = await _by_race(session, per_case)
    total = _counts((await session.execute(sa.select(*_measures(per_case)))).one())
    return groups, total


async def dv_caseload(
    session: AsyncSession, principal: Principal, group_by: GroupBy, start: datetime | None, end: datetime | None
) -> tuple[dict[str, Any], Table]:
    """The report's header fields and its table, suppressed; the read is audited."""
    agency_id = access.report_agency_id(principal)
    start, end = window(start, end)
    groups, total = await caseload_counts(session, agency_id, group_by, start, end)
    labels = list(groups)
    rows, total_cells = suppress_columns([groups[g] for g in labels], total, COLUMNS)
    assert total_cells is not None
    table = Table(COLUMNS, list(zip(labels, rows, strict=True)), total_cells, [*NOTES, GROUP_NOTES[group_by]])
    await record(session, principal, "report.read", "report", "dv-caseload", agency_id=agency_id)
    header = {"report": "dv-caseload", "group_by": group_by.value, "from": start, "to": end,
              "threshold": THRESHOLD}
    return header, table
