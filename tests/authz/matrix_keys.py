"""Authorization rows for an agency's key: its own admins and the platform admin see it; only the agency's own
admin moves it at once or approves a change the platform admin asked for. Another agency's key is 404."""

from __future__ import annotations

import uuid
from typing import Any

from app.core.db import sessionmaker
from app.keys.models import KeyChange
from tests.authz.matrix import Row, static
from tests.authz.scenario import Scenario

MANAGERS: dict[str, Any] = {"platform_admin": 200, "cps_admin": (200, 404, 404), "dv_admin": (200, 404, 404)}


def _new_kek() -> str:
    return f"kek-{uuid.uuid4().hex[:16]}"


async def _key(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    return f"/api/v1/agencies/{scn.target(actor, rel).id}/key", None


async def _request(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    # The platform admin's request stays pending: a fresh agency each time, so none waits already.
    agency = await scn.world.agency() if actor == "platform_admin" else scn.target(actor, rel)
    return f"/api/v1/agencies/{agency.id}/key-changes", {"provider": "local", "key_id": _new_kek()}


async def _pending(scn: Scenario, actor: str, rel: str, suffix: str = "") -> tuple[str, Any]:
    agency = scn.target(actor, rel)
    async with sessionmaker()() as s:
        change = KeyChange(agency_id=agency.id, provider="local", kek_id=_new_kek(), requested_by="user:matrix")
        s.add(change)
        await s.commit()
    return f"/api/v1/key-changes/{change.id}{suffix}", None


async def _get(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    return await _pending(scn, actor, rel)


async def _approve(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    return await _pending(scn, actor, rel, "/approve")


async def _reject(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    return await _pending(scn, actor, rel, "/reject")


ROWS: list[Row] = [
    Row("GET", "/api/v1/agencies/{agency_id}/key", _key, MANAGERS),
    Row("POST", "/api/v1/agencies/{agency_id}/key-changes", _request,
        {"platform_admin": 202, "cps_admin": (201, 404, 404), "dv_admin": (201, 404, 404)}),
    Row("GET", "/api/v1/key-changes", static("/api/v1/key-changes"),
        {"platform_admin": 200, "cps_admin": 200, "dv_admin": 200}),
    Row("GET", "/api/v1/key-changes/{change_id}", _get, MANAGERS),
    Row("POST", "/api/v1/key-changes/{change_id}/approve", _approve,
        {"platform_admin": 403, "cps_admin": (200, 404, 404), "dv_admin": (200, 404, 404)}),
    Row("POST", "/api/v1/key-changes/{change_id}/reject", _reject, MANAGERS),
]
