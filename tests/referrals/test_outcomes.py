"""Closing a referral records a coded outcome beside the free text (optional, validated when given); a service
names the referral it came from (one sent on the same case by the same agency), and the referral's read lists
the services naming it that the caller may see."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from app.core.db import sessionmaker
from app.referrals.models import ReferralEvent
from tests.referrals.scene import build_scene, uid

SERVICE = {"kind": "shelter", "provider_name": "Safe Harbor House", "referred_at": "2026-11-02T09:00:00Z",
           "started_at": "2026-11-03T09:00:00Z", "status": "started"}


async def test_close_records_a_coded_outcome(client, world):
    s = await build_scene(world)
    ref = await s.referral("accepted")
    assert ref["outcome_code"] is None
    url = f"/api/v1/referrals/{ref['id']}/close"
    r = await world.post(s["cps_worker"], url, {"outcome": "Moved to shelter.", "outcome_code": "moved_away"})
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "outcome_code"]
    assert (await world.get(s["cps_worker"], f"/api/v1/referrals/{ref['id']}")).json()["status"] == "accepted"
    r = await world.post(s["cps_worker"], url, {"outcome": "Moved to shelter.", "outcome_code": "service_started"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "closed" and r.json()["outcome_code"] == "service_started"
    assert r.json()["outcome"] == "Moved to shelter."
    for actor in ("cps_worker", "dv_advocate"):
        assert (await world.get(s[actor], f"/api/v1/referrals/{ref['id']}")).json()["outcome_code"] == \
            "service_started"
    (item,) = [i for i in (await world.get(s["cps_worker"], "/api/v1/referrals")).json()["items"]
               if i["id"] == ref["id"]]
    assert item["outcome_code"] == "service_started" and "outcome" not in item
    async with sessionmaker()() as session:
        notes = (await session.execute(sa.select(ReferralEvent.note).where(
            ReferralEvent.referral_id == uid(ref["id"]), ReferralEvent.to_status == "closed"))).scalars().all()
    assert notes == ["outcome code service_started"]


async def test_closing_without_a_code_still_works(client, world):
    s = await build_scene(world)
    ref = await s.referral("closed")
    assert ref["outcome_code"] is None and ref["outcome"]


async def test_a_service_names_the_referral_it_came_from(client, world):
    s = await build_scene(world)
    ref = await s.referral("accepted")
    url = f"/api/v1/people/{s.survivor['id']}/services"
    body = {**SERVICE, "provider_agency_id": str(s.dv.id), "provider_name": None, "referral_id": ref["id"]}
    r = await world.post(s["cps_worker"], url, body)
    assert r.status_code == 201, r.text
    svc = r.json()
    assert svc["referral_id"] == ref["id"]
    # another service of the same family, for the child, from the same referral
    r = await world.post(s["cps_worker"], f"/api/v1/people/{s.child['id']}/services",
                         {**SERVICE, "kind": "childcare", "referral_id": ref["id"]})
    assert r.status_code == 201, r.text
    child_svc = r.json()

    r = await world.get(s["cps_worker"], f"/api/v1/referrals/{ref['id']}")
    assert r.json()["service_ids"] == [svc["id"], child_svc["id"]]
    # the receiving agency sees the referral, not the sending agency's services
    r = await world.get(s["dv_advocate"], f"/api/v1/referrals/{ref['id']}")
    assert r.status_code == 200 and r.json()["service_ids"] == []
    closed = await s.act("close", ref)
    assert closed["service_ids"] == [svc["id"], child_svc["id"]]


async def test_only_a_referral_sent_on_the_same_case_by_the_same_agency(client, world):
    s = await build_scene(world)
    draft = await s.referral("draft")
    other_case = await world.case(s["cps_worker"])
    other_person = await world.person(s["cps_worker"], other_case["id"])
    await s.consent(other_person)
    r = await world.post(s["cps_worker"], "/api/v1/referrals", {
        "case_id": other_case["id"], "to_agency_id": str(s.dv.id), "person_ids": [other_person["id"]],
        "reason": "Other family.", "urgency": "routine"})
    other = (await s.act("send", r.json()))
    url = f"/api/v1/people/{s.survivor['id']}/services"
    for referral_id in (draft["id"], other["id"], str(uuid.uuid4())):
        r = await world.post(s["cps_worker"], url, {**SERVICE, "referral_id": referral_id})
        assert r.status_code == 422, r.text
        assert [(e["loc"], e["type"]) for e in r.json()["errors"]] == [(["body", "referral_id"],
                                                                        "referral_not_of_case")]
    sent = await s.referral("sent")
    svc = (await world.post(s["cps_worker"], url, {**SERVICE, "referral_id": sent["id"]})).json()
    r = await world.patch(s["cps_worker"], f"/api/v1/services/{svc['id']}", {"referral_id": other["id"]})
    assert r.status_code == 422
    r = await world.patch(s["cps_worker"], f"/api/v1/services/{svc['id']}", {"referral_id": None})
    assert r.status_code == 200 and r.json()["referral_id"] is None
    assert (await world.get(s["cps_worker"], f"/api/v1/referrals/{sent['id']}")).json()["service_ids"] == []
