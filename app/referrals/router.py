"""HTTP routes of the referrals domain: parse, call one service function, shape the answer."""

from __future__ import annotations

import uuid
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Response, status

from app.auth.dependencies import (
    RequiresReferralRead,
    RequiresReferralRespond,
    RequiresReferralWrite,
    current_principal,
)
from app.core.db import SessionDep
from app.core.http import IdempotencyDep, IfMatch, tagged
from app.core.pagination import Page, PageParams, page_of
from app.core.types import Timestamp
from app.referrals import lifecycle, linking, reads, sharing
from app.referrals.dependencies import ReferralReadable, ReferralVisible
from app.referrals.schemas import (
    AcceptBody,
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
) -> dict[str, Any]:
    return await idem.create(principal.ref, lambda: lifecycle.create_referral(session, principal, data),
                             lambda referral_id: lifecycle.get_referral(session, principal, referral_id),
                             partial(sharing.referral_read, session, principal))


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
) -> dict[str, Any]:
    items, cursor = await reads.list_referrals(
        session, principal, page, box=box.value if box else None, status=status.value if status else None,
        urgency=urgency.value if urgency else None, overdue=overdue, person_id=person_id,
        created_from=created_from, created_to=created_to)
    return {"items": items, "next_cursor": cursor}


@router.get("/referrals/{referral_id}", response_model=ReferralRead)
async def get_referral(
    session: SessionDep, response: Response, principal: RequiresReferralRead, referral: ReferralReadable,
) -> dict[str, Any]:
    return tagged(response, referral, await sharing.read_referral(session, principal, referral))


@router.get("/referrals/{referral_id}/events", response_model=Page[ReferralEventRead])
async def list_events(
    referral_id: uuid.UUID, session: SessionDep, principal: RequiresReferralRead,
    page: Annotated[PageParams, Depends()],
) -> dict[str, Any]:
    items, cursor = await lifecycle.list_events(session, principal, referral_id, page)
    return page_of(items, cursor, ReferralEventRead)


@router.get("/referrals/{referral_id}/people", response_model=Page[ReferralPersonRead])
async def read_people(
    referral_id: uuid.UUID, session: SessionDep, principal: RequiresReferralRead,
    page: Annotated[PageParams, Depends()],
) -> dict[str, Any]:
    items, cursor = await sharing.read_people(session, principal, referral_id, page)
    return {"items": items, "next_cursor": cursor}


@router.post("/referrals/{referral_id}/send", response_model=ReferralRead)
async def send(
    session: SessionDep, response: Response, principal: RequiresReferralWrite, referral: ReferralVisible,
    if_match: str | None = IfMatch,
) -> dict[str, Any]:
    """Sending agency: needs an active agreement covering referrals and each person's referral consent."""
    referral = await lifecycle.transition(session, principal, referral, "send", if_match=if_match)
    return tagged(response, referral, await sharing.referral_read(session, principal, referral))


@router.post("/referrals/{referral_id}/acknowledge", response_model=ReferralRead)
async def acknowledge(
    session: SessionDep, response: Response, principal: RequiresReferralRespond, referral: ReferralVisible,
    if_match: str | None = IfMatch,
) -> dict[str, Any]:
    referral = await lifecycle.transition(session, principal, referral, "acknowledge", if_match=if_match)
    return tagged(response, referral, await sharing.referral_read(session, principal, referral))


@router.post("/referrals/{referral_id}/accept", response_model=ReferralRead)
async def accept(
    session: SessionDep, response: Response, principal: RequiresReferralRespond, referral: ReferralVisible,
    data: Annotated[AcceptBody, Body(default_factory=AcceptBody)], if_match: str | None = IfMatch,
) -> dict[str, Any]:
    """Receiving agency. With `{"create_records": true}` it also opens its own case and person records from
    what the disclosure rule releases now (accounted for), linked to the referring agency's, in the same
    transaction; the caller joins the new case's team."""
    referral = await linking.accept(session, principal, referral, data, if_match=if_match)
    return tagged(response, referral, await sharing.referral_read(session, principal, referral))


@router.post("/referrals/{referral_id}/decline", response_model=ReferralRead)
async def decline(
    data: DeclineBody, session: SessionDep, response: Response, principal: RequiresReferralRespond,
    referral: ReferralVisible, if_match: str | None = IfMatch,
) -> dict[str, Any]:
    referral = await lifecycle.transition(session, principal, referral, "decline", data, if_match=if_match)
    return tagged(response, referral, await sharing.referral_read(session, principal, referral))


@router.post("/referrals/{referral_id}/withdraw", response_model=ReferralRead)
async def withdraw(
    session: SessionDep, response: Response, principal: RequiresReferralWrite, referral: ReferralVisible,
    if_match: str | None = IfMatch,
) -> dict[str, Any]:
    referral = await lifecycle.transition(session, principal, referral, "withdraw", if_match=if_match)
    return tagged(response, referral, await sharing.referral_read(session, principal, referral))


@router.post("/referrals/{referral_id}/close", response_model=ReferralRead)
async def close(
    data: CloseBody, session: SessionDep, response: Response, principal: RequiresReferralWrite,
    referral: ReferralVisible, if_match: str | None = IfMatch,
) -> dict[str, Any]:
    referral = await lifecycle.transition(session, principal, referral, "close", data, if_match=if_match)
    return tagged(response, referral, await sharing.referral_read(session, principal, referral))
