"""Logging in: password grant for staff, client credentials for agency systems, with lockout."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from typing import TypedDict, TypeVar

import anyio
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import throttle
from app.auth.oauth import ClientCredentials, TokenRequest, client_credentials
from app.auth.passwords import verify_secret
from app.auth.permissions import AgencyKind
from app.auth.principal import Principal, PrincipalKind
from app.auth.tokens import issue_access_token
from app.core.db import own_transaction
from app.core.errors import OAuthError
from app.identity.models import Agency, ApiClient, PersonAccount, User
from app.trail.recorder import record

Account = TypeVar("Account", User, ApiClient, PersonAccount)


class Identity(TypedDict):
    """Who the caller is, for GET /me: names to show beside the ids."""

    id: str
    kind: str
    email: str | None
    client_id: str | None
    name: str | None
    agency_id: str | None
    agency_name: str | None
    agency_kind: str | None
    roles: list[str]


async def whoami(session: AsyncSession, principal: Principal) -> Identity:
    """The caller with the names a person expects to see: a staff user's full name (an agency system's own
    name; none for an external provider's user) and the agency's name and kind."""
    # A staff user's or an agency system's own row (an external provider's user has neither: a string id).
    account = principal.id if isinstance(principal.id, uuid.UUID) else None
    user = await session.get(User, account) if account else None
    client = await session.get(ApiClient, account) if account and not user else None
    name = user.full_name if user else client.name if client else None
    agency = await session.get(Agency, principal.agency_id) if principal.agency_id else None
    return {
        "id": str(principal.id), "kind": principal.kind.value, "email": principal.email,
        "client_id": principal.client_id, "name": name,
        "agency_id": str(principal.agency_id) if principal.agency_id else None,
        "agency_name": agency.name if agency else None,
        "agency_kind": principal.agency_kind.value if principal.agency_kind else None,
        "roles": sorted(r.value for r in principal.roles),
    }


class TokenGrant(TypedDict):
    """An OAuth token response (the body of POST /auth/token)."""

    access_token: str
    token_type: str
    expires_in: int


def invalid_grant() -> OAuthError:
    return OAuthError("invalid_grant", "The credentials are not valid.")


def invalid_client() -> OAuthError:
    return OAuthError("invalid_client", "Client authentication failed.")


_argon2_slots: anyio.CapacityLimiter | None = None


def hash_check_slots() -> anyio.CapacityLimiter:
    """The worker-thread slots password hash checks run in (one per core)."""
    global _argon2_slots
    if _argon2_slots is None:
        _argon2_slots = anyio.CapacityLimiter(os.cpu_count() or 1)
    return _argon2_slots


async def _verify(hashed: str | None, secret: str) -> bool:
    """Argon2 takes a few hundred milliseconds of CPU and 64 MiB: in worker threads (it releases the GIL) it
    leaves the event loop serving other requests and uses every core, at most one check per core at a time."""
    return await anyio.to_thread.run_sync(verify_secret, hashed, secret, limiter=hash_check_slots())


async def _token_for(session: AsyncSession, row: User | ApiClient, typ: PrincipalKind) -> TokenGrant:
    kind = None
    if row.agency_id is not None:
        agency = await session.get(Agency, row.agency_id)
        kind = agency.kind if agency else None
    token, ttl = issue_access_token(
        sub=str(row.id), typ=typ, agency_id=str(row.agency_id) if row.agency_id else None, agency_kind=kind,
        roles=list(row.roles), token_version=row.token_version,
    )
    return {"access_token": token, "token_type": "bearer", "expires_in": ttl}


async def _claim_and_load(name: str, stmt: Select[Account]) -> Account | None:
    """Claim an attempt slot for `name` and load the account, in one short transaction of its own that is
    committed before the secret is checked: the attempt counts whatever the request answers, and no
    transaction (on SQLite: no write lock) stays open through the slow hash check."""
    async with own_transaction() as own:
        await throttle.claim(own, name)
        row = (await own.execute(stmt)).scalar_one_or_none()
    return row


async def _check(name: str, stmt: Select[Account], secret_of: Callable[[Account], str],
                 secret: str, refused: Callable[[], OAuthError]) -> Account:
    """The account if `secret` is its secret, else `refused()` (429 first when no attempt is left)."""
    async with throttle.one_check_at_a_time(name):
        row = await _claim_and_load(name, stmt)
        ok = await _verify(secret_of(row) if row is not None else None, secret)
    if not ok or row is None or not row.active:
        raise refused()  # unknown account and wrong secret answer alike
    return row


async def _still_current(session: AsyncSession, model: type[Account], checked: Account,
                         secret_of: Callable[[Account], str], refused: Callable[[], OAuthError]) -> Account:
    """Re-read the account in the request's transaction: deactivated or re-keyed meanwhile means no token."""
    row = await session.get(model, checked.id)
    if row is None or not row.active or secret_of(row) != secret_of(checked):
        raise refused()
    return row


async def person_token(session: AsyncSession, account: PersonAccount) -> TokenGrant:
    """A person's token: kind `person`, bound to her account (and through it to her one record), no roles."""
    agency = await session.get(Agency, account.agency_id)
    token, ttl = issue_access_token(
        sub=str(account.id), typ=PrincipalKind.person, agency_id=str(account.agency_id),
        agency_kind=agency.kind if agency else None, roles=[], token_version=account.token_version,
    )
    return {"access_token": token, "token_type": "bearer", "expires_in": ttl}


def person_principal(account: PersonAccount, agency_kind: str | None = None) -> Principal:
    """The principal a person acts as (for the audit trail of what she does before she holds a token)."""
    return Principal(id=account.id, kind=PrincipalKind.person, agency_id=account.agency_id,
                     agency_kind=AgencyKind(agency_kind) if agency_kind else None, roles=frozenset(),
                     person_id=account.person_id)


def _passphrase(a: Account) -> str:
    assert isinstance(a, PersonAccount)
    return a.passphrase_hash


def _open(a: PersonAccount) -> bool:
    return a.active and a.locked_by is None


async def person_password_grant(session: AsyncSession, username: str, passphrase: str) -> TokenGrant:
    """A person's token for her username and passphrase; a locked or revoked access answers exactly as a wrong
    passphrase (`invalid_grant`), so the lock cannot be told apart or lifted from the login."""
    name = f"person:{username}"
    checked = await _check(name, select(PersonAccount).where(PersonAccount.username == username), _passphrase,
                           passphrase, invalid_grant)
    account = await _still_current(session, PersonAccount, checked, _passphrase, invalid_grant)
    if not _open(account):
        raise invalid_grant()
    await throttle.release(session, name)
    await record(session, person_principal(account), "auth.login", "person_account", account.id,
                 agency_id=account.agency_id)
    return await person_token(session, account)


def _password(u: Account) -> str:
    assert isinstance(u, User)
    return u.password_hash


def _client_secret(c: Account) -> str:
    assert isinstance(c, ApiClient)
    return c.secret_hash


async def password_grant(session: AsyncSession, username: str, password: str) -> TokenGrant:
    """A staff token, or `invalid_grant` / TooManyRequests (the attempt is counted either way)."""
    name = username.strip().lower()[:320]
    if "@" not in name:  # a person's username never holds "@"; a staff login is an email address
        return await person_password_grant(session, name[:64], password)
    checked = await _check(name, select(User).where(func.lower(User.email) == name), _password, password,
                           invalid_grant)
    user = await _still_current(session, User, checked, _password, invalid_grant)
    await throttle.release(session, name)
    await record(session, None, "auth.login", "user", user.id, agency_id=user.agency_id)
    return await _token_for(session, user, PrincipalKind.user)


async def client_credentials_grant(session: AsyncSession, client_id: str, secret: str) -> TokenGrant:
    """An agency system's token, or `invalid_client` (401) / TooManyRequests (the attempt is counted either
    way)."""
    name = f"client:{client_id.strip()[:64]}"
    stmt = select(ApiClient).where(ApiClient.client_id == client_id.strip()[:64])
    checked = await _check(name, stmt, _client_secret, secret, invalid_client)
    client = await _still_current(session, ApiClient, checked, _client_secret, invalid_client)
    await throttle.release(session, name)
    return await _token_for(session, client, PrincipalKind.client)


async def grant(session: AsyncSession, form: TokenRequest, basic: ClientCredentials | None) -> TokenGrant:
    """The token endpoint: `password` for staff, `client_credentials` for agency systems (the client
    authenticated by HTTP Basic or in the form). Refusals in RFC 6749 form: a grant without its credentials is
    `invalid_request`, another grant type `unsupported_grant_type`."""
    if not form.grant_type:
        raise OAuthError("invalid_request", "grant_type is required.")
    if form.grant_type == "password":
        if not form.username or not form.password:
            raise OAuthError("invalid_request", "The password grant needs username and password.")
        return await password_grant(session, form.username, form.password)
    if form.grant_type == "client_credentials":
        creds = client_credentials(form, basic)
        if creds is None:
            raise OAuthError("invalid_client", "Authenticate the client with HTTP Basic (client_secret_basic) "
                             "or client_id and client_secret in the form (client_secret_post).")
        return await client_credentials_grant(session, creds.client_id, creds.client_secret)
    raise OAuthError("unsupported_grant_type", "grant_type must be password or client_credentials.")
