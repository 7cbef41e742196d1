"""Consent wordings: the versions of an agency's consent text, managed by its admin. A consent names the version
it used (`check_wording_version`); a retired version can no longer be named."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.consent import access
from app.consent.models import ConsentWording
from app.consent.schemas import WordingCreate
from app.core.clock import utcnow
from app.core.errors import Conflict, NotFound
from app.core.pagination import PageParams, paginate
from app.trail.recorder import record


async def create_wording(session: AsyncSession, principal: Principal, data: WordingCreate) -> ConsentWording:
    """A new version (in one language) of the caller's agency's consent wording; 409 if it exists."""
    agency_id = access.wording_agency(principal)
    taken = (await session.execute(sa.select(ConsentWording.id).where(
        ConsentWording.agency_id == agency_id, ConsentWording.version == data.version,
        ConsentWording.language == data.language))).first()
    if taken is not None:
        raise Conflict("This version of the consent wording already exists in that language; add a new version.")
    wording = ConsentWording(agency_id=agency_id, version=data.version, language=data.language, text=data.text,
                             created_by=principal.ref)
    session.add(wording)
    await session.flush()
    await record(session, principal, "consent_wording.create", "consent_wording", wording.id, agency_id=agency_id)
    return wording


async def list_wordings(
    session: AsyncSession, principal: Principal, page: PageParams, retired: bool | None = None,
) -> tuple[list[ConsentWording], str | None]:
    stmt = sa.select(ConsentWording).where(access.wording_visible_clause(principal))
    if retired is not None:
        stmt = stmt.where(ConsentWording.retired_at.is_not(None) if retired else ConsentWording.retired_at.is_(None))
    return await paginate(session, stmt, ConsentWording, page)


async def get_wording(session: AsyncSession, principal: Principal, wording_id: uuid.UUID) -> ConsentWording:
    wording = (await session.execute(sa.select(ConsentWording).where(
        ConsentWording.id == wording_id, access.wording_visible_clause(principal)))).scalar_one_or_none()
    if wording is None:
        raise NotFound("consent wording")
    return wording


async def retire_wording(session: AsyncSession, principal: Principal, wording: ConsentWording) -> ConsentWording:
    """New consents can no longer name this version (in this language); consents that named it keep it."""
    if wording.retired_at is not None:
        raise Conflict("This consent wording is already retired.")
    wording.retired_at = utcnow()
    wording.retired_by = principal.ref
    await session.flush()
    await record(session, principal, "consent_wording.retire", "consent_wording", wording.id,
                 agency_id=wording.agency_id)
    return wording


async def wording_version_errors(session: AsyncSession, agency_id: uuid.UUID, version: str | None) -> list[dict[str, Any]]:
    """A consent names a version of its owning agency's wording that exists and is not retired (in some language)."""
    if version is None:
        return []
    rows = (await session.execute(sa.select(ConsentWording.retired_at).where(
        ConsentWording.agency_id == agency_id, ConsentWording.version == version))).all()
    loc = ["body", "wording_version"]
    if not rows:
        return [{"loc": loc, "type": "unknown_wording_version",
                 "msg": "Not a version of your agency's consent wording (POST /consent-wordings)."}]
    if all(r[0] is not None for r in rows):
        return [{"loc": loc, "type": "retired_wording_version", "msg": "This version of the wording is retired."}]
    return []
