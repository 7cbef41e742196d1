"""HTTP routes of the cases domain: cases, the case team, people."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response, status

from app.auth.dependencies import (
    RequiresCaseCreate,
    RequiresCaseRead,
    RequiresCaseTeamManage,
    RequiresCaseUpdate,
    RequiresPersonRead,
    RequiresPersonWrite,
    current_principal,
)
from app.cases import links, service
from app.cases.dependencies import (
    CaseForUpdate,
    CaseVisible,
    PersonForUpdate,
    PersonLinkVisible,
    PersonVisible,
)
from app.cases.models import Case
from app.cases.schemas import (
    CaseCreate,
    CaseRead,
    CaseUpdate,
    PersonCreate,
    PersonLinkRead,
    PersonRead,
    PersonSummary,
    PersonUpdate,
    TeamMemberRead,
)
from app.core.db import SessionDep
from app.core.http import IdempotencyDep, tagged
from app.core.pagination import Page, PageParams, page_of

router = APIRouter(prefix="/api/v1", tags=["cases"], dependencies=[Depends(current_principal)])


# ------------------------------------------------------------------ cases


@router.post("/cases", status_code=status.HTTP_201_CREATED, response_model=CaseRead)
async def create_case(
    data: CaseCreate, session: SessionDep, idem: IdempotencyDep,
    principal: RequiresCaseCreate,
) -> Case:
    return await idem.create(principal.ref, lambda: service.create_case(session, principal, data),
                             lambda case_id: service.get_case(session, principal, case_id))


@router.get("/cases", response_model=Page[CaseRead])
async def list_cases(
    session: SessionDep, page: Annotated[PageParams, Depends()],
    principal: RequiresCaseRead,
    reference: str | None = Query(None, min_length=1, max_length=100, description="Exact case reference."),
    office_id: uuid.UUID | None = None,
    has_dv: bool | None = Query(None, description="Only cases with (true) or without (false) DV indicators."),
) -> dict[str, Any]:
    items, cursor = await service.list_cases(session, principal, page, reference=reference, office_id=office_id,
                                             has_dv=has_dv)
    return page_of(items, cursor, CaseRead)


@router.get("/cases/{case_id}", response_model=CaseRead)
async def get_case(principal: RequiresCaseRead, case: CaseVisible, response: Response) -> Case:
    return tagged(response, case)


@router.patch("/cases/{case_id}", response_model=CaseRead)
async def update_case(
    data: CaseUpdate, session: SessionDep, response: Response, principal: RequiresCaseUpdate, case: CaseForUpdate,
) -> Case:
    return tagged(response, await service.update_case(session, principal, case, data))


# ------------------------------------------------------------------ case team


@router.get("/cases/{case_id}/team", response_model=Page[TeamMemberRead])
async def list_team(
    case_id: uuid.UUID, session: SessionDep, page: Annotated[PageParams, Depends()],
    principal: RequiresCaseRead,
) -> dict[str, Any]:
    items, cursor = await service.list_team(session, principal, case_id, page)
    return {"items": items, "next_cursor": cursor}


@router.post("/cases/{case_id}/team/{user_id}", status_code=status.HTTP_201_CREATED, response_model=TeamMemberRead,
             responses={200: {"description": "Already on the team; nothing changed."}})
async def add_team_member(
    case_id: uuid.UUID, user_id: uuid.UUID, session: SessionDep, response: Response,
    principal: RequiresCaseTeamManage,
) -> dict[str, Any]:
    member, created = await service.add_team_member(session, principal, case_id, user_id)
    if not created:
        response.status_code = status.HTTP_200_OK
    return member


@router.delete("/cases/{case_id}/team/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_team_member(
    case_id: uuid.UUID, user_id: uuid.UUID, session: SessionDep,
    principal: RequiresCaseTeamManage,
) -> Response:
    await service.remove_team_member(session, principal, case_id, user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# ------------------------------------------------------------------ people


@router.post("/cases/{case_id}/people", status_code=status.HTTP_201_CREATED, response_model=PersonRead)
async def create_person(
    case_id: uuid.UUID, data: PersonCreate, session: SessionDep, idem: IdempotencyDep,
    principal: RequiresPersonWrite,
) -> dict[str, Any]:
    return await idem.create(principal.ref, lambda: service.create_person(session, principal, case_id, data),
                             lambda person_id: service.get_person_for_owner(session, principal, person_id),
                             service.person_read)


@router.get("/cases/{case_id}/people", response_model=Page[PersonSummary])
async def list_people(
    case_id: uuid.UUID, session: SessionDep, page: Annotated[PageParams, Depends()],
    principal: RequiresPersonRead,
) -> dict[str, Any]:
    items, cursor = await service.list_people(session, principal, case_id, page)
    return page_of(items, cursor, PersonSummary)


@router.get("/people/{person_id}", response_model=PersonRead)
async def get_person(
    session: SessionDep, response: Response, principal: RequiresPersonRead, person: PersonVisible,
) -> dict[str, Any]:
    person = await service.read_person(session, principal, person)
    return tagged(response, person, service.person_read(person))


@router.patch("/people/{person_id}", response_model=PersonRead)
async def update_person(
    data: PersonUpdate, session: SessionDep, response: Response, principal: RequiresPersonWrite,
    person: PersonForUpdate,
) -> dict[str, Any]:
    person = await service.update_person(session, principal, person, data)
    return tagged(response, person, service.person_read(person))


# ------------------------------------------------------------------ links to the other agency's records


@router.get("/people/{person_id}/links", response_model=Page[PersonLinkRead])
async def list_person_links(
    person_id: uuid.UUID, session: SessionDep, page: Annotated[PageParams, Depends()],
    principal: RequiresPersonRead,
) -> dict[str, Any]:
    """Active links of one of your people to another agency's record of the same person (ids, no data)."""
    items, cursor = await links.list_links(session, principal, person_id, page)
    return {"items": items, "next_cursor": cursor}


@router.delete("/person-links/{link_id}", status_code=status.HTTP_204_NO_CONTENT)
async def end_person_link(session: SessionDep, principal: RequiresPersonWrite, link: PersonLinkVisible) -> Response:
    """End a link (either agency): it no longer resolves a linked disclosure. Audited; `person_link.ended`."""
    await links.end_link(session, principal, link)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
