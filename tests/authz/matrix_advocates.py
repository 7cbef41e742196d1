"""Authorization rows for advocate assignments, the on-duty lookup and consultations.

Pairs: "home" is home_dv placed in home_cps offices (the scenario's agreement); "unrelated" is other_dv in
other_cps offices (an agreement of their own). Assignments here start in 2099, so nobody is on duty now and
consultations wait in the queue until a CPS supervisor of the case's agency routes them by name.
"""

from __future__ import annotations

import uuid
from typing import Any

from app.cases.models import CaseTeamMember
from app.core.db import sessionmaker
from app.identity.models import Agency
from tests.authz.matrix import Row, static
from tests.authz.scenario import ACTORS, Scenario

CASEWORK = ("cps_worker", "cps_supervisor", "dv_advocate", "dv_supervisor")
ASSIGNMENT_READERS = (*CASEWORK, "cps_admin", "dv_admin")
FAR = "2099-01-01"


def _pair(scn: Scenario, actor: str, rel: str) -> tuple[Agency, Agency]:
    """(DV agency, CPS agency) of the partnership the target object belongs to."""
    target = scn.target(actor, rel)
    home = target.id in (scn.agencies["home_dv"].id, scn.agencies["home_cps"].id)
    return (scn.agencies["home_dv"], scn.agencies["home_cps"]) if home else \
        (scn.agencies["other_dv"], scn.agencies["other_cps"])


async def _setup(scn: Scenario) -> None:
    await scn.once("adv-other-agreement", lambda: scn.agreement(scn.agencies["other_cps"], scn.agencies["other_dv"]))


async def _user(scn: Scenario, agency: Agency, role: str) -> Any:
    return await scn.once(("adv-user", agency.id, role), lambda: scn.world.user(agency, role))


async def _office(scn: Scenario, cps: Agency) -> Any:
    return await scn.once(("adv-office", cps.id), lambda: scn.world.office(cps))


async def _assign(scn: Scenario, dv: Agency, cps: Agency, advocate: Any = None) -> dict[str, Any]:
    """An assignment (starting in 2099) of `advocate` (default: a new one) of `dv` to the `cps` office."""
    await _setup(scn)
    advocate = advocate or await scn.world.user(dv, "dv_advocate")
    office = await _office(scn, cps)
    r = await scn.world.post(await _user(scn, dv, "dv_supervisor"), "/api/v1/advocate-assignments", {
        "advocate_id": str(advocate.id), "office_id": str(office.id), "weekdays": [0, 1, 2, 3, 4, 5, 6],
        "start_time": "09:00", "end_time": "17:00", "starts_on": FAR, "max_open_consultations": 5})
    assert r.status_code == 201, r.text
    return r.json()


async def _staffed_advocate(scn: Scenario, dv: Agency, cps: Agency, advocate: Any = None) -> Any:
    """An advocate of `dv` assigned to the `cps` office (the shared one unless `advocate` is given)."""
    advocate = advocate or await _user(scn, dv, "dv_advocate")
    await scn.once(("adv-assigned", advocate.id, cps.id), lambda: _assign(scn, dv, cps, advocate))
    return advocate


async def _consultation(scn: Scenario, actor: str, rel: str, state: str = "routed") -> dict[str, Any]:
    """A new consultation of the pair's CPS agency. For a CPS actor's own, the actor is on the case team; for
    the DV advocate's own, it is routed to her; otherwise to the pair's shared advocate."""
    await _setup(scn)
    dv, cps = _pair(scn, actor, rel)
    owner = await _user(scn, cps, "cps_worker")
    case = await scn.world.case(owner)
    if rel == "own" and ACTORS[actor][0] == "cps" and scn.actors[actor].id != owner.id:
        async with sessionmaker()() as s:
            s.add(CaseTeamMember(case_id=uuid.UUID(case["id"]), user_id=scn.actors[actor].id))
            await s.commit()
    office = await _office(scn, cps)
    r = await scn.world.post(owner, "/api/v1/consultations", {
        "case_id": case["id"], "office_id": str(office.id), "question": "Matrix question.", "urgency": "routine"})
    assert r.status_code == 201 and r.json()["status"] == "queued", r.text
    c = r.json()
    if state == "queued":
        return c
    mine = actor == "dv_advocate" and rel == "own"
    advocate = await _staffed_advocate(scn, dv, cps, scn.actors[actor] if mine else None)
    r = await scn.world.post(await _user(scn, cps, "cps_supervisor"), f"/api/v1/consultations/{c['id']}/route",
                             {"advocate_id": str(advocate.id)})
    assert r.status_code == 200, r.text
    if state == "accepted":
        r = await scn.world.post(advocate, f"/api/v1/consultations/{c['id']}/accept")
        assert r.status_code == 200, r.text
    return r.json()


# ------------------------------------------------------------------ request builders


async def _assignment_create(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    """A new user of the target agency (an advocate when it is a DV agency) into the home CPS office."""
    await _setup(scn)
    target = scn.target(actor, rel)
    user = await scn.world.user(target, "dv_advocate" if target.kind == "dv" else "cps_worker")
    office = await _office(scn, scn.agencies["home_cps"])
    return "/api/v1/advocate-assignments", {
        "advocate_id": str(user.id), "office_id": str(office.id), "weekdays": [0], "start_time": "09:00",
        "end_time": "12:00", "starts_on": FAR, "max_open_consultations": 2}


async def _assignment_get(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    dv, cps = _pair(scn, actor, rel)
    a = await scn.once(("adv-assignment", dv.id), lambda: _assign(scn, dv, cps))
    return f"/api/v1/advocate-assignments/{a['id']}", None


async def _assignment_end(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    dv, cps = _pair(scn, actor, rel)
    return f"/api/v1/advocate-assignments/{(await _assign(scn, dv, cps))['id']}/end", None


async def _on_duty(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    dv, cps = _pair(scn, actor, rel)
    await _staffed_advocate(scn, dv, cps)
    return f"/api/v1/offices/{(await _office(scn, cps)).id}/on-duty", None


async def _open(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    """A case of the target agency (the actor on its team for "own") at the home CPS office."""
    target = scn.target(actor, rel)
    owner = await _user(scn, target, "cps_worker" if target.kind == "cps" else "dv_advocate")
    case = await scn.world.case(owner)
    if rel == "own" and scn.actors[actor].id != owner.id and ACTORS[actor][0] == target.kind:
        async with sessionmaker()() as s:
            s.add(CaseTeamMember(case_id=uuid.UUID(case["id"]), user_id=scn.actors[actor].id))
            await s.commit()
    cps = target if target.kind == "cps" else scn.agencies["home_cps"]
    office = await _office(scn, cps)
    return "/api/v1/consultations", {"case_id": case["id"], "office_id": str(office.id), "question": "Matrix?",
                                     "urgency": "urgent"}


async def _get(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    c = await scn.once(("adv-consultation", actor, rel), lambda: _consultation(scn, actor, rel))
    return f"/api/v1/consultations/{c['id']}", None


async def _route(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    dv, cps = _pair(scn, actor, rel)
    c = await _consultation(scn, actor, rel, "queued")
    advocate = await _staffed_advocate(scn, dv, cps)
    return f"/api/v1/consultations/{c['id']}/route", {"advocate_id": str(advocate.id)}


async def _accept(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    return f"/api/v1/consultations/{(await _consultation(scn, actor, rel))['id']}/accept", None


async def _respond(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    c = await _consultation(scn, actor, rel, "accepted")
    return f"/api/v1/consultations/{c['id']}/respond", {"advice": "Matrix advice.", "suggested_checklist_items": []}


async def _close(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    return f"/api/v1/consultations/{(await _consultation(scn, actor, rel))['id']}/close", None


ROWS: list[Row] = [
    Row("POST", "/api/v1/advocate-assignments", _assignment_create,
        # only a DV agency places its own advocates; a CPS admin holds the permission but is no DV agency
        {"dv_admin": (201, 404, 404), "dv_supervisor": (201, 404, 404)}),
    Row("GET", "/api/v1/advocate-assignments", static("/api/v1/advocate-assignments"),
        dict.fromkeys(ASSIGNMENT_READERS, 200)),
    Row("GET", "/api/v1/advocate-assignments/{assignment_id}", _assignment_get,
        dict.fromkeys(ASSIGNMENT_READERS, (200, 200, 404))),
    Row("POST", "/api/v1/advocate-assignments/{assignment_id}/end", _assignment_end,
        {"dv_admin": (200, 200, 404), "dv_supervisor": (200, 200, 404), "cps_admin": (403, 403, 404)}),
    Row("GET", "/api/v1/offices/{office_id}/on-duty", _on_duty, dict.fromkeys(CASEWORK, (200, 200, 404))),
    Row("POST", "/api/v1/consultations", _open, {"cps_worker": (201, 404, 404), "cps_supervisor": (201, 404, 404)}),
    Row("GET", "/api/v1/consultations", static("/api/v1/consultations"), dict.fromkeys(CASEWORK, 200)),
    Row("GET", "/api/v1/consultations/{consultation_id}", _get,
        {"cps_worker": (200, 404, 404), "cps_supervisor": (200, 200, 404), "dv_advocate": (200, 404, 404),
         "dv_supervisor": (200, 200, 404)}),
    Row("POST", "/api/v1/consultations/{consultation_id}/route", _route, {"cps_supervisor": (200, 200, 404)}),
    Row("POST", "/api/v1/consultations/{consultation_id}/accept", _accept,
        {"dv_advocate": (200, 404, 404), "dv_supervisor": (403, 403, 404)}),
    Row("POST", "/api/v1/consultations/{consultation_id}/respond", _respond,
        {"dv_advocate": (200, 404, 404), "dv_supervisor": (403, 403, 404)}),
    Row("POST", "/api/v1/consultations/{consultation_id}/close", _close,
        {"cps_worker": (200, 404, 404), "cps_supervisor": (200, 200, 404), "dv_advocate": (200, 404, 404),
         "dv_supervisor": (200, 200, 404)}),
]
