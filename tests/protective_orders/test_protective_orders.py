"""Protective orders through the API: create / read / update / list, the people an order names, sealing at rest,
404 across agencies, 412 and 422 that change nothing, audit and webhooks, and release through the disclosure
rule."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

from app.core.clock import today
from app.core.db import sessionmaker
from app.outbox.models import WebhookEvent
from app.protective_orders.models import ProtectiveOrder, in_force_clause, order_aad
from tests.consent.helpers import audit_rows, build_scene, uid

COURT = "Marion County Circuit Court"
DOCKET = "26PO0X4417"
DETAILS = "Not within 500 feet of Lincoln Elementary"
SECRETS = [COURT, DOCKET, DETAILS, "Lincoln Elementary", "Marion County"]


async def _family(s: Any) -> dict[str, Any]:
    """The survivor's child and the restrained person, in the survivor's case."""
    child = await s.world.person(s["advocate"], s.case["id"], case_role="child", full_name="Child Example")
    him = await s.world.person(s["advocate"], s.case["id"], case_role="person_using_violence",
                               full_name="Restrained Example")
    return {"child": child, "him": him}


def _body(people: dict[str, Any], survivor: dict[str, Any], **over: Any) -> dict[str, Any]:
    issued = today() - timedelta(days=10)
    body = {
        "kind": "temporary", "jurisdiction": "civil", "court": COURT, "docket_number": DOCKET,
        "protected_person_ids": [survivor["id"], people["child"]["id"]],
        "restrained_person_id": people["him"]["id"], "issued_on": str(issued),
        "expires_on": str(issued + timedelta(days=60)),
        "terms": [{"code": "no_contact"}, {"code": "stay_away", "distance_feet": 500, "details": DETAILS},
                  {"code": "firearms_surrender"}],
        "service_status": "served", "served_on": str(issued + timedelta(days=1)),
    }
    body.update(over)
    return body


async def _orders(case: dict[str, Any]) -> list[ProtectiveOrder]:
    async with sessionmaker()() as s:
        return list((await s.execute(sa.select(ProtectiveOrder).where(
            ProtectiveOrder.case_id == uid(case["id"])))).scalars())


async def test_create_read_update_list(client, world):
    s = await build_scene(world)
    people = await _family(s)
    await world.webhook(s.dv, "protective_order.*")
    url = f"/api/v1/people/{s.survivor['id']}/protective-orders"
    r = await s.post("advocate", url, _body(people, s.survivor))
    assert r.status_code == 201, r.text
    order = r.json()
    assert r.headers["ETag"] == f'W/"{order["id"]}.1"'
    assert order["agency_id"] == str(s.dv.id) and order["case_id"] == s.case["id"]
    assert order["person_id"] == s.survivor["id"]
    assert order["court"] == COURT and order["docket_number"] == DOCKET
    assert order["protected_person_ids"] == [s.survivor["id"], people["child"]["id"]]
    assert order["restrained_person_id"] == people["him"]["id"]
    assert order["terms"] == [{"code": "no_contact", "distance_feet": None, "details": None},
                              {"code": "stay_away", "distance_feet": 500, "details": DETAILS},
                              {"code": "firearms_surrender", "distance_feet": None, "details": None}]
    assert (order["status"], order["in_force"], order["service_status"]) == ("active", True, "served")

    r = await s.get("advocate", f"/api/v1/protective-orders/{order['id']}")
    assert r.status_code == 200 and r.json() == order and r.headers["ETag"] == f'W/"{order["id"]}.1"'

    # A stale If-Match changes nothing.
    patch_url = f"/api/v1/protective-orders/{order['id']}"
    r = await world.patch(s["advocate"], patch_url, {"kind": "final"}, headers={"If-Match": 'W/"x.9"'})
    assert r.status_code == 412
    assert (await s.get("advocate", patch_url)).json()["kind"] == "temporary"

    # The court vacates it: no longer in force from that day.
    r = await world.patch(s["advocate"], patch_url, {"vacated_on": str(today())},
                          headers={"If-Match": f'W/"{order["id"]}.1"'})
    assert r.status_code == 200, r.text
    assert r.headers["ETag"] == f'W/"{order["id"]}.2"'
    assert (r.json()["status"], r.json()["in_force"], r.json()["vacated_on"]) == ("vacated", False, str(today()))
    assert r.json()["court"] == COURT  # fields not sent are kept

    # A second, final order; the list shows both, newest first, with no court, docket or terms.
    r = await s.post("advocate", url, _body(people, s.survivor, kind="final", expires_on=None, terms=[]))
    assert r.status_code == 201, r.text
    second = r.json()
    r = await s.get("advocate", url)
    assert r.status_code == 200
    items = r.json()["items"]
    assert [i["id"] for i in items] == [second["id"], order["id"]]
    assert [i["status"] for i in items] == ["active", "vacated"]
    assert set(items[0]) == {"id", "case_id", "person_id", "kind", "jurisdiction", "service_status", "status",
                             "issued_on", "expires_on", "vacated_on", "created_at", "updated_at"}
    assert not [x for x in SECRETS if x in r.text]

    actions = [e.action for e in await audit_rows(object_id=order["id"])]
    assert actions == ["protective_order.create", "protective_order.read", "protective_order.read",
                       "protective_order.update"]
    async with sessionmaker()() as session:
        events = (await session.execute(sa.select(WebhookEvent).where(WebhookEvent.agency_id == s.dv.id)
                                        .order_by(WebhookEvent.created_at))).scalars().all()
    assert [e.type for e in events] == ["protective_order.created", "protective_order.updated",
                                        "protective_order.created"]
    assert events[0].data == {"protective_order_id": order["id"], "case_id": s.case["id"],
                              "person_id": s.survivor["id"]}


async def test_without_protected_people_the_order_protects_its_person(client, world):
    s = await build_scene(world)
    r = await s.post("advocate", f"/api/v1/people/{s.survivor['id']}/protective-orders",
                     {"kind": "emergency", "issued_on": str(today())})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["protected_person_ids"] == [s.survivor["id"]]
    assert (body["jurisdiction"], body["service_status"], body["terms"], body["court"]) == (
        "civil", "unknown", [], None)


async def test_bad_input_is_422_and_writes_nothing(client, world):
    s = await build_scene(world)
    people = await _family(s)
    other_case = await world.case(s["advocate"])
    stranger = await world.person(s["advocate"], other_case["id"], full_name="Someone Else")
    url = f"/api/v1/people/{s.survivor['id']}/protective-orders"
    issued = date.fromisoformat(_body(people, s.survivor)["issued_on"])
    bad = [
        ({"protected_person_ids": [stranger["id"]]}, ["body", "protected_person_ids"]),
        ({"restrained_person_id": stranger["id"]}, ["body", "restrained_person_id"]),
        ({"restrained_person_id": s.survivor["id"]}, ["body", "restrained_person_id"]),
        ({"kind": "permanent"}, ["body", "kind"]),
        ({"jurisdiction": "military"}, ["body", "jurisdiction"]),
        ({"terms": [{"code": "no_pets"}]}, ["body", "terms", 0, "code"]),
        ({"terms": [{"code": "stay_away"}]}, ["body", "terms", 0]),
        ({"terms": [{"code": "no_contact", "distance_feet": 100}]}, ["body", "terms", 0]),
        ({"expires_on": str(issued - timedelta(days=1))}, ["body", "expires_on"]),
        ({"issued_on": str(today() + timedelta(days=1)), "expires_on": None, "served_on": None},
         ["body", "issued_on"]),
        ({"service_status": "not_served"}, ["body", "served_on"]),
        ({"protected_person_ids": []}, ["body", "protected_person_ids"]),
        ({"answers": {"q1": "yes"}}, ["body", "answers"]),
    ]
    for over, loc in bad:
        r = await s.post("advocate", url, _body(people, s.survivor, **over))
        assert r.status_code == 422, (over, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert loc in [e["loc"] for e in r.json()["errors"]], (over, r.json()["errors"])
        assert not [x for x in SECRETS if x in r.text]
    assert await _orders(s.case) == []

    r = await s.post("advocate", url, _body(people, s.survivor))
    order = r.json()
    patch_url = f"/api/v1/protective-orders/{order['id']}"
    for body in ({"kind": None}, {"terms": None}, {"issued_on": None}, {"protected_person_ids": [stranger["id"]]},
                 {"vacated_on": str(today() + timedelta(days=3))}, {"expires_on": str(issued - timedelta(days=2))}):
        r = await world.patch(s["advocate"], patch_url, body)
        assert r.status_code == 422, (body, r.text)
    after = (await s.get("advocate", patch_url)).json()
    assert after == {**order, "updated_at": None}
    assert (await _orders(s.case))[0].version == 1


async def test_another_agency_and_others_off_the_team_get_404(client, world):
    s = await build_scene(world)
    people = await _family(s)
    url = f"/api/v1/people/{s.survivor['id']}/protective-orders"
    order = (await s.post("advocate", url, _body(people, s.survivor))).json()
    one = f"/api/v1/protective-orders/{order['id']}"
    for actor in ("cps_worker", "cps_supervisor", "third_worker", "dv_other_advocate"):
        assert (await s.get(actor, one)).status_code == 404, actor
        assert (await world.patch(s[actor], one, {"kind": "final"})).status_code == 404, actor
        assert (await s.get(actor, url)).status_code == 404, actor
        assert (await s.post(actor, url, _body(people, s.survivor))).status_code == 404, actor
    # A supervisor of the holding agency sees every case of it; admins hold no record permission.
    assert (await s.get("dv_supervisor", one)).status_code == 200
    assert (await s.get("dv_admin", one)).status_code == 403
    assert len(await _orders(s.case)) == 1


async def test_sealed_at_rest(client, world):
    from app.core.crypto import decrypt_json

    s = await build_scene(world)
    people = await _family(s)
    order = (await s.post("advocate", f"/api/v1/people/{s.survivor['id']}/protective-orders",
                          _body(people, s.survivor))).json()
    async with sessionmaker()() as session:
        t = ProtectiveOrder.__table__
        row = dict((await session.execute(sa.select(t).where(t.c.id == uid(order["id"])))).mappings().one())
    raw = " ".join(str(v) for v in row.values())
    assert not [x for x in SECRETS if x in raw]
    assert row["term_codes"] == ["no_contact", "stay_away", "firearms_surrender"]
    assert decrypt_json(row["docket_number_enc"], order_aad(row["id"], "docket_number")) == DOCKET


async def test_idempotent_create(client, world):
    s = await build_scene(world)
    people = await _family(s)
    url = f"/api/v1/people/{s.survivor['id']}/protective-orders"
    h = {"Idempotency-Key": "order-1"}
    first = await s.post("advocate", url, _body(people, s.survivor), headers=h)
    again = await s.post("advocate", url, _body(people, s.survivor), headers=h)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true" and again.json() == first.json()
    other = await s.post("advocate", url, _body(people, s.survivor, kind="final"), headers=h)
    assert other.status_code == 422
    assert len(await _orders(s.case)) == 1


async def test_in_force_on_a_date(client, world):
    """The reports' notion: issued by the day, not expired before it, not vacated by it."""
    s = await build_scene(world)
    url = f"/api/v1/people/{s.survivor['id']}/protective-orders"
    d0 = today() - timedelta(days=100)
    r = await s.post("advocate", url, {"kind": "temporary", "issued_on": str(d0),
                                       "expires_on": str(d0 + timedelta(days=30))})
    expired = r.json()
    r = await s.post("advocate", url, {"kind": "final", "issued_on": str(d0 + timedelta(days=20))})
    vacated = r.json()
    r = await world.patch(s["advocate"], f"/api/v1/protective-orders/{vacated['id']}",
                          {"vacated_on": str(d0 + timedelta(days=50))})
    assert r.status_code == 200, r.text
    assert (await s.get("advocate", f"/api/v1/protective-orders/{expired['id']}")).json()["status"] == "expired"

    async def in_force(day: date) -> set[str]:
        async with sessionmaker()() as session:
            ids = (await session.execute(sa.select(ProtectiveOrder.id).where(
                ProtectiveOrder.case_id == uid(s.case["id"]), in_force_clause(day)))).scalars()
            return {str(i) for i in ids}

    assert await in_force(d0 - timedelta(days=1)) == set()
    assert await in_force(d0) == {expired["id"]}
    assert await in_force(d0 + timedelta(days=25)) == {expired["id"], vacated["id"]}
    assert await in_force(d0 + timedelta(days=30)) == {expired["id"], vacated["id"]}
    assert await in_force(d0 + timedelta(days=31)) == {vacated["id"]}
    assert await in_force(d0 + timedelta(days=50)) == set()


async def test_released_through_the_disclosure_rule(client, world):
    s = await build_scene(world)
    people = await _family(s)
    cats = ["protective_orders"]
    await s.agreement()
    await s.consent(categories=["identity"])

    # No consent naming the category: withheld, whatever is on file.
    body = (await s.disclose(categories=cats)).json()
    assert body["withheld"] == [{"category": "protective_orders", "reason": "category_not_consented"}]

    await s.consent(categories=["identity", "protective_orders"])
    body = (await s.disclose(categories=cats)).json()
    assert body["withheld"] == [{"category": "protective_orders", "reason": "no_data"}]  # nothing on file yet

    url = f"/api/v1/people/{s.survivor['id']}/protective-orders"
    order = (await s.post("advocate", url, _body(people, s.survivor))).json()
    # An order only restraining someone is not his to release: even his own agency's disclosure finds none.
    r = await s.disclose("advocate", categories=cats, person=people["him"])
    assert r.json()["withheld"] == [{"category": "protective_orders", "reason": "no_data"}]

    r = await s.disclose(categories=cats)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["withheld"] == [] and body["released_basis"] == {"protective_orders": "consent"}
    (released,) = body["released"]["protective_orders"]["orders"]
    assert released == {
        "id": order["id"], "person_id": s.survivor["id"], "kind": "temporary", "jurisdiction": "civil",
        "court": COURT, "docket_number": DOCKET,
        "protected_person_ids": [s.survivor["id"], people["child"]["id"]],
        "restrained_person_id": people["him"]["id"], "issued_on": order["issued_on"],
        "expires_on": order["expires_on"], "vacated_on": None, "terms": order["terms"],
        "service_status": "served", "served_on": order["served_on"], "status": "active", "in_force": True,
    }
    meta = body["released_meta"]["protective_orders"]
    assert meta["agency_id"] == str(s.dv.id) and meta["elements"] == []
    assert meta["as_of"].replace("Z", "+00:00")[:19] == order["created_at"].replace("Z", "+00:00")[:19]

    # The child's own disclosure (the order protects the child) carries it too.
    await s.consent(person=people["child"], categories=["protective_orders"],
                    grantor={"person_id": s.survivor["id"], "relationship": "parent"})
    r = await s.disclose(categories=cats, person=people["child"])
    assert [o["id"] for o in r.json()["released"]["protective_orders"]["orders"]] == [order["id"]]

    rows = await s.accounting()
    assert rows[0]["categories_released"] == ["protective_orders"]
    assert [row["outcome"] for row in rows] == ["released", "withheld", "withheld"]
    assert [w["reason"] for row in rows[1:] for w in row["withheld"]] == ["no_data", "category_not_consented"]
