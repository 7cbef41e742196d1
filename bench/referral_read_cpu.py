"""CPU per request of the referral read by the receiving agency, its incoming list and a disclosure, in process (httpx
over ASGI, no server, no network), on a scratch database created and dropped by the run:

    .venv/bin/python -m bench.referral_read_cpu [--db postgresql|sqlite] [--reads N]

The scene is the referral tests' (tests/referrals/scene.py): a CPS case with a survivor, her consent, a sent
referral to a DV agency whose advocate reads it. Prints the process CPU milliseconds per request (the app and
the client share the process, so the client's share is in it too; compare runs of this script side by side,
e.g. on two checkouts) and the SQL statements each request sends.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

_PG_BASE = os.environ.get("TANDEM_BENCH_PG", "postgresql+asyncpg://postgres@127.0.0.1:5432")


def _env(db: str, tmp: Path, name: str) -> None:
    os.environ["DATABASE_URL"] = (f"{_PG_BASE}/{name}" if db == "postgresql"
                                  else f"sqlite+aiosqlite:///{tmp}/bench.db")
    os.environ["TANDEM_VAR_DIR"] = str(tmp / "var")
    os.environ["TANDEM_WEBHOOK_WORKER_ENABLED"] = "false"
    os.environ["TANDEM_ALLOW_LOCAL_KEYS"] = "true"
    os.environ.setdefault("TANDEM_LOG_LEVEL", "WARNING")


async def _pg_admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(_PG_BASE.replace("postgresql+asyncpg", "postgresql") + "/postgres")
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def run(reads: int) -> dict[str, Any]:
    import httpx
    from sqlalchemy import event

    from app.core.db import dispose_engine, get_engine
    from app.main import create_app
    from tests.factories import World
    from tests.referrals.scene import build_scene

    app = create_app()
    out: dict[str, Any] = {}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
        world = World(client)
        s = await build_scene(world)
        ref = await s.referral("sent")
        advocate = s["dv_advocate"]
        calls = {
            "referral read (receiver)": lambda: world.get(advocate, f"/api/v1/referrals/{ref['id']}"),
            "incoming list": lambda: world.get(advocate, "/api/v1/referrals", params={"box": "incoming"}),
            "disclosure": lambda: world.post(advocate, "/api/v1/disclosures", {
                "person_id": s.survivor["id"], "purpose": "referral", "categories": ["identity", "contact"]}),
        }
        seen: list[str] = []

        def count(*_: Any) -> None:
            seen.append("x")

        for name, call in calls.items():
            for _ in range(30):  # warm up: first-use lookups and caches
                assert (await call()).status_code < 300
            seen.clear()
            event.listen(get_engine().sync_engine, "before_cursor_execute", count)
            await call()
            event.remove(get_engine().sync_engine, "before_cursor_execute", count)
            statements = len(seen)
            cpu, wall = time.process_time(), time.perf_counter()
            for _ in range(reads):
                await call()
            out[name] = {"cpu_ms": (time.process_time() - cpu) / reads * 1000,
                         "wall_ms": (time.perf_counter() - wall) / reads * 1000, "statements": statements}
    await dispose_engine()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", choices=("postgresql", "sqlite"), default="postgresql")
    ap.add_argument("--reads", type=int, default=500)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="tandem-bench-read-"))
    name = f"tandem_bench_{uuid.uuid4().hex[:12]}"
    _env(args.db, tmp, name)
    try:
        if args.db == "postgresql":
            asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
        from app.cli import migrate

        migrate()
        result = asyncio.run(run(args.reads))
    finally:
        if args.db == "postgresql":
            asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{args.db}, {args.reads} requests each, load average {os.getloadavg()[0]:.2f}")
    for k, v in result.items():
        print(f"  {k}: {v['cpu_ms']:.2f} ms CPU, {v['wall_ms']:.2f} ms wall per request, "
              f"{v['statements']} statements")


if __name__ == "__main__":
    main()
