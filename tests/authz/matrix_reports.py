"""Authorization rows for aggregate reports: they cover the caller's own agency only, so the relation does
not change the answer; readers are agency admins, auditors and supervisors."""

from __future__ import annotations

from tests.authz.matrix import Row, static

READERS = ("cps_admin", "dv_admin", "auditor", "cps_supervisor", "dv_supervisor")

ROWS: list[Row] = [
    Row("GET", "/api/v1/reports/dv-caseload", static("/api/v1/reports/dv-caseload?group_by=office"),
        dict.fromkeys(READERS, 200)),
    Row("GET", "/api/v1/reports/collaboration", static("/api/v1/reports/collaboration"),
        dict.fromkeys(READERS, 200)),
    Row("GET", "/api/v1/reports/dv-measures", static("/api/v1/reports/dv-measures"),
        dict.fromkeys(READERS, 200)),
    Row("GET", "/api/v1/reports/services-on-day-one", static("/api/v1/reports/services-on-day-one"),
        dict.fromkeys(READERS, 200)),
]
