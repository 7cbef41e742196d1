"""Authorization rows for the audit trail.

The trail is read by agency admins and auditors, each for their own agency only (the list is filtered in
its query, so there is no object of another relation to ask for); verification covers the whole chain and
reveals only the caller's own agency's event count and newest hash. One caller verifies at most once per
TANDEM_AUDIT_VERIFY_MIN_INTERVAL_SECONDS: the row calls it once per relation, so the second and third calls
are 429. Casework staff and the platform admin hold no audit permission.
"""

from __future__ import annotations

from tests.authz.matrix import Row, static

AUDIT_READERS = ("cps_admin", "dv_admin", "auditor")

ROWS: list[Row] = [
    Row("GET", "/api/v1/audit-events", static("/api/v1/audit-events"), dict.fromkeys(AUDIT_READERS, 200)),
    Row("GET", "/api/v1/audit-events/verify", static("/api/v1/audit-events/verify"),
        dict.fromkeys(AUDIT_READERS, (200, 429, 429))),
]
