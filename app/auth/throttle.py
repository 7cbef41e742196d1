"""Login throttling that holds however requests are timed: an attempt is counted *before* its secret is checked.

Each account name (a lower-cased email, or `client:<client_id>`) has one row in `login_failures`. `claim`
reserves an attempt slot with one atomic statement (INSERT .. ON CONFLICT DO UPDATE .. RETURNING), so two
requests can never read the same count, on SQLite as on PostgreSQL and across processes:

- a new window starts when the previous one (or the lock that ended it) has run out;
- the slot that reaches TANDEM_LOGIN_MAX_FAILURES sets the lock at once, before its check has run;
- a slot beyond the maximum is refused with 429 and Retry-After, and nothing is checked.

A wrong secret therefore needs no write of its own: its slot was committed before the check. A correct one
gives its slot back (`release`), which also lifts a lock that only its own slot had set. At most
max_failures wrong secrets are checked per window for an account. Within one process, `one_check_at_a_time`
also makes an account's attempts queue for their turn rather than claim slots side by side, so a burst of
correct logins (an agency system starting many workers) is not refused for the slots it holds itself.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.clock import utcnow
from app.core.config import get_settings
from app.core.db import UTCDateTime
from app.core.errors import TooManyRequests
from app.core.models import LoginFailure

_T = LoginFailure.__table__


def _at(value: datetime | None) -> sa.ColumnElement[datetime | None] | sa.Null:
    return sa.literal(value, UTCDateTime()) if value is not None else sa.null()


async def claim(session: AsyncSession, name: str) -> int:
    """Reserve the next attempt slot for `name` and return its number; TooManyRequests when none is left.

    Run it in a transaction that commits before the secret is checked (the refusal rolls back, so a refused
    attempt changes nothing)."""
    s = get_settings()
    now = utcnow()
    most = s.login_max_failures
    lock_end = now + timedelta(seconds=s.login_lockout_seconds)
    c = _T.c
    lock_over = sa.and_(c.locked_until.is_not(None), c.locked_until <= _at(now))
    window_over = sa.and_(c.locked_until.is_(None), c.window_start < _at(now - timedelta(seconds=s.login_window_seconds)))
    fresh = sa.or_(lock_over, window_over)
    next_count = sa.case((fresh, 1), (c.count > most, c.count), else_=c.count + 1)
    first_lock = lock_end if most <= 1 else None
    dialect = postgresql if session.bind is not None and session.bind.dialect.name == "postgresql" else sqlite
    stmt = (
        dialect.insert(_T)
        .values(email=name, window_start=now, count=1, locked_until=first_lock)
        .on_conflict_do_update(
            index_elements=[c.email],
            set_={
                "window_start": sa.case((fresh, _at(now)), else_=c.window_start),
                "count": next_count,
                "locked_until": sa.case(
                    (fresh, _at(first_lock)),
                    (c.locked_until.is_not(None), c.locked_until),
                    (next_count >= most, _at(lock_end)),
                    else_=_at(None),
                ),
            },
        )
        .returning(c.count, c.locked_until)
    )
    count, locked_until = (await session.execute(stmt)).one()
    if count > most:
        until = locked_until or lock_end
        retry = max(1, math.ceil((until - now).total_seconds()))
        raise TooManyRequests("Too many failed logins; try again later.", headers={"Retry-After": str(retry)})
    return int(count)


async def release(session: AsyncSession, name: str) -> None:
    """Give back the slot of an attempt whose secret was right (in the request's transaction)."""
    most = get_settings().login_max_failures
    c = _T.c
    await session.execute(
        sa.update(_T).where(c.email == name).values(
            count=sa.case((c.count > 0, c.count - 1), else_=0),
            locked_until=sa.case((c.count - 1 < most, _at(None)), else_=c.locked_until),
        )
    )
    await session.execute(sa.delete(_T).where(c.email == name, c.count == 0))


class _Turns:
    """Per account name, one attempt at a time in this process; the others wait in arrival order."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, name: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(name) or (asyncio.Lock(), 0)
        self._locks[name] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[name]
            if users <= 1:
                del self._locks[name]
            else:
                self._locks[name] = (lock, users - 1)


_turns = _Turns()


def one_check_at_a_time(name: str) -> AbstractAsyncContextManager[None]:
    """Queue this process's attempts for one account (claim, check) behind each other."""
    return _turns.hold(name)
