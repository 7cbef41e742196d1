"""HTTP routes of the consent domain: consents, disclosures and their accounting, legal mandates,
notification tasks."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response, status

from app.auth.dependencies import (
    RequiresConsentRead,
    RequiresConsentRecord,
    RequiresConsentRevoke,
    RequiresDisclosureRead,
    RequiresDisclosureRequest,
    RequiresMandateRecord,
    current_principal,
)
from app.consent import mandates, service
from app.consent.schemas import (
    ConsentCreate,
    ConsentRead,
    ConsentRevoke,
    ConsentStatus,
    ConsentSummary,
    CourtOrder,
    DisclosureRead,
    DisclosureRecord,
    DisclosureRequest,
    MandateCreate,
    MandateRead,
    MandateSummary,
    MandateWithdraw,
    TaskComplete,
    TaskKind,
    TaskRead,
    TaskStatus,
)
from app.core.db import SessionDep
from app.core.http import IdempotencyDep, IfMatch, check_if_match, set_etag
from app.core.pagination import Page, PageParams, page_of

router = APIRouter(prefix="/api/v1", tags=["consent"], dependencies=[Depends(current_principal)])



# ------------------------------------------------------------------ consents


@router.post("/people/{person_id}/consents", status_code=status.HTTP_201_CREATED, response_model=ConsentRead)
async def create_consent(
    person_id: uuid.UUID, data: ConsentCreate, session: SessionDep, idem: IdempotencyDep,
    principal: RequiresConsentRecord,
) -> Any:
    """Record a consent (the owning agency's staff). 422 names every missing or invalid element."""
    return await idem.create(principal.ref, lambda: service.create_consent(session, principal, person_id, data),
                             lambda consent_id: service.get_consent(session, principal, consent_id),
                             service.consent_read)


@router.get("/people/{person_id}/consents", response_model=Page[ConsentSummary])
async def list_consents(
    person_id: uuid.UUID, session: SessionDep, page: Annotated[PageParams, Depends()],
    principal: RequiresConsentRead, status: ConsentStatus | None = None,
) -> Any:
    items, cursor = await service.list_consents(session, principal, person_id, page, status)
    return {"items": [service.consent_read(c, full=False) for c in items], "next_cursor": cursor}


@router.get("/consents/{consent_id}", response_model=ConsentRead)
async def get_consent(
    consent_id: uuid.UUID, session: SessionDep, response: Response,
    principal: RequiresConsentRead,
) -> Any:
    consent = await service.get_consent(session, principal, consent_id)
    set_etag(response, consent)
    return service.consent_read(consent)


@router.post("/consents/{consent_id}/revoke", response_model=ConsentRead)
async def revoke_consent(
    consent_id: uuid.UUID, data: ConsentRevoke, session: SessionDep, response: Response,
    principal: RequiresConsentRevoke, if_match: str | None = IfMatch,
) -> Any:
    """Revoke a consent (written or oral); it stops working on the very next request."""
    consent = await service.get_consent(session, principal, consent_id)
    check_if_match(if_match, consent)
    consent = await service.revoke_consent(session, principal, consent, data)
    set_etag(response, consent)
    return service.consent_read(consent)


# ------------------------------------------------------------------ disclosures


@router.post("/disclosures", status_code=status.HTTP_201_CREATED, response_model=DisclosureRead,
             responses={404: {"description": "No such person, or the caller's agency has no link to them."}})
async def request_disclosure(
    data: DisclosureRequest, session: SessionDep,
    principal: RequiresDisclosureRequest,
) -> Any:
    """Apply the disclosure rule category by category; every request lands in the accounting of disclosures."""
    # A refused request lands there too: its 404 (PersonNotLinked) keeps what it wrote (AppError.keep_writes).
    return await service.disclose(session, principal, data.person_id, data.purpose, data.categories)


@router.get("/people/{person_id}/disclosures", response_model=Page[DisclosureRecord])
async def list_disclosures(
    person_id: uuid.UUID, session: SessionDep, page: Annotated[PageParams, Depends()],
    principal: RequiresDisclosureRead,
) -> Any:
    """The accounting of disclosures: when, to whom, what, why, on what basis (never the data released)."""
    items, cursor = await service.list_disclosures(session, principal, person_id, page)
    return page_of(items, cursor, DisclosureRecord)


# ------------------------------------------------------------------ legal mandates


@router.post("/people/{person_id}/legal-mandates", status_code=status.HTTP_201_CREATED, response_model=MandateRead)
async def create_mandate(
    person_id: uuid.UUID, data: MandateCreate, session: SessionDep, idem: IdempotencyDep,
    principal: RequiresMandateRecord,
) -> Any:
    """Record a statute, court order or subpoena (supervisors). A subpoena waits in `triage`. Release under a
    mandate in force waits for the survivor to be warned (its notification task done, or the notice hours
    passed) unless a court order requires immediate release, with its reason."""
    return await idem.create(principal.ref, lambda: mandates.create_mandate(session, principal, person_id, data),
                             lambda mandate_id: mandates.get_mandate(session, principal, mandate_id),
                             mandates.mandate_read)


@router.get("/people/{person_id}/legal-mandates", response_model=Page[MandateSummary])
async def list_mandates(
    person_id: uuid.UUID, session: SessionDep, page: Annotated[PageParams, Depends()],
    principal: RequiresDisclosureRead,
) -> Any:
    items, cursor = await mandates.list_mandates(session, principal, person_id, page)
    return page_of([mandates.mandate_read(m, full=False) for m in items], cursor, MandateSummary)


@router.get("/legal-mandates/{mandate_id}", response_model=MandateRead)
async def get_mandate(
    mandate_id: uuid.UUID, session: SessionDep, response: Response,
    principal: RequiresDisclosureRead,
) -> Any:
    mandate = await mandates.get_mandate(session, principal, mandate_id)
    set_etag(response, mandate)
    return mandates.mandate_read(mandate)


@router.post("/legal-mandates/{mandate_id}/court-order", response_model=MandateRead)
async def record_court_order(
    mandate_id: uuid.UUID, data: CourtOrder, session: SessionDep, response: Response,
    principal: RequiresMandateRecord, if_match: str | None = IfMatch,
) -> Any:
    """Record the court order for a subpoena in triage; the mandate is then in force."""
    mandate = await mandates.get_mandate(session, principal, mandate_id)
    check_if_match(if_match, mandate)
    mandate = await mandates.record_court_order(session, principal, mandate, data)
    set_etag(response, mandate)
    return mandates.mandate_read(mandate)


@router.post("/legal-mandates/{mandate_id}/withdraw", response_model=MandateRead)
async def withdraw_mandate(
    mandate_id: uuid.UUID, data: MandateWithdraw, session: SessionDep, response: Response,
    principal: RequiresMandateRecord, if_match: str | None = IfMatch,
) -> Any:
    """Withdraw a legal mandate (supervisors of the owning agency); it releases nothing from the very next
    request."""
    mandate = await mandates.get_mandate(session, principal, mandate_id)
    check_if_match(if_match, mandate)
    mandate = await mandates.withdraw_mandate(session, principal, mandate, data)
    set_etag(response, mandate)
    return mandates.mandate_read(mandate)


# ------------------------------------------------------------------ notification tasks


@router.get("/notification-tasks", response_model=Page[TaskRead])
async def list_tasks(
    session: SessionDep, page: Annotated[PageParams, Depends()],
    principal: RequiresDisclosureRead,
    status: TaskStatus | None = None, person_id: uuid.UUID | None = None, kind: TaskKind | None = None,
) -> Any:
    """Tasks to notify survivors of legal mandates: a warning when one comes into force (release waits for it)
    and a notice of each release (use the person's safe-contact instructions from their record)."""
    items, cursor = await mandates.list_tasks(session, principal, page, status=status, person_id=person_id,
                                              kind=kind)
    return page_of(items, cursor, TaskRead)


@router.get("/notification-tasks/{task_id}", response_model=TaskRead)
async def get_task(
    task_id: uuid.UUID, session: SessionDep, response: Response,
    principal: RequiresDisclosureRead,
) -> Any:
    task = await mandates.get_task(session, principal, task_id)
    set_etag(response, task)
    return task


@router.post("/notification-tasks/{task_id}/complete", response_model=TaskRead)
async def complete_task(
    task_id: uuid.UUID, data: TaskComplete, session: SessionDep, response: Response,
    principal: RequiresConsentRecord, if_match: str | None = IfMatch,
) -> Any:
    task = await mandates.get_task(session, principal, task_id)
    check_if_match(if_match, task)
    task = await mandates.complete_task(session, principal, task, data)
    set_etag(response, task)
    return task
