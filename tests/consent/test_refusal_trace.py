"""A disclosure request for a person who does not exist and one for a real person of another agency, with no
link to the requester, leave the same trace for the requester's agency: the same answer, the same audit
events in its own trail, the same (absent) accounting. Only the agency holding the record learns of the
refused request about its own person."""

from __future__ import annotations

import uuid
from typing import Any

from tests.consent.helpers import build_scene

# What an audit event says beyond which object it names, when and where in the chain.
_SHAPE = ("actor_type", "actor_id", "agency_id", "action", "object_type", "outcome")


async def _trail(s: Any, object_id: str) -> list[dict[str, Any]]:
    """The audit events the requester's agency reads about one requested id."""
    r = await s.get("third_admin", "/api/v1/audit-events", params={"object_id": object_id})
    assert r.status_code == 200, r.text
    return [{k: e[k] for k in _SHAPE} for e in r.json()["items"]]


async def _trail_by_worker(s: Any) -> list[dict[str, Any]]:
    r = await s.get("third_admin", "/api/v1/audit-events", params={"actor_id": str(s["third_worker"].id)})
    assert r.status_code == 200, r.text
    return r.json()["items"]


async def test_unknown_and_unlinked_person_leave_the_same_trace_for_the_requester(client, world):
    s = await build_scene(world)  # the third agency has no agreement, consent, mandate or referral with her
    ghost = {"id": str(uuid.uuid4())}

    real = await s.disclose(actor="third_worker", categories=["identity", "location"])
    unknown = await s.disclose(actor="third_worker", categories=["identity", "location"], person=ghost)
    assert real.status_code == unknown.status_code == 404
    assert real.json() == unknown.json()
    assert real.headers["content-type"] == unknown.headers["content-type"]

    # Its own audit trail: one event per request, alike but for the id it sent.
    real_trail, ghost_trail = await _trail(s, s.survivor["id"]), await _trail(s, ghost["id"])
    assert real_trail == ghost_trail
    assert [(e["action"], e["object_type"], e["outcome"]) for e in real_trail] == [
        ("disclosure.request", "person", "not_found")]
    assert ghost_trail[0]["agency_id"] == str(s.third.id)
    by_worker = await _trail_by_worker(s)
    assert sorted(e["object_id"] for e in by_worker) == sorted([s.survivor["id"], ghost["id"]])

    # No accounting of either person is readable by the requester.
    for pid in (s.survivor["id"], ghost["id"]):
        for who in ("third_worker", "third_admin"):
            r = await s.get(who, f"/api/v1/people/{pid}/disclosures")
            assert r.status_code in (403, 404) and "Rosa" not in r.text
    assert (await s.get("third_worker", f"/api/v1/people/{s.survivor['id']}/disclosures")).status_code == \
        (await s.get("third_worker", f"/api/v1/people/{ghost['id']}/disclosures")).status_code

    # The agency holding her record still has the refused request in her accounting and its own trail.
    rows = await s.accounting()
    assert [(x["requester_agency_id"], x["outcome"]) for x in rows] == [(str(s.third.id), "refused")]
    r = await s.get("dv_admin", "/api/v1/audit-events", params={"object_id": rows[0]["id"]})
    assert [(e["action"], e["outcome"]) for e in r.json()["items"]] == [("disclosure.request", "refused")]
