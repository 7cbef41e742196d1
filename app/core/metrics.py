"""Prometheus text metrics (exposition format 0.0.4), without personal data and without agency names in
labels: labels are route templates, methods, status codes, job names, outcomes and fixed vocabularies.

- in-process: requests by route and latency histograms, background job runs and failures, webhook delivery
  attempts by outcome (the process that runs the worker counts them);
- the process: CPU seconds, resident and virtual memory, open file descriptors, start time;
- the database pool of this process: connections in use, idle, overflow, and coroutines waiting for one;
- from the database at scrape time, through collectors the domains register (app/main.py): webhook queue
  depth and oldest pending age, deliveries by status, overdue referrals, consents expiring within 14 days.

Every metric is listed in docs/operating.md.
"""

from __future__ import annotations

import os
import resource
import threading
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_START = time.time()


@dataclass
class Family:
    """One metric family: `samples` are (labels, value) pairs."""

    name: str
    help: str
    type: str  # gauge | counter
    samples: list[tuple[dict[str, str], float]] = field(default_factory=list)

    def render(self) -> list[str]:
        suffix = "_total" if self.type == "counter" else ""
        lines = [f"# HELP {self.name}{suffix} {self.help}", f"# TYPE {self.name}{suffix} {self.type}"]
        for labels, value in self.samples:
            text = ",".join(f'{k}="{_escape(v)}"' for k, v in sorted(labels.items()))
            lines.append(f"{self.name}{suffix}{{{text}}} {_number(value)}" if text
                         else f"{self.name}{suffix} {_number(value)}")
        return lines


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


# A collector reads the database at scrape time: fixed-vocabulary labels and counts only.
Collector = Callable[[AsyncSession], Awaitable[list[Family]]]


class Metrics:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: dict[tuple[str, str, str], int] = defaultdict(int)
        self.hist: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0] * (len(BUCKETS) + 1))
        self.sums: dict[tuple[str, str], float] = defaultdict(float)
        self.job_runs: dict[str, int] = defaultdict(int)
        self.job_failures: dict[str, int] = defaultdict(int)
        self.delivery_attempts: dict[str, int] = defaultdict(int)
        self.collectors: list[Collector] = []

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        with self._lock:
            self.requests[(method, route, str(status))] += 1
            h = self.hist[(method, route)]
            for i, b in enumerate(BUCKETS):
                if seconds <= b:
                    h[i] += 1
            h[-1] += 1
            self.sums[(method, route)] += seconds

    def job_ran(self, job: str, ok: bool) -> None:
        job = job.replace(" ", "_")
        with self._lock:
            self.job_runs[job] += 1
            if not ok:
                self.job_failures[job] += 1

    def delivery_attempted(self, outcome: str) -> None:
        """outcome: delivered | retry | failed (given up)."""
        with self._lock:
            self.delivery_attempts[outcome] += 1

    def register(self, collector: Collector) -> None:
        if collector not in self.collectors:
            self.collectors.append(collector)

    def _http_lines(self) -> list[str]:
        lines = [
            "# HELP tandem_http_requests_total HTTP requests by method, route template and status.",
            "# TYPE tandem_http_requests_total counter",
        ]
        for (m, r, s), n in sorted(self.requests.items()):
            lines.append(f'tandem_http_requests_total{{method="{m}",route="{r}",status="{s}"}} {n}')
        lines += [
            "# HELP tandem_http_request_duration_seconds Request latency by method and route template.",
            "# TYPE tandem_http_request_duration_seconds histogram",
        ]
        for (m, r), h in sorted(self.hist.items()):
            for i, b in enumerate(BUCKETS):
                lines.append(f'tandem_http_request_duration_seconds_bucket{{method="{m}",route="{r}",le="{b}"}} {h[i]}')
            lines.append(f'tandem_http_request_duration_seconds_bucket{{method="{m}",route="{r}",le="+Inf"}} {h[-1]}')
            lines.append(f'tandem_http_request_duration_seconds_sum{{method="{m}",route="{r}"}} {self.sums[(m, r)]:.6f}')
            lines.append(f'tandem_http_request_duration_seconds_count{{method="{m}",route="{r}"}} {h[-1]}')
        return lines

    def _counter_families(self) -> list[Family]:
        return [
            Family("tandem_background_job_runs", "Passes of each background job run by this process.", "counter",
                   [({"job": j}, n) for j, n in sorted(self.job_runs.items())]),
            Family("tandem_background_job_failures", "Passes of each background job that failed (logged by "
                   "error class).", "counter", [({"job": j}, self.job_failures.get(j, 0)) for j in sorted(self.job_runs)]),
            Family("tandem_webhook_delivery_attempts", "Webhook delivery attempts made by this process, by "
                   "outcome: delivered, retry (will be tried again), failed (given up).", "counter",
                   [({"outcome": o}, n) for o, n in sorted(self.delivery_attempts.items())]),
        ]

    def render(self, extra: Iterable[Family] = ()) -> str:
        with self._lock:
            lines = self._http_lines()
            families = self._counter_families()
        for fam in [*families, *process_families(), *extra]:
            lines += fam.render()
        return "\n".join(lines) + "\n"


def process_families() -> list[Family]:
    """What the Prometheus client's process collector reports, read from /proc where there is one."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    rss = usage.ru_maxrss * 1024.0
    vms = 0.0
    fds = 0.0
    try:
        with open("/proc/self/statm") as f:
            pages = f.read().split()
        page = os.sysconf("SC_PAGE_SIZE")
        vms, rss = float(pages[0]) * page, float(pages[1]) * page
        fds = float(len(os.listdir("/proc/self/fd")))
    except (OSError, ValueError, IndexError):
        pass
    return [
        Family("process_cpu_seconds", "User and system CPU time spent, seconds.", "counter",
               [({}, round(usage.ru_utime + usage.ru_stime, 3))]),
        Family("process_resident_memory_bytes", "Resident memory size, bytes.", "gauge", [({}, rss)]),
        Family("process_virtual_memory_bytes", "Virtual memory size, bytes.", "gauge", [({}, vms)]),
        Family("process_open_fds", "Open file descriptors.", "gauge", [({}, fds)]),
        Family("process_start_time_seconds", "Start time of the process, Unix seconds.", "gauge",
               [({}, round(_START, 3))]),
    ]


def pool_families(pool: Any) -> list[Family]:
    """The connection pool of this process: in use, idle, overflow and waiting (a queue pool; SQLite's
    pool reports what it has)."""

    def read(name: str) -> float:
        fn = getattr(pool, name, None)
        try:
            return float(fn()) if callable(fn) else 0.0
        except Exception:
            return 0.0

    waiting = 0.0
    try:  # coroutines parked on the pool's queue for a connection (AsyncAdaptedQueuePool)
        getters = pool._pool._queue._getters
        waiting = float(sum(1 for g in getters if not g.done()))
    except AttributeError:
        pass
    return [
        Family("tandem_db_pool_in_use", "Database connections checked out by this process.", "gauge",
               [({}, read("checkedout"))]),
        Family("tandem_db_pool_idle", "Idle database connections in this process's pool.", "gauge",
               [({}, read("checkedin"))]),
        Family("tandem_db_pool_size", "Configured pool size (TANDEM_DB_POOL_SIZE).", "gauge", [({}, read("size"))]),
        Family("tandem_db_pool_overflow", "Connections beyond the pool size in use (negative: unused slots).",
               "gauge", [({}, read("overflow"))]),
        Family("tandem_db_pool_waiting", "Requests waiting for a database connection in this process.", "gauge",
               [({}, waiting)]),
    ]


metrics = Metrics()
