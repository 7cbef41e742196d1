"""The disclosure rule, category by category: every reason code, revocation and expiry taking effect at the
next request, suspended agreements, agencies not named, own agency, address confidentiality, redisclosure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app.consent import consents, disclosures
from app.core.clock import utcnow
from app.core.config import get_settings
from tests.consent.helpers import ACP_ADDRESS, ADDRESS, CONTACT, SAFE, audit_rows, build_scene, iso


def _when(days: float) -> str:
    return iso(utcnow() + timedelta(days=days))


# Each row: the agreement (None: none), the consent (None: none), how the request is made, and what
# happens to `contact`. Every row but no_consent links the agencies through a consent; no_consent links them
# through a statute naming identity only.
TABLE: list[tuple[str, dict[str, Any] | None, dict[str, Any] | None, dict[str, Any], str]] = [
    ("released", {}, {}, {}, "released"),
    ("no_agreement", None, {}, {}, "no_agreement"),
    ("agreement_excludes_category", {"categories": ["identity"]}, {}, {}, "agreement_excludes_category"),
    ("agreement_excludes_purpose", {"purposes": ["referral"]}, {}, {}, "agreement_excludes_purpose"),
    ("no_consent", {}, None, {"mandate": ["identity"]}, "no_consent"),
    ("consent_expired", {}, {"valid_from": -20, "expires_at": -1, "signed_at": -20}, {}, "consent_expired"),
    ("consent_revoked", {}, {"revoke": True}, {}, "consent_revoked"),
    ("consent_not_yet_valid", {}, {"valid_from": 2, "expires_at": 20}, {}, "consent_not_yet_valid"),
    ("purpose_not_consented", {}, {"purposes": ["referral"]}, {}, "purpose_not_consented"),
    ("category_not_consented", {}, {"categories": ["identity"]}, {}, "category_not_consented"),
    ("no_data", {}, {}, {"survivor": {"contact": None, "safe_contact_instructions": None}}, "no_data"),
]


@pytest.mark.parametrize(("name", "agreement", "consent", "setup", "expected"), TABLE, ids=[t[0] for t in TABLE])
async def test_rule_table(client, world, name, agreement, consent, setup, expected):
    s = await build_scene(world, **setup.get("survivor", {}))
    if agreement is not None:
        await s.agreement(**agreement)
    if consent is not None:
        over = {k: _when(v) for k, v in consent.items() if k in ("valid_from", "expires_at", "signed_at")}
        over.update({k: v for k, v in consent.items() if k in ("purposes", "categories")})
        await s.consent(revoke=consent.get("revoke", False), **over)
    if "mandate" in setup:
        await s.mandate(setup["mandate"])

    r = await s.disclose(categories=["contact"], purpose="safety_planning")
    assert r.status_code == 201, r.text
    body = r.json()
    if expected == "released":
        assert body["released"] == {"contact": {"contact": CONTACT, "safe_contact_instructions": SAFE}}
        assert body["withheld"] == [] and body["basis"] == "consent"
    else:
        assert body["released"] == {}
        assert body["withheld"] == [{"category": "contact", "reason": expected}]
        assert body["basis"] == "none"

    # The same request, granted or not, is one row of the accounting and one audit event.
    rows = await s.accounting()
    assert [row["id"] for row in rows] == [body["id"]]
    row = rows[0]
    assert row["requester_agency_id"] == str(s.cps.id)
    assert row["requester_id"] == str(s["cps_worker"].id)
    assert row["purpose"] == "safety_planning" and row["categories_requested"] == ["contact"]
    assert row["categories_released"] == (["contact"] if expected == "released" else [])
    assert row["withheld"] == body["withheld"]
    events = await audit_rows(object_id=body["id"])
    assert [(e.action, e.outcome) for e in events] == [
        ("disclosure.request", "released" if expected == "released" else "withheld")]


def _instant(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


async def test_each_category_is_decided_on_its_own(client, world):
    s = await build_scene(world)
    await s.agreement(categories=["identity", "contact", "location"])
    await s.consent(categories=["identity", "location"])
    r = await s.disclose(categories=["identity", "contact", "location", "court"])
    body = r.json()
    assert set(body["released"]) == {"identity", "location"}
    assert body["released"]["identity"]["full_name"] == "Rosa Example"
    assert "race_ethnicity" not in body["released"]["identity"]
    assert body["released"]["location"] == {"address": ADDRESS, "acp_substitute": False}
    assert body["withheld"] == [{"category": "contact", "reason": "category_not_consented"},
                                {"category": "court", "reason": "agreement_excludes_category"}]
    assert body["released_basis"] == {"identity": "consent", "location": "consent"}
    # Each released category says who holds it and how fresh it is; a withheld one says nothing.
    assert set(body["released_meta"]) == {"identity", "location"}
    for meta in body["released_meta"].values():
        assert meta["agency_id"] == str(s.dv.id) and meta["elements"] == []
        assert _instant(meta["as_of"]) == _instant(s.survivor["updated_at"] or s.survivor["created_at"])
    assert (await s.accounting())[0]["outcome"] == "partial"


async def test_revoked_consent_denies_on_the_very_next_request(client, world):
    s = await build_scene(world)
    await s.agreement()
    consent = await s.consent()
    assert set((await s.disclose()).json()["released"]) == {"identity", "contact"}

    r = await s.post("advocate", f"/api/v1/consents/{consent['id']}/revoke",
                     {"reason": "Afraid he will find out.", "method": "written"})
    assert r.status_code == 200 and r.json()["status"] == "revoked"

    body = (await s.disclose()).json()
    assert body["released"] == {}
    assert body["withheld"] == [{"category": "identity", "reason": "consent_revoked"},
                                {"category": "contact", "reason": "consent_revoked"}]


@pytest.fixture
def moving_clock(clock, monkeypatch):
    """Moving the clock by hours: tokens are checked against the wall clock with a leeway as wide."""
    monkeypatch.setattr(get_settings(), "jwt_leeway_seconds", 2 * 86400)
    return clock


async def test_expired_consent_denies_with_no_job_run(client, world, moving_clock):
    s = await build_scene(world)
    await s.agreement()
    start = utcnow()
    await s.consent(valid_from=iso(start - timedelta(days=10)), signed_at=iso(start - timedelta(days=10)),
                    expires_at=iso(start + timedelta(hours=1)))
    assert "contact" in (await s.disclose()).json()["released"]

    moving_clock.set(start + timedelta(hours=1, seconds=1))
    body = (await s.disclose()).json()
    assert body["released"] == {}
    assert {w["reason"] for w in body["withheld"]} == {"consent_expired"}
    r = await s.get("advocate", f"/api/v1/people/{s.survivor['id']}/consents")
    assert [c["status"] for c in r.json()["items"]] == ["expired"]


async def test_consent_not_yet_valid_starts_working_when_its_time_comes(client, world, moving_clock):
    s = await build_scene(world)
    await s.agreement()
    start = utcnow()
    await s.consent(valid_from=iso(start + timedelta(hours=2)), expires_at=iso(start + timedelta(days=5)))
    assert {w["reason"] for w in (await s.disclose()).json()["withheld"]} == {"consent_not_yet_valid"}
    moving_clock.set(start + timedelta(hours=3))
    assert set((await s.disclose()).json()["released"]) == {"identity", "contact"}


async def test_suspended_agreement_denies_even_with_consent(client, world):
    s = await build_scene(world)
    agreement = await s.agreement()
    await s.consent()
    assert set((await s.disclose()).json()["released"]) == {"identity", "contact"}

    r = await s.post("dv_admin", f"/api/v1/agreements/{agreement['id']}/suspend", {"reason": "Review."})
    assert r.status_code == 200, r.text
    body = (await s.disclose()).json()
    assert body["released"] == {}
    assert {w["reason"] for w in body["withheld"]} == {"no_agreement"}


async def test_agency_not_named_gets_nothing_even_with_its_own_agreement(client, world):
    s = await build_scene(world)
    await s.agreement()
    await s.agreement(other="third")  # the third agency has its own agreement with the owner...
    await s.consent()  # ...but the consent names the CPS agency only

    r = await s.disclose(actor="third_worker")
    assert r.status_code == 404
    assert "Rosa" not in r.text and str(s.survivor["id"]) not in r.text
    # The refused request is in the accounting and the audit trail all the same.
    rows = await s.accounting()
    assert len(rows) == 1
    assert rows[0]["requester_agency_id"] == str(s.third.id) and rows[0]["outcome"] == "refused"
    assert rows[0]["categories_released"] == []
    assert {w["reason"] for w in rows[0]["withheld"]} == {"no_link"}
    events = await audit_rows(object_id=rows[0]["id"])
    assert [(e.action, e.outcome, e.actor_id) for e in events] == [
        ("disclosure.request", "refused", str(s["third_worker"].id))]

    # An unknown person answers exactly alike, and is audited too.
    import uuid

    ghost = {"id": str(uuid.uuid4())}
    r2 = await s.disclose(actor="third_worker", person=ghost)
    assert r2.status_code == 404 and r2.json() == r.json()
    assert [e.outcome for e in await audit_rows(object_id=ghost["id"])] == ["not_found"]


async def test_own_agency_needs_no_consent_but_only_staff_who_see_the_case(client, world):
    s = await build_scene(world)
    body = (await s.disclose(actor="advocate", categories=["identity", "location", "safety_plan"])).json()
    assert body["basis"] == "own_agency"
    assert body["released"]["location"]["address"] == ADDRESS
    assert body["withheld"] == [{"category": "safety_plan", "reason": "no_data"}]
    assert (await s.disclose(actor="dv_supervisor", categories=["identity"])).status_code == 201
    # A colleague who is not on the case team is answered as if the person did not exist.
    assert (await s.disclose(actor="dv_other_advocate", categories=["identity"])).status_code == 404
    rows = await s.accounting()
    assert [r["outcome"] for r in rows] == ["refused", "released", "partial"]


async def test_acp_participant_releases_only_the_substitute_address_marked(client, world):
    s = await build_scene(world, address=ACP_ADDRESS)
    await s.agreement()
    await s.consent()
    body = (await s.disclose(categories=["location"])).json()
    loc = body["released"]["location"]
    assert loc["address"] == ACP_ADDRESS and loc["acp_substitute"] is True and "substitute" in loc["note"]


async def test_substance_use_carries_the_redisclosure_notice(client, world, monkeypatch):
    async def source(session, person, payload):
        return disclosures.Sourced({"summary": "Attends a recovery program."}, person.created_at)

    monkeypatch.setitem(disclosures.CATEGORY_SOURCES, "substance_use", [source])
    s = await build_scene(world)
    await s.agreement()
    await s.consent()
    body = (await s.disclose(categories=["identity"])).json()
    assert body["redisclosure_notice"] is None
    body = (await s.disclose(categories=["identity", "substance_use"])).json()
    assert body["released"]["substance_use"] == {"summary": "Attends a recovery program."}
    assert "42 CFR part 2" in body["redisclosure_notice"]
    assert (await s.accounting())[0]["redisclosure_notice"] is True
    monkeypatch.setitem(disclosures.CATEGORY_SOURCES, "substance_use", [])
    body = (await s.disclose(categories=["substance_use"])).json()
    assert body["withheld"] == [{"category": "substance_use", "reason": "no_data"}]
    assert body["redisclosure_notice"] is None


async def test_grantor_later_recorded_as_using_violence_no_longer_grants(client, world):
    s = await build_scene(world)
    await s.agreement()
    await s.consent()
    assert (await s.disclose()).json()["released"]
    r = await world.patch(s["advocate"], f"/api/v1/people/{s.survivor['id']}",
                          {"case_role": "person_using_violence"})
    assert r.status_code == 200
    body = (await s.disclose()).json()
    assert body["released"] == {} and {w["reason"] for w in body["withheld"]} == {"no_consent"}


async def test_find_active_consent_contract(client, world):
    from app.core.db import sessionmaker

    s = await build_scene(world)
    c = await s.consent(categories=["identity"], purposes=["referral"])
    async with sessionmaker()() as session:
        found = await consents.find_active_consent(session, s.survivor["id"], s.cps.id, "referral")
        assert found is not None and str(found.id) == c["id"]
        assert await consents.find_active_consent(session, s.survivor["id"], s.cps.id, "referral",
                                                         "contact") is None
        assert await consents.find_active_consent(session, s.survivor["id"], s.third.id, "referral") is None


async def test_disclose_contract_stores_context(client, world):
    import uuid

    from app.auth.dependencies import principal_from_token
    from app.core.db import sessionmaker

    s = await build_scene(world)
    await s.agreement()
    await s.consent()
    referral_id = str(uuid.uuid4())
    async with sessionmaker()() as session:
        principal = await principal_from_token(session, s["cps_worker"].token)
        result = await disclosures.disclose(session, principal, s.survivor["id"], "referral", ["identity"],
                                                context={"referral_id": referral_id})
        await session.commit()
    assert set(result.released) == {"identity"} and result.basis == "consent"
    assert (await s.accounting())[0]["context"] == {"referral_id": referral_id}


def test_a_category_from_several_sources_is_merged_with_its_latest_change():
    early = datetime(2026, 1, 1, tzinfo=UTC)
    late = datetime(2026, 3, 1, tzinfo=UTC)
    merged = disclosures.merge_sourced([
        disclosures.Sourced({"events": [1]}, early, ("hearings",)), None,
        disclosures.Sourced({"notes": ["n"]}, late, ("notes", "hearings"))])
    assert merged == disclosures.Sourced({"events": [1], "notes": ["n"]}, late, ("hearings", "notes"))
    assert disclosures.merge_sourced([None, None]) is None
    assert disclosures.merge_sourced([disclosures.Sourced({"a": 1})]).as_of is None
