"""Services of a person: create, read, change (If-Match), list (no provider name), the checks that refuse an
inconsistent service with nothing written, another agency's 404, the sealed provider name, the audit and the
webhook; and the release of services through the disclosure rule (treatment services only under their own
categories)."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa

from app.core.db import sessionmaker
from app.outbox.models import WebhookEvent
from app.services.models import Service
from tests.consent.helpers import audit_rows, build_scene, uid

PROVIDER = "Harbor Light Counselling"
BASE = {"kind": "counselling", "provider_name": PROVIDER, "referred_at": "2026-11-02T09:00:00Z",
        "first_contact_at": "2026-11-03T10:00:00Z", "started_at": "2026-11-05T15:30:00Z", "status": "started",
        "barriers": ["transport", "childcare"]}


async def _count(person_id: Any) -> int:
    async with sessionmaker()() as s:
        return (await s.execute(sa.select(sa.func.count()).select_from(Service)
                                .where(Service.person_id == uid(person_id)))).scalar_one()


async def _create(s: Any, actor: str = "advocate", person: dict[str, Any] | None = None, **over: Any) -> dict:
    person = person or s.survivor
    r = await s.post(actor, f"/api/v1/people/{person['id']}/services", {**BASE, **over})
    assert r.status_code == 201, r.text
    return r.json()


async def test_create_read_change_and_list(client, world):
    s = await build_scene(world)
    url = f"/api/v1/people/{s.survivor['id']}/services"
    r = await s.post("advocate", url, BASE, headers={"Idempotency-Key": "svc-1"})
    assert r.status_code == 201, r.text
    svc = r.json()
    assert svc["kind"] == "counselling" and svc["provider_name"] == PROVIDER and svc["provider_agency_id"] is None
    assert svc["agency_id"] == str(s.dv.id) and svc["case_id"] == s.case["id"]
    assert svc["person_id"] == s.survivor["id"] and svc["status"] == "started"
    assert svc["started_at"] == "2026-11-05T15:30:00Z" and svc["barriers"] == ["transport", "childcare"]
    again = await s.post("advocate", url, BASE, headers={"Idempotency-Key": "svc-1"})
    assert again.status_code == 201 and again.json()["id"] == svc["id"]
    assert again.headers["idempotent-replayed"] == "true" and await _count(s.survivor["id"]) == 1

    r = await s.get("advocate", f"/api/v1/services/{svc['id']}")
    assert r.status_code == 200 and r.json() == svc
    etag = r.headers["etag"]
    r = await s.world.patch(s["advocate"], f"/api/v1/services/{svc['id']}",
                            {"status": "completed", "ended_at": "2026-12-01T12:00:00Z", "barriers": []},
                            headers={"If-Match": etag})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "completed" and r.json()["barriers"] == [] and r.headers["etag"] != etag
    assert r.json()["provider_name"] == PROVIDER and r.json()["updated_at"] is not None
    stale = await s.world.patch(s["advocate"], f"/api/v1/services/{svc['id']}", {"status": "ended_early"},
                                headers={"If-Match": etag})
    assert stale.status_code == 412
    assert (await s.get("advocate", f"/api/v1/services/{svc['id']}")).json()["status"] == "completed"

    # switching to a provider in Tandem clears the name in the same request
    r = await s.world.patch(s["advocate"], f"/api/v1/services/{svc['id']}",
                            {"provider_agency_id": str(s.cps.id), "provider_name": None})
    assert r.status_code == 200 and r.json()["provider_agency_id"] == str(s.cps.id)
    assert r.json()["provider_name"] is None

    second = await _create(s, kind="shelter", status="referred", started_at=None)
    r = await s.get("advocate", url)
    assert r.status_code == 200
    items = r.json()["items"]
    assert [i["id"] for i in items] == [second["id"], svc["id"]]
    assert set(items[0]) == {"id", "person_id", "case_id", "kind", "status", "provider_agency_id", "referred_at",
                             "first_contact_at", "started_at", "ended_at", "barriers", "referral_id",
                             "created_at", "updated_at"}
    assert PROVIDER not in r.text
    r = await s.get("advocate", url, params={"kind": "shelter", "limit": 1})
    assert [i["id"] for i in r.json()["items"]] == [second["id"]] and r.json()["next_cursor"] is None
    assert [e.action for e in await audit_rows(object_id=svc["id"])] == ["service.create", "service.update",
                                                                         "service.update"]


async def test_the_provider_name_is_sealed_at_rest(client, world):
    s = await build_scene(world)
    svc = await _create(s)
    async with sessionmaker()() as session:
        t = Service.__table__
        row = dict((await session.execute(sa.select(t).where(t.c.id == uid(svc["id"])))).mappings().one())
    assert PROVIDER not in str(row) and row["provider_name_enc"].startswith("v2:")


async def test_an_inconsistent_service_is_refused_naming_each_problem_and_nothing_is_written(client, world):
    s = await build_scene(world)
    url = f"/api/v1/people/{s.survivor['id']}/services"
    cases = [
        ({"provider_agency_id": str(s.cps.id)}, {(("provider_agency_id",), "provider_ambiguous")}),
        ({"provider_name": None}, {(("provider_agency_id",), "provider_missing")}),
        ({"provider_name": None, "provider_agency_id": str(uuid.uuid4())}, {(("provider_agency_id",), "unknown_agency")}),
        ({"started_at": "2026-11-01T00:00:00Z"}, {(("started_at",), "times_out_of_order")}),
        ({"ended_at": "2026-11-04T00:00:00Z", "status": "completed"}, {(("ended_at",), "times_out_of_order")}),
        ({"status": "completed"}, {(("ended_at",), "ended_at_required")}),
        ({"started_at": None}, {(("started_at",), "started_at_required")}),
        ({"referral_id": str(uuid.uuid4())}, {(("referral_id",), "referral_not_of_case")}),
        ({"provider_name": None, "started_at": "2026-11-01T00:00:00Z"},
         {(("provider_agency_id",), "provider_missing"), (("started_at",), "times_out_of_order")}),
    ]
    for over, expected in cases:
        r = await s.post("advocate", url, {**BASE, **over})
        assert r.status_code == 422, (over, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert {(tuple(e["loc"][1:]), e["type"]) for e in r.json()["errors"]} == expected, over
        assert PROVIDER not in r.text
    for bad in ({"kind": "spa"}, {"status": "maybe"}, {"barriers": ["transport", "transport"]},
                {"barriers": ["weather"]}, {"notes": "free text"}, {"started_at": "2026-11-05"[:7]}):
        r = await s.post("advocate", url, {**BASE, **bad})
        assert r.status_code == 422, (bad, r.text)
    assert await _count(s.survivor["id"]) == 0

    svc = await _create(s)
    patch_url = f"/api/v1/services/{svc['id']}"
    for body, loc in (({"kind": None}, "kind"), ({"status": None}, "status"), ({"barriers": None}, "barriers"),
                      ({"referred_at": "2026-11-06T00:00:00Z"}, "referred_at"),
                      ({"provider_agency_id": str(s.cps.id)}, "provider_agency_id"),
                      ({"provider_name": None}, "provider_name"), ({"started_at": None}, "started_at")):
        r = await s.world.patch(s["advocate"], patch_url, body)
        assert r.status_code == 422, (body, r.text)
        assert [e["loc"][-1] for e in r.json()["errors"]] == [loc], (body, r.text)
    r = await s.get("advocate", patch_url)
    assert r.json() == svc and r.headers["etag"] == f'W/"{svc["id"]}.1"'


async def test_another_agency_and_staff_off_the_case_get_404(client, world):
    s = await build_scene(world)
    svc = await _create(s)
    for actor in ("cps_worker", "cps_supervisor", "third_worker", "dv_other_advocate"):
        assert (await s.get(actor, f"/api/v1/services/{svc['id']}")).status_code == 404, actor
        r = await s.world.patch(s[actor], f"/api/v1/services/{svc['id']}", {"status": "declined"})
        assert r.status_code == 404, actor
        assert (await s.get(actor, f"/api/v1/people/{s.survivor['id']}/services")).status_code == 404, actor
        r = await s.post(actor, f"/api/v1/people/{s.survivor['id']}/services", BASE)
        assert r.status_code == 404, actor
    assert (await s.get("dv_supervisor", f"/api/v1/services/{svc['id']}")).status_code == 200
    assert (await s.get("dv_admin", f"/api/v1/services/{svc['id']}")).status_code == 403
    assert await _count(s.survivor["id"]) == 1


async def test_changes_are_announced_to_the_owning_agency_with_ids_only(client, world):
    s = await build_scene(world)
    await world.webhook(s.dv, "service.*")
    await world.webhook(s.cps, "*")
    svc = await _create(s)
    await s.world.patch(s["advocate"], f"/api/v1/services/{svc['id']}", {"status": "ended_early",
                                                                         "ended_at": "2026-11-20T00:00:00Z"})
    async with sessionmaker()() as session:
        rows = list((await session.execute(sa.select(WebhookEvent).where(
            WebhookEvent.agency_id.in_([s.dv.id, s.cps.id])).order_by(WebhookEvent.created_at))).scalars())
    assert [(e.agency_id, e.type) for e in rows] == [(s.dv.id, "service.created"), (s.dv.id, "service.updated")]
    assert rows[0].data == {"service_id": svc["id"], "person_id": s.survivor["id"], "case_id": s.case["id"]}


# ------------------------------------------------------------------ release through the disclosure rule


async def test_services_are_released_with_their_freshness_when_the_rule_allows(client, world):
    s = await build_scene(world)
    svc = await _create(s, provider_name=None, provider_agency_id=str(s.dv.id))
    named = await _create(s, kind="legal_advocacy", status="referred", started_at=None)
    await s.agreement()
    await s.consent(categories=["identity"])
    r = await s.disclose(categories=["services"])
    assert r.json()["withheld"] == [{"category": "services", "reason": "category_not_consented"}]
    assert r.json()["released"] == {}
    await s.consent(categories=["services"])
    r = await s.disclose(categories=["services"])
    assert r.status_code == 201, r.text
    body = r.json()
    released = body["released"]["services"]["services"]
    assert [x["id"] for x in released] == [svc["id"], named["id"]]
    assert released[0] == {"id": svc["id"], "kind": "counselling", "status": "started",
                           "provider_agency_id": str(s.dv.id), "provider_name": None,
                           "barriers": ["transport", "childcare"], "referral_id": None,
                           "referred_at": "2026-11-02T09:00:00Z", "first_contact_at": "2026-11-03T10:00:00Z",
                           "started_at": "2026-11-05T15:30:00Z", "ended_at": None}
    assert released[1]["provider_name"] == PROVIDER
    meta = body["released_meta"]["services"]
    assert meta["agency_id"] == str(s.dv.id) and meta["as_of"] == named["created_at"]
    assert body["redisclosure_notice"] is None
    (row, *_) = await s.accounting()
    assert row["categories_released"] == ["services"] and row["basis"] == "consent"


async def test_treatment_services_are_released_only_under_their_own_category(client, world):
    s = await build_scene(world)
    general = await _create(s)
    su = await _create(s, kind="substance_use_treatment", provider_name="Riverbend Recovery")
    mh = await _create(s, kind="mental_health_treatment", provider_name="Calm Waters Clinic")
    await s.agreement()
    await s.consent()  # every category (substance_use with its 42 CFR 2.31 elements)
    body = (await s.disclose(categories=["services", "substance_use", "mental_health"])).json()
    assert [x["id"] for x in body["released"]["services"]["services"]] == [general["id"]]
    assert [x["id"] for x in body["released"]["substance_use"]["services"]] == [su["id"]]
    assert [x["id"] for x in body["released"]["mental_health"]["services"]] == [mh["id"]]
    assert "42 CFR part 2" in body["redisclosure_notice"]
    body = (await s.disclose(categories=["services"])).json()
    assert "Riverbend" not in str(body) and "Calm Waters" not in str(body)


async def test_no_data_only_when_nothing_is_on_file(client, world):
    s = await build_scene(world)
    await s.agreement()
    await s.consent(categories=["services"])
    body = (await s.disclose(categories=["services"])).json()
    assert body["withheld"] == [{"category": "services", "reason": "no_data"}]
    await _create(s, kind="substance_use_treatment")  # not a `services` record
    body = (await s.disclose(categories=["services"])).json()
    assert body["withheld"] == [{"category": "services", "reason": "no_data"}]
    await _create(s)
    body = (await s.disclose(categories=["services"])).json()
    assert body["withheld"] == [] and len(body["released"]["services"]["services"]) == 1
