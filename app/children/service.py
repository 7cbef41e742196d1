"""Rules of a child's details: read them, replace them (PUT, If-Match once they exist), render them.
The person must be a child (422 otherwise)."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.cases.models import Person
from app.cases.service import get_person_for_owner
from app.children import access
from app.children.models import CHILD_SEALED, ChildDetails, child_details_aad
from app.children.schemas import ChildDetailsPut
from app.core.clock import utcnow
from app.core.crypto import decrypt_json, encrypt_json
from app.core.errors import Invalid, NotFound
from app.core.http import check_put_precondition
from app.core.vocab import CaseRole
from app.outbox.events import emit
from app.trail.recorder import record


async def _child(session: AsyncSession, principal: Principal, person_id: uuid.UUID) -> Person:
    person = await get_person_for_owner(session, principal, person_id)
    if person.case_role != CaseRole.child:
        raise Invalid("Child details are kept for a person whose case role is child.", loc=["path", "person_id"],
                      type="not_a_child")
    return person


async def _details_of(session: AsyncSession, principal: Principal, person: Person) -> ChildDetails | None:
    return (await session.execute(sa.select(ChildDetails).where(
        ChildDetails.person_id == person.id, access.child_details_visible_clause(principal)))).scalar_one_or_none()


async def get_details(session: AsyncSession, principal: Principal, person_id: uuid.UUID) -> ChildDetails:
    found = await _details_of(session, principal, await _child(session, principal, person_id))
    if found is None:
        raise NotFound("child details")
    return found


def _seal(row: ChildDetails, field: str, value: Any) -> None:
    setattr(row, CHILD_SEALED[field], encrypt_json(value, child_details_aad(row.id, field), owner=row.agency_id))


def _unseal(row: ChildDetails, field: str) -> Any:
    return decrypt_json(getattr(row, CHILD_SEALED[field]), child_details_aad(row.id, field))


def details_data(row: ChildDetails) -> dict[str, Any]:
    """The four parts of the record (sealed ones unsealed), JSON-ready; a part not known is None."""
    living = None if row.living_arrangement is None else {
        "kind": row.living_arrangement, "with_whom": list(row.living_with)}
    visitation = None if row.visitation_kind is None else {
        "kind": row.visitation_kind, "supervisor_kind": row.visitation_supervisor,
        "schedule": _unseal(row, "visitation_schedule")}
    needs_text = _unseal(row, "needs_text")
    needs = {"codes": list(row.need_codes), "text": needs_text} if row.need_codes or needs_text else None
    return {"living_arrangement": living, "school": _unseal(row, "school"), "visitation": visitation,
            "needs": needs}


def details_read(row: ChildDetails) -> dict[str, Any]:
    """Shaped as ChildDetailsRead."""
    return {"id": row.id, "person_id": row.person_id, "case_id": row.case_id, "agency_id": row.agency_id,
            **details_data(row), "created_at": row.created_at, "updated_at": row.updated_at}


async def put_details(
    session: AsyncSession, principal: Principal, person_id: uuid.UUID, data: ChildDetailsPut, if_match: str | None,
) -> tuple[ChildDetails, dict[str, Any], bool]:
    """Replace the child's details (or create them): returns (row, its rendering, created)."""
    person = await _child(session, principal, person_id)
    existing = await _details_of(session, principal, person)
    check_put_precondition(if_match, existing)
    row = existing or ChildDetails(person_id=person.id, case_id=person.case_id, agency_id=person.agency_id,
                                   created_by=principal.user_id)
    living, visitation, needs = data.living_arrangement, data.visitation, data.needs
    row.living_arrangement = living.kind.value if living else None
    row.living_with = [r.value for r in living.with_whom] if living else []
    _seal(row, "school", data.school.model_dump(mode="json") if data.school else None)
    row.visitation_kind = visitation.kind.value if visitation else None
    row.visitation_supervisor = visitation.supervisor_kind.value if visitation and visitation.supervisor_kind else None
    _seal(row, "visitation_schedule", visitation.schedule if visitation else None)
    row.need_codes = [c.value for c in needs.codes] if needs else []
    _seal(row, "needs_text", needs.text if needs else None)
    row.updated_by = principal.user_id
    if existing is not None:
        row.updated_at = utcnow()
    session.add(row)
    await session.flush()
    action, event = ("update", "updated") if existing is not None else ("create", "created")
    await record(session, principal, f"child_details.{action}", "child_details", row.id, agency_id=row.agency_id)
    await emit(session, f"child_details.{event}", [row.agency_id],
               {"child_details_id": str(row.id), "person_id": str(row.person_id)})
    return row, details_read(row), existing is None
