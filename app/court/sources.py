"""The `court` category for the disclosure rule: a court event is a case record, so a person's `court` data is
the court events of the person's case held by the person's own agency, each with its findings, with the next
hearing picked out. The rule has already decided; this only reads, with one select built once
(`statement_source`: a request reads it with its other category sources in one round trip): the events, each
carrying its findings as one JSON column."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa

from app.cases.models import Person
from app.consent.disclosures import Sourced, register_category_source, statement_source
from app.core.clock import utcnow
from app.core.crypto import decrypt_json
from app.core.sql import JsonRows, Prebuilt
from app.core.types import json_ready
from app.core.vocab import DataCategory
from app.court.models import CourtEvent, CourtFinding, finding_aad
from app.court.service import event_fields

_NOT_RELEASED = ("agency_id", "case_id", "created_at", "updated_at")


# Built once; the case and its agency are bound at each read. Each event carries its findings (`findings`: a
# JSON array of [id, code, against_person_id, details_enc, position], put in order of position when read).
_EVENT = CourtEvent.__table__
_FINDINGS = (sa.select(JsonRows(CourtFinding.id, CourtFinding.code, CourtFinding.against_person_id,
                                CourtFinding.details_enc, CourtFinding.position))
             .where(CourtFinding.court_event_id == _EVENT.c.id).correlate(_EVENT).scalar_subquery())
_EVENTS = Prebuilt(
    sa.select(*_EVENT.c, _FINDINGS.label("findings"))
    .where(_EVENT.c.case_id == sa.bindparam("case_id"), _EVENT.c.agency_id == sa.bindparam("agency_id"))
    .order_by(_EVENT.c.scheduled_for, _EVENT.c.id))


def _findings(carried: list[list[Any]] | None) -> list[dict[str, Any]]:
    """An event's findings from its `findings` column, as `court.service.findings_of` gives them: in their order,
    the person as a UUID, the details unsealed (ids come as JSON strings: hex on SQLite, dashed on PostgreSQL)."""
    out = []
    for finding_id, code, against, details_enc, _ in sorted(carried or [], key=lambda f: f[4]):
        out.append({"code": code, "against_person_id": uuid.UUID(against) if against is not None else None,
                    "details": decrypt_json(details_enc, finding_aad(uuid.UUID(finding_id)))})
    return out


def _court(rows: list[Any], person: Person, payload: dict[str, Any]) -> Sourced | None:
    """{"events": [{id, court_case_number, court_kind, kind, scheduled_for, courtroom, outcome, outcome_details,
    findings, attorneys, guardian_ad_litem}, ...] (by date), "next_hearing": the first event scheduled from now
    on that was not cancelled, or null}; None when the case has no court event on file."""
    if not rows:
        return None
    mine, events = [], []
    for row in rows:
        values = row._asdict()
        findings = _findings(values.pop("findings"))
        # A read-only copy of the row, not in the session (its values are the database's own: not validated
        # again); `event_fields` unseals the sealed parts from its id and sealed columns.
        e = CourtEvent.model_construct(**values)
        mine.append(e)
        events.append({k: json_ready(v) for k, v in event_fields(e, findings).items() if k not in _NOT_RELEASED})
    now = utcnow()
    upcoming = [ev for e, ev in zip(mine, events, strict=True)
                if e.scheduled_for >= now and e.outcome not in ("cancelled", "dismissed")]
    as_of = max(e.updated_at or e.created_at for e in mine)
    return Sourced({"events": events, "next_hearing": upcoming[0] if upcoming else None}, as_of)


court = statement_source(
    DataCategory.court, _EVENTS, lambda person: {"case_id": person.case_id, "agency_id": person.agency_id},
    _court, "court")


def register() -> None:
    register_category_source(DataCategory.court, court)
