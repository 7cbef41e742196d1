"""Junctures of a case (a removal, a court hearing...) and the completed checklist that gates recording one.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.cases import access as cases_access
from app.checklists import access as checklists_access
from app.checklists.defaults import Juncture
from app.checklists.models import (
    Checklist,
    JunctureRecord,
    override_reason_aad,
)
from app.checklists.schemas import (
    JunctureCreate,
)
from app.core.clock import utcnow
from app.core.config import get_settings
from app.core.crypto import decrypt_json, encrypt_json
from app.core.errors import Conflict, Invalid, NotFound
from app.core.pagination import PageParams, paginate
from app.outbox.events import emit
from app.referrals import access as referrals_access
from app.trail.recorder import record


async def current_checklist(session: AsyncSession, case_id: uuid.UUID, juncture: str, now: datetime) -> Checklist | None:
    """The newest checklist of the juncture completed on the case within checklist_valid_days (the gate of
    recording the juncture, and of closing the case for `closure`)."""
    since = now - timedelta(days=get_settings().checklist_valid_days)
    return (await session.execute(
        sa.select(Checklist).where(Checklist.case_id == case_id, Checklist.juncture == juncture,
                                   Checklist.status == "completed", Checklist.completed_at >= since)
        .order_by(Checklist.completed_at.desc()).limit(1))).scalar_one_or_none()


async def record_juncture(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, data: JunctureCreate
) -> JunctureRecord:
    """409 unless a checklist for the juncture was completed on the case within checklist_valid_days; a
    supervisor may record it anyway with an override_reason (a worker's override is 403)."""
    case = await cases_access.get_visible_case(session, principal, case_id)
    if data.safety_factors and data.juncture is not Juncture.removal:
        raise Invalid("Only a removal records safety factors.", loc=["body", "safety_factors"],
                      type="factors_for_removal_only")
    if data.override_reason is not None:
        checklists_access.ensure_may_override_juncture(principal)
    now = utcnow()
    checklist = await current_checklist(session, case.id, data.juncture.value, now)
    overridden = checklist is None
    if overridden and data.override_reason is None:
        raise Conflict(f"No checklist for {data.juncture.value} was completed on this case in the last "
                       f"{get_settings().checklist_valid_days} days.", title="Safety checklist not completed",
                       juncture=data.juncture.value)
    rec = JunctureRecord(case_id=case.id, agency_id=case.agency_id, juncture=data.juncture.value,
                         scheduled_for=data.scheduled_for, safety_factors=[f.value for f in data.safety_factors],
                         checklist_id=checklist.id if checklist else None,
                         overridden=overridden, recorded_by=str(principal.id), recorded_at=now)
    if overridden:
        rec.override_reason_enc = encrypt_json(data.override_reason, override_reason_aad(rec.id),
                                               owner=rec.agency_id)
    session.add(rec)
    await session.flush()
    await record(session, principal, "juncture.record", "juncture_record", rec.id, agency_id=case.agency_id)
    if overridden:
        await record(session, principal, "juncture.override", "juncture_record", rec.id, agency_id=case.agency_id)
    # The advocates linked to the case are told (the task inbox listens to this event).
    linked = await referrals_access.linked_advocates(session, case.id)
    await emit(session, "juncture.scheduled", [case.agency_id, *(agency for _, agency in linked)],
               {"juncture_id": str(rec.id), "case_id": str(case.id),
                "at": rec.scheduled_for.isoformat() if rec.scheduled_for else None})  # type: ignore[dict-item]
    return rec


async def list_junctures(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, page: PageParams
) -> tuple[list[JunctureRecord], str | None]:
    case = await cases_access.get_visible_case(session, principal, case_id)
    return await paginate(session, sa.select(JunctureRecord).where(JunctureRecord.case_id == case.id),
                          JunctureRecord, page)


async def get_juncture(session: AsyncSession, principal: Principal, juncture_id: uuid.UUID) -> JunctureRecord:
    """A recorded juncture on a case the caller may see (404 otherwise)."""
    rec = (await session.execute(
        sa.select(JunctureRecord).where(JunctureRecord.id == juncture_id,
                                        cases_access.case_scoped_clause(principal, JunctureRecord.case_id))
    )).scalar_one_or_none()
    if rec is None:
        raise NotFound("juncture record")
    return rec


def juncture_read(r: JunctureRecord) -> dict[str, Any]:
    return {"id": r.id, "case_id": r.case_id, "agency_id": r.agency_id, "juncture": r.juncture,
            "scheduled_for": r.scheduled_for, "safety_factors": list(r.safety_factors or []),
            "checklist_id": r.checklist_id, "overridden": r.overridden,
            "override_reason": decrypt_json(r.override_reason_enc, override_reason_aad(r.id)),
            "recorded_by": r.recorded_by, "recorded_at": r.recorded_at}
