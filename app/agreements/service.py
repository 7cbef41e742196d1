"""Rules for data-sharing agreements: parties create, sign, suspend, resume and terminate them.

Whether an agreement is in force is decided at each request by app.agreements.access.active_agreement_clause; nothing
here caches it.
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.agreements import access
from app.agreements.models import Agreement, AgreementParty
from app.agreements.schemas import AgreementCreate, AgreementStatus, StatusChange
from app.auth.principal import Principal
from app.core.clock import today, utcnow
from app.core.errors import Conflict, Invalid, NotFound
from app.core.http import check_if_match
from app.core.pagination import PageParams, paginate
from app.identity.models import Agency
from app.outbox.events import emit
from app.trail.recorder import record


async def _parties(session: AsyncSession, agreement_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[AgreementParty]]:
    out: dict[uuid.UUID, list[AgreementParty]] = {i: [] for i in agreement_ids}
    if agreement_ids:
        rows = await session.execute(sa.select(AgreementParty).where(AgreementParty.agreement_id.in_(agreement_ids))
                                     .order_by(AgreementParty.created_at, AgreementParty.agency_id))
        for p in rows.scalars():
            out[p.agreement_id].append(p)
    return out


def _read(agreement: Agreement, parties: list[AgreementParty]) -> dict[str, Any]:
    on = today()
    return {
        "id": agreement.id, "title": agreement.title,
        "party_agency_ids": [p.agency_id for p in parties],
        "parties": [{"agency_id": p.agency_id, "signed_at": p.signed_at, "signed_by": p.signed_by} for p in parties],
        "categories": agreement.categories, "purposes": agreement.purposes,
        "effective_from": agreement.effective_from, "expires_on": agreement.expires_on,
        "document_sha256": agreement.document_sha256, "status": agreement.status,
        "status_reason": agreement.status_reason,
        "in_force": agreement.status == AgreementStatus.active.value
        and agreement.effective_from <= on <= agreement.expires_on,
        "created_by_agency_id": agreement.created_by_agency_id,
        "suspended_by_agency_id": agreement.suspended_by_agency_id,
        "created_at": agreement.created_at, "updated_at": agreement.updated_at,
    }


async def agreement_read(session: AsyncSession, agreement: Agreement) -> dict[str, Any]:
    return _read(agreement, (await _parties(session, [agreement.id]))[agreement.id])


async def _event(session: AsyncSession, principal: Principal, agreement: Agreement, action: str,
                 event: str) -> None:
    """Audit `agreement.<action>` and tell every party with webhook event `agreement.<event>` (ids only)."""
    await record(session, principal, f"agreement.{action}", "agreement", agreement.id)
    parties = (await _parties(session, [agreement.id]))[agreement.id]
    await emit(session, f"agreement.{event}", [p.agency_id for p in parties],
               {"agreement_id": str(agreement.id), "status": agreement.status})


async def create_agreement(session: AsyncSession, principal: Principal, data: AgreementCreate) -> Agreement:
    access.ensure_may_create_agreement(principal, data.party_agency_ids)
    found = set((await session.execute(sa.select(Agency.id).where(Agency.id.in_(data.party_agency_ids))))
                .scalars().all())
    missing = [str(i) for i in data.party_agency_ids if i not in found]
    if missing:
        raise Invalid(f"No agency with id {', '.join(missing)}.", loc=["body", "party_agency_ids"],
                      type="unknown_agency")
    agreement = Agreement(
        title=data.title, categories=[c.value for c in data.categories], purposes=[p.value for p in data.purposes],
        effective_from=data.effective_from, expires_on=data.expires_on, document_sha256=data.document_sha256,
        status=AgreementStatus.draft.value, created_by_agency_id=principal.agency_id,
    )
    session.add(agreement)
    await session.flush()
    for agency_id in data.party_agency_ids:
        session.add(AgreementParty(agreement_id=agreement.id, agency_id=agency_id))
    await session.flush()
    await _event(session, principal, agreement, "create", "created")
    return agreement


async def list_agreements(
    session: AsyncSession, principal: Principal, page: PageParams, *, status: AgreementStatus | None = None,
    party_agency_id: uuid.UUID | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    stmt = sa.select(Agreement).where(access.agreement_visible_clause(principal))
    if status is not None:
        stmt = stmt.where(Agreement.status == status.value)
    if party_agency_id is not None:
        stmt = stmt.where(sa.exists().where(AgreementParty.agreement_id == Agreement.id,
                                            AgreementParty.agency_id == party_agency_id))
    rows, cursor = await paginate(session, stmt, Agreement, page)
    parties = await _parties(session, [a.id for a in rows])
    return [_read(a, parties[a.id]) for a in rows], cursor


async def get_agreement(session: AsyncSession, principal: Principal, agreement_id: uuid.UUID) -> Agreement:
    """The agreement if the caller's agency is a party to it, else 404."""
    agreement = (await session.execute(
        sa.select(Agreement).where(Agreement.id == agreement_id, access.agreement_visible_clause(principal))
    )).scalar_one_or_none()
    if agreement is None:
        raise NotFound("agreement")
    return agreement


def _require_status(agreement: Agreement, *allowed: AgreementStatus, action: str) -> None:
    if agreement.status not in {s.value for s in allowed}:
        raise Conflict(f"An agreement in status {agreement.status} cannot be {action}.")


async def sign(session: AsyncSession, principal: Principal, agreement: Agreement) -> Agreement:
    """The caller's agency signs once; the agreement becomes active when every party has signed."""
    _require_status(agreement, AgreementStatus.draft, action="signed")
    party = (await session.execute(sa.select(AgreementParty).where(
        access.own_party_clause(principal, agreement.id)))).scalar_one_or_none()
    if party is None:  # visible agreements name the caller's agency; kept as a guard
        raise NotFound("agreement")
    if party.signed_at is not None:
        raise Conflict("Your agency has already signed this agreement.")
    now = utcnow()
    # Touch the agreement first: its version check turns a concurrent signature into a 409, not a lost update.
    agreement.updated_at = now
    await session.flush()
    party.signed_at = now
    party.signed_by = principal.user_id
    await session.flush()
    await _event(session, principal, agreement, "sign", "signed")
    unsigned = (await session.execute(sa.select(sa.func.count()).select_from(AgreementParty).where(
        AgreementParty.agreement_id == agreement.id, AgreementParty.signed_at.is_(None)))).scalar_one()
    if unsigned == 0:
        agreement.status = AgreementStatus.active.value
        await session.flush()
        await _event(session, principal, agreement, "activate", "activated")
    return agreement


async def sign_by_id(
    session: AsyncSession, principal: Principal, agreement_id: uuid.UUID, *, if_match: str | None = None
) -> Agreement:
    """Sign the agreement named, if the caller may see it (404) and If-Match names its version (412). Done inside
    an idempotent create, so a retry replays the signature instead of loading (and failing If-Match) again."""
    agreement = await get_agreement(session, principal, agreement_id)
    check_if_match(if_match, agreement)
    return await sign(session, principal, agreement)


async def suspend(session: AsyncSession, principal: Principal, agreement: Agreement, data: StatusChange) -> Agreement:
    """Stops the agreement from counting for any sharing, from the next request on."""
    _require_status(agreement, AgreementStatus.active, action="suspended")
    agreement.status = AgreementStatus.suspended.value
    agreement.status_reason = data.reason
    agreement.suspended_by_agency_id = principal.agency_id
    agreement.updated_at = utcnow()
    await session.flush()
    await _event(session, principal, agreement, "suspend", "suspended")
    return agreement


async def resume(session: AsyncSession, principal: Principal, agreement: Agreement, data: StatusChange) -> Agreement:
    """Only the party that suspended it may resume a suspended agreement."""
    _require_status(agreement, AgreementStatus.suspended, action="resumed")
    access.ensure_may_resume_agreement(principal, agreement)
    agreement.status = AgreementStatus.active.value
    agreement.status_reason = data.reason
    agreement.suspended_by_agency_id = None
    agreement.updated_at = utcnow()
    await session.flush()
    await _event(session, principal, agreement, "resume", "activated")
    return agreement


async def terminate(
    session: AsyncSession, principal: Principal, agreement: Agreement, data: StatusChange
) -> Agreement:
    """Any party ends the agreement for good (a draft can be terminated too, to withdraw it)."""
    _require_status(agreement, AgreementStatus.draft, AgreementStatus.active, AgreementStatus.suspended,
                    action="terminated")
    agreement.status = AgreementStatus.terminated.value
    agreement.status_reason = data.reason
    agreement.updated_at = utcnow()
    await session.flush()
    await _event(session, principal, agreement, "terminate", "terminated")
    return agreement
