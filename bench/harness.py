"""Shared plumbing of the benchmarks: a scratch PostgreSQL database, `tandem migrate`, server processes.

Every benchmark creates its own database on TANDEM_BENCH_PG (default postgresql://postgres@127.0.0.1:5432)
and drops it at the end, and starts its servers as separate processes that it stops itself.
"""

from __future__ import annotations

import base64
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PG_BASE = os.environ.get("TANDEM_BENCH_PG", "postgresql://postgres@127.0.0.1:5432")


def log(msg: str) -> None:
    print(f"[{datetime.now(UTC).strftime('%H:%M:%S')}] {msg}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class BenchDatabase:
    """A throwaway database and the environment that points Tandem (and this process) at it."""

    def __init__(self, prefix: str) -> None:
        self.name = f"tandem_bench_{prefix}_{uuid.uuid4().hex[:8]}"
        self.dsn = f"{PG_BASE}/{self.name}"
        self.tmp = Path(tempfile.mkdtemp(prefix=f"tandem-bench-{prefix}-"))
        data_key = base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")
        self.env = {
            **os.environ,
            "DATABASE_URL": self.dsn.replace("postgresql://", "postgresql+asyncpg://", 1),
            "TANDEM_VAR_DIR": str(self.tmp / "var"),
            "TANDEM_DATA_KEYS": f"bench:{data_key}",
            "TANDEM_ALLOW_LOCAL_KEYS": "true",  # the signing key is generated in the throwaway var dir
            "TANDEM_ACCESS_TOKEN_TTL_SECONDS": "7200",
            "TANDEM_LOG_LEVEL": os.environ.get("TANDEM_LOG_LEVEL", "INFO"),
            "PYTHONUNBUFFERED": "1",
        }

    def use_here(self) -> None:
        """Point this process's settings at the database too (bulk loaders seal text with the same key)."""
        for k in ("DATABASE_URL", "TANDEM_VAR_DIR", "TANDEM_DATA_KEYS"):
            os.environ[k] = self.env[k]
        from app.core.config import get_settings

        get_settings.cache_clear()

    async def _admin(self, sql: str) -> None:
        conn = await asyncpg.connect(f"{PG_BASE}/postgres")
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    async def create(self) -> None:
        await self._admin(f'CREATE DATABASE "{self.name}"')

    async def drop(self) -> None:
        with suppress(Exception):
            await self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        shutil.rmtree(self.tmp, ignore_errors=True)

    def migrate(self) -> None:
        subprocess.run([str(BIN / "tandem"), "migrate"], env=self.env, cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)

    async def connect(self) -> asyncpg.Connection:
        return await asyncpg.connect(self.dsn)


class Server:
    """A server process (Tandem or the bare app) on its own port; stopped with SIGTERM, then SIGKILL."""

    def __init__(self, name: str, cmd: list[str], env: dict[str, str], port: int, ready_path: str,
                 log_path: Path, cwd: Path = ROOT) -> None:
        self.name, self.cmd, self.env, self.port, self.ready_path = name, cmd, env, port, ready_path
        self.log_path, self.cwd = log_path, cwd
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 180.0) -> Server:
        """Start the process, wait until it answers `ready_path`, then until its processes are idle (with
        several workers the first one ready answers while the others are still importing)."""
        self.log_file = open(self.log_path, "wb")  # noqa: SIM115  (closed in stop)
        self.proc = subprocess.Popen(self.cmd, env=self.env, cwd=self.cwd, stdout=self.log_file,
                                     stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}: {self.log_tail()}")
            with suppress(httpx.HTTPError):
                if httpx.get(self.url + self.ready_path, timeout=2).status_code == 200:
                    self.wait_idle()
                    return self
            time.sleep(0.3)
        tail = self.log_tail()
        self.stop()
        raise RuntimeError(f"{self.name} did not become ready in {timeout:.0f} s: {tail}")

    def log_tail(self, chars: int = 1500) -> str:
        with suppress(OSError):
            return self.log_path.read_text(errors="replace")[-chars:]
        return f"(no log at {self.log_path})"

    def wait_idle(self, *, quiet_cpu_s: float = 0.02, timeout: float = 30.0) -> bool:
        """Wait until the server's processes use less than `quiet_cpu_s` of CPU in half a second: it has
        finished what it was doing (starting, or the requests a load generator left in flight when it
        stopped). False if it is still busy after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        last = self.cpu_seconds()
        while time.monotonic() < deadline:
            time.sleep(0.5)
            now = self.cpu_seconds()
            if now - last <= quiet_cpu_s:
                return True
            last = now
        return False

    def cpu_seconds(self) -> float:
        """CPU time (user + system) used so far by the server process and every process under it (uvicorn's
        worker processes when it runs more than one)."""
        assert self.proc is not None
        return tree_cpu_seconds(self.proc.pid)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None
        with suppress(Exception):
            self.log_file.close()


def tandem_server(db: BenchDatabase, *, workers: int = 1, tandem: list[str] | None = None,
                  cwd: Path = ROOT, name: str = "tandem") -> Server:
    """`tandem serve` with `workers` uvicorn workers; `tandem`: the command that runs the CLI (default this
    checkout's)."""
    port = free_port()
    cmd = [*(tandem or [str(BIN / "tandem")]), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers",
           str(workers)]
    return Server(name, cmd, db.env, port, "/readyz", db.tmp / f"{name}.log", cwd=cwd)


def bare_server(db: BenchDatabase, module: str = "bench.bare_app") -> Server:
    """A reference app (bench/bare_app.py, or bench/raw_app.py with module="bench.raw_app"), one worker."""
    port = free_port()
    name = module.rsplit(".", 1)[-1]
    cmd = [sys.executable, "-m", "uvicorn", f"{module}:app", "--host", "127.0.0.1", "--port", str(port),
           "--workers", "1", "--no-access-log", "--log-level", "warning"]
    return Server(name, cmd, db.env, port, "/healthz", db.tmp / f"{name}.log")


_TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str]:
    """The fields of /proc/<pid>/stat after "pid (comm)": fields[0] is field 3 (state), fields[1] the ppid."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat[stat.rindex(")") + 2:].split()


def tree_cpu_seconds(pid: int) -> float:
    """utime + stime (fields 14 and 15 of /proc/<pid>/stat) of `pid` and its live descendants."""
    stats: dict[int, list[str]] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            with suppress(OSError, ValueError, IndexError):
                stats[int(d.name)] = _stat(int(d.name))
    kids: dict[int, list[int]] = {}
    for p, f in stats.items():
        kids.setdefault(int(f[1]), []).append(p)
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        if p in stats:
            total += int(stats[p][11]) + int(stats[p][12])
        todo += kids.get(p, [])
    return total / _TICK


def database_cpu_seconds() -> float | None:
    """CPU time used so far by the local PostgreSQL server (its postmaster and every backend under it: the
    processes named `postgres` whose parent is not one), or None when it does not run on this machine."""
    total, found = 0.0, False
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        with suppress(OSError, ValueError, IndexError):
            if (d / "comm").read_text().strip() != "postgres":
                continue
            parent = int(_stat(int(d.name))[1])
            if (Path(f"/proc/{parent}/comm").read_text().strip() if parent > 1 else "") != "postgres":
                total += tree_cpu_seconds(int(d.name))
                found = True
    return total if found else None


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    cpu = "unknown"
    with suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = "unknown"
    with suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    load = os.getloadavg()
    return {"nproc": os.cpu_count(), "cpu": cpu, "memory": mem, "python": platform.python_version(),
            "load": f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}",
            "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")}


async def pg_version(db: BenchDatabase) -> str:
    conn = await db.connect()
    try:
        return str(await conn.fetchval("SHOW server_version"))
    finally:
        await conn.close()
