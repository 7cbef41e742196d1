"""Logging in: password grant for staff, client credentials for agency systems, with lockout."""

from __future__ import annotations

import math
import os
from datetime import timedelta
from typing import Any

import anyio
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.agencies.models import Agency, ApiClient, User
from app.audit.service import record
from app.auth.passwords import verify_secret
from app.auth.tokens import issue_access_token
from app.core.clock import utcnow
from app.core.config import get_settings
from app.core.errors import AppError, TooManyRequests
from app.core.models import LoginFailure


class InvalidGrant(AppError):
    status, title, slug = 400, "Invalid credentials", "invalid-grant"

    def __init__(self) -> None:
        super().__init__("The credentials are not valid.", error="invalid_grant")


async def _check_lock(session: AsyncSession, name: str) -> LoginFailure | None:
    rec = await session.get(LoginFailure, name)
    now = utcnow()
    if rec and rec.locked_until and rec.locked_until > now:
        retry = max(1, math.ceil((rec.locked_until - now).total_seconds()))
        raise TooManyRequests("Too many failed logins; try again later.", headers={"Retry-After": str(retry)})
    return rec


async def _fail(session: AsyncSession, name: str, rec: LoginFailure | None) -> None:
    s = get_settings()
    now = utcnow()
    if rec is None:
        rec = LoginFailure(email=name, window_start=now, count=0)
        session.add(rec)
    if now - rec.window_start > timedelta(seconds=s.login_window_seconds) or rec.locked_until:
        rec.window_start, rec.count, rec.locked_until = now, 0, None
    rec.count += 1
    if rec.count >= s.login_max_failures:
        rec.locked_until = now + timedelta(seconds=s.login_lockout_seconds)
    await session.flush()


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


async def _token_for(session: AsyncSession, row: User | ApiClient, typ: str) -> dict[str, Any]:
    kind = None
    if row.agency_id is not None:
        agency = await session.get(Agency, row.agency_id)
        kind = agency.kind if agency else None
    token, ttl = issue_access_token(
        sub=str(row.id), typ=typ, agency_id=str(row.agency_id) if row.agency_id else None, agency_kind=kind,
        roles=list(row.roles), token_version=row.token_version,
    )
    return {"access_token": token, "token_type": "bearer", "expires_in": ttl}


async def password_grant(session: AsyncSession, username: str, password: str) -> dict[str, Any] | AppError:
    """Returns the token, or the error to raise *after* the failure count is committed."""
    name = username.strip().lower()[:320]
    rec = await _check_lock(session, name)
    user = (await session.execute(select(User).where(func.lower(User.email) == name))).scalar_one_or_none()
    ok = await _verify(user.password_hash if user else None, password)
    if not ok or user is None or not user.active:
        await _fail(session, name, rec)
        return InvalidGrant()
    if rec is not None:
        await session.delete(rec)
    await record(session, None, "auth.login", "user", user.id, agency_id=user.agency_id)
    return await _token_for(session, user, "user")


async def client_credentials_grant(session: AsyncSession, client_id: str, secret: str) -> dict[str, Any] | AppError:
    name = f"client:{client_id.strip()[:64]}"
    rec = await _check_lock(session, name)
    client = (
        await session.execute(select(ApiClient).where(ApiClient.client_id == client_id.strip()))
    ).scalar_one_or_none()
    ok = await _verify(client.secret_hash if client else None, secret)
    if not ok or client is None or not client.active:
        await _fail(session, name, rec)
        return InvalidGrant()
    if rec is not None:
        await session.delete(rec)
    return await _token_for(session, client, "client")
