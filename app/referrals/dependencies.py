"""Loader dependencies of the referrals domain: the referral a route names, found through the caller's
visibility (404 otherwise): an ORM row for a transition, the read's Core row for a GET. A transition checks
If-Match itself, after the side check (403 before 412)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from app.auth.dependencies import Caller
from app.core.db import SessionDep
from app.referrals import lifecycle, reads
from app.referrals.models import Referral
from app.referrals.reads import ReferralView


async def visible_referral(referral_id: uuid.UUID, session: SessionDep, principal: Caller) -> Referral:
    return await lifecycle.get_referral(session, principal, referral_id)


ReferralVisible = Annotated[Referral, Depends(visible_referral)]


async def readable_referral(referral_id: uuid.UUID, session: SessionDep, principal: Caller) -> ReferralView:
    return await reads.load_visible(session, principal, referral_id)


# For a GET: the referral with everything its read needs, in one statement, as a Core row (no ORM object).
ReferralReadable = Annotated[ReferralView, Depends(readable_referral)]
