"""HTTP routes of safe contact: preferences and the log of contact attempts."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response, status

from app.auth.dependencies import RequiresRecordRead, RequiresRecordWrite, current_principal
from app.contacts import service
from app.contacts.models import ContactAttempt
from app.contacts.schemas import (
    ContactAttemptCreate,
    ContactAttemptRead,
    ContactPreferencesPut,
    ContactPreferencesRead,
)
from app.core.db import SessionDep
from app.core.http import IdempotencyDep, IfMatch, tagged
from app.core.pagination import Page, PageParams, page_of

router = APIRouter(prefix="/api/v1", tags=["safe contact"], dependencies=[Depends(current_principal)])


@router.put("/people/{person_id}/contact-preferences", response_model=ContactPreferencesRead,
            responses={201: {"description": "Created", "model": ContactPreferencesRead}},
            description="Replace how the person may be contacted safely. The first PUT creates the preferences "
                        "(201, no If-Match); once they exist, If-Match is required (428 without, 412 stale). "
                        "`instructions` is the person's `safe_contact_instructions` (one value, stored once): "
                        "left out it is kept, null clears it. Released to another agency only as category "
                        "`contact`.")
async def put_preferences(
    person_id: uuid.UUID, data: ContactPreferencesPut, session: SessionDep, response: Response,
    principal: RequiresRecordWrite, if_match: str | None = IfMatch,
) -> dict[str, Any]:
    row, body, created = await service.put_preferences(session, principal, person_id, data, if_match)
    response.status_code = 201 if created else 200
    return tagged(response, row, body)


@router.get("/people/{person_id}/contact-preferences", response_model=ContactPreferencesRead,
            description="How the person may be contacted safely (404 when nothing is on file). While only the "
                        "person's free-text instructions are on file, `id` is null and there is no ETag.")
async def get_preferences(person_id: uuid.UUID, session: SessionDep, response: Response,
                          principal: RequiresRecordRead) -> Any:
    row, body = await service.read_preferences(session, principal, person_id)
    return body if row is None else tagged(response, row, body)


@router.post("/people/{person_id}/contact-attempts", status_code=status.HTTP_201_CREATED,
             response_model=ContactAttemptRead)
async def log_attempt(
    person_id: uuid.UUID, data: ContactAttemptCreate, session: SessionDep, idem: IdempotencyDep,
    principal: RequiresRecordWrite,
) -> ContactAttempt:
    return await idem.create(principal.ref, lambda: service.log_attempt(session, principal, person_id, data),
                             lambda attempt_id: service.get_attempt(session, principal, attempt_id))


@router.get("/people/{person_id}/contact-attempts", response_model=Page[ContactAttemptRead])
async def list_attempts(
    person_id: uuid.UUID, session: SessionDep, page: Annotated[PageParams, Depends()],
    principal: RequiresRecordRead,
) -> dict[str, Any]:
    items, cursor = await service.list_attempts(session, principal, person_id, page)
    return page_of(items, cursor, ContactAttemptRead)
