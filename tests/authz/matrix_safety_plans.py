"""Authorization rows for safety-plan summaries: the DV agency's record (a CPS caller on its own person is 403;
another agency's person is 404, whatever the kind)."""

from __future__ import annotations

from typing import Any

from tests.authz.matrix import Row
from tests.authz.matrix_cases import _fresh_case, _owner
from tests.authz.scenario import Scenario

CPS = ("cps_worker", "cps_supervisor")
DV = ("dv_advocate", "dv_supervisor")

SUMMARY = {"exists": True, "last_reviewed_on": "2026-01-05",
           "elements": [{"key": "school_pickup", "text": "Only her sister collects the children.", "shareable": True}]}
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


async def _summary_put(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    person = await _fresh_person(scn, actor, rel)
    return f"/api/v1/people/{person['id']}/safety-plan-summary", SUMMARY


async def _summary_get(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    async def build() -> dict[str, Any]:
        agency = scn.target(actor, rel)
        person = await _fresh_person(scn, actor, rel)
        if agency.kind == "dv":
            r = await scn.world.put(await _owner(scn, agency), f"/api/v1/people/{person['id']}/safety-plan-summary",
                                    SUMMARY)
            assert r.status_code == 201, r.text
        return person

    person = await scn.once(("summary", actor, rel), build)
    return f"/api/v1/people/{person['id']}/safety-plan-summary", None


def _each(actors: tuple[str, ...], status: Any) -> dict[str, Any]:
    return dict.fromkeys(actors, status)


ROWS: list[Row] = [
    Row("PUT", "/api/v1/people/{person_id}/safety-plan-summary", _summary_put,
        {**_each(DV, (201, 404, 404)), **_each(CPS, (403, 404, 404))}),
    Row("GET", "/api/v1/people/{person_id}/safety-plan-summary", _summary_get,
        {**_each(DV, (200, 404, 404)), **_each(CPS, (403, 404, 404))}),
]
