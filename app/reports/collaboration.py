"""The collaboration report for the caller's agency: referrals it sent and received, referrals by the
race/ethnicity of the people named, consultations per office, and checklists and overrides by juncture, for a
calendar period.

Counts are taken inside the database with GROUP BY, by month of the period's year, and each table is
suppressed over that whole year (see suppression.py); response times are computed from the timestamps of the
caller's agency's own referrals and consultations (never a row per person or case in the answer). Everything
is as recorded by the end of the period's year (as_of), so a closed year's numbers do not move."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.advocates.models import Consultation
from app.auth.principal import Principal
from app.cases.models import Person
from app.checklists.defaults import Juncture
from app.checklists.models import Checklist, JunctureRecord
from app.core.clock import utcnow
from app.identity.models import Office
from app.referrals.lifecycle import AWAITING_ANSWER
from app.referrals.models import Referral, ReferralPerson
from app.reports import access
from app.reports.common import (
    NOT_RECORDED,
    RACE_GROUPS,
    RACE_NOTE,
    RACE_ROLES,
    before,
    count_if,
    hours,
    json_empty,
    json_values,
    monthly,
    office_labels,
    recorded_before,
)
from app.reports.family_side import family_side
from app.reports.periods import Period, default_period, month_of, reportable
from app.reports.suppression import (
    THRESHOLD,
    Cell,
    YearCounts,
    rate_cell,
    suppress_year,
)
from app.reports.tables import TOTAL, Durations, Extra, Table, added, new_durations, stat_cells, table_at
from app.trail.recorder import record

REFERRAL_COUNTS = ["referrals", "accepted", "declined", "overdue"]
REFERRAL_STATS = ["acceptance_rate", "hours_to_acknowledge_median", "hours_to_acknowledge_p90",
                  "hours_to_accept_median", "hours_to_accept_p90"]
CONSULTATION_COUNTS = ["consultations", "responded"]
CONSULTATION_STATS = ["hours_to_respond_median", "hours_to_respond_p90"]
CHECKLIST_COUNTS = ["checklists_started", "checklists_completed", "junctures_recorded", "overrides"]
CHECKLIST_STATS = ["completion_rate"]
DIRECTIONS = ["sent", "received"]
NO_OFFICE = "no_office"

NOTES = [
    "Referrals are those sent in the period (UTC) by or to the agency; 'overdue' counts those still unanswered "
    "past their respond-by time at the end of the period's year (as_of). acceptance_rate = accepted / "
    "(accepted + declined). Hours are measured from sending.",
    "Consultations are those opened in the period at or by the agency; hours to respond run from opening to "
    "the advocate's answer.",
    "Checklists are the agency's checklists started in the period; junctures and overrides are juncture "
    "records made in the period.",
    "Answers, acceptances, completions and the like count when they were recorded by the end of the period's "
    "year (as_of).",
    f"Counts under {THRESHOLD} are suppressed (null, suppressed=true), and further cells are suppressed where "
    "the other periods of the year (months, quarters, the year), the other rows or the total would reveal "
    f"one. Rates, medians and 90th percentiles from fewer than {THRESHOLD} items, and rates that would give a "
    "suppressed count back, are suppressed too.",
]
def _hours(start: datetime | None, end: datetime | None, cutoff: datetime) -> float | None:
    """Hours from start to end, when end was recorded before the cutoff."""
    return hours(start, end) if recorded_before(end, cutoff) else None


# ------------------------------------------------------------------ referrals


def _referral_flags(cutoff: datetime) -> list[Any]:
    """Accepted / declined by the cutoff; overdue: past its respond-by time and still unanswered then
    (awaiting an answer now, or answered only later)."""
    answers = (Referral.accepted_at, Referral.declined_at, Referral.withdrawn_at, Referral.closed_at)
    overdue = sa.and_(before(Referral.respond_by, cutoff), sa.not_(sa.or_(*(before(a, cutoff) for a in answers))),
                      sa.or_(Referral.status.in_(AWAITING_ANSWER), *(a.is_not(None) for a in answers)))
    return [before(Referral.accepted_at, cutoff).label("is_accepted"),
            before(Referral.declined_at, cutoff).label("is_declined"),
            overdue.label("is_overdue")]


def _referral_counts(subq: sa.Subquery) -> sa.Select[Any, Any, int, int, int, int]:
    """(group, month, referrals, accepted, declined, overdue) from a subquery with grp, month and flags."""
    return (sa.select(subq.c.grp, subq.c.month, sa.func.count(), count_if(subq.c.is_accepted),
                      count_if(subq.c.is_declined), count_if(subq.c.is_overdue))
            .group_by(subq.c.grp, subq.c.month))


def _referral_durations(rows: Iterable[Any], cutoff: datetime) -> Durations:
    """group -> {"hours_to_acknowledge": [(month, h)], "hours_to_accept": [...]}; TOTAL gathers each once."""
    out = new_durations()
    seen: set[Any] = set()
    for ref_id, group, month, sent_at, ack_at, acc_at in rows:
        first = ref_id not in seen
        seen.add(ref_id)
        for name, value in (("hours_to_acknowledge", _hours(sent_at, ack_at, cutoff)),
                            ("hours_to_accept", _hours(sent_at, acc_at, cutoff))):
            if value is not None:
                out[group][name].append((int(month), value))
                if first:
                    out[TOTAL][name].append((int(month), value))
    return out


def _referral_extra(durations: Durations, months: range) -> Extra:
    def extra(group: str, c: dict[str, int], cells: dict[str, Cell]) -> None:
        cells["acceptance_rate"] = rate_cell(c["accepted"], c["accepted"] + c["declined"],
                                             (cells["accepted"], cells["declined"]))
        cells.update(stat_cells(durations.get(group, {}), "hours_to_acknowledge", months))
        cells.update(stat_cells(durations.get(group, {}), "hours_to_accept", months))
    return extra


async def _referrals(session: AsyncSession, agency_id: uuid.UUID, period: Period) -> Table:
    direction = sa.case((Referral.from_agency_id == agency_id, "sent"), else_="received")
    month = month_of(Referral.sent_at, period.year)
    scope = [sa.or_(Referral.from_agency_id == agency_id, Referral.to_agency_id == agency_id),
             Referral.sent_at.is_not(None), Referral.sent_at >= period.year_start, Referral.sent_at < period.cutoff]
    subq = (sa.select(direction.label("grp"), month.label("month"), *_referral_flags(period.cutoff))
            .where(*scope).subquery("r"))
    rows = monthly(REFERRAL_COUNTS, (await session.execute(_referral_counts(subq))).all(), DIRECTIONS)
    counts = YearCounts(DIRECTIONS, REFERRAL_COUNTS, rows, added(rows, REFERRAL_COUNTS), additive=True)
    timed = (sa.select(Referral.id, direction, month, Referral.sent_at, Referral.acknowledged_at,
                       Referral.accepted_at)
             .where(*scope, sa.or_(Referral.acknowledged_at.is_not(None), Referral.accepted_at.is_not(None))))
    durations = _referral_durations((await session.execute(timed)).all(), period.cutoff)
    return table_at(suppress_year(counts), period.node, REFERRAL_COUNTS + REFERRAL_STATS,
                     _referral_extra(durations, period.months), [])


async def _referrals_by_race(session: AsyncSession, agency_id: uuid.UUID, period: Period) -> Table:
    """Referrals the agency sent, by the categories of the survivors and children it named in them (people
    the agency itself recorded)."""
    values = json_values(session, Person.race_ethnicity)

    def named(*columns: sa.ColumnElement[Any]) -> sa.Select[uuid.UUID, Any]:
        return (sa.select(ReferralPerson.referral_id.label("referral_id"), *columns).select_from(ReferralPerson)
                .join(Person, Person.id == ReferralPerson.person_id)
                .where(Person.agency_id == agency_id, Person.case_role.in_(RACE_ROLES)))

    listed = named(values.c.value.label("category")).join(values, sa.true())
    unlisted = named(sa.literal(NOT_RECORDED).label("category")).where(json_empty(Person.race_ethnicity))
    cats = sa.union(listed, unlisted).subquery("referral_categories")
    month = month_of(Referral.sent_at, period.year)
    scope = [Referral.from_agency_id == agency_id, Referral.sent_at.is_not(None),
             Referral.sent_at >= period.year_start, Referral.sent_at < period.cutoff]
    joined = cats.join(Referral, Referral.id == cats.c.referral_id)
    subq = (sa.select(cats.c.category.label("grp"), month.label("month"), *_referral_flags(period.cutoff))
            .select_from(joined).where(*scope).subquery("r"))
    rows = monthly(REFERRAL_COUNTS, (await session.execute(_referral_counts(subq))).all(), RACE_GROUPS)
    counts = YearCounts(RACE_GROUPS, REFERRAL_COUNTS, rows, None, additive=False)
    timed = (sa.select(Referral.id, cats.c.category, month, Referral.sent_at, Referral.acknowledged_at,
                       Referral.accepted_at)
             .select_from(joined)
             .where(*scope, sa.or_(Referral.acknowledged_at.is_not(None), Referral.accepted_at.is_not(None))))
    durations = _referral_durations((await session.execute(timed)).all(), period.cutoff)
    notes = [RACE_NOTE, "These are the referrals the agency sent (the 'sent' row of the referrals table is their "
             "total); categories are those of the adult survivors and children it named in them."]
    return table_at(suppress_year(counts), period.node, REFERRAL_COUNTS + REFERRAL_STATS,
                     _referral_extra(durations, period.months), notes)


# ------------------------------------------------------------------ consultations


async def _office_labels(session: AsyncSession, agency_id: uuid.UUID, seen: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    rows = (await session.execute(
        sa.select(Office.id, Office.name).where(sa.or_(Office.agency_id == agency_id, Office.id.in_(seen)))
        .order_by(Office.name, Office.id)
    )).all()
    return office_labels(rows, (NO_OFFICE, TOTAL))


async def _consultations(session: AsyncSession, agency_id: uuid.UUID, period: Period) -> Table:
    cutoff = period.cutoff
    month = month_of(Consultation.created_at, period.year)
    scope = [sa.or_(Consultation.cps_agency_id == agency_id, Consultation.dv_agency_id == agency_id),
             Consultation.created_at >= period.year_start, Consultation.created_at < cutoff]
    responded = count_if(before(Consultation.responded_at, cutoff))
    stmt = (sa.select(Consultation.office_id, month, sa.func.count(), responded)
            .where(*scope).group_by(Consultation.office_id, month))
    found = (await session.execute(stmt)).all()
    labels = await _office_labels(session, agency_id, {row[0] for row in found})
    groups = list(labels.values())
    rows = monthly(CONSULTATION_COUNTS, found, groups, labels.get)
    counts = YearCounts(groups, CONSULTATION_COUNTS, rows, added(rows, CONSULTATION_COUNTS), additive=True)
    timed = (sa.select(Consultation.office_id, month, Consultation.created_at, Consultation.responded_at)
             .where(*scope, before(Consultation.responded_at, cutoff)))
    durations = new_durations()
    for office_id, m, created_at, responded_at in (await session.execute(timed)).all():
        value = hours(created_at, responded_at)
        assert value is not None
        durations[labels[office_id]]["hours_to_respond"].append((int(m), value))
        durations[TOTAL]["hours_to_respond"].append((int(m), value))

    def extra(group: str, c: dict[str, int], cells: dict[str, Cell]) -> None:
        cells.update(stat_cells(durations.get(group, {}), "hours_to_respond", period.months))

    return table_at(suppress_year(counts), period.node, CONSULTATION_COUNTS + CONSULTATION_STATS, extra, [])


# ------------------------------------------------------------------ checklists and junctures


async def _checklists(session: AsyncSession, agency_id: uuid.UUID, period: Period) -> Table:
    groups = [j.value for j in Juncture]
    cutoff = period.cutoff
    month = month_of(Checklist.created_at, period.year)
    completed = sa.and_(Checklist.status == "completed",
                        sa.or_(Checklist.completed_at.is_(None), Checklist.completed_at < cutoff))
    started = (sa.select(Checklist.juncture, month, sa.func.count(), count_if(completed))
               .where(Checklist.agency_id == agency_id, Checklist.created_at >= period.year_start,
                      Checklist.created_at < cutoff)
               .group_by(Checklist.juncture, month))
    rows = monthly(["checklists_started", "checklists_completed"], (await session.execute(started)).all(), groups)
    recorded_month = month_of(JunctureRecord.recorded_at, period.year)
    recorded = (sa.select(JunctureRecord.juncture, recorded_month, sa.func.count(),
                          count_if(JunctureRecord.overridden))
                .where(JunctureRecord.agency_id == agency_id, JunctureRecord.recorded_at >= period.year_start,
                       JunctureRecord.recorded_at < cutoff)
                .group_by(JunctureRecord.juncture, recorded_month))
    junctures = monthly(["junctures_recorded", "overrides"], (await session.execute(recorded)).all(), groups)
    for g in groups:
        rows[g].update(junctures[g])
    counts = YearCounts(groups, CHECKLIST_COUNTS, rows, added(rows, CHECKLIST_COUNTS), additive=True)

    def extra(group: str, c: dict[str, int], cells: dict[str, Cell]) -> None:
        cells["completion_rate"] = rate_cell(c["checklists_completed"], c["checklists_started"],
                                             (cells["checklists_completed"], cells["checklists_started"]))

    return table_at(suppress_year(counts), period.node, CHECKLIST_COUNTS + CHECKLIST_STATS, extra, [])


# ------------------------------------------------------------------ the report

SECTIONS = ("referrals", "referrals_by_race_ethnicity", "consultations_by_office", "checklists_by_juncture",
            "family_side_by_race_ethnicity")


async def collaboration(
    session: AsyncSession, principal: Principal, period: Period | None
) -> tuple[dict[str, Any], dict[str, Table]]:
    """The report's header fields and its tables (by section name) for one period, each suppressed over the
    period's whole year; the read is audited."""
    agency_id = access.report_agency_id(principal)
    period = reportable(period or default_period(utcnow()), utcnow())
    tables = {
        "referrals": await _referrals(session, agency_id, period),
        "referrals_by_race_ethnicity": await _referrals_by_race(session, agency_id, period),
        "consultations_by_office": await _consultations(session, agency_id, period),
        "checklists_by_juncture": await _checklists(session, agency_id, period),
        "family_side_by_race_ethnicity": await family_side(session, agency_id, period),
    }
    await record(session, principal, "report.read", "report", "collaboration", agency_id=agency_id)
    header = {"report": "collaboration", "period": str(period), "from": period.start, "to": period.end,
              "as_of": period.cutoff, "threshold": THRESHOLD, "notes": NOTES}
    return header, tables
