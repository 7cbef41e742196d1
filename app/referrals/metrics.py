"""Referral gauges for /metrics (what a supervisor watches): referrals past their response deadline, by
urgency. Counts across the service, without agency labels."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.clock import utcnow
from app.core.metrics import Family
from app.referrals.lifecycle import AWAITING_ANSWER
from app.referrals.models import Referral
from app.referrals.schemas import ReferralUrgency


async def referral_families(session: AsyncSession) -> list[Family]:
    rows = dict((await session.execute(
        sa.select(Referral.urgency, sa.func.count())
        .where(Referral.status.in_(AWAITING_ANSWER), Referral.respond_by < utcnow())
        .group_by(Referral.urgency))).tuples().all())
    return [Family("tandem_referrals_overdue", "Referrals sent or acknowledged whose response deadline has "
                   "passed, by urgency.", "gauge", [({"urgency": u.value}, rows.get(u.value, 0))
                                                    for u in ReferralUrgency])]
