"""HTTP routes of the agreements domain: data-sharing agreements between agencies."""

from __future__ import annotations

import uuid
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response, status

from app.agreements import service
from app.agreements.dependencies import AgreementForUpdate, AgreementVisible
from app.agreements.schemas import AgreementCreate, AgreementRead, AgreementStatus, StatusChange
from app.auth.dependencies import RequiresAgreementManage, RequiresAgreementRead, current_principal
from app.core.db import SessionDep
from app.core.http import IdempotencyDep, IfMatch, tagged
from app.core.pagination import Page, PageParams

router = APIRouter(prefix="/api/v1", tags=["agreements"], dependencies=[Depends(current_principal)])


@router.post("/agreements", status_code=status.HTTP_201_CREATED, response_model=AgreementRead)
async def create_agreement(
    data: AgreementCreate, session: SessionDep, idem: IdempotencyDep, principal: RequiresAgreementManage,
) -> dict[str, Any]:
    return await idem.create(principal.ref, lambda: service.create_agreement(session, principal, data),
                             lambda agreement_id: service.get_agreement(session, principal, agreement_id),
                             partial(service.agreement_read, session))


@router.get("/agreements", response_model=Page[AgreementRead])
async def list_agreements(
    session: SessionDep, page: Annotated[PageParams, Depends()],
    principal: RequiresAgreementRead,
    status_filter: AgreementStatus | None = Query(None, alias="status"), party_agency_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    items, cursor = await service.list_agreements(session, principal, page, status=status_filter,
                                                  party_agency_id=party_agency_id)
    return {"items": items, "next_cursor": cursor}


@router.get("/agreements/{agreement_id}", response_model=AgreementRead)
async def get_agreement(
    session: SessionDep, response: Response, principal: RequiresAgreementRead, agreement: AgreementVisible,
) -> dict[str, Any]:
    return tagged(response, agreement, await service.agreement_read(session, agreement))


@router.post("/agreements/{agreement_id}/signatures", status_code=status.HTTP_201_CREATED,
             response_model=AgreementRead)
async def sign_agreement(
    agreement_id: uuid.UUID, session: SessionDep,
    idem: IdempotencyDep, principal: RequiresAgreementManage, if_match: str | None = IfMatch,
) -> dict[str, Any]:
    """Your agency's signature (once); the agreement becomes active when every party has signed."""
    return await idem.create(principal.ref,
                             lambda: service.sign_by_id(session, principal, agreement_id, if_match=if_match),
                             lambda signed_id: service.get_agreement(session, principal, signed_id),
                             partial(service.agreement_read, session))


@router.post("/agreements/{agreement_id}/suspend", response_model=AgreementRead)
async def suspend_agreement(
    data: StatusChange, session: SessionDep, response: Response, principal: RequiresAgreementManage,
    agreement: AgreementForUpdate,
) -> dict[str, Any]:
    """Stop sharing under this agreement from the next request on (active -> suspended)."""
    agreement = await service.suspend(session, principal, agreement, data)
    return tagged(response, agreement, await service.agreement_read(session, agreement))


@router.post("/agreements/{agreement_id}/resume", response_model=AgreementRead)
async def resume_agreement(
    data: StatusChange, session: SessionDep, response: Response, principal: RequiresAgreementManage,
    agreement: AgreementForUpdate,
) -> dict[str, Any]:
    """Lift a suspension (suspended -> active); only the agency that suspended it may."""
    agreement = await service.resume(session, principal, agreement, data)
    return tagged(response, agreement, await service.agreement_read(session, agreement))


@router.post("/agreements/{agreement_id}/terminate", response_model=AgreementRead)
async def terminate_agreement(
    data: StatusChange, session: SessionDep, response: Response, principal: RequiresAgreementManage,
    agreement: AgreementForUpdate,
) -> dict[str, Any]:
    """End the agreement for good (from draft, active or suspended)."""
    agreement = await service.terminate(session, principal, agreement, data)
    return tagged(response, agreement, await service.agreement_read(session, agreement))
