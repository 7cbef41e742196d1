"""Authorization rows for case notes (casework roles, own agency only; another agency's note is 404)."""

from __future__ import annotations

from typing import Any

from tests.authz.matrix import Row
from tests.authz.matrix_cases import CASEWORK, _case, _owner
from tests.authz.scenario import Scenario


async def _notes(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    return f"/api/v1/cases/{(await _case(scn, actor, rel))['id']}/notes", None


async def _note_post(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    return f"/api/v1/cases/{(await _case(scn, actor, rel))['id']}/notes", {"text": "Seen at home.",
                                                                          "audience": "own_agency"}


async def _fresh_note(scn: Scenario, actor: str, rel: str) -> dict[str, Any]:
    case = await _case(scn, actor, rel)
    r = await scn.world.post(await _owner(scn, scn.target(actor, rel)), f"/api/v1/cases/{case['id']}/notes",
                             {"text": "Matrix note.", "audience": "own_agency"})
    assert r.status_code == 201, r.text
    return r.json()


async def _note_get(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    note = await scn.once(("note", actor, rel), lambda: _fresh_note(scn, actor, rel))
    return f"/api/v1/notes/{note['id']}", None


async def _note_patch(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    return f"/api/v1/notes/{(await _fresh_note(scn, actor, rel))['id']}", {"text": "Changed."}


def _each(actors: tuple[str, ...], status: Any) -> dict[str, Any]:
    return dict.fromkeys(actors, status)


ROWS: list[Row] = [
    Row("POST", "/api/v1/cases/{case_id}/notes", _note_post, _each(CASEWORK, (201, 404, 404))),
    Row("GET", "/api/v1/cases/{case_id}/notes", _notes, _each(CASEWORK, (200, 404, 404))),
    Row("GET", "/api/v1/notes/{note_id}", _note_get, _each(CASEWORK, (200, 404, 404))),
    Row("PATCH", "/api/v1/notes/{note_id}", _note_patch, _each(CASEWORK, (200, 404, 404))),
]
