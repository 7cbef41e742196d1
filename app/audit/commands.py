"""`tandem audit verify`: recompute the audit hash chain; exit 1 on a break."""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

from app.cli import EXTRA_COMMANDS


async def _verify(batch_size: int) -> dict[str, Any]:
    from app import models  # noqa: F401  (register every table)
    from app.audit.service import verify_chain
    from app.core.db import dispose_engine, sessionmaker

    try:
        async with sessionmaker()() as session:
            return await verify_chain(session, batch_size=batch_size)
    finally:
        await dispose_engine()


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="audit_action", required=True)
    p = sub.add_parser("verify", help="recompute the hash chain and report the first broken link")
    p.add_argument("--batch-size", type=int, default=5000, help="rows read per batch (default 5000)")


def _run(args: Any) -> int:
    if args.audit_action == "verify":
        if args.batch_size < 1:
            print("--batch-size must be at least 1")
            return 2
        result = asyncio.run(_verify(args.batch_size))
        print(json.dumps(result, sort_keys=True))
        return 0 if result["ok"] else 1
    return 2


EXTRA_COMMANDS["audit"] = ("audit trail tools (verify the hash chain)", _add_arguments, _run)
