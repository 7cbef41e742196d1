"""The task inbox through HTTP: each source opens exactly one task for the right people (none for others,
another agency's is 404), done / snooze / reopen, detection on the service clock (once), escalation, renewal
of an expiring consent into a draft that releases nothing until signed, and webhooks with ids only."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from app.cases.models import Case
from app.core.db import sessionmaker
from app.outbox.events import EVENTS
from app.outbox.models import WebhookEvent
from app.tasks.detect import detect_expiring_consents, detect_overdue_referrals
from tests.checklists.helpers import Team
from tests.factories import token_for
from tests.referrals.scene import SURVIVOR_NAME, build_scene

FRIDAY = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


async def _tasks(s: Any, actor: str, **params: Any) -> list[dict[str, Any]]:
    r = await s.world.get(s[actor], "/api/v1/tasks", params={"limit": 200, **params})
    assert r.status_code == 200, r.text
    return r.json()["items"]


async def _about(s: Any, actor: str, subject_id: Any, **params: Any) -> list[dict[str, Any]]:
    return [t for t in await _tasks(s, actor, **params) if t["subject_id"] == str(subject_id)]


async def _events(event_type: str, key: str, value: Any) -> list[WebhookEvent]:
    async with sessionmaker()() as db:
        rows = (await db.execute(sa.select(WebhookEvent).where(WebhookEvent.type == event_type))).scalars().all()
    return [e for e in rows if e.data.get(key) == str(value)]


def _ids_only(event: WebhookEvent) -> None:
    assert set(event.data) <= set(EVENTS[event.type].fields)
    assert SURVIVOR_NAME not in str(event.data)
    for k, v in event.data.items():
        assert v is None or k.endswith("_id") or k.endswith("_at") or k in ("at", "status"), (k, v)


async def test_overdue_referral_tells_the_receiving_supervisors_once_then_escalates(world, clock):
    clock.set(FRIDAY)
    s = await build_scene(world, full=True)
    for agency in (s.cps, s.dv, s.other_dv):
        await world.webhook(agency, "referral.*")
    ref = await s.referral("sent", urgency="emergency")  # respond by 19:00
    clock.set(FRIDAY + timedelta(hours=3))
    await detect_overdue_referrals()
    s.retoken()
    assert await _about(s, "dv_supervisor", ref["id"]) == []

    clock.set(FRIDAY + timedelta(hours=5))
    s.retoken()
    await detect_overdue_referrals()
    await detect_overdue_referrals()  # a second pass opens nothing new
    [task] = await _about(s, "dv_supervisor", ref["id"], status="open")
    assert task["kind"] == "referral_overdue" and task["assignee_role"] == "dv_supervisor"
    assert task["priority"] == "normal" and task["action"] == f"/api/v1/referrals/{ref['id']}"
    assert datetime.fromisoformat(task["due_at"]) == FRIDAY + timedelta(hours=4)
    assert SURVIVOR_NAME not in str(task)
    for other in ("dv_advocate", "cps_worker", "cps_supervisor", "other_supervisor", "other_advocate"):
        assert await _about(s, other, ref["id"]) == [], other
    r = await world.get(s["other_supervisor"], f"/api/v1/tasks/{task['id']}")
    assert r.status_code == 404
    r = await world.get(s["dv_supervisor"], f"/api/v1/tasks/{task['id']}")
    assert r.status_code == 200 and r.headers["etag"]

    events = await _events("referral.overdue", "referral_id", ref["id"])
    assert {e.agency_id for e in events} == {s.cps.id, s.dv.id}  # one each; the unrelated agency nothing
    for e in events:
        _ids_only(e)
        assert e.data["task_id"] == task["id"] and "escalated_at" not in e.data

    # Still unanswered a day after its deadline: a second task, of high priority, and the event again.
    clock.set(FRIDAY + timedelta(hours=4, days=1, minutes=1))
    s.retoken()
    await detect_overdue_referrals()
    await detect_overdue_referrals()
    tasks = await _about(s, "dv_supervisor", ref["id"], status="open")
    assert sorted((t["kind"], t["priority"]) for t in tasks) == [("referral_escalated", "high"),
                                                                 ("referral_overdue", "normal")]
    escalated = [e for e in await _events("referral.overdue", "referral_id", ref["id"]) if e.data.get("escalated_at")]
    assert {e.agency_id for e in escalated} == {s.cps.id, s.dv.id}

    # Acknowledging is no answer; accepting closes both.
    ref = await s.act("acknowledge", ref)
    assert len(await _about(s, "dv_supervisor", ref["id"], status="open")) == 2
    await s.act("accept", ref)
    assert await _about(s, "dv_supervisor", ref["id"], status="open") == []
    done = await _about(s, "dv_supervisor", ref["id"], status="done")
    assert len(done) == 2 and all(t["done_by"] == "system" for t in done)


async def test_done_snooze_and_reopen(world, clock):
    clock.set(FRIDAY)
    s = await build_scene(world)
    ref = await s.referral("acknowledged", urgency="emergency")
    clock.set(FRIDAY + timedelta(hours=5))
    s.retoken()
    await detect_overdue_referrals()
    [task] = await _about(s, "dv_supervisor", ref["id"])
    url = f"/api/v1/tasks/{task['id']}"

    r = await world.post(s["dv_supervisor"], f"{url}/snooze", {"until": (FRIDAY - timedelta(hours=1)).isoformat()})
    assert r.status_code == 422 and r.json()["errors"][0]["type"] == "snooze_out_of_range"
    r = await world.post(s["dv_supervisor"], f"{url}/snooze", {"until": "soon"})
    assert r.status_code == 422
    r = await world.post(s["dv_supervisor"], f"{url}/snooze", {"until": (FRIDAY + timedelta(hours=8)).isoformat()},
                         headers={"If-Match": '"999"'})
    assert r.status_code == 412
    r = await world.post(s["dv_supervisor"], f"{url}/snooze", {"until": (FRIDAY + timedelta(hours=8)).isoformat()})
    assert r.status_code == 200 and r.json()["status"] == "snoozed"
    assert await _about(s, "dv_supervisor", ref["id"], status="open") == []
    assert len(await _about(s, "dv_supervisor", ref["id"], status="snoozed")) == 1
    r = await world.post(s["dv_advocate"], f"{url}/done")  # not hers: as if it did not exist
    assert r.status_code == 404

    clock.set(FRIDAY + timedelta(hours=8, minutes=1))  # its time has come: open again
    s.retoken()
    [again] = await _about(s, "dv_supervisor", ref["id"], status="open")
    assert again["status"] == "open"
    assert await _about(s, "dv_supervisor", ref["id"], status="snoozed") == []

    r = await world.post(s["dv_supervisor"], f"{url}/done")
    assert r.status_code == 200 and r.json()["status"] == "done" and r.json()["done_at"]
    assert (await world.post(s["dv_supervisor"], f"{url}/done")).status_code == 409
    r = await world.post(s["dv_supervisor"], f"{url}/snooze", {"until": (FRIDAY + timedelta(days=1)).isoformat()})
    assert r.status_code == 409
    assert len(await _about(s, "dv_supervisor", ref["id"], status="done")) == 1
    await detect_overdue_referrals()  # done stays done: nothing reopens it
    assert len(await _about(s, "dv_supervisor", ref["id"])) == 1


async def _disclose(s: Any) -> dict[str, Any]:
    r = await s.world.post(s["dv_advocate"], "/api/v1/disclosures",
                           {"person_id": s.survivor["id"], "purpose": "referral", "categories": ["identity"]})
    assert r.status_code == 201, r.text
    return r.json()


async def test_expiring_consent_asks_the_worker_on_the_case_to_renew_it(world, clock):
    clock.set(FRIDAY)
    s = await build_scene(world, consent=False)
    await world.webhook(s.dv, "consent.*")
    await world.webhook(s.cps, "consent.*")
    consent = await s.consent(s.survivor)  # expires in 60 days
    expires = datetime.fromisoformat(consent["expires_at"])

    clock.set(expires - timedelta(days=15))
    s.retoken()
    await detect_expiring_consents()
    assert await _about(s, "cps_worker", consent["id"]) == []

    clock.set(expires - timedelta(days=13))
    s.retoken()
    await detect_expiring_consents()
    await detect_expiring_consents()
    [task] = await _about(s, "cps_worker", consent["id"], status="open")  # the case's assigned worker
    assert task["kind"] == "consent_expiring" and task["assignee_user_id"] == str(s["cps_worker"].id)
    assert task["action"] == f"/api/v1/consents/{consent['id']}/renew"
    for other in ("cps_supervisor", "dv_advocate", "dv_supervisor", "other_advocate"):
        assert await _about(s, other, consent["id"]) == [], other
    assert (await world.get(s["dv_supervisor"], f"/api/v1/tasks/{task['id']}")).status_code == 404
    events = await _events("consent.expiring", "consent_id", consent["id"])
    assert {e.agency_id for e in events} == {s.cps.id, s.dv.id}
    for e in events:
        _ids_only(e)

    # Renewal: a draft with the same scope, which releases nothing.
    r = await world.post(s["cps_worker"], f"/api/v1/consents/{consent['id']}/renew")
    assert r.status_code == 201, r.text
    draft = r.json()
    assert draft["status"] == "draft" and draft["renews_consent_id"] == consent["id"]
    assert (draft["recipient_agency_id"], draft["purposes"], draft["categories"]) == (
        consent["recipient_agency_id"], consent["purposes"], consent["categories"])
    assert (await world.post(s["cps_worker"], f"/api/v1/consents/{consent['id']}/renew")).status_code == 409
    assert (await world.get(s["dv_advocate"], f"/api/v1/consent-drafts/{draft['id']}")).status_code == 404
    assert (await world.post(s["dv_advocate"], f"/api/v1/consents/{consent['id']}/renew")).status_code == 404

    clock.set(expires + timedelta(hours=1))  # the old consent has lapsed; the draft is not signed
    s.retoken()
    out = await _disclose(s)
    assert out["released"] == {} and out["withheld"][0]["reason"] == "consent_expired"

    now = expires + timedelta(hours=1)
    sign = {"valid_from": (now - timedelta(minutes=5)).isoformat(), "expires_at": (now + timedelta(days=80)).isoformat(),
            "signed_at": (now - timedelta(minutes=5)).isoformat(), "signature_method": "written",
            "risks_explained": True, "language": "en", "grantor": {"person_id": s.survivor["id"], "relationship": "self"}}
    r = await world.post(s["cps_worker"], f"/api/v1/consent-drafts/{draft['id']}/sign", {**sign, "risks_explained": False})
    assert r.status_code == 422
    r = await world.post(s["cps_worker"], f"/api/v1/consent-drafts/{draft['id']}/sign",
                         {**sign, "expires_at": (now + timedelta(days=200)).isoformat()})
    assert r.status_code == 422 and r.json()["errors"][0]["type"] == "consent_too_long"
    assert (await _disclose(s))["released"] == {}  # refused signatures changed nothing
    r = await world.post(s["cps_worker"], f"/api/v1/consent-drafts/{draft['id']}/sign", sign)
    assert r.status_code == 201, r.text
    renewed = r.json()
    assert renewed["status"] == "active" and renewed["id"] != consent["id"]
    assert (renewed["categories"], renewed["purposes"]) == (consent["categories"], consent["purposes"])
    out = await _disclose(s)
    assert "identity" in out["released"]
    r = await world.get(s["cps_worker"], f"/api/v1/consent-drafts/{draft['id']}")
    assert r.json()["status"] == "signed" and r.json()["signed_consent_id"] == renewed["id"]
    assert (await world.post(s["cps_worker"], f"/api/v1/consent-drafts/{draft['id']}/sign", sign)).status_code == 409

    # A revoked consent is not renewed, and revoking closes its renewal task; a renewed one asks nothing.
    r = await world.post(s["cps_worker"], f"/api/v1/consents/{renewed['id']}/revoke",
                         {"reason": "She asked to stop.", "method": "oral"})
    assert r.status_code == 200
    assert (await world.post(s["cps_worker"], f"/api/v1/consents/{renewed['id']}/renew")).status_code == 409


async def test_without_an_assigned_worker_the_case_team_gets_it_and_revocation_closes_it(world, clock):
    clock.set(FRIDAY)
    s = await build_scene(world, consent=False, full=True)
    colleague = await world.user(s.cps, "cps_worker")
    r = await world.post(s["cps_supervisor"], f"/api/v1/cases/{s.case['id']}/team/{colleague.id}")
    assert r.status_code in (200, 201), r.text
    async with sessionmaker()() as db:
        await db.execute(sa.update(Case).where(Case.id == uuid.UUID(s.case["id"])).values(assigned_worker_id=None))
        await db.commit()
    consent = await s.consent(s.survivor)
    clock.set(datetime.fromisoformat(consent["expires_at"]) - timedelta(days=2))
    s.retoken()
    colleague.h = {"Authorization": f"Bearer {token_for(colleague.user, colleague.agency)}"}
    s.actors["colleague"] = colleague
    await detect_expiring_consents()
    [task] = await _about(s, "cps_worker", consent["id"])
    assert task["assignee_case_id"] == s.case["id"] and task["assignee_user_id"] is None
    assert [t["id"] for t in await _about(s, "colleague", consent["id"])] == [task["id"]]  # one task, the team's
    assert await _about(s, "cps_off_team", consent["id"]) == []
    r = await world.post(s["cps_worker"], f"/api/v1/consents/{consent['id']}/revoke",
                         {"reason": "She asked to stop.", "method": "oral"})
    assert r.status_code == 200
    [closed] = await _about(s, "colleague", consent["id"])
    assert closed["status"] == "done"


async def test_a_scheduled_juncture_tells_the_linked_advocate_and_a_completed_checklist_is_announced(world, clock):
    clock.set(FRIDAY)
    s = await build_scene(world, full=True)
    for agency in (s.cps, s.dv, s.other_dv):
        await world.webhook(agency, "juncture.*", "checklist.*")
    ref = await s.referral("accepted")  # the DV advocate accepted: she is linked to the case
    team = Team(world, s["cps_worker"], s["cps_supervisor"], s["cps_admin"], s.case)
    checklist = await team.completed("family_meeting")
    events = await _events("checklist.completed", "checklist_id", checklist["id"])
    assert {e.agency_id for e in events} == {s.cps.id, s.dv.id}
    for e in events:
        _ids_only(e)

    meeting = FRIDAY + timedelta(days=4)
    r = await world.post(s["cps_worker"], f"/api/v1/cases/{s.case['id']}/junctures",
                         {"juncture": "family_meeting", "scheduled_for": meeting.isoformat()})
    assert r.status_code == 201, r.text
    juncture = r.json()
    [task] = await _about(s, "dv_advocate", juncture["id"])
    assert task["kind"] == "juncture_scheduled" and task["assignee_user_id"] == str(s["dv_advocate"].id)
    assert task["case_id"] == s.case["id"] and datetime.fromisoformat(task["due_at"]) == meeting
    for other in ("dv_supervisor", "cps_worker", "cps_supervisor", "other_advocate", "other_supervisor"):
        assert await _about(s, other, juncture["id"]) == [], other
    events = await _events("juncture.scheduled", "juncture_id", juncture["id"])
    assert {e.agency_id for e in events} == {s.cps.id, s.dv.id}
    for e in events:
        _ids_only(e)
        assert datetime.fromisoformat(e.data["at"]) == meeting
    r = await world.post(s["dv_advocate"], f"/api/v1/tasks/{task['id']}/done")
    assert r.status_code == 200 and r.json()["status"] == "done"
    assert ref["status"] == "accepted"


async def test_a_mandate_notice_is_a_task_closed_by_completing_the_notification(world, clock):
    clock.set(FRIDAY)
    s = await build_scene(world)
    body = {"basis": "statute", "citation": "State Code 1.2.3", "recipient_agency_id": str(s.dv.id),
            "categories": ["identity"], "document_sha256": "c" * 64,
            "expires_at": (FRIDAY + timedelta(days=30)).isoformat()}
    r = await world.post(s["cps_supervisor"], f"/api/v1/people/{s.survivor['id']}/legal-mandates", body)
    assert r.status_code == 201, r.text
    r = await world.get(s["cps_worker"], "/api/v1/notification-tasks", params={"kind": "mandate_notice"})
    [notice] = [t for t in r.json()["items"] if t["person_id"] == s.survivor["id"]]
    [task] = await _about(s, "cps_worker", notice["id"])
    assert task["kind"] == "mandate_notice" and task["assignee_user_id"] == str(s["cps_worker"].id)
    assert task["action"] == f"/api/v1/notification-tasks/{notice['id']}/complete"
    assert await _about(s, "dv_advocate", notice["id"]) == []
    r = await world.post(s["cps_worker"], f"/api/v1/tasks/{task['id']}/done")
    assert r.status_code == 409  # warned with an outcome, at the notification task
    r = await world.post(s["cps_worker"], f"/api/v1/notification-tasks/{notice['id']}/complete",
                         {"outcome": "notified"})
    assert r.status_code == 200, r.text
    [closed] = await _about(s, "cps_worker", notice["id"])
    assert closed["status"] == "done" and closed["done_by"] == "system"


async def test_a_backlog_of_overdue_referrals_is_worked_through_in_bounded_passes(world, clock):
    clock.set(FRIDAY)
    s = await build_scene(world, full=True)
    refs = [await s.referral("sent", urgency="emergency") for _ in range(5)]  # each due by 19:00
    clock.set(FRIDAY + timedelta(hours=5))
    # The test database is shared by the tests of one process, so earlier tests may have left overdue referrals
    # of their own: count passes until one opens nothing, not an exact sequence.
    opened: list[int] = []
    while n := await detect_overdue_referrals(limit=2):
        opened.append(n)
        assert len(opened) < 500
    assert max(opened) <= 4  # at most two referrals of each kind (overdue, escalated) per pass
    assert len(opened) >= 3  # this scene's five alone need three passes of two
    s.retoken()
    for ref in refs:
        assert [t["kind"] for t in await _about(s, "dv_supervisor", ref["id"])] == ["referral_overdue"]
