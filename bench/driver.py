"""Load generators, each in a process of its own: wrk (preferred) with a generated Lua script, or, only
when wrk is not installed, an httpx driver (`python -m bench.driver SPEC OUT`), which caps throughput lower.

A phase is a fixed duration at a fixed number of connections, cycling through a list of requests. The result
is requests/s, latency percentiles (ms) and the count of each status code.

`run_open_loop` is the other kind of phase: an open-loop load at a constant rate (`python -m bench.driver --open
SPEC OUT`, asyncio over plain sockets, HTTP/1.1 keep-alive). Request i is due at start + i/rate whether or not
earlier ones have been answered, and its latency is measured from that scheduled time, so a server that falls
behind is charged for the wait it causes (no coordinated omission).
"""

from __future__ import annotations

import asyncio
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Req:
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None


def driver_name() -> str:
    return "wrk" if shutil.which("wrk") else "httpx (fallback: wrk is not installed)"


def _lua_str(s: str) -> str:
    return "[==[" + s + "]==]"


def _lua_script(reqs: list[Req], out: Path) -> str:
    items = []
    for r in reqs:
        hdrs = ", ".join(f"[ {_lua_str(k)} ] = {_lua_str(v)}" for k, v in r.headers.items())
        body = _lua_str(r.body) if r.body is not None else "nil"
        items.append(f"  {{{_lua_str(r.method)}, {_lua_str(r.path)}, {{{hdrs}}}, {body}}},")
    return "\n".join([
        "local reqs = {", *items, "}",
        "local threads = {}",
        "function setup(thread) table.insert(threads, thread) end",
        "function init(args) i = 0; codes = {} end",
        "function request()",
        "  i = i + 1",
        "  local r = reqs[(i % #reqs) + 1]",
        "  return wrk.format(r[1], r[2], r[3], r[4])",
        "end",
        "function response(status, headers, body)",
        "  codes[status] = (codes[status] or 0) + 1",
        "end",
        "function done(summary, latency, requests)",
        "  local c = {}",
        "  for _, t in ipairs(threads) do",
        "    for k, v in pairs(t:get('codes')) do c[k] = (c[k] or 0) + v end",
        "  end",
        "  local parts = {}",
        "  for k, v in pairs(c) do table.insert(parts, string.format('\"%d\": %d', k, v)) end",
        f"  local f = io.open({_lua_str(str(out))}, 'w')",
        "  f:write(string.format('{\"requests\": %d, \"duration_us\": %d, \"p50_us\": %d, \"p95_us\": %d, '",
        "    .. '\"p99_us\": %d, \"mean_us\": %.1f, \"max_us\": %d, \"socket_errors\": %d, \"codes\": {%s}}',",
        "    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),",
        "    latency:percentile(99), latency.mean, latency.max,",
        "    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,",
        "    table.concat(parts, ', ')))",
        "  f:close()",
        "end",
    ])


def run_phase(base_url: str, reqs: list[Req], *, seconds: float, connections: int, threads: int = 1,
              timeout_s: int = 60) -> dict[str, Any]:
    """Drive `base_url` for `seconds` from a separate process; return rps, p50/p95/p99 (ms) and codes."""
    with tempfile.TemporaryDirectory(prefix="tandem-bench-wrk-") as d:
        out = Path(d) / "result.json"
        if shutil.which("wrk"):
            script = Path(d) / "phase.lua"
            script.write_text(_lua_script(reqs, out))
            subprocess.run(["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{int(seconds)}s",
                            "--timeout", f"{timeout_s}s", "-s", str(script), base_url],
                           check=True, stdout=subprocess.DEVNULL)
        else:
            spec = Path(d) / "spec.json"
            spec.write_text(json.dumps({"base_url": base_url, "seconds": seconds, "connections": connections,
                                        "timeout": timeout_s, "reqs": [r.__dict__ for r in reqs]}))
            subprocess.run([sys.executable, "-m", "bench.driver", str(spec), str(out)], check=True)
        if not out.exists():
            raise RuntimeError("the load generator wrote no result (see its output above)")
        raw = json.loads(out.read_text())
    secs = raw["duration_us"] / 1e6
    ok = sum(v for k, v in raw["codes"].items() if 200 <= int(k) < 300)
    return {
        "requests": raw["requests"], "seconds": round(secs, 2), "rps": raw["requests"] / secs if secs else 0.0,
        "p50_ms": raw["p50_us"] / 1000, "p95_ms": raw["p95_us"] / 1000, "p99_ms": raw["p99_us"] / 1000,
        "mean_ms": raw["mean_us"] / 1000, "codes": {str(k): v for k, v in sorted(raw["codes"].items())},
        "ok_ratio": ok / raw["requests"] if raw["requests"] else 0.0, "socket_errors": raw["socket_errors"],
    }


# ---------------------------------------------------------------- httpx fallback (its own process)


async def _drive(spec: dict[str, Any]) -> dict[str, Any]:
    import httpx

    reqs = [Req(**r) for r in spec["reqs"]]
    latencies: list[float] = []
    codes: dict[int, int] = {}
    errors = 0
    counter = 0
    stop_at = time.perf_counter() + spec["seconds"]

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal counter, errors
        while time.perf_counter() < stop_at:
            counter += 1
            r = reqs[counter % len(reqs)]
            t = time.perf_counter()
            try:
                resp = await client.request(r.method, r.path, headers=r.headers, content=r.body)
            except httpx.HTTPError:
                errors += 1
                continue
            latencies.append(time.perf_counter() - t)
            codes[resp.status_code] = codes.get(resp.status_code, 0) + 1

    limits = httpx.Limits(max_connections=spec["connections"], max_keepalive_connections=spec["connections"])
    started = time.perf_counter()
    async with httpx.AsyncClient(base_url=spec["base_url"], limits=limits, timeout=spec["timeout"]) as client:
        await asyncio.gather(*(worker(client) for _ in range(spec["connections"])))
    elapsed = time.perf_counter() - started
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    return {"requests": len(latencies), "duration_us": int(elapsed * 1e6), "p50_us": int(q[49] * 1e6),
            "p95_us": int(q[94] * 1e6), "p99_us": int(q[98] * 1e6),
            "mean_us": statistics.fmean(latencies) * 1e6 if latencies else 0.0,
            "max_us": int(max(latencies, default=0) * 1e6), "socket_errors": errors, "codes": codes}


# ---------------------------------------------------------------- open loop at a constant rate (its own process)


def run_open_loop(base_url: str, reqs: list[Req], *, rate: float, seconds: float, max_connections: int = 256,
                  timeout_s: float = 30) -> dict[str, Any]:
    """Send `rate` requests per second for `seconds`, cycling through `reqs`, from a separate process; return
    the latency percentiles measured from each request's scheduled time (ms), codes and what fell behind."""
    with tempfile.TemporaryDirectory(prefix="tandem-bench-open-") as d:
        spec, out = Path(d) / "spec.json", Path(d) / "result.json"
        spec.write_text(json.dumps({"base_url": base_url, "rate": rate, "seconds": seconds, "timeout": timeout_s,
                                    "max_connections": max_connections, "reqs": [r.__dict__ for r in reqs]}))
        subprocess.run([sys.executable, "-m", "bench.driver", "--open", str(spec), str(out)], check=True)
        return dict(json.loads(out.read_text()))


def _raw_request(r: Req, host: str) -> bytes:
    body = (r.body or "").encode()
    head = [f"{r.method} {r.path} HTTP/1.1", f"Host: {host}", *(f"{k}: {v}" for k, v in r.headers.items())]
    if r.body is not None or r.method in ("POST", "PUT", "PATCH"):
        head.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one HTTP/1.1 response; return its status and whether the connection stays open."""
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
    status = int(head[0].split(" ", 2)[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in head[1:] if line)}
    if headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    else:
        await reader.readexactly(int(headers.get("content-length", "0")))
    return status, headers.get("connection", "").lower() != "close"


KEEP_IDLE_S = 2.0
SLOW_S = 0.1  # a request slower than the open loop's p99 target


def _ms_quantile(sorted_s: list[float], q: float) -> float:
    if not sorted_s:
        return 0.0
    return sorted_s[min(len(sorted_s) - 1, int(q * len(sorted_s)))] * 1000


async def _open_loop(spec: dict[str, Any]) -> dict[str, Any]:
    import urllib.parse

    url = urllib.parse.urlsplit(spec["base_url"])
    host, port = url.hostname or "127.0.0.1", url.port or 80
    raws = [_raw_request(Req(**r), f"{host}:{port}") for r in spec["reqs"]]
    rate, seconds = float(spec["rate"]), float(spec["seconds"])
    clock = time.perf_counter  # the event loop's own clock may tick in whole milliseconds (uvloop)
    # Idle keep-alive connections with the time each was last used: uvicorn closes a connection idle for 5 s
    # (timeout_keep_alive), so one idle for longer than KEEP_IDLE_S is closed here instead of reused.
    idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter, float]] = []
    gate = asyncio.Semaphore(int(spec["max_connections"]))
    timeline: list[tuple[float, float]] = []  # (when it was due, from the start; its latency), in seconds
    latencies: list[float] = []
    codes: dict[int, int] = {}
    errors = opened = 0

    async def connection() -> tuple[asyncio.StreamReader, asyncio.StreamWriter, bool]:
        nonlocal opened
        while idle:
            reader, writer, used = idle.pop()
            if clock() - used < KEEP_IDLE_S:
                return reader, writer, True
            writer.close()
        reader, writer = await asyncio.open_connection(host, port)
        opened += 1
        return reader, writer, False

    async def one(raw: bytes, due: float) -> None:
        nonlocal errors
        async with gate:
            for attempt in (1, 2):
                try:
                    reader, writer, reused = await connection()
                except OSError:
                    errors += 1
                    return
                try:
                    writer.write(raw)
                    status, keep = await _read_response(reader)
                except asyncio.IncompleteReadError as e:
                    writer.close()
                    if reused and not e.partial and attempt == 1:
                        continue  # the server had closed the kept connection before reading it: send again
                    errors += 1
                    return
                except (OSError, ValueError, IndexError):
                    writer.close()
                    if reused and attempt == 1:
                        continue
                    errors += 1
                    return
                latencies.append(clock() - due)
                timeline.append((due - start, latencies[-1]))
                codes[status] = codes.get(status, 0) + 1
                if keep:
                    idle.append((reader, writer, clock()))
                else:
                    writer.close()
                return

    n = max(1, int(rate * seconds))
    tasks: set[asyncio.Task[None]] = set()
    start = clock() + 0.05
    max_lag = 0.0
    for i in range(n):
        due = start + i / rate
        delay = due - clock()
        if delay > 0:
            await asyncio.sleep(delay)
        max_lag = max(max_lag, clock() - due)  # how late the generator itself sends (its own CPU, timers)
        t = asyncio.create_task(one(raws[i % len(raws)], due))
        tasks.add(t)
        t.add_done_callback(tasks.discard)
    sent_until = clock()
    unfinished = 0
    if tasks:
        _, pending = await asyncio.wait(set(tasks), timeout=float(spec["timeout"]))
        unfinished = len(pending)
        for t in pending:
            t.cancel()
    finished = clock()
    for _, writer, _ in idle:
        writer.close()
    latencies.sort()
    # When the slow requests (over SLOW_S) were due: one stretch of them is a stall, spread over the run is
    # a server short of capacity.
    slow = sorted(t for t, lat in timeline if lat > SLOW_S)
    return {"rate": rate, "seconds": seconds, "scheduled": n, "completed": len(latencies),
            "slow_count": len(slow), "slow_first_due_s": round(slow[0], 2) if slow else None,
            "slow_last_due_s": round(slow[-1], 2) if slow else None,
            "achieved_rps": len(latencies) / (finished - start) if finished > start else 0.0,
            "send_seconds": round(sent_until - start, 2), "generator_max_lag_ms": max_lag * 1000,
            "p50_ms": _ms_quantile(latencies, 0.50), "p95_ms": _ms_quantile(latencies, 0.95),
            "p99_ms": _ms_quantile(latencies, 0.99), "max_ms": latencies[-1] * 1000 if latencies else 0.0,
            "codes": {str(k): v for k, v in sorted(codes.items())}, "errors": errors, "unfinished": unfinished,
            "connections_opened": opened}


if __name__ == "__main__":
    if sys.argv[1] == "--open":
        spec_path, out_path = sys.argv[2], sys.argv[3]
        spec = json.loads(Path(spec_path).read_text())
        try:
            import uvloop
        except ImportError:
            result = asyncio.run(_open_loop(spec))
        else:
            result = uvloop.run(_open_loop(spec))
    else:
        spec_path, out_path = sys.argv[1], sys.argv[2]
        result = asyncio.run(_drive(json.loads(Path(spec_path).read_text())))
    Path(out_path).write_text(json.dumps(result))
