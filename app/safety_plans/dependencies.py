"""Loader dependency of the safety-plan summary: the person's summary, found through the caller's visibility
(404), once the caller may hold safety plans (403)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from app.auth.dependencies import Caller
from app.core.db import SessionDep
from app.safety_plans import service
from app.safety_plans.models import SafetyPlanSummary


async def visible_summary(person_id: uuid.UUID, session: SessionDep, principal: Caller) -> SafetyPlanSummary:
    return await service.get_summary(session, principal, person_id)


SummaryVisible = Annotated[SafetyPlanSummary, Depends(visible_summary)]
