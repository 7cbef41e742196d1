"""Keyset pagination (newest first, by created_at then id): stable under inserts, never OFFSET."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from fastapi import Query
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import Invalid

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
CURSOR_PATTERN = r"^[A-Za-z0-9_-]+$"  # base64url without padding, as encode_cursor writes it


class Page(BaseModel, Generic[T]):
    """One page of a list; `next_cursor` is null on the last page."""

    items: list[T]
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page; null on the last.")

    @classmethod
    def model_parametrized_name(cls, params: tuple[Any, ...]) -> str:
        """`Page[ReferralSummary]` is `ReferralSummaryPage` in the OpenAPI document (`Page[AgencyRead]`:
        `AgencyPage`), not `Page_ReferralSummary_`."""
        name = getattr(params[0], "__name__", str(params[0]))
        return f"{name.removesuffix('Read')}Page"


class PageParams:
    def __init__(
        self,
        limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Page size (1-200)."),
        cursor: str | None = Query(None, max_length=200, pattern=CURSOR_PATTERN,
                                   description="Opaque cursor: the `next_cursor` of the previous page."),
    ) -> None:
        self.limit = limit
        self.cursor = cursor


def page_of(items: list[Any], cursor: str | None, schema: Any) -> dict[str, Any]:
    """A list answer: each item validated through its Read schema, and the cursor of the next page."""
    return {"items": [schema.model_validate(i) for i in items], "next_cursor": cursor}


def encode_cursor(created_at: datetime, id_: uuid.UUID) -> str:
    raw = json.dumps([created_at.isoformat(), str(id_)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        pad = "=" * (-len(cursor) % 4)
        ts, id_ = json.loads(base64.urlsafe_b64decode(cursor + pad))
        at = datetime.fromisoformat(ts)
        # Compared with UTC columns: a time that overflows in UTC (0001-01-01T00:00:00+14:00) is no cursor.
        at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
        return at, uuid.UUID(id_)
    except Exception:
        raise Invalid("The cursor is not valid.", loc=["query", "cursor"])


async def paginate(
    session: AsyncSession,
    stmt: sa.Select[Any],
    model: Any,
    page: PageParams,
    *,
    time_col: Any = None,
) -> tuple[list[Any], str | None]:
    """Run `stmt` (already filtered to what the caller may see) one page at a time, newest first."""
    col = time_col if time_col is not None else model.created_at
    if page.cursor:
        ts, last_id = decode_cursor(page.cursor)
        # `col <= ts` is implied by the OR, but only it lets the database seek an index on (..., col, id)
        # to the cursor instead of scanning every newer row: a deep page costs what the first one does.
        stmt = stmt.where(col <= ts, sa.or_(col < ts, sa.and_(col == ts, model.id < last_id)))
    stmt = stmt.order_by(col.desc(), model.id.desc()).limit(page.limit + 1)
    rows = list((await session.execute(stmt)).scalars().all())
    next_cursor = None
    if len(rows) > page.limit:
        rows = rows[: page.limit]
        last = rows[-1]
        next_cursor = encode_cursor(getattr(last, col.key), last.id)
    return rows, next_cursor
