"""Where a hot endpoint's CPU goes under load: Tandem served by one uvicorn worker, wrk driving the endpoint,
py-spy sampling the server process.

    .venv/bin/python -m bench.profile [--endpoint read|disclosure|list|me|create] [--seconds 20] [--out stacks.txt]

The world is bench.bar's (a seeded PostgreSQL database created and dropped by the run). py-spy (`pip install -e
".[bench]"`) writes collapsed stacks (one line per stack, frames separated by ';', then the sample count) to
`--out`; the run prints the share of samples under the frames that matter most (SQLAlchemy, asyncpg, FastAPI,
pydantic, Tandem's own code) and the heaviest Tandem functions, counted inclusively.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import subprocess
from collections import Counter
from pathlib import Path

from bench.driver import Req, run_phase
from bench.harness import BIN, BenchDatabase, log, tandem_server
from bench.world import CATEGORIES, bulk_referrals, referral_body, seed_world

GROUPS = {
    "sqlalchemy": "(sqlalchemy/",
    "asyncpg": "(asyncpg/",
    "fastapi": "(fastapi/",
    "starlette": "(starlette/",
    "pydantic": "(pydantic",
    "uvicorn": "(uvicorn/",
    "jose": "(jose/",
    "Tandem (app/)": "(app/",
}


def summarise(stacks: Path, top: int) -> str:
    """Inclusive shares: a sample counts once for every group (and every app function) on its stack."""
    total = 0
    groups: Counter[str] = Counter()
    own: Counter[str] = Counter()
    for line in stacks.read_text().splitlines():
        frames, _, n = line.rpartition(" ")
        if not n.isdigit():
            continue
        count = int(n)
        total += count
        seen_groups = {g for g, needle in GROUPS.items() if needle in frames}
        for g in seen_groups:
            groups[g] += count
        seen_fns = {f.split(":")[0] + ")" for f in frames.split(";") if " (app/" in f}
        for f in seen_fns:
            own[f] += count
    if not total:
        return "no samples"
    lines = [f"{total} samples", "", "inclusive share by library:"]
    lines += [f"  {g:<22} {c / total:6.1%}" for g, c in groups.most_common()]
    lines += ["", f"heaviest Tandem functions (inclusive, top {top}):"]
    lines += [f"  {c / total:6.1%}  {f}" for f, c in own.most_common(top)]
    return "\n".join(lines)


def start_spy(spy: str, pid: int, seconds: float, out: Path) -> subprocess.Popen[bytes]:
    """py-spy sampling `pid` for `seconds` at 250 Hz (without pausing it), collapsed stacks to `out`."""
    return subprocess.Popen([spy, "record", "--pid", str(pid), "--format", "raw", "--rate", "250", "--duration",
                             str(int(seconds)), "--nonblocking", "--output", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


async def main(args: argparse.Namespace) -> None:
    spy = shutil.which("py-spy") or str(BIN / "py-spy")
    db = BenchDatabase("profile")
    server = None
    try:
        await db.create()
        db.migrate()
        db.use_here()
        server = tandem_server(db, name="tandem-profile").start()
        w = await seed_world(db, server.url, cases=args.cases, referrals=args.api_referrals)
        conn = await db.connect()
        try:
            await bulk_referrals(conn, w, args.referrals)
            await conn.execute("ANALYZE")
            rows = await conn.fetch(
                "SELECT id FROM referrals WHERE to_agency_id = $1 AND sent_at IS NOT NULL", w.agencies["dv"])
        finally:
            await conn.close()
        advocate = w.users["dv.dv_advocate"]
        ids = [str(r["id"]) for r in random.Random(1).sample(rows, min(200, len(rows)))]
        reqs = {
            "read": [Req("GET", f"/api/v1/referrals/{rid}", advocate.h) for rid in ids],
            "list": [Req("GET", "/api/v1/referrals?box=incoming", advocate.h)],
            "me": [Req("GET", "/api/v1/me", advocate.h)],
            "create": [Req("POST", "/api/v1/referrals", {**w.users["cps.cps_worker"].h, "Content-Type":
                                                         "application/json"}, json.dumps(referral_body(w, k)))
                       for k in range(len(w.cases))],
            "disclosure": [Req("POST", "/api/v1/disclosures", {**advocate.h, "Content-Type": "application/json"},
                               json.dumps({"person_id": pid, "purpose": "service_coordination",
                                           "categories": CATEGORIES})) for pid in w.survivors],
        }[args.endpoint]
        await asyncio.to_thread(run_phase, server.url, reqs, seconds=3, connections=args.connections)
        assert server.proc is not None
        spy_proc = start_spy(spy, server.proc.pid, args.seconds, args.out)
        r = await asyncio.to_thread(run_phase, server.url, reqs, seconds=args.seconds, connections=args.connections)
        _, err = spy_proc.communicate(timeout=60)
        log(f"{args.endpoint}: {r['rps']:.1f} req/s, statuses {r['codes']}")
        if spy_proc.returncode:
            raise RuntimeError(f"py-spy failed: {err.decode(errors='replace')[-800:]}")
        print(summarise(args.out, args.top))
    finally:
        if server is not None:
            server.stop()
        await db.drop()


def cli() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--endpoint", choices=("read", "disclosure", "list", "me", "create"), default="read")
    p.add_argument("--seconds", type=float, default=20)
    p.add_argument("--connections", type=int, default=8)
    p.add_argument("--cases", type=int, default=40)
    p.add_argument("--api-referrals", type=int, default=120)
    p.add_argument("--referrals", type=int, default=3000)
    p.add_argument("--top", type=int, default=40)
    p.add_argument("--out", type=Path, default=Path("stacks.txt"))
    asyncio.run(main(p.parse_args()))


if __name__ == "__main__":
    cli()
