"""Consents: record, read and revoke a person's consent, and find the one in force.

Public contract for other domains (referrals): `find_active_consent(session, person_id, recipient_agency_id,
purpose, category=None)`.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.cases.models import Person
from app.cases.service import get_person_for_owner
from app.consent import access, elements, rules, wordings
from app.consent.models import Consent, consent_aad
from app.consent.rules import consent_active_clause, consent_status
from app.consent.schemas import (
    PART2_ELEMENTS,
    CategoryElements,
    ConsentCreate,
    ConsentRevoke,
    ConsentStatus,
    category_names,
    stored_scope,
)
from app.core.clock import utcnow
from app.core.config import get_settings
from app.core.crypto import decrypt_json, decrypt_text, encrypt_json
from app.core.errors import Conflict, Invalid, NotFound
from app.core.pagination import PageParams, paginate
from app.core.vocab import CaseRole, DataCategory
from app.identity.models import Agency
from app.outbox.events import emit
from app.trail.recorder import record

SIGNED_AT_LEEWAY = timedelta(minutes=5)  # clock skew allowed for a signature "now"
VALID_FROM_BACKDATE = timedelta(days=1)  # how far valid_from may precede the signature


def recipient_errors(agency: Agency | None, owner_id: uuid.UUID) -> list[dict[str, Any]]:
    loc = ["body", "recipient_agency_id"]
    if agency is None:
        return [{"loc": loc, "msg": "No agency with that id.", "type": "unknown_agency"}]
    if agency.id == owner_id:
        return [{"loc": loc, "msg": "Must be another agency: your own agency needs no consent.",
                 "type": "own_agency"}]
    return []


async def _grantor_errors(session: AsyncSession, person: Person, data: ConsentCreate) -> list[dict[str, Any]]:
    gid = data.grantor.person_id
    grantor = person if gid == person.id else await session.get(Person, gid)
    if grantor is None or grantor.case_id != person.case_id:
        return [{"loc": ["body", "grantor", "person_id"], "msg": "Must be a person recorded in the same case.",
                 "type": "grantor_not_in_case"}]
    return [{"loc": ["body", "grantor", f], "msg": msg, "type": typ}
            for f, typ, msg in rules.grantor_problems(person, grantor, data.grantor.relationship.value)]


def _term_errors(data: ConsentCreate) -> list[dict[str, Any]]:
    """The time limit counts from the signature: signed_at is a moment past (within clock skew) and no older
    than the longest consent; valid_from at most a day before it; expires_at after valid_from and at most the
    longest consent after signed_at."""
    errors = []
    max_days = get_settings().consent_max_days
    longest = timedelta(days=max_days)
    now = utcnow()
    if data.signed_at > now + SIGNED_AT_LEEWAY:
        errors.append({"loc": ["body", "signed_at"], "msg": "Cannot be in the future.", "type": "signed_in_future"})
    elif now - data.signed_at > longest:
        errors.append({"loc": ["body", "signed_at"], "type": "signed_too_long_ago",
                       "msg": f"Signed more than {max_days} days ago: a consent that old has lapsed; ask again."})
    if data.valid_from < data.signed_at - VALID_FROM_BACKDATE:
        errors.append({"loc": ["body", "valid_from"], "type": "valid_from_before_signature",
                       "msg": "May precede signed_at by one day at most."})
    elif data.valid_from - data.signed_at >= longest:
        errors.append({"loc": ["body", "valid_from"], "type": "valid_from_too_late",
                       "msg": f"Must be less than {max_days} days after signed_at."})
    if data.expires_at <= data.valid_from:
        errors.append({"loc": ["body", "expires_at"], "msg": "Must be after valid_from.",
                       "type": "expires_before_valid_from"})
    elif data.expires_at - data.signed_at > longest:
        errors.append({"loc": ["body", "expires_at"], "type": "consent_too_long",
                       "msg": f"A consent lasts at most {max_days} days after it was signed (signed_at)."})
    return errors


def _part2_errors(data: ConsentCreate) -> list[dict[str, Any]]:
    """A consent naming substance_use holds the 42 CFR 2.31 elements (`part2`; each one missing is named); a
    consent not naming it takes none (refused rather than ignored, so nothing is kept that does not apply)."""
    names_substance_use = DataCategory.substance_use.value in category_names(data.categories)
    if names_substance_use and data.part2 is None:
        return [{"loc": ["body", "part2", element], "type": "part2_element_missing",
                 "msg": "A consent naming substance_use must hold this 42 CFR 2.31 element."}
                for element in PART2_ELEMENTS]
    if not names_substance_use and data.part2 is not None:
        return [{"loc": ["body", "part2"], "type": "part2_without_substance_use",
                 "msg": "Only a consent naming substance_use takes part2."}]
    return []


async def _element_errors(session: AsyncSession, person: Person, data: ConsentCreate) -> list[dict[str, Any]]:
    """A `children` element naming a person must name a child recorded in the same case."""
    errors: list[dict[str, Any]] = []
    for i, entry in enumerate(data.categories):
        if not isinstance(entry, CategoryElements) or entry.category != DataCategory.children:
            continue
        for child_id in elements.child_ids(entry.elements):
            child = await session.get(Person, child_id)
            if child is None or child.case_id != person.case_id or child.case_role != CaseRole.child:
                errors.append({"loc": ["body", "categories", i, "elements"], "type": "unknown_child",
                               "msg": f"'{child_id}' is not a child recorded in this case."})
    return errors


async def create_consent(
    session: AsyncSession, principal: Principal, person_id: uuid.UUID, data: ConsentCreate
) -> Consent:
    """Record a consent for a person of the caller's agency. Every problem is reported at once (422)."""
    person = await get_person_for_owner(session, principal, person_id)
    errors = recipient_errors(await session.get(Agency, data.recipient_agency_id), person.agency_id)
    errors += _term_errors(data)
    errors += await _grantor_errors(session, person, data)
    errors += _part2_errors(data)
    errors += await _element_errors(session, person, data)
    errors += await wordings.wording_version_errors(session, person.agency_id, data.wording_version)
    if errors:
        raise Invalid("The consent is missing or has invalid elements; see errors.", errors=errors)
    consent = Consent(
        person_id=person.id, case_id=person.case_id, agency_id=person.agency_id,
        recipient_agency_id=data.recipient_agency_id, purposes=[p.value for p in data.purposes],
        categories=stored_scope(data.categories), valid_from=data.valid_from, expires_at=data.expires_at,
        signed_at=data.signed_at, signature_method=data.signature_method.value,
        risks_explained=data.risks_explained, language=data.language, grantor_person_id=data.grantor.person_id,
        grantor_relationship=data.grantor.relationship.value, recorded_by=principal.ref,
        document_sha256=data.document_sha256, wording_version=data.wording_version,
        risks=None if data.risks is None else [r.value for r in data.risks],
    )
    if data.witness is not None:
        consent.witness_enc = encrypt_json(data.witness.model_dump(), consent_aad(consent.id, "witness"),
                                           owner=consent.agency_id)
    if data.part2 is not None:
        consent.part2_disclosing_program_enc = encrypt_json(data.part2.disclosing_program,
                                                            consent_aad(consent.id, "part2_disclosing_program"),
                                                            owner=consent.agency_id)
        consent.part2_amount_and_kind_enc = encrypt_json(data.part2.amount_and_kind,
                                                         consent_aad(consent.id, "part2_amount_and_kind"),
                                                         owner=consent.agency_id)
        consent.part2_revocation_explained = data.part2.revocation_explained
    session.add(consent)
    await session.flush()
    await record(session, principal, "consent.create", "consent", consent.id, agency_id=consent.agency_id)
    return consent


async def list_consents(
    session: AsyncSession, principal: Principal, person_id: uuid.UUID, page: PageParams,
    status: ConsentStatus | None = None,
) -> tuple[list[Consent], str | None]:
    person = await get_person_for_owner(session, principal, person_id)
    stmt = sa.select(Consent).where(Consent.person_id == person.id)
    now = utcnow()
    if status is ConsentStatus.active:
        stmt = stmt.where(consent_active_clause(now))
    elif status is ConsentStatus.revoked:
        stmt = stmt.where(Consent.revoked_at.is_not(None))
    elif status is ConsentStatus.expired:
        stmt = stmt.where(Consent.revoked_at.is_(None), Consent.expires_at <= now)
    elif status is ConsentStatus.not_yet_valid:
        stmt = stmt.where(Consent.revoked_at.is_(None), Consent.valid_from > now)
    return await paginate(session, stmt, Consent, page)


async def get_consent(session: AsyncSession, principal: Principal, consent_id: uuid.UUID) -> Consent:
    """A consent of a person whose case the caller may see, else 404."""
    consent = (await session.execute(sa.select(Consent).where(
        Consent.id == consent_id, access.consent_visible_clause(principal, Consent.case_id)))).scalar_one_or_none()
    if consent is None:
        raise NotFound("consent")
    return consent


async def revoke_consent(session: AsyncSession, principal: Principal, consent: Consent, data: ConsentRevoke) -> Consent:
    """Revocation takes effect on the very next request; who recorded it, when and how are kept."""
    if consent.revoked_at is not None:
        raise Conflict("This consent is already revoked.")
    consent.revoked_at = utcnow()
    consent.revoked_by = principal.ref
    consent.revocation_method = data.method.value
    consent.revocation_reason_enc = encrypt_json(data.reason, consent_aad(consent.id, "revocation_reason"),
                                                 owner=consent.agency_id)
    await session.flush()
    await record(session, principal, "consent.revoke", "consent", consent.id, agency_id=consent.agency_id)
    await emit(session, "consent.revoked", [consent.recipient_agency_id, consent.agency_id],
               {"consent_id": str(consent.id), "revoked_at": consent.revoked_at.isoformat()})
    return consent


def consent_read(consent: Consent, *, full: bool = True) -> dict[str, Any]:
    """A consent shaped as ConsentRead (full) or ConsentSummary, with its status computed now."""
    out: dict[str, Any] = {
        "id": consent.id, "person_id": consent.person_id, "recipient_agency_id": consent.recipient_agency_id,
        "purposes": consent.purposes, "categories": consent.categories, "valid_from": consent.valid_from,
        "expires_at": consent.expires_at, "signed_at": consent.signed_at,
        "signature_method": consent.signature_method,
        "grantor": {"person_id": consent.grantor_person_id, "relationship": consent.grantor_relationship},
        "status": consent_status(consent), "revoked_at": consent.revoked_at, "created_at": consent.created_at,
    }
    if full:
        out.update({
            "risks_explained": consent.risks_explained, "language": consent.language,
            "recorded_by": consent.recorded_by, "revoked_by": consent.revoked_by,
            "revocation_method": consent.revocation_method,
            "revocation_reason": decrypt_json(consent.revocation_reason_enc,
                                              consent_aad(consent.id, "revocation_reason")),
            "part2": _part2_read(consent),
            "document_sha256": consent.document_sha256, "wording_version": consent.wording_version,
            "risks": consent.risks,
            "witness": decrypt_json(consent.witness_enc, consent_aad(consent.id, "witness")),
        })
    return out


def _part2_read(consent: Consent) -> dict[str, Any] | None:
    if consent.part2_revocation_explained is None:
        return None
    return {
        "disclosing_program": decrypt_text(consent.part2_disclosing_program_enc,
                                           consent_aad(consent.id, "part2_disclosing_program")),
        "amount_and_kind": decrypt_text(consent.part2_amount_and_kind_enc,
                                        consent_aad(consent.id, "part2_amount_and_kind")),
        "revocation_explained": consent.part2_revocation_explained,
    }


async def find_active_consent(
    session: AsyncSession, person_id: uuid.UUID, recipient_agency_id: uuid.UUID, purpose: str,
    category: str | None = None,
) -> Consent | None:
    """The newest consent of the person in force now that names the agency and purpose (and category, if
    given), from a grantor who may still grant. Evaluated afresh at every call."""
    person = await session.get(Person, uuid.UUID(str(person_id)))
    if person is None:
        return None
    recipient_agency_id = uuid.UUID(str(recipient_agency_id))
    now = utcnow()
    for c in await rules.consents_in_effect(session, person, recipient_agency_id):
        if consent_status(c, now) != "active" or str(purpose) not in c.purposes:
            continue
        if category is None or str(category) in elements.names(c.categories):
            return c
    return None
