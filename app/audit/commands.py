"""`tandem audit verify [--full] [--chain CHAIN]`: recompute every audit hash chain (one per agency, and the
platform's), or the one named, from its last checkpoint (or, with --full, from its first event, checking
every checkpoint too); print the result as JSON and exit 1 on a break. An intact chain gets a new checkpoint
at its head."""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

from app.audit.service import verify_all, verify_chain
from app.core.db import dispose_engine

NAME = "audit"
HELP = "audit trail tools (verify the hash chains)"


async def _verify(batch_size: int, full: bool, chain: str | None) -> dict[str, Any]:
    try:
        if chain is not None:
            return {"chain": chain, **await verify_chain(chain, batch_size=batch_size, full=full)}
        return await verify_all(batch_size=batch_size, full=full)
    finally:
        await dispose_engine()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="audit_action", required=True)
    p = sub.add_parser("verify", help="recompute the hash chains and report each one's first broken link")
    p.add_argument("--batch-size", type=int, default=5000, help="rows read per batch (default 5000)")
    p.add_argument("--full", action="store_true",
                   help="verify from the first event, not from the last checkpoint, and check every checkpoint")
    p.add_argument("--chain", default=None,
                   help="only this chain: an agency's id, or 'platform' for the events of no agency")


def run(args: Any) -> int:
    if args.audit_action == "verify":
        if args.batch_size < 1:
            print("--batch-size must be at least 1")
            return 2
        result = asyncio.run(_verify(args.batch_size, args.full, args.chain))
        print(json.dumps(result, sort_keys=True))
        return 0 if result["ok"] else 1
    return 2

