"""HTTP routes of the agreements domain: data-sharing agreements between agencies."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from app.agreements import service
from app.agreements.models import Agreement
from app.agreements.schemas import AgreementCreate, AgreementRead, AgreementStatus, StatusChange
from app.auth.dependencies import RequiresAgreementManage, RequiresAgreementRead, current_principal
from app.auth.principal import Principal
from app.core.db import SessionDep
from app.core.http import IdempotencyDep, IfMatch, check_if_match, set_etag
from app.core.pagination import Page, PageParams

router = APIRouter(prefix="/api/v1", tags=["agreements"], dependencies=[Depends(current_principal)])


@router.post("/agreements", status_code=status.HTTP_201_CREATED, response_model=AgreementRead)
async def create_agreement(
    data: AgreementCreate, session: SessionDep, idem: IdempotencyDep, principal: RequiresAgreementManage,
) -> Any:
    return await idem.create(principal.ref, lambda: service.create_agreement(session, principal, data),
                             lambda agreement_id: service.get_agreement(session, principal, agreement_id),
                             lambda agreement: service.agreement_read(session, agreement))


@router.get("/agreements", response_model=Page[AgreementRead])
async def list_agreements(
    session: SessionDep, page: Annotated[PageParams, Depends()],
    principal: RequiresAgreementRead,
    status_filter: AgreementStatus | None = Query(None, alias="status"), party_agency_id: uuid.UUID | None = None,
) -> Any:
    items, cursor = await service.list_agreements(session, principal, page, status=status_filter,
                                                  party_agency_id=party_agency_id)
    return {"items": items, "next_cursor": cursor}


@router.get("/agreements/{agreement_id}", response_model=AgreementRead)
async def get_agreement(
    agreement_id: uuid.UUID, session: SessionDep, response: Response,
    principal: RequiresAgreementRead,
) -> Any:
    agreement = await service.get_agreement(session, principal, agreement_id)
    set_etag(response, agreement)
    return await service.agreement_read(session, agreement)


@router.post("/agreements/{agreement_id}/signatures", status_code=status.HTTP_201_CREATED,
             response_model=AgreementRead)
async def sign_agreement(
    agreement_id: uuid.UUID, session: SessionDep,
    idem: IdempotencyDep, principal: RequiresAgreementManage, if_match: str | None = IfMatch,
) -> Any:
    """Your agency's signature (once); the agreement becomes active when every party has signed."""
    async def sign() -> Agreement:
        agreement = await service.get_agreement(session, principal, agreement_id)
        check_if_match(if_match, agreement)
        return await service.sign(session, principal, agreement)

    return await idem.create(principal.ref, sign,
                             lambda signed_id: service.get_agreement(session, principal, signed_id),
                             lambda agreement: service.agreement_read(session, agreement))


async def _transition(
    fn: Any, agreement_id: uuid.UUID, data: StatusChange, session: AsyncSession, response: Response,
    principal: Principal, if_match: str | None,
) -> Any:
    agreement = await service.get_agreement(session, principal, agreement_id)
    check_if_match(if_match, agreement)
    agreement = await fn(session, principal, agreement, data)
    set_etag(response, agreement)
    return await service.agreement_read(session, agreement)


@router.post("/agreements/{agreement_id}/suspend", response_model=AgreementRead)
async def suspend_agreement(
    agreement_id: uuid.UUID, data: StatusChange, session: SessionDep, response: Response, principal: RequiresAgreementManage,
    if_match: str | None = IfMatch,
) -> Any:
    """Stop sharing under this agreement from the next request on (active -> suspended)."""
    return await _transition(service.suspend, agreement_id, data, session, response, principal, if_match)


@router.post("/agreements/{agreement_id}/resume", response_model=AgreementRead)
async def resume_agreement(
    agreement_id: uuid.UUID, data: StatusChange, session: SessionDep, response: Response, principal: RequiresAgreementManage,
    if_match: str | None = IfMatch,
) -> Any:
    """Lift a suspension (suspended -> active); only the agency that suspended it may."""
    return await _transition(service.resume, agreement_id, data, session, response, principal, if_match)


@router.post("/agreements/{agreement_id}/terminate", response_model=AgreementRead)
async def terminate_agreement(
    agreement_id: uuid.UUID, data: StatusChange, session: SessionDep, response: Response, principal: RequiresAgreementManage,
    if_match: str | None = IfMatch,
) -> Any:
    """End the agreement for good (from draft, active or suspended)."""
    return await _transition(service.terminate, agreement_id, data, session, response, principal, if_match)
