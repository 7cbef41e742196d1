"""Authorization rows for pending role changes (admin and casework roles together need a second admin).

Only user managers (agency admins for their own agency, the platform admin for every agency) see and decide
them; another agency's change is 404. Each row gets a fresh change, asked for by another admin of the
target agency, so the actor is never its requester nor the user it concerns.
"""

from __future__ import annotations

from typing import Any

from tests.authz.matrix import Row, static
from tests.authz.scenario import Scenario

MANAGERS: dict[str, Any] = {"platform_admin": 200, "cps_admin": (200, 404, 404), "dv_admin": (200, 404, 404)}


async def _pending(scn: Scenario, actor: str, rel: str, suffix: str = "") -> tuple[str, Any]:
    agency = scn.target(actor, rel)
    casework = "cps_worker" if agency.kind == "cps" else "dv_advocate"
    requester = await scn.world.user(agency, "agency_admin")
    target = await scn.world.user(agency, "agency_admin")
    r = await scn.world.patch(requester, f"/api/v1/users/{target.id}", {"roles": ["agency_admin", casework]})
    assert r.status_code == 202, r.text
    return f"/api/v1/role-changes/{r.json()['id']}{suffix}", None


async def _get(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    return await _pending(scn, actor, rel)


async def _approve(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    return await _pending(scn, actor, rel, "/approve")


async def _reject(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    return await _pending(scn, actor, rel, "/reject")


ROWS: list[Row] = [
    Row("GET", "/api/v1/role-changes", static("/api/v1/role-changes"),
        {"platform_admin": 200, "cps_admin": 200, "dv_admin": 200}),
    Row("GET", "/api/v1/role-changes/{change_id}", _get, MANAGERS),
    Row("POST", "/api/v1/role-changes/{change_id}/approve", _approve, MANAGERS),
    Row("POST", "/api/v1/role-changes/{change_id}/reject", _reject, MANAGERS),
]
