"""Authorization rows for checklist templates, checklists on cases and juncture records."""

from __future__ import annotations

import uuid
from typing import Any

from app.cases.models import CaseTeamMember
from app.checklists.defaults import DEFAULT_TEMPLATES, Juncture
from app.core.db import sessionmaker
from tests.authz.matrix import Row, everyone, static
from tests.authz.scenario import Scenario

WORKERS = ("cps_worker", "cps_supervisor", "dv_advocate", "dv_supervisor")
PUBLISHERS = ("cps_admin", "dv_admin", "cps_supervisor", "dv_supervisor")
CLOSURE_ITEMS = [dict(i) for i in DEFAULT_TEMPLATES[Juncture.closure]]
KEY = CLOSURE_ITEMS[0]["key"]


async def _owner(scn: Scenario, actor: str, rel: str) -> Any:
    """A casework user of the target agency, who owns the cases built for that agency."""
    agency = scn.target(actor, rel)
    role = "cps_worker" if agency.kind == "cps" else "dv_advocate"
    return await scn.once(("checklist-owner", agency.id), lambda: scn.world.user(agency, role))


async def _case(scn: Scenario, actor: str, rel: str, fresh: bool = False) -> dict[str, Any]:
    """A case of the target agency; for "own", the actor is on its team."""
    owner = await _owner(scn, actor, rel)

    async def build() -> dict[str, Any]:
        case = await scn.world.case(owner)
        if rel == "own" and scn.actors[actor].id != owner.id:
            async with sessionmaker()() as s:
                s.add(CaseTeamMember(case_id=uuid.UUID(case["id"]), user_id=scn.actors[actor].id))
                await s.commit()
        return case

    if fresh:
        return await build()
    return await scn.once(("checklist-case", actor, rel), build)


async def _checklist(scn: Scenario, actor: str, rel: str, fresh: bool = False) -> dict[str, Any]:
    owner = await _owner(scn, actor, rel)
    case = await _case(scn, actor, rel)

    async def build() -> dict[str, Any]:
        r = await scn.world.post(owner, f"/api/v1/cases/{case['id']}/checklists", {"juncture": "closure"})
        assert r.status_code == 201, r.text
        return r.json()

    if fresh:
        return await build()
    return await scn.once(("checklist", actor, rel), build)


async def _start(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    case = await _case(scn, actor, rel)
    return f"/api/v1/cases/{case['id']}/checklists", {"juncture": "intake"}


async def _list(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    case = await _case(scn, actor, rel)
    return f"/api/v1/cases/{case['id']}/checklists", None


async def _get(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    return f"/api/v1/checklists/{(await _checklist(scn, actor, rel))['id']}", None


async def _patch(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    return f"/api/v1/checklists/{(await _checklist(scn, actor, rel))['id']}/items/{KEY}", {"status": "done"}


async def _note(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    return (f"/api/v1/checklists/{(await _checklist(scn, actor, rel))['id']}/items/{KEY}/notes",
            {"text": "Matrix note."})


async def _complete(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    return f"/api/v1/checklists/{(await _checklist(scn, actor, rel, fresh=True))['id']}/complete", None


async def _juncture(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    """A case whose closure checklist is completed, so recording the closure is allowed."""
    owner = await _owner(scn, actor, rel)

    async def build() -> dict[str, Any]:
        case = await _case(scn, actor, rel, fresh=True)
        r = await scn.world.post(owner, f"/api/v1/cases/{case['id']}/checklists", {"juncture": "closure"})
        assert r.status_code == 201, r.text
        r = await scn.world.post(owner, f"/api/v1/checklists/{r.json()['id']}/complete")
        assert r.status_code == 200, r.text
        return case

    case = await scn.once(("juncture-case", actor, rel), build)
    return f"/api/v1/cases/{case['id']}/junctures", {"juncture": "closure", "scheduled_for": "2026-12-01T15:00:00Z"}


async def _junctures(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    case = await _case(scn, actor, rel)
    return f"/api/v1/cases/{case['id']}/junctures", None


ROWS: list[Row] = [
    Row("GET", "/api/v1/checklist-templates", static("/api/v1/checklist-templates"),
        {**everyone(200), "platform_admin": 403, "auditor": 403}),
    Row("POST", "/api/v1/checklist-templates",
        static("/api/v1/checklist-templates", {"juncture": "closure", "items": CLOSURE_ITEMS}),
        dict.fromkeys(PUBLISHERS, 201)),
    Row("POST", "/api/v1/cases/{case_id}/checklists", _start, dict.fromkeys(WORKERS, (201, 404, 404))),
    Row("GET", "/api/v1/cases/{case_id}/checklists", _list, dict.fromkeys(WORKERS, (200, 404, 404))),
    Row("GET", "/api/v1/checklists/{checklist_id}", _get, dict.fromkeys(WORKERS, (200, 404, 404))),
    Row("PATCH", "/api/v1/checklists/{checklist_id}/items/{key}", _patch, dict.fromkeys(WORKERS, (200, 404, 404))),
    Row("POST", "/api/v1/checklists/{checklist_id}/items/{key}/notes", _note,
        dict.fromkeys(WORKERS, (201, 404, 404))),
    Row("POST", "/api/v1/checklists/{checklist_id}/complete", _complete, dict.fromkeys(WORKERS, (200, 404, 404))),
    Row("POST", "/api/v1/cases/{case_id}/junctures", _juncture,
        {"cps_worker": (201, 404, 404), "cps_supervisor": (201, 404, 404)}),
    Row("GET", "/api/v1/cases/{case_id}/junctures", _junctures, dict.fromkeys(WORKERS, (200, 404, 404))),
]
