"""Rules for cases, the case team and the people in a case (personal fields sealed at rest)."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.cases import access
from app.cases.models import PERSON_SEALED, Case, CaseTeamMember, Person, person_aad
from app.cases.schemas import CaseCreate, CaseStatus, CaseUpdate, PersonCreate, PersonUpdate
from app.core.clock import today, utcnow
from app.core.crypto import decrypt_json, encrypt_json
from app.core.errors import Conflict, Invalid, NotFound
from app.core.pagination import PageParams, paginate
from app.core.vocab import CaseStage
from app.identity.models import Office, User
from app.trail.recorder import record

# ------------------------------------------------------------------ cases


async def _check_office(session: AsyncSession, agency_id: uuid.UUID, office_id: uuid.UUID | None) -> None:
    """422 unless `office_id` is an office of the case's own agency."""
    if office_id is None:
        return
    found = await session.execute(sa.select(Office.id).where(Office.id == office_id, Office.agency_id == agency_id))
    if found.first() is None:
        raise Invalid("office_id must be an office of your own agency.", loc=["body", "office_id"],
                      type="office_not_in_agency")


def _check_open_stage(stage: CaseStage | None) -> None:
    if stage is CaseStage.closed:
        raise Invalid("A case's stage becomes closed when the case is closed (status closed).",
                      loc=["body", "stage"], type="stage_follows_status")


async def _check_assigned_worker(session: AsyncSession, case_id: uuid.UUID, user_id: uuid.UUID) -> None:
    """422 unless the user is on the case's team (add them to the team first)."""
    found = await session.execute(sa.select(CaseTeamMember.id).where(
        CaseTeamMember.case_id == case_id, CaseTeamMember.user_id == user_id))
    if found.first() is None:
        raise Invalid("assigned_worker_id must be a member of the case team.", loc=["body", "assigned_worker_id"],
                      type="worker_not_on_team")


async def create_case(session: AsyncSession, principal: Principal, data: CaseCreate) -> Case:
    """A case belongs to the creator's agency; a staff creator joins its team and, unless another team member
    is named (there is none yet), is its assigned worker."""
    agency_id = access.ensure_may_open_case(principal)
    await _check_office(session, agency_id, data.office_id)
    _check_open_stage(data.stage)
    case = Case(agency_id=agency_id, reference=data.reference,
                dv_indicators=[i.value for i in data.dv_indicators], office_id=data.office_id,
                stage=data.stage.value, created_by=principal.user_id)
    session.add(case)
    await session.flush()
    member = access.creator_team_member(principal)
    if member is not None:
        session.add(CaseTeamMember(case_id=case.id, user_id=member, added_by=member))
        await session.flush()
    if data.assigned_worker_id is not None:
        await _check_assigned_worker(session, case.id, data.assigned_worker_id)
    case.assigned_worker_id = data.assigned_worker_id or member
    await session.flush()
    await record(session, principal, "case.create", "case", case.id, agency_id=case.agency_id)
    return case


async def list_cases(
    session: AsyncSession, principal: Principal, page: PageParams, *, reference: str | None = None,
    office_id: uuid.UUID | None = None, has_dv: bool | None = None,
) -> tuple[list[Case], str | None]:
    stmt = sa.select(Case).where(access.case_visible_clause(principal))
    if reference is not None:
        stmt = stmt.where(Case.reference == reference)
    if office_id is not None:
        stmt = stmt.where(Case.office_id == office_id)
    if has_dv is not None:
        n = sa.func.json_array_length(Case.dv_indicators)
        stmt = stmt.where(n > 0 if has_dv else n == 0)
    return await paginate(session, stmt, Case, page)


async def get_case(session: AsyncSession, principal: Principal, case_id: uuid.UUID) -> Case:
    return await access.get_visible_case(session, principal, case_id)


async def update_case(session: AsyncSession, principal: Principal, case: Case, data: CaseUpdate) -> Case:
    fields = data.model_dump(exclude_unset=True)
    for k in ("reference", "dv_indicators", "status", "stage"):
        if k in fields and fields[k] is None:
            raise Invalid(f"{k} cannot be null.", loc=["body", k])
    _check_open_stage(data.stage)
    if data.status is CaseStatus.closed and case.status != CaseStatus.closed:
        raise Conflict("A case is closed through POST /cases/{id}/close: its closure checklist (or a supervisor's "
                       "override) and what stays open with partner agencies.", title="Close through /close",
                       current_status=case.status)
    if data.assigned_worker_id is not None:
        await _check_assigned_worker(session, case.id, data.assigned_worker_id)
    if "assigned_worker_id" in fields:
        case.assigned_worker_id = data.assigned_worker_id
    if "office_id" in fields:
        await _check_office(session, case.agency_id, data.office_id)
        case.office_id = data.office_id
    if data.reference is not None:
        case.reference = data.reference
    if data.dv_indicators is not None:
        case.dv_indicators = [i.value for i in data.dv_indicators]
    if data.stage is not None:
        case.stage = data.stage.value
    if data.status is CaseStatus.open and case.status == CaseStatus.closed:
        case.stage = (data.stage or CaseStage.intake).value
        case.closure_reason, case.closed_at, case.closure_override_enc = None, None, None  # reopened
    if data.status is not None:
        case.status = data.status.value
    case.updated_at = utcnow()
    await session.flush()
    await record(session, principal, "case.update", "case", case.id, agency_id=case.agency_id)
    return case


# ------------------------------------------------------------------ case team


async def list_team(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, page: PageParams
) -> tuple[list[dict[str, Any]], str | None]:
    case = await access.get_visible_case(session, principal, case_id)
    rows, cursor = await paginate(session, sa.select(CaseTeamMember).where(CaseTeamMember.case_id == case.id),
                                  CaseTeamMember, page)
    users = {}
    if rows:
        found = await session.execute(sa.select(User).where(User.id.in_([m.user_id for m in rows])))
        users = {u.id: u for u in found.scalars()}
    items = [{"user_id": m.user_id, "full_name": users[m.user_id].full_name, "roles": users[m.user_id].roles,
              "added_by": m.added_by, "created_at": m.created_at} for m in rows if m.user_id in users]
    return items, cursor


async def add_team_member(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, user_id: uuid.UUID
) -> tuple[dict[str, Any], bool]:
    """Put a staff member of the owning agency on the team. Returns (member, created); adding twice is a no-op."""
    case = await access.get_visible_case(session, principal, case_id)
    user = await session.get(User, user_id)
    access.ensure_may_join_case_team(case, user)
    assert user is not None
    member = (await session.execute(sa.select(CaseTeamMember).where(
        CaseTeamMember.case_id == case.id, CaseTeamMember.user_id == user.id))).scalar_one_or_none()
    created = member is None
    if member is None:
        member = CaseTeamMember(case_id=case.id, user_id=user.id, added_by=principal.user_id)
        session.add(member)
        await session.flush()
        await record(session, principal, "case.team_add", "case", case.id, agency_id=case.agency_id)
    return {"user_id": user.id, "full_name": user.full_name, "roles": user.roles, "added_by": member.added_by,
            "created_at": member.created_at}, created


async def remove_team_member(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, user_id: uuid.UUID
) -> None:
    case = await access.get_visible_case(session, principal, case_id)
    member = (await session.execute(sa.select(CaseTeamMember).where(
        CaseTeamMember.case_id == case.id, CaseTeamMember.user_id == user_id))).scalar_one_or_none()
    if member is None:
        raise NotFound("team member")
    await session.delete(member)
    if case.assigned_worker_id == user_id:  # whoever leaves the team no longer answers for the case
        case.assigned_worker_id = None
        case.updated_at = utcnow()
    await session.flush()
    await record(session, principal, "case.team_remove", "case", case.id, agency_id=case.agency_id)


# ------------------------------------------------------------------ people


def seal_person(person: Person, field: str, value: Any) -> None:
    """Seal one personal field of a person under its own row and field (PERSON_SEALED)."""
    setattr(person, PERSON_SEALED[field], encrypt_json(value, person_aad(person.id, field), owner=person.agency_id))


_seal = seal_person


def _unseal(person: Person, field: str) -> Any:
    return decrypt_json(getattr(person, PERSON_SEALED[field]), person_aad(person.id, field))


def _check_birth_date(value: Any) -> None:
    if value is not None and value > today():
        raise Invalid("date_of_birth cannot be in the future.", loc=["body", "date_of_birth"])


async def create_person(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, data: PersonCreate
) -> Person:
    case = await access.get_visible_case(session, principal, case_id)
    _check_birth_date(data.date_of_birth)
    person = Person(case_id=case.id, agency_id=case.agency_id, case_role=data.case_role.value,
                    full_name=data.full_name, date_of_birth=data.date_of_birth,
                    race_ethnicity=[r.value for r in data.race_ethnicity], language=data.language)
    _seal(person, "contact", data.contact.model_dump(mode="json") if data.contact else None)
    _seal(person, "address", data.address.model_dump(mode="json") if data.address else None)
    _seal(person, "safe_contact_instructions", data.safe_contact_instructions)
    session.add(person)
    await session.flush()
    await record(session, principal, "person.create", "person", person.id, agency_id=case.agency_id)
    return person


async def list_people(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, page: PageParams
) -> tuple[list[Person], str | None]:
    case = await access.get_visible_case(session, principal, case_id)
    return await paginate(session, sa.select(Person).where(Person.case_id == case.id), Person, page)


async def get_person_for_owner(session: AsyncSession, principal: Principal, person_id: uuid.UUID) -> Person:
    """The person if the caller may see their case (the owning agency's staff on it), else 404."""
    person = (await session.execute(
        sa.select(Person).where(Person.id == person_id, access.person_visible_clause(principal))
    )).scalar_one_or_none()
    if person is None:
        raise NotFound("person")
    return person


async def read_person(session: AsyncSession, principal: Principal, person: Person) -> Person:
    """The full record (found by `get_person_for_owner`) as read by staff; every read is audited (person.read)."""
    await record(session, principal, "person.read", "person", person.id, agency_id=person.agency_id)
    return person


async def update_person(session: AsyncSession, principal: Principal, person: Person, data: PersonUpdate) -> Person:
    fields = data.model_dump(exclude_unset=True)
    for k in ("case_role", "full_name", "race_ethnicity"):
        if k in fields and fields[k] is None:
            raise Invalid(f"{k} cannot be null.", loc=["body", k])
    if "date_of_birth" in fields:
        _check_birth_date(data.date_of_birth)
        person.date_of_birth = data.date_of_birth
    if data.case_role is not None:
        person.case_role = data.case_role.value
    if data.full_name is not None:
        person.full_name = data.full_name
    if data.race_ethnicity is not None:
        person.race_ethnicity = [r.value for r in data.race_ethnicity]
    if "language" in fields:
        person.language = data.language
    if "contact" in fields:
        _seal(person, "contact", data.contact.model_dump(mode="json") if data.contact else None)
    if "address" in fields:
        _seal(person, "address", data.address.model_dump(mode="json") if data.address else None)
    if "safe_contact_instructions" in fields:
        _seal(person, "safe_contact_instructions", data.safe_contact_instructions)
    person.updated_at = utcnow()
    await session.flush()
    await record(session, principal, "person.update", "person", person.id, agency_id=person.agency_id)
    return person


def person_read(person: Person) -> dict[str, Any]:
    """The full record of a person (decrypted), shaped as PersonRead."""
    return {
        "id": person.id, "case_id": person.case_id, "agency_id": person.agency_id, "case_role": person.case_role,
        "full_name": person.full_name, "date_of_birth": person.date_of_birth,
        "race_ethnicity": person.race_ethnicity, "language": person.language,
        "contact": _unseal(person, "contact"), "address": _unseal(person, "address"),
        "safe_contact_instructions": _unseal(person, "safe_contact_instructions"),
        "created_at": person.created_at, "updated_at": person.updated_at,
    }


def person_payload(person: Person) -> dict[str, dict[str, Any]]:
    """The decrypted record of a person grouped by data category (DataCategory values), JSON-ready.

    Stable output, used to release information category by category::

        {
          "identity": {"full_name": str, "date_of_birth": "YYYY-MM-DD" | None,
                       "case_role": str, "race_ethnicity": [str, ...], "language": str | None},
          "contact":  {"contact": {"phone": str | None, "email": str | None} | None,
                       "safe_contact_instructions": str | None},
          "location": {"address": {"line1", "line2", "city", "region", "postal_code", "country",
                                   "kind": "actual" | "acp_substitute"} | None},
        }

    Only these three categories come from the person record; other categories are held elsewhere.
    `location.address.kind == "acp_substitute"` means the stored address is an address confidentiality
    program substitute (the survivor's actual address is not held).
    """
    return {
        "identity": {
            "full_name": person.full_name,
            "date_of_birth": person.date_of_birth.isoformat() if person.date_of_birth else None,
            "case_role": person.case_role,
            "race_ethnicity": list(person.race_ethnicity),
            "language": person.language,
        },
        "contact": {
            "contact": _unseal(person, "contact"),
            "safe_contact_instructions": _unseal(person, "safe_contact_instructions"),
        },
        "location": {"address": _unseal(person, "address")},
    }
