"""Local files that hold secrets or personal data (generated keys, the embedded SQLite database): private to the
service's user from the moment they exist (0600 files in 0700 directories), whatever the umask."""

from __future__ import annotations

import logging
import os
import secrets
import stat
from pathlib import Path

log = logging.getLogger("tandem.files")

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


def make_private_dirs(path: Path) -> Path:
    """Create `path` and its missing parents as 0700 directories; existing ones are left as they are."""
    missing: list[Path] = []
    p = path
    while not p.exists():
        missing.append(p)
        p = p.parent
    for d in reversed(missing):
        try:
            os.mkdir(d, PRIVATE_DIR)  # the umask can only take bits away from 0700
        except FileExistsError:
            pass
    return path


class UnsafePermissions(Exception):
    """A key or database file is open to other users and the service cannot narrow it: it refuses to start."""


def tighten(path: Path, mode: int) -> None:
    """An existing file or directory that group or others may use is narrowed to `mode` (with a warning): an
    earlier version, a copy or a restore may have left it open. One the service may not change is refused."""
    current = stat.S_IMODE(os.stat(path).st_mode)
    if current & 0o077:
        try:
            os.chmod(path, mode)
        except PermissionError:
            raise UnsafePermissions(
                f"{path} is open to other users (mode {oct(current)}) and this user may not narrow it: make it "
                f"{oct(mode)} and owned by the user Tandem runs as") from None
        log.warning("narrowed permissions", extra={"path": str(path), "was": oct(current), "now": oct(mode)})


def key_dir(var_dir: Path) -> Path:
    """`var_dir/keys`, created (with `var_dir` if missing) or narrowed to 0700."""
    keys = make_private_dirs(var_dir / "keys")
    tighten(keys, PRIVATE_DIR)
    return keys


def _write_private_temp(path: Path, data: bytes) -> Path:
    """`data` in a new 0600 file beside `path` (created exclusively, so never a file someone else made)."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def create_private_file(path: Path, data: bytes) -> bool:
    """Create `path` holding `data`, 0600 from its first byte and complete when it appears. False when it
    already exists (another process starting at the same time made it first: its file is kept)."""
    tmp = _write_private_temp(path, data)
    try:
        os.link(tmp, path)
        return True
    except FileExistsError:
        return False
    finally:
        tmp.unlink(missing_ok=True)


def replace_private_file(path: Path, data: bytes) -> None:
    """Replace `path` (or create it) with a 0600 file holding `data`, atomically."""
    tmp = _write_private_temp(path, data)
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def private_sqlite_file(path: Path) -> None:
    """Create the database file 0600 before SQLite opens it (SQLite gives its -wal, -shm and -journal files
    the database file's mode), in a 0700 directory if the directory is new; narrow an existing open one."""
    make_private_dirs(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, PRIVATE_FILE)  # an empty file is an empty database
    os.close(fd)
    for p in (path, *(path.with_name(path.name + s) for s in ("-wal", "-shm", "-journal"))):
        if p.exists():
            tighten(p, PRIVATE_FILE)
