"""Loader dependencies of the agreements domain: the agreement a route names, found through the caller's
visibility (404 otherwise); the ForUpdate variant also applies If-Match (412)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from app.agreements import service
from app.agreements.models import Agreement
from app.auth.dependencies import Caller
from app.core.db import SessionDep
from app.core.http import for_update


async def visible_agreement(agreement_id: uuid.UUID, session: SessionDep, principal: Caller) -> Agreement:
    return await service.get_agreement(session, principal, agreement_id)


AgreementVisible = Annotated[Agreement, Depends(visible_agreement)]
AgreementForUpdate = Annotated[Agreement, Depends(for_update(visible_agreement))]
