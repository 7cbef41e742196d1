"""Consent gauges for /metrics: consents in force that expire within 14 days (time to renew them with the
survivor). A count across the service, without agency labels."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.consent.models import Consent
from app.core.clock import utcnow
from app.core.metrics import Family

SOON = timedelta(days=14)


async def consent_families(session: AsyncSession) -> list[Family]:
    now = utcnow()
    expiring = (await session.execute(
        sa.select(sa.func.count()).select_from(Consent)
        .where(Consent.revoked_at.is_(None), Consent.valid_from <= now, Consent.expires_at > now,
               Consent.expires_at <= now + SOON))).scalar_one()
    return [Family("tandem_consents_expiring_14d", "Consents in force that expire within 14 days.", "gauge",
                   [({}, expiring)])]
