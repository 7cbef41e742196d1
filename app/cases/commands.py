"""`tandem rotate-data-key`: seal every encrypted value again under a new (or the current) data key."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

import sqlalchemy as sa

from app.core.config import get_settings
from app.core.crypto import (
    SEALED_COLUMNS,
    DecryptionError,
    data_keys,
    key_id_of,
    new_key_spec,
    reseal,
    reset_data_keys,
)
from app.core.db import dispose_engine, sessionmaker
from app.core.files import PRIVATE_DIR, make_private_dirs, replace_private_file, tighten

NAME = "rotate-data-key"
HELP = "re-encrypt all personal data at rest with a new (local) or the current (TANDEM_DATA_KEYS) data key"


class RotationError(Exception):
    """A stored value did not decrypt (a key is missing from the configuration); names the row, not the value."""


def _prepend_local_key(path: Any, spec: str) -> None:
    """Put a new key first in the local key file (older keys stay, so existing values still decrypt)."""
    tighten(make_private_dirs(path.parent), PRIVATE_DIR)
    old = path.read_text() if path.exists() else ""
    replace_private_file(path, (spec + "\n" + old).encode())


async def reseal_all(batch_size: int = 500) -> int:
    """Re-encrypt every registered sealed value not already under the current key; returns how many.

    Sealed columns register when their tables are imported: the caller (the CLI, the app) has imported
    every table (app.models) first."""
    current = data_keys().current
    async with sessionmaker()() as session:
        conn = await session.connection()
        existing = set(await conn.run_sync(lambda c: sa.inspect(c).get_table_names()))
    count = 0
    for sealed in SEALED_COLUMNS:
        table = sealed.model.__table__
        if table.name not in existing:  # not migrated yet: holds no values
            continue
        col = table.c[sealed.column]
        last_id = None
        while True:
            async with sessionmaker()() as session:
                stmt = sa.select(table.c.id, col).where(col.is_not(None)).order_by(table.c.id).limit(batch_size)
                if last_id is not None:
                    stmt = stmt.where(table.c.id > last_id)
                rows = (await session.execute(stmt)).all()
                if not rows:
                    break
                for row in rows:
                    stored = row[1]
                    try:
                        if key_id_of(stored) == current:
                            continue
                        new = reseal(stored, sealed.aad(row))
                    except (DecryptionError, IndexError):
                        raise RotationError(
                            f"{table.name}.{sealed.column} of row {row[0]} could not be decrypted with the "
                            "configured keys; values re-encrypted before it stay readable") from None
                    # A plain UPDATE: the representation does not change, so neither does the row's version.
                    await session.execute(table.update().where(table.c.id == row[0], col == stored)
                                          .values({sealed.column: new}))
                    count += 1
                await session.commit()
                last_id = rows[-1][0]
    return count


async def rotate_data_key(batch_size: int = 500) -> tuple[str, bool, int]:
    """With the local key file: add a new current key. With TANDEM_DATA_KEYS: use its first key.

    Then re-encrypt every value. Returns (current key id, whether a key was added, values re-encrypted).
    """
    settings = get_settings()
    added = False
    if not settings.data_keys.strip():
        data_keys()  # creates the local key file if this is the first key
        _prepend_local_key(settings.var_dir / "keys" / "data-keys.txt", new_key_spec())
        added = True
    reset_data_keys()
    count = await reseal_all(batch_size)
    return data_keys().current, added, count


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--batch-size", type=int, default=500, help="rows per transaction (default 500)")


def run(args: Any) -> int:
    async def go() -> tuple[str, bool, int]:
        try:
            return await rotate_data_key(max(1, args.batch_size))
        finally:
            await dispose_engine()

    try:
        kid, added, count = asyncio.run(go())
    except RotationError as e:
        print(f"rotate-data-key stopped: {e}", file=sys.stderr)
        return 1
    if added:
        print(f"new data key {kid} added to the local key file; re-encrypted {count} values with it")
    else:
        print(f"re-encrypted {count} values with data key {kid} (the first of TANDEM_DATA_KEYS)")
    print("restart running servers so they seal new values with this key, then run the command once more; "
          "after that, older keys can be removed")
    return 0

