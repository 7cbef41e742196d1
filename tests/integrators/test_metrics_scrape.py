"""/metrics as Prometheus reads it: `prometheus_client.parser` parses the app's answer; the families an
operator needs are there (process, pool, webhook queue and its oldest age, deliveries by outcome, background
job runs and failures, overdue referrals, consents expiring within 14 days) and move with what happens; no
label carries an agency's name or personal data."""

from __future__ import annotations

from datetime import timedelta

from prometheus_client.parser import text_string_to_metric_families

from app.core.clock import utcnow
from app.webhooks import delivery as worker
from app.worker import jobs, run_pass
from tests.referrals.scene import SURVIVOR_NAME, build_scene
from tests.webhooks.conftest import allow_private, receiver  # noqa: F401  (the loopback receiver)

EXPECTED = {
    "process_cpu_seconds", "process_resident_memory_bytes", "process_virtual_memory_bytes", "process_open_fds",
    "process_start_time_seconds", "tandem_http_requests", "tandem_http_request_duration_seconds",
    "tandem_db_pool_in_use", "tandem_db_pool_idle", "tandem_db_pool_size", "tandem_db_pool_overflow",
    "tandem_db_pool_waiting", "tandem_webhook_queue_depth", "tandem_webhook_oldest_pending_age_seconds",
    "tandem_webhook_deliveries", "tandem_webhook_delivery_attempts", "tandem_background_job_runs",
    "tandem_background_job_failures", "tandem_referrals_overdue", "tandem_consents_expiring_14d",
    "tandem_metrics_database_up",
}


async def _scrape(client) -> dict[str, dict[tuple, float]]:
    r = await client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    out: dict[str, dict[tuple, float]] = {}
    for family in text_string_to_metric_families(r.text):
        for sample in family.samples:
            out.setdefault(family.name, {})[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def _value(scraped, family: str, **labels) -> float:
    return sum(v for (_, ls), v in scraped[family].items() if set(labels.items()) <= set(ls))


async def test_metrics_parse_and_move_with_what_happens(client, world, clock, receiver, allow_private):  # noqa: F811
    t = utcnow()
    clock.set(t)
    before = await _scrape(client)
    assert {"process_cpu_seconds", "tandem_db_pool_in_use", "tandem_webhook_queue_depth"} <= set(before)
    assert _value(before, "tandem_metrics_database_up") == 1

    s = await build_scene(world)  # its consent to the DV agency runs 60 days
    await s.consent(s.survivor, purposes=["safety_planning"])
    hook = await world.post(s["dv_admin"], "/api/v1/webhooks", {"url": receiver.url("/metrics-hook"),
                                                               "events": ["referral.*"]})
    assert hook.status_code == 201
    receiver.plans["/metrics-hook"] = [500]
    await s.referral("sent")  # routine: answer due within 3 business days
    queued = await _scrape(client)
    assert _value(queued, "tandem_webhook_queue_depth") >= 1 + _value(before, "tandem_webhook_queue_depth")

    clock.set(t + timedelta(days=50))  # the referral is overdue, both consents expire within 14 days
    s.retoken()
    await run_pass(jobs(worker.delivery_client()))  # the delivery fails once: a retry
    later = await _scrape(client)
    assert EXPECTED <= set(later), EXPECTED - set(later)
    assert _value(later, "tandem_referrals_overdue", urgency="routine") >= 1
    assert _value(later, "tandem_consents_expiring_14d") >= 2
    assert _value(later, "tandem_webhook_oldest_pending_age_seconds") >= 50 * 86400 - 60
    assert _value(later, "tandem_webhook_delivery_attempts", outcome="retry") >= 1
    assert _value(later, "tandem_background_job_runs", job="webhook_delivery") >= 1
    assert _value(later, "tandem_http_requests", route="/api/v1/referrals/{referral_id}/send") >= 1

    # No label names an agency or carries personal data.
    labels = {v for fam in later.values() for (_, ls) in fam for _, v in ls}
    for secret in (s.cps.name, s.dv.name, SURVIVOR_NAME, str(s.cps.id), str(s.dv.id)):
        assert not any(secret in v for v in labels), secret


async def test_a_worker_on_its_own_serves_its_metrics(tmp_path):
    """`tandem deliver --metrics-port`: the worker's own /metrics (its job counters), parsed as Prometheus
    reads it; SIGTERM stops both."""
    import asyncio
    import os
    import signal
    import socket
    import sys
    from pathlib import Path

    import httpx

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    tandem = str(Path(sys.executable).parent / "tandem")
    proc = await asyncio.create_subprocess_exec(
        tandem, "deliver", "--metrics-port", str(port), "--metrics-host", "127.0.0.1",
        env={**os.environ, "TANDEM_WEBHOOK_POLL_SECONDS": "1"},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        text = ""
        async with httpx.AsyncClient() as http:
            for _ in range(100):
                await asyncio.sleep(0.2)
                try:
                    r = await http.get(f"http://127.0.0.1:{port}/metrics")
                except httpx.TransportError:
                    continue
                text = r.text
                if 'job="webhook_delivery"' in text:
                    break
        names = {f.name for f in text_string_to_metric_families(text)}
        assert {"tandem_background_job_runs", "process_cpu_seconds", "tandem_db_pool_in_use"} <= names, text
    finally:
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0
