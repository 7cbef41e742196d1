"""Liveness, readiness (database reachable and migrated to the newest revision) and metrics."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import sqlalchemy as sa
from fastapi import APIRouter
from fastapi.responses import JSONResponse, PlainTextResponse

from app.core.db import get_engine
from app.core.metrics import metrics

router = APIRouter(tags=["health"])
MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


@lru_cache
def script_heads() -> frozenset[str]:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return frozenset(ScriptDirectory.from_config(cfg).get_heads())


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "Not ready"}})
async def readyz() -> JSONResponse:
    try:
        async with get_engine().connect() as conn:
            rows = (await conn.execute(sa.text("SELECT version_num FROM alembic_version"))).scalars().all()
    except Exception:
        return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503,
                            headers={"Retry-After": "5"})
    if frozenset(rows) != script_heads():
        return JSONResponse({"status": "unavailable", "database": "not migrated"}, status_code=503,
                            headers={"Retry-After": "30"})
    return JSONResponse({"status": "ok", "database": "ok"})


@router.get("/metrics", response_class=PlainTextResponse)
async def prometheus_metrics() -> PlainTextResponse:
    return PlainTextResponse(metrics.render(), media_type="text/plain; version=0.0.4")
