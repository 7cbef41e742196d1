"""Loader dependencies of the treatment domain: the record a route names, found through the caller's
visibility (404 otherwise); the ForUpdate variant also applies If-Match (412)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from app.auth.dependencies import Caller
from app.core.db import SessionDep
from app.core.http import for_update
from app.treatment import service
from app.treatment.models import Treatment


async def visible_treatment(treatment_id: uuid.UUID, session: SessionDep, principal: Caller) -> Treatment:
    return await service.get_treatment(session, principal, treatment_id)


TreatmentVisible = Annotated[Treatment, Depends(visible_treatment)]
TreatmentForUpdate = Annotated[Treatment, Depends(for_update(visible_treatment))]
