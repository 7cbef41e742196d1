"""`tandem deliver [--once]`: run the webhook delivery worker on its own."""

from __future__ import annotations

import argparse
import asyncio
import signal
from typing import Any

from app.cli import EXTRA_COMMANDS


async def _deliver(once: bool, batch_size: int) -> int:
    from app import models  # noqa: F401  (register every table)
    from app.core.db import dispose_engine
    from app.webhooks import delivery as worker

    try:
        if once:
            n = await worker.run_once(batch_size)
            print(f"attempted {n} deliveries")
            return 0
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        print("delivering webhooks; Ctrl-C to stop")
        await worker.run_forever(stop, batch_size)
        return 0
    finally:
        await dispose_engine()


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--once", action="store_true", help="make a single pass over due deliveries and exit")
    parser.add_argument("--batch-size", type=int, default=20, help="deliveries claimed per pass (default 20)")


def _run(args: Any) -> int:
    if args.batch_size < 1:
        print("--batch-size must be at least 1")
        return 2
    return asyncio.run(_deliver(args.once, args.batch_size))


EXTRA_COMMANDS["deliver"] = ("run the webhook delivery worker (alone, or --once)", _add_arguments, _run)
