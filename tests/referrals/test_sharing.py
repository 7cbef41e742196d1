"""What crosses the boundary: the send gate (agreement + each person's consent) and reading people only
through the disclosure rule, so a revoked consent hides personal data on the very next read."""

from __future__ import annotations

import sqlalchemy as sa

from app.consent.models import Disclosure
from app.core.db import sessionmaker
from app.trail.models import AuditEvent
from tests.referrals.scene import SURVIVOR_NAME, SURVIVOR_PHONE, build_scene, uid


async def _send(s, ref):
    return await s.world.post(s["cps_worker"], f"/api/v1/referrals/{ref['id']}/send")


async def _assert_still_draft(s, ref):
    r = await s.world.get(s["cps_worker"], f"/api/v1/referrals/{ref['id']}")
    assert r.json()["status"] == "draft" and r.json()["sent_at"] is None and r.json()["respond_by"] is None
    r = await s.world.get(s["cps_worker"], f"/api/v1/referrals/{ref['id']}/events")
    assert [e["to_status"] for e in r.json()["items"]] == ["draft"]
    r = await s.world.get(s["dv_advocate"], f"/api/v1/referrals/{ref['id']}")
    assert r.status_code == 404


async def test_send_blocked_without_agreement_then_allowed(client, world):
    s = await build_scene(world, agreement=False, full=True)
    ref = await s.referral("draft")
    r = await _send(s, ref)
    assert r.status_code == 409
    assert r.json()["missing"] == [{"what": "agreement"}]
    assert r.json()["current_status"] == "draft"
    await _assert_still_draft(s, ref)

    # An agreement that does not cover referrals does not count either.
    await world.agreement(s["cps_admin"], s["dv_admin"], purposes=["service_coordination"])
    r = await _send(s, ref)
    assert r.status_code == 409 and r.json()["missing"] == [{"what": "agreement"}]
    # Nor one that is not signed by both (still a draft).
    await world.agreement(s["cps_admin"], s["dv_admin"], sign=False)
    assert (await _send(s, ref)).json()["missing"] == [{"what": "agreement"}]
    # An agreement with another agency does not count.
    other_admin = s["other_admin"]
    await world.agreement(s["cps_admin"], other_admin)
    assert (await _send(s, ref)).json()["missing"] == [{"what": "agreement"}]

    await world.agreement(s["cps_admin"], s["dv_admin"])
    r = await _send(s, ref)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "sent" and r.json()["respond_by"]


async def test_send_blocked_without_each_persons_consent(client, world):
    s = await build_scene(world, consent=False)
    ref = await s.referral("draft", person_ids=[s.survivor["id"], s.child["id"]])
    r = await _send(s, ref)
    assert r.status_code == 409
    assert r.json()["missing"] == [{"what": "consent", "person_id": s.survivor["id"]},
                                   {"what": "consent", "person_id": s.child["id"]}]
    assert SURVIVOR_NAME not in r.text
    await _assert_still_draft(s, ref)

    # Consent to another agency, or for another purpose, is not consent to this referral.
    await s.consent(s.survivor, recipient=s.other_dv)
    await s.consent(s.survivor, purposes=["service_coordination"])
    consent = await s.consent(s.survivor)
    r = await _send(s, ref)
    assert r.status_code == 409
    assert r.json()["missing"] == [{"what": "consent", "person_id": s.child["id"]}]
    # The referrer may name the consent; it must be one of a person named, to the receiving agency.
    r = await s.draft(consent_id=consent["id"])
    assert r.status_code == 201 and r.json()["consent_id"] == consent["id"]
    r = await s.draft(consent_id=consent["id"], person_ids=[s.child["id"]])
    assert r.status_code == 422
    await _assert_still_draft(s, ref)

    # A child's consent is given by the non-abusive parent.
    await s.consent(s.child, grantor={"person_id": s.survivor["id"], "relationship": "parent"})
    r = await _send(s, ref)
    assert r.status_code == 200, r.text


async def test_send_blocked_without_both(client, world):
    s = await build_scene(world, agreement=False, consent=False)
    ref = await s.referral("draft")
    r = await _send(s, ref)
    assert r.json()["missing"] == [{"what": "agreement"}, {"what": "consent", "person_id": s.survivor["id"]}]


async def test_revocation_after_acceptance_hides_personal_data_on_next_read(client, world):
    s = await build_scene(world)
    consent_id = (await s.world.get(s["cps_worker"], f"/api/v1/people/{s.survivor['id']}/consents")
                  ).json()["items"][0]["id"]
    ref = await s.referral("accepted")
    assert ref["consent_id"] == consent_id
    url = f"/api/v1/referrals/{ref['id']}"
    adv = s["dv_advocate"]

    r = await world.get(adv, f"{url}/people")
    assert r.status_code == 200, r.text
    [item] = r.json()["items"]
    assert item["person_id"] == s.survivor["id"]
    assert item["released"]["identity"]["full_name"] == SURVIVOR_NAME
    assert item["released"]["contact"]["contact"]["phone"] == SURVIVOR_PHONE
    assert set(item["released"]) == {"identity", "contact"}  # what the consent covers and her record holds
    r = await world.get(adv, url)
    assert r.json()["family_goals"] == "Keep the children in school and stay near my sister."
    assert r.json()["withheld"] == [] and r.json()["withheld_reasons"] == {}
    # Every read went through the disclosure rule and is in the accounting, tied to the referral: the referral's
    # free text (category services) came back to the receiving agency three times, in its acknowledge and accept
    # answers and in this GET, and the people once.
    rows = await _receiver_rows(s)
    assert all(row.context == {"referral_id": ref["id"]} and row.purpose == "referral" for row in rows)
    assert [(row.categories_requested, row.outcome) for row in rows] == [
        (["services"], "released"), (["services"], "released"),
        (["identity", "contact", "services"], "partial"), (["services"], "released")]

    r = await world.post(s["cps_worker"], f"/api/v1/consents/{consent_id}/revoke",
                         {"reason": "She asked to stop sharing.", "method": "oral"})
    assert r.status_code == 200, r.text

    r = await world.get(adv, f"{url}/people")
    assert r.status_code == 200
    [item] = r.json()["items"]
    assert item["released"] == {}
    assert {w["category"] for w in item["withheld"]} == {"identity", "contact", "services"}
    assert SURVIVOR_NAME not in r.text and SURVIVOR_PHONE not in r.text
    r = await world.get(adv, url)
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "accepted"
    assert body["reason"] is None and body["family_goals"] is None
    assert set(body["withheld"]) == {"reason", "family_goals"}
    assert body["withheld_reasons"] == {"reason": "consent_revoked", "family_goals": "consent_revoked"}
    assert "sister" not in r.text and "Elm" not in r.text
    # Status and timeline stay visible to both agencies.
    for who in ("dv_advocate", "cps_worker"):
        r = await world.get(s[who], f"{url}/events")
        assert [e["to_status"] for e in r.json()["items"]][0] == "accepted"
    r = await world.get(adv, "/api/v1/referrals?box=incoming")
    assert ref["id"] in [i["id"] for i in r.json()["items"]]
    # The sending agency still reads its own record in full.
    r = await world.get(s["cps_worker"], url)
    assert r.json()["family_goals"].startswith("Keep the children")
    r = await world.get(s["cps_worker"], f"{url}/people")
    assert r.json()["items"][0]["released"]["identity"]["full_name"] == SURVIVOR_NAME
    # The receiving agency's reads of the referral itself are audited: released, then withheld.
    async with sessionmaker()() as db:
        reads = (await db.execute(sa.select(AuditEvent.outcome).where(
            AuditEvent.object_id == ref["id"], AuditEvent.action == "referral.read").order_by(AuditEvent.seq))).all()
    assert [o for (o,) in reads] == ["success", "withheld"]
    # The withheld reads after the revocation (people, then the free text) are in the accounting too: two more
    # rows. The sending agency's own reads add none.
    rows = await _receiver_rows(s)
    assert [(row.categories_requested, row.outcome) for row in rows[4:]] == [
        (["identity", "contact", "services"], "withheld"), (["services"], "withheld")]
    assert len(rows) == 6


async def _receiver_rows(s) -> list[Disclosure]:
    """The survivor's accounting rows for requests of the receiving (DV) agency, oldest first."""
    async with sessionmaker()() as db:
        rows = (await db.execute(sa.select(Disclosure).where(
            Disclosure.person_id == uid(s.survivor["id"]), Disclosure.requester_agency_id == s.dv.id))).scalars()
        return sorted(rows, key=lambda row: row.created_at)


async def test_lists_carry_no_free_text_or_names(client, world):
    s = await build_scene(world)
    await s.referral("accepted")
    for who in ("cps_worker", "dv_advocate"):
        r = await world.get(s[who], "/api/v1/referrals")
        assert r.status_code == 200 and r.json()["items"]
        for bad in ("sister", "Elm", SURVIVOR_NAME, "family_goals", "reason\""):
            assert bad not in r.text, (who, bad)


async def test_third_agency_cannot_read_people_even_with_own_consent(client, world):
    s = await build_scene(world)
    await s.consent(s.survivor, recipient=s.other_dv)
    ref = await s.referral("accepted")
    r = await world.get(s["other_advocate"], f"/api/v1/referrals/{ref['id']}/people")
    assert r.status_code == 404
    assert SURVIVOR_NAME not in r.text


async def test_receiver_reads_nothing_once_the_referral_is_withdrawn(client, world):
    s = await build_scene(world)
    ref = await s.referral("acknowledged")
    ref = await s.act("withdraw", ref)
    r = await world.get(s["dv_advocate"], f"/api/v1/referrals/{ref['id']}/people")
    assert r.status_code == 200
    [item] = r.json()["items"]
    assert item["released"] == {} and SURVIVOR_NAME not in r.text
    assert {w["reason"] for w in item["withheld"]} == {"referral_not_active"}


async def test_a_withdrawn_referral_withholds_through_the_rule_accounted_and_audited(client, world):
    """The receiver's read of people after withdrawal is a decision of the disclosure rule like any other: the
    agency holding her record finds it in her accounting (tied to the referral) and in its own audit trail."""
    s = await build_scene(world, full=True)
    ref = await s.referral("acknowledged")
    ref = await s.act("withdraw", ref)
    r = await world.get(s["dv_advocate"], f"/api/v1/referrals/{ref['id']}/people")
    assert r.status_code == 200, r.text
    [item] = r.json()["items"]
    assert item["released"] == {} and item["basis"] == "none"
    assert item["withheld"] == [{"category": "identity", "reason": "referral_not_active"},
                                {"category": "contact", "reason": "referral_not_active"},
                                {"category": "services", "reason": "referral_not_active"}]

    r = await world.get(s["cps_worker"], f"/api/v1/people/{s.survivor['id']}/disclosures")
    assert r.status_code == 200, r.text
    [row] = [x for x in r.json()["items"] if x["id"] == item["disclosure_id"]]
    assert row["requester_agency_id"] == str(s.dv.id)
    assert (row["outcome"], row["purpose"], row["context"]) == ("withheld", "referral", {"referral_id": ref["id"]})
    assert row["categories_released"] == [] and row["withheld"] == item["withheld"]
    assert SURVIVOR_NAME not in r.text

    r = await world.get(s["cps_admin"], "/api/v1/audit-events", params={"object_id": row["id"]})
    assert [(e["action"], e["outcome"]) for e in r.json()["items"]] == [("disclosure.request", "withheld")]
