"""Scale benchmark: list, overdue, disclosure and audit latency with 10k and then 1M referrals and audit events.

    .venv/bin/python -m bench.scale [--sizes 10000,1000000] [--calls 21] [--explain]

Creates its own PostgreSQL database, runs `tandem migrate`, starts `tandem serve` (one uvicorn worker), seeds
a world through the API, then for each size bulk-loads referrals (with their cases, survivors and person rows)
and audit events (a valid hash chain, continued from the events the API wrote) with asyncpg COPY, runs
VACUUM (ANALYZE) and a CHECKPOINT (the steady state, not the load's aftermath), and times each call through the HTTP API: the median of `--calls` sequential calls after three
warm-up calls. Audit verify (O(n) by nature) is timed once at the largest size. Prints the table with the
ratio largest/smallest and drops the database at the end. `--explain` also prints EXPLAIN (ANALYZE, BUFFERS)
of the list queries at each size.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from bench.harness import BenchDatabase, log, machine, pg_version, tandem_server
from bench.world import CATEGORIES, World, bulk_audit, bulk_referrals, seed_world

LIST = "/api/v1/referrals"


async def timed(client: httpx.AsyncClient, method: str, url: str, headers: dict[str, str], *, body: Any = None,
                calls: int, expect: int) -> dict[str, Any]:
    """Median (and min, max) of `calls` sequential calls in ms, after three warm-up calls."""
    samples = []
    for i in range(calls + 3):
        t = time.perf_counter()
        r = await client.request(method, url, headers=headers, json=body)
        elapsed = (time.perf_counter() - t) * 1000
        if r.status_code != expect:
            raise RuntimeError(f"{method} {url} -> {r.status_code}: {r.text[:300]}")
        if i >= 3:
            samples.append(elapsed)
    items = r.json().get("items") if isinstance(r.json(), dict) else None
    return {"median_ms": statistics.median(samples), "min_ms": min(samples), "max_ms": max(samples),
            "items": len(items) if items is not None else None}


async def deep_cursors(db: BenchDatabase, w: World) -> dict[str, str]:
    """Cursors half-way down the incoming box and the CPS agency's audit trail (found here once, with
    OFFSET; the API itself only ever seeks by keyset)."""
    from app.audit.service import _encode_seq_cursor
    from app.core.pagination import encode_cursor

    conn = await db.connect()
    try:
        dv = uuid.UUID(w.agencies["dv"])
        n = await conn.fetchval("SELECT count(*) FROM referrals WHERE to_agency_id = $1 AND sent_at IS NOT NULL", dv)
        row = await conn.fetchrow(
            "SELECT created_at, id FROM referrals WHERE to_agency_id = $1 AND sent_at IS NOT NULL "
            "ORDER BY created_at DESC, id DESC OFFSET $2 LIMIT 1", dv, n // 2)
        cps = uuid.UUID(w.agencies["cps"])
        m = await conn.fetchval("SELECT count(*) FROM audit_events WHERE agency_id = $1", cps)
        seq = await conn.fetchval(
            "SELECT seq FROM audit_events WHERE agency_id = $1 ORDER BY seq DESC OFFSET $2 LIMIT 1", cps, m // 2)
    finally:
        await conn.close()
    return {"incoming": encode_cursor(row["created_at"], row["id"]), "incoming_depth": str(n // 2),
            "audit": _encode_seq_cursor(int(seq)), "audit_depth": str(m // 2)}


def cases(w: World, cur: dict[str, str]) -> list[tuple[str, str, str, str, Any, int]]:
    """(label, method, url, who, body, expected status)."""
    return [
        ("incoming list, first page", "GET", f"{LIST}?box=incoming", "dv.dv_advocate", None, 200),
        (f"incoming list, deep cursor page (row {cur['incoming_depth']})", "GET",
         f"{LIST}?box=incoming&cursor={cur['incoming']}", "dv.dv_advocate", None, 200),
        ("outgoing list, first page (CPS supervisor)", "GET", f"{LIST}?box=outgoing", "cps.cps_supervisor", None,
         200),
        ("both boxes, first page (DV supervisor)", "GET", LIST, "dv.dv_supervisor", None, 200),
        ("overdue list, incoming", "GET", f"{LIST}?box=incoming&overdue=true", "dv.dv_advocate", None, 200),
        ("overdue list, outgoing (CPS supervisor)", "GET", f"{LIST}?box=outgoing&overdue=true",
         "cps.cps_supervisor", None, 200),
        ("disclosure request", "POST", "/api/v1/disclosures", "dv.dv_advocate",
         {"person_id": w.survivors[0], "purpose": "service_coordination", "categories": CATEGORIES}, 201),
        ("audit list, first page", "GET", "/api/v1/audit-events", "cps.auditor", None, 200),
        (f"audit list, deep cursor page (row {cur['audit_depth']})", "GET",
         f"/api/v1/audit-events?cursor={cur['audit']}", "cps.auditor", None, 200),
    ]


EXPLAIN = {
    "incoming first page": (
        "SELECT * FROM referrals WHERE to_agency_id = $1 AND sent_at IS NOT NULL "
        "ORDER BY created_at DESC, id DESC LIMIT 51"),
    "overdue incoming": (
        "SELECT * FROM referrals WHERE to_agency_id = $1 AND sent_at IS NOT NULL "
        "AND status IN ('sent', 'acknowledged') AND respond_by IS NOT NULL AND respond_by < now() "
        "ORDER BY created_at DESC, id DESC LIMIT 51"),
}


async def explain(db: BenchDatabase, w: World) -> None:
    conn = await db.connect()
    try:
        for label, sql in EXPLAIN.items():
            plan = await conn.fetch("EXPLAIN (ANALYZE, BUFFERS) " + sql, uuid.UUID(w.agencies["dv"]))
            print(f"--- {label}\n" + "\n".join(r[0] for r in plan))
    finally:
        await conn.close()


async def main(args: argparse.Namespace) -> int:
    sizes = [int(s) for s in args.sizes.split(",")]
    db = BenchDatabase("scale")
    tandem = None
    info = machine()
    out: dict[int, dict[str, dict[str, Any]]] = {}
    loads: dict[int, float] = {}
    verify: dict[str, Any] = {}
    try:
        log(f"database {db.name}: create and migrate (tandem migrate)")
        await db.create()
        db.migrate()
        db.use_here()
        # No background worker in the server under measurement: the bulk load leaves hundreds of thousands of
        # referrals overdue with no task, a backlog a live system never has (each task opens as its referral
        # goes overdue), and working it through would share the process with the calls being timed.
        db.env["TANDEM_WEBHOOK_WORKER_ENABLED"] = "false"
        tandem = tandem_server(db).start()
        log(f"tandem serve (1 worker) on {tandem.url}; seeding through the API")
        w = await seed_world(db, tandem.url, cases=args.cases, referrals=args.api_referrals)
        async with httpx.AsyncClient(base_url=tandem.url, timeout=3600) as client:
            for size in sizes:
                t = time.perf_counter()
                conn = await db.connect()
                try:
                    await bulk_referrals(conn, w, size)
                    await bulk_audit(conn, w, size)
                    # Measure the steady state, not the bulk load's aftermath: without this, autovacuum and the
                    # checkpointer work through the new rows while the calls are timed (a few ms on every call
                    # at 1M, none of it the queries': EXPLAIN ANALYZE shows them under 0.5 ms).
                    await conn.execute("VACUUM (ANALYZE)")
                    await conn.execute("CHECKPOINT")
                finally:
                    await conn.close()
                loads[size] = time.perf_counter() - t
                log(f"{size:,} referrals and audit events loaded in {loads[size]:.0f} s")
                if args.explain:
                    await explain(db, w)
                cur = await deep_cursors(db, w)
                out[size] = {}
                for label, method, url, who, body, expect in cases(w, cur):
                    key = label.split(" (row")[0]
                    out[size][key] = r = await timed(client, method, url, w.users[who].h, body=body,
                                                     calls=args.calls, expect=expect)
                    log(f"  {label}: median {r['median_ms']:.1f} ms ({r['items']} items)")
            conn = await db.connect()
            length = int(await conn.fetchval("SELECT count(*) FROM audit_events"))
            await conn.close()
            t = time.perf_counter()
            r = await client.get("/api/v1/audit-events/verify", headers=w.users["cps.auditor"].h)
            verify = {"seconds": time.perf_counter() - t, "length": length, "body": r.json()}
            log(f"audit verify of {length:,} events: {verify['seconds']:.1f} s -> {r.json()}")
            if r.status_code != 200 or not r.json().get("ok"):
                raise RuntimeError(f"verify failed: {r.status_code} {r.text[:300]}")
        info["pg"] = await pg_version(db)
    finally:
        if tandem is not None:
            tandem.stop()
        await db.drop()
    small, large = sizes[0], sizes[-1]
    print()
    print(f"machine: {info['nproc']} cores ({info['cpu']}), {info['memory']}, PostgreSQL {info['pg']}, "
          f"Python {info['python']}; {info['date']}; load average at start {info['load']}, at end "
          f"{machine()['load']}")
    print(f"median of {args.calls} sequential calls through HTTP (httpx, keep-alive) after 3 warm-up calls; "
          f"tandem serve, 1 worker; bulk load + VACUUM (ANALYZE) + CHECKPOINT: " + ", ".join(f"{s:,}: {v:.0f} s" for s, v in loads.items()))
    print()
    head = " | ".join(f"{s:,} rows (ms)" for s in sizes)
    print(f"| call | {head} | ratio {large:,}/{small:,} |")
    print("|---|" + "---:|" * (len(sizes) + 1))
    for key in out[small]:
        cells = " | ".join(f"{out[s][key]['median_ms']:.1f}" for s in sizes)
        print(f"| {key} | {cells} | {out[large][key]['median_ms'] / out[small][key]['median_ms']:.2f} |")
    print()
    print(f"audit verify at {verify['length']:,} events: {verify['seconds']:.1f} s "
          f"({verify['length'] / verify['seconds']:,.0f} events/s), ok={verify['body'].get('ok')}")
    if args.json:
        await asyncio.to_thread(Path(args.json).write_text, json.dumps({"info": info, "args": vars(args), "load_seconds": loads,
                                               "results": out, "verify": verify}, indent=2, default=str))
    return 0


def cli() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="10000,1000000", help="referrals and audit events per step")
    p.add_argument("--calls", type=int, default=21, help="timed calls per measurement (median reported)")
    p.add_argument("--cases", type=int, default=20, help="cases (with survivor, child, consent) via the API")
    p.add_argument("--api-referrals", type=int, default=30, help="referrals created and sent via the API")
    p.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of the list queries")
    p.add_argument("--json", help="also write the results to this JSON file")
    return asyncio.run(main(p.parse_args()))


if __name__ == "__main__":
    raise SystemExit(cli())
