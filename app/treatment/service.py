"""Rules for treatment participation (substance use, mental health): record, read, change and list.

Codes and dates only: there is no field for clinical notes. A record's `domain` names the data category it is
released under and never changes. Reads are audited (treatment.read), as these are the most sensitive records.
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.cases.service import get_person_for_owner
from app.core.clock import utcnow
from app.core.db import one_or_404
from app.core.errors import Invalid
from app.core.pagination import PageParams, paginate
from app.outbox.events import emit
from app.trail.recorder import record
from app.treatment import access
from app.treatment.models import Treatment
from app.treatment.schemas import ONLY_IN, ProgramKind, TreatmentCreate, TreatmentDomain, TreatmentUpdate


def _problems(state: dict[str, Any], given: set[str]) -> list[dict[str, Any]]:
    """Everything wrong with a record's state after a create or an update (`given`: the fields sent)."""
    errors = []
    kind = ProgramKind(state["program_kind"])
    if kind in ONLY_IN and ONLY_IN[kind] != state["domain"]:
        errors.append({"loc": ["body", "program_kind"], "type": "program_kind_not_in_domain",
                       "msg": f"{kind.value} is a {ONLY_IN[kind].value} program."})
    start, end = state["started_on"], state["ended_on"]
    if start is not None and end is not None and end < start:
        field = "ended_on" if "ended_on" in given or "started_on" not in given else "started_on"
        errors.append({"loc": ["body", field], "type": "dates_out_of_order",
                       "msg": "ended_on may not be before started_on."})
    return errors


def _ids(row: Treatment) -> dict[str, str]:
    return {"treatment_id": str(row.id), "person_id": str(row.person_id), "case_id": str(row.case_id)}


async def create_treatment(
    session: AsyncSession, principal: Principal, person_id: uuid.UUID, data: TreatmentCreate
) -> Treatment:
    """Record treatment participation of a person the caller may see (404 otherwise); 422 names each problem."""
    person = await get_person_for_owner(session, principal, person_id)
    state = data.model_dump()
    errors = _problems(state, set(state))
    if errors:
        raise Invalid("The treatment record has invalid elements; see errors.", errors=errors)
    row = Treatment(agency_id=person.agency_id, case_id=person.case_id, person_id=person.id,
                    domain=data.domain.value, program_kind=data.program_kind.value, status=data.status.value,
                    started_on=data.started_on, ended_on=data.ended_on, created_by=principal.ref)
    session.add(row)
    await session.flush()
    await record(session, principal, "treatment.create", "treatment", row.id, agency_id=row.agency_id)
    await emit(session, "treatment.created", [row.agency_id], _ids(row))
    return row


async def get_treatment(session: AsyncSession, principal: Principal, treatment_id: uuid.UUID) -> Treatment:
    """The record if the caller may see its case, else 404."""
    return await one_or_404(session, sa.select(Treatment).where(
        Treatment.id == treatment_id, access.treatment_visible_clause(principal)), "treatment record")


async def list_treatment(
    session: AsyncSession, principal: Principal, person_id: uuid.UUID, page: PageParams, *,
    domain: TreatmentDomain | None = None,
) -> tuple[list[Treatment], str | None]:
    """The person's treatment records, newest first."""
    person = await get_person_for_owner(session, principal, person_id)
    stmt = sa.select(Treatment).where(Treatment.person_id == person.id, access.treatment_visible_clause(principal))
    if domain is not None:
        stmt = stmt.where(Treatment.domain == domain.value)
    return await paginate(session, stmt, Treatment, page)


async def read_treatment(session: AsyncSession, principal: Principal, row: Treatment) -> dict[str, Any]:
    """One record (found by `get_treatment`) as TreatmentDetail; every read is audited."""
    await record(session, principal, "treatment.read", "treatment", row.id, agency_id=row.agency_id)
    return treatment_read(row)


async def update_treatment(
    session: AsyncSession, principal: Principal, row: Treatment, data: TreatmentUpdate
) -> dict[str, Any]:
    """Change the fields sent (If-Match checked by the loader); 422 naming each problem, nothing changed."""
    given = set(data.model_fields_set)
    sent = data.model_dump(include=given)
    state = {"domain": row.domain, "program_kind": row.program_kind, "status": row.status,
             "started_on": row.started_on, "ended_on": row.ended_on, **sent}
    errors = _problems(state, given)
    if errors:
        raise Invalid("The treatment record has invalid elements; see errors.", errors=errors)
    if "program_kind" in sent:
        row.program_kind = str(state["program_kind"])
    if "status" in sent:
        row.status = str(state["status"])
    if "started_on" in sent:
        row.started_on = state["started_on"]
    if "ended_on" in sent:
        row.ended_on = state["ended_on"]
    row.updated_at = utcnow()
    await session.flush()
    await record(session, principal, "treatment.update", "treatment", row.id, agency_id=row.agency_id)
    await emit(session, "treatment.updated", [row.agency_id], _ids(row))
    return treatment_read(row)


def treatment_read(row: Treatment) -> dict[str, Any]:
    """The record shaped as TreatmentDetail."""
    return {"id": row.id, "agency_id": row.agency_id, "person_id": row.person_id, "case_id": row.case_id,
            "domain": row.domain, "program_kind": row.program_kind, "status": row.status,
            "started_on": row.started_on, "ended_on": row.ended_on, "created_at": row.created_at,
            "updated_at": row.updated_at, "version": row.version}


def release_item(row: Treatment) -> dict[str, Any]:
    """One record as the disclosure rule releases it (JSON-ready)."""
    return {"id": str(row.id), "program_kind": row.program_kind, "status": row.status,
            "started_on": row.started_on.isoformat() if row.started_on else None,
            "ended_on": row.ended_on.isoformat() if row.ended_on else None}
