"""Loader dependencies of the advocates domain: the object a route names, found through the caller's
visibility (404 otherwise); the ForUpdate variants also apply If-Match (412)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from app.advocates import consultations, service
from app.advocates.models import AdvocateAssignment, Consultation
from app.auth.dependencies import Caller
from app.core.db import SessionDep
from app.core.http import for_update


async def visible_assignment(assignment_id: uuid.UUID, session: SessionDep, principal: Caller) -> AdvocateAssignment:
    return await service.get_assignment(session, principal, assignment_id)


async def visible_consultation(consultation_id: uuid.UUID, session: SessionDep, principal: Caller) -> Consultation:
    return await consultations.load(session, principal, consultation_id)


AssignmentVisible = Annotated[AdvocateAssignment, Depends(visible_assignment)]
AssignmentForUpdate = Annotated[AdvocateAssignment, Depends(for_update(visible_assignment))]
ConsultationVisible = Annotated[Consultation, Depends(visible_consultation)]
ConsultationForUpdate = Annotated[Consultation, Depends(for_update(visible_consultation))]
