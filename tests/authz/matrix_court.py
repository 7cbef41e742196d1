"""Authorization rows for court events: a court event is a record of its case, seen and changed only by the
holding agency's staff who see the case (404 for a partner or unrelated agency: only the disclosure rule releases
it); admin roles and auditors hold no record permission (403)."""

from __future__ import annotations

from typing import Any

from tests.authz.matrix import Row
from tests.authz.matrix_cases import CASEWORK, _case, _owner
from tests.authz.scenario import Scenario

BODY = {"court_kind": "dependency", "kind": "adjudication", "scheduled_for": "2026-03-02T16:00:00Z"}


async def _event(scn: Scenario, actor: str, rel: str) -> dict[str, Any]:
    async def build() -> dict[str, Any]:
        case = await _case(scn, actor, rel)
        owner = await _owner(scn, scn.target(actor, rel))
        r = await scn.world.post(owner, f"/api/v1/cases/{case['id']}/court-events", BODY)
        assert r.status_code == 201, r.text
        return r.json()

    return await scn.once(("court_event", actor, rel), build)


async def _create(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    return f"/api/v1/cases/{(await _case(scn, actor, rel))['id']}/court-events", BODY


async def _list(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    return f"/api/v1/cases/{(await _case(scn, actor, rel))['id']}/court-events", None


async def _get(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    return f"/api/v1/court-events/{(await _event(scn, actor, rel))['id']}", None


async def _patch(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    return f"/api/v1/court-events/{(await _event(scn, actor, rel))['id']}", {"outcome": "held"}


OWN = (200, 404, 404)

ROWS: list[Row] = [
    Row("POST", "/api/v1/cases/{case_id}/court-events", _create, dict.fromkeys(CASEWORK, (201, 404, 404))),
    Row("GET", "/api/v1/cases/{case_id}/court-events", _list, dict.fromkeys(CASEWORK, OWN)),
    Row("GET", "/api/v1/court-events/{event_id}", _get, dict.fromkeys(CASEWORK, OWN)),
    Row("PATCH", "/api/v1/court-events/{event_id}", _patch, dict.fromkeys(CASEWORK, OWN)),
]
