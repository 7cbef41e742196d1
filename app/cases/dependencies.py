"""Loader dependencies of the cases domain: the object a route names, found through the caller's visibility
(404 otherwise); the ForUpdate variants also apply If-Match (412)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from app.auth.dependencies import Caller
from app.cases import links, service
from app.cases.models import Case, Person, PersonLink
from app.core.db import SessionDep
from app.core.http import for_update


async def visible_case(case_id: uuid.UUID, session: SessionDep, principal: Caller) -> Case:
    return await service.get_case(session, principal, case_id)


async def owned_person(person_id: uuid.UUID, session: SessionDep, principal: Caller) -> Person:
    """The person if the caller may see their case (the owning agency's staff on it)."""
    return await service.get_person_for_owner(session, principal, person_id)


CaseVisible = Annotated[Case, Depends(visible_case)]
CaseForUpdate = Annotated[Case, Depends(for_update(visible_case))]
PersonVisible = Annotated[Person, Depends(owned_person)]
PersonForUpdate = Annotated[Person, Depends(for_update(owned_person))]


async def visible_person_link(link_id: uuid.UUID, session: SessionDep, principal: Caller) -> PersonLink:
    """An active link one side of which is a person the caller may see."""
    return await links.get_link(session, principal, link_id)


PersonLinkVisible = Annotated[PersonLink, Depends(visible_person_link)]
