"""HTTP routes of the treatment domain: substance use and mental health treatment participation."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response, status

from app.auth.dependencies import RequiresRecordRead, RequiresRecordWrite, current_principal
from app.core.db import SessionDep
from app.core.http import IdempotencyDep, tagged
from app.core.pagination import Page, PageParams, page_of
from app.treatment import service
from app.treatment.dependencies import TreatmentForUpdate, TreatmentVisible
from app.treatment.schemas import (
    TreatmentCreate,
    TreatmentDetail,
    TreatmentDomain,
    TreatmentRead,
    TreatmentUpdate,
)

router = APIRouter(prefix="/api/v1", tags=["treatment"], dependencies=[Depends(current_principal)])


@router.post("/people/{person_id}/treatment", status_code=status.HTTP_201_CREATED, response_model=TreatmentDetail)
async def create_treatment(
    person_id: uuid.UUID, data: TreatmentCreate, session: SessionDep, idem: IdempotencyDep,
    principal: RequiresRecordWrite,
) -> dict[str, Any]:
    """Record treatment participation (program kind, status, dates; never clinical notes)."""
    return await idem.create(principal.ref, lambda: service.create_treatment(session, principal, person_id, data),
                             lambda treatment_id: service.get_treatment(session, principal, treatment_id),
                             service.treatment_read)


@router.get("/people/{person_id}/treatment", response_model=Page[TreatmentRead])
async def list_treatment(
    person_id: uuid.UUID, session: SessionDep, page: Annotated[PageParams, Depends()],
    principal: RequiresRecordRead, domain: TreatmentDomain | None = None,
) -> dict[str, Any]:
    items, cursor = await service.list_treatment(session, principal, person_id, page, domain=domain)
    return page_of(items, cursor, TreatmentRead)


@router.get("/treatment/{treatment_id}", response_model=TreatmentDetail)
async def get_treatment(
    session: SessionDep, principal: RequiresRecordRead, row: TreatmentVisible, response: Response,
) -> dict[str, Any]:
    return tagged(response, row, await service.read_treatment(session, principal, row))


@router.patch("/treatment/{treatment_id}", response_model=TreatmentDetail)
async def update_treatment(
    data: TreatmentUpdate, session: SessionDep, response: Response, principal: RequiresRecordWrite,
    row: TreatmentForUpdate,
) -> dict[str, Any]:
    """Change the fields sent (`If-Match` from a GET; 412 when stale)."""
    return tagged(response, row, await service.update_treatment(session, principal, row, data))
