"""With PostgreSQL, keys come from the environment: a service that would have to generate them (each
container its own, so sealed data written by one is unreadable by the next) refuses to start, saying what to
set. The embedded SQLite default still generates them under TANDEM_VAR_DIR."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.core.config import KeysNotConfigured, Settings, require_keys

PG = "postgresql+asyncpg://tandem@db.invalid/tandem"


def test_postgresql_without_keys_is_refused_with_what_to_set():
    with pytest.raises(KeysNotConfigured) as refused:
        require_keys(Settings(database_url=PG, allow_local_keys=False))
    assert "TANDEM_JWT_PRIVATE_KEY and TANDEM_DATA_KEYS must be set" in str(refused.value)
    with pytest.raises(KeysNotConfigured) as refused:
        require_keys(Settings(database_url=PG, data_keys="k1:" + "A" * 43, allow_local_keys=False))
    assert str(refused.value).startswith("TANDEM_JWT_PRIVATE_KEY must be set")
    require_keys(Settings(database_url=PG, data_keys="k1:x", jwt_private_key="pem", allow_local_keys=False))
    require_keys(Settings(database_url=PG, allow_local_keys=True))
    require_keys(Settings(database_url="sqlite+aiosqlite:///x.db", allow_local_keys=False))


def test_the_embedded_default_lives_in_the_var_dir(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert Settings(var_dir=Path("/var/lib/tandem")).database_url == "sqlite+aiosqlite:////var/lib/tandem/tandem.db"


def test_serve_refuses_to_start_without_keys(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TANDEM_") and k != "DATABASE_URL"}
    env.update(DATABASE_URL=PG, TANDEM_VAR_DIR=str(tmp_path / "var"))
    tandem = str(Path(sys.executable).parent / "tandem")
    done = subprocess.run([tandem, "serve", "--port", "1"], env=env, capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode != 0
    assert "TANDEM_JWT_PRIVATE_KEY and TANDEM_DATA_KEYS must be set" in done.stderr + done.stdout
    assert not (tmp_path / "var" / "keys").exists()  # nothing generated
