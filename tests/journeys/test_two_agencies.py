"""The whole path a CPS worker and a DV advocate take together, through HTTP only, on the service clock:
intake → consultation with the co-located advocate → referral → accept with linked records → her consent to
chosen elements (previewed before she signs) → a CPS disclosure asked by its own person id → the family meeting
with a task for the advocate → the survivor in her own view (her receipts, her meetings, a request, her goal,
revoking her consent herself) → court → closing the case and its loose ends.

Staff and agencies are created by the test factories; everything they do is an API call."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app.core.config import get_settings
from app.tasks.detect import detect_expiring_consents
from tests.checklists.helpers import CRITICAL
from tests.factories import Actor, World, token_for

# Monday 11 January 2027, 10:00 in Chicago: the co-located advocate is on duty at the CPS office.
MONDAY_10 = datetime(2027, 1, 11, 16, 0, tzinfo=UTC)
NAME = "Rosa Delgado"
PHONE = "+1-555-0142"
SCHOOL_PICKUP = "Only her sister Ana collects the children from Birchfield School."
EXCHANGE = "Exchanges at the Harbor Street police station lobby."
FINDING = "Pattern of coercive control over the household."
QUESTION = "She fears he will learn of the home visit; how do we plan it?"
ADVICE = "Meet her at the school, not at home; agree a code word first."
REASON = "Needs advocacy and a safety plan after the incident reported at intake."
WITNESS = {"name": "Mercedes Witnessford", "role": "interpreter"}


@pytest.fixture
def clock(clock, monkeypatch):
    # Tokens are signed at the service clock; the path spans weeks of it, so actors are re-tokened as it moves.
    monkeypatch.setattr(get_settings(), "jwt_leeway_seconds", 60)
    return clock


def retoken(*actors: Actor) -> None:
    for a in actors:
        a.token = token_for(a.user, a.agency)
        a.h = {"Authorization": f"Bearer {a.token}"}


def ok(r: Any, status: int = 200) -> Any:
    assert r.status_code == status, (r.request.method, str(r.request.url), r.status_code, r.text)
    return r.json() if r.content else None


async def tasks_about(w: World, actor: Actor, subject_id: Any, **params: Any) -> list[dict[str, Any]]:
    items = ok(await w.get(actor, "/api/v1/tasks", params={"limit": 200, **params}))["items"]
    return [t for t in items if t["subject_id"] == str(subject_id)]


async def complete_checklist(w: World, worker: Actor, case_id: str, juncture: str) -> dict[str, Any]:
    cl = ok(await w.post(worker, f"/api/v1/cases/{case_id}/checklists", {"juncture": juncture}), 201)
    for key in CRITICAL[juncture]:
        ok(await w.patch(worker, f"/api/v1/checklists/{cl['id']}/items/{key}", {"status": "done"}))
    return ok(await w.post(worker, f"/api/v1/checklists/{cl['id']}/complete"))


async def test_intake_to_closure_between_a_cps_agency_and_a_dv_agency(client, world, clock):
    w = world
    clock.set(MONDAY_10)
    cps, dv = await w.agency("cps"), await w.agency("dv")
    office = await w.office(cps, "America/Chicago")
    worker, supervisor = await w.user(cps, "cps_worker"), await w.user(cps, "cps_supervisor")
    cps_admin, dv_admin = await w.user(cps, "agency_admin"), await w.user(dv, "agency_admin")
    advocate, dv_supervisor = await w.user(dv, "dv_advocate"), await w.user(dv, "dv_supervisor")
    everyone = (worker, supervisor, cps_admin, dv_admin, advocate, dv_supervisor)
    await w.agreement(cps_admin, dv_admin)
    ok(await w.post(dv_supervisor, "/api/v1/advocate-assignments", {
        "advocate_id": str(advocate.id), "office_id": str(office.id), "weekdays": [0, 1, 2, 3, 4],
        "start_time": "09:00", "end_time": "17:00", "starts_on": "2027-01-01", "ends_on": "2027-12-31",
        "max_open_consultations": 3}), 201)

    # 1. Intake: the CPS worker opens the case and records the family.
    case = await w.case(worker, office_id=str(office.id), dv_indicators=["survivor_disclosure"])
    her = await w.person(worker, case["id"], full_name=NAME, contact={"phone": PHONE, "email": None},
                         date_of_birth="1991-04-05", language="es")
    him = await w.person(worker, case["id"], case_role="person_using_violence", full_name="Hector Delgado")
    await w.person(worker, case["id"], case_role="child", full_name="Lia Delgado")

    # 2. Consultation: routed to the advocate on duty at the office, who gets a task and answers it.
    c = ok(await w.post(worker, "/api/v1/consultations", {
        "case_id": case["id"], "office_id": str(office.id), "question": QUESTION, "urgency": "urgent"}), 201)
    assert c["status"] == "routed" and c["advocate_id"] == str(advocate.id)
    [routed] = await tasks_about(w, advocate, c["id"])
    assert routed["kind"] == "consultation_routed" and NAME not in str(routed)
    assert routed["status"] == "open"
    ok(await w.post(advocate, f"/api/v1/consultations/{c['id']}/accept"))
    [routed] = await tasks_about(w, advocate, c["id"])
    assert routed["status"] == "done"  # taking the consultation is what the task asked
    ok(await w.post(advocate, f"/api/v1/consultations/{c['id']}/respond", {"advice": ADVICE}))
    assert ok(await w.get(worker, f"/api/v1/consultations/{c['id']}"))["advice"] == ADVICE

    # 3. Referral: her consent to the DV agency for the referral, then the referral itself.
    now = clock.now()
    window = {"valid_from": (now - timedelta(hours=1)).isoformat(), "signed_at": (now - timedelta(hours=1)).isoformat(),
              "signature_method": "written", "risks_explained": True, "language": "es"}
    ok(await w.post(worker, f"/api/v1/people/{her['id']}/consents", {
        **window, "recipient_agency_id": str(dv.id), "purposes": ["referral"],
        "categories": ["identity", "contact", "services"], "expires_at": (now + timedelta(days=80)).isoformat(),
        "grantor": {"person_id": her["id"], "relationship": "self"}}), 201)
    ref = ok(await w.post(worker, "/api/v1/referrals", {
        "case_id": case["id"], "to_agency_id": str(dv.id), "person_ids": [her["id"]], "reason": REASON,
        "urgency": "urgent", "family_goals": "Keep the children in their school."}), 201)
    ref = ok(await w.post(worker, f"/api/v1/referrals/{ref['id']}/send"))
    ref = ok(await w.post(advocate, f"/api/v1/referrals/{ref['id']}/acknowledge"))
    assert ok(await w.get(advocate, f"/api/v1/referrals/{ref['id']}"))["reason"] == REASON

    # 4. Accept with linked records: the DV agency's own case and person, made from what was released.
    ref = ok(await w.post(advocate, f"/api/v1/referrals/{ref['id']}/accept", {"create_records": True}))
    assert ref["status"] == "accepted"
    dv_case_id, (dv_her_id,) = ref["linked_case_id"], ref["linked_person_ids"]
    dv_her = ok(await w.get(advocate, f"/api/v1/people/{dv_her_id}"))
    assert (dv_her["full_name"], dv_her["contact"]["phone"], dv_her["agency_id"]) == (NAME, PHONE, str(dv.id))
    [link] = ok(await w.get(worker, f"/api/v1/people/{her['id']}/links"))["items"]
    assert (link["linked_agency_id"], link["linked_person_id"]) == (str(dv.id), dv_her_id)
    assert ok(await w.get(advocate, f"/api/v1/cases/{dv_case_id}"))["agency_id"] == str(dv.id)

    # The advocate records what the DV agency holds: a safety plan (one element she marked shareable) and the
    # protective-order hearing with its finding.
    ok(await w.put(advocate, f"/api/v1/people/{dv_her_id}/safety-plan-summary", {
        "exists": True, "last_reviewed_on": "2027-01-11", "elements": [
            {"key": "school_pickup", "text": SCHOOL_PICKUP, "shareable": True},
            {"key": "exchange_location", "text": EXCHANGE, "shareable": False}]}), 201)
    ok(await w.post(advocate, f"/api/v1/cases/{dv_case_id}/court-events", {
        "court_case_number": "27DV0007", "court_kind": "protective_order", "kind": "protective_order",
        "scheduled_for": "2027-01-25T15:00:00Z", "courtroom": "2A", "outcome": "held",
        "findings": [{"code": "child_exposed_to_dv", "details": FINDING}]}), 201)

    # 5. Her consent to CPS, element by element: hearings but not findings, and her shareable safety plan.
    #    The DV agency's wording, a preview before she signs, then the signed consent with its document.
    ok(await w.post(dv_admin, "/api/v1/consent-wordings", {
        "version": "2027-01", "language": "es", "text": "Autorizo a compartir..."}), 201)
    scope = [{"category": "court", "elements": ["hearings"]}, "safety_plan"]
    ask_preview = {"recipient_agency_id": str(cps.id), "purpose": "case_planning",
                   "categories": ["court", "safety_plan"]}
    preview = ok(await w.post(advocate, f"/api/v1/people/{dv_her_id}/disclosure-preview", ask_preview))
    assert preview["preview"] is True and preview["released"] == {}  # nothing allowed before she signs
    shown = ok(await w.post(advocate, f"/api/v1/people/{dv_her_id}/disclosure-preview",
                            {**ask_preview, "as_if_signed": scope}))  # what she is shown before signing
    assert shown["as_if_signed"] is True and sorted(shown["released"]) == ["court", "safety_plan"]
    assert FINDING not in str(shown) and EXCHANGE not in str(shown)
    consent = ok(await w.post(advocate, f"/api/v1/people/{dv_her_id}/consents", {
        **window, "recipient_agency_id": str(cps.id), "purposes": ["case_planning"], "categories": scope,
        "expires_at": (now + timedelta(days=60)).isoformat(), "document_sha256": "d" * 64,
        "wording_version": "2027-01", "risks": ["perpetrator_access_to_records", "mandated_reporting"],
        "witness": WITNESS, "grantor": {"person_id": dv_her_id, "relationship": "self"}}), 201)
    preview = ok(await w.post(advocate, f"/api/v1/people/{dv_her_id}/disclosure-preview", ask_preview))
    assert preview["released"] == shown["released"] and preview["as_if_signed"] is False  # as she was shown
    signed = ok(await w.get(advocate, f"/api/v1/consents/{consent['id']}"))
    assert (signed["wording_version"], signed["witness"], signed["categories"]) == ("2027-01", WITNESS, scope)

    # CPS sees what it may ask for, by its own person, without personal data.
    [shared] = [i for i in ok(await w.get(worker, "/api/v1/shared-with-us"))["items"] if i["id"] == consent["id"]]
    assert shared["linked_person_id"] == her["id"] and shared["purposes"] == ["case_planning"]
    assert NAME not in str(shared) and "Witnessford" not in str(shared)

    # 6. The CPS disclosure, by its own person id: hearings and the shareable element only, accounted.
    ask = {"linked_person_id": her["id"], "purpose": "case_planning", "categories": ["court", "safety_plan"]}
    body = ok(await w.post(worker, "/api/v1/disclosures", ask), 201)
    assert body["person_id"] == dv_her_id and body["withheld"] == []
    [hearing] = body["released"]["court"]["events"]
    assert (hearing["court_case_number"], hearing["courtroom"]) == ("27DV0007", "2A")
    assert body["released"]["safety_plan"]["safety_plan_summary"]["elements"] == [
        {"key": "school_pickup", "text": SCHOOL_PICKUP}]
    assert body["released_meta"]["court"]["elements"] == ["hearings"]
    assert body["released_meta"]["court"]["agency_id"] == str(dv.id)
    for secret in (FINDING, "child_exposed_to_dv", EXCHANGE, "Witnessford"):
        assert secret not in str(body)
    accounting = ok(await w.get(advocate, f"/api/v1/people/{dv_her_id}/disclosures"))["items"]
    [row] = [d for d in accounting if d["requester_agency_id"] == str(cps.id)]
    assert row["categories_released"] == ["court", "safety_plan"]
    assert row["released_elements"]["court"] == ["hearings"]
    assert row["context"] == {"person_link_id": link["id"]} and row["consent_ids"] == [consent["id"]]

    # 7. The family meeting: its checklist, then the juncture, which puts a task in the advocate's inbox.
    await complete_checklist(w, worker, case["id"], "family_meeting")
    meeting_at = MONDAY_10 + timedelta(days=7)
    meeting = ok(await w.post(worker, f"/api/v1/cases/{case['id']}/junctures", {
        "juncture": "family_meeting", "scheduled_for": meeting_at.isoformat()}), 201)
    [task] = await tasks_about(w, advocate, meeting["id"])
    assert task["kind"] == "juncture_scheduled" and datetime.fromisoformat(task["due_at"]) == meeting_at
    assert task["assignee_user_id"] == str(advocate.id) and NAME not in str(task)
    assert await tasks_about(w, dv_supervisor, meeting["id"]) == []
    ok(await w.post(advocate, f"/api/v1/tasks/{task['id']}/done"))

    # The family as a partner: CPS invites Maria to her own view. She reads her consent as a receipt, sees the
    # family meeting, asks for a separate meeting (a task for her worker) and writes her goal in her words.
    maria = await w.family(worker, her["id"])
    receipts = ok(await w.client.get("/api/v1/my/consents", headers=maria.h))["items"]
    assert [c["recipient_agency_name"] for c in receipts] == [dv.name]
    assert receipts[0]["text"] == receipts[0]["texts"]["es"]  # her record's language
    meetings = ok(await w.client.get("/api/v1/my/meetings", headers=maria.h))
    assert [m["id"] for m in meetings] == [meeting["id"]]
    asked = ok(await w.client.post("/api/v1/my/meeting-requests", headers=maria.h, json={
        "kind": "separate_meeting", "meeting_id": meeting["id"], "note": "Not in the same room as him."}), 201)
    [request_task] = await tasks_about(w, worker, asked["id"])
    assert request_task["kind"] == "family_request" and "same room" not in str(request_task)
    ok(await w.client.post("/api/v1/my/goals", headers=maria.h,
                           json={"text": "Keep Lia in her school."}), 201)
    goals = ok(await w.get(worker, f"/api/v1/people/{her['id']}/family-goals"))
    assert [g["text"] for g in goals] == ["Keep Lia in her school."]
    her_view = str(receipts) + str(meetings) + str(ok(await w.client.get("/api/v1/my", headers=maria.h)))
    assert "Hector" not in her_view and "Lia Delgado" not in her_view and QUESTION not in her_view

    # 8. Court: the dependency hearing, cleared by the court checklist, with a finding against him.
    clock.set(MONDAY_10 + timedelta(days=14))
    retoken(*everyone)
    await complete_checklist(w, worker, case["id"], "court")
    hearing_at = clock.now() + timedelta(days=3)
    court = ok(await w.post(worker, f"/api/v1/cases/{case['id']}/junctures", {
        "juncture": "court", "scheduled_for": hearing_at.isoformat()}), 201)
    [task] = await tasks_about(w, advocate, court["id"])
    assert task["kind"] == "juncture_scheduled"
    ok(await w.post(worker, f"/api/v1/cases/{case['id']}/court-events", {
        "court_case_number": "27JV0101", "court_kind": "dependency", "kind": "adjudication",
        "scheduled_for": hearing_at.isoformat(), "courtroom": "4B", "outcome": "held",
        "findings": [{"code": "dv_perpetrated", "against_person_id": him["id"]}]}), 201)
    status = ok(await w.get(worker, f"/api/v1/cases/{case['id']}"))
    assert status["status"] == "open"

    # Her consent to CPS nears its end: the DV worker on her case is told in time.
    clock.set(datetime.fromisoformat(consent["expires_at"]) - timedelta(days=10))
    retoken(*everyone)
    await detect_expiring_consents()
    [expiring] = await tasks_about(w, advocate, consent["id"])
    assert (expiring["kind"], expiring["case_id"]) == ("consent_expiring", dv_case_id)
    assert expiring["action"] == f"/api/v1/consents/{consent['id']}/renew"
    draft = ok(await w.post(advocate, expiring["action"]), 201)  # the same scope, element by element, unsigned
    assert (draft["status"], draft["categories"], draft["purposes"]) == ("draft", scope, ["case_planning"])

    # She ends her referral consent herself: Harbor House's next request about CPS's record of her is refused.
    r = ok(await w.client.post("/api/v1/auth/token", data={
        "grant_type": "password", "username": maria.username, "password": maria.passphrase}))
    maria.h = {"Authorization": f"Bearer {r['access_token']}"}
    [to_dv] = ok(await w.client.get("/api/v1/my/consents", headers=maria.h))["items"]
    assert ok(await w.client.post(f"/api/v1/my/consents/{to_dv['id']}/revoke", json={},
                                  headers=maria.h))["revoked_by_you"] is True
    refused = ok(await w.post(advocate, "/api/v1/disclosures", {
        "linked_person_id": dv_her_id, "purpose": "referral", "categories": ["identity"]}), 201)
    assert refused["released"] == {} and refused["withheld"][0]["reason"] == "consent_revoked"
    mine = ok(await w.client.get("/api/v1/my/disclosures", headers=maria.h))["items"]
    assert any(d["requester_agency_name"] == dv.name and d["categories_released"] == [] for d in mine)

    # 9. Closure: not without the closure checklist; then closed with a coded reason, and what stays open with
    #    the partner listed for the worker to end or keep.
    url = f"/api/v1/cases/{case['id']}/close"
    assert (await w.post(worker, url, {"reason": "services_completed"})).status_code == 409
    await complete_checklist(w, worker, case["id"], "closure")
    closed = ok(await w.post(worker, url, {"reason": "services_completed"}))
    assert (closed["case"]["status"], closed["reason"], closed["overridden"]) == ("closed", "services_completed",
                                                                                   False)
    still = {e["kind"]: e for e in closed["still_open"]}
    assert sorted(still) == ["person_link", "referral"]  # her consent to Harbor House she ended herself
    assert still["person_link"]["id"] == link["id"] and still["referral"]["id"] == ref["id"]
    # The worker ends the link and the referral (the DV agency's consent to CPS is the DV agency's to end).
    ok(await w.delete(worker, still["person_link"]["choices"][0]["path"]), 204)
    done = ok(await w.post(worker, still["referral"]["choices"][0]["path"], {"outcome": "Services completed."}))
    assert done["status"] == "closed"
    # With the link ended, CPS can no longer ask by its own person id.
    assert (await w.post(worker, "/api/v1/disclosures", ask)).status_code == 404
    assert ok(await w.get(advocate, f"/api/v1/people/{dv_her_id}/links"))["items"] == []
