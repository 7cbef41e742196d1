"""The yardstick of the load benchmark: a bare FastAPI app with one endpoint that reads one referral by
primary key through the same SQLAlchemy async engine (app.core.db.make_engine: asyncpg, same pool settings,
pre-ping) and session, and returns a few of its columns. No authentication, middleware, audit or logging.

    DATABASE_URL=postgresql+asyncpg://... uvicorn bench.bare_app:app --workers 1
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, HTTPException
from sqlalchemy.ext.asyncio import async_sessionmaker

from app import models  # noqa: F401  (register every table, as the service does)
from app.core.config import get_settings
from app.core.db import make_engine
from app.referrals.models import Referral

engine = make_engine(get_settings())
Session = async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    await engine.dispose()


app = FastAPI(lifespan=lifespan)


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/referrals/{referral_id}")
async def read(referral_id: uuid.UUID) -> dict[str, Any]:
    async with Session() as session:
        row = await session.get(Referral, referral_id)
        await session.commit()
    if row is None:
        raise HTTPException(404)
    return {"id": row.id, "status": row.status, "urgency": row.urgency, "to_agency_id": row.to_agency_id,
            "created_at": row.created_at, "respond_by": row.respond_by}
