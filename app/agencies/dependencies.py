"""Loader dependencies of the agencies domain: the object a route names, found through the caller's
visibility (404 otherwise); the ForUpdate variants also apply If-Match (412)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from app.agencies import role_changes, service
from app.auth.dependencies import Caller
from app.core.db import SessionDep
from app.core.http import for_update
from app.identity.models import Agency, ApiClient, Office, RoleChange, User


async def visible_agency(agency_id: uuid.UUID, session: SessionDep, principal: Caller) -> Agency:
    return await service.get_agency(session, principal, agency_id)


async def visible_office(office_id: uuid.UUID, session: SessionDep, principal: Caller) -> Office:
    return await service.get_office(session, principal, office_id)


async def visible_user(user_id: uuid.UUID, session: SessionDep, principal: Caller) -> User:
    return await service.get_user(session, principal, user_id)


async def own_client(client_pk: uuid.UUID, session: SessionDep, principal: Caller) -> ApiClient:
    return await service.get_client(session, principal, client_pk)


async def visible_role_change(change_id: uuid.UUID, session: SessionDep, principal: Caller) -> RoleChange:
    return await role_changes.get_role_change(session, principal, change_id)


AgencyVisible = Annotated[Agency, Depends(visible_agency)]
AgencyForUpdate = Annotated[Agency, Depends(for_update(visible_agency))]
OfficeVisible = Annotated[Office, Depends(visible_office)]
UserVisible = Annotated[User, Depends(visible_user)]
UserForUpdate = Annotated[User, Depends(for_update(visible_user))]
OwnClient = Annotated[ApiClient, Depends(own_client)]
RoleChangeVisible = Annotated[RoleChange, Depends(visible_role_change)]
