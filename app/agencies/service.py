"""Rules for agencies, offices, staff users and agency systems."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.agencies import access, role_changes
from app.agencies.schemas import (
    AgencyCreate,
    AgencyUpdate,
    ClientCreate,
    OfficeCreate,
    UserCreate,
    UserUpdate,
)
from app.auth.passwords import hash_secret
from app.auth.permissions import AgencyKind
from app.auth.principal import Principal
from app.core.clock import utcnow
from app.core.errors import Conflict, Invalid, NotFound
from app.core.pagination import PageParams, paginate
from app.identity.models import Agency, ApiClient, Office, RoleChange, User
from app.trail.recorder import record

# ------------------------------------------------------------------ agencies


async def create_agency(session: AsyncSession, principal: Principal, data: AgencyCreate) -> Agency:
    agency = Agency(name=data.name, kind=data.kind.value, jurisdiction=data.jurisdiction)
    session.add(agency)
    await session.flush()
    await record(session, principal, "agency.create", "agency", agency.id, agency_id=agency.id)
    return agency


async def list_agencies(
    session: AsyncSession, principal: Principal, page: PageParams, kind: AgencyKind | None = None
) -> tuple[list[Agency], str | None]:
    """The agency directory (names and kinds only) is visible to every authenticated caller."""
    stmt = select(Agency)
    if kind is not None:
        stmt = stmt.where(Agency.kind == kind.value)
    return await paginate(session, stmt, Agency, page)


async def get_agency(session: AsyncSession, principal: Principal, agency_id: uuid.UUID) -> Agency:
    agency = await session.get(Agency, agency_id)
    if agency is None:
        raise NotFound("agency")
    return agency


async def update_agency(
    session: AsyncSession, principal: Principal, agency: Agency, data: AgencyUpdate
) -> Agency:
    access.ensure_may_update_agency(principal, agency.id)
    for k, v in data.model_dump(exclude_unset=True).items():
        if v is None:
            raise Invalid(f"{k} cannot be null.", loc=["body", k])
        setattr(agency, k, v)
    agency.updated_at = utcnow()
    await session.flush()
    await record(session, principal, "agency.update", "agency", agency.id, agency_id=agency.id)
    return agency


# ------------------------------------------------------------------ offices


async def _managed_agency(session: AsyncSession, principal: Principal, agency_id: uuid.UUID) -> Agency:
    agency = await session.get(Agency, agency_id)
    if agency is None:
        raise NotFound("agency")
    return agency


async def create_office(
    session: AsyncSession, principal: Principal, agency_id: uuid.UUID, data: OfficeCreate
) -> Office:
    agency = await _managed_agency(session, principal, agency_id)
    access.ensure_may_update_agency(principal, agency.id)
    if agency.kind != AgencyKind.cps.value:
        raise Invalid("Offices are CPS field offices; this agency is not a CPS agency.",
                      loc=["path", "agency_id"])
    office = Office(agency_id=agency.id, name=data.name, timezone=data.timezone)
    session.add(office)
    await session.flush()
    await record(session, principal, "office.create", "office", office.id, agency_id=agency.id)
    return office


async def list_offices(
    session: AsyncSession, principal: Principal, agency_id: uuid.UUID, page: PageParams
) -> tuple[list[Office], str | None]:
    agency = await get_agency(session, principal, agency_id)
    stmt = select(Office).where(Office.agency_id == agency.id, access.office_visible_clause(principal))
    return await paginate(session, stmt, Office, page)


async def get_office(session: AsyncSession, principal: Principal, office_id: uuid.UUID) -> Office:
    office = (
        await session.execute(select(Office).where(Office.id == office_id, access.office_visible_clause(principal)))
    ).scalar_one_or_none()
    if office is None:
        raise NotFound("office")
    return office


# ------------------------------------------------------------------ users


async def _email_taken(session: AsyncSession, email: str) -> bool:
    found = await session.execute(select(User.id).where(func.lower(User.email) == email.lower()))
    return found.first() is not None


async def create_user(session: AsyncSession, principal: Principal, data: UserCreate) -> User:
    agency_id = data.agency_id if access.is_platform_admin(principal) else (data.agency_id or principal.agency_id)
    kind = None
    if agency_id is not None:
        access.ensure_own_agency(principal, agency_id, "agency")
        agency = await session.get(Agency, agency_id)
        if agency is None:
            raise NotFound("agency")
        kind = AgencyKind(agency.kind)
    access.check_assignable_roles(principal, data.roles, kind)
    access.ensure_may_create_with_roles(principal, data.roles)
    if await _email_taken(session, data.email):
        raise Conflict("A user with that email already exists.")
    user = User(
        email=data.email.lower(), full_name=data.full_name, agency_id=agency_id,
        roles=[r.value for r in data.roles], password_hash=hash_secret(data.password),
    )
    session.add(user)
    await session.flush()
    await record(session, principal, "user.create", "user", user.id, agency_id=agency_id)
    return user


async def list_users(
    session: AsyncSession, principal: Principal, page: PageParams
) -> tuple[list[User], str | None]:
    stmt = select(User).where(access.own_agency_clause(principal, User.agency_id))
    return await paginate(session, stmt, User, page)


async def get_user(session: AsyncSession, principal: Principal, user_id: uuid.UUID) -> User:
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound("user")
    access.ensure_user_visible(principal, user.agency_id, user.id)
    return user


async def update_user(
    session: AsyncSession, principal: Principal, user: User, data: UserUpdate
) -> tuple[User, RoleChange | None]:
    """Apply the update; a roles change that needs a second admin is filed instead and returned beside it."""
    if user.agency_id is not None:
        access.ensure_own_agency(principal, user.agency_id, "user")
    fields = data.model_dump(exclude_unset=True)
    pending = None
    if "roles" in fields:
        if data.roles is None:
            raise Invalid("roles cannot be null.", loc=["body", "roles"])
        agency = await session.get(Agency, user.agency_id) if user.agency_id else None
        pending = await role_changes.change_roles(session, principal, user, data.roles,
                                                  AgencyKind(agency.kind) if agency else None)
    if fields.get("full_name") is not None:
        user.full_name = fields["full_name"]
    if data.password:
        user.password_hash = hash_secret(data.password)
        user.token_version += 1
    user.updated_at = utcnow()
    await session.flush()
    await record(session, principal, "user.update", "user", user.id, agency_id=user.agency_id)
    return user, pending


async def deactivate_user(session: AsyncSession, principal: Principal, user: User) -> User:
    if user.agency_id is not None:
        access.ensure_own_agency(principal, user.agency_id, "user")
    user.active = False
    user.token_version += 1
    user.updated_at = utcnow()
    await session.flush()
    await record(session, principal, "user.deactivate", "user", user.id, agency_id=user.agency_id)
    return user


# ------------------------------------------------------------------ agency systems


def _new_secret() -> str:
    return secrets.token_urlsafe(32)


async def create_client(session: AsyncSession, principal: Principal, data: ClientCreate) -> tuple[ApiClient, str]:
    agency_id = data.agency_id or principal.agency_id
    if agency_id is None:
        raise Invalid("agency_id is required.", loc=["body", "agency_id"])
    access.ensure_own_agency(principal, agency_id, "agency")
    agency = await session.get(Agency, agency_id)
    if agency is None:
        raise NotFound("agency")
    access.check_assignable_roles(principal, data.roles, AgencyKind(agency.kind))
    secret = _new_secret()
    client = ApiClient(
        client_id="tc_" + secrets.token_hex(12), name=data.name, agency_id=agency_id,
        roles=[r.value for r in data.roles], secret_hash=hash_secret(secret),
    )
    session.add(client)
    await session.flush()
    await record(session, principal, "client.create", "client", client.id, agency_id=agency_id)
    return client, secret


async def list_clients(
    session: AsyncSession, principal: Principal, page: PageParams
) -> tuple[list[ApiClient], str | None]:
    stmt = select(ApiClient).where(access.own_agency_clause(principal, ApiClient.agency_id))
    return await paginate(session, stmt, ApiClient, page)


async def rotate_client_secret(session: AsyncSession, principal: Principal, client: ApiClient) -> tuple[ApiClient, str]:
    secret = _new_secret()
    client.secret_hash = hash_secret(secret)
    client.token_version += 1
    await session.flush()
    await record(session, principal, "client.rotate_secret", "client", client.id, agency_id=client.agency_id)
    return client, secret


async def get_client(session: AsyncSession, principal: Principal, client_pk: uuid.UUID) -> ApiClient:
    """An agency system of the caller's own agency (404 otherwise)."""
    client = await session.get(ApiClient, client_pk)
    if client is None:
        raise NotFound("client")
    access.ensure_own_agency(principal, client.agency_id, "client")
    return client


async def read_client(
    session: AsyncSession, principal: Principal, client_pk: uuid.UUID
) -> tuple[ApiClient, str | None]:
    """An agency system as a retried create shows it: never its secret (that is shown once)."""
    return await get_client(session, principal, client_pk), None


def client_read(client: ApiClient, secret: str | None = None) -> dict[str, Any]:
    out = {"id": client.id, "client_id": client.client_id, "name": client.name, "agency_id": client.agency_id,
           "roles": client.roles, "active": client.active}
    if secret is not None:
        out["client_secret"] = secret
    return out
