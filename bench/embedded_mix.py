"""The embedded default (SQLite) under a mixed load, before and after, side by side in one run.

    .venv/bin/python -m bench.embedded_mix --seconds 20 [--connections 16] [--base main] [--json out.json]

For each variant, "before" (the code of git revision `--base`, exported with `git archive` into a temporary
directory and run with this virtualenv, its editable install of this checkout switched off) and "after" (this
checkout): a fresh SQLite database, `tandem migrate`, `tandem serve` (one uvicorn worker, loopback only), a
world seeded through the API, then the 3:1:1 mix of referral reads (receiver), incoming-list pages and
referral creates at `--connections` connections for `--seconds` after a warm-up. Prints req/s, p50/p95/p99
and the statuses of each ("database is locked" would show as 503s).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.driver import Req, driver_name, run_phase
from bench.harness import BIN, ROOT, BenchDatabase, Server, free_port, log, machine
from bench.world import referral_body, seed_world

JSON = {"Content-Type": "application/json"}
# Runs the CLI of the exported tree: the editable finder of this checkout's install would import it instead.
_OTHER_TREE = ("import sys; sys.meta_path[:] = [f for f in sys.meta_path if '__editable__' not in "
               "getattr(f, '__module__', '')]; sys.path.insert(0, {root!r}); from app.cli import main; "
               "sys.exit(main())")


class SqliteDatabase(BenchDatabase):
    """A throwaway SQLite file (the same environment as BenchDatabase otherwise)."""

    def __init__(self, prefix: str) -> None:
        super().__init__(prefix)
        self.env["DATABASE_URL"] = f"sqlite+aiosqlite:///{self.tmp}/tandem.db"

    async def create(self) -> None:
        return None

    async def drop(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)


def mix(w: Any, read_ids: list[str]) -> list[Req]:
    advocate = w.users["dv.dv_advocate"]
    worker = w.users["cps.cps_worker"]
    reqs: list[Req] = []
    for k in range(len(read_ids) // 3):
        reqs += [Req("GET", f"/api/v1/referrals/{rid}", advocate.h) for rid in read_ids[3 * k: 3 * k + 3]]
        reqs.append(Req("GET", "/api/v1/referrals?box=incoming", advocate.h))
        reqs.append(Req("POST", "/api/v1/referrals", {**worker.h, **JSON},
                        json.dumps(referral_body(w, k % len(w.cases)))))
    return reqs


async def run_variant(name: str, tandem: list[str], args: argparse.Namespace) -> dict[str, Any]:
    db = SqliteDatabase(f"mix-{name}")
    server = None
    try:
        await asyncio.to_thread(subprocess.run, [*tandem, "migrate"], env=db.env, cwd=ROOT, check=True,
                                stdout=subprocess.DEVNULL)
        port = free_port()
        server = Server(f"tandem-{name}", [*tandem, "serve", "--host", "127.0.0.1", "--port", str(port),
                                           "--workers", "1"], db.env, port, "/readyz", db.tmp / "tandem.log")
        server.start()
        log(f"{name}: tandem serve on {server.url}; seeding through the API")
        w = await seed_world(db, server.url, cases=args.cases, referrals=args.referrals, tandem=tandem)
        read_ids = random.Random(1).sample(w.referrals, len(w.referrals))
        reqs = mix(w, read_ids)
        await asyncio.to_thread(run_phase, server.url, reqs, seconds=args.warmup, connections=args.connections)
        r = await asyncio.to_thread(run_phase, server.url, reqs, seconds=args.seconds, connections=args.connections)
        r["name"] = name
        log(f"{name}: {r['rps']:.1f} req/s, p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms, {r['codes']}")
        return r
    finally:
        if server is not None:
            server.stop()
        await db.drop()


def _export(revision: str, into: Path) -> tuple[str, str]:
    """The tree of `revision` into `into`; the short ids of it and of HEAD."""
    archive = subprocess.run(["git", "archive", revision], cwd=ROOT, check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)

    def short(rev: str) -> str:
        return subprocess.run(["git", "rev-parse", "--short", rev], cwd=ROOT, check=True, capture_output=True,
                              text=True).stdout.strip()

    return short(revision), short("HEAD")


async def main(args: argparse.Namespace) -> int:
    info = machine()
    base = Path(tempfile.mkdtemp(prefix="tandem-bench-base-"))
    try:
        rev, here = await asyncio.to_thread(_export, args.base, base)
        before = [sys.executable, "-c", _OTHER_TREE.format(root=str(base))]
        results = [await run_variant(f"before ({args.base} {rev})", before, args),
                   await run_variant(f"after (HEAD {here})", [str(BIN / "tandem")], args)]
    finally:
        shutil.rmtree(base, ignore_errors=True)
    info["load_end"] = machine()["load"]
    print()
    print(f"machine: {info['nproc']} cores ({info['cpu']}), {info['memory']}, SQLite (embedded default), "
          f"Python {info['python']}; {info['date']}; load average at start {info['load']}, at end "
          f"{info['load_end']}")
    print(f"driver: {driver_name()}, {args.connections} connections, {args.seconds} s after {args.warmup} s "
          f"warm-up; mix 3 referral reads (receiver) : 1 incoming list : 1 referral create; uvicorn, 1 worker")
    print()
    print("| variant | requests | req/s | p50 ms | p95 ms | p99 ms | statuses |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for r in results:
        codes = " ".join(f"{k}×{v}" for k, v in r["codes"].items())
        print(f"| {r['name']} | {r['requests']} | {r['rps']:.1f} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} "
              f"| {r['p99_ms']:.1f} | {codes} |")
    if args.json:
        await asyncio.to_thread(Path(args.json).write_text, json.dumps({"info": info, "args": vars(args), "results": results}, indent=2))
    return 0


def cli() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=float, default=20, help="measured seconds per variant (default 20)")
    p.add_argument("--warmup", type=float, default=3, help="warm-up seconds per variant (default 3)")
    p.add_argument("--connections", type=int, default=16, help="concurrent connections (default 16)")
    p.add_argument("--cases", type=int, default=20, help="cases (with survivor, child, consent) via the API")
    p.add_argument("--referrals", type=int, default=60, help="referrals created and sent via the API")
    p.add_argument("--base", default="main", help="the git revision measured as 'before' (default main)")
    p.add_argument("--json", help="also write the results to this JSON file")
    return asyncio.run(main(p.parse_args()))


if __name__ == "__main__":
    raise SystemExit(cli())
