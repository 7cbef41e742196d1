"""HTTP routes of the services domain: the services a person was referred to or received."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response, status

from app.auth.dependencies import RequiresRecordRead, RequiresRecordWrite, current_principal
from app.core.db import SessionDep
from app.core.http import IdempotencyDep, tagged
from app.core.pagination import Page, PageParams, page_of
from app.services import service
from app.services.dependencies import ServiceForUpdate, ServiceVisible
from app.services.schemas import (
    ServiceCreate,
    ServiceKind,
    ServiceRead,
    ServiceStatus,
    ServiceSummary,
    ServiceUpdate,
)

router = APIRouter(prefix="/api/v1", tags=["services"], dependencies=[Depends(current_principal)])


@router.post("/people/{person_id}/services", status_code=status.HTTP_201_CREATED, response_model=ServiceRead)
async def create_service(
    person_id: uuid.UUID, data: ServiceCreate, session: SessionDep, idem: IdempotencyDep,
    principal: RequiresRecordWrite,
) -> dict[str, Any]:
    """Record a service of a person of your agency. 422 names every invalid element; nothing is written."""
    return await idem.create(principal.ref, lambda: service.create_service(session, principal, person_id, data),
                             lambda service_id: service.get_service(session, principal, service_id),
                             service.service_read)


@router.get("/people/{person_id}/services", response_model=Page[ServiceSummary])
async def list_services(
    person_id: uuid.UUID, session: SessionDep, page: Annotated[PageParams, Depends()],
    principal: RequiresRecordRead, kind: ServiceKind | None = None, status: ServiceStatus | None = None,
) -> dict[str, Any]:
    """The person's services, newest first: ids, codes and times (no provider name)."""
    items, cursor = await service.list_services(session, principal, person_id, page, kind=kind, status=status)
    return page_of(items, cursor, ServiceSummary)


@router.get("/services/{service_id}", response_model=ServiceRead)
async def get_service(principal: RequiresRecordRead, svc: ServiceVisible, response: Response) -> dict[str, Any]:
    return tagged(response, svc, service.service_read(svc))


@router.patch("/services/{service_id}", response_model=ServiceRead)
async def update_service(
    data: ServiceUpdate, session: SessionDep, response: Response, principal: RequiresRecordWrite,
    svc: ServiceForUpdate,
) -> dict[str, Any]:
    """Change the fields sent (`If-Match` from a GET; 412 when stale)."""
    return tagged(response, svc, await service.update_service(session, principal, svc, data))
