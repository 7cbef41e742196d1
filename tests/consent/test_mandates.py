"""Legal mandates: a statute or court order releases only the categories it names, to the agency it names,
until it expires or is withdrawn, and only once the survivor has been warned (or the notice hours have passed,
or the court ordered immediate release); a subpoena releases nothing until a second supervisor records a court
order."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.consent.models import LegalMandate
from app.core.clock import utcnow
from app.core.config import get_settings
from app.core.db import sessionmaker
from app.core.models import IdempotencyRecord
from tests.consent.helpers import ADDRESS, audit_rows, build_scene, iso, mandate_body, uid


@pytest.fixture
def moving_clock(clock, monkeypatch):
    """Moving the clock by days: tokens are checked against the wall clock with a leeway as wide."""
    monkeypatch.setattr(get_settings(), "jwt_leeway_seconds", 5 * 86400)
    return clock


async def test_statute_releases_only_named_categories_and_opens_a_notification_task(client, world):
    s = await build_scene(world)
    m = await s.mandate(["identity", "location"])
    assert m["status"] == "active" and m["basis"] == "statute" and m["activated_at"]
    await s.warned(m)  # she has been warned before any release

    body = (await s.disclose(categories=["identity", "location", "contact"])).json()
    assert set(body["released"]) == {"identity", "location"}
    assert body["released"]["location"]["address"] == ADDRESS
    assert body["basis"] == "legal_mandate"
    assert body["released_basis"] == {"identity": "legal_mandate", "location": "legal_mandate"}
    assert body["withheld"] == [{"category": "contact", "reason": "no_agreement"}]
    row = (await s.accounting())[0]
    assert row["basis"] == "legal_mandate" and row["mandate_ids"] == [m["id"]]

    # The mandate names the CPS agency only: the third agency gets nothing.
    assert (await s.disclose(actor="third_worker", categories=["identity"])).status_code == 404

    # A task to tell the survivor of the release, for the owning agency's staff on the case, never for the
    # requester.
    r = await s.get("advocate", "/api/v1/notification-tasks?status=open")
    tasks = [t for t in r.json()["items"] if t["person_id"] == s.survivor["id"]]
    assert len(tasks) == 1
    task = tasks[0]
    assert task["kind"] == "release_notice" and task["mandate_id"] is None
    assert task["disclosure_id"] == body["id"] and task["categories"] == ["identity", "location"]
    assert task["requester_agency_id"] == str(s.cps.id) and task["mandate_ids"] == [m["id"]]
    r = await s.get("cps_worker", "/api/v1/notification-tasks")
    assert all(t["id"] != task["id"] for t in r.json()["items"])
    assert (await s.get("cps_worker", f"/api/v1/notification-tasks/{task['id']}")).status_code == 404
    assert (await s.get("dv_other_advocate", f"/api/v1/notification-tasks/{task['id']}")).status_code == 404
    r = await s.get("advocate", f"/api/v1/notification-tasks?person_id={s.survivor['id']}&kind=release_notice")
    assert [t["id"] for t in r.json()["items"]] == [task["id"]]

    r = await s.post("advocate", f"/api/v1/notification-tasks/{task['id']}/complete", {"outcome": "notified"})
    assert r.status_code == 200 and r.json()["status"] == "done" and r.json()["outcome"] == "notified"
    assert r.json()["completed_by"] == f"user:{s['advocate'].id}"
    r = await s.post("advocate", f"/api/v1/notification-tasks/{task['id']}/complete", {"outcome": "notified"})
    assert r.status_code == 409
    assert [e.action for e in await audit_rows(object_id=task["id"])] == [
        "notification_task.open", "notification_task.complete"]

    # A request that released nothing under the mandate opens no task.
    await s.disclose(categories=["contact"])
    r = await s.get("advocate", f"/api/v1/notification-tasks?person_id={s.survivor['id']}&kind=release_notice")
    assert len(r.json()["items"]) == 1


async def test_subpoena_waits_in_triage_until_a_court_order(client, world):
    s = await build_scene(world)
    m = await s.mandate(["identity"], basis="subpoena")
    assert m["status"] == "triage" and m["activated_at"] is None

    body = (await s.disclose(categories=["identity"])).json()
    assert body["released"] == {} and body["withheld"] == [{"category": "identity", "reason": "no_agreement"}]

    url = f"/api/v1/legal-mandates/{m['id']}/court-order"
    order = {"citation": "Circuit Court No. 26-CV-1182", "document_sha256": "C" * 64}
    assert (await s.post("advocate", url, order)).status_code == 403
    assert (await s.post("cps_supervisor", url, order)).status_code == 404
    r = await s.post("dv_supervisor_2", url, order, headers={"If-Match": 'W/"stale.9"'})
    assert r.status_code == 412
    r = await s.post("dv_supervisor_2", url, order)
    assert r.status_code == 200, r.text
    m2 = r.json()
    assert m2["status"] == "active" and m2["court_order_sha256"] == "c" * 64
    assert m2["activated_by"] == f"user:{s['dv_supervisor_2'].id}"
    assert (await s.post("dv_supervisor_2", url, order)).status_code == 409

    await s.warned(m2)
    body = (await s.disclose(categories=["identity"])).json()
    assert set(body["released"]) == {"identity"} and body["basis"] == "legal_mandate"
    assert [e.action for e in await audit_rows(object_id=m["id"])] == [
        "legal_mandate.create", "legal_mandate.court_order"]

    statute = await s.mandate(["court"])
    r = await s.post("dv_supervisor_2", f"/api/v1/legal-mandates/{statute['id']}/court-order", order)
    assert r.status_code == 409


async def test_only_supervisors_of_the_owning_agency_record_mandates(client, world):
    s = await build_scene(world)
    url = f"/api/v1/people/{s.survivor['id']}/legal-mandates"
    body = mandate_body(s.cps, ["identity"], "court_order", citation="Order 7", document_sha256="d" * 64)
    assert (await s.post("advocate", url, body)).status_code == 403
    assert (await s.post("cps_supervisor", url, body)).status_code == 404
    assert (await s.post("dv_supervisor", url, {**body, "recipient_agency_id": str(s.dv.id)})).status_code == 422
    r = await s.post("dv_supervisor", url, {**body, "basis": "hunch", "document_sha256": "zz"})
    assert r.status_code == 422 and {e["loc"][1] for e in r.json()["errors"]} == {"basis", "document_sha256"}
    r = await s.post("dv_supervisor", url, body)
    assert r.status_code == 201 and r.json()["status"] == "active"
    created = r.json()

    r = await s.get("advocate", url)
    # The list carries each mandate without its free-text reasons.
    summary = {k: v for k, v in created.items() if not k.endswith("_reason")}
    assert r.json() == {"items": [summary], "next_cursor": None}
    assert (await s.get("cps_supervisor", url)).status_code == 404
    assert (await s.get("cps_supervisor", f"/api/v1/legal-mandates/{created['id']}")).status_code == 404
    got = await s.get("advocate", f"/api/v1/legal-mandates/{created['id']}")
    assert got.status_code == 200 and got.headers["etag"]


async def test_mandate_and_consent_together_are_a_mixed_basis(client, world):
    s = await build_scene(world)
    await s.agreement()
    await s.consent(categories=["contact"])
    await s.warned(await s.mandate(["identity"]))
    body = (await s.disclose(categories=["identity", "contact"])).json()
    assert body["released_basis"] == {"identity": "legal_mandate", "contact": "consent"}
    assert body["basis"] == "mixed"


async def test_the_court_order_is_recorded_by_a_second_supervisor(client, world):
    """Two-person rule: the supervisor who recorded the subpoena cannot also put it in force."""
    s = await build_scene(world)
    m = await s.mandate(["identity"], basis="subpoena")
    url = f"/api/v1/legal-mandates/{m['id']}/court-order"
    order = {"citation": "Circuit Court No. 26-CV-1182", "document_sha256": "c" * 64}

    r = await s.post("dv_supervisor", url, order)
    assert r.status_code == 403, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "second supervisor" in r.json()["detail"]
    got = (await s.get("advocate", f"/api/v1/legal-mandates/{m['id']}")).json()
    assert got["status"] == "triage" and got["court_order_citation"] is None and got["activated_at"] is None
    body = (await s.disclose(categories=["identity"])).json()
    assert body["released"] == {}
    assert [e.action for e in await audit_rows(object_id=m["id"])] == ["legal_mandate.create"]

    # An agency system holding a supervisor role is no second person either.
    app_client = await world.client_app(s.dv, "dv_supervisor")
    r = await client.post("/api/v1/auth/token", data={"grant_type": "client_credentials",
                                                      "client_id": app_client.client_id,
                                                      "client_secret": "s3cret-client-value"})
    token = r.json()["access_token"]
    r = await client.post(url, json=order, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 403 and "agency system" in r.json()["detail"]

    r = await s.post("dv_supervisor_2", url, order)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "active" and r.json()["activated_by"] == f"user:{s['dv_supervisor_2'].id}"
    assert r.json()["recorded_by"] == f"user:{s['dv_supervisor'].id}"


async def test_a_mandate_names_when_it_expires_at_most_a_year_ahead(client, world):
    s = await build_scene(world)
    url = f"/api/v1/people/{s.survivor['id']}/legal-mandates"
    now = utcnow()
    body = mandate_body(s.cps, ["identity"])
    del body["expires_at"]
    r = await s.post("dv_supervisor", url, body)
    assert r.status_code == 422 and [e["loc"] for e in r.json()["errors"]] == [["body", "expires_at"]]
    r = await s.post("dv_supervisor", url, {**body, "expires_at": iso(now - timedelta(minutes=1))})
    assert r.status_code == 422
    assert [(e["loc"], e["type"]) for e in r.json()["errors"]] == [(["body", "expires_at"], "expires_in_past")]
    r = await s.post("dv_supervisor", url, {**body, "expires_at": iso(now + timedelta(days=365, hours=1))})
    assert r.status_code == 422
    assert [(e["loc"], e["type"]) for e in r.json()["errors"]] == [(["body", "expires_at"], "mandate_too_long")]
    assert (await s.get("advocate", url)).json()["items"] == []

    r = await s.post("dv_supervisor", url, {**body, "expires_at": iso(now + timedelta(days=364))})
    assert r.status_code == 201, r.text
    assert r.json()["expires_at"].startswith(iso(now + timedelta(days=364))[:16])


async def test_an_expired_mandate_releases_nothing(client, world, moving_clock):
    s = await build_scene(world)
    start = utcnow()
    m = await s.mandate(["identity"], expires_at=iso(start + timedelta(hours=2)))
    await s.warned(m)
    assert set((await s.disclose(categories=["identity"])).json()["released"]) == {"identity"}

    moving_clock.set(start + timedelta(hours=2, seconds=1))
    r = await s.disclose(categories=["identity"])
    assert r.status_code == 201
    body = r.json()
    assert body["released"] == {} and body["basis"] == "none"
    assert body["withheld"] == [{"category": "identity", "reason": "mandate_expired"}]
    row = (await s.accounting())[0]
    assert row["id"] == body["id"] and row["outcome"] == "withheld" and row["withheld"] == body["withheld"]
    got = (await s.get("advocate", f"/api/v1/legal-mandates/{m['id']}")).json()
    assert got["status"] == "expired"

    # A subpoena whose time ran out takes no court order.
    sub = await s.mandate(["court"], basis="subpoena", expires_at=iso(start + timedelta(hours=3)))
    moving_clock.set(start + timedelta(hours=3, seconds=1))
    r = await s.post("dv_supervisor_2", f"/api/v1/legal-mandates/{sub['id']}/court-order",
                     {"citation": "Order 9", "document_sha256": "c" * 64})
    assert r.status_code == 409 and "expired" in r.json()["detail"]


async def test_a_supervisor_withdraws_a_mandate_and_it_stops_releasing_at_once(client, world):
    s = await build_scene(world)
    m = await s.mandate(["identity", "contact"])
    await s.warned(m)
    assert set((await s.disclose(categories=["identity"])).json()["released"]) == {"identity"}
    url = f"/api/v1/legal-mandates/{m['id']}/withdraw"
    why = {"reason": "The order was vacated on appeal; Rosa's counsel filed it."}

    assert (await s.post("advocate", url, why)).status_code == 403
    assert (await s.post("cps_supervisor", url, why)).status_code == 404
    assert (await s.post("cps_worker", url, why)).status_code == 403
    r = await s.post("dv_supervisor", url, {"reason": ""})
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "reason"]
    assert (await s.post("dv_supervisor", url, why, headers={"If-Match": 'W/"stale.9"'})).status_code == 412
    r = await s.post("dv_supervisor_2", url, why)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["status"] == "withdrawn" and out["withdrawn_at"]
    assert out["withdrawn_by"] == f"user:{s['dv_supervisor_2'].id}" and out["withdrawal_reason"] == why["reason"]
    assert (await s.post("dv_supervisor", url, why)).status_code == 409

    # The very next request releases nothing, and says why.
    body = (await s.disclose(categories=["identity", "contact"])).json()
    assert body["released"] == {}
    assert body["withheld"] == [{"category": "identity", "reason": "mandate_withdrawn"},
                                {"category": "contact", "reason": "mandate_withdrawn"}]
    assert (await s.accounting())[0]["withheld"] == body["withheld"]
    assert [e.action for e in await audit_rows(object_id=m["id"])] == [
        "legal_mandate.create", "legal_mandate.withdraw"]

    # The reason is read on the mandate alone: not in the list, and sealed at rest.
    got = (await s.get("advocate", f"/api/v1/legal-mandates/{m['id']}")).json()
    assert got["status"] == "withdrawn" and got["withdrawal_reason"] == why["reason"]
    (item,) = (await s.get("advocate", f"/api/v1/people/{s.survivor['id']}/legal-mandates")).json()["items"]
    assert item["status"] == "withdrawn" and "withdrawal_reason" not in item and "vacated" not in str(item)
    async with sessionmaker()() as session:
        raw = (await session.execute(sa.select(LegalMandate.__table__).where(
            LegalMandate.id == uid(m["id"])))).mappings().one()
    assert "vacated" not in json.dumps(dict(raw), default=str)


async def test_a_mandate_releases_only_after_the_survivor_is_warned(client, world):
    s = await build_scene(world)
    m = await s.mandate(["identity", "location"])

    # The warning task opens when the mandate comes into force, for the owning agency's staff.
    task = await s.notice_task(m)
    assert task["kind"] == "mandate_notice" and task["status"] == "open" and task["disclosure_id"] is None
    assert task["categories"] == ["identity", "location"] and task["mandate_ids"] == [m["id"]]
    assert task["requester_agency_id"] == str(s.cps.id)
    assert (await s.get("cps_worker", f"/api/v1/notification-tasks/{task['id']}")).status_code == 404
    assert [e.action for e in await audit_rows(object_id=task["id"])] == ["notification_task.open"]

    # Until it is done, the mandate releases nothing; the refusal is accounted for.
    r = await s.disclose(categories=["identity", "location"])
    assert r.status_code == 201
    body = r.json()
    assert body["released"] == {} and body["basis"] == "none"
    assert body["withheld"] == [{"category": "identity", "reason": "mandate_notice_pending"},
                                {"category": "location", "reason": "mandate_notice_pending"}]
    row = (await s.accounting())[0]
    assert row["id"] == body["id"] and row["outcome"] == "withheld" and row["withheld"] == body["withheld"]
    r = await s.get("advocate", f"/api/v1/notification-tasks?person_id={s.survivor['id']}")
    assert [t["id"] for t in r.json()["items"]] == [task["id"]]  # nothing released, nothing more to tell

    # She has been told (or it was not safe to reach her): the next request releases.
    done = await s.warned(m, outcome="not_safe_to_contact")
    assert done["status"] == "done" and done["outcome"] == "not_safe_to_contact"
    body = (await s.disclose(categories=["identity", "location"])).json()
    assert set(body["released"]) == {"identity", "location"} and body["basis"] == "legal_mandate"


async def test_without_the_warning_release_waits_the_notice_hours(client, world, moving_clock, monkeypatch):
    s = await build_scene(world)
    start = utcnow()
    m = await s.mandate(["identity"])
    moving_clock.set(start + timedelta(hours=71, minutes=59))
    assert (await s.disclose(categories=["identity"])).json()["withheld"] == [
        {"category": "identity", "reason": "mandate_notice_pending"}]
    moving_clock.set(start + timedelta(hours=72, seconds=1))
    body = (await s.disclose(categories=["identity"])).json()
    assert set(body["released"]) == {"identity"}
    assert (await s.notice_task(m))["status"] == "open"  # still to do: she is told after the fact

    monkeypatch.setattr(get_settings(), "mandate_notice_hours", 6)
    moving_clock.set(start)
    m2 = await s.mandate(["court"])
    assert (await s.disclose(categories=["court"])).json()["withheld"][0]["reason"] == "mandate_notice_pending"
    moving_clock.set(start + timedelta(hours=6, seconds=1))
    assert (await s.disclose(categories=["court"])).json()["withheld"] == [{"category": "court", "reason": "no_data"}]
    assert (await s.notice_task(m2))["kind"] == "mandate_notice"


async def test_a_court_order_for_immediate_release_names_its_reason(client, world):
    s = await build_scene(world)
    sub = await s.mandate(["identity"], basis="subpoena")
    url = f"/api/v1/legal-mandates/{sub['id']}/court-order"
    order = {"citation": "Circuit Court No. 26-CV-1182", "document_sha256": "c" * 64}

    r = await s.post("dv_supervisor_2", url, {**order, "immediate_release": True})
    assert r.status_code == 422 and [e["loc"] for e in r.json()["errors"]] == [["body", "immediate_release_reason"]]
    r = await s.post("dv_supervisor_2", url, {**order, "immediate_release_reason": "Hearing at 9."})
    assert r.status_code == 422 and [e["loc"] for e in r.json()["errors"]] == [["body", "immediate_release_reason"]]
    assert (await s.get("advocate", f"/api/v1/legal-mandates/{sub['id']}")).json()["status"] == "triage"

    why = "Emergency custody hearing for Rosa's children tomorrow at 9."
    r = await s.post("dv_supervisor_2", url, {**order, "immediate_release": True, "immediate_release_reason": why})
    assert r.status_code == 200, r.text
    assert r.json()["immediate_release"] is True and r.json()["immediate_release_reason"] == why
    body = (await s.disclose(categories=["identity"])).json()
    assert set(body["released"]) == {"identity"} and body["basis"] == "legal_mandate"
    assert (await s.notice_task(sub))["status"] == "open"  # she is still told

    # Only a court order orders immediate release; a statute or subpoena waits.
    create = f"/api/v1/people/{s.survivor['id']}/legal-mandates"
    for basis in ("statute", "subpoena"):
        r = await s.post("dv_supervisor", create, mandate_body(s.cps, ["court"], basis, immediate_release=True,
                                                               immediate_release_reason=why))
        assert r.status_code == 422 and [e["loc"] for e in r.json()["errors"]] == [["body", "immediate_release"]]
    r = await s.post("dv_supervisor", create, mandate_body(s.cps, ["contact"], "court_order",
                                                           immediate_release=True))
    assert r.status_code == 422 and [e["loc"] for e in r.json()["errors"]] == [["body", "immediate_release_reason"]]
    ordered = mandate_body(s.cps, ["contact"], "court_order", immediate_release=True, immediate_release_reason=why)
    r = await s.post("dv_supervisor", create, ordered, headers={"Idempotency-Key": "imm-1"})
    assert r.status_code == 201 and r.json()["immediate_release"] is True
    again = await s.post("dv_supervisor", create, ordered, headers={"Idempotency-Key": "imm-1"})
    assert again.headers.get("idempotent-replayed") == "true" and again.json() == r.json()
    assert set((await s.disclose(categories=["contact"])).json()["released"]) == {"contact"}

    # The reason is read on the mandate alone: not in lists, sealed at rest, not in the idempotency record.
    items = (await s.get("advocate", create)).json()["items"]
    assert all("immediate_release_reason" not in i for i in items) and "custody" not in json.dumps(items)
    async with sessionmaker()() as session:
        raw = (await session.execute(sa.select(LegalMandate.__table__).where(
            LegalMandate.person_id == uid(s.survivor["id"])))).mappings().all()
        kept = (await session.execute(sa.select(IdempotencyRecord.__table__))).mappings().all()
    assert "custody" not in json.dumps([dict(x) for x in raw], default=str)
    assert "custody" not in json.dumps([dict(x) for x in kept], default=str)
