"""A person's access to her own view: invitations (by her agency), redeeming one, her safety lock, the agency's
revocation, and who she is. Every change is audited; what she does is audited as hers (actor type person)."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import timedelta
from typing import Any

import anyio
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import throttle
from app.auth.passwords import hash_secret
from app.auth.principal import Principal
from app.auth.service import TokenGrant, hash_check_slots, person_principal, person_token
from app.cases.models import Person
from app.core.clock import today, utcnow
from app.core.db import own_transaction
from app.core.errors import Conflict, Invalid, NotFound
from app.family import access
from app.family.models import PersonInvitation
from app.family.schemas import Redeem
from app.identity.models import Agency, PersonAccount
from app.trail.recorder import record

INVITATION_TTL = timedelta(hours=72)
# Codes read aloud or typed from a text message: no 0/O, 1/I/L. 12 symbols of 32 = 60 bits, shown in 3 groups.
_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
_CODE_LENGTH = 12


def _new_code() -> str:
    raw = "".join(secrets.choice(_ALPHABET) for _ in range(_CODE_LENGTH))
    return "-".join(raw[i:i + 4] for i in range(0, _CODE_LENGTH, 4))


def _code_hash(code: str) -> str:
    """The stored form of a code: case, spaces and dashes do not matter when she types it."""
    normal = "".join(ch for ch in code.upper() if ch.isalnum())
    return hashlib.sha256(normal.encode()).hexdigest()


# ------------------------------------------------------------------ the agency's side


async def invite(session: AsyncSession, principal: Principal, person: Person) -> dict[str, Any]:
    """A new one-time code for the person (found by the owning agency's visibility: another agency's record is
    404); 422 for a child, the person using violence or anyone else who may not hold a view. Earlier unused
    invitations of hers stop working: only the newest code is in anyone's hands."""
    access.ensure_invitable(person.case_role, person.date_of_birth, today())
    now = utcnow()
    await session.execute(sa.update(PersonInvitation).where(
        PersonInvitation.person_id == person.id, PersonInvitation.used_at.is_(None),
        PersonInvitation.revoked_at.is_(None),
    ).values(revoked_at=now))
    code = _new_code()
    invitation = PersonInvitation(person_id=person.id, agency_id=person.agency_id, code_hash=_code_hash(code),
                                  expires_at=now + INVITATION_TTL, created_by=principal.ref)
    session.add(invitation)
    await session.flush()
    await record(session, principal, "family.invitation_created", "person", person.id, agency_id=person.agency_id)
    return {"id": invitation.id, "person_id": person.id, "code": code, "expires_at": invitation.expires_at}


async def _account_of(session: AsyncSession, person_id: uuid.UUID) -> PersonAccount | None:
    return (await session.execute(
        sa.select(PersonAccount).where(PersonAccount.person_id == person_id)
    )).scalar_one_or_none()


def access_read(person: Person, account: PersonAccount | None) -> dict[str, Any]:
    return {"person_id": person.id, "active": bool(account and account.active and account.locked_by is None),
            "locked_by": account.locked_by if account else None, "locked_at": account.locked_at if account else None}


async def revoke_access(session: AsyncSession, principal: Principal, person: Person) -> dict[str, Any]:
    """The agency ends the person's access: her sessions end on their next request, her login and every unused
    invitation stop working. Only a new invitation opens it again."""
    now = utcnow()
    await session.execute(sa.update(PersonInvitation).where(
        PersonInvitation.person_id == person.id, PersonInvitation.used_at.is_(None),
        PersonInvitation.revoked_at.is_(None),
    ).values(revoked_at=now))
    account = await _account_of(session, person.id)
    if account is not None:
        account.active = False
        account.locked_by, account.locked_at = "agency", now
        account.token_version += 1
        account.updated_at = now
        await session.flush()
    await record(session, principal, "family.access_revoked", "person", person.id, agency_id=person.agency_id)
    return access_read(person, account)


# ------------------------------------------------------------------ her side


def _not_valid() -> Invalid:
    """The one answer for a code that is unknown, expired, used or revoked: nothing tells them apart."""
    return Invalid("This code is not valid. Ask your worker for a new one. / Este código no es válido. "
                   "Pida uno nuevo a su trabajadora.", loc=["body", "code"], type="invitation_not_valid")


async def _hash(passphrase: str) -> str:
    return await anyio.to_thread.run_sync(hash_secret, passphrase, limiter=hash_check_slots())


async def redeem(session: AsyncSession, data: Redeem, client_key: str) -> TokenGrant:
    """Redeem a code: set her username and passphrase, get a person token.

    Rate-limited per client address as logins are (each attempt counted before the code is looked at, 429
    once spent; a right code gives its attempt back). The passphrase is hashed before the code is looked up,
    so an unknown, expired, used or revoked code costs the same time and gets the same answer as any other.
    The code is used once: the update that marks it used wins for one request only."""
    name = f"redeem:{client_key[:200]}"
    async with throttle.one_check_at_a_time(name):
        async with own_transaction() as own:
            await throttle.claim(own, name)
        hashed = await _hash(data.passphrase)
    now = utcnow()
    invitation = (await session.execute(
        sa.select(PersonInvitation).where(PersonInvitation.code_hash == _code_hash(data.code))
    )).scalar_one_or_none()
    if invitation is None or invitation.used_at is not None or invitation.revoked_at is not None \
            or invitation.expires_at <= now:
        raise _not_valid()
    taken = (await session.execute(sa.update(PersonInvitation).where(
        PersonInvitation.id == invitation.id, PersonInvitation.used_at.is_(None),
    ).values(used_at=now).returning(PersonInvitation.id).execution_options(synchronize_session=False))).first()
    if taken is None:
        raise _not_valid()
    person = await session.get(Person, invitation.person_id)
    if person is None or person.agency_id != invitation.agency_id:
        raise _not_valid()
    access.ensure_invitable(person.case_role, person.date_of_birth, today())  # the record may have changed since the invitation
    username = data.username.strip().lower()
    other = (await session.execute(sa.select(PersonAccount.id).where(
        PersonAccount.username == username, PersonAccount.person_id != person.id,
    ))).first()
    if other is not None:
        raise Conflict("This username is taken; choose another. / Este nombre de usuario ya existe; elija otro.")
    account = await _account_of(session, person.id)
    if account is None:
        account = PersonAccount(person_id=person.id, agency_id=person.agency_id, username=username,
                                passphrase_hash=hashed)
        session.add(account)
    else:  # a new invitation reopens a locked or revoked access, with new credentials; old tokens end
        account.username, account.passphrase_hash = username, hashed
        account.active, account.locked_by, account.locked_at = True, None, None
        account.token_version += 1
        account.updated_at = now
    await session.flush()
    await throttle.release(session, name)
    await record(session, person_principal(account), "family.invitation_redeemed", "person_account", account.id,
                 agency_id=account.agency_id)
    return await person_token(session, account)


async def my_account(session: AsyncSession, principal: Principal) -> PersonAccount:
    account = await session.get(PersonAccount, principal.id) if isinstance(principal.id, uuid.UUID) else None
    if account is None or account.person_id != access.own_person_id(principal):
        raise NotFound("person")
    return account


async def my_person(session: AsyncSession, principal: Principal) -> Person:
    person = await session.get(Person, access.own_person_id(principal))
    if person is None:
        raise NotFound("person")
    return person


async def whoami(session: AsyncSession, principal: Principal) -> dict[str, Any]:
    """Her own record's name and language and the agency that holds it: nothing about anyone else."""
    account = await my_account(session, principal)
    person = await my_person(session, principal)
    agency = await session.get(Agency, person.agency_id)
    await record(session, principal, "family.view_read", "person", person.id, agency_id=person.agency_id)
    return {"id": account.id, "kind": "person", "person_id": person.id, "username": account.username,
            "full_name": person.full_name, "language": person.language, "case_role": person.case_role,
            "agency_id": person.agency_id, "agency_name": agency.name if agency else ""}


LOCKED_MESSAGE = {
    "en": "Your access is locked and every session has ended. To open it again, ask your agency for a new "
          "invitation.",
    "es": "Su acceso está bloqueado y todas las sesiones han terminado. Para abrirlo de nuevo, pida a su agencia "
          "una nueva invitación.",
}


async def lock(session: AsyncSession, principal: Principal) -> dict[str, Any]:
    """Her safety lock: every session of hers ends at once (this token too) and her login stops working.
    She cannot lift it herself: only a new invitation from her agency opens her access again."""
    account = await my_account(session, principal)
    now = utcnow()
    account.locked_by, account.locked_at = "self", now
    account.token_version += 1
    account.updated_at = now
    await session.flush()
    await record(session, principal, "family.access_locked", "person_account", account.id,
                 agency_id=account.agency_id)
    return {"locked": True, "locked_at": now, "message": LOCKED_MESSAGE}
