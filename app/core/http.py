"""ETag / If-Match and Idempotency-Key handling, shared by every domain."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from fastapi import Depends, Header, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.db import get_session
from app.core.errors import Invalid, PreconditionFailed


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


IfMatch = Header(None, alias="If-Match", description="ETag from a previous GET; 412 when stale.")


class Idempotency:
    """Replays the first response for a repeated Idempotency-Key on a create, scoped to the caller."""

    def __init__(self, request: Request, session: AsyncSession, key: str | None) -> None:
        self.request = request
        self.session = session
        self.key = key
        self.body_hash = ""
        self.owner = ""

    async def replay(self, owner: str) -> JSONResponse | None:
        from app.core.models import IdempotencyRecord

        if not self.key:
            return None
        if len(self.key) > 200:
            raise Invalid("Idempotency-Key is too long (200 characters at most).", loc=["header", "Idempotency-Key"])
        self.owner = owner
        body = await self.request.body()
        self.body_hash = hashlib.sha256(self.request.url.path.encode() + b"\n" + body).hexdigest()
        rec = (
            await self.session.execute(
                select(IdempotencyRecord).where(
                    IdempotencyRecord.owner == owner, IdempotencyRecord.key == self.key
                )
            )
        ).scalar_one_or_none()
        if rec is None:
            return None
        if rec.request_hash != self.body_hash:
            raise Invalid(
                "This Idempotency-Key was used with a different request body.",
                loc=["header", "Idempotency-Key"],
                type="idempotency_key_reused",
            )
        return JSONResponse(json.loads(rec.response_body), status_code=rec.status_code,
                            headers={"Idempotent-Replayed": "true"})

    async def remember(self, status_code: int, body: Any) -> Any:
        from app.core.models import IdempotencyRecord

        if self.key:
            self.session.add(
                IdempotencyRecord(
                    owner=self.owner,
                    key=self.key,
                    request_hash=self.body_hash,
                    status_code=status_code,
                    response_body=json.dumps(jsonable_encoder(body)),
                )
            )
            await self.session.flush()
        return body


async def idempotency(
    request: Request,
    session: AsyncSession = Depends(get_session, scope="function"),
    idempotency_key: str | None = Header(None, alias="Idempotency-Key",
                                         description="Retry-safe create: same key and body replays."),
) -> Idempotency:
    return Idempotency(request, session, idempotency_key)
