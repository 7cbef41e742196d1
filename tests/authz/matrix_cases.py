"""Authorization rows for cases, the case team and the people in a case.

Relative to an actor: "own" is a case of its agency with the actor on the team, "partner" a case of the
partner agency (of the other kind, with an agreement in force), "unrelated" a case of the unrelated agency
of the actor's kind. Nothing of a case crosses an agency boundary here (only the disclosure rule releases
information about a person), so both other relations are 404. Admin roles read no case data (403).
"""

from __future__ import annotations

import uuid
from typing import Any

from app.cases.models import CaseTeamMember, PersonLink
from app.core.db import sessionmaker
from tests.authz.matrix import Row, static
from tests.authz.scenario import Scenario, uid

CASEWORK = ("cps_worker", "cps_supervisor", "dv_advocate", "dv_supervisor")
SUPERVISORS = ("cps_supervisor", "dv_supervisor")


def _casework_role(agency: Any) -> str:
    return "cps_worker" if agency.kind == "cps" else "dv_advocate"


async def _owner(scn: Scenario, agency: Any) -> Any:
    """A casework user of `agency` who opens the cases built for it."""
    return await scn.once(("case-owner", agency.id), lambda: scn.world.user(agency, _casework_role(agency)))


async def _join(case_id: Any, user_id: uuid.UUID) -> None:
    async with sessionmaker()() as s:
        s.add(CaseTeamMember(case_id=uuid.UUID(str(case_id)), user_id=user_id))
        await s.commit()


async def _fresh_case(scn: Scenario, actor: str, rel: str) -> dict[str, Any]:
    """A new case of the target agency; for "own", the actor is on its team."""
    owner = await _owner(scn, scn.target(actor, rel))
    case = await scn.world.case(owner, dv_indicators=["allegation"])
    if rel == "own" and scn.actors[actor].id != owner.id:
        await _join(case["id"], scn.actors[actor].id)
    return case


async def _case(scn: Scenario, actor: str, rel: str) -> dict[str, Any]:
    return await scn.once(("case", actor, rel), lambda: _fresh_case(scn, actor, rel))


async def _person(scn: Scenario, actor: str, rel: str) -> dict[str, Any]:
    async def build() -> dict[str, Any]:
        case = await _case(scn, actor, rel)
        return await scn.world.person(await _owner(scn, scn.target(actor, rel)), case["id"],
                                      contact={"phone": "+1 555 0100"}, safe_contact_instructions="Text only.")

    return await scn.once(("person", actor, rel), build)


# ------------------------------------------------------------------ request builders


async def _case_get(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    return f"/api/v1/cases/{(await _case(scn, actor, rel))['id']}", None


async def _case_patch(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    case = await _fresh_case(scn, actor, rel)
    return f"/api/v1/cases/{case['id']}", {"dv_indicators": ["allegation", "risk_factor"]}


async def _team(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    return f"/api/v1/cases/{(await _case(scn, actor, rel))['id']}/team", None


async def _team_add(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    """A new casework user of the case's own agency, onto a case of the target agency."""
    agency = scn.target(actor, rel)
    case = await _fresh_case(scn, actor, rel)
    user = await scn.world.user(agency, _casework_role(agency))
    return f"/api/v1/cases/{case['id']}/team/{user.id}", None


async def _team_remove(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    """A member of the case's own agency who is on a case of the target agency."""
    agency = scn.target(actor, rel)
    case = await _fresh_case(scn, actor, rel)
    user = await scn.world.user(agency, _casework_role(agency))
    await _join(case["id"], user.id)
    return f"/api/v1/cases/{case['id']}/team/{user.id}", None


async def _person_create(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    case = await _case(scn, actor, rel)
    return f"/api/v1/cases/{case['id']}/people", {
        "case_role": "child", "full_name": "Matrix Child", "date_of_birth": "2018-04-02",
        "race_ethnicity": ["declined"], "language": "en"}


async def _people(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    return f"/api/v1/cases/{(await _case(scn, actor, rel))['id']}/people", None


async def _person_get(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    return f"/api/v1/people/{(await _person(scn, actor, rel))['id']}", None


async def _person_patch(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    return f"/api/v1/people/{(await _person(scn, actor, rel))['id']}", {"language": "es"}


async def _far_person(scn: Scenario) -> dict[str, Any]:
    """A person of an agency no actor belongs to or partners with: the far side of the links below."""
    async def build() -> dict[str, Any]:
        agency = await scn.world.agency("dv")
        owner = await _owner(scn, agency)
        case = await scn.world.case(owner)
        return await scn.world.person(owner, case["id"])
    return await scn.once("link-far-person", build)


async def _link(scn: Scenario, actor: str, rel: str) -> uuid.UUID:
    """A new active link from the target agency's person to the far person."""
    person, far = await _person(scn, actor, rel), await _far_person(scn)
    link = PersonLink(person_id=uuid.UUID(far["id"]), agency_id=uuid.UUID(far["agency_id"]),
                      linked_person_id=uuid.UUID(person["id"]), linked_agency_id=uuid.UUID(person["agency_id"]))
    async with sessionmaker()() as s:
        s.add(link)
        await s.commit()
    return link.id


async def _links(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    return f"/api/v1/people/{(await _person(scn, actor, rel))['id']}/links", None


async def _link_end(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    return f"/api/v1/person-links/{await _link(scn, actor, rel)}", None


async def _close(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    """A new case of the target agency, closed with an override (no closure checklist): a supervisor's call."""
    case = await _fresh_case(scn, actor, rel)
    return f"/api/v1/cases/{case['id']}/close", {"reason": "other", "override_reason": "Matrix override."}


def _each(actors: tuple[str, ...], status: Any) -> dict[str, Any]:
    return dict.fromkeys(actors, status)


OWN = (200, 404, 404)

ROWS: list[Row] = [
    # A case always belongs to the creator's agency, so there is no other relation to create one in.
    Row("POST", "/api/v1/cases", static("/api/v1/cases", {"reference": f"M-{uid()}", "dv_indicators": ["allegation"]}),
        _each(CASEWORK, 201)),
    Row("GET", "/api/v1/cases", static("/api/v1/cases"), _each(CASEWORK, 200)),
    Row("GET", "/api/v1/cases/{case_id}", _case_get, _each(CASEWORK, OWN)),
    Row("PATCH", "/api/v1/cases/{case_id}", _case_patch, _each(CASEWORK, OWN)),
    Row("GET", "/api/v1/cases/{case_id}/team", _team, _each(CASEWORK, OWN)),
    # Workers see the case but may not change its team: the permission (case:team_manage) is supervisors'.
    Row("POST", "/api/v1/cases/{case_id}/team/{user_id}", _team_add, _each(SUPERVISORS, (201, 404, 404))),
    Row("DELETE", "/api/v1/cases/{case_id}/team/{user_id}", _team_remove, _each(SUPERVISORS, (204, 404, 404))),
    Row("POST", "/api/v1/cases/{case_id}/people", _person_create, _each(CASEWORK, (201, 404, 404))),
    Row("GET", "/api/v1/cases/{case_id}/people", _people, _each(CASEWORK, OWN)),
    Row("GET", "/api/v1/people/{person_id}", _person_get, _each(CASEWORK, OWN)),
    Row("PATCH", "/api/v1/people/{person_id}", _person_patch, _each(CASEWORK, OWN)),
    Row("GET", "/api/v1/people/{person_id}/links", _links, _each(CASEWORK, OWN)),
    Row("DELETE", "/api/v1/person-links/{link_id}", _link_end, _each(CASEWORK, (204, 404, 404))),
    Row("POST", "/api/v1/cases/{case_id}/close", _close,
        {**_each(("cps_worker", "dv_advocate"), (403, 404, 404)), **_each(SUPERVISORS, (200, 404, 404))}),
]
