"""Creating a referral: drafts, validation, idempotent retries, and who can see a draft."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from app.core.db import sessionmaker
from app.core.models import IdempotencyRecord
from app.referrals.models import Referral
from app.trail.models import AuditEvent
from tests.referrals.scene import SURVIVOR_NAME, build_scene


async def test_draft_carries_person_ids_family_goals_and_no_names(client, world):
    s = await build_scene(world, agreement=False, consent=False)
    r = await s.draft(person_ids=[s.survivor["id"], s.child["id"]], urgency="urgent")
    assert r.status_code == 201, r.text
    ref = r.json()
    assert r.headers["etag"]
    assert ref["status"] == "draft"
    assert ref["from_agency_id"] == str(s.cps.id) and ref["to_agency_id"] == str(s.dv.id)
    assert ref["person_ids"] == [s.survivor["id"], s.child["id"]]
    assert ref["family_goals"] == "Keep the children in school and stay near my sister."
    assert ref["respond_by"] is None and ref["sent_at"] is None
    assert ref["allowed_actions"] == ["send", "withdraw"]
    assert SURVIVOR_NAME not in r.text

    # The free text is sealed at rest.
    async with sessionmaker()() as db:
        row = await db.get(Referral, uuid.UUID(ref["id"]))
        assert "sister" not in (row.family_goals_enc or "") and "Elm" not in (row.reason_enc or "")
        actions = (await db.execute(sa.select(AuditEvent.action).where(AuditEvent.object_id == ref["id"]))).scalars()
        assert list(actions) == ["referral.create"]

    # The timeline starts with the draft.
    r = await world.get(s["cps_worker"], f"/api/v1/referrals/{ref['id']}/events")
    events = r.json()["items"]
    assert [(e["from_status"], e["to_status"]) for e in events] == [(None, "draft")]
    snap = events[0]["snapshot"]
    assert snap["from_agency"] == {"id": str(s.cps.id), "name": s.cps.name}
    assert snap["to_agency"] == {"id": str(s.dv.id), "name": s.dv.name}
    assert [w["id"] for w in snap["sending_workers"]] == [str(s["cps_worker"].id)]


async def test_draft_is_invisible_to_the_receiver_and_third_agencies(client, world):
    s = await build_scene(world, agreement=False, consent=False, full=True)
    ref = (await s.draft()).json()
    for who in ("dv_advocate", "dv_supervisor", "other_advocate", "cps_off_team"):
        r = await world.get(s[who], f"/api/v1/referrals/{ref['id']}")
        assert r.status_code == 404, who
        r = await world.get(s[who], f"/api/v1/referrals/{ref['id']}/events")
        assert r.status_code == 404, who
        r = await world.get(s[who], "/api/v1/referrals")
        assert ref["id"] not in [i["id"] for i in r.json()["items"]], who
    r = await world.get(s["cps_supervisor"], f"/api/v1/referrals/{ref['id']}")
    assert r.status_code == 200
    for who in ("cps_admin", "dv_admin", "cps_auditor"):
        r = await world.get(s[who], f"/api/v1/referrals/{ref['id']}")
        assert r.status_code == 403, who


async def test_create_validation(client, world):
    s = await build_scene(world, agreement=False, consent=False, full=True)
    other_cps = await world.agency("cps")
    foreign_case = await world.case(s["other_advocate"])
    foreign_person = await world.person(s["other_advocate"], foreign_case["id"])

    r = await s.draft(to_agency_id=str(other_cps.id))
    assert r.status_code == 422 and r.json()["errors"][0]["type"] == "same_agency_kind"
    r = await s.draft(to_agency_id=str(s.cps.id))
    assert r.status_code == 422
    r = await s.draft(to_agency_id=str(uuid.uuid4()))
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "to_agency_id"]
    r = await s.draft(person_ids=[s.survivor["id"], foreign_person["id"]])
    assert r.status_code == 422
    assert r.json()["errors"] == [{"loc": ["body", "person_ids", 1], "msg": "not a person in this case",
                                   "type": "person_not_in_case"}]
    r = await s.draft(person_ids=[])
    assert r.status_code == 422
    r = await s.draft(person_ids=[s.survivor["id"], s.survivor["id"]])
    assert r.status_code == 422
    r = await s.draft(urgency="whenever")
    assert r.status_code == 422
    r = await s.draft(status="accepted")
    assert r.status_code == 422
    r = await s.draft(reason="")
    assert r.status_code == 422
    r = await s.draft(consent_id=str(uuid.uuid4()))
    assert r.status_code == 422 and r.json()["errors"][0]["type"] == "consent_mismatch"
    # A case the caller cannot see is a 404, never a hint that it exists.
    r = await s.draft(case_id=foreign_case["id"])
    assert r.status_code == 404
    r = await s.draft(actor="cps_off_team")
    assert r.status_code == 404
    r = await s.draft(actor="cps_admin")
    assert r.status_code == 403
    async with sessionmaker()() as db:
        n = (await db.execute(sa.select(sa.func.count()).select_from(Referral)
                              .where(Referral.case_id == uuid.UUID(s.case["id"])))).scalar_one()
    assert n == 0


async def test_dv_agency_refers_to_cps(client, world):
    s = await build_scene(world, agreement=False, consent=False)
    dv_case = await world.case(s["dv_advocate"])
    person = await world.person(s["dv_advocate"], dv_case["id"])
    body = {"case_id": dv_case["id"], "to_agency_id": str(s.cps.id), "person_ids": [person["id"]],
            "reason": "Survivor asks for help with a CPS safety plan.", "urgency": "emergency"}
    r = await world.post(s["dv_advocate"], "/api/v1/referrals", body)
    assert r.status_code == 201, r.text
    assert r.json()["from_agency_id"] == str(s.dv.id)
    assert r.json()["family_goals"] is None
    body["to_agency_id"] = str(s.other_dv.id)
    r = await world.post(s["dv_advocate"], "/api/v1/referrals", body)
    assert r.status_code == 422


async def test_idempotent_create(client, world):
    s = await build_scene(world, agreement=False, consent=False)
    key = {"Idempotency-Key": f"ref-{uuid.uuid4()}"}
    body = {"case_id": s.case["id"], "to_agency_id": str(s.dv.id), "person_ids": [s.survivor["id"]],
            "reason": "Needs advocacy.", "urgency": "routine"}
    r1 = await world.post(s["cps_worker"], "/api/v1/referrals", body, headers=key)
    r2 = await world.post(s["cps_worker"], "/api/v1/referrals", body, headers=key)
    assert r1.status_code == r2.status_code == 201
    assert r2.json()["id"] == r1.json()["id"]
    assert r2.headers.get("idempotent-replayed") == "true"
    assert r2.json() == r1.json() and r2.headers["etag"] == r1.headers["etag"]
    # The stored record holds the id only, never the reason in plaintext.
    async with sessionmaker()() as db:
        (stored,) = (await db.execute(sa.select(IdempotencyRecord.__table__).where(
            IdempotencyRecord.owner == f"user:{s['cps_worker'].id}"))).mappings().all()
    assert "advocacy" not in str(dict(stored)) and str(stored["resource_id"]) == r1.json()["id"]
    r3 = await world.post(s["cps_worker"], "/api/v1/referrals", {**body, "urgency": "urgent"}, headers=key)
    assert r3.status_code == 422
    assert r3.json()["errors"][0]["type"] == "idempotency_key_reused"
    async with sessionmaker()() as db:
        n = (await db.execute(sa.select(sa.func.count()).select_from(Referral)
                              .where(Referral.case_id == uuid.UUID(s.case["id"])))).scalar_one()
    assert n == 1
