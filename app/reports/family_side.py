"""The family's side of the collaboration report: by race/ethnicity of the adult survivors and non-abusive
parents whose records the agency holds, the share who got their own view, the consents they revoked
themselves, the goals they met, the parent partners they invited, and their feedback about the agency
(scored 1-5; counted and summarised only). Small cells are suppressed as in every other table."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.cases.models import Person
from app.consent.models import Consent
from app.family.models import FamilyFeedback, FamilyGoal, FamilyPartnerLink
from app.identity.models import PersonAccount
from app.reports.common import NOT_RECORDED, RACE_GROUPS, RACE_NOTE, json_empty, json_values, monthly
from app.reports.periods import MONTHS, Period, month_of
from app.reports.suppression import Cell, YearCounts, rate_cell, suppress_year
from app.reports.tables import Table, new_durations, stat_cells, table_at

FAMILY_ROLES = ("adult_survivor", "caregiver")
FAMILY_COUNTS = ["families", "with_portal_access", "self_revoked_consents", "goals_met", "parent_partner_invitations",
                 "feedback_answers"]
FAMILY_STATS = ["portal_access_share", "respect_median", "listened_median", "safety_median"]
SCORES = ("respect", "listened", "safety")
NOTES = [
    RACE_NOTE,
    "families: adult survivors and non-abusive parents whose records the agency created in the period; "
    "with_portal_access: of those, the ones who had their own view by the end of the period's year; "
    "portal_access_share = with_portal_access / families. self_revoked_consents, goals_met and "
    "parent_partner_invitations count what the families did in their own view in the period; feedback_answers "
    "and the medians (1-5) are the families' answers about the agency, never shown one by one.",
]


def _categories(session: AsyncSession, agency_id: uuid.UUID) -> sa.Subquery:
    """(person_id, category) of the agency's survivors and non-abusive parents, one row per category."""
    values = json_values(session, Person.race_ethnicity)
    scope = [Person.agency_id == agency_id, Person.case_role.in_(FAMILY_ROLES)]
    listed = (sa.select(Person.id.label("person_id"), values.c.value.label("category")).select_from(Person)
              .join(values, sa.true()).where(*scope))
    unlisted = (sa.select(Person.id.label("person_id"), sa.literal(NOT_RECORDED).label("category"))
                .where(*scope, json_empty(Person.race_ethnicity)))
    return sa.union(listed, unlisted).subquery("family_categories")


async def _count(session: AsyncSession, cats: sa.Subquery, person_col: Any, at_col: Any, period: Period,
                 *where: Any) -> list[Any]:
    month = month_of(at_col, period.year)
    stmt = (sa.select(cats.c.category, month, sa.func.count())
            .select_from(cats.join(person_col.table, person_col == cats.c.person_id))
            .where(at_col.is_not(None), at_col >= period.year_start, at_col < period.cutoff, *where)
            .group_by(cats.c.category, month))
    return list((await session.execute(stmt)).all())


async def family_side(session: AsyncSession, agency_id: uuid.UUID, period: Period) -> Table:
    cats = _categories(session, agency_id)
    has_access = sa.exists().where(PersonAccount.person_id == Person.id, PersonAccount.created_at < period.cutoff)
    found = {
        "families": await _count(session, cats, Person.id, Person.created_at, period),
        "with_portal_access": await _count(session, cats, Person.id, Person.created_at, period, has_access),
        "self_revoked_consents": await _count(session, cats, Consent.person_id, Consent.revoked_at, period,
                                              Consent.revoked_by.like("person:%")),
        "goals_met": await _count(session, cats, FamilyGoal.person_id, FamilyGoal.met_at, period),
        "parent_partner_invitations": await _count(session, cats, FamilyPartnerLink.person_id,
                                                   FamilyPartnerLink.created_at, period),
    }
    rows: dict[str, dict[str, list[int]]] = {g: {} for g in RACE_GROUPS}
    for column, result in found.items():
        for g, cols in monthly([column], result, RACE_GROUPS).items():
            rows[g].update(cols)
    # feedback carries its own copy of the categories (it is not linked to a record)
    values = json_values(session, FamilyFeedback.race_ethnicity)
    month = month_of(FamilyFeedback.created_at, period.year)
    scope = [FamilyFeedback.agency_id == agency_id, FamilyFeedback.created_at >= period.year_start,
             FamilyFeedback.created_at < period.cutoff]
    score_cols = [FamilyFeedback.respect, FamilyFeedback.listened, FamilyFeedback.safety]
    listed = sa.select(values.c.value, month, *score_cols).select_from(FamilyFeedback).join(values, sa.true()) \
        .where(*scope)
    unlisted = sa.select(sa.literal(NOT_RECORDED), month, *score_cols).where(
        *scope, json_empty(FamilyFeedback.race_ethnicity))
    answers = [*(await session.execute(listed)).all(), *(await session.execute(unlisted)).all()]
    scores = new_durations()
    for g in RACE_GROUPS:
        rows[g]["feedback_answers"] = [0] * MONTHS
    for category, m, *vals in answers:
        if category not in rows:
            continue
        rows[category]["feedback_answers"][int(m)] += 1
        for name, v in zip(SCORES, vals, strict=True):
            scores[category][name].append((int(m), float(v)))
    counts = YearCounts(RACE_GROUPS, FAMILY_COUNTS, rows, None, additive=False)

    def extra(group: str, c: dict[str, int], cells: dict[str, Cell]) -> None:
        cells["portal_access_share"] = rate_cell(c["with_portal_access"], c["families"],
                                                 (cells["with_portal_access"], cells["families"]))
        for name in SCORES:
            cells.update(stat_cells(scores.get(group, {}), name, period.months, (("median", 0.5),)))

    return table_at(suppress_year(counts), period.node, FAMILY_COUNTS + FAMILY_STATS, extra, NOTES)
