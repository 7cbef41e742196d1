"""The `tandem` command: migrate, create-admin, seed-demo, serve, demo, openapi, rotate-keys and more."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

# Domains add their own subcommands here: name -> (help, add_arguments, run(args) -> exit code).
EXTRA_COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None], Callable[[Any], int]]] = {}


def alembic_config() -> Any:
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
    from app.seed import create_platform_admin

    created = asyncio.run(create_platform_admin(args.email, args.password))
    print("platform admin created" if created else "a user with that email already exists; nothing changed")
    return 0 if created else 1


def _run_seed(args: Any) -> int:
    from app.seed import print_logins, seed_demo

    logins = asyncio.run(seed_demo())
    print_logins(logins)
    return 0


def _run_serve(args: Any) -> int:
    import uvicorn

    uvicorn.run("app.main:app", host=args.host, port=args.port, workers=args.workers, proxy_headers=True,
                log_config=None)
    return 0


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
    from app.auth.tokens import rotate_local_keys
    from app.core.config import get_settings

    s = get_settings()
    if s.jwt_private_key:
        print("signing keys come from configuration (TANDEM_JWT_PRIVATE_KEY); rotate them there",
              file=sys.stderr)
        return 1
    kid = rotate_local_keys(s)
    print(f"new signing key {kid}; the previous key stays in the JWKS until its tokens expire")
    return 0


def _run_purge_idempotency(args: Any) -> int:
    from app.core.db import dispose_engine
    from app.core.http import purge_expired_idempotency

    async def go() -> int:
        from app import models  # noqa: F401  (register every table)

        try:
            return await purge_expired_idempotency()
        finally:
            await dispose_engine()

    print(f"removed {asyncio.run(go())} expired idempotency records")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tandem", description=__doc__)
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
    p = sub.add_parser("openapi", help="write openapi/openapi.json (or --check it)")
    p.add_argument("--output", default=str(ROOT / "openapi" / "openapi.json"))
    p.add_argument("--check", action="store_true")
    p.set_defaults(func=_run_openapi)
    sub.add_parser("rotate-keys", help="rotate the local token signing key").set_defaults(func=_run_rotate_keys)
    sub.add_parser("purge-idempotency", help="delete idempotency records older than TANDEM_IDEMPOTENCY_TTL_HOURS"
                   ).set_defaults(func=_run_purge_idempotency)
    _load_domain_commands()
    # Domains register into the imported module's table (also when this file runs as __main__).
    import app.cli as registry

    for name, (hlp, add_args, run) in registry.EXTRA_COMMANDS.items():
        p = sub.add_parser(name, help=hlp)
        add_args(p)
        p.set_defaults(func=run)
    return parser


def _load_domain_commands() -> None:
    """Import the domain modules that register commands (each guards its own import)."""
    import importlib

    for mod in ("app.consent.commands", "app.audit.commands", "app.webhooks.commands", "app.cases.commands"):
        try:
            importlib.import_module(mod)
        except ModuleNotFoundError as e:
            if e.name != mod:
                raise


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
