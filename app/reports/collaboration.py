"""The collaboration report for the caller's agency: referrals it sent and received, referrals by the
race/ethnicity of the people named, consultations per office, and checklists and overrides by juncture.

Counts are taken inside the database with GROUP BY; response times are computed from the timestamps of the
caller's agency's own referrals and consultations (never a row per person or case in the answer)."""

from __future__ import annotations

from collections import defaultdict
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
from app.referrals.models import Referral, ReferralPerson
from app.referrals.service import AWAITING_ANSWER
from app.reports import access
from app.reports.common import (
    NOT_RECORDED,
    RACE_GROUPS,
    RACE_NOTE,
    RACE_ROLES,
    hours,
    json_empty,
    json_values,
    office_labels,
    window,
)
from app.reports.suppression import THRESHOLD, Cell, rate_cell, statistic_cell, suppress_columns
from app.reports.tables import TOTAL, Table
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
    "Referrals are those sent in [from, to) by or to the agency; 'overdue' counts those still unanswered "
    "past their respond-by time now (as_of). acceptance_rate = accepted / (accepted + declined). Hours are "
    "measured from sending.",
    "Consultations are those opened in [from, to) at or by the agency; hours to respond run from opening to "
    "the advocate's answer.",
    "Checklists are the agency's checklists started in [from, to); junctures and overrides are juncture "
    "records made in [from, to).",
    f"Counts under {THRESHOLD} are suppressed (null, suppressed=true), and further cells are suppressed where "
    f"a total would reveal one. Rates, medians and 90th percentiles from fewer than {THRESHOLD} items, and "
    "rates that would give a suppressed count back, are suppressed too.",
]


def _grouped(subq: Any, key: str, measures: list[Any]) -> Any:
    """GROUP BY on a subquery's column (so a computed key is written once)."""
    col = subq.c[key]
    return sa.select(col, *measures).group_by(col)


def _counts(columns: list[str], values: Any) -> dict[str, int]:
    return {c: int(v or 0) for c, v in zip(columns, values, strict=True)}


def _stat_cells(durations: dict[str, list[float]], prefix: str) -> dict[str, Cell]:
    values = durations.get(prefix, [])
    return {f"{prefix}_median": statistic_cell(values, 0.5), f"{prefix}_p90": statistic_cell(values, 0.9)}


# ------------------------------------------------------------------ referrals


def _referral_flags(now: datetime) -> list[Any]:
    overdue = sa.and_(Referral.status.in_(AWAITING_ANSWER), Referral.respond_by.is_not(None),
                      Referral.respond_by < now)
    return [Referral.accepted_at.is_not(None).label("is_accepted"),
            Referral.declined_at.is_not(None).label("is_declined"),
            overdue.label("is_overdue")]


def _referral_measures(subq: Any) -> list[Any]:
    def n(col: Any) -> Any:
        return sa.func.coalesce(sa.func.sum(sa.case((col, 1), else_=0)), 0)

    return [sa.func.count(), n(subq.c.is_accepted), n(subq.c.is_declined), n(subq.c.is_overdue)]


def _referral_durations(rows: Any) -> dict[str, dict[str, list[float]]]:
    """group -> {"hours_to_acknowledge": [...], "hours_to_accept": [...]}; TOTAL gathers every row once."""
    out: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    seen: set[Any] = set()
    for ref_id, group, sent_at, ack_at, acc_at in rows:
        first = ref_id not in seen
        seen.add(ref_id)
        for name, value in (("hours_to_acknowledge", hours(sent_at, ack_at)),
                            ("hours_to_accept", hours(sent_at, acc_at))):
            if value is not None:
                out[group][name].append(value)
                if first:
                    out[TOTAL][name].append(value)
    return out


def _referral_table(
    groups: list[str], counts: dict[str, dict[str, int]], total: dict[str, int] | None,
    durations: dict[str, dict[str, list[float]]], notes: list[str],
) -> Table:
    rows, total_cells = suppress_columns([counts[g] for g in groups], total, REFERRAL_COUNTS)
    labelled = list(zip(groups, rows, strict=True)) + ([(TOTAL, total_cells)] if total_cells is not None else [])
    for group, cells in labelled:
        c = total if group == TOTAL else counts[group]
        assert c is not None
        cells["acceptance_rate"] = rate_cell(c["accepted"], c["accepted"] + c["declined"],
                                             (cells["accepted"], cells["declined"]))
        cells.update(_stat_cells(durations.get(group, {}), "hours_to_acknowledge"))
        cells.update(_stat_cells(durations.get(group, {}), "hours_to_accept"))
    return Table(REFERRAL_COUNTS + REFERRAL_STATS, list(zip(groups, rows, strict=True)), total_cells, notes)


async def _referrals(
    session: AsyncSession, agency_id: Any, start: datetime, end: datetime, now: datetime
) -> Table:
    direction = sa.case((Referral.from_agency_id == agency_id, "sent"), else_="received")
    scope = [sa.or_(Referral.from_agency_id == agency_id, Referral.to_agency_id == agency_id),
             Referral.sent_at.is_not(None), Referral.sent_at >= start, Referral.sent_at < end]
    subq = sa.select(direction.label("grp"), *_referral_flags(now)).where(*scope).subquery("r")
    counts = {d: dict.fromkeys(REFERRAL_COUNTS, 0) for d in DIRECTIONS}
    for grp, *values in (await session.execute(_grouped(subq, "grp", _referral_measures(subq)))).all():
        counts[grp] = _counts(REFERRAL_COUNTS, values)
    total = {c: sum(counts[d][c] for d in DIRECTIONS) for c in REFERRAL_COUNTS}
    timed = (sa.select(Referral.id, direction, Referral.sent_at, Referral.acknowledged_at, Referral.accepted_at)
             .where(*scope, sa.or_(Referral.acknowledged_at.is_not(None), Referral.accepted_at.is_not(None))))
    durations = _referral_durations((await session.execute(timed)).all())
    return _referral_table(DIRECTIONS, counts, total, durations, [])


async def _referrals_by_race(
    session: AsyncSession, agency_id: Any, start: datetime, end: datetime, now: datetime
) -> Table:
    """Referrals the agency sent, by the categories of the survivors and children it named in them (people
    the agency itself recorded)."""
    values = json_values(session, Person.race_ethnicity)
    def named(*columns: Any) -> Any:
        return (sa.select(ReferralPerson.referral_id.label("referral_id"), *columns).select_from(ReferralPerson)
                .join(Person, Person.id == ReferralPerson.person_id)
                .where(Person.agency_id == agency_id, Person.case_role.in_(RACE_ROLES)))

    listed = named(values.c.value.label("category")).join(values, sa.true())
    unlisted = named(sa.literal(NOT_RECORDED).label("category")).where(json_empty(Person.race_ethnicity))
    cats = sa.union(listed, unlisted).subquery("referral_categories")
    scope = [Referral.from_agency_id == agency_id, Referral.sent_at.is_not(None), Referral.sent_at >= start,
             Referral.sent_at < end]
    subq = (sa.select(cats.c.category.label("grp"), *_referral_flags(now))
            .select_from(cats.join(Referral, Referral.id == cats.c.referral_id)).where(*scope).subquery("r"))
    counts = {g: dict.fromkeys(REFERRAL_COUNTS, 0) for g in RACE_GROUPS}
    for grp, *vals in (await session.execute(_grouped(subq, "grp", _referral_measures(subq)))).all():
        if grp in counts:
            counts[grp] = _counts(REFERRAL_COUNTS, vals)
    timed = (sa.select(Referral.id, cats.c.category, Referral.sent_at, Referral.acknowledged_at,
                       Referral.accepted_at)
             .select_from(cats.join(Referral, Referral.id == cats.c.referral_id))
             .where(*scope, sa.or_(Referral.acknowledged_at.is_not(None), Referral.accepted_at.is_not(None))))
    durations = _referral_durations((await session.execute(timed)).all())
    notes = [RACE_NOTE, "These are the referrals the agency sent (the 'sent' row of the referrals table is their "
             "total); categories are those of the adult survivors and children it named in them."]
    return _referral_table(RACE_GROUPS, counts, None, durations, notes)


# ------------------------------------------------------------------ consultations


async def _office_labels(session: AsyncSession, agency_id: Any, seen: set[Any]) -> dict[Any, str]:
    rows = (await session.execute(
        sa.select(Office.id, Office.name).where(sa.or_(Office.agency_id == agency_id, Office.id.in_(seen)))
        .order_by(Office.name, Office.id)
    )).all()
    return office_labels(rows, (NO_OFFICE, TOTAL))


async def _consultations(session: AsyncSession, agency_id: Any, start: datetime, end: datetime) -> Table:
    scope = [sa.or_(Consultation.cps_agency_id == agency_id, Consultation.dv_agency_id == agency_id),
             Consultation.created_at >= start, Consultation.created_at < end]
    stmt = (sa.select(Consultation.office_id, sa.func.count(), sa.func.count(Consultation.responded_at))
            .where(*scope).group_by(Consultation.office_id))
    found = {office_id: _counts(CONSULTATION_COUNTS, vals)
             for office_id, *vals in (await session.execute(stmt)).all()}
    labels = await _office_labels(session, agency_id, set(found))
    groups = list(labels.values())
    counts = {g: dict.fromkeys(CONSULTATION_COUNTS, 0) for g in groups}
    for office_id, c in found.items():
        counts[labels[office_id]] = c
    timed = (sa.select(Consultation.office_id, Consultation.created_at, Consultation.responded_at)
             .where(*scope, Consultation.responded_at.is_not(None)))
    durations: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for office_id, created_at, responded_at in (await session.execute(timed)).all():
        value = hours(created_at, responded_at)
        assert value is not None
        durations[labels[office_id]]["hours_to_respond"].append(value)
        durations[TOTAL]["hours_to_respond"].append(value)
    total = {c: sum(counts[g][c] for g in groups) for c in CONSULTATION_COUNTS}
    rows, total_cells = suppress_columns([counts[g] for g in groups], total, CONSULTATION_COUNTS)
    assert total_cells is not None
    for group, cells in [*zip(groups, rows, strict=True), (TOTAL, total_cells)]:
        cells.update(_stat_cells(durations.get(group, {}), "hours_to_respond"))
    return Table(CONSULTATION_COUNTS + CONSULTATION_STATS, list(zip(groups, rows, strict=True)), total_cells)


# ------------------------------------------------------------------ checklists and junctures


async def _checklists(session: AsyncSession, agency_id: Any, start: datetime, end: datetime) -> Table:
    groups = [j.value for j in Juncture]
    counts = {g: dict.fromkeys(CHECKLIST_COUNTS, 0) for g in groups}
    started = (sa.select(Checklist.juncture, sa.func.count(),
                         sa.func.coalesce(sa.func.sum(sa.case((Checklist.status == "completed", 1), else_=0)), 0))
               .where(Checklist.agency_id == agency_id, Checklist.created_at >= start, Checklist.created_at < end)
               .group_by(Checklist.juncture))
    for juncture, n, done in (await session.execute(started)).all():
        if juncture in counts:
            counts[juncture].update(checklists_started=int(n), checklists_completed=int(done or 0))
    recorded = (sa.select(JunctureRecord.juncture, sa.func.count(),
                          sa.func.coalesce(sa.func.sum(sa.case((JunctureRecord.overridden, 1), else_=0)), 0))
                .where(JunctureRecord.agency_id == agency_id, JunctureRecord.recorded_at >= start,
                       JunctureRecord.recorded_at < end)
                .group_by(JunctureRecord.juncture))
    for juncture, n, overridden in (await session.execute(recorded)).all():
        if juncture in counts:
            counts[juncture].update(junctures_recorded=int(n), overrides=int(overridden or 0))
    total = {c: sum(counts[g][c] for g in groups) for c in CHECKLIST_COUNTS}
    rows, total_cells = suppress_columns([counts[g] for g in groups], total, CHECKLIST_COUNTS)
    assert total_cells is not None
    for group, cells in [*zip(groups, rows, strict=True), (TOTAL, total_cells)]:
        c = total if group == TOTAL else counts[group]
        cells["completion_rate"] = rate_cell(c["checklists_completed"], c["checklists_started"],
                                             (cells["checklists_completed"], cells["checklists_started"]))
    return Table(CHECKLIST_COUNTS + CHECKLIST_STATS, list(zip(groups, rows, strict=True)), total_cells)


# ------------------------------------------------------------------ the report

SECTIONS = ("referrals", "referrals_by_race_ethnicity", "consultations_by_office", "checklists_by_juncture")


async def collaboration(
    session: AsyncSession, principal: Principal, start: datetime | None, end: datetime | None
) -> tuple[dict[str, Any], dict[str, Table]]:
    """The report's header fields and its tables (by section name); the read is audited."""
    agency_id = access.report_agency_id(principal)
    start, end = window(start, end)
    now = utcnow()
    tables = {
        "referrals": await _referrals(session, agency_id, start, end, now),
        "referrals_by_race_ethnicity": await _referrals_by_race(session, agency_id, start, end, now),
        "consultations_by_office": await _consultations(session, agency_id, start, end),
        "checklists_by_juncture": await _checklists(session, agency_id, start, end),
    }
    await record(session, principal, "report.read", "report", "collaboration", agency_id=agency_id)
    header = {"report": "collaboration", "from": start, "to": end, "as_of": now, "threshold": THRESHOLD,
              "notes": NOTES}
    return header, tables
