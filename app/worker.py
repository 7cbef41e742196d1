"""The background worker: the list of jobs each pass runs, and the loop `tandem serve` (inside the API
process) and `tandem deliver` run.

The worker is an entry point: it knows the domains' jobs, the domains do not know the worker. A job is one
pass of some background work that returns how much it did; each pass runs every job in turn, and a job that
fails is logged (by its class, never its message) without stopping the others. The loop waits
TANDEM_WEBHOOK_POLL_SECONDS after a pass that delivered nothing.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass

import httpx
from starlette.types import Receive, Scope, Send

from app.advocates.routing import route_all_queued
from app.core.config import get_settings
from app.core.db import get_engine
from app.core.http import purge_idempotency_if_due
from app.core.keyring import ensure_loaded
from app.core.metrics import metrics, pool_families
from app.tasks import detect
from app.tasks import sources as task_sources
from app.webhooks import delivery

log = logging.getLogger("tandem.worker")


@dataclass(frozen=True)
class Job:
    """One kind of background work: `run()` makes one pass and returns how many items it handled."""

    name: str
    run: Callable[[], Awaitable[int]]
    failure: str  # the log message when a pass fails


def jobs(client: httpx.AsyncClient, batch_size: int = delivery.DEFAULT_BATCH) -> list[Job]:
    """What each pass does, in order: send due webhook deliveries, route consultations waiting in office
    queues, open tasks for referrals gone overdue and consents about to expire, purge expired idempotency
    records (at most every few minutes). The tasks opened by events (a routed consultation, ...) need the
    task inbox listening in this process too."""
    task_sources.register()
    return [
        Job("webhook delivery", lambda: delivery.run_once(batch_size, client), "webhook worker pass failed"),
        Job("consultation routing", route_all_queued, "consultation routing pass failed"),
        Job("overdue referrals", detect.detect_overdue_referrals, "overdue referral detection failed"),
        Job("expiring consents", detect.detect_expiring_consents, "expiring consent detection failed"),
        Job("idempotency purge", purge_idempotency_if_due, "idempotency purge failed"),
    ]


async def run_pass(pass_jobs: list[Job]) -> dict[str, int]:
    """Run each job once; a failed job counts 0 and is logged, and the others still run."""
    done: dict[str, int] = {}
    try:
        await ensure_loaded()  # the agency key ring (no query once loaded)
    except Exception as e:
        log.error("key ring load failed", extra={"error_class": type(e).__name__})
    for job in pass_jobs:
        try:
            done[job.name] = await job.run()
            metrics.job_ran(job.name, ok=True)
        except Exception as e:  # keep the worker alive; the database may be briefly unavailable
            log.error(job.failure, extra={"error_class": type(e).__name__})
            metrics.job_ran(job.name, ok=False)
            done[job.name] = 0
    return done


_BACKLOG_JOBS = ("webhook delivery", "overdue referrals", "expiring consents")


async def run_forever(stop: asyncio.Event | None = None, batch_size: int = delivery.DEFAULT_BATCH) -> None:
    """Run passes until `stop` is set (or the task is cancelled); idle for the poll interval after a pass
    that delivered nothing and opened no task."""
    stop = stop or asyncio.Event()
    settings = get_settings()
    async with delivery.delivery_client() as client:
        pass_jobs = jobs(client, batch_size)
        while not stop.is_set():
            done = await run_pass(pass_jobs)
            # Straight on to the next pass while there is a backlog: deliveries sent, or tasks opened (a
            # detection pass takes a bounded batch, app.tasks.detect.DETECT_BATCH).
            if not any(done.get(name) for name in _BACKLOG_JOBS):
                with suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=settings.webhook_poll_seconds)


class BackgroundWorker:
    """The worker inside the API process (started and stopped by the app lifespan)."""

    def __init__(self) -> None:
        self._stop = asyncio.Event()
        self.task = asyncio.create_task(run_forever(self._stop), name="tandem-worker")

    async def stop(self) -> None:
        """Let the current pass finish (bounded by the send timeout), then end; cancel if it overruns.
        A delivery cut off mid-send stays leased and is sent again after the lease."""
        self._stop.set()
        done, _ = await asyncio.wait({self.task}, timeout=get_settings().webhook_timeout_seconds + 5)
        if not done:
            self.task.cancel()
            with suppress(asyncio.CancelledError):
                await self.task


def start_background_worker() -> BackgroundWorker:
    return BackgroundWorker()


async def metrics_endpoint(scope: Scope, receive: Receive, send: Send) -> None:
    """`GET /metrics` of a worker running on its own (`tandem deliver --metrics-port`): its job and delivery
    counters, its process and its pool; TANDEM_METRICS_TOKEN applies as on the API."""
    if scope["type"] != "http":
        return
    expected = get_settings().metrics_token
    given = dict(scope.get("headers") or []).get(b"authorization", b"").decode("latin-1")
    status, body = 200, b""
    if scope["path"] != "/metrics":
        status = 404
    elif expected and not hmac.compare_digest(given.encode(), f"Bearer {expected}".encode()):
        status = 401
    else:
        body = metrics.render(pool_families(get_engine().sync_engine.pool)).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; version=0.0.4")]})
    await send({"type": "http.response.body", "body": body})
