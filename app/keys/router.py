"""HTTP for an agency's key: parse, call one service function, answer."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from app.auth.dependencies import RequiresAgencyUpdate, current_principal
from app.core.db import SessionDep
from app.core.pagination import Page, PageParams, page_of
from app.keys import service
from app.keys.dependencies import KeyChangeVisible
from app.keys.models import KeyChange
from app.keys.schemas import AgencyKeyRead, KeyChangeCreate, KeyChangeRead, KeyChangeStatus

router = APIRouter(prefix="/api/v1", tags=["keys"], dependencies=[Depends(current_principal)])


@router.get("/agencies/{agency_id}/key", response_model=AgencyKeyRead)
async def get_agency_key(agency_id: uuid.UUID, session: SessionDep, principal: RequiresAgencyUpdate) -> dict[str, Any]:
    """Which provider and key-encryption key protect the agency's sealed data (never key material). For the
    agency's own admins and the platform admin; another agency's is 404."""
    return await service.agency_key(session, principal, agency_id)


@router.post("/agencies/{agency_id}/key-changes", status_code=201, response_model=KeyChangeRead,
             responses={202: {"model": KeyChangeRead,
                              "description": "Asked by a platform admin: it waits for the agency's admin to "
                                             "approve it (Location names it)."}})
async def request_key_change(
    agency_id: uuid.UUID, data: KeyChangeCreate, session: SessionDep, principal: RequiresAgencyUpdate,
) -> KeyChange | JSONResponse:
    """Move the agency's data keys under another key-encryption key (e.g. its own HSM through PKCS#11). The
    agency's own admin: done at once (201; the new key is tried first, 422 and nothing changes when it cannot
    be used). A platform admin: 202, pending until the agency's admin approves."""
    change = await service.request_change(session, principal, agency_id, data)
    if change.status == KeyChangeStatus.pending.value:
        body = KeyChangeRead.model_validate(change).model_dump(mode="json")
        return JSONResponse(body, status_code=202, headers={"Location": f"/api/v1/key-changes/{change.id}"})
    return change


@router.get("/key-changes", response_model=Page[KeyChangeRead])
async def list_key_changes(
    session: SessionDep, page: Annotated[PageParams, Depends()], principal: RequiresAgencyUpdate,
    status: KeyChangeStatus | None = None,
) -> dict[str, Any]:
    """Key changes of the caller's agency (every agency's for a platform admin), newest first."""
    items, cursor = await service.list_changes(session, principal, page, status)
    return page_of(items, cursor, KeyChangeRead)


@router.get("/key-changes/{change_id}", response_model=KeyChangeRead)
async def get_key_change(principal: RequiresAgencyUpdate, change: KeyChangeVisible) -> KeyChange:
    return change


@router.post("/key-changes/{change_id}/approve", response_model=KeyChangeRead)
async def approve_key_change(session: SessionDep, principal: RequiresAgencyUpdate, change: KeyChangeVisible) -> KeyChange:
    """Only an admin of the agency itself approves (a platform admin: 403): its data keys are wrapped by the
    new key-encryption key now."""
    return await service.approve(session, principal, change)


@router.post("/key-changes/{change_id}/reject", response_model=KeyChangeRead)
async def reject_key_change(session: SessionDep, principal: RequiresAgencyUpdate, change: KeyChangeVisible) -> KeyChange:
    return await service.reject(session, principal, change)
