"""Rules for assessments: filed under a person of a case; the result level must be one the instrument takes; a
predominant-aggressor determination names a person of the same case. A named assessor and the basis of a
determination are sealed at rest. Every change is audited and announced to the owning agency's webhooks (ids
only)."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.assessments import access
from app.assessments.models import ASSESSMENT_SEALED, Assessment, assessment_aad
from app.assessments.schemas import RESULT_LEVELS, AssessmentCreate, AssessmentUpdate, Instrument, ResultLevel
from app.auth.principal import Principal
from app.cases.models import Person
from app.cases.service import get_person_for_owner
from app.core.clock import utcnow
from app.core.crypto import decrypt_json, encrypt_json
from app.core.db import one_or_404
from app.core.errors import Invalid
from app.core.pagination import PageParams, paginate
from app.outbox.events import emit
from app.trail.recorder import record


def _seal(assessment: Assessment, field: str, value: Any) -> None:
    setattr(assessment, ASSESSMENT_SEALED[field], encrypt_json(value, assessment_aad(assessment.id, field),
                                                                       owner=assessment.agency_id))


def _unseal(assessment: Assessment, field: str) -> Any:
    return decrypt_json(getattr(assessment, ASSESSMENT_SEALED[field]), assessment_aad(assessment.id, field))


async def _check(session: AsyncSession, a: Assessment, basis: str | None) -> None:
    """The whole record holds together: a level its instrument takes, administered by now, and a determined
    person (of the same case) exactly for a determined predominant-aggressor determination."""
    instrument = Instrument(a.instrument)
    allowed = RESULT_LEVELS[instrument]
    if ResultLevel(a.result_level) not in allowed:
        raise Invalid(f"{instrument.value} takes a result_level of: {', '.join(allowed)}.",
                      loc=["body", "result_level"], type="result_level_not_for_instrument")
    if a.administered_at > utcnow():
        raise Invalid("administered_at cannot be in the future.", loc=["body", "administered_at"])
    determination = instrument is Instrument.predominant_aggressor
    if not determination and (a.determined_person_id is not None or basis is not None):
        name = "determined_person_id" if a.determined_person_id is not None else "basis"
        raise Invalid(f"{name} is only for a predominant_aggressor determination.", loc=["body", name])
    determined = determination and a.result_level == ResultLevel.determined.value
    if determined and a.determined_person_id is None:
        raise Invalid("A determined predominant aggressor names determined_person_id.",
                      loc=["body", "determined_person_id"])
    if not determined and a.determined_person_id is not None:
        raise Invalid("determined_person_id is only for a result_level of determined.",
                      loc=["body", "determined_person_id"])
    if a.determined_person_id is not None:
        found = await session.execute(sa.select(Person.id).where(
            Person.id == a.determined_person_id, Person.case_id == a.case_id))
        if found.first() is None:
            raise Invalid("The determined person must be a person of the same case.",
                          loc=["body", "determined_person_id"], type="person_not_in_case")


async def create_assessment(
    session: AsyncSession, principal: Principal, person_id: uuid.UUID, data: AssessmentCreate
) -> Assessment:
    """An assessment filed under a person the caller may see; it belongs to the person's agency."""
    person = await get_person_for_owner(session, principal, person_id)
    a = Assessment(agency_id=person.agency_id, case_id=person.case_id, person_id=person.id,
                   instrument=data.instrument.value, administered_at=data.administered_at,
                   result_level=data.result_level.value, determined_person_id=data.determined_person_id,
                   recorded_by=principal.user_id, created_by=principal.ref)
    await _check(session, a, data.basis)
    _seal(a, "assessor_name", data.assessor_name)
    _seal(a, "basis", data.basis)
    session.add(a)
    await session.flush()
    await _announce(session, principal, a, "create")
    return a


async def _announce(session: AsyncSession, principal: Principal, a: Assessment, change: str) -> None:
    await record(session, principal, f"assessment.{change}", "assessment", a.id, agency_id=a.agency_id)
    await emit(session, f"assessment.{change}d", [a.agency_id],
               {"assessment_id": str(a.id), "case_id": str(a.case_id), "person_id": str(a.person_id)})


async def get_assessment(session: AsyncSession, principal: Principal, assessment_id: uuid.UUID) -> Assessment:
    """The assessment if the caller may see its case, else 404."""
    return await one_or_404(session, sa.select(Assessment).where(
        Assessment.id == assessment_id, access.assessment_visible_clause(principal)), "assessment")


async def list_assessments(
    session: AsyncSession, principal: Principal, person_id: uuid.UUID, page: PageParams
) -> tuple[list[Assessment], str | None]:
    """The assessments filed under a person, newest first."""
    person = await get_person_for_owner(session, principal, person_id)
    return await paginate(session, sa.select(Assessment).where(
        Assessment.person_id == person.id, access.assessment_visible_clause(principal)), Assessment, page)


async def update_assessment(
    session: AsyncSession, principal: Principal, a: Assessment, data: AssessmentUpdate
) -> dict[str, Any]:
    """Change the fields sent (found and If-Match checked by the loader); answers the assessment read."""
    fields = data.model_dump(exclude_unset=True)
    for name in ("instrument", "result_level"):
        if name in fields:
            setattr(a, name, getattr(data, name).value)
    for name in ("administered_at", "determined_person_id"):
        if name in fields:
            setattr(a, name, getattr(data, name))
    basis = data.basis if "basis" in fields else _unseal(a, "basis")
    await _check(session, a, basis)
    for name in ("assessor_name", "basis"):
        if name in fields:
            _seal(a, name, getattr(data, name))
    a.updated_at = utcnow()
    await session.flush()
    await _announce(session, principal, a, "update")
    return assessment_read(a)


async def read_assessment(session: AsyncSession, principal: Principal, a: Assessment) -> dict[str, Any]:
    """The full assessment (found by the loader) as its staff read it; every read is audited."""
    await record(session, principal, "assessment.read", "assessment", a.id, agency_id=a.agency_id)
    return assessment_read(a)


def assessment_read(a: Assessment) -> dict[str, Any]:
    """The full assessment (decrypted), shaped as AssessmentRead."""
    return {
        "id": a.id, "agency_id": a.agency_id, "case_id": a.case_id, "person_id": a.person_id,
        "instrument": a.instrument, "administered_at": a.administered_at, "result_level": a.result_level,
        "assessor_name": _unseal(a, "assessor_name"), "recorded_by": a.recorded_by,
        "determined_person_id": a.determined_person_id, "basis": _unseal(a, "basis"),
        "created_at": a.created_at, "updated_at": a.updated_at,
    }
