"""The referral lifecycle: every legal and illegal transition for every role of both agencies (and a third
agency), transition bodies, the timeline, audit and webhook events."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from app.core.db import sessionmaker
from app.trail.models import AuditEvent
from tests.referrals.scene import BODIES, build_scene

STATES = ["draft", "sent", "acknowledged", "accepted", "declined", "closed", "withdrawn", "withdrawn_after_send"]
NEVER_SENT = {"draft", "withdrawn"}
ACTIONS = ["send", "acknowledge", "accept", "decline", "withdraw", "close"]
LEGAL = {  # action -> (states it may start from, state it leads to)
    "send": ({"draft"}, "sent"),
    "acknowledge": ({"sent"}, "acknowledged"),
    "accept": ({"acknowledged"}, "accepted"),
    "decline": ({"acknowledged"}, "declined"),
    "withdraw": ({"draft", "sent", "acknowledged"}, "withdrawn"),
    "close": ({"accepted", "declined"}, "closed"),
}
SENDER_ACTIONS = {"send", "withdraw", "close"}
SENDERS = {"cps_worker", "cps_supervisor"}
RECEIVERS = {"dv_advocate", "dv_supervisor"}
NO_REFERRAL_ROLE = {"cps_admin", "cps_auditor", "dv_admin", "dv_auditor", "other_admin"}
OUTSIDERS = {"other_advocate", "other_supervisor", "cps_off_team"}
ACTORS = sorted(SENDERS | RECEIVERS | NO_REFERRAL_ROLE | OUTSIDERS)


def allowed_from(state: str) -> list[str]:
    return [a for a in ACTIONS if state in LEGAL[a][0]]


def expected(state: str, action: str, actor: str) -> int:
    if actor in NO_REFERRAL_ROLE:
        return 403  # the role holds no referral permission at all
    if actor in OUTSIDERS or (actor in RECEIVERS and state in NEVER_SENT):
        return 404  # cannot see it: never reveal that it exists
    if (action in SENDER_ACTIONS) != (actor in SENDERS):
        return 403  # sees it, but it is the other agency's move
    if status_of(state) not in LEGAL[action][0]:
        return 409
    return 200


def status_of(state: str) -> str:
    return state.removesuffix("_after_send")


async def test_transition_table(client, world):
    s = await build_scene(world, full=True)
    for state in STATES:
        await _check_state(s, state)


async def _check_state(s, state):
    world = s.world
    probe = await s.referral(state)
    url = f"/api/v1/referrals/{probe['id']}"
    for action in ACTIONS:
        for actor in ACTORS:
            want = expected(state, action, actor)
            if want == 200:
                fresh = await s.referral(state)
                r = await world.post(s[actor], f"/api/v1/referrals/{fresh['id']}/{action}", BODIES.get(action))
                assert r.status_code == 200, (state, action, actor, r.text)
                assert r.json()["status"] == LEGAL[action][1]
                stamp = {"sent": "sent_at", "acknowledged": "acknowledged_at", "accepted": "accepted_at",
                         "declined": "declined_at", "closed": "closed_at", "withdrawn": "withdrawn_at"}
                assert r.json()[stamp[LEGAL[action][1]]] is not None
                continue
            r = await world.post(s[actor], f"{url}/{action}", BODIES.get(action))
            assert r.status_code == want, (state, action, actor, r.text)
            assert r.headers["content-type"].startswith("application/problem+json")
            if want == 409:
                body = r.json()
                assert body["current_status"] == status_of(state)
                mine = [a for a in allowed_from(status_of(state)) if (a in SENDER_ACTIONS) == (actor in SENDERS)]
                assert body["allowed"] == mine
                # the same list the referral itself gives this caller
                assert body["allowed"] == (await world.get(s[actor], url)).json()["allowed_actions"]
    # Nothing that failed changed the probe.
    r = await world.get(s["cps_supervisor"], url)
    assert r.json()["status"] == status_of(state) and r.json()["version"] == probe["version"]


async def test_read_access_by_role_and_agency(client, world):
    s = await build_scene(world, full=True)
    ref = await s.referral("sent")
    url = f"/api/v1/referrals/{ref['id']}"
    for actor in ACTORS:
        want = 403 if actor in NO_REFERRAL_ROLE else 404 if actor in OUTSIDERS else 200
        for sub in ("", "/events", "/people"):
            r = await world.get(s[actor], url + sub)
            assert r.status_code == want, (actor, sub, r.text)
    # Each side finds it in its own box only.
    r = await world.get(s["dv_advocate"], "/api/v1/referrals?box=incoming")
    assert [i["id"] for i in r.json()["items"]] == [ref["id"]]
    r = await world.get(s["dv_advocate"], "/api/v1/referrals?box=outgoing")
    assert r.json()["items"] == []
    r = await world.get(s["cps_worker"], "/api/v1/referrals?box=outgoing")
    assert [i["id"] for i in r.json()["items"]] == [ref["id"]]
    r = await world.get(s["cps_worker"], "/api/v1/referrals?box=incoming")
    assert r.json()["items"] == []
    for actor in ("other_advocate", "other_supervisor", "cps_off_team"):
        for box in ("", "?box=incoming", "?box=outgoing"):
            r = await world.get(s[actor], "/api/v1/referrals" + box)
            assert ref["id"] not in [i["id"] for i in r.json()["items"]], actor
    r = await world.get(s["other_advocate"], f"/api/v1/referrals?person_id={s.survivor['id']}")
    assert r.json()["items"] == []


async def test_transition_bodies_and_if_match(client, world):
    s = await build_scene(world)
    ref = await s.referral("acknowledged")
    url = f"/api/v1/referrals/{ref['id']}"
    adv = s["dv_advocate"]
    assert (await world.post(adv, f"{url}/decline", {"reason": "No beds."})).status_code == 422
    assert (await world.post(adv, f"{url}/decline", {"reason_code": "busy", "reason": "x"})).status_code == 422
    assert (await world.post(adv, f"{url}/decline", {"reason_code": "no_capacity"})).status_code == 422
    assert (await world.post(adv, f"{url}/decline", {"reason_code": "no_capacity", "reason": ""})).status_code == 422
    r = await world.get(adv, url)
    etag = r.headers["etag"]
    r = await world.post(adv, f"{url}/decline", BODIES["decline"], headers={"If-Match": 'W/"nope.1"'})
    assert r.status_code == 412
    r = await world.post(adv, f"{url}/decline", BODIES["decline"], headers={"If-Match": etag})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "declined" and body["decline_reason_code"] == "no_capacity"
    assert body["decline_reason"] == "No shelter beds this week."
    assert r.headers["etag"] != etag
    assert body["allowed_actions"] == []
    worker = s["cps_worker"]
    r = await world.get(worker, url)
    assert r.json()["decline_reason"] == "No shelter beds this week."
    assert r.json()["allowed_actions"] == ["close"]
    assert (await world.post(worker, f"{url}/close", {})).status_code == 422
    assert (await world.post(worker, f"{url}/close", {"outcome": "x", "extra": 1})).status_code == 422
    r = await world.post(worker, f"{url}/close", {"outcome": "Referred to another program."})
    assert r.status_code == 200 and r.json()["outcome"] == "Referred to another program."


async def test_timeline_audit_and_webhooks(client, world, monkeypatch):
    from app.referrals import lifecycle as service

    emitted: list[tuple[str, set, dict]] = []
    real_emit = service.emit

    async def spy(session, event_type, agency_ids, data):
        emitted.append((event_type, set(agency_ids), data))
        await real_emit(session, event_type, agency_ids, data)

    monkeypatch.setattr(service, "emit", spy)
    s = await build_scene(world)
    ref = await s.referral("closed")
    rid = ref["id"]
    r = await world.get(s["dv_advocate"], f"/api/v1/referrals/{rid}/events")
    events = list(reversed(r.json()["items"]))
    assert [(e["from_status"], e["to_status"]) for e in events] == [
        (None, "draft"), ("draft", "sent"), ("sent", "acknowledged"), ("acknowledged", "accepted"),
        ("accepted", "closed")]
    assert [e["actor_agency_id"] for e in events] == [str(s.cps.id)] * 2 + [str(s.dv.id)] * 2 + [str(s.cps.id)]
    assert events[2]["actor_id"] == str(s["dv_advocate"].id)
    assert events[1]["note"].startswith("respond by ")
    assert events[0]["snapshot"]["receiving_worker"] is None
    assert events[3]["snapshot"]["receiving_worker"]["id"] == str(s["dv_advocate"].id)
    assert events[3]["snapshot"]["to_agency"]["name"] == s.dv.name

    async with sessionmaker()() as db:
        actions = (await db.execute(sa.select(AuditEvent.action).where(AuditEvent.object_id == rid)
                                    .order_by(AuditEvent.at, AuditEvent.seq))).scalars().all()
        assert actions == ["referral.create", "referral.send", "referral.acknowledge", "referral.accept",
                           "referral.close"]
    assert [(t, a) for t, a, _ in emitted] == [("referral.created", {s.cps.id})] + [
        (f"referral.{t}", {s.cps.id, s.dv.id}) for t in ("sent", "acknowledged", "accepted", "closed")]
    for _, _, data in emitted:  # ids and times only
        assert data["referral_id"] == rid and set(data) <= {"referral_id", "status", "at"}


async def test_withdrawing_a_draft_is_not_announced_to_the_receiver(client, world, monkeypatch):
    from app.referrals import lifecycle as service

    emitted: list[tuple[str, set]] = []
    real_emit = service.emit

    async def spy(session, event_type, agency_ids, data):
        emitted.append((event_type, set(agency_ids)))
        await real_emit(session, event_type, agency_ids, data)

    monkeypatch.setattr(service, "emit", spy)
    s = await build_scene(world)
    ref = await s.referral("withdrawn")
    assert emitted == [("referral.created", {s.cps.id}), ("referral.withdrawn", {s.cps.id})]
    sent = await s.referral("withdrawn_after_send")
    assert emitted[-1] == ("referral.withdrawn", {s.cps.id, s.dv.id})
    r = await world.get(s["dv_advocate"], f"/api/v1/referrals/{sent['id']}")
    assert r.json()["status"] == "withdrawn"
    r = await world.get(s["dv_advocate"], f"/api/v1/referrals/{ref['id']}")
    assert r.status_code == 404
    r = await world.get(s["cps_worker"], f"/api/v1/referrals/{ref['id']}")
    assert r.json()["status"] == "withdrawn" and r.json()["withdrawn_at"]
    r = await world.get(s["dv_advocate"], "/api/v1/referrals")
    assert ref["id"] not in [i["id"] for i in r.json()["items"]]


async def test_unknown_referral_is_404(client, world):
    s = await build_scene(world, agreement=False, consent=False)
    r = await world.post(s["cps_worker"], f"/api/v1/referrals/{uuid.uuid4()}/send")
    assert r.status_code == 404
    r = await world.get(s["cps_worker"], "/api/v1/referrals/not-a-uuid")
    assert r.status_code == 422
