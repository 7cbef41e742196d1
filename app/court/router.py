"""HTTP routes of court events."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response, status

from app.auth.dependencies import RequiresRecordRead, RequiresRecordWrite, current_principal
from app.core.db import SessionDep
from app.core.http import IdempotencyDep, tagged
from app.core.pagination import Page, PageParams, page_of
from app.court import service
from app.court.dependencies import CourtEventForUpdate, CourtEventVisible
from app.court.schemas import CourtEventCreate, CourtEventRead, CourtEventSummary, CourtEventUpdate

router = APIRouter(prefix="/api/v1", tags=["court"], dependencies=[Depends(current_principal)])


@router.post("/cases/{case_id}/court-events", status_code=status.HTTP_201_CREATED, response_model=CourtEventRead)
async def create_event(
    case_id: uuid.UUID, data: CourtEventCreate, session: SessionDep, idem: IdempotencyDep,
    principal: RequiresRecordWrite,
) -> dict[str, Any]:
    return await idem.create(principal.ref, lambda: service.create_event(session, principal, case_id, data),
                             lambda event_id: service.get_event(session, principal, event_id),
                             lambda event: service.event_read(session, event))


@router.get("/cases/{case_id}/court-events", response_model=Page[CourtEventSummary])
async def list_events(
    case_id: uuid.UUID, session: SessionDep, page: Annotated[PageParams, Depends()],
    principal: RequiresRecordRead,
) -> dict[str, Any]:
    items, cursor = await service.list_events(session, principal, case_id, page)
    return page_of(items, cursor, CourtEventSummary)


@router.get("/court-events/{event_id}", response_model=CourtEventRead)
async def get_event(
    session: SessionDep, response: Response, principal: RequiresRecordRead, event: CourtEventVisible,
) -> dict[str, Any]:
    return tagged(response, event, await service.read_event(session, principal, event))


@router.patch("/court-events/{event_id}", response_model=CourtEventRead)
async def update_event(
    data: CourtEventUpdate, session: SessionDep, response: Response, principal: RequiresRecordWrite,
    event: CourtEventForUpdate,
) -> dict[str, Any]:
    return tagged(response, event, await service.update_event(session, principal, event, data))
