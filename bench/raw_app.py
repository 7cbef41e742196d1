"""The second yardstick: FastAPI with a plain asyncpg pool and no SQLAlchemy, reading one referral row by key
and returning the same columns as bench/bare_app.py. No authentication, middleware, audit or logging: the
floor of what one request costs on this stack (FastAPI, uvicorn, asyncpg, PostgreSQL).

    DATABASE_URL=postgresql+asyncpg://... uvicorn bench.raw_app:app --workers 1
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from fastapi import FastAPI, HTTPException

DSN = os.environ["DATABASE_URL"].replace("postgresql+asyncpg://", "postgresql://", 1)
READ = "SELECT id, status, urgency, to_agency_id, created_at, respond_by FROM referrals WHERE id = $1"
pool: asyncpg.Pool | None = None


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    global pool
    pool = await asyncpg.create_pool(DSN, min_size=2, max_size=10)
    try:
        yield
    finally:
        await pool.close()


app = FastAPI(lifespan=lifespan)


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/referrals/{referral_id}")
async def read(referral_id: uuid.UUID) -> dict[str, Any]:
    assert pool is not None
    row = await pool.fetchrow(READ, referral_id)
    if row is None:
        raise HTTPException(404)
    return dict(row)
