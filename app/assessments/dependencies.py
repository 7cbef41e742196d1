"""Loader dependencies of assessments: the assessment a route names, found through the caller's visibility (404
otherwise); the ForUpdate variant also applies If-Match (412)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from app.assessments import service
from app.assessments.models import Assessment
from app.auth.dependencies import Caller
from app.core.db import SessionDep
from app.core.http import for_update


async def visible_assessment(assessment_id: uuid.UUID, session: SessionDep, principal: Caller) -> Assessment:
    return await service.get_assessment(session, principal, assessment_id)


AssessmentVisible = Annotated[Assessment, Depends(visible_assessment)]
AssessmentForUpdate = Annotated[Assessment, Depends(for_update(visible_assessment))]
