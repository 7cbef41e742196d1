"""Authorization rows for treatment participation (a casework record of a person), as for services: "own" is
a person of the actor's agency on its team, "partner" and "unrelated" are 404; admin roles and auditors 403."""

from __future__ import annotations

from typing import Any

from tests.authz.matrix import Row
from tests.authz.matrix_cases import CASEWORK, _each, _person
from tests.authz.matrix_services import OWN_READ, _record
from tests.authz.scenario import Scenario

TREATMENT = {"domain": "mental_health", "program_kind": "outpatient", "status": "enrolled",
             "started_on": "2026-10-01"}


async def _treatment_create(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    return f"/api/v1/people/{(await _person(scn, actor, rel))['id']}/treatment", TREATMENT


async def _treatments(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    return f"/api/v1/people/{(await _person(scn, actor, rel))['id']}/treatment", None


async def _treatment_get(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    return f"/api/v1/treatment/{(await _record(scn, actor, rel, 'treatment', TREATMENT))['id']}", None


async def _treatment_patch(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    row = await _record(scn, actor, rel, "treatment", TREATMENT)
    return f"/api/v1/treatment/{row['id']}", {"status": "active"}


ROWS: list[Row] = [
    Row("POST", "/api/v1/people/{person_id}/treatment", _treatment_create, _each(CASEWORK, (201, 404, 404))),
    Row("GET", "/api/v1/people/{person_id}/treatment", _treatments, _each(CASEWORK, OWN_READ)),
    Row("GET", "/api/v1/treatment/{treatment_id}", _treatment_get, _each(CASEWORK, OWN_READ)),
    Row("PATCH", "/api/v1/treatment/{treatment_id}", _treatment_patch, _each(CASEWORK, OWN_READ)),
]
