"""Authorization rows for child details (casework roles, own agency only; another agency's child is 404)."""

from __future__ import annotations

from typing import Any

from tests.authz.matrix import Row
from tests.authz.matrix_cases import CASEWORK, _fresh_case, _owner
from tests.authz.scenario import Scenario

CHILD = {"living_arrangement": {"kind": "with_survivor", "with_whom": ["survivor_parent"]},
         "school": {"name": "Matrix Elementary", "grade": "2"},
         "visitation": {"kind": "supervised", "supervisor_kind": "visitation_center", "schedule": "Saturdays"},
         "needs": {"codes": ["trauma_support"], "text": "Sleeps badly."}}
PREFERENCES = {"channels": ["text"], "safe_times": [{"weekdays": ["mon"], "start": "09:00", "end": "11:00"}],
               "timezone": "America/Chicago", "voicemail_ok": False, "code_word": "bluebird",
               "others_may_answer": "Her sister.", "ask_if_safe_first": True}


async def _fresh_person(scn: Scenario, actor: str, rel: str, **fields: Any) -> dict[str, Any]:
    case = await _fresh_case(scn, actor, rel)
    return await scn.world.person(await _owner(scn, scn.target(actor, rel)), case["id"], **fields)


async def _child(scn: Scenario, actor: str, rel: str) -> dict[str, Any]:
    async def build() -> dict[str, Any]:
        child = await _fresh_person(scn, actor, rel, case_role="child", full_name="Matrix Child")
        owner = await _owner(scn, scn.target(actor, rel))
        r = await scn.world.put(owner, f"/api/v1/people/{child['id']}/child-details", CHILD)
        assert r.status_code == 201, r.text
        return child

    return await scn.once(("child", actor, rel), build)


async def _child_put(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    child = await _fresh_person(scn, actor, rel, case_role="child", full_name="Matrix Child")
    return f"/api/v1/people/{child['id']}/child-details", CHILD


async def _child_get(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    return f"/api/v1/people/{(await _child(scn, actor, rel))['id']}/child-details", None


def _each(actors: tuple[str, ...], status: Any) -> dict[str, Any]:
    return dict.fromkeys(actors, status)


ROWS: list[Row] = [
    Row("PUT", "/api/v1/people/{person_id}/child-details", _child_put, _each(CASEWORK, (201, 404, 404))),
    Row("GET", "/api/v1/people/{person_id}/child-details", _child_get, _each(CASEWORK, (200, 404, 404))),
]
