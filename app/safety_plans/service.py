"""Rules of the safety-plan summary: read it, replace it (PUT, If-Match once it exists), and render it."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.cases.models import Person
from app.cases.service import get_person_for_owner
from app.core.clock import today, utcnow
from app.core.crypto import decrypt_json, encrypt_json
from app.core.errors import Invalid, NotFound
from app.core.http import check_put_precondition
from app.outbox.events import emit
from app.safety_plans import access
from app.safety_plans.models import SafetyPlanSummary, element_texts_aad
from app.safety_plans.schemas import SafetyPlanSummaryPut
from app.trail.recorder import record


async def _summary_of(session: AsyncSession, principal: Principal, person: Person) -> SafetyPlanSummary | None:
    return (await session.execute(sa.select(SafetyPlanSummary).where(
        SafetyPlanSummary.person_id == person.id, access.summary_visible_clause(principal)))).scalar_one_or_none()


async def _person(session: AsyncSession, principal: Principal, person_id: uuid.UUID) -> Person:
    """The person (404 unless the caller sees their case), once the caller may hold safety plans (403)."""
    person = await get_person_for_owner(session, principal, person_id)
    access.ensure_may_hold_safety_plans(principal)
    return person


async def get_summary(session: AsyncSession, principal: Principal, person_id: uuid.UUID) -> SafetyPlanSummary:
    """The person's summary (404 when none is on file)."""
    found = await _summary_of(session, principal, await _person(session, principal, person_id))
    if found is None:
        raise NotFound("safety-plan summary")
    return found


def element_texts(row: SafetyPlanSummary) -> dict[str, str]:
    texts = decrypt_json(row.element_texts_enc, element_texts_aad(row.id))
    return dict(texts) if texts else {}


def summary_read(row: SafetyPlanSummary) -> dict[str, Any]:
    """The summary as its holder reads it (texts unsealed), shaped as SafetyPlanSummaryRead."""
    texts = element_texts(row)
    return {
        "id": row.id, "person_id": row.person_id, "case_id": row.case_id, "agency_id": row.agency_id,
        "exists": row.plan_exists, "last_reviewed_on": row.last_reviewed_on,
        "elements": [{"key": e["key"], "text": texts.get(e["key"], ""), "shareable": e["shareable"]}
                     for e in row.elements],
        "created_at": row.created_at, "updated_at": row.updated_at,
    }


async def put_summary(
    session: AsyncSession, principal: Principal, person_id: uuid.UUID, data: SafetyPlanSummaryPut,
    if_match: str | None,
) -> tuple[SafetyPlanSummary, dict[str, Any], bool]:
    """Replace the person's summary (or create it): returns (summary, its rendering, created)."""
    person = await _person(session, principal, person_id)
    existing = await _summary_of(session, principal, person)
    check_put_precondition(if_match, existing)
    if data.last_reviewed_on is not None and data.last_reviewed_on > today():
        raise Invalid("last_reviewed_on cannot be in the future.", loc=["body", "last_reviewed_on"])
    row = existing or SafetyPlanSummary(person_id=person.id, case_id=person.case_id, agency_id=person.agency_id,
                                        plan_exists=data.exists, created_by=principal.user_id)
    row.plan_exists = data.exists
    row.last_reviewed_on = data.last_reviewed_on
    row.elements = [{"key": e.key.value, "shareable": e.shareable} for e in data.elements]
    row.element_texts_enc = encrypt_json({e.key.value: e.text for e in data.elements} or None,
                                         element_texts_aad(row.id), owner=row.agency_id)
    row.updated_by = principal.user_id
    if existing is not None:
        row.updated_at = utcnow()
    session.add(row)
    await session.flush()
    action, event = ("update", "updated") if existing is not None else ("create", "created")
    await record(session, principal, f"safety_plan_summary.{action}", "safety_plan_summary", row.id,
                 agency_id=row.agency_id)
    await emit(session, f"safety_plan_summary.{event}", [row.agency_id],
               {"safety_plan_summary_id": str(row.id), "person_id": str(row.person_id)})
    return row, summary_read(row), existing is None
