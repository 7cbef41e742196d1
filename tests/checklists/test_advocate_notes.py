"""What of a CPS checklist reaches the DV advocate working with the family, and how.

The link is personal (the advocate on the accepted referral, or the advocate a consultation was routed to) and
ends with the referral or consultation. Notes the CPS agency wrote reach her only through the disclosure rule
for the case's survivor, decided at every read, accounted for and audited; her own notes are hers to read.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from app.advocates.models import Consultation, consultation_aad
from app.core.clock import utcnow
from app.core.crypto import encrypt_json
from app.core.db import sessionmaker
from tests.checklists.helpers import CRITICAL
from tests.consent.helpers import audit_rows
from tests.factories import Actor
from tests.referrals.scene import Scene, build_scene

JUNCTURE = "safety_planning"
KEY_A, KEY_B = CRITICAL[JUNCTURE][0], CRITICAL[JUNCTURE][1]
CPS_STATUS_NOTE = "Father waits outside the school at 3pm; she uses the back entrance on Orchard Lane."
CPS_EVENT_NOTE = "Mother fears he reads her texts; call the shelter line instead."
ADVOCATE_NOTE = "Her written plan stays with us; nothing to file."
CPS_SECRETS = ["Orchard Lane", "back entrance", "reads her texts", "shelter line"]


async def _checklist(s: Scene) -> dict[str, Any]:
    """A checklist on the CPS case with a status note and a note written by the CPS worker."""
    w, worker = s.world, s["cps_worker"]
    r = await w.post(worker, f"/api/v1/cases/{s.case['id']}/checklists", {"juncture": JUNCTURE})
    assert r.status_code == 201, r.text
    cl = r.json()
    r = await w.patch(worker, f"/api/v1/checklists/{cl['id']}/items/{KEY_A}",
                      {"status": "done", "note": CPS_STATUS_NOTE})
    assert r.status_code == 200, r.text
    r = await w.post(worker, f"/api/v1/checklists/{cl['id']}/items/{KEY_B}/notes", {"text": CPS_EVENT_NOTE})
    assert r.status_code == 201, r.text
    return cl


async def _safety_consent(s: Scene) -> dict[str, Any]:
    """The survivor's consent to share her safety planning with the DV agency."""
    now = utcnow()
    body = {"recipient_agency_id": str(s.dv.id), "purposes": ["safety_planning"], "categories": ["safety_plan"],
            "valid_from": (now - timedelta(hours=1)).isoformat(), "expires_at": (now + timedelta(days=30)).isoformat(),
            "signed_at": (now - timedelta(hours=1)).isoformat(), "signature_method": "written",
            "risks_explained": True, "language": "en",
            "grantor": {"person_id": s.survivor["id"], "relationship": "self"}}
    r = await s.world.post(s["cps_worker"], f"/api/v1/people/{s.survivor['id']}/consents", body)
    assert r.status_code == 201, r.text
    return r.json()


async def _checklist_accounting(s: Scene, checklist_id: str) -> list[dict[str, Any]]:
    """The survivor's accounting of disclosures, as the CPS worker reads it, for reads of this checklist."""
    r = await s.world.get(s["cps_worker"], f"/api/v1/people/{s.survivor['id']}/disclosures")
    assert r.status_code == 200, r.text
    rows = [row for row in r.json()["items"] if row["context"].get("checklist_id") == checklist_id]
    return sorted(rows, key=lambda row: row["created_at"])


def _item(body: dict[str, Any], key: str) -> dict[str, Any]:
    return next(i for i in body["items"] if i["key"] == key)


async def _client_actor(s: Scene) -> Actor:
    """The DV agency's integration system, with a token obtained through client credentials."""
    c = await s.world.client_app(s.dv, "dv_advocate", secret="client-secret-value-1")
    r = await s.world.client.post("/api/v1/auth/token", data={
        "grant_type": "client_credentials", "client_id": c.client_id, "client_secret": "client-secret-value-1"})
    assert r.status_code == 200, r.text
    token = r.json()["access_token"]
    return Actor(user=c, agency=s.dv, token=token, h={"Authorization": f"Bearer {token}"})  # type: ignore[arg-type]


async def test_cps_notes_reach_the_linked_advocate_only_through_the_disclosure_rule(world):
    s = await build_scene(world)  # the survivor consents to the referral only (identity, contact)
    await s.referral("accepted")  # accepted by the DV advocate
    cl = await _checklist(s)
    url = f"/api/v1/checklists/{cl['id']}"
    advocate = s["dv_advocate"]
    r = await world.post(advocate, f"{url}/items/{KEY_B}/notes", {"text": ADVOCATE_NOTE})
    assert r.status_code == 201, r.text

    # Her consent does not cover safety planning: the CPS notes are withheld; statuses and keys stay, and
    # so does the advocate's own note.
    r = await world.get(advocate, url)
    assert r.status_code == 200, r.text
    body = r.json()
    assert not any(secret in r.text for secret in CPS_SECRETS), r.text
    assert body["notes_withheld"] == "category_not_consented"
    a, b = _item(body, KEY_A), _item(body, KEY_B)
    assert (a["status"], a["note"]) == ("done", None)
    assert [(e["kind"], e["to_status"], e["note"]) for e in a["history"]] == [("status", "done", None)]
    assert [(e["kind"], e["by"], e["note"]) for e in b["history"]] == [
        ("note", str(s["cps_worker"].id), None), ("note", str(advocate.id), ADVOCATE_NOTE)]

    rows = await _checklist_accounting(s, cl["id"])
    assert [(x["outcome"], x["requester_agency_id"], x["requester_id"], x["categories_requested"], x["withheld"])
            for x in rows] == [("withheld", str(s.dv.id), str(advocate.id), ["safety_plan"],
                                [{"category": "safety_plan", "reason": "category_not_consented"}])]
    assert [(e.action, e.outcome) for e in await audit_rows(object_id=rows[0]["id"])] == [
        ("disclosure.request", "withheld")]

    # She consents to share her safety planning with the DV agency: the next read releases the notes.
    consent = await _safety_consent(s)
    r = await world.get(advocate, url)
    body = r.json()
    assert body["notes_withheld"] is None
    assert _item(body, KEY_A)["note"] == CPS_STATUS_NOTE
    assert [e["note"] for e in _item(body, KEY_B)["history"]] == [CPS_EVENT_NOTE, ADVOCATE_NOTE]
    rows = await _checklist_accounting(s, cl["id"])
    assert [x["outcome"] for x in rows] == ["withheld", "released"]
    assert rows[1]["released_basis"] == {"safety_plan": "consent"} and rows[1]["consent_ids"] == [consent["id"]]
    assert [(e.action, e.outcome) for e in await audit_rows(object_id=rows[1]["id"])] == [
        ("disclosure.request", "released")]

    # She revokes it: withheld again at the very next read, accounted and audited.
    r = await world.post(s["cps_worker"], f"/api/v1/consents/{consent['id']}/revoke",
                         {"reason": "He found out.", "method": "oral"})
    assert r.status_code == 200, r.text
    r = await world.get(advocate, url)
    body = r.json()
    assert not any(secret in r.text for secret in CPS_SECRETS), r.text
    assert body["notes_withheld"] == "consent_revoked"
    assert _item(body, KEY_A)["status"] == "done"
    assert [e["note"] for e in _item(body, KEY_B)["history"]] == [None, ADVOCATE_NOTE]
    rows = await _checklist_accounting(s, cl["id"])
    assert [x["outcome"] for x in rows] == ["withheld", "released", "withheld"]
    assert rows[2]["withheld"] == [{"category": "safety_plan", "reason": "consent_revoked"}]
    assert [(e.action, e.outcome) for e in await audit_rows(object_id=rows[2]["id"])] == [
        ("disclosure.request", "withheld")]

    # The CPS agency's own staff read their notes as before, with nothing to account for.
    r = await world.get(s["cps_worker"], url)
    assert _item(r.json(), KEY_A)["note"] == CPS_STATUS_NOTE and r.json()["notes_withheld"] is None
    assert len(await _checklist_accounting(s, cl["id"])) == 3


async def test_the_link_is_the_advocate_on_the_accepted_referral_only(world):
    s = await build_scene(world)
    await _safety_consent(s)
    ref = await s.referral("accepted")  # accepted by the DV advocate
    cl = await _checklist(s)
    url = f"/api/v1/checklists/{cl['id']}"
    assert (await world.get(s["dv_advocate"], url)).status_code == 200

    colleague = await world.user(s.dv, "dv_advocate")
    system = await _client_actor(s)
    for who in (s["dv_supervisor"], colleague, system, s["other_advocate"]):
        assert (await world.get(who, url)).status_code == 404
        assert (await world.get(who, f"/api/v1/cases/{s.case['id']}/checklists")).status_code == 404
        r = await world.post(who, f"{url}/items/{KEY_B}/notes", {"text": "Seen."})
        assert r.status_code == 404

    # Nobody but her read anything: the only accounting rows are hers.
    rows = await _checklist_accounting(s, cl["id"])
    assert {x["requester_id"] for x in rows} == {str(s["dv_advocate"].id)}

    # The link ends with the referral.
    r = await world.post(s["cps_worker"], f"/api/v1/referrals/{ref['id']}/close", {"outcome": "Done."})
    assert r.status_code == 200, r.text
    assert (await world.get(s["dv_advocate"], url)).status_code == 404
    r = await world.post(s["dv_advocate"], f"{url}/items/{KEY_B}/notes", {"text": "Late."})
    assert r.status_code == 404


async def test_consulted_advocate_gets_cps_notes_only_through_the_disclosure_rule(world):
    s = await build_scene(world)
    cl = await _checklist(s)
    office = await world.office(s.cps)
    advocate = s["dv_advocate"]
    async with sessionmaker()() as db:
        c = Consultation(case_id=uuid.UUID(s.case["id"]), office_id=office.id, cps_agency_id=s.cps.id,
                         urgency="routine", status="accepted", question_enc="", advocate_id=advocate.id,
                         dv_agency_id=s.dv.id)
        c.question_enc = encrypt_json("A question.", consultation_aad(c.id, "question"), owner=c.cps_agency_id) or ""
        db.add(c)
        await db.commit()
    r = await world.get(advocate, f"/api/v1/checklists/{cl['id']}")
    assert r.status_code == 200, r.text
    assert not any(secret in r.text for secret in CPS_SECRETS), r.text
    assert r.json()["notes_withheld"] == "category_not_consented"
    assert _item(r.json(), KEY_A)["status"] == "done"

    await _safety_consent(s)
    r = await world.get(advocate, f"/api/v1/checklists/{cl['id']}")
    assert _item(r.json(), KEY_A)["note"] == CPS_STATUS_NOTE
    assert [x["outcome"] for x in await _checklist_accounting(s, cl["id"])] == ["withheld", "released"]


async def test_without_a_survivor_on_record_the_cps_notes_stay_withheld(world):
    """No survivor recorded on the case: there is no one whose consent could release the notes. The answer says
    so (`no_subject`, not a missing consent); the read is audited, and no one's accounting gets a row."""
    s = await build_scene(world)
    r = await world.patch(s["cps_worker"], f"/api/v1/people/{s.survivor['id']}", {"case_role": "caregiver"})
    assert r.status_code == 200, r.text
    await _safety_consent(s)
    await s.referral("accepted")
    cl = await _checklist(s)
    r = await world.get(s["dv_advocate"], f"/api/v1/checklists/{cl['id']}")
    assert r.status_code == 200, r.text
    assert not any(secret in r.text for secret in CPS_SECRETS), r.text
    assert r.json()["notes_withheld"] == "no_subject"
    assert _item(r.json(), KEY_A)["status"] == "done"
    assert [(e.action, e.outcome) for e in await audit_rows(object_id=cl["id"], action="checklist.notes_read")] == [
        ("checklist.notes_read", "withheld")]
    assert await _checklist_accounting(s, cl["id"]) == []
