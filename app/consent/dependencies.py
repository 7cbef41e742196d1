"""Loader dependencies of the consent domain: the consent, legal mandate or notification task a route names,
found through the caller's visibility (404 otherwise); the ForUpdate variants also apply If-Match (412)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from app.auth.dependencies import Caller
from app.consent import consents, mandates, renewals, wordings
from app.consent.models import Consent, ConsentDraft, ConsentWording, LegalMandate, NotificationTask
from app.core.db import SessionDep
from app.core.http import for_update


async def visible_consent(consent_id: uuid.UUID, session: SessionDep, principal: Caller) -> Consent:
    return await consents.get_consent(session, principal, consent_id)


async def visible_mandate(mandate_id: uuid.UUID, session: SessionDep, principal: Caller) -> LegalMandate:
    return await mandates.get_mandate(session, principal, mandate_id)


async def visible_task(task_id: uuid.UUID, session: SessionDep, principal: Caller) -> NotificationTask:
    return await mandates.get_task(session, principal, task_id)


async def visible_wording(wording_id: uuid.UUID, session: SessionDep, principal: Caller) -> ConsentWording:
    return await wordings.get_wording(session, principal, wording_id)


WordingVisible = Annotated[ConsentWording, Depends(visible_wording)]


async def visible_draft(draft_id: uuid.UUID, session: SessionDep, principal: Caller) -> ConsentDraft:
    return await renewals.get_draft(session, principal, draft_id)


ConsentVisible = Annotated[Consent, Depends(visible_consent)]
ConsentForUpdate = Annotated[Consent, Depends(for_update(visible_consent))]
MandateVisible = Annotated[LegalMandate, Depends(visible_mandate)]
MandateForUpdate = Annotated[LegalMandate, Depends(for_update(visible_mandate))]
TaskVisible = Annotated[NotificationTask, Depends(visible_task)]
TaskForUpdate = Annotated[NotificationTask, Depends(for_update(visible_task))]
DraftVisible = Annotated[ConsentDraft, Depends(visible_draft)]
DraftForUpdate = Annotated[ConsentDraft, Depends(for_update(visible_draft))]
