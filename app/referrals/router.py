"""HTTP routes of the referrals domain: parse, call one service function, shape the answer."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.dependencies import (
    RequiresReferralRead,
    RequiresReferralRespond,
    RequiresReferralWrite,
    current_principal,
)
from app.auth.principal import Principal
from app.core.db import SessionDep
from app.core.http import IdempotencyDep, IfMatch, set_etag
from app.core.pagination import Page, PageParams, page_of
from app.core.types import Timestamp
from app.referrals import service
from app.referrals.schemas import (
    Box,
    CloseBody,
    DeclineBody,
    ReferralCreate,
    ReferralEventRead,
    ReferralPersonRead,
    ReferralRead,
    ReferralStatus,
    ReferralSummary,
    Urgency,
)

router = APIRouter(prefix="/api/v1", tags=["referrals"], dependencies=[Depends(current_principal)])


@router.post("/referrals", status_code=status.HTTP_201_CREATED, response_model=ReferralRead)
async def create_referral(
    data: ReferralCreate, session: SessionDep, principal: RequiresReferralWrite, idem: IdempotencyDep,
) -> Any:
    return await idem.create(principal.ref, lambda: service.create_referral(session, principal, data),
                             lambda referral_id: service.get_referral(session, principal, referral_id),
                             lambda referral: service.referral_read(session, principal, referral))


@router.get("/referrals", response_model=Page[ReferralSummary])
async def list_referrals(
    session: SessionDep, principal: RequiresReferralRead, page: Annotated[PageParams, Depends()],
    box: Box | None = Query(None, description="incoming (sent to your agency) or outgoing; both when absent."),
    status: ReferralStatus | None = None,
    urgency: Urgency | None = None,
    overdue: bool | None = Query(None, description="Past respond_by with no answer (accepted or declined)."),
    person_id: uuid.UUID | None = None,
    created_from: Timestamp | None = Query(None, description="Created at or after (RFC 3339)."),
    created_to: Timestamp | None = Query(None, description="Created at or before (RFC 3339)."),
) -> Any:
    items, cursor = await service.list_referrals(
        session, principal, page, box=box.value if box else None, status=status.value if status else None,
        urgency=urgency.value if urgency else None, overdue=overdue, person_id=person_id,
        created_from=created_from, created_to=created_to)
    return {"items": items, "next_cursor": cursor}


@router.get("/referrals/{referral_id}", response_model=ReferralRead)
async def get_referral(referral_id: uuid.UUID, session: SessionDep, response: Response, principal: RequiresReferralRead) -> Any:
    referral, body = await service.read_referral(session, principal, referral_id)
    set_etag(response, referral)
    return body


@router.get("/referrals/{referral_id}/events", response_model=Page[ReferralEventRead])
async def list_events(
    referral_id: uuid.UUID, session: SessionDep, principal: RequiresReferralRead, page: Annotated[PageParams, Depends()],
) -> Any:
    items, cursor = await service.list_events(session, principal, referral_id, page)
    return page_of(items, cursor, ReferralEventRead)


@router.get("/referrals/{referral_id}/people", response_model=Page[ReferralPersonRead])
async def read_people(
    referral_id: uuid.UUID, session: SessionDep, principal: RequiresReferralRead, page: Annotated[PageParams, Depends()],
) -> Any:
    items, cursor = await service.read_people(session, principal, referral_id, page)
    return {"items": items, "next_cursor": cursor}


async def _transition(
    session: AsyncSession, response: Response, principal: Principal, referral_id: uuid.UUID, action: str,
    if_match: str | None, body: DeclineBody | CloseBody | None = None,
) -> Any:
    referral = await service.get_referral(session, principal, referral_id)
    referral = await service.transition(session, principal, referral, action, body, if_match=if_match)
    set_etag(response, referral)
    return await service.referral_read(session, principal, referral)


@router.post("/referrals/{referral_id}/send", response_model=ReferralRead)
async def send(referral_id: uuid.UUID, session: SessionDep, response: Response, principal: RequiresReferralWrite,
               if_match: str | None = IfMatch) -> Any:
    """Sending agency: needs an active agreement covering referrals and each person's referral consent."""
    return await _transition(session, response, principal, referral_id, "send", if_match)


@router.post("/referrals/{referral_id}/acknowledge", response_model=ReferralRead)
async def acknowledge(referral_id: uuid.UUID, session: SessionDep, response: Response, principal: RequiresReferralRespond,
                      if_match: str | None = IfMatch) -> Any:
    return await _transition(session, response, principal, referral_id, "acknowledge", if_match)


@router.post("/referrals/{referral_id}/accept", response_model=ReferralRead)
async def accept(referral_id: uuid.UUID, session: SessionDep, response: Response, principal: RequiresReferralRespond,
                 if_match: str | None = IfMatch) -> Any:
    return await _transition(session, response, principal, referral_id, "accept", if_match)


@router.post("/referrals/{referral_id}/decline", response_model=ReferralRead)
async def decline(referral_id: uuid.UUID, data: DeclineBody, session: SessionDep, response: Response,
                  principal: RequiresReferralRespond, if_match: str | None = IfMatch) -> Any:
    return await _transition(session, response, principal, referral_id, "decline", if_match, data)


@router.post("/referrals/{referral_id}/withdraw", response_model=ReferralRead)
async def withdraw(referral_id: uuid.UUID, session: SessionDep, response: Response, principal: RequiresReferralWrite,
                   if_match: str | None = IfMatch) -> Any:
    return await _transition(session, response, principal, referral_id, "withdraw", if_match)


@router.post("/referrals/{referral_id}/close", response_model=ReferralRead)
async def close(referral_id: uuid.UUID, data: CloseBody, session: SessionDep, response: Response,
                principal: RequiresReferralWrite, if_match: str | None = IfMatch) -> Any:
    return await _transition(session, response, principal, referral_id, "close", if_match, data)
