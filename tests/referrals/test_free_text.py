"""The referral's free text (why the family is referred, its own goals, what came of it) reaches the receiving
agency only through the disclosure rule: category services, purpose referral, decided for each person named at
every read, each decision in her accounting of disclosures. The sending agency reads its own record freely."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from app.consent.models import Disclosure
from app.core.db import sessionmaker
from app.referrals.models import SEALED_TEXT, Referral
from tests.consent.helpers import audit_rows
from tests.referrals.scene import BODIES, Scene, build_scene, uid

GOALS = "Keep the children in school and stay near my sister."


async def _rows(s: Scene, agency: Any = None) -> list[Disclosure]:
    """The survivor's accounting rows for requests of `agency` (default: the receiving DV agency), oldest first."""
    async with sessionmaker()() as db:
        rows = (await db.execute(sa.select(Disclosure).where(
            Disclosure.person_id == uid(s.survivor["id"]),
            Disclosure.requester_agency_id == (agency or s.dv).id))).scalars()
        return sorted(rows, key=lambda row: row.created_at)


async def test_receiver_reads_the_text_under_a_consent_covering_services_for_the_referral(world):
    s = await build_scene(world)
    ref = await s.referral("sent")
    assert await _rows(s) == []  # the sending agency drafted and sent it: nothing crossed yet
    r = await world.get(s["dv_advocate"], f"/api/v1/referrals/{ref['id']}")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["reason"].startswith("Needs shelter") and body["family_goals"] == GOALS
    assert body["withheld"] == [] and body["withheld_reasons"] == {}
    [row] = await _rows(s)
    assert (row.purpose, row.categories_requested, row.categories_released, row.outcome, row.basis) == (
        "referral", ["services"], ["services"], "released", "consent")
    assert row.context == {"referral_id": ref["id"]} and row.agency_id == s.cps.id
    # The accounting names the category, never the text.
    assert "sister" not in str(row.model_dump())


async def test_a_consent_to_the_referral_element_of_services_releases_the_text_and_not_the_records(world):
    s = await build_scene(world, consent=False)
    await s.consent(s.survivor, categories=["identity", {"category": "services", "elements": ["referral"]}])
    r = await world.post(s["cps_worker"], f"/api/v1/people/{s.survivor['id']}/services", {
        "kind": "counselling", "provider_name": "Elm Street Counselling", "status": "referred",
        "referred_at": "2026-11-01T10:00:00Z"})
    assert r.status_code == 201, r.text
    ref = await s.referral("sent")
    body = (await world.get(s["dv_advocate"], f"/api/v1/referrals/{ref['id']}")).json()
    assert body["family_goals"] == GOALS and body["withheld"] == []
    [row] = await _rows(s)
    assert row.categories_released == ["services"] and row.released_elements == {"services": ["referral"]}
    # The service records themselves are another element: a disclosure of services releases none of them.
    r = await world.post(s["dv_advocate"], "/api/v1/disclosures", {
        "person_id": s.survivor["id"], "purpose": "referral", "categories": ["services"]})
    assert r.status_code == 201, r.text
    assert r.json()["released"] == {} and "Elm Street" not in r.text
    assert r.json()["withheld"] == [{"category": "services", "reason": "no_data"}]  # never says what else is on file

    # A consent to the service records only leaves the referral's text withheld.
    s2 = await build_scene(world, consent=False)
    await s2.consent(s2.survivor, categories=["identity", {"category": "services", "elements": ["services"]}])
    ref2 = await s2.referral("sent")
    body = (await world.get(s2["dv_advocate"], f"/api/v1/referrals/{ref2['id']}")).json()
    assert body["family_goals"] is None and body["withheld"] == ["reason", "family_goals"]
    assert "sister" not in str(body)


async def test_a_consent_without_services_withholds_the_text_accounted_as_category_not_consented(world):
    s = await build_scene(world, consent=False)
    await s.consent(s.survivor, categories=["identity", "contact"])
    ref = await s.referral("accepted")
    r = await world.get(s["dv_advocate"], f"/api/v1/referrals/{ref['id']}")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["reason"] is None and body["family_goals"] is None and body["outcome"] is None
    assert body["withheld"] == ["reason", "family_goals"]
    assert body["withheld_reasons"] == {"reason": "category_not_consented", "family_goals": "category_not_consented"}
    assert "sister" not in r.text and "Elm" not in r.text
    # The status, the ids and the receiver's own answer stay.
    assert body["status"] == "accepted" and body["person_ids"] == [s.survivor["id"]]
    row = (await _rows(s))[-1]
    assert (row.categories_requested, row.categories_released, row.outcome) == (["services"], [], "withheld")
    assert row.withheld == [{"category": "services", "reason": "category_not_consented"}]
    assert row.context == {"referral_id": ref["id"]}
    assert [e.outcome for e in await audit_rows(object_id=ref["id"], action="referral.read")] == ["withheld"]
    # The people named are read under the same consent: identity and contact still reach the receiver.
    r = await world.get(s["dv_advocate"], f"/api/v1/referrals/{ref['id']}/people")
    assert set(r.json()["items"][0]["released"]) == {"identity", "contact"}


async def test_every_person_named_must_release_the_text(world):
    """The child's consent (given by her mother) covers identity only: the text stays with the sending agency,
    and each person's decision is accounted for."""
    s = await build_scene(world)
    await s.consent(s.child, categories=["identity"],
                    grantor={"person_id": s.survivor["id"], "relationship": "parent"})
    ref = await s.referral("sent", person_ids=[s.survivor["id"], s.child["id"]])
    r = await world.get(s["dv_advocate"], f"/api/v1/referrals/{ref['id']}")
    assert r.json()["family_goals"] is None
    assert r.json()["withheld_reasons"] == {"reason": "category_not_consented",
                                            "family_goals": "category_not_consented"}
    async with sessionmaker()() as db:
        rows = (await db.execute(sa.select(Disclosure.person_id, Disclosure.outcome).where(
            Disclosure.requester_agency_id == s.dv.id))).all()
    assert sorted((str(p), o) for p, o in rows) == sorted(
        [(s.survivor["id"], "released"), (s.child["id"], "withheld")])


@pytest.mark.parametrize("state", ["withdrawn_after_send", "declined", "closed"])
async def test_once_the_referral_no_longer_links_the_agencies_the_text_is_withheld_as_referral_not_active(
        world, state):
    s = await build_scene(world)
    ref = await s.referral(state)
    r = await world.get(s["dv_advocate"], f"/api/v1/referrals/{ref['id']}")
    assert r.status_code == 200, r.text
    body = r.json()
    fields = ["reason", "family_goals"] + (["outcome"] if state == "closed" else [])
    assert body["withheld"] == fields
    assert body["withheld_reasons"] == dict.fromkeys(fields, "referral_not_active")
    assert all(body[f] is None for f in fields) and "sister" not in r.text
    if state == "declined":  # the receiver's own text is its own
        assert body["decline_reason"] == BODIES["decline"]["reason"]
    row = (await _rows(s))[-1]
    assert row.categories_requested == ["services"] and row.outcome == "withheld"
    assert row.withheld == [{"category": "services", "reason": "referral_not_active"}]
    assert row.context == {"referral_id": ref["id"]}
    # The consent still covers it: only the referral's state withholds it, and the sender still reads it all.
    r = await world.get(s["cps_worker"], f"/api/v1/referrals/{ref['id']}")
    assert r.json()["family_goals"] == GOALS and r.json()["withheld"] == []


async def test_the_senders_reads_write_no_accounting_row(world):
    s = await build_scene(world)
    ref = await s.referral("accepted")
    before = len(await _rows(s))
    for _ in range(2):
        r = await world.get(s["cps_worker"], f"/api/v1/referrals/{ref['id']}")
        assert r.json()["family_goals"] == GOALS
    ref = await s.act("close", ref)
    assert ref["outcome"] == BODIES["close"]["outcome"] and ref["withheld"] == []
    assert await _rows(s, s.cps) == []
    assert len(await _rows(s)) == before
    assert await audit_rows(object_id=ref["id"], action="referral.read") == []


async def test_with_no_text_on_file_nothing_is_decided_or_accounted(world):
    """A referral whose free text is all gone (e.g. erased) has nothing to release: the receiver's read writes
    no accounting row."""
    s = await build_scene(world)
    ref = await s.referral("sent")
    async with sessionmaker()() as db, db.begin():
        await db.execute(sa.update(Referral).where(Referral.id == uid(ref["id"]))
                         .values({column: None for column in SEALED_TEXT.values()}))
    r = await world.get(s["dv_advocate"], f"/api/v1/referrals/{ref['id']}")
    assert r.status_code == 200, r.text
    assert r.json()["reason"] is None and r.json()["withheld"] == [] and r.json()["withheld_reasons"] == {}
    assert await _rows(s) == []
