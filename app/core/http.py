"""ETag / If-Match and Idempotency-Key handling, shared by every domain."""

from __future__ import annotations

import hashlib
import hmac
import inspect
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Annotated, Any, TypeVar, overload

from fastapi import Depends, Header, Request, Response
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.clock import utcnow
from app.core.config import get_settings
from app.core.crypto import data_keys
from app.core.db import SessionDep, Versioned, own_transaction
from app.core.errors import Invalid, PreconditionFailed, PreconditionRequired
from app.core.models import IdempotencyRecord


def etag_of(obj: Any) -> str:
    return f'W/"{obj.id}.{obj.version}"'


def set_etag(response: Response, obj: Any) -> None:
    response.headers["ETag"] = etag_of(obj)


def check_if_match(if_match: str | None, obj: Any) -> None:
    """412 when the caller's If-Match names another version of `obj`; no header means no check."""
    if if_match is None:
        return
    wanted = {t.strip() for t in if_match.split(",")}
    if "*" in wanted:
        return
    current = etag_of(obj)
    strong = current[2:]
    if current not in wanted and strong not in wanted:
        raise PreconditionFailed("If-Match does not match the current version of the resource.")


def check_put_precondition(if_match: str | None, existing: Any) -> None:
    """PUT of a resource that may not exist yet: creating it needs no If-Match; replacing one that exists
    needs the If-Match of its current version (428 without it, 412 when stale), so no one overwrites a version
    they have not read. An If-Match naming a version when nothing exists is 412."""
    if existing is None:
        if if_match is not None:
            raise PreconditionFailed("If-Match names a version, but nothing exists here yet.")
        return
    if if_match is None:
        raise PreconditionRequired("This resource exists: send If-Match with the ETag of the version you read.")
    check_if_match(if_match, existing)


IfMatch = Header(None, alias="If-Match", description="ETag from a previous GET; 412 when stale.")

V = TypeVar("V")
B = TypeVar("B")


@overload
def tagged(response: Response, obj: V) -> V: ...
@overload
def tagged(response: Response, obj: object, body: B) -> B: ...
def tagged(response: Response, obj: object, body: object = None) -> object:
    """The answer about `obj` (`body`, or `obj` itself when there is none), with `obj`'s ETag set."""
    set_etag(response, obj)
    return obj if body is None else body


def for_update(load: Callable[..., Awaitable[V]]) -> Callable[..., Awaitable[V]]:
    """The ForUpdate variant of a loader dependency: the object `load` finds, once the caller's If-Match names
    its current version (412 otherwise; no header, no check)."""

    async def loaded_for_update(obj: V, if_match: str | None) -> V:
        check_if_match(if_match, obj)
        return obj

    # Built by hand: the loader is a closure variable, which a string annotation could not name.
    loaded_for_update.__signature__ = inspect.Signature([  # type: ignore[attr-defined]
        inspect.Parameter("obj", inspect.Parameter.KEYWORD_ONLY, annotation=Annotated[Any, Depends(load)]),
        inspect.Parameter("if_match", inspect.Parameter.KEYWORD_ONLY, default=IfMatch, annotation=str | None),
    ])
    loaded_for_update.__name__ = f"{getattr(load, '__name__', 'load')}_for_update"
    return loaded_for_update


T = TypeVar("T")
R = TypeVar("R")

# How often the background worker purges expired idempotency records (each process; the DELETE is idempotent).
PURGE_INTERVAL_SECONDS = 300.0
_next_purge = 0.0


def _same(obj: T) -> T:
    return obj


def _created_object(made: Any) -> Any:
    """The created object: `made` itself, or the first item when a service returns (object, extra)."""
    return made[0] if isinstance(made, tuple) else made


def _hmac_keys() -> list[bytes]:
    """One HMAC key per configured data key, the current one first (older ones verify records made before a
    rotation). Derived with a label, so a data key itself is used for nothing but AES-GCM."""
    dk = data_keys()
    order = [dk.current, *(kid for kid in dk.keys if kid != dk.current)]
    return [hmac.new(dk.keys[kid], b"tandem idempotency records v1", hashlib.sha256).digest() for kid in order]


def _mac(key: bytes, *parts: bytes) -> str:
    return hmac.new(key, b"".join(len(p).to_bytes(8, "big") + p for p in parts), hashlib.sha256).hexdigest()


def _expired_before() -> datetime:
    return utcnow() - timedelta(hours=get_settings().idempotency_ttl_hours)


class Idempotency:
    """Retry-safe creates with an Idempotency-Key, scoped to the caller.

    The record keeps only what a replay needs: the owner, an HMAC of the key and one of the request (path and
    body), the status answered and the created object's id; never a response body. The HMACs are keyed with a
    secret derived from the data keys (outside the database): a plain or salted hash of a short body would let
    anyone who reads the table test guesses of a note against it. A replay reads the object again through the
    caller's own visibility (gone or hidden since: 404; changed since: its current state). Records expire after
    TANDEM_IDEMPOTENCY_TTL_HOURS; then the key is fresh again.
    """

    def __init__(self, request: Request, response: Response, session: AsyncSession, key: str | None) -> None:
        self.request = request
        self.response = response
        self.session = session
        self.key = key

    @overload
    async def create(
        self, owner: str, create: Callable[[], Awaitable[T]], read: Callable[[uuid.UUID], Awaitable[T]], *,
        status_code: int = 201,
    ) -> T: ...
    @overload
    async def create(
        self, owner: str, create: Callable[[], Awaitable[T]], read: Callable[[uuid.UUID], Awaitable[T]],
        render: Callable[[T], Awaitable[R]], *, status_code: int = 201,
    ) -> R: ...
    @overload
    async def create(
        self, owner: str, create: Callable[[], Awaitable[T]], read: Callable[[uuid.UUID], Awaitable[T]],
        render: Callable[[T], R], *, status_code: int = 201,
    ) -> R: ...
    async def create(
        self,
        owner: str,
        create: Callable[[], Awaitable[T]],
        read: Callable[[uuid.UUID], Awaitable[T]],
        render: Callable[[T], object] = _same,
        *,
        status_code: int = 201,
    ) -> object:
        """Create once per key: `create()` makes the object (or `(object, extra)`, e.g. a secret shown once);
        on a retry `read(id)` fetches it again as the caller may see it now, in the same shape; `render` turns
        either into the answer (it may be async). Sets the status, the ETag of a versioned object and, on a
        replay, `Idempotent-Replayed: true`. The answer is typed as `render` returns it; give an async `render`
        as a function or `functools.partial`, not a lambda (mypy cannot tell a lambda's awaitable from a
        plain answer, and types the call Any)."""
        if not self.key:
            return await self._answer(await create(), render, status_code)
        if len(self.key) > 200:
            raise Invalid("Idempotency-Key is too long (200 characters at most).", loc=["header", "Idempotency-Key"])
        keys = _hmac_keys()
        who, key = owner.encode(), self.key.encode()
        key_macs = [_mac(k, b"key", who, key) for k in keys]
        found = (await self.session.execute(
            select(IdempotencyRecord).where(IdempotencyRecord.owner == owner, IdempotencyRecord.key.in_(key_macs))
        )).scalars().all()
        cutoff = _expired_before()
        live = [r for r in found if r.created_at > cutoff]
        if len(live) < len(found):  # expired: the key is fresh again; make way for the new record
            for rec in found:
                if rec.created_at <= cutoff:
                    await self.session.delete(rec)
            await self.session.flush()
        body = await self.request.body()
        path = self.request.url.path.encode()
        if live:
            rec = live[0]
            expected = _mac(keys[key_macs.index(rec.key)], b"request", who, key, path, body)
            if not hmac.compare_digest(rec.request_hash, expected):
                raise Invalid(
                    "This Idempotency-Key was used with a different request body.",
                    loc=["header", "Idempotency-Key"],
                    type="idempotency_key_reused",
                )
            self.response.headers["Idempotent-Replayed"] = "true"
            return await self._answer(await read(rec.resource_id), render, rec.status_code)
        made = await create()
        self.session.add(IdempotencyRecord(
            owner=owner, key=key_macs[0], request_hash=_mac(keys[0], b"request", who, key, path, body),
            status_code=status_code, resource_id=_created_object(made).id,
        ))
        await self.session.flush()
        return await self._answer(made, render, status_code)

    async def _answer(self, made: T, render: Callable[[T], object], status_code: int) -> object:
        obj = _created_object(made)
        if isinstance(obj, Versioned):
            set_etag(self.response, obj)
        self.response.status_code = status_code
        out = render(made)
        return await out if inspect.isawaitable(out) else out


async def idempotency(
    request: Request,
    response: Response,
    session: SessionDep,
    idempotency_key: str | None = Header(
        None, alias="Idempotency-Key",
        description="Retry-safe create: the same key and body within TANDEM_IDEMPOTENCY_TTL_HOURS (24 by default) "
                    "creates nothing new and answers with the object as it is now (`Idempotent-Replayed: true`); "
                    "another body with the same key is 422."),
) -> Idempotency:
    return Idempotency(request, response, session, idempotency_key)


IdempotencyDep = Annotated[Idempotency, Depends(idempotency)]


async def purge_expired_idempotency() -> int:
    """Delete the idempotency records older than TANDEM_IDEMPOTENCY_TTL_HOURS; returns how many."""
    async with own_transaction() as session:
        result = await session.execute(
            delete(IdempotencyRecord).where(IdempotencyRecord.created_at <= _expired_before())
            .execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


async def purge_idempotency_if_due() -> int:
    """The background worker's call on every pass: purge at most once per PURGE_INTERVAL_SECONDS."""
    global _next_purge
    now = time.monotonic()
    if now < _next_purge:
        return 0
    _next_purge = now + PURGE_INTERVAL_SECONDS
    return await purge_expired_idempotency()
