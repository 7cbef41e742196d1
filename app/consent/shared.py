"""What was shared with us: the consents and legal mandates that name the caller's agency as recipient, so a
worker knows what she may ask for before asking. Terms only: ids, categories and elements, purposes, dates and
status; never a name, a citation or a reason (no personal data).

Both kinds are listed newest first in one keyset order (created_at, id), a page merged from the two tables.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.consent import access
from app.consent.models import Consent, LegalMandate
from app.consent.rules import consent_active_clause, consent_status, mandate_in_force, mandate_status
from app.core.clock import utcnow
from app.core.pagination import PageParams, decode_cursor, encode_cursor


class SharedStatus(StrEnum):
    active = "active"
    expired = "expired"
    revoked = "revoked"


def _consent_filter(status: SharedStatus | None, now: datetime) -> sa.ColumnElement[bool]:
    if status is SharedStatus.active:
        return consent_active_clause(now)
    if status is SharedStatus.revoked:
        return Consent.revoked_at.is_not(None)
    if status is SharedStatus.expired:
        return sa.and_(Consent.revoked_at.is_(None), Consent.expires_at <= now)
    return sa.true()


def _mandate_filter(status: SharedStatus | None, now: datetime) -> sa.ColumnElement[bool]:
    """A mandate's `revoked` is its withdrawal; `active` is in force (a subpoena only with its court order)."""
    if status is SharedStatus.active:
        return sa.and_(LegalMandate.status == "active", LegalMandate.expires_at > now,
                       sa.or_(LegalMandate.basis != "subpoena", LegalMandate.court_order_citation.is_not(None)))
    if status is SharedStatus.revoked:
        return LegalMandate.status == "withdrawn"
    if status is SharedStatus.expired:
        return sa.and_(LegalMandate.status != "withdrawn", LegalMandate.expires_at <= now)
    return sa.true()


async def _page(session: AsyncSession, model: Any, where: sa.ColumnElement[bool], page: PageParams) -> list[Any]:
    stmt = sa.select(model).where(where)
    if page.cursor:
        ts, last_id = decode_cursor(page.cursor)
        stmt = stmt.where(model.created_at <= ts,
                          sa.or_(model.created_at < ts, sa.and_(model.created_at == ts, model.id < last_id)))
    stmt = stmt.order_by(model.created_at.desc(), model.id.desc()).limit(page.limit + 1)
    return list((await session.execute(stmt)).scalars())


def _consent_item(c: Consent, now: datetime) -> dict[str, Any]:
    return {"kind": "consent", "id": c.id, "agency_id": c.agency_id, "person_id": c.person_id,
            "categories": c.categories, "purposes": c.purposes, "basis": "consent",
            "valid_from": c.valid_from, "valid_until": c.expires_at, "status": consent_status(c, now),
            "created_at": c.created_at}


def _mandate_item(m: LegalMandate, now: datetime) -> dict[str, Any]:
    status = mandate_status(m, now)
    if status == "active" and not mandate_in_force(m, now):
        status = "triage"  # a subpoena still waiting for its court order
    return {"kind": "legal_mandate", "id": m.id, "agency_id": m.agency_id, "person_id": m.person_id,
            "categories": m.categories, "purposes": None, "basis": m.basis,
            "valid_from": m.activated_at or m.created_at, "valid_until": m.expires_at,
            "status": "revoked" if status == "withdrawn" else status, "created_at": m.created_at}


async def list_shared_with_us(
    session: AsyncSession, principal: Principal, page: PageParams, status: SharedStatus | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """Consents and legal mandates naming the caller's agency as recipient (held by other agencies), newest
    first; a caller whose role may not request disclosures sees none."""
    agency_id = access.shared_recipient(principal)
    if agency_id is None:
        return [], None
    now = utcnow()
    consents = await _page(session, Consent, sa.and_(
        Consent.recipient_agency_id == agency_id, Consent.agency_id != agency_id, _consent_filter(status, now)), page)
    mandates = await _page(session, LegalMandate, sa.and_(
        LegalMandate.recipient_agency_id == agency_id, LegalMandate.agency_id != agency_id,
        _mandate_filter(status, now)), page)
    items = [_consent_item(c, now) for c in consents] + [_mandate_item(m, now) for m in mandates]
    items.sort(key=lambda i: (i["created_at"], i["id"]), reverse=True)
    cursor = None
    if len(items) > page.limit:
        items = items[: page.limit]
        cursor = encode_cursor(items[-1]["created_at"], items[-1]["id"])
    links = await access.linked_persons(session, agency_id, list({i["person_id"] for i in items}))
    for item in items:
        item["linked_person_id"] = links.get(item["person_id"])
    return items, cursor
