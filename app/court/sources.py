"""The `court` category for the disclosure rule: a court event is a case record, so a person's `court` data is
the court events of the person's case held by the person's own agency, with the next hearing picked out. The
rule has already decided; this only reads."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.cases.models import Person
from app.consent.disclosures import Sourced, register_category_source
from app.core.clock import utcnow
from app.core.types import json_ready
from app.core.vocab import DataCategory
from app.court.models import CourtEvent
from app.court.service import event_fields, findings_of

_NOT_RELEASED = ("agency_id", "case_id", "created_at", "updated_at")

# Built once; the case and its agency are bound at each read.
_EVENTS = (sa.select(CourtEvent)
           .where(CourtEvent.case_id == sa.bindparam("case_id"), CourtEvent.agency_id == sa.bindparam("agency_id"))
           .order_by(CourtEvent.scheduled_for, CourtEvent.id))




async def court(session: AsyncSession, person: Person, payload: dict[str, Any]) -> Sourced | None:
    """{"events": [{id, court_case_number, court_kind, kind, scheduled_for, courtroom, outcome, outcome_details,
    findings, attorneys, guardian_ad_litem}, ...] (by date), "next_hearing": the first event scheduled from now
    on that was not cancelled, or null}; None when the case has no court event on file."""
    rows = (await session.execute(_EVENTS, {"case_id": person.case_id, "agency_id": person.agency_id})
            ).scalars().all()
    if not rows:
        return None
    findings = await findings_of(session, [e.id for e in rows])
    events = [{k: json_ready(v) for k, v in event_fields(e, findings[e.id]).items() if k not in _NOT_RELEASED}
              for e in rows]
    now = utcnow()
    upcoming = [ev for e, ev in zip(rows, events, strict=True)
                if e.scheduled_for >= now and e.outcome not in ("cancelled", "dismissed")]
    as_of = max(e.updated_at or e.created_at for e in rows)
    return Sourced({"events": events, "next_hearing": upcoming[0] if upcoming else None}, as_of)


def register() -> None:
    register_category_source(DataCategory.court, court)
