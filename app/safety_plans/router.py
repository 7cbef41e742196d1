"""HTTP routes of the safety-plan summary (DV agencies)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Response

from app.auth.dependencies import RequiresRecordRead, RequiresRecordWrite, current_principal
from app.core.db import SessionDep
from app.core.http import IfMatch, tagged
from app.safety_plans import service
from app.safety_plans.dependencies import SummaryVisible
from app.safety_plans.schemas import SafetyPlanSummaryPut, SafetyPlanSummaryRead

router = APIRouter(prefix="/api/v1", tags=["safety plans"], dependencies=[Depends(current_principal)])

_PUT_DOC = ("Replace the survivor's safety-plan summary (DV agencies; 403 for others). The first PUT creates it "
            "(201, no If-Match); once it exists, If-Match with its ETag is required (428 without, 412 stale). "
            "The written plan never enters Tandem: only what she approves, each element marked shareable or not "
            "by her. A disclosure of `safety_plan` releases `exists`, `last_reviewed_on` and the shareable "
            "elements only.")


@router.put("/people/{person_id}/safety-plan-summary", response_model=SafetyPlanSummaryRead, description=_PUT_DOC,
            responses={201: {"description": "Created", "model": SafetyPlanSummaryRead}})
async def put_summary(
    person_id: uuid.UUID, data: SafetyPlanSummaryPut, session: SessionDep, response: Response,
    principal: RequiresRecordWrite, if_match: str | None = IfMatch,
) -> dict[str, Any]:
    row, body, created = await service.put_summary(session, principal, person_id, data, if_match)
    response.status_code = 201 if created else 200
    return tagged(response, row, body)


@router.get("/people/{person_id}/safety-plan-summary", response_model=SafetyPlanSummaryRead,
            description="The survivor's safety-plan summary, as her DV agency holds it (404 when none is on file; "
                        "403 for a caller outside a DV agency).")
async def get_summary(principal: RequiresRecordRead, row: SummaryVisible, response: Response) -> dict[str, Any]:
    return tagged(response, row, service.summary_read(row))
