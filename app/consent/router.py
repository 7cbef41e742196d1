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
    RequiresWordingManage,
    RequiresWordingRead,
    current_principal,
)
from app.consent import consents, disclosures, mandates, renewals, shared, wordings
from app.consent.dependencies import (
    ConsentForUpdate,
    ConsentVisible,
    DraftForUpdate,
    DraftVisible,
    MandateForUpdate,
    MandateVisible,
    TaskForUpdate,
    TaskVisible,
    WordingVisible,
)
from app.consent.disclosures import DisclosureResult, PreviewResult
from app.consent.models import ConsentWording, NotificationTask
from app.consent.schemas import (
    ConsentCreate,
    ConsentDraftRead,
    ConsentDraftSign,
    ConsentRead,
    ConsentRevoke,
    ConsentStatus,
    ConsentSummary,
    CourtOrder,
    DisclosurePreviewRead,
    DisclosurePreviewRequest,
    DisclosureRead,
    DisclosureRecord,
    DisclosureRequest,
    MandateCreate,
    MandateRead,
    MandateSummary,
    MandateWithdraw,
    SharedItem,
    TaskComplete,
    TaskKind,
    TaskRead,
    TaskStatus,
    WordingCreate,
    WordingRead,
)
from app.core.db import SessionDep
from app.core.http import IdempotencyDep, tagged
from app.core.pagination import Page, PageParams, page_of

router = APIRouter(prefix="/api/v1", tags=["consent"], dependencies=[Depends(current_principal)])


# ------------------------------------------------------------------ consents


@router.post("/people/{person_id}/consents", status_code=status.HTTP_201_CREATED, response_model=ConsentRead)
async def create_consent(
    person_id: uuid.UUID, data: ConsentCreate, session: SessionDep, idem: IdempotencyDep,
    principal: RequiresConsentRecord,
) -> dict[str, Any]:
    """Record a consent (the owning agency's staff). 422 names every missing or invalid element."""
    return await idem.create(principal.ref, lambda: consents.create_consent(session, principal, person_id, data),
                             lambda consent_id: consents.get_consent(session, principal, consent_id),
                             consents.consent_read)


@router.get("/people/{person_id}/consents", response_model=Page[ConsentSummary])
async def list_consents(
    person_id: uuid.UUID, session: SessionDep, page: Annotated[PageParams, Depends()],
    principal: RequiresConsentRead, status: ConsentStatus | None = None,
) -> dict[str, Any]:
    items, cursor = await consents.list_consents(session, principal, person_id, page, status)
    return {"items": [consents.consent_read(c, full=False) for c in items], "next_cursor": cursor}


@router.get("/consents/{consent_id}", response_model=ConsentRead)
async def get_consent(principal: RequiresConsentRead, consent: ConsentVisible, response: Response) -> dict[str, Any]:
    return tagged(response, consent, consents.consent_read(consent))


@router.post("/consents/{consent_id}/revoke", response_model=ConsentRead)
async def revoke_consent(
    data: ConsentRevoke, session: SessionDep, response: Response, principal: RequiresConsentRevoke,
    consent: ConsentForUpdate,
) -> dict[str, Any]:
    """Revoke a consent (written or oral); it stops working on the very next request."""
    consent = await consents.revoke_consent(session, principal, consent, data)
    return tagged(response, consent, consents.consent_read(consent))


@router.post("/consents/{consent_id}/renew", status_code=status.HTTP_201_CREATED, response_model=ConsentDraftRead)
async def renew_consent(
    session: SessionDep, idem: IdempotencyDep, principal: RequiresConsentRecord, consent: ConsentVisible,
) -> dict[str, Any]:
    """A renewal draft copying the consent's scope (recipient, purposes, categories) for her to read again and
    sign (`POST /consent-drafts/{id}/sign`). A draft releases nothing. 409 for a revoked consent, or while
    another renewal of it waits."""
    return await idem.create(principal.ref, lambda: renewals.renew(session, principal, consent),
                             lambda draft_id: renewals.get_draft(session, principal, draft_id),
                             renewals.draft_read)


@router.get("/consent-drafts/{draft_id}", response_model=ConsentDraftRead)
async def get_consent_draft(principal: RequiresConsentRead, draft: DraftVisible, response: Response) -> dict[str, Any]:
    return tagged(response, draft, renewals.draft_read(draft))


@router.post("/consent-drafts/{draft_id}/sign", status_code=status.HTTP_201_CREATED, response_model=ConsentRead)
async def sign_consent_draft(
    data: ConsentDraftSign, session: SessionDep, response: Response, principal: RequiresConsentRecord,
    draft: DraftForUpdate,
) -> dict[str, Any]:
    """Her signature on a renewal: records a new consent with the draft's scope (every element checked as for
    any consent, 422 naming each problem); it releases from then on, like any consent."""
    consent = await renewals.sign(session, principal, draft, data)
    return tagged(response, consent, consents.consent_read(consent))


# ------------------------------------------------------------------ consent wordings


@router.post("/consent-wordings", status_code=status.HTTP_201_CREATED, response_model=WordingRead)
async def create_consent_wording(
    data: WordingCreate, session: SessionDep, idem: IdempotencyDep, principal: RequiresWordingManage,
) -> ConsentWording:
    """A new version of the agency's consent wording, in one language (the agency admin); 409 if that version
    exists in that language. Consents name the version they used (`wording_version`)."""
    return await idem.create(principal.ref, lambda: wordings.create_wording(session, principal, data),
                             lambda wording_id: wordings.get_wording(session, principal, wording_id))


@router.get("/consent-wordings", response_model=Page[WordingRead])
async def list_consent_wordings(
    session: SessionDep, page: Annotated[PageParams, Depends()], principal: RequiresWordingRead,
    retired: bool | None = None,
) -> dict[str, Any]:
    """The agency's versions of its consent wording, newest first (`retired=false`: those still in use)."""
    items, cursor = await wordings.list_wordings(session, principal, page, retired)
    return page_of(items, cursor, WordingRead)


@router.get("/consent-wordings/{wording_id}", response_model=WordingRead)
async def get_consent_wording(principal: RequiresWordingRead, wording: WordingVisible) -> ConsentWording:
    return wording


@router.post("/consent-wordings/{wording_id}/retire", response_model=WordingRead)
async def retire_consent_wording(
    session: SessionDep, principal: RequiresWordingManage, wording: WordingVisible,
) -> ConsentWording:
    """Retire a version: new consents can no longer name it (409 if already retired)."""
    return await wordings.retire_wording(session, principal, wording)


# ------------------------------------------------------------------ disclosures


@router.post("/disclosures", status_code=status.HTTP_201_CREATED, response_model=DisclosureRead,
             responses={404: {"description": "No such person, or the caller's agency has no link to them."}})
async def request_disclosure(
    data: DisclosureRequest, session: SessionDep,
    principal: RequiresDisclosureRequest,
) -> DisclosureResult:
    """Apply the disclosure rule category by category; every request lands in the accounting of disclosures."""
    # A refused request lands there too: its 404 (PersonNotLinked) keeps what it wrote (AppError.keep_writes).
    return await disclosures.request_disclosure(session, principal, data.purpose, data.categories,
                                                person_id=data.person_id, linked_person_id=data.linked_person_id)


@router.post("/people/{person_id}/disclosure-preview", response_model=DisclosurePreviewRead)
async def preview_disclosure(
    person_id: uuid.UUID, data: DisclosurePreviewRequest, session: SessionDep, principal: RequiresConsentRecord,
) -> PreviewResult:
    """What the named recipient agency would receive about the person now, for a purpose (the owning agency's
    staff who can see the person): the same rule, evaluated for that agency, and the same element cut, to show
    her before she signs or to explain a release. Nothing is released and nothing enters the accounting of
    disclosures; the preview is audited. With `as_if_signed` (the scope of the consent she is about to sign) it
    shows what the recipient would receive once she signed it. Without it, a recipient with no link to her (no
    consent or mandate naming it, no referral) would be refused: every category is withheld as `no_link`."""
    return await disclosures.preview(session, principal, person_id, data.recipient_agency_id, data.purpose,
                                     data.categories, data.as_if_signed)


@router.get("/people/{person_id}/disclosures", response_model=Page[DisclosureRecord])
async def list_disclosures(
    person_id: uuid.UUID, session: SessionDep, page: Annotated[PageParams, Depends()],
    principal: RequiresDisclosureRead,
) -> dict[str, Any]:
    """The accounting of disclosures: when, to whom, what, why, on what basis (never the data released)."""
    items, cursor = await disclosures.list_disclosures(session, principal, person_id, page)
    return page_of(items, cursor, DisclosureRecord)


# ------------------------------------------------------------------ shared with us


@router.get("/shared-with-us", response_model=Page[SharedItem])
async def list_shared_with_us(
    session: SessionDep, page: Annotated[PageParams, Depends()], principal: RequiresDisclosureRequest,
    status: shared.SharedStatus | None = None,
) -> dict[str, Any]:
    """Consents and legal mandates of other agencies naming the caller's agency as recipient, newest first: the
    person (the holder's id, and the caller's own linked person where a link exists), categories and elements,
    purposes, valid until, status. No names or other personal data. So a worker knows what to ask for."""
    items, cursor = await shared.list_shared_with_us(session, principal, page, status)
    return page_of(items, cursor, SharedItem)


# ------------------------------------------------------------------ legal mandates


@router.post("/people/{person_id}/legal-mandates", status_code=status.HTTP_201_CREATED, response_model=MandateRead)
async def create_mandate(
    person_id: uuid.UUID, data: MandateCreate, session: SessionDep, idem: IdempotencyDep,
    principal: RequiresMandateRecord,
) -> dict[str, Any]:
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
) -> dict[str, Any]:
    items, cursor = await mandates.list_mandates(session, principal, person_id, page)
    return page_of([mandates.mandate_read(m, full=False) for m in items], cursor, MandateSummary)


@router.get("/legal-mandates/{mandate_id}", response_model=MandateRead)
async def get_mandate(principal: RequiresDisclosureRead, mandate: MandateVisible, response: Response) -> dict[str, Any]:
    return tagged(response, mandate, mandates.mandate_read(mandate))


@router.post("/legal-mandates/{mandate_id}/court-order", response_model=MandateRead)
async def record_court_order(
    data: CourtOrder, session: SessionDep, response: Response, principal: RequiresMandateRecord,
    mandate: MandateForUpdate,
) -> dict[str, Any]:
    """Record the court order for a subpoena in triage; the mandate is then in force."""
    mandate = await mandates.record_court_order(session, principal, mandate, data)
    return tagged(response, mandate, mandates.mandate_read(mandate))


@router.post("/legal-mandates/{mandate_id}/withdraw", response_model=MandateRead)
async def withdraw_mandate(
    data: MandateWithdraw, session: SessionDep, response: Response, principal: RequiresMandateRecord,
    mandate: MandateForUpdate,
) -> dict[str, Any]:
    """Withdraw a legal mandate (supervisors of the owning agency); it releases nothing from the very next
    request."""
    mandate = await mandates.withdraw_mandate(session, principal, mandate, data)
    return tagged(response, mandate, mandates.mandate_read(mandate))


# ------------------------------------------------------------------ notification tasks


@router.get("/notification-tasks", response_model=Page[TaskRead])
async def list_tasks(
    session: SessionDep, page: Annotated[PageParams, Depends()],
    principal: RequiresDisclosureRead,
    status: TaskStatus | None = None, person_id: uuid.UUID | None = None, kind: TaskKind | None = None,
) -> dict[str, Any]:
    """Tasks to notify survivors of legal mandates: a warning when one comes into force (release waits for it)
    and a notice of each release (use the person's safe-contact instructions from their record)."""
    items, cursor = await mandates.list_tasks(session, principal, page, status=status, person_id=person_id,
                                              kind=kind)
    return page_of(items, cursor, TaskRead)


@router.get("/notification-tasks/{task_id}", response_model=TaskRead)
async def get_task(principal: RequiresDisclosureRead, task: TaskVisible, response: Response) -> NotificationTask:
    return tagged(response, task)


@router.post("/notification-tasks/{task_id}/complete", response_model=TaskRead)
async def complete_task(
    data: TaskComplete, session: SessionDep, response: Response, principal: RequiresConsentRecord,
    task: TaskForUpdate,
) -> NotificationTask:
    return tagged(response, await mandates.complete_task(session, principal, task, data))
