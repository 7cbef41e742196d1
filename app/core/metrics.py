"""Prometheus text metrics: request counts and latency histograms by route template."""

from __future__ import annotations

import threading
from collections import defaultdict

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: dict[tuple[str, str, str], int] = defaultdict(int)
        self.hist: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0] * (len(BUCKETS) + 1))
        self.sums: dict[tuple[str, str], float] = defaultdict(float)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        with self._lock:
            self.requests[(method, route, str(status))] += 1
            h = self.hist[(method, route)]
            for i, b in enumerate(BUCKETS):
                if seconds <= b:
                    h[i] += 1
            h[-1] += 1
            self.sums[(method, route)] += seconds

    def render(self) -> str:
        lines = [
            "# HELP tandem_http_requests_total HTTP requests by method, route template and status.",
            "# TYPE tandem_http_requests_total counter",
        ]
        with self._lock:
            for (m, r, s), n in sorted(self.requests.items()):
                lines.append(f'tandem_http_requests_total{{method="{m}",route="{r}",status="{s}"}} {n}')
            lines += [
                "# HELP tandem_http_request_duration_seconds Request latency by method and route template.",
                "# TYPE tandem_http_request_duration_seconds histogram",
            ]
            for (m, r), h in sorted(self.hist.items()):
                for i, b in enumerate(BUCKETS):
                    lines.append(
                        f'tandem_http_request_duration_seconds_bucket{{method="{m}",route="{r}",le="{b}"}} {h[i]}'
                    )
                lines.append(f'tandem_http_request_duration_seconds_bucket{{method="{m}",route="{r}",le="+Inf"}} {h[-1]}')
                lines.append(f'tandem_http_request_duration_seconds_sum{{method="{m}",route="{r}"}} {self.sums[(m, r)]:.6f}')
                lines.append(f'tandem_http_request_duration_seconds_count{{method="{m}",route="{r}"}} {h[-1]}')
        return "\n".join(lines) + "\n"


metrics = Metrics()
