"""`tandem rotate-data-key`, `tandem shred-agency-key`, `tandem migrate-data-keys` (the CLI registers each)."""

from __future__ import annotations

import argparse
import asyncio
import sys
import uuid
from collections.abc import Awaitable, Callable
from types import SimpleNamespace
from typing import Any, TypeVar

from app.core.db import dispose_engine
from app.core.errors import AppError
from app.core.keyring import ResealError
from app.keys import operations

T = TypeVar("T")


def _run(make: Callable[[], Awaitable[T]]) -> T:
    async def go() -> T:
        try:
            return await make()
        finally:
            await dispose_engine()

    return asyncio.run(go())


def _fail(name: str, e: BaseException) -> int:
    print(f"{name} stopped: {getattr(e, 'detail', None) or e}", file=sys.stderr)
    return 1


def _rotate_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--agency", type=uuid.UUID, help="the agency whose keys to rotate (default: every agency)")
    p.add_argument("--kek", action="store_true",
                   help="rotate the key-encryption key instead: re-wrap the data keys, touch no row")
    p.add_argument("--kek-id", help="with --kek: the new key's id (required for pkcs11: token-label:key-label)")
    p.add_argument("--batch-size", type=int, default=500, help="rows per transaction (default 500)")


def _rotate(args: Any) -> int:
    try:
        done = _run(lambda: operations.rotate(args.agency, kek=args.kek, kek_id=args.kek_id,
                                              batch_size=max(1, args.batch_size)))
    except (AppError, ResealError, ValueError) as e:
        return _fail("rotate-data-key", e)
    if args.kek:
        print(f"key-encryption key rotated for {len(done['agencies'])} agencies; "
              f"{done['keys_rewrapped']} data keys wrapped again (no row changed)")
    else:
        print(f"new data key for {len(done['agencies'])} agencies; re-encrypted {done['values']} values with it")
        print("other running servers keep sealing with the previous key (still valid) until they reload: "
              "restart them, then run the command once more to re-encrypt what they wrote meanwhile")
    return 0


def _shred_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--agency", type=uuid.UUID, required=True, help="the agency whose keys to destroy")
    p.add_argument("--yes", action="store_true", help="confirm: the agency's sealed data becomes unreadable")


def _shred(args: Any) -> int:
    if not args.yes:
        print("shred-agency-key destroys the agency's keys: its sealed data becomes unreadable to everyone, in "
              "the database and in every backup. Run again with --yes to confirm.", file=sys.stderr)
        return 2
    try:
        result = _run(lambda: operations.shred(args.agency))
    except AppError as e:
        return _fail("shred-agency-key", e)
    print(f"destroyed {result.keys} data keys of agency {args.agency}")
    if result.kek_destroyed:
        print(f"its {result.provider} key-encryption key {result.kek_id} was destroyed too")
    else:
        print(f"its {result.provider} key-encryption key {result.kek_id} is held outside Tandem: destroy it there "
              "(remove it from TANDEM_LOCAL_KEKS, or from the HSM) so backups cannot be opened with it")
    print("restart running servers so they forget the keys at once (else within TANDEM_DATA_KEY_CACHE_SECONDS)")
    return 0


def _migrate_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--batch-size", type=int, default=500, help="rows per transaction (default 500)")


def _migrate(args: Any) -> int:
    try:
        n = _run(lambda: operations.migrate(max(1, args.batch_size)))
    except (AppError, ResealError) as e:
        return _fail("migrate-data-keys", e)
    print(f"re-encrypted {n} values under their agency's own data key; none is left under the platform key")
    return 0


ROTATE = SimpleNamespace(
    NAME="rotate-data-key", HELP="rotate an agency's data key (re-encrypting its data) or, with --kek, its "
    "key-encryption key", add_arguments=_rotate_arguments, run=_rotate)
SHRED = SimpleNamespace(
    NAME="shred-agency-key", HELP="destroy an agency's keys: its sealed data becomes unreadable (crypto-shredding)",
    add_arguments=_shred_arguments, run=_shred)
MIGRATE = SimpleNamespace(
    NAME="migrate-data-keys", HELP="re-encrypt values sealed with the platform key under each agency's own key "
    "(resumable)", add_arguments=_migrate_arguments, run=_migrate)
