"""The bar of the performance issue, measured side by side in one run, printed as a markdown report.

    .venv/bin/python -m bench.bar [--seconds 15] [--base da68ff5] [--skip-scale] [--json out.json]

One run, in this order (PostgreSQL unless said; every server a separate uvicorn process, every load generator
a separate process; each step creates and drops its own database):

1. One uvicorn worker each, closed loop (wrk, `--connections`): the bare same-stack endpoint
   (bench/bare_app.py) at the start, the raw reference (bench/raw_app.py: FastAPI + an asyncpg pool, no
   SQLAlchemy), Tandem's referral read (receiver) and disclosure request, the bare endpoint again at the end.
   req/s, p50/p95/p99, the server's CPU ms per request (utime + stime of the server's processes from
   /proc/<pid>/stat, before and after the measured seconds) and each Tandem endpoint's throughput as a share of
   the bare endpoint (the mean of its two runs) and of the raw one. Measured once the Tandem server's
   background worker has opened the tasks for the bulk world's overdue referrals (`settled`).
2. Tandem with two workers against the same database: the referral read, right after the one-worker read
   measured again (back to back, so both see the same machine); the ratio.
3. An open loop at a constant rate of 70% of the peak measured in 1 (one worker; bench.driver.run_open_loop,
   latency from each request's scheduled time) for the read and the disclosure: p99.
4. Referral create by `--writers` concurrent writers (32) across 4 CPS agencies, each agency's own worker token,
   Tandem with two workers: the code of `--base` (exported with `git archive`, its own database migrated by its
   own code) and this checkout, one after the other; the ratio.
5. The embedded SQLite default under the 3:1:1 mix of bench/embedded_mix.py at 16 connections (this checkout;
   `--mix-base` also runs the base): p99 and statuses.
6. SQL statements per hot request, printed by tests/core/test_statement_counts.py (pytest -s) in the base tree
   and in this one, on SQLite and PostgreSQL.
7. Unless `--skip-scale`: bench/scale.py (10k then 1M rows, about 8 minutes at 1M) and its ratio per call.

A step that fails is reported as failed and the run goes on. The report ends with the bar: each target, what
was measured and whether it was met.
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import json
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import traceback
import uuid
from importlib import metadata
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench.driver import Req, driver_name, run_open_loop, run_phase
from bench.embedded_mix import _OTHER_TREE, run_variant
from bench.harness import (
    BIN,
    PG_BASE,
    ROOT,
    BenchDatabase,
    Server,
    bare_server,
    database_cpu_seconds,
    log,
    machine,
    tandem_server,
)
from bench.world import CATEGORIES, PASSWORD, _ok, bulk_referrals, login, seed_world

JSON = {"Content-Type": "application/json"}
DEFAULT_BASE = "da68ff5"  # main before any of the performance work (4cf3a98 already had items 3 and 5)
# Run the pytest of another tree (the base export): this checkout's editable install switched off, as in
# bench.embedded_mix.
_OTHER_PYTEST = ("import sys; sys.meta_path[:] = [f for f in sys.meta_path if '__editable__' not in "
                 "getattr(f, '__module__', '')]; sys.path.insert(0, {root!r}); import pytest; "
                 "sys.exit(pytest.main(sys.argv[1:]))")


# ---------------------------------------------------------------- measuring


async def settled(db: BenchDatabase, limit: float = 180) -> int:
    """Wait until the server's background worker has worked off the backlog the bulk world gives it (a task
    for every referral already overdue, opened in batches), so the measured seconds see the steady state a
    running service is in, not a one-off catch-up; returns how many tasks were opened meanwhile."""
    conn = await db.connect()
    try:
        start = last = await conn.fetchval("SELECT count(*) FROM tasks")
        still, deadline = 0, time.monotonic() + limit
        while still < 4 and time.monotonic() < deadline:  # unchanged across two worker poll intervals
            await asyncio.sleep(1)
            now = await conn.fetchval("SELECT count(*) FROM tasks")
            still = still + 1 if now == last else 0
            last = now
    finally:
        await conn.close()
    log(f"[1-3] background worker settled: {last - start} tasks opened for the world's overdue referrals")
    return int(last - start)


async def settle(server: Server) -> None:
    """Wait until the server has finished what a phase left in flight (wrk stops at its deadline with one
    request outstanding on each connection; the server still works each of them through)."""
    if not await asyncio.to_thread(server.wait_idle):
        log(f"{server.name} still busy after 30 s; measuring anyway")


async def closed(server: Server, reqs: list[Req], args: argparse.Namespace, *, connections: int | None = None,
                 name: str) -> dict[str, Any]:
    """A wrk phase after a warm-up, with the server's CPU time per request."""
    c = connections or args.connections
    await asyncio.to_thread(run_phase, server.url, reqs, seconds=args.warmup, connections=c)
    await settle(server)
    cpu0, db0 = server.cpu_seconds(), database_cpu_seconds()
    r = await asyncio.to_thread(run_phase, server.url, reqs, seconds=args.seconds, connections=c)
    cpu_window = server.cpu_seconds() - cpu0
    db1 = database_cpu_seconds()
    await settle(server)
    # The server's CPU from an idle start to an idle end paid for the requests wrk counted and for the one
    # left outstanding on each connection at its deadline.
    cpu = server.cpu_seconds() - cpu0
    answered = r["requests"] + c
    r.update(name=name, connections=c, cpu_s=cpu, cpu_ms_per_request=cpu * 1000 / answered
             if r["requests"] else 0.0, cpu_cores=cpu_window / r["seconds"] if r["seconds"] else 0.0)
    if db0 is not None and db1 is not None and r["requests"] and r["seconds"]:
        # The database's share of the same machine over the measured seconds (it runs on the same cores).
        r.update(db_cpu_ms_per_request=(db1 - db0) * 1000 / r["requests"], db_cores=(db1 - db0) / r["seconds"])
    log(f"{name}: {r['rps']:.1f} req/s, p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms, "
        f"{r['cpu_ms_per_request']:.2f} CPU ms/request, statuses {r['codes']}")
    return r


async def open_loop(server: Server, reqs: list[Req], rate: float, args: argparse.Namespace, *,
                    name: str) -> dict[str, Any]:
    await asyncio.to_thread(run_open_loop, server.url, reqs, rate=rate, seconds=args.warmup)
    await settle(server)
    cpu0 = server.cpu_seconds()
    r = await asyncio.to_thread(run_open_loop, server.url, reqs, rate=rate, seconds=args.seconds)
    await settle(server)  # the driver waited for every answer (or gave up on it after its timeout)
    cpu = server.cpu_seconds() - cpu0
    r.update(name=name, cpu_ms_per_request=cpu * 1000 / r["completed"] if r["completed"] else 0.0)
    log(f"{name}: offered {rate:.1f} req/s, achieved {r['achieved_rps']:.1f}, p50 {r['p50_ms']:.1f} ms, "
        f"p99 {r['p99_ms']:.1f} ms, max {r['max_ms']:.1f} ms, statuses {r['codes']}, errors {r['errors']}, "
        f"unfinished {r['unfinished']}, slow {_slow(r)}")
    return r


def export(revision: str) -> tuple[Path, str]:
    """The tree of `revision` in a temporary directory (git archive), and its short id."""
    into = Path(tempfile.mkdtemp(prefix="tandem-bench-base-"))
    archive = subprocess.run(["git", "archive", revision], cwd=ROOT, check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into, short(revision)


def short(rev: str) -> str:
    return subprocess.run(["git", "rev-parse", "--short", rev], cwd=ROOT, check=True, capture_output=True,
                          text=True).stdout.strip()


# ---------------------------------------------------------------- 1-3: one world on PostgreSQL


async def substep(name: str, run: Any, out: dict[str, Any]) -> None:
    """Run one step; a failure is recorded in the report and the run goes on."""
    try:
        await run()
    except Exception as e:
        traceback.print_exc()
        out["errors"][name] = f"{type(e).__name__}: {e}"


async def step_pg(args: argparse.Namespace, out: dict[str, Any]) -> None:
    db = BenchDatabase("bar")
    servers: list[Server] = []
    try:
        log(f"[1-3] database {db.name}: create and migrate")
        await db.create()
        db.migrate()
        db.use_here()
        one = tandem_server(db, name="tandem-1w").start()
        servers.append(one)
        log(f"[1-3] tandem serve (1 worker) on {one.url}; seeding through the API")
        w = await seed_world(db, one.url, cases=args.cases, referrals=args.api_referrals)
        conn = await db.connect()
        try:
            total = await bulk_referrals(conn, w, args.referrals)
            await conn.execute("ANALYZE")
            rows = await conn.fetch(
                "SELECT id FROM referrals WHERE to_agency_id = $1 AND sent_at IS NOT NULL", w.agencies["dv"])
        finally:
            await conn.close()
        out["world"] = {"referrals": total, "incoming_to_bench_dv": len(rows), "cases": len(w.cases),
                        "tasks_opened_before_measuring": await settled(db)}
        read_ids = [str(r["id"]) for r in random.Random(1).sample(rows, min(200, len(rows)))]
        bare = bare_server(db).start()
        servers.append(bare)
        raw = bare_server(db, "bench.raw_app").start()
        servers.append(raw)
        advocate = w.users["dv.dv_advocate"]
        plain = [Req("GET", f"/referrals/{rid}") for rid in read_ids]
        read = [Req("GET", f"/api/v1/referrals/{rid}", advocate.h) for rid in read_ids]
        disclose = [Req("POST", "/api/v1/disclosures", {**advocate.h, **JSON}, json.dumps(
            {"person_id": pid, "purpose": "service_coordination", "categories": CATEGORIES}))
            for pid in w.survivors]
        one_worker = out["one_worker"] = []
        for key, name, server, reqs in [
            ("bare_start", "bare endpoint (start)", bare, plain),
            ("raw", "raw FastAPI + asyncpg", raw, plain),
            ("read", "Tandem referral read (receiver)", one, read),
            ("disclosure", "Tandem disclosure request", one, disclose),
            ("bare_end", "bare endpoint (end)", bare, plain),
        ]:
            r = await closed(server, reqs, args, name=name)
            r["key"] = key
            one_worker.append(r)
        for s in (bare, raw):
            s.stop()
        by = {r["key"]: r for r in one_worker}

        async def two_workers() -> None:
            log("[2] tandem serve with 2 workers on the same database; the 1-worker read again, just before it")
            two = tandem_server(db, workers=2, name="tandem-2w")
            servers.append(two)
            two.start()
            out["one_worker_again"] = await closed(one, read, args, name="Tandem referral read (receiver), 1 worker")
            out["two_workers"] = await closed(two, read, args, name="Tandem referral read (receiver), 2 workers")
            two.stop()

        async def open_loops() -> None:
            out["open_loop"] = []
            for key, reqs in (("read", read), ("disclosure", disclose)):
                peak = by[key]["rps"]
                r = await open_loop(one, reqs, peak * args.open_share, args, name=f"{by[key]['name']}, open loop")
                r.update(key=key, peak_rps=peak)
                out["open_loop"].append(r)

        await substep("2 (two workers)", two_workers, out)
        await substep("3 (open loop)", open_loops, out)
    finally:
        for s in servers:
            s.stop()
        await db.drop()


# ---------------------------------------------------------------- 4: referral create, base vs this checkout


async def seed_writers(db: BenchDatabase, base_url: str, tandem: list[str], cwd: Path, *, agencies: int,
                       cases: int) -> list[Req]:
    """`agencies` CPS agencies, each with its own worker and `cases` cases with a survivor, and one DV agency:
    the create requests, interleaved across the agencies."""
    await asyncio.to_thread(subprocess.run, [*tandem, "create-admin", "--email", "admin@bench.example",
                                             "--password", PASSWORD], env=db.env, cwd=cwd, check=True,
                            stdout=subprocess.DEVNULL)
    per_agency: list[list[Req]] = []
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as c:
        admin = {"Authorization": f"Bearer {await login(c, 'admin@bench.example')}"}

        async def agency(kind: str, key: str) -> str:
            a = await _ok(await c.post("/api/v1/agencies", headers=admin, json={
                "name": f"Bench {key} {uuid.uuid4().hex[:6]}", "kind": kind, "jurisdiction": "Bench County"}))
            return str(a["id"])

        dv = await agency("dv", "DV")
        for k in range(agencies):
            cps = await agency("cps", f"CPS {k}")
            email = f"writer{k}@bench.example"
            await _ok(await c.post("/api/v1/users", headers=admin, json={
                "email": email, "full_name": f"Bench writer {k}", "agency_id": cps, "roles": ["cps_worker"],
                "password": PASSWORD}))
            h = {"Authorization": f"Bearer {await login(c, email)}", **JSON}
            reqs = []
            for i in range(cases):
                case = await _ok(await c.post("/api/v1/cases", headers=h, json={
                    "reference": f"W-{k}-{i:04d}", "dv_indicators": ["survivor_disclosure"]}))
                person = await _ok(await c.post(f"/api/v1/cases/{case['id']}/people", headers=h, json={
                    "case_role": "adult_survivor", "full_name": f"Writer {k} survivor {i}",
                    "date_of_birth": "1990-04-02"}))
                reqs.append(Req("POST", "/api/v1/referrals", h, json.dumps({
                    "case_id": case["id"], "to_agency_id": dv, "person_ids": [person["id"]],
                    "reason": "Survivor asks for shelter and advocacy after a recent incident.",
                    "urgency": ("routine", "urgent", "emergency")[i % 3],
                    "family_goals": "Stay together and keep the children in their school."})))
            per_agency.append(reqs)
    return [reqs[i] for i in range(cases) for reqs in per_agency]


async def create_variant(label: str, tandem: list[str], cwd: Path, args: argparse.Namespace) -> dict[str, Any]:
    db = BenchDatabase("bar_create")
    server = None
    try:
        await db.create()
        await asyncio.to_thread(subprocess.run, [*tandem, "migrate"], env=db.env, cwd=cwd, check=True,
                                stdout=subprocess.DEVNULL)
        server = tandem_server(db, workers=2, tandem=tandem, cwd=cwd, name="tandem-create").start()
        log(f"[4] {label}: tandem serve (2 workers) on {server.url}; seeding {args.agencies} CPS agencies")
        reqs = await seed_writers(db, server.url, tandem, cwd, agencies=args.agencies, cases=args.writer_cases)
        r = await closed(server, reqs, args, connections=args.writers, name=f"referral create, {label}")
        return r
    finally:
        if server is not None:
            server.stop()
        await db.drop()


async def step_create(args: argparse.Namespace, out: dict[str, Any], base: Path, base_rev: str) -> None:
    before = [sys.executable, "-c", _OTHER_TREE.format(root=str(base))]
    out["create"] = [await create_variant(f"base {base_rev}", before, base, args),
                     await create_variant(f"this checkout {short('HEAD')}", [str(BIN / "tandem")], ROOT, args)]


# ---------------------------------------------------------------- 5: the SQLite mix


async def step_mix(args: argparse.Namespace, out: dict[str, Any], base: Path, base_rev: str) -> None:
    mix_args = argparse.Namespace(seconds=args.seconds, warmup=args.warmup, connections=args.mix_connections,
                                  cases=20, referrals=60)
    variants = [(f"this checkout {short('HEAD')}", "this", [str(BIN / "tandem")])]
    if args.mix_base:
        variants.insert(0, (f"base {base_rev}", "base", [sys.executable, "-c", _OTHER_TREE.format(root=str(base))]))
    out["mix"] = []
    for label, tag, tandem in variants:
        log(f"[5] SQLite 3:1:1 mix, {label}")
        r = await run_variant(tag, tandem, mix_args)  # the tag names its temporary directory
        r["name"] = label
        out["mix"].append(r)


# ---------------------------------------------------------------- 6: statement counts


def statement_counts(label: str, cmd: list[str], cwd: Path, kind: str) -> dict[str, Any]:
    env = {**os.environ, "TANDEM_TEST_DB": kind}
    p = subprocess.run([*cmd, "-p", "no:xdist", "-p", "no:cacheprovider", "-s", "-q", "-p", "no:warnings",
                        "tests/core/test_statement_counts.py"], cwd=cwd, env=env, capture_output=True, text=True)
    m = re.search(r"statements per request: (\{.*?\})", p.stdout)
    counts = ast.literal_eval(m.group(1)) if m else None
    log(f"[6] {label} on {kind}: {counts} (pytest exit {p.returncode})")
    return {"tree": label, "db": kind, "counts": counts, "pytest_exit": p.returncode,
            "tail": None if m else (p.stdout + p.stderr)[-1500:]}


async def step_counts(args: argparse.Namespace, out: dict[str, Any], base: Path, base_rev: str) -> None:
    trees = [(f"base {base_rev}", [sys.executable, "-c", _OTHER_PYTEST.format(root=str(base))], base),
             (f"this checkout {short('HEAD')}", [sys.executable, "-m", "pytest"], ROOT)]
    out["counts"] = [await asyncio.to_thread(statement_counts, label, cmd, cwd, kind)
                     for label, cmd, cwd in trees for kind in ("sqlite", "postgresql")]


# ---------------------------------------------------------------- 7: scale


async def step_scale(args: argparse.Namespace, out: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory(prefix="tandem-bench-bar-") as d:
        path = Path(d) / "scale.json"
        log(f"[7] bench.scale --sizes {args.scale_sizes} (its own database)")
        await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "bench.scale", "--sizes", args.scale_sizes,
                                                 "--json", str(path)], cwd=ROOT, check=True)
        out["scale"] = json.loads(path.read_text())


# ---------------------------------------------------------------- report


def versions() -> dict[str, str]:
    v = {"python": sys.version.split()[0], "sqlite": sqlite3.sqlite_version}
    for pkg in ("fastapi", "starlette", "pydantic", "sqlalchemy", "asyncpg", "uvicorn", "uvloop", "httptools"):
        try:
            v[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            v[pkg] = "not installed"
    if shutil.which("wrk"):
        first = subprocess.run(["wrk", "-v"], capture_output=True, text=True)
        v["wrk"] = (first.stdout or first.stderr).split(" [")[0].strip()
    return v


def _slow(r: dict[str, Any]) -> str:
    if not r.get("slow_count"):
        return "0"
    return f"{r['slow_count']} ({r['slow_first_due_s']}–{r['slow_last_due_s']})"


def _codes(r: dict[str, Any]) -> str:
    return " ".join(f"{k}×{v}" for k, v in r.get("codes", {}).items())


def _db(r: dict[str, Any], key: str) -> str:
    """A database CPU figure of a phase, or a dash when PostgreSQL is not on this machine."""
    return f"{r[key]:.2f}" if key in r else "—"


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{x:.1%}"


def _met(ok: bool | None) -> str:
    return "—" if ok is None else ("met" if ok else "**not met**")


def _bad_statuses(r: dict[str, Any]) -> bool:
    """Errors, non-2xx statuses, or nothing answered at all."""
    return bool(r.get("socket_errors") or r.get("errors") or r.get("unfinished")) or not r.get("codes") or any(
        not 200 <= int(k) < 300 for k in r["codes"])


def report(info: dict[str, Any], args: argparse.Namespace, out: dict[str, Any]) -> str:
    L: list[str] = []
    v = info["versions"]
    L += ["# Tandem: the bar of issue 16, one run", "",
          f"- machine: {info['nproc']} cores ({info['cpu']}), {info['memory']}",
          f"- date: {info['date']} to {info['end']}; load average at start {info['load']}, at end {info['load_end']}",
          f"- code: this checkout {info['head']}, base `{args.base}` ({info['base']})",
          f"- versions: Python {v['python']}, PostgreSQL {out.get('pg', '?')}, SQLite {v['sqlite']}, FastAPI "
          f"{v['fastapi']}, Starlette {v['starlette']}, pydantic {v['pydantic']}, SQLAlchemy {v['sqlalchemy']}, "
          f"asyncpg {v['asyncpg']}, uvicorn {v['uvicorn']} (uvloop {v['uvloop']}, httptools {v['httptools']}), "
          f"load driver {v.get('wrk', driver_name())}",
          f"- settings: {args.seconds:g} s measured after {args.warmup:g} s warm-up per phase; closed loop "
          f"{args.connections} connections (wrk, 1 thread); servers are uvicorn processes; CPU per request: the "
          f"server processes' utime + stime from idle before the measured seconds to idle after them, over the "
          f"requests answered (closed loop: plus the one left outstanding on each connection)"]
    if "world" in out:
        wd = out["world"]
        L.append(f"- world (PostgreSQL): {wd['referrals']} referrals, {wd['incoming_to_bench_dv']} in the DV "
                 f"agency's incoming box, {wd['cases']} cases with a survivor and her consent")
    for step, err in out.get("errors", {}).items():
        L.append(f"- **step {step} failed**: {' '.join(err.split())}")
    bar: list[tuple[str, str, str, bool | None]] = []

    by = {r["key"]: r for r in out.get("one_worker", [])}
    if by:
        bare_rps = (by["bare_start"]["rps"] + by["bare_end"]["rps"]) / 2 if "bare_end" in by else \
            by["bare_start"]["rps"]
        raw_rps = by["raw"]["rps"] if "raw" in by else None
        L += ["", f"## 1. One worker each (PostgreSQL, closed loop, {args.connections} connections)", "",
              f"Ratios are throughput against the bare endpoint (mean of its two runs, {bare_rps:.1f} req/s) and "
              "against the raw FastAPI + asyncpg endpoint.", "",
              "| endpoint | requests | req/s | p50 ms | p95 ms | p99 ms | CPU ms/req | PostgreSQL CPU ms/req | "
              "statuses | vs bare | vs raw |",
              "|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|"]
        for r in out["one_worker"]:
            tandem = r["key"] in ("read", "disclosure")
            L.append(f"| {r['name']} | {r['requests']} | {r['rps']:.1f} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | "
                     f"{r['p99_ms']:.1f} | {r['cpu_ms_per_request']:.2f} | {_db(r, 'db_cpu_ms_per_request')} | "
                     f"{_codes(r)} | "
                     f"{_pct(r['rps'] / bare_rps) if tandem else '—'} | "
                     f"{_pct(r['rps'] / raw_rps) if tandem and raw_rps else '—'} |")
        for key, share in (("read", 0.40), ("disclosure", 0.30)):
            if key in by:
                x = by[key]["rps"] / bare_rps
                bar.append((f"{by[key]['name']} vs bare (1 worker each)", _pct(x), f"≥ {share:.0%}",
                            x >= share and not _bad_statuses(by[key])))
        for key in ("read", "disclosure"):
            if key in by and raw_rps:
                x = by[key]["rps"] / raw_rps
                bar.append((f"{by[key]['name']} vs raw FastAPI + asyncpg", _pct(x), "≥ 10%",
                            x >= 0.10 and not _bad_statuses(by[key])))
    if "two_workers" in out and "one_worker_again" in out:
        r2, r1 = out["two_workers"], out["one_worker_again"]
        ratio = r2["rps"] / r1["rps"]
        L += ["", f"## 2. Two workers against one (referral read, PostgreSQL, {args.connections} connections, "
              "back to back)", "",
              "The machine's cores are shared by the server, PostgreSQL and wrk: the two right-hand CPU columns "
              "show how much of the two the server and the database used over the measured seconds.", "",
              "| workers | req/s | p50 ms | p99 ms | CPU ms/req | PostgreSQL CPU ms/req | server CPU (cores) | "
              "PostgreSQL CPU (cores) | statuses |",
              "|---|---:|---:|---:|---:|---:|---:|---:|---|"]
        for n, r in (("1", r1), ("2", r2)):
            L.append(f"| {n} | {r['rps']:.1f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | "
                     f"{r['cpu_ms_per_request']:.2f} | {_db(r, 'db_cpu_ms_per_request')} | {r['cpu_cores']:.2f} | "
                     f"{_db(r, 'db_cores')} | {_codes(r)} |")
        L += ["", f"2 workers / 1 worker: **{ratio:.2f}×**"]
        bar.append(("referral read, 2 workers / 1 worker", f"{ratio:.2f}×", "≥ 1.7×",
                    ratio >= 1.7 and not _bad_statuses(r2)))
    if out.get("open_loop"):
        L += ["", f"## 3. Open loop at {args.open_share:.0%} of peak (1 worker, PostgreSQL)", "",
              "Constant rate, latency from each request's scheduled time (coordinated omission counted); peak is "
              "step 1's closed-loop req/s. Driver lag: how late the generator itself sent its latest request (it "
              "should stay at a few ms; if not, the driver, not the server, was short of CPU). Slow: the requests over "
              "100 ms and the seconds of the run in which they were due (one short stretch is a stall; spread over "
              "the run, a server short of capacity).", "",
              "| endpoint | peak req/s | offered req/s | achieved req/s | p50 ms | p95 ms | p99 ms | max ms | "
              "CPU ms/req | statuses | errors / unfinished | connections | driver lag ms | slow (due at s) |",
              "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---:|---:|---|"]
        for r in out["open_loop"]:
            L.append(f"| {r['name']} | {r['peak_rps']:.1f} | {r['rate']:.1f} | {r['achieved_rps']:.1f} | "
                     f"{r['p50_ms']:.1f} | {r['p95_ms']:.1f} | {r['p99_ms']:.1f} | {r['max_ms']:.1f} | "
                     f"{r['cpu_ms_per_request']:.2f} | {_codes(r)} | {r['errors']} / {r['unfinished']} | "
                     f"{r['connections_opened']} | {r['generator_max_lag_ms']:.1f} | {_slow(r)} |")
            bar.append((f"{r['name'].split(',')[0]}: p99 at {args.open_share:.0%} of peak", f"{r['p99_ms']:.1f} ms",
                        "< 100 ms", r["p99_ms"] < 100 and not _bad_statuses(r)))
    if out.get("create"):
        L += ["", f"## 4. Referral create: {args.writers} writers across {args.agencies} CPS agencies, 2 workers "
              "(PostgreSQL)", "",
              "| variant | requests | req/s | p50 ms | p95 ms | p99 ms | CPU ms/req | statuses |",
              "|---|---:|---:|---:|---:|---:|---:|---|"]
        for r in out["create"]:
            L.append(f"| {r['name']} | {r['requests']} | {r['rps']:.1f} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | "
                     f"{r['p99_ms']:.1f} | {r['cpu_ms_per_request']:.2f} | {_codes(r)} |")
        if len(out["create"]) == 2 and out["create"][0]["rps"]:
            ratio = out["create"][1]["rps"] / out["create"][0]["rps"]
            L += ["", f"this checkout / base: **{ratio:.2f}×**"]
            bar.append(("referral create, 32 writers, 2 workers: this / base", f"{ratio:.2f}×", "≥ 2×",
                        ratio >= 2 and not _bad_statuses(out["create"][1])))
    if out.get("mix"):
        L += ["", f"## 5. Embedded SQLite: 3 reads : 1 incoming list : 1 create, {args.mix_connections} connections, "
              "1 worker", "",
              "| variant | requests | req/s | p50 ms | p95 ms | p99 ms | statuses |", "|---|---:|---:|---:|---:|---:|---|"]
        for r in out["mix"]:
            L.append(f"| {r['name']} | {r['requests']} | {r['rps']:.1f} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | "
                     f"{r['p99_ms']:.1f} | {_codes(r)} |")
        r = out["mix"][-1]
        bar.append(("SQLite 3:1:1 mix at 16 connections: p99, no 503", f"{r['p99_ms']:.1f} ms, {_codes(r)}",
                    "< 500 ms, all 2xx", r["p99_ms"] < 500 and not _bad_statuses(r)))
    if out.get("counts"):
        cols = [c for c in out["counts"]]
        names: list[str] = []
        for c in cols:
            names += [n for n in (c["counts"] or {}) if n not in names]
        targets = {"referral read (receiver)": 6, "disclosure": 8}
        L += ["", "## 6. SQL statements per request (tests/core/test_statement_counts.py)", "",
              "| request | " + " | ".join(f"{c['tree']}, {c['db']}" for c in cols) + " | target |",
              "|---|" + "---:|" * len(cols) + "---:|"]
        for n in names:
            cells = " | ".join(str((c["counts"] or {}).get(n, "—")) for c in cols)
            L.append(f"| {n} | {cells} | {'≤ ' + str(targets[n]) if n in targets else '—'} |")
        for c in cols:
            if c["counts"] is None:
                L.append(f"\n{c['tree']} on {c['db']}: no counts printed (pytest exit {c['pytest_exit']}):\n\n```\n"
                         f"{c['tail']}\n```")
        here = [c for c in cols if c["tree"].startswith("this") and c["counts"]]
        for n, t in targets.items():
            seen = [c["counts"][n] for c in here if n in c["counts"]]
            if seen:
                bar.append((f"statements, {n} (SQLite / PostgreSQL)", " / ".join(map(str, seen)), f"≤ {t}",
                            max(seen) <= t))
    if out.get("scale"):
        s = out["scale"]
        sizes = sorted(int(k) for k in s["results"])
        small, large = str(sizes[0]), str(sizes[-1])
        L += ["", f"## 7. Scale ({sizes[0]:,} to {sizes[-1]:,} referrals and audit events; median of "
              f"{s['args']['calls']} sequential calls)", "",
              f"| call | {sizes[0]:,} rows ms | {sizes[-1]:,} rows ms | ratio | target |", "|---|---:|---:|---:|---|"]
        worst = 0.0
        for key, r in s["results"][small].items():
            ratio = s["results"][large][key]["median_ms"] / r["median_ms"]
            is_list = not key.startswith("disclosure")  # every row but the disclosure is a list
            worst = max(worst, ratio) if is_list else worst
            L.append(f"| {key} | {r['median_ms']:.1f} | {s['results'][large][key]['median_ms']:.1f} | {ratio:.2f} | "
                     f"{'≤ 1.3' if is_list else '—'} |")
        v = s.get("verify") or {}
        if v:
            L += ["", f"audit verify at {v['length']:,} events: {v['seconds']:.1f} s, ok={v['body'].get('ok')}"]
        bar.append((f"scale {sizes[-1]:,}/{sizes[0]:,}, worst list", f"{worst:.2f}", "≤ 1.3", worst <= 1.3))
    elif args.skip_scale:
        L += ["", "## 7. Scale: skipped (--skip-scale)"]
    expected = [("vs bare", "referral read and disclosure vs bare", "read ≥ 40%, disclosure ≥ 30%"),
                ("vs raw", "referral read and disclosure vs raw", "≥ 10%"),
                ("2 workers / 1 worker", "referral read, 2 workers / 1 worker", "≥ 1.7×"),
                ("of peak", f"p99 at {args.open_share:.0%} of peak", "< 100 ms"),
                ("referral create", "referral create, 32 writers, 2 workers: this / base", "≥ 2×"),
                ("SQLite", "SQLite 3:1:1 mix at 16 connections", "p99 < 500 ms, all 2xx"),
                ("statements", "statements per request", "read ≤ 6, disclosure ≤ 8")]
    if not args.skip_scale:
        expected.append(("scale", "scale, every list", "≤ 1.3"))
    for words, label, target in expected:
        if not any(words in row[0] for row in bar):
            bar.append((label, "not measured (see above)", target, None))
    L += ["", "## The bar", "", "| target | measured | bar | |", "|---|---:|---|---|"]
    L += [f"| {a} | {b} | {c} | {_met(d)} |" for a, b, c, d in bar]
    out["bar"] = [{"target": a, "measured": b, "bar": c, "met": d} for a, b, c, d in bar]
    return "\n".join(L)


def describe(rev: str) -> str:
    return subprocess.run(["git", "log", "-1", "--format=%h %s", rev], cwd=ROOT, capture_output=True, text=True,
                          check=True).stdout.strip()[:100]


async def main(args: argparse.Namespace, info: dict[str, Any], base: Path, base_rev: str) -> int:
    started = time.monotonic()
    out: dict[str, Any] = {"errors": {}}
    log(f"bench.bar: this checkout {info['head']}; base {info['base']}; load average {info['load']}")
    try:
        conn = await asyncpg.connect(f"{PG_BASE}/postgres")
        try:
            out["pg"] = str(await conn.fetchval("SHOW server_version"))
        finally:
            await conn.close()
    except (OSError, asyncpg.PostgresError) as e:
        out["pg"] = f"unreachable ({e})"
    steps: list[tuple[str, Any]] = [
        ("1 (PostgreSQL: references and Tandem, one worker; then 2 and 3)", lambda: step_pg(args, out)),
        ("4 (referral create, base vs this)", lambda: step_create(args, out, base, base_rev)),
        ("5 (SQLite mix)", lambda: step_mix(args, out, base, base_rev)),
        ("6 (statement counts)", lambda: step_counts(args, out, base, base_rev)),
    ]
    if not args.skip_scale:
        steps.append(("7 (scale)", lambda: step_scale(args, out)))
    for name, run in steps:
        if args.only and not any(name.startswith(o) for o in args.only.split(",")):
            continue
        t = time.monotonic()
        await substep(name, run, out)
        log(f"step {name}: {time.monotonic() - t:.0f} s; load average {machine()['load']}")
    end = machine()
    info.update(load_end=end["load"], end=end["date"], minutes=round((time.monotonic() - started) / 60, 1))
    text = report(info, args, out)
    print()
    print(text)
    print()
    print(f"(run took {info['minutes']} min)")
    if args.json:
        await asyncio.to_thread(Path(args.json).write_text, json.dumps(
            {"info": info, "args": vars(args), "results": out}, indent=2, default=str))
    return 1 if out["errors"] else 0


def cli() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=float, default=15, help="measured seconds per phase (default 15)")
    p.add_argument("--warmup", type=float, default=3, help="warm-up seconds per phase (default 3)")
    p.add_argument("--connections", type=int, default=8, help="closed-loop connections in steps 1-2 (default 8)")
    p.add_argument("--open-share", type=float, default=0.7, help="open-loop rate as a share of peak (default 0.7)")
    p.add_argument("--base", default=DEFAULT_BASE,
                   help=f"git revision measured as the base in steps 4-6 (default {DEFAULT_BASE}, main before the "
                        "performance work)")
    p.add_argument("--writers", type=int, default=32, help="concurrent writers in step 4 (default 32)")
    p.add_argument("--agencies", type=int, default=4, help="CPS agencies writing in step 4 (default 4)")
    p.add_argument("--writer-cases", type=int, default=5, help="cases per writing agency in step 4 (default 5)")
    p.add_argument("--mix-connections", type=int, default=16, help="connections of the SQLite mix (default 16)")
    p.add_argument("--mix-base", action="store_true", help="also run the SQLite mix on the base revision")
    p.add_argument("--cases", type=int, default=40, help="cases with survivor and consent (steps 1-3)")
    p.add_argument("--api-referrals", type=int, default=120, help="referrals created and sent via the API")
    p.add_argument("--referrals", type=int, default=3000, help="referrals in total in steps 1-3 (rest in bulk)")
    p.add_argument("--skip-scale", action="store_true", help="do not run the scale benchmark (step 7)")
    p.add_argument("--scale-sizes", default="10000,1000000", help="sizes passed to bench.scale")
    p.add_argument("--only", help="run only these steps, e.g. '1,6' (step 1 also runs 2 and 3)")
    p.add_argument("--json", help="also write the results to this JSON file")
    args = p.parse_args()
    info = machine()
    info.update(versions=versions(), head=describe("HEAD"), base=describe(args.base))
    base, base_rev = export(args.base)
    try:
        return asyncio.run(main(args, info, base, base_rev))
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(cli())
