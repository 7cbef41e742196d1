"""Authorization rows for protective orders: like the case they belong to, an order is seen and changed only by
the holding agency's staff who see the case (404 for a partner or unrelated agency: only the disclosure rule
releases it); admin roles and auditors hold no record permission (403)."""

from __future__ import annotations

from typing import Any

from tests.authz.matrix import Row
from tests.authz.matrix_cases import CASEWORK, _owner, _person
from tests.authz.scenario import Scenario

BODY = {"kind": "temporary", "issued_on": "2026-01-05", "terms": [{"code": "stay_away", "distance_feet": 300}]}


async def _order(scn: Scenario, actor: str, rel: str) -> dict[str, Any]:
    async def build() -> dict[str, Any]:
        person = await _person(scn, actor, rel)
        owner = await _owner(scn, scn.target(actor, rel))
        r = await scn.world.post(owner, f"/api/v1/people/{person['id']}/protective-orders", BODY)
        assert r.status_code == 201, r.text
        return r.json()

    return await scn.once(("protective_order", actor, rel), build)


async def _create(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    return f"/api/v1/people/{(await _person(scn, actor, rel))['id']}/protective-orders", BODY


async def _list(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    return f"/api/v1/people/{(await _person(scn, actor, rel))['id']}/protective-orders", None


async def _get(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    return f"/api/v1/protective-orders/{(await _order(scn, actor, rel))['id']}", None


async def _patch(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    return f"/api/v1/protective-orders/{(await _order(scn, actor, rel))['id']}", {"service_status": "served"}


OWN = (200, 404, 404)

ROWS: list[Row] = [
    Row("POST", "/api/v1/people/{person_id}/protective-orders", _create, dict.fromkeys(CASEWORK, (201, 404, 404))),
    Row("GET", "/api/v1/people/{person_id}/protective-orders", _list, dict.fromkeys(CASEWORK, OWN)),
    Row("GET", "/api/v1/protective-orders/{order_id}", _get, dict.fromkeys(CASEWORK, OWN)),
    Row("PATCH", "/api/v1/protective-orders/{order_id}", _patch, dict.fromkeys(CASEWORK, OWN)),
]
