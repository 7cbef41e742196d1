"""Generated keys and the embedded SQLite database are private to the service's user from the moment they
exist: key files 0600 in a 0700 directory, the database and its -wal/-shm files 0600, whatever the umask."""

import asyncio
import os
import stat
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.core.config import Settings


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def open_umask():
    """A permissive umask, so the test proves the code does not rely on the operator's."""
    old = os.umask(0)
    yield
    os.umask(old)


@pytest.fixture
def created(monkeypatch):
    """Every file created through os.open, with the mode it had at creation (the real os.open still runs)."""
    seen: dict[str, int] = {}
    real_open = os.open

    def spy(path, flags, mode_=0o777, *a, **kw):
        if flags & os.O_CREAT and not os.path.exists(path):
            seen[os.path.basename(os.fspath(path))] = mode_
        return real_open(path, flags, mode_, *a, **kw)

    monkeypatch.setattr(os, "open", spy)
    return seen


def _settings(tmp_path: Path, **kw) -> Settings:
    return Settings(var_dir=tmp_path / "var", jwt_private_key="", data_keys="",
                    database_url=f"sqlite+aiosqlite:///{tmp_path}/db/tandem.db", **kw)


def test_a_generated_signing_key_is_0600_in_a_0700_directory(tmp_path, open_umask, created):
    from app.auth.tokens import KeyRing

    s = _settings(tmp_path)
    ring = KeyRing.load(s)
    keys = s.var_dir / "keys"
    assert mode(s.var_dir) == 0o700 and mode(keys) == 0o700
    assert mode(keys / "jwt-current.pem") == 0o600
    assert KeyRing.load(s).kid == ring.kid  # the second start reads the same key
    # written into a file that was private from its creation, never widened then narrowed
    assert created and all(m == 0o600 for m in created.values())
    assert sorted(os.listdir(keys)) == ["jwt-current.pem"]  # no temporary file left behind


def test_a_generated_data_key_file_is_0600_in_a_0700_directory(tmp_path, open_umask, created):
    from app.core.crypto import DataKeys

    s = _settings(tmp_path)
    first = DataKeys.load(s)
    path = s.var_dir / "keys" / "data-keys.txt"
    assert mode(s.var_dir / "keys") == 0o700 and mode(path) == 0o600
    assert DataKeys.load(s).keys == first.keys
    assert created and all(m == 0o600 for m in created.values())


def test_rotated_keys_stay_0600(tmp_path, open_umask, created):
    from app.auth.tokens import KeyRing, rotate_local_keys
    from app.core.crypto import DataKeys
    from app.core.kek import LocalKeks

    s = _settings(tmp_path)
    old = KeyRing.load(s).kid
    new = rotate_local_keys(s)
    keys = s.var_dir / "keys"
    assert new != old and KeyRing.load(s).kid == new
    assert mode(keys / "jwt-current.pem") == 0o600 and mode(keys / "jwt-previous.pub.pem") == 0o600
    DataKeys.load(s)
    assert mode(keys / "data-keys.txt") == 0o600
    keks = LocalKeks(s)
    keks.create("kek-one")
    keks.create("kek-two")  # an agency's key-encryption key rotated
    assert mode(keys / "keks") == 0o700
    assert mode(keys / "keks" / "kek-one.key") == 0o600 and mode(keys / "keks" / "kek-two.key") == 0o600
    assert all(m == 0o600 for m in created.values())
    assert not [n for n in os.listdir(keys) if n.endswith(".tmp")]


def test_a_key_directory_and_key_files_left_open_are_tightened(tmp_path, open_umask):
    from app.auth.tokens import KeyRing
    from app.core.crypto import DataKeys

    s = _settings(tmp_path)
    KeyRing.load(s)
    DataKeys.load(s)
    keys = s.var_dir / "keys"
    os.chmod(keys, 0o755)
    os.chmod(keys / "jwt-current.pem", 0o644)
    os.chmod(keys / "data-keys.txt", 0o644)
    KeyRing.load(s)
    DataKeys.load(s)
    assert mode(keys) == 0o700
    assert mode(keys / "jwt-current.pem") == 0o600 and mode(keys / "data-keys.txt") == 0o600


def test_the_sqlite_database_and_its_wal_files_are_0600(tmp_path, open_umask):
    from app.core.db import make_engine

    s = _settings(tmp_path)

    async def write() -> dict[str, int]:
        engine = make_engine(s)
        try:
            async with engine.begin() as conn:
                await conn.execute(sa.text("CREATE TABLE t (x TEXT)"))
                await conn.execute(sa.text("INSERT INTO t VALUES ('personal data')"))
            async with engine.connect() as conn:  # the WAL files exist while a connection is open
                await conn.execute(sa.text("SELECT x FROM t"))
                return {name: mode(tmp_path / "db" / name) for name in os.listdir(tmp_path / "db")}
        finally:
            await engine.dispose()

    modes = asyncio.run(write())
    assert {"tandem.db", "tandem.db-wal", "tandem.db-shm"} <= set(modes)
    assert mode(tmp_path / "db") == 0o700
    assert modes == dict.fromkeys(modes, 0o600)


def test_an_existing_sqlite_database_left_open_is_tightened(tmp_path, open_umask):
    from app.core.db import make_engine

    s = _settings(tmp_path)
    (tmp_path / "db").mkdir()
    db = tmp_path / "db" / "tandem.db"
    db.touch(0o644)
    assert mode(db) == 0o644
    asyncio.run(make_engine(s).dispose())
    assert mode(db) == 0o600
