"""Loader dependency of the referrals domain: the referral a route names, found through the caller's
visibility (404 otherwise). A transition checks If-Match itself, after the side check (403 before 412)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from app.auth.dependencies import Caller
from app.core.db import SessionDep
from app.referrals import lifecycle
from app.referrals.models import Referral


async def visible_referral(referral_id: uuid.UUID, session: SessionDep, principal: Caller) -> Referral:
    return await lifecycle.get_referral(session, principal, referral_id)


ReferralVisible = Annotated[Referral, Depends(visible_referral)]
