"""HTTP routes of assessments."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response, status

from app.assessments import service
from app.assessments.dependencies import AssessmentForUpdate, AssessmentVisible
from app.assessments.schemas import AssessmentCreate, AssessmentRead, AssessmentSummary, AssessmentUpdate
from app.auth.dependencies import RequiresRecordRead, RequiresRecordWrite, current_principal
from app.core.db import SessionDep
from app.core.http import IdempotencyDep, tagged
from app.core.pagination import Page, PageParams, page_of

router = APIRouter(prefix="/api/v1", tags=["assessments"], dependencies=[Depends(current_principal)])


@router.post("/people/{person_id}/assessments", status_code=status.HTTP_201_CREATED, response_model=AssessmentRead)
async def create_assessment(
    person_id: uuid.UUID, data: AssessmentCreate, session: SessionDep, idem: IdempotencyDep,
    principal: RequiresRecordWrite,
) -> dict[str, Any]:
    return await idem.create(principal.ref, lambda: service.create_assessment(session, principal, person_id, data),
                             lambda assessment_id: service.get_assessment(session, principal, assessment_id),
                             service.assessment_read)


@router.get("/people/{person_id}/assessments", response_model=Page[AssessmentSummary])
async def list_assessments(
    person_id: uuid.UUID, session: SessionDep, page: Annotated[PageParams, Depends()],
    principal: RequiresRecordRead,
) -> dict[str, Any]:
    items, cursor = await service.list_assessments(session, principal, person_id, page)
    return page_of(items, cursor, AssessmentSummary)


@router.get("/assessments/{assessment_id}", response_model=AssessmentRead)
async def get_assessment(
    session: SessionDep, response: Response, principal: RequiresRecordRead, assessment: AssessmentVisible,
) -> dict[str, Any]:
    return tagged(response, assessment, await service.read_assessment(session, principal, assessment))


@router.patch("/assessments/{assessment_id}", response_model=AssessmentRead)
async def update_assessment(
    data: AssessmentUpdate, session: SessionDep, response: Response, principal: RequiresRecordWrite,
    assessment: AssessmentForUpdate,
) -> dict[str, Any]:
    return tagged(response, assessment, await service.update_assessment(session, principal, assessment, data))
