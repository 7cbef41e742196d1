"""Authorization rows for services (a casework record of a person).

Relative to an actor: "own" is a person in a case of its agency with the actor on the team, "partner" one of the
partner agency, "unrelated" one of the unrelated agency of the actor's kind. Records never cross an agency
boundary (only the disclosure rule releases them), so both other relations are 404. Admin roles and auditors
hold no record permission (403).
"""

from __future__ import annotations

from typing import Any

from tests.authz.matrix import Row
from tests.authz.matrix_cases import CASEWORK, _each, _owner, _person
from tests.authz.scenario import Scenario

SERVICE = {"kind": "counselling", "provider_name": "Matrix Counselling", "status": "referred",
           "referred_at": "2026-11-02T09:00:00Z", "barriers": ["transport"]}


async def _record(scn: Scenario, actor: str, rel: str, what: str, body: dict[str, Any]) -> dict[str, Any]:
    """A record of the target agency's person, made by that agency's own staff."""
    async def build() -> dict[str, Any]:
        person = await _person(scn, actor, rel)
        owner = await _owner(scn, scn.target(actor, rel))
        r = await scn.world.post(owner, f"/api/v1/people/{person['id']}/{what}", body)
        assert r.status_code == 201, r.text
        return r.json()

    return await scn.once((what, actor, rel), build)


async def _service_create(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    return f"/api/v1/people/{(await _person(scn, actor, rel))['id']}/services", SERVICE


async def _services(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    return f"/api/v1/people/{(await _person(scn, actor, rel))['id']}/services", None


async def _service_get(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    return f"/api/v1/services/{(await _record(scn, actor, rel, 'services', SERVICE))['id']}", None


async def _service_patch(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    service = await _record(scn, actor, rel, "services", SERVICE)
    return f"/api/v1/services/{service['id']}", {"status": "contacted", "first_contact_at": "2026-11-03T09:00:00Z"}


OWN_READ = (200, 404, 404)

ROWS: list[Row] = [
    Row("POST", "/api/v1/people/{person_id}/services", _service_create, _each(CASEWORK, (201, 404, 404))),
    Row("GET", "/api/v1/people/{person_id}/services", _services, _each(CASEWORK, OWN_READ)),
    Row("GET", "/api/v1/services/{service_id}", _service_get, _each(CASEWORK, OWN_READ)),
    Row("PATCH", "/api/v1/services/{service_id}", _service_patch, _each(CASEWORK, OWN_READ)),
]
