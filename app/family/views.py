"""What she sees and does in her own view: her consents as plain-language receipts (and revoking one), her
accounting of disclosures, a preview of what an agency would receive now, her safe-contact preferences.

Each answer is about her one record only, in words (English and Spanish, and in her language where the
agency's consent wording has it), naming agencies, never a person and never a worker."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.cases.models import Person
from app.consent import consents, disclosures, elements
from app.consent.models import Consent, ConsentWording, LegalMandate
from app.consent.rules import consent_status
from app.consent.schemas import ConsentRevoke, DisclosurePreviewRequest, RevocationMethod
from app.contacts import service as contacts
from app.contacts.models import ContactPreferences
from app.contacts.schemas import ContactPreferencesPut
from app.core.errors import NotFound
from app.core.pagination import PageParams, paginate
from app.family import access, texts
from app.family.schemas import MyConsentRevoke
from app.family.service import my_person
from app.identity.models import Agency
from app.trail.recorder import record


async def _agency_names(session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    rows = (await session.execute(sa.select(Agency.id, Agency.name).where(Agency.id.in_(ids)))).all()
    return {r[0]: r[1] for r in rows}


async def _wording(session: AsyncSession, consent: Consent, language: str | None) -> ConsentWording | None:
    """The agency's consent wording the consent names, in her language if it has one, else in the consent's."""
    if not consent.wording_version:
        return None
    rows = (await session.execute(sa.select(ConsentWording).where(
        ConsentWording.agency_id == consent.agency_id, ConsentWording.version == consent.wording_version,
    ))).scalars().all()
    by_lang = {w.language.split("-")[0].lower(): w for w in rows}
    for lang in (language, consent.language):
        if lang and lang.split("-")[0].lower() in by_lang:
            return by_lang[lang.split("-")[0].lower()]
    return None


async def _receipt(session: AsyncSession, person: Person, consent: Consent, names: dict[uuid.UUID, str],
                   principal: Principal) -> dict[str, Any]:
    status = consent_status(consent)
    cats = elements.names(consent.categories)
    words = texts.consent_receipt(names.get(consent.recipient_agency_id, "?"), cats, list(consent.purposes),
                                  consent.valid_from, consent.expires_at, status)
    wording = await _wording(session, consent, person.language)
    return {
        "id": consent.id, "recipient_agency_id": consent.recipient_agency_id,
        "recipient_agency_name": names.get(consent.recipient_agency_id, ""), "categories": cats,
        "purposes": list(consent.purposes), "valid_from": consent.valid_from, "expires_at": consent.expires_at,
        "signed_at": consent.signed_at, "status": status, "revoked_at": consent.revoked_at,
        "revoked_by_you": access.done_by_her(principal, consent.revoked_by),
        "texts": words, "text": texts.pick(words, person.language),
        "wording": None if wording is None else {"version": wording.version, "language": wording.language,
                                                 "text": wording.text},
    }


async def my_consents(session: AsyncSession, principal: Principal, page: PageParams) -> tuple[list[dict[str, Any]], str | None]:
    """Her consents, newest first, each as a receipt: who may receive what, why, until when, and its state."""
    person = await my_person(session, principal)
    rows, cursor = await paginate(session, sa.select(Consent).where(Consent.person_id == access.own_person_id(principal)),
                                  Consent, page)
    names = await _agency_names(session, {c.recipient_agency_id for c in rows})
    await record(session, principal, "family.consents_read", "person", person.id, agency_id=person.agency_id)
    return [await _receipt(session, person, c, names, principal) for c in rows], cursor


async def revoke_my_consent(session: AsyncSession, principal: Principal, consent_id: uuid.UUID,
                            data: MyConsentRevoke) -> dict[str, Any]:
    """She revokes one of her consents herself: the same revocation as her worker's (it holds from the very next
    request), recorded as hers; another person's consent is 404."""
    person = await my_person(session, principal)
    consent = (await session.execute(sa.select(Consent).where(
        Consent.id == consent_id, Consent.person_id == access.own_person_id(principal)))).scalar_one_or_none()
    if consent is None:
        raise NotFound("consent")
    reason = data.reason or "Revoked by the person in her own view."
    await consents.revoke_consent(session, principal, consent,
                                  ConsentRevoke(reason=reason, method=RevocationMethod.written))
    names = await _agency_names(session, {consent.recipient_agency_id})
    return await _receipt(session, person, consent, names, principal)


async def my_disclosures(session: AsyncSession, principal: Principal, page: PageParams) -> tuple[list[dict[str, Any]], str | None]:
    """Her accounting: every release and refusal about her, when, to whom, for what, what was shared and on what
    basis, what was not and why; for a release under a legal mandate, the kind of order and its citation (the
    notice a mandate allows her: the order is public law, the people who asked are not named)."""
    person = await my_person(session, principal)
    rows, cursor = await disclosures.accounting_of(session, person, page)
    names = await _agency_names(session, {d.requester_agency_id for d in rows if d.requester_agency_id})
    mandate_ids = {uuid.UUID(m) for d in rows for m in d.mandate_ids}
    mandates = {m.id: m for m in (await session.execute(
        sa.select(LegalMandate).where(LegalMandate.id.in_(mandate_ids)))).scalars()} if mandate_ids else {}
    out = []
    for d in rows:
        ms = [mandates[uuid.UUID(m)] for m in d.mandate_ids if uuid.UUID(m) in mandates]
        agency = names.get(d.requester_agency_id, "") if d.requester_agency_id else ""
        words = texts.disclosure_entry(agency or "?", d.created_at, d.purpose, list(d.categories_released),
                                       list(d.withheld), d.basis, [m.basis for m in ms])
        out.append({
            "id": d.id, "at": d.created_at, "requester_agency_id": d.requester_agency_id,
            "requester_agency_name": agency, "purpose": d.purpose, "categories_requested": d.categories_requested,
            "categories_released": d.categories_released, "withheld": d.withheld, "basis": d.basis,
            "outcome": d.outcome,
            "mandates": [{"basis": m.basis, "citation": m.citation} for m in ms],
            "texts": words, "text": texts.pick(words, person.language),
        })
    await record(session, principal, "family.disclosures_read", "person", person.id, agency_id=person.agency_id)
    return out, cursor


async def my_preview(session: AsyncSession, principal: Principal, data: DisclosurePreviewRequest) -> dict[str, Any]:
    """What the named agency would receive about her now (the same rule as a real request, nothing released):
    which categories and elements, on what basis, and what would be withheld and why. The values themselves are
    not repeated: a record may mention others (an order's restrained party, a worker's shared note)."""
    person = await my_person(session, principal)
    result = await disclosures.preview_of(session, principal, person, data.recipient_agency_id,
                                          data.purpose.value, [c.value for c in data.categories])
    names = await _agency_names(session, {result.recipient_agency_id})
    withheld = [{"category": w.category, "reason": w.reason.value} for w in result.withheld]
    released = sorted(result.released)
    words = texts.preview_line(names.get(result.recipient_agency_id, "?"), released, withheld)
    return {
        "preview": True, "recipient_agency_id": result.recipient_agency_id, "purpose": result.purpose,
        "released": [{"category": c, "basis": result.released_basis.get(c),
                      "elements": result.released_meta[c].elements if c in result.released_meta else [],
                      "as_of": result.released_meta[c].as_of if c in result.released_meta else None}
                     for c in released],
        "withheld": withheld, "texts": words, "text": texts.pick(words, person.language),
    }


async def my_contact_preferences(session: AsyncSession, principal: Principal) -> tuple[ContactPreferences | None, dict[str, Any]]:
    person = await my_person(session, principal)
    return await contacts.preferences_of(session, principal, person)


async def put_my_contact_preferences(session: AsyncSession, principal: Principal, data: ContactPreferencesPut,
                                     if_match: str | None) -> tuple[ContactPreferences, dict[str, Any], bool]:
    """She sets how she may be contacted safely herself: the same preferences her worker reads."""
    person = await my_person(session, principal)
    return await contacts.replace_preferences(session, principal, person, data, if_match)
