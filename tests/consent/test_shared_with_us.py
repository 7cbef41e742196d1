"""What was shared with us: a recipient agency lists the consents and mandates that name it (terms only, no
names), filtered by status, keyset paginated; the holder's person id, and its own linked person where a link
exists."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from app.consent import access
from app.core.clock import utcnow
from tests.consent.helpers import build_scene, iso


async def _items(s: Any, actor: str, query: str = "") -> list[dict[str, Any]]:
    r = await s.get(actor, f"/api/v1/shared-with-us{query}")
    assert r.status_code == 200, r.text
    return r.json()["items"]


async def _world(s: Any) -> dict[str, Any]:
    now = utcnow()
    out = {
        "elements": await s.consent(categories=["identity", {"category": "court", "elements": ["hearings"]}],
                                    purposes=["court_proceedings"]),
        "revoked": await s.consent(categories=["contact"], revoke=True),
        "expired": await s.consent(categories=["location"], signed_at=iso(now - timedelta(days=10)),
                                   valid_from=iso(now - timedelta(days=10)), expires_at=iso(now - timedelta(days=5))),
        "third": await s.consent(recipient=s.third, categories=["identity"]),
        "mandate": await s.mandate(["protective_orders"], citation="State v. Hector Example"),
    }
    return out


async def test_the_recipient_sees_what_names_it_and_no_personal_data(client, world):
    s = await build_scene(world)
    made = await _world(s)
    items = await _items(s, "cps_worker")
    assert [i["id"] for i in items] == [made[k]["id"] for k in ("mandate", "expired", "revoked", "elements")]
    by_id = {i["id"]: i for i in items}
    c = by_id[made["elements"]["id"]]
    assert c == {
        "kind": "consent", "id": made["elements"]["id"], "agency_id": str(s.dv.id),
        "person_id": s.survivor["id"], "linked_person_id": None,
        "categories": ["identity", {"category": "court", "elements": ["hearings"]}],
        "purposes": ["court_proceedings"], "basis": "consent", "valid_from": c["valid_from"],
        "valid_until": made["elements"]["expires_at"], "status": "active", "created_at": c["created_at"]}
    m = by_id[made["mandate"]["id"]]
    assert (m["kind"], m["basis"], m["categories"], m["purposes"], m["status"]) == (
        "legal_mandate", "statute", ["protective_orders"], None, "active")
    assert by_id[made["revoked"]["id"]]["status"] == "revoked"
    assert by_id[made["expired"]["id"]]["status"] == "expired"
    r = await s.get("cps_worker", "/api/v1/shared-with-us")
    for secret in ("Rosa", "Example", "Hector", "State v.", "changed her mind", "Wrenfield"):
        assert secret not in r.text

    # The third agency sees its own; the holder and an admin see nothing of these.
    assert [i["id"] for i in await _items(s, "third_worker")] == [made["third"]["id"]]
    assert await _items(s, "advocate") == []
    r = await s.get("cps_admin", "/api/v1/shared-with-us")
    assert r.status_code == 403


async def test_status_filters_and_keyset_pages(client, world):
    s = await build_scene(world)
    made = await _world(s)
    assert {i["id"] for i in await _items(s, "cps_worker", "?status=active")} == {
        made["elements"]["id"], made["mandate"]["id"]}
    assert [i["id"] for i in await _items(s, "cps_worker", "?status=revoked")] == [made["revoked"]["id"]]
    assert [i["id"] for i in await _items(s, "cps_worker", "?status=expired")] == [made["expired"]["id"]]
    r = await s.get("cps_worker", "/api/v1/shared-with-us?status=gone")
    assert r.status_code == 422
    # A mandate withdrawn is listed as revoked.
    r = await s.post("dv_supervisor", f"/api/v1/legal-mandates/{made['mandate']['id']}/withdraw",
                     {"reason": "Vacated."})
    assert r.status_code == 200, r.text
    assert {i["id"] for i in await _items(s, "cps_worker", "?status=revoked")} == {
        made["revoked"]["id"], made["mandate"]["id"]}

    seen: list[str] = []
    cursor = None
    while True:
        q = "?limit=1" + (f"&cursor={cursor}" if cursor else "")
        r = await s.get("cps_worker", f"/api/v1/shared-with-us{q}")
        assert r.status_code == 200, r.text
        page = r.json()
        assert len(page["items"]) <= 1
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [i["id"] for i in await _items(s, "cps_worker")] and len(seen) == 4


async def test_the_callers_own_linked_person_is_named_where_a_link_exists(client, world):
    s = await build_scene(world)
    made = await _world(s)
    own = uuid.uuid4()

    async def resolver(session: Any, agency_id: uuid.UUID, person_ids: list[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
        return {p: own for p in person_ids if agency_id == s.cps.id and str(p) == s.survivor["id"]}

    access.register_linked_person(resolver)
    try:
        items = await _items(s, "cps_worker")
        assert {i["linked_person_id"] for i in items} == {str(own)}
        assert {i["linked_person_id"] for i in await _items(s, "third_worker")} == {None}
    finally:
        access.LINKED_PERSONS.remove(resolver)
    assert made
