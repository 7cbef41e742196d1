"""Rules of safe contact: the preferences (PUT, If-Match once they exist) and the log of contact attempts."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.cases.models import Person, person_aad
from app.cases.service import get_person_for_owner
from app.contacts import access
from app.contacts.models import PREFERENCES_SEALED, ContactAttempt, ContactPreferences, preferences_aad
from app.contacts.schemas import ContactAttemptCreate, ContactPreferencesPut
from app.core.clock import utcnow
from app.core.crypto import decrypt_json, encrypt_json
from app.core.db import one_or_404
from app.core.errors import Invalid, NotFound
from app.core.http import check_put_precondition
from app.core.pagination import PageParams, paginate
from app.outbox.events import emit
from app.trail.recorder import record

INSTRUCTIONS = "safe_contact_instructions"  # the field of the person's sealed column, in its aad
# An attempt may be logged a little ahead of the server clock (a device clock running fast), never later.
FUTURE_SLACK = timedelta(minutes=5)

# ------------------------------------------------------------------ preferences


def _seal(row: ContactPreferences, field: str, value: Any) -> None:
    setattr(row, PREFERENCES_SEALED[field], encrypt_json(value, preferences_aad(row.id, field), owner=row.agency_id))


def _unseal(row: ContactPreferences, field: str) -> Any:
    return decrypt_json(getattr(row, PREFERENCES_SEALED[field]), preferences_aad(row.id, field))


def _instructions(person: Person) -> str | None:
    value = decrypt_json(person.safe_contact_enc, person_aad(person.id, INSTRUCTIONS))
    return value if isinstance(value, str) else None


async def _preferences_of(session: AsyncSession, principal: Principal, person: Person) -> ContactPreferences | None:
    return (await session.execute(sa.select(ContactPreferences).where(
        ContactPreferences.person_id == person.id, access.preferences_visible_clause(principal),
    ))).scalar_one_or_none()


def preferences_data(row: ContactPreferences) -> dict[str, Any]:
    """The structured preferences (sealed ones unsealed), JSON-ready."""
    return {
        "channels": list(row.channels), "safe_times": _unseal(row, "safe_times") or [], "timezone": row.timezone,
        "voicemail_ok": row.voicemail_ok, "code_word": _unseal(row, "code_word"),
        "others_may_answer": _unseal(row, "others_may_answer"), "ask_if_safe_first": row.ask_if_safe_first,
    }


def _render(person: Person, row: ContactPreferences | None) -> dict[str, Any]:
    """Shaped as ContactPreferencesRead; without a row, the defaults and the person's instructions."""
    base: dict[str, Any] = {"id": None, "channels": [], "safe_times": [], "timezone": None, "voicemail_ok": None,
            "code_word": None, "others_may_answer": None, "ask_if_safe_first": True, "created_at": None,
            "updated_at": None}
    if row is not None:
        base.update(preferences_data(row))
        base.update(id=row.id, created_at=row.created_at, updated_at=row.updated_at)
    return {**base, "person_id": person.id, "case_id": person.case_id, "agency_id": person.agency_id,
            "instructions": _instructions(person)}


async def read_preferences(
    session: AsyncSession, principal: Principal, person_id: uuid.UUID
) -> tuple[ContactPreferences | None, dict[str, Any]]:
    """(the preferences row or None, the rendering). 404 when neither preferences nor instructions are on
    file."""
    person = await get_person_for_owner(session, principal, person_id)
    return await preferences_of(session, principal, person)


async def preferences_of(
    session: AsyncSession, principal: Principal, person: Person
) -> tuple[ContactPreferences | None, dict[str, Any]]:
    """`read_preferences` for a person the caller already found (staff of her agency, or she herself)."""
    row = await _preferences_of(session, principal, person)
    body = _render(person, row)
    if row is None and body["instructions"] is None:
        raise NotFound("contact preferences")
    return row, body


async def put_preferences(
    session: AsyncSession, principal: Principal, person_id: uuid.UUID, data: ContactPreferencesPut,
    if_match: str | None,
) -> tuple[ContactPreferences, dict[str, Any], bool]:
    """Replace the person's preferences (or create them); `instructions`, when sent, is written to the person's
    own sealed column. Returns (row, its rendering, created)."""
    person = await get_person_for_owner(session, principal, person_id)
    return await replace_preferences(session, principal, person, data, if_match)


async def replace_preferences(
    session: AsyncSession, principal: Principal, person: Person, data: ContactPreferencesPut, if_match: str | None,
) -> tuple[ContactPreferences, dict[str, Any], bool]:
    """`put_preferences` for a person the caller already found (staff of her agency, or she herself)."""
    existing = await _preferences_of(session, principal, person)
    check_put_precondition(if_match, existing)
    if data.safe_times and data.timezone is None:
        raise Invalid("Safe times need the timezone they are in.", loc=["body", "timezone"])
    row = existing or ContactPreferences(person_id=person.id, case_id=person.case_id, agency_id=person.agency_id,
                                         created_by=principal.user_id)
    row.channels = [c.value for c in data.channels]
    _seal(row, "safe_times", [t.model_dump(mode="json") for t in data.safe_times] or None)
    row.timezone = data.timezone
    row.voicemail_ok = data.voicemail_ok
    _seal(row, "code_word", data.code_word)
    _seal(row, "others_may_answer", data.others_may_answer)
    row.ask_if_safe_first = data.ask_if_safe_first
    row.updated_by = principal.user_id
    if existing is not None:
        row.updated_at = utcnow()
    session.add(row)
    if "instructions" in data.model_fields_set:
        person.safe_contact_enc = encrypt_json(data.instructions, person_aad(person.id, INSTRUCTIONS),
                                               owner=person.agency_id)
        person.updated_at = utcnow()
    await session.flush()
    action, event = ("update", "updated") if existing is not None else ("create", "created")
    await record(session, principal, f"contact_preferences.{action}", "contact_preferences", row.id,
                 agency_id=row.agency_id)
    await emit(session, f"contact_preferences.{event}", [row.agency_id],
               {"contact_preferences_id": str(row.id), "person_id": str(row.person_id)})
    return row, _render(person, row), existing is None


# ------------------------------------------------------------------ attempts


async def log_attempt(
    session: AsyncSession, principal: Principal, person_id: uuid.UUID, data: ContactAttemptCreate
) -> ContactAttempt:
    """Log one attempt to reach the person, by the caller."""
    person = await get_person_for_owner(session, principal, person_id)
    now = utcnow()
    at = data.attempted_at or now
    if at > now + FUTURE_SLACK:
        raise Invalid("attempted_at cannot be in the future.", loc=["body", "attempted_at"])
    attempt = ContactAttempt(person_id=person.id, case_id=person.case_id, agency_id=person.agency_id,
                             attempted_at=at, channel=data.channel.value, reached=data.reached,
                             by_user_id=principal.user_id, by_ref=principal.ref[:200])
    session.add(attempt)
    await session.flush()
    await record(session, principal, "contact_attempt.create", "contact_attempt", attempt.id,
                 agency_id=attempt.agency_id)
    await emit(session, "contact_attempt.created", [attempt.agency_id],
               {"contact_attempt_id": str(attempt.id), "person_id": str(attempt.person_id)})
    return attempt


async def get_attempt(session: AsyncSession, principal: Principal, attempt_id: uuid.UUID) -> ContactAttempt:
    return await one_or_404(session, sa.select(ContactAttempt).where(
        ContactAttempt.id == attempt_id, access.attempt_visible_clause(principal)), "contact attempt")


async def list_attempts(
    session: AsyncSession, principal: Principal, person_id: uuid.UUID, page: PageParams
) -> tuple[list[ContactAttempt], str | None]:
    """The person's attempts, the latest first."""
    person = await get_person_for_owner(session, principal, person_id)
    stmt = sa.select(ContactAttempt).where(ContactAttempt.person_id == person.id,
                                           access.attempt_visible_clause(principal))
    return await paginate(session, stmt, ContactAttempt, page, time_col=ContactAttempt.attempted_at)
