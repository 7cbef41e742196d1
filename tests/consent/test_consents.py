"""Recording, listing and revoking consents: every element required (all named at once), grantor rules,
the window counted from the signature (configurable maximum length), owner-only access, revocation with
who/when/how and its webhook."""

from __future__ import annotations

import uuid
from datetime import timedelta

import sqlalchemy as sa

from app.consent.models import Consent
from app.core.clock import utcnow
from app.core.config import get_settings
from app.core.db import sessionmaker
from app.outbox.models import WebhookEvent
from tests.consent.helpers import audit_rows, build_scene, consent_body, iso, uid

REQUIRED = ["recipient_agency_id", "purposes", "categories", "valid_from", "expires_at", "signed_at",
            "signature_method", "risks_explained", "language", "grantor"]


async def _consents_of(person_id) -> int:
    async with sessionmaker()() as s:
        return (await s.execute(sa.select(sa.func.count()).select_from(Consent)
                                .where(Consent.person_id == uid(person_id)))).scalar_one()


async def test_record_consent_then_read_it_and_list_it(client, world):
    s = await build_scene(world)
    body = consent_body(s.survivor["id"], s.cps.id, purposes=["referral"], categories=["identity", "contact"])
    r = await s.post("advocate", f"/api/v1/people/{s.survivor['id']}/consents", body)
    assert r.status_code == 201, r.text
    c = r.json()
    assert c["status"] == "active" and c["recipient_agency_id"] == str(s.cps.id)
    assert c["purposes"] == ["referral"] and c["categories"] == ["identity", "contact"]
    assert c["grantor"] == {"person_id": s.survivor["id"], "relationship": "self"}
    assert c["risks_explained"] is True and c["language"] == "es" and c["signature_method"] == "written"
    assert c["recorded_by"] == f"user:{s['advocate'].id}"
    assert [e.action for e in await audit_rows(object_id=c["id"])] == ["consent.create"]

    r = await s.get("advocate", f"/api/v1/consents/{c['id']}")
    assert r.status_code == 200 and r.headers["etag"] and r.json() == c
    r = await s.get("advocate", f"/api/v1/people/{s.survivor['id']}/consents")
    (item,) = r.json()["items"]
    assert item["id"] == c["id"] and item["status"] == "active"
    assert "language" not in item and "revocation_reason" not in item
    assert r.json()["next_cursor"] is None
    r = await s.get("advocate", f"/api/v1/people/{s.survivor['id']}/consents?status=revoked")
    assert r.json()["items"] == []


async def test_missing_elements_are_each_named_and_nothing_is_written(client, world):
    s = await build_scene(world)
    url = f"/api/v1/people/{s.survivor['id']}/consents"
    r = await s.post("advocate", url, {})
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    named = {tuple(e["loc"][1:]) for e in r.json()["errors"]}
    assert named == {(f,) for f in REQUIRED}

    body = consent_body(s.survivor["id"], s.cps.id, risks_explained=False)
    for f in ("signed_at", "language", "expires_at"):
        del body[f]
    body["grantor"] = {"person_id": s.survivor["id"]}
    r = await s.post("advocate", url, body)
    assert r.status_code == 422
    named = {tuple(e["loc"][1:]) for e in r.json()["errors"]}
    assert named == {("signed_at",), ("language",), ("expires_at",), ("risks_explained",),
                     ("grantor", "relationship")}

    # Elements present but wrong are also reported together.
    pu = await world.person(s["advocate"], s.case["id"], case_role="person_using_violence", full_name="X")
    body = consent_body(s.survivor["id"], s.dv.id, expires_at=iso(utcnow() + timedelta(days=120)),
                        grantor={"person_id": pu["id"], "relationship": "self"})
    r = await s.post("advocate", url, body)
    assert r.status_code == 422
    types = {(tuple(e["loc"][1:]), e["type"]) for e in r.json()["errors"]}
    assert types == {(("recipient_agency_id",), "own_agency"), (("expires_at",), "consent_too_long"),
                     (("grantor", "person_id"), "grantor_person_using_violence")}
    assert await _consents_of(s.survivor["id"]) == 0
    assert [e for e in await audit_rows(action="consent.create", agency_id=s.dv.id)] == []


async def test_term_limits(client, world, monkeypatch):
    s = await build_scene(world)
    url = f"/api/v1/people/{s.survivor['id']}/consents"
    start = utcnow()
    before = consent_body(s.survivor["id"], s.cps.id, valid_from=iso(start), expires_at=iso(start))
    r = await s.post("advocate", url, before)
    assert r.status_code == 422 and r.json()["errors"][0]["type"] == "expires_before_valid_from"
    ninety = consent_body(s.survivor["id"], s.cps.id, valid_from=iso(start), signed_at=iso(start),
                          expires_at=iso(start + timedelta(days=90)))
    assert (await s.post("advocate", url, ninety)).status_code == 201
    longer = {**ninety, "expires_at": iso(start + timedelta(days=90, seconds=1))}
    assert (await s.post("advocate", url, longer)).status_code == 422
    future = consent_body(s.survivor["id"], s.cps.id, signed_at=iso(start + timedelta(days=1)))
    r = await s.post("advocate", url, future)
    assert r.status_code == 422 and r.json()["errors"][0]["type"] == "signed_in_future"
    unknown = consent_body(s.survivor["id"], uuid.uuid4())
    r = await s.post("advocate", url, unknown)
    assert r.status_code == 422 and r.json()["errors"][0]["type"] == "unknown_agency"
    bad = consent_body(s.survivor["id"], s.cps.id, purposes=["gossip"], categories=[])
    r = await s.post("advocate", url, bad)
    assert r.status_code == 422 and {e["loc"][1] for e in r.json()["errors"]} == {"purposes", "categories"}
    monkeypatch.setattr(get_settings(), "consent_max_days", 30)
    r = await s.post("advocate", url, ninety)
    assert r.status_code == 422 and "30 days" in r.json()["errors"][0]["msg"]


async def test_grantor_rules(client, world):
    s = await build_scene(world)
    adv = s["advocate"]
    child = await world.person(adv, s.case["id"], case_role="child", full_name="Kid")
    father = await world.person(adv, s.case["id"], case_role="person_using_violence", full_name="Him")
    grandma = await world.person(adv, s.case["id"], case_role="caregiver", full_name="Gran")
    other_case = await world.case(adv)
    stranger = await world.person(adv, other_case["id"], full_name="Elsewhere")

    async def attempt(person, grantor, relationship):
        body = consent_body(person["id"], s.cps.id, grantor={"person_id": grantor["id"],
                                                             "relationship": relationship})
        return await s.post("advocate", f"/api/v1/people/{person['id']}/consents", body)

    def types(r):
        return {e["type"] for e in r.json()["errors"]}

    assert (await attempt(child, s.survivor, "parent")).status_code == 201  # the non-abusive mother
    assert (await attempt(child, grandma, "guardian")).status_code == 201
    r = await attempt(child, father, "parent")
    assert r.status_code == 422 and types(r) == {"grantor_person_using_violence"}
    r = await attempt(child, child, "self")
    assert r.status_code == 422 and types(r) == {"grantor_not_parent_or_guardian", "relationship_mismatch"}
    r = await attempt(s.survivor, grandma, "guardian")
    assert r.status_code == 422 and types(r) == {"grantor_not_self", "relationship_mismatch"}
    r = await attempt(father, father, "self")
    assert r.status_code == 422 and types(r) == {"grantor_person_using_violence"}
    r = await attempt(child, stranger, "parent")
    assert r.status_code == 422 and types(r) == {"grantor_not_in_case"}
    r = await attempt(child, {"id": str(uuid.uuid4())}, "parent")
    assert r.status_code == 422 and types(r) == {"grantor_not_in_case"}
    assert await _consents_of(child["id"]) == 2


async def test_only_the_owning_agencys_staff_on_the_case_see_or_record_consents(client, world):
    s = await build_scene(world)
    c = await s.consent()
    url = f"/api/v1/people/{s.survivor['id']}/consents"
    for actor in ("cps_worker", "cps_supervisor", "dv_other_advocate"):
        assert (await s.post(actor, url, consent_body(s.survivor["id"], s.third.id))).status_code == 404
        assert (await s.get(actor, url)).status_code == 404
        assert (await s.get(actor, f"/api/v1/consents/{c['id']}")).status_code == 404
        r = await s.post(actor, f"/api/v1/consents/{c['id']}/revoke", {"reason": "x", "method": "oral"})
        assert r.status_code == 404
    assert (await s.get("dv_supervisor", url)).status_code == 200
    assert (await s.post("dv_admin", url, consent_body(s.survivor["id"], s.third.id))).status_code == 403


async def test_revocation_records_who_when_how_and_tells_both_agencies(client, world):
    s = await build_scene(world)
    for agency in (s.cps, s.dv):
        await world.webhook(agency, "consent.*")
    c = await s.consent()
    r = await s.post("advocate", f"/api/v1/consents/{c['id']}/revoke",
                     {"reason": "She moved and fears he will trace her.", "method": "oral"},
                     headers={"If-Match": 'W/"nope.0"'})
    assert r.status_code == 412
    etag = (await s.get("advocate", f"/api/v1/consents/{c['id']}")).headers["etag"]
    r = await s.post("advocate", f"/api/v1/consents/{c['id']}/revoke",
                     {"reason": "She moved and fears he will trace her.", "method": "oral"},
                     headers={"If-Match": etag})
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["status"] == "revoked" and out["revocation_method"] == "oral"
    assert out["revoked_by"] == f"user:{s['advocate'].id}" and out["revoked_at"]
    assert out["revocation_reason"] == "She moved and fears he will trace her."
    r = await s.post("advocate", f"/api/v1/consents/{c['id']}/revoke", {"reason": "again", "method": "written"})
    assert r.status_code == 409
    assert [e.action for e in await audit_rows(object_id=c["id"])] == ["consent.create", "consent.revoke"]

    async with sessionmaker()() as session:
        events = (await session.execute(sa.select(WebhookEvent).where(
            WebhookEvent.type == "consent.revoked", WebhookEvent.agency_id.in_([s.cps.id, s.dv.id])))).scalars().all()
        raw = (await session.execute(sa.select(Consent.revocation_reason_enc).where(
            Consent.id == uid(c["id"])))).scalar_one()
    assert {e.agency_id for e in events} == {s.cps.id, s.dv.id}
    for e in events:
        assert set(e.data) == {"consent_id", "revoked_at"} and e.data["consent_id"] == c["id"]
    assert "trace" not in raw  # the reason is sealed at rest


async def test_idempotent_create_replays_the_consent(client, world):
    s = await build_scene(world)
    url = f"/api/v1/people/{s.survivor['id']}/consents"
    body = consent_body(s.survivor["id"], s.cps.id)
    h = {"Idempotency-Key": "consent-1"}
    r1 = await s.post("advocate", url, body, headers=h)
    r2 = await s.post("advocate", url, body, headers=h)
    assert r1.status_code == r2.status_code == 201
    assert r2.headers.get("idempotent-replayed") == "true" and r2.json() == r1.json()
    assert await _consents_of(s.survivor["id"]) == 1
    r3 = await s.post("advocate", url, {**body, "language": "en"}, headers=h)
    assert r3.status_code == 422


async def test_the_consent_window_counts_from_the_signature(client, world):
    s = await build_scene(world)
    url = f"/api/v1/people/{s.survivor['id']}/consents"
    now = utcnow()

    async def refused(**over) -> set[tuple[str, str]]:
        r = await s.post("advocate", url, consent_body(s.survivor["id"], s.cps.id, **over))
        assert r.status_code == 422, r.text
        return {(e["loc"][1], e["type"]) for e in r.json()["errors"]}

    # Signed years ago: not a signature that can still grant anything.
    old = now - timedelta(days=3 * 365)
    assert await refused(signed_at=iso(old), valid_from=iso(old), expires_at=iso(old + timedelta(days=80))) == {
        ("signed_at", "signed_too_long_ago")}
    # Valid only years from now.
    later = now + timedelta(days=2 * 365)
    assert await refused(valid_from=iso(later), expires_at=iso(later + timedelta(days=30))) == {
        ("valid_from", "valid_from_too_late"), ("expires_at", "consent_too_long")}
    # Backdated more than a day before she signed.
    assert await refused(signed_at=iso(now - timedelta(hours=1)), valid_from=iso(now - timedelta(days=2))) == {
        ("valid_from", "valid_from_before_signature")}
    # The limit counts from the signature, even when valid_from starts later.
    signed = now - timedelta(days=10)
    errors = await refused(signed_at=iso(signed), valid_from=iso(signed + timedelta(days=20)),
                           expires_at=iso(signed + timedelta(days=95)))
    assert errors == {("expires_at", "consent_too_long")}
    # Signed beyond clock skew in the future is no signature.
    assert await refused(signed_at=iso(now + timedelta(minutes=10))) == {("signed_at", "signed_in_future")}
    assert await _consents_of(s.survivor["id"]) == 0

    # Within the limits: backdated by less than a day, ending exactly the maximum after the signature.
    ok = consent_body(s.survivor["id"], s.cps.id, signed_at=iso(signed), valid_from=iso(signed - timedelta(hours=23)),
                      expires_at=iso(signed + timedelta(days=90)))
    r = await s.post("advocate", url, ok)
    assert r.status_code == 201, r.text
    r = await s.post("advocate", url, {**ok, "valid_from": iso(signed + timedelta(days=20))})
    assert r.status_code == 201, r.text
