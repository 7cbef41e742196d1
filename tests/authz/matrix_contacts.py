"""Authorization rows for safe contact: preferences and contact attempts (casework roles, own agency only)."""

from __future__ import annotations

from typing import Any

from tests.authz.matrix import Row
from tests.authz.matrix_cases import CASEWORK, _fresh_case, _owner, _person
from tests.authz.scenario import Scenario

PREFERENCES = {"channels": ["text"], "safe_times": [{"weekdays": ["mon"], "start": "09:00", "end": "11:00"}],
               "timezone": "America/Chicago", "voicemail_ok": False, "code_word": "bluebird",
               "others_may_answer": "Her sister.", "ask_if_safe_first": True}


async def _fresh_person(scn: Scenario, actor: str, rel: str, **fields: Any) -> dict[str, Any]:
    case = await _fresh_case(scn, actor, rel)
    return await scn.world.person(await _owner(scn, scn.target(actor, rel)), case["id"], **fields)


async def _preferences_put(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    person = await _fresh_person(scn, actor, rel)
    return f"/api/v1/people/{person['id']}/contact-preferences", PREFERENCES


async def _preferences_get(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    # the matrix person has safe-contact instructions: the preferences answer with them before any PUT
    return f"/api/v1/people/{(await _person(scn, actor, rel))['id']}/contact-preferences", None


async def _attempt_post(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    return (f"/api/v1/people/{(await _person(scn, actor, rel))['id']}/contact-attempts",
            {"channel": "text", "reached": True})


async def _attempts(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    return f"/api/v1/people/{(await _person(scn, actor, rel))['id']}/contact-attempts", None


def _each(actors: tuple[str, ...], status: Any) -> dict[str, Any]:
    return dict.fromkeys(actors, status)


ROWS: list[Row] = [
    Row("PUT", "/api/v1/people/{person_id}/contact-preferences", _preferences_put,
        _each(CASEWORK, (201, 404, 404))),
    Row("GET", "/api/v1/people/{person_id}/contact-preferences", _preferences_get,
        _each(CASEWORK, (200, 404, 404))),
    Row("POST", "/api/v1/people/{person_id}/contact-attempts", _attempt_post, _each(CASEWORK, (201, 404, 404))),
    Row("GET", "/api/v1/people/{person_id}/contact-attempts", _attempts, _each(CASEWORK, (200, 404, 404))),
]
