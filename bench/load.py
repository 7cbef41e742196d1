"""Load benchmark: Tandem on PostgreSQL under a fixed-concurrency load, next to a bare FastAPI endpoint.

    .venv/bin/python -m bench.load --seconds 20 [--connections 8] [--json out.json]

Creates its own PostgreSQL database (TANDEM_BENCH_PG, default postgresql://postgres@127.0.0.1:5432), runs
`tandem migrate`, starts `tandem serve` (one uvicorn worker) and seeds a world through its API, adds bulk
referrals, starts the bare app (bench/bare_app.py, one worker) as another process, then drives each endpoint
from a separate load-generator process (wrk; an httpx driver only if wrk is missing) for `--seconds` after a
short warm-up. Prints requests/s, p50/p95/p99 and each Tandem endpoint's throughput as a ratio to the bare
endpoint (measured at the start and at the end; the ratio uses their mean). Drops the database at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import urllib.parse
from pathlib import Path
from typing import Any

from bench.driver import Req, driver_name, run_phase
from bench.harness import BenchDatabase, bare_server, log, machine, pg_version, tandem_server
from bench.world import CATEGORIES, PASSWORD, World, bulk_referrals, referral_body, seed_world

JSON = {"Content-Type": "application/json"}


def phases(w: World, read_ids: list[str]) -> list[tuple[str, str, list[Req]]]:
    """(name, server, requests) in the order they run; "bare" runs first and last."""
    advocate = w.users["dv.dv_advocate"]
    worker = w.users["cps.cps_worker"]
    auditor = w.users["cps.auditor"]
    form = urllib.parse.urlencode({"grant_type": "password", "username": advocate.email, "password": PASSWORD})
    bare = [Req("GET", f"/referrals/{rid}") for rid in read_ids]
    return [
        ("bare endpoint (start)", "bare", bare),
        ("token issue (password grant)", "tandem",
         [Req("POST", "/api/v1/auth/token", {"Content-Type": "application/x-www-form-urlencoded"}, form)]),
        ("incoming-referral list", "tandem", [Req("GET", "/api/v1/referrals?box=incoming", advocate.h)]),
        ("referral read (receiver)", "tandem",
         [Req("GET", f"/api/v1/referrals/{rid}", advocate.h) for rid in read_ids]),
        ("disclosure request", "tandem", [
            Req("POST", "/api/v1/disclosures", {**advocate.h, **JSON}, json.dumps(
                {"person_id": pid, "purpose": "service_coordination", "categories": CATEGORIES}))
            for pid in w.survivors]),
        ("referral create", "tandem", [
            Req("POST", "/api/v1/referrals", {**worker.h, **JSON}, json.dumps(referral_body(w, k)))
            for k in range(len(w.cases))]),
        ("audit verify", "tandem", [Req("GET", "/api/v1/audit-events/verify", auditor.h)]),
        ("bare endpoint (end)", "bare", bare),
    ]


def table(results: list[dict[str, Any]], bare_rps: float) -> str:
    lines = ["| endpoint | requests | req/s | p50 ms | p95 ms | p99 ms | statuses | vs bare |",
             "|---|---:|---:|---:|---:|---:|---|---:|"]
    for r in results:
        codes = " ".join(f"{k}×{v}" for k, v in r["codes"].items())
        ratio = "—" if r["server"] == "bare" else f"{r['rps'] / bare_rps:.1%}"
        lines.append(f"| {r['name']} | {r['requests']} | {r['rps']:.1f} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} "
                     f"| {r['p99_ms']:.1f} | {codes} | {ratio} |")
    return "\n".join(lines)


async def main(args: argparse.Namespace) -> int:
    db = BenchDatabase("load")
    tandem = bare = None
    results: list[dict[str, Any]] = []
    info = machine()
    try:
        log(f"database {db.name}: create and migrate (tandem migrate)")
        await db.create()
        db.migrate()
        db.use_here()
        tandem = tandem_server(db).start()
        log(f"tandem serve (1 worker) on {tandem.url}; seeding through the API")
        w = await seed_world(db, tandem.url, cases=args.cases, referrals=args.api_referrals)
        conn = await db.connect()
        try:
            total = await bulk_referrals(conn, w, args.referrals)
            await conn.execute("ANALYZE")
            rows = await conn.fetch(
                "SELECT id FROM referrals WHERE to_agency_id = $1 AND sent_at IS NOT NULL", w.agencies["dv"])
            info["referrals"] = total
            info["incoming_to_bench_dv"] = len(rows)
        finally:
            await conn.close()
        read_ids = [str(r["id"]) for r in random.Random(1).sample(rows, min(200, len(rows)))]
        log(f"{total} referrals ({len(rows)} sent to the bench DV agency), {len(w.cases)} cases with consent")
        bare = bare_server(db).start()
        log(f"bare app (1 worker) on {bare.url}")
        info["driver"] = driver_name()
        for name, server, reqs in phases(w, read_ids):
            url = (tandem if server == "tandem" else bare).url
            if name == "audit verify":
                conn = await db.connect()
                info["chain_length_at_verify"] = int(await conn.fetchval("SELECT count(*) FROM audit_events"))
                await conn.close()
            run_phase(url, reqs, seconds=args.warmup, connections=args.connections)
            r = run_phase(url, reqs, seconds=args.seconds, connections=args.connections)
            r.update(name=name, server=server)
            results.append(r)
            log(f"{name}: {r['rps']:.1f} req/s, p50 {r['p50_ms']:.1f} ms, p95 {r['p95_ms']:.1f} ms, "
                f"p99 {r['p99_ms']:.1f} ms, statuses {r['codes']}")
            if r["ok_ratio"] < 0.99 or r["socket_errors"]:
                raise RuntimeError(f"{name}: only {r['ok_ratio']:.1%} 2xx, {r['socket_errors']} socket errors")
        info["pg"] = await pg_version(db)
    finally:
        for s in (bare, tandem):
            if s is not None:
                s.stop()
        await db.drop()
    bare_rps = sum(r["rps"] for r in results if r["server"] == "bare") / 2
    info["load_end"] = machine()["load"]
    print()
    print(f"machine: {info['nproc']} cores ({info['cpu']}), {info['memory']}, PostgreSQL {info['pg']}, "
          f"Python {info['python']}; {info['date']}; load average at start {info['load']}, at end "
          f"{info['load_end']}")
    print(f"driver: {info['driver']}, 1 thread, {args.connections} connections, {args.seconds} s per endpoint "
          f"after {args.warmup} s warm-up; Tandem and the bare app: uvicorn, 1 worker each")
    print(f"data: {info['referrals']} referrals ({info['incoming_to_bench_dv']} in the incoming box), audit chain "
          f"{info['chain_length_at_verify']} events when verify ran; bare mean {bare_rps:.1f} req/s")
    print()
    print(table(results, bare_rps))
    if args.json:
        await asyncio.to_thread(Path(args.json).write_text, json.dumps({"info": info, "args": vars(args), "results": results}, indent=2))
    return 0


def cli() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=float, default=20, help="measured seconds per endpoint (default 20)")
    p.add_argument("--warmup", type=float, default=2, help="warm-up seconds per endpoint (default 2)")
    p.add_argument("--connections", type=int, default=8, help="concurrent connections (default 8)")
    p.add_argument("--cases", type=int, default=40, help="cases (with survivor, child, consent) via the API")
    p.add_argument("--api-referrals", type=int, default=120, help="referrals created and sent via the API")
    p.add_argument("--referrals", type=int, default=3000, help="referrals in total (the rest in bulk)")
    p.add_argument("--json", help="also write the results to this JSON file")
    return asyncio.run(main(p.parse_args()))


if __name__ == "__main__":
    raise SystemExit(cli())
