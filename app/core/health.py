"""Liveness, readiness (database reachable and migrated to the newest revision) and metrics."""

from __future__ import annotations

import hmac
from functools import lru_cache

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, PlainTextResponse

from app.core.config import get_settings, project_root
from app.core.db import get_engine, sessionmaker
from app.core.errors import Unauthorized
from app.core.metrics import Family, metrics, pool_families

router = APIRouter(tags=["health"])


@lru_cache
def script_head() -> str:
    """The newest revision; the history is one line, so there is exactly one (alembic raises otherwise)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(project_root() / "migrations"))
    head = ScriptDirectory.from_config(cfg).get_current_head()
    if head is None:
        raise RuntimeError("the migrations have no revision")
    return head


@router.get("/healthz", operation_id="health.live")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", operation_id="health.ready", responses={503: {"description": "Not ready"}})
async def readyz() -> JSONResponse:
    try:
        async with get_engine().connect() as conn:
            rows = (await conn.execute(sa.text("SELECT version_num FROM alembic_version"))).scalars().all()
    except Exception:
        return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503,
                            headers={"Retry-After": "5"})
    if list(rows) != [script_head()]:
        return JSONResponse({"status": "unavailable", "database": "not migrated"}, status_code=503,
                            headers={"Retry-After": "30"})
    return JSONResponse({"status": "ok", "database": "ok"})


def metrics_access(request: Request) -> None:
    """With TANDEM_METRICS_TOKEN set, /metrics answers only `Authorization: Bearer <that token>` (compared in
    constant time); unset, it stays open as before."""
    expected = get_settings().metrics_token
    if not expected:
        return
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), expected.encode()):
        raise Unauthorized("A valid metrics token is required.", headers={"WWW-Authenticate": 'Bearer realm="metrics"'})


@router.get("/metrics", operation_id="health.metrics", response_class=PlainTextResponse, dependencies=[Depends(metrics_access)], responses={
    401: {"description": "TANDEM_METRICS_TOKEN is set and the request does not carry it",
          "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}})
async def prometheus_metrics() -> PlainTextResponse:
    return PlainTextResponse(await scrape(), media_type="text/plain; version=0.0.4")


async def scrape() -> str:
    """This process's metrics and its pool, and the database gauges the domains registered; a database that
    does not answer leaves those out and says so (`tandem_metrics_database_up 0`)."""
    extra = pool_families(get_engine().sync_engine.pool)
    up = 1
    try:
        async with sessionmaker()() as session:
            gauges = [f for collect in metrics.collectors for f in await collect(session)]
    except Exception:
        gauges, up = [], 0
    extra.append(Family("tandem_metrics_database_up", "1 when the database gauges below could be read.", "gauge",
                        [({}, up)]))
    return metrics.render([*extra, *gauges])
