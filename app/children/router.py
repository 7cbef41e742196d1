"""HTTP routes of a child's details."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Response

from app.auth.dependencies import RequiresRecordRead, RequiresRecordWrite, current_principal
from app.children import service
from app.children.dependencies import ChildDetailsVisible
from app.children.schemas import ChildDetailsPut, ChildDetailsRead
from app.core.db import SessionDep
from app.core.http import IfMatch, tagged

router = APIRouter(prefix="/api/v1", tags=["children"], dependencies=[Depends(current_principal)])


@router.put("/people/{person_id}/child-details", response_model=ChildDetailsRead,
            responses={201: {"description": "Created", "model": ChildDetailsRead}},
            description="Replace a child's details (422 unless the person's case role is child). The first PUT "
                        "creates them (201, no If-Match); once they exist, If-Match is required (428 without, "
                        "412 stale). Released to another agency only as category `children`.")
async def put_details(
    person_id: uuid.UUID, data: ChildDetailsPut, session: SessionDep, response: Response,
    principal: RequiresRecordWrite, if_match: str | None = IfMatch,
) -> dict[str, Any]:
    row, body, created = await service.put_details(session, principal, person_id, data, if_match)
    response.status_code = 201 if created else 200
    return tagged(response, row, body)


@router.get("/people/{person_id}/child-details", response_model=ChildDetailsRead,
            description="A child's details (404 when none are on file; 422 when the person is not a child).")
async def get_details(principal: RequiresRecordRead, row: ChildDetailsVisible, response: Response) -> dict[str, Any]:
    return tagged(response, row, service.details_read(row))
