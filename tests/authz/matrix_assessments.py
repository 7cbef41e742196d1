"""Authorization rows for assessments: seen and changed only by the holding agency's staff who see the case (404
for a partner or unrelated agency: only the disclosure rule releases them); admin roles and auditors hold no
record permission (403)."""

from __future__ import annotations

from typing import Any

from tests.authz.matrix import Row
from tests.authz.matrix_cases import CASEWORK, _owner, _person
from tests.authz.scenario import Scenario

BODY = {"instrument": "danger_assessment", "administered_at": "2026-01-05T15:00:00Z",
        "result_level": "severe_danger"}


async def _assessment(scn: Scenario, actor: str, rel: str) -> dict[str, Any]:
    async def build() -> dict[str, Any]:
        person = await _person(scn, actor, rel)
        owner = await _owner(scn, scn.target(actor, rel))
        r = await scn.world.post(owner, f"/api/v1/people/{person['id']}/assessments", BODY)
        assert r.status_code == 201, r.text
        return r.json()

    return await scn.once(("assessment", actor, rel), build)


async def _create(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    return f"/api/v1/people/{(await _person(scn, actor, rel))['id']}/assessments", BODY


async def _list(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    return f"/api/v1/people/{(await _person(scn, actor, rel))['id']}/assessments", None


async def _get(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    return f"/api/v1/assessments/{(await _assessment(scn, actor, rel))['id']}", None


async def _patch(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    return f"/api/v1/assessments/{(await _assessment(scn, actor, rel))['id']}", {"result_level": "extreme_danger"}


OWN = (200, 404, 404)

ROWS: list[Row] = [
    Row("POST", "/api/v1/people/{person_id}/assessments", _create, dict.fromkeys(CASEWORK, (201, 404, 404))),
    Row("GET", "/api/v1/people/{person_id}/assessments", _list, dict.fromkeys(CASEWORK, OWN)),
    Row("GET", "/api/v1/assessments/{assessment_id}", _get, dict.fromkeys(CASEWORK, OWN)),
    Row("PATCH", "/api/v1/assessments/{assessment_id}", _patch, dict.fromkeys(CASEWORK, OWN)),
]
