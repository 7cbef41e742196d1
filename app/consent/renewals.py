"""Renewing a consent: a draft copying its scope for her to sign, then signing it into a new consent.

A draft is not a consent (its own table, which the disclosure rule never reads): it releases nothing until
it is signed, and signing records a new consent through `consents.create_consent`, every element checked
again, so renewal is no back door around the rule.
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.consent import access, consents
from app.consent.models import Consent, ConsentDraft
from app.consent.schemas import ConsentCreate, ConsentDraftSign
from app.core.clock import utcnow
from app.core.errors import Conflict, Invalid, NotFound
from app.trail.recorder import record


async def renew(session: AsyncSession, principal: Principal, consent: Consent) -> ConsentDraft:
    """A draft with the consent's recipient, purposes and categories, for her to sign. 409 for a revoked
    consent (she withdrew it: ask her afresh) and while another renewal of it waits for her signature."""
    if consent.revoked_at is not None:
        raise Conflict("This consent was revoked: record a new consent with her instead of renewing it.")
    waiting = await session.execute(sa.select(ConsentDraft.id).where(
        ConsentDraft.renews_consent_id == consent.id, ConsentDraft.status == "draft").limit(1))
    found = waiting.scalar_one_or_none()
    if found is not None:
        raise Conflict(f"A renewal of this consent already waits for her signature: {found}.",
                       draft_id=str(found))
    draft = ConsentDraft(renews_consent_id=consent.id, person_id=consent.person_id, case_id=consent.case_id,
                         agency_id=consent.agency_id, recipient_agency_id=consent.recipient_agency_id,
                         purposes=list(consent.purposes), categories=list(consent.categories),
                         created_by=principal.ref)
    session.add(draft)
    await session.flush()
    await record(session, principal, "consent.renew", "consent_draft", draft.id, agency_id=draft.agency_id)
    return draft


async def get_draft(session: AsyncSession, principal: Principal, draft_id: uuid.UUID) -> ConsentDraft:
    """A draft of a person whose case the caller may see, else 404."""
    draft = (await session.execute(sa.select(ConsentDraft).where(
        ConsentDraft.id == draft_id, access.consent_visible_clause(principal, ConsentDraft.case_id),
    ))).scalar_one_or_none()
    if draft is None:
        raise NotFound("consent draft")
    return draft


async def sign(session: AsyncSession, principal: Principal, draft: ConsentDraft, data: ConsentDraftSign) -> Consent:
    """Record her signature: a new consent with the draft's scope and the signature's elements (422 naming
    each problem, as for any consent); 409 for a draft already signed."""
    if draft.status != "draft":
        raise Conflict("This draft is already signed.")
    body: dict[str, Any] = {**data.model_dump(mode="json", exclude_none=True),
                            "recipient_agency_id": str(draft.recipient_agency_id),
                            "purposes": list(draft.purposes), "categories": list(draft.categories)}
    try:
        create = ConsentCreate.model_validate(body)
    except ValidationError as e:
        errors = [{"loc": ["body", *e_["loc"]], "msg": e_["msg"], "type": e_["type"]} for e_ in e.errors()]
        raise Invalid("The renewal cannot be signed as it stands; see errors.", errors=errors) from None
    consent = await consents.create_consent(session, principal, draft.person_id, create)
    now = utcnow()
    draft.status, draft.signed_consent_id, draft.updated_at = "signed", consent.id, now
    await session.flush()
    await record(session, principal, "consent.renewal_sign", "consent_draft", draft.id, agency_id=draft.agency_id)
    return consent


def draft_read(draft: ConsentDraft) -> dict[str, Any]:
    return {k: getattr(draft, k) for k in ("id", "renews_consent_id", "person_id", "recipient_agency_id",
                                            "purposes", "categories", "status", "signed_consent_id",
                                            "created_at")}
