"""HTTP for agencies, offices, users and agency systems: parse, call one service function, answer."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response, status
from fastapi.responses import JSONResponse

from app.agencies import role_changes, service
from app.agencies.dependencies import (
    AgencyForUpdate,
    AgencyVisible,
    OfficeVisible,
    OwnClient,
    RoleChangeVisible,
    UserForUpdate,
    UserVisible,
)
from app.agencies.schemas import (
    AgencyCreate,
    AgencyRead,
    AgencyUpdate,
    ClientCreate,
    ClientCreated,
    ClientRead,
    ClientWithSecret,
    OfficeCreate,
    OfficeRead,
    RoleChangeRead,
    RoleChangeStatus,
    UserCreate,
    UserRead,
    UserUpdate,
)
from app.auth.dependencies import (
    Caller,
    RequiresAgencyCreate,
    RequiresAgencyRead,
    RequiresAgencyUpdate,
    RequiresClientManage,
    RequiresOfficeManage,
    RequiresOfficeRead,
    RequiresUserManage,
    RequiresUserRead,
    current_principal,
)
from app.auth.permissions import AgencyKind
from app.core.db import SessionDep
from app.core.http import IdempotencyDep, tagged
from app.core.pagination import Page, PageParams, page_of
from app.identity.models import Agency, Office, RoleChange, User

router = APIRouter(prefix="/api/v1", tags=["agencies"], dependencies=[Depends(current_principal)])


@router.post("/agencies", status_code=status.HTTP_201_CREATED, response_model=AgencyRead)
async def create_agency(
    data: AgencyCreate, session: SessionDep, idem: IdempotencyDep,
    principal: RequiresAgencyCreate,
) -> Agency:
    return await idem.create(principal.ref, lambda: service.create_agency(session, principal, data),
                             lambda agency_id: service.get_agency(session, principal, agency_id))


@router.get("/agencies", response_model=Page[AgencyRead])
async def list_agencies(
    session: SessionDep, principal: RequiresAgencyRead,
    page: Annotated[PageParams, Depends()], kind: AgencyKind | None = None,
) -> dict[str, Any]:
    items, cursor = await service.list_agencies(session, principal, page, kind)
    return page_of(items, cursor, AgencyRead)


@router.get("/agencies/{agency_id}", response_model=AgencyRead)
async def get_agency(principal: RequiresAgencyRead, agency: AgencyVisible, response: Response) -> Agency:
    return tagged(response, agency)


@router.patch("/agencies/{agency_id}", response_model=AgencyRead)
async def update_agency(
    data: AgencyUpdate, session: SessionDep, response: Response, principal: RequiresAgencyUpdate,
    agency: AgencyForUpdate,
) -> Agency:
    return tagged(response, await service.update_agency(session, principal, agency, data))


@router.post("/agencies/{agency_id}/offices", status_code=201, response_model=OfficeRead)
async def create_office(
    agency_id: uuid.UUID, data: OfficeCreate, session: SessionDep,
    idem: IdempotencyDep,
    principal: RequiresOfficeManage,
) -> Office:
    return await idem.create(principal.ref, lambda: service.create_office(session, principal, agency_id, data),
                             lambda office_id: service.get_office(session, principal, office_id))


@router.get("/agencies/{agency_id}/offices", response_model=Page[OfficeRead])
async def list_offices(
    agency_id: uuid.UUID, session: SessionDep, page: Annotated[PageParams, Depends()],
    principal: RequiresOfficeRead,
) -> dict[str, Any]:
    items, cursor = await service.list_offices(session, principal, agency_id, page)
    return page_of(items, cursor, OfficeRead)


@router.get("/offices/{office_id}", response_model=OfficeRead)
async def get_office(principal: RequiresOfficeRead, office: OfficeVisible) -> Office:
    return office


@router.post("/users", status_code=201, response_model=UserRead)
async def create_user(
    data: UserCreate, session: SessionDep, idem: IdempotencyDep,
    principal: RequiresUserManage,
) -> User:
    return await idem.create(principal.ref, lambda: service.create_user(session, principal, data),
                             lambda user_id: service.get_user(session, principal, user_id))


@router.get("/users", response_model=Page[UserRead])
async def list_users(
    session: SessionDep, page: Annotated[PageParams, Depends()],
    principal: RequiresUserRead,
) -> dict[str, Any]:
    items, cursor = await service.list_users(session, principal, page)
    return page_of(items, cursor, UserRead)


@router.get("/users/{user_id}", response_model=UserRead)
async def get_user(principal: Caller, user: UserVisible, response: Response) -> User:
    return tagged(response, user)


@router.patch("/users/{user_id}", response_model=UserRead, responses={202: {
    "model": RoleChangeRead,
    "description": "The other fields are applied; the roles change waits for a second admin's approval "
                   "(Location names it).",
}})
async def update_user(
    data: UserUpdate, session: SessionDep, response: Response, principal: RequiresUserManage, user: UserForUpdate,
) -> User | JSONResponse:
    user, pending = await service.update_user(session, principal, user, data)
    if pending is not None:
        body = RoleChangeRead.model_validate(pending).model_dump(mode="json")
        return JSONResponse(body, status_code=202, headers={"Location": f"/api/v1/role-changes/{pending.id}"})
    return tagged(response, user)


@router.get("/role-changes", response_model=Page[RoleChangeRead])
async def list_role_changes(
    session: SessionDep, page: Annotated[PageParams, Depends()],
    principal: RequiresUserManage, status: RoleChangeStatus | None = None,
) -> dict[str, Any]:
    """Role changes of the caller's agency (every agency for a platform admin), newest first."""
    items, cursor = await role_changes.list_role_changes(session, principal, page, status)
    return page_of(items, cursor, RoleChangeRead)


@router.get("/role-changes/{change_id}", response_model=RoleChangeRead)
async def get_role_change(principal: RequiresUserManage, change: RoleChangeVisible) -> RoleChange:
    return change


@router.post("/role-changes/{change_id}/approve", response_model=RoleChangeRead)
async def approve_role_change(session: SessionDep, principal: RequiresUserManage, change: RoleChangeVisible) -> RoleChange:
    """A second admin of the agency (not the requester, not the user concerned) or a platform admin approves."""
    return await role_changes.approve(session, principal, change)


@router.post("/role-changes/{change_id}/reject", response_model=RoleChangeRead)
async def reject_role_change(session: SessionDep, principal: RequiresUserManage, change: RoleChangeVisible) -> RoleChange:
    return await role_changes.reject(session, principal, change)


@router.post("/users/{user_id}/deactivate", response_model=UserRead)
async def deactivate_user(
    session: SessionDep, response: Response, principal: RequiresUserManage, user: UserForUpdate,
) -> User:
    return tagged(response, await service.deactivate_user(session, principal, user))


@router.post("/clients", status_code=201, response_model=ClientCreated, response_model_exclude_unset=True)
async def create_client(
    data: ClientCreate, session: SessionDep, idem: IdempotencyDep,
    principal: RequiresClientManage,
) -> dict[str, Any]:
    """Register an agency system. `client_secret` is in this answer only: Tandem keeps a hash of it and
    nothing else. A retry with the same Idempotency-Key answers 201 with `Idempotent-Replayed: true` and the
    client as it is now, **without** `client_secret`; if the first answer was lost, rotate the secret."""
    return await idem.create(principal.ref, lambda: service.create_client(session, principal, data),
                             lambda client_pk: service.read_client(session, principal, client_pk),
                             lambda made: service.client_read(*made))


@router.get("/clients", response_model=Page[ClientRead])
async def list_clients(
    session: SessionDep, page: Annotated[PageParams, Depends()],
    principal: RequiresClientManage,
) -> dict[str, Any]:
    items, cursor = await service.list_clients(session, principal, page)
    return {"items": [service.client_read(c) for c in items], "next_cursor": cursor}


@router.post("/clients/{client_pk}/rotate-secret", response_model=ClientWithSecret)
async def rotate_secret(session: SessionDep, principal: RequiresClientManage, client: OwnClient) -> dict[str, Any]:
    return service.client_read(*await service.rotate_client_secret(session, principal, client))
