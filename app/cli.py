"""The `tandem` command: migrate, create-admin, seed-demo, serve, demo, openapi, rotate-keys and more.

An entry point on top of every layer: it imports every table (app.models) and registers each domain's
commands explicitly (a domain's `commands.py` offers NAME, HELP, add_arguments(parser) and run(args)); no
domain imports the CLI. Only the app factory is imported when a command needs it: building the app
configures logging.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from app import (
    models,  # noqa: F401  (register every table, and every sealed column, before any command)
    worker,
)
from app.audit import commands as audit_commands
from app.auth.tokens import rotate_local_keys
from app.core.config import KeysNotConfigured, get_settings, project_root, require_keys
from app.core.db import dispose_engine
from app.core.http import purge_expired_idempotency
from app.keys import commands as key_commands
from app.seed import WorkedExample, create_platform_admin, print_logins, seed_demo, worked_example_state
from app.webhooks import delivery

if TYPE_CHECKING:
    from alembic.config import Config

ROOT = project_root()

# Commands a domain offers (its commands.py: NAME, HELP, add_arguments(parser), run(args) -> exit code).
DOMAIN_COMMANDS: tuple[ModuleType | Any, ...] = (audit_commands, key_commands.ROTATE, key_commands.SHRED,
                                                key_commands.MIGRATE)


def alembic_config() -> Config:
    from alembic.config import Config

    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    return cfg


def migrate(revision: str = "head") -> None:
    """Upgrade to the one head of the linear history (alembic refuses when there are several)."""
    from alembic import command

    command.upgrade(alembic_config(), revision)


def _run_migrate(args: Any) -> int:
    migrate()
    print("database migrated to the newest revision")
    return 0


def _run_create_admin(args: Any) -> int:
    created = asyncio.run(create_platform_admin(args.email, args.password))
    print("platform admin created" if created else "a user with that email already exists; nothing changed")
    return 0 if created else 1


def _run_seed(args: Any) -> int:
    async def go() -> tuple[list[tuple[str, str, str]], WorkedExample | None]:
        try:
            return await seed_demo(), await worked_example_state()
        finally:
            await dispose_engine()  # its connections belong to this event loop, which ends here

    logins, state = asyncio.run(go())
    print_logins(logins, state)
    return 0


def _run_serve(args: Any) -> int:
    import uvicorn

    require_keys(get_settings())  # before any worker process starts: one clear message, not a traceback each
    uvicorn.run("app.main:app", host=args.host, port=args.port, workers=args.workers, proxy_headers=True,
                log_config=None)
    return 0


def _run_start(args: Any) -> int:
    """The container's command: serve on 0.0.0.0:8000 (TANDEM_WORKERS workers, default 2). On the embedded
    SQLite default the one container owns its database file, so it migrates it first; with DATABASE_URL set
    migrations are `tandem migrate`, run once per release, never by each replica."""
    if get_settings().is_sqlite:
        _run_migrate(args)
    args.host = os.environ.get("TANDEM_HOST", "0.0.0.0")
    args.port = int(os.environ.get("TANDEM_PORT", "8000"))
    args.workers = int(os.environ.get("TANDEM_WORKERS", "2"))
    return _run_serve(args)


def _run_demo(args: Any) -> int:
    _run_migrate(args)
    _run_seed(args)
    print(f"\nSwagger UI: http://{args.host}:{args.port}/docs  (Authorize with a demo login above)\n")
    return _run_serve(args)


def _run_openapi(args: Any) -> int:
    from app.main import create_app

    spec = json.dumps(create_app().openapi(), indent=2, sort_keys=True) + "\n"
    out = Path(args.output)
    if args.check:
        current = out.read_text() if out.exists() else ""
        if current != spec:
            print(f"{out} is out of date: run `tandem openapi`", file=sys.stderr)
            return 1
        print(f"{out} matches the app")
        return 0
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(spec)
    print(f"wrote {out}")
    return 0


def _run_rotate_keys(args: Any) -> int:
    s = get_settings()
    if s.jwt_private_key:
        print("signing keys come from configuration (TANDEM_JWT_PRIVATE_KEY); rotate them there",
              file=sys.stderr)
        return 1
    kid = rotate_local_keys(s)
    print(f"new signing key {kid}; the previous key stays in the JWKS until its tokens expire")
    return 0


def _run_purge_idempotency(args: Any) -> int:
    async def go() -> int:
        try:
            return await purge_expired_idempotency()
        finally:
            await dispose_engine()

    print(f"removed {asyncio.run(go())} expired idempotency records")
    return 0


async def _deliver(once: bool, batch_size: int, metrics_host: str = "0.0.0.0", metrics_port: int = 0) -> int:
    """`tandem deliver`: one pass of webhook delivery (--once), or the background worker's loop (every job)
    until SIGINT or SIGTERM; with a metrics port, its /metrics served there meanwhile."""
    import uvicorn

    try:
        if once:
            n = await delivery.run_once(batch_size)
            print(f"attempted {n} deliveries")
            return 0
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        print("delivering webhooks; Ctrl-C to stop")
        server = None
        if metrics_port:
            server = uvicorn.Server(uvicorn.Config(worker.metrics_endpoint, host=metrics_host, port=metrics_port,
                                                   lifespan="off", log_config=None, access_log=False))
            serving = asyncio.create_task(server.serve())
        await worker.run_forever(stop, batch_size)
        if server is not None:
            server.should_exit = True
            await serving
        return 0
    finally:
        await dispose_engine()


def _run_deliver(args: Any) -> int:
    if args.batch_size < 1:
        print("--batch-size must be at least 1")
        return 2
    return asyncio.run(_deliver(args.once, args.batch_size, args.metrics_host, args.metrics_port))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tandem", description=(__doc__ or "").splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="apply database migrations").set_defaults(func=_run_migrate)
    p = sub.add_parser("create-admin", help="create a platform admin")
    p.add_argument("--email", required=True)
    p.add_argument("--password", required=True)
    p.set_defaults(func=_run_create_admin)
    sub.add_parser("seed-demo", help="load demo agencies, offices, users and a client (idempotent)").set_defaults(
        func=_run_seed)
    for name, func, hlp in (("serve", _run_serve, "run the API server"),
                            ("demo", _run_demo, "migrate, seed demo data and serve")):
        p = sub.add_parser(name, help=hlp)
        p.add_argument("--host", default="127.0.0.1")
        p.add_argument("--port", type=int, default=8000)
        p.add_argument("--workers", type=int, default=1)
        p.set_defaults(func=func)
    sub.add_parser("start", help="what the container runs: migrate the embedded SQLite file only, then serve "
                   "on 0.0.0.0:8000").set_defaults(func=_run_start)
    p = sub.add_parser("openapi", help="write openapi/openapi.json (or --check it)")
    p.add_argument("--output", default=str(ROOT / "openapi" / "openapi.json"))
    p.add_argument("--check", action="store_true")
    p.set_defaults(func=_run_openapi)
    sub.add_parser("rotate-keys", help="rotate the local token signing key").set_defaults(func=_run_rotate_keys)
    sub.add_parser("purge-idempotency", help="delete idempotency records older than TANDEM_IDEMPOTENCY_TTL_HOURS"
                   ).set_defaults(func=_run_purge_idempotency)
    p = sub.add_parser("deliver", help="run the webhook delivery worker (alone, or --once)")
    p.add_argument("--once", action="store_true", help="make a single pass over due deliveries and exit")
    p.add_argument("--batch-size", type=int, default=20, help="deliveries claimed per pass (default 20)")
    p.add_argument("--metrics-port", type=int, default=0, help="serve this worker's /metrics on this port")
    p.add_argument("--metrics-host", default="0.0.0.0", help="address of the metrics port (default all)")
    p.set_defaults(func=_run_deliver)
    for commands in DOMAIN_COMMANDS:
        p = sub.add_parser(commands.NAME, help=commands.HELP)
        commands.add_arguments(p)
        p.set_defaults(func=commands.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeysNotConfigured as e:
        print(f"tandem: refusing to start: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
