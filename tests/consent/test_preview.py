"""Preview: the owning agency sees what a named recipient would receive now (the same rule, evaluated for that
agency, and the same element cut); nothing is released, nothing is accounted, the preview is audited."""

from __future__ import annotations

from typing import Any

from tests.consent.helpers import audit_rows, build_scene, uid
from tests.consent.test_elements import FINDING_TEXT, _court_record


def _url(s: Any) -> str:
    return f"/api/v1/people/{s.survivor['id']}/disclosure-preview"


def _body(recipient: Any, categories: list[str], purpose: str = "safety_planning") -> dict[str, Any]:
    return {"recipient_agency_id": str(recipient.id), "purpose": purpose, "categories": categories}


async def test_preview_shows_what_the_recipient_would_receive_and_releases_nothing(client, world):
    s = await build_scene(world)
    await s.agreement()
    await _court_record(s)
    consent = await s.consent(categories=["identity", {"category": "court", "elements": ["hearings"]}])

    r = await s.post("advocate", _url(s), _body(s.cps, ["identity", "court", "location"]))
    assert r.status_code == 200, r.text
    preview = r.json()
    assert preview["preview"] is True and preview["recipient_agency_id"] == str(s.cps.id)
    assert preview["released"]["identity"]["full_name"] == "Rosa Example"
    assert {"id", "kind", "scheduled_for"} <= set(preview["released"]["court"]["events"][0])
    assert FINDING_TEXT not in r.text and "findings" not in r.text
    assert preview["released_meta"]["court"]["elements"] == ["hearings"]
    assert preview["withheld"] == [{"category": "location", "reason": "category_not_consented"}]
    assert preview["released_basis"] == {"identity": "consent", "court": "consent"}
    assert "id" not in preview  # no accounting row to name

    assert await s.accounting() == []  # nothing was released, nothing accounted
    (event,) = await audit_rows(action="disclosure.preview", object_id=s.survivor["id"])
    assert (event.object_type, event.object_id, event.agency_id) == ("person", s.survivor["id"], s.dv.id)
    assert event.actor_id == str(s["advocate"].id)
    assert await audit_rows(action="disclosure.request", object_id=s.survivor["id"]) == []

    # The recipient then asks: it receives what the preview showed.
    body = (await s.disclose(categories=["identity", "court", "location"])).json()
    assert body["released"] == preview["released"] and body["withheld"] == preview["withheld"]
    (row,) = await s.accounting()
    assert row["consent_ids"] == [consent["id"]]


async def test_preview_is_for_the_named_recipient_not_the_caller(client, world):
    s = await build_scene(world)
    await s.agreement()
    await s.consent(categories=["identity"])
    # The third agency has no link to her: it would be refused, whatever the caller's own agency may see.
    preview = (await s.post("advocate", _url(s), _body(s.third, ["identity"]))).json()
    assert preview["released"] == {} and preview["withheld"] == [{"category": "identity", "reason": "no_link"}]
    # Her consent names CPS for every purpose but the agreement covers the purpose asked: the rule's reason.
    await s.agreement(other="third")
    await s.consent(recipient=s.third, categories=["contact"])
    preview = (await s.post("advocate", _url(s), _body(s.third, ["identity", "contact"]))).json()
    assert preview["withheld"] == [{"category": "identity", "reason": "category_not_consented"}]
    assert preview["released"]["contact"]["contact"]["phone"] == "+1 503 555 0143"


async def test_a_mandate_preview_opens_no_task(client, world):
    s = await build_scene(world)
    mandate = await s.mandate(["location"])
    await s.warned(mandate)
    preview = (await s.post("advocate", _url(s), _body(s.cps, ["location", "identity"]))).json()
    assert preview["released_basis"] == {"location": "legal_mandate"}
    assert preview["withheld"] == [{"category": "identity", "reason": "no_agreement"}]
    r = await s.get("advocate", f"/api/v1/notification-tasks?person_id={s.survivor['id']}&kind=release_notice")
    assert r.json()["items"] == []
    assert await s.accounting() == []


async def test_who_may_preview_and_bad_input(client, world):
    s = await build_scene(world)
    await s.agreement()
    await s.consent(categories=["identity"])
    # Another agency (even the recipient) cannot preview the owner's record: 404, nothing audited for it.
    for actor in ("cps_worker", "third_worker"):
        r = await s.post(actor, _url(s), _body(s.cps, ["identity"]))
        assert r.status_code == 404, r.text
    # Staff of the owning agency who cannot see the case: 404 too.
    r = await s.post("dv_other_advocate", _url(s), _body(s.cps, ["identity"]))
    assert r.status_code == 404, r.text
    for recipient_id, typ in ((s.dv.id, "own_agency"), (uid("00000000-0000-4000-8000-000000000001"), "unknown_agency")):
        r = await s.post("advocate", _url(s), {"recipient_agency_id": str(recipient_id), "purpose": "referral",
                                                "categories": ["identity"]})
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["type"] == typ
    r = await s.post("advocate", _url(s), _body(s.cps, ["identity", "identity"]))
    assert r.status_code == 422
    r = await s.post("advocate", _url(s), _body(s.cps, ["gossip"]))
    assert r.status_code == 422
    assert await audit_rows(action="disclosure.preview", object_id=s.survivor["id"]) == []


async def test_before_she_signs_the_preview_shows_what_the_consent_she_is_shown_would_release(client, world):
    s = await build_scene(world)
    await _court_record(s)
    scope = ["identity", {"category": "court", "elements": ["hearings"]}]
    ask = {**_body(s.third, ["identity", "court", "location"]), "as_if_signed": scope}
    # No agreement with the third agency: her signature could not release anything, and the preview says why.
    preview = (await s.post("advocate", _url(s), ask)).json()
    assert preview["as_if_signed"] is True and preview["released"] == {}
    assert {w["reason"] for w in preview["withheld"]} == {"no_agreement"}

    await s.agreement(other="third")
    r = await s.post("advocate", _url(s), ask)
    assert r.status_code == 200, r.text
    preview = r.json()
    assert preview["released"]["identity"]["full_name"] == "Rosa Example"
    assert preview["released_meta"]["court"]["elements"] == ["hearings"]
    assert FINDING_TEXT not in r.text and "findings" not in r.text
    assert preview["withheld"] == [{"category": "location", "reason": "category_not_consented"}]
    # Without the scope it is what the third agency would receive now: nothing (no link to her yet).
    now = (await s.post("advocate", _url(s), _body(s.third, ["identity"]))).json()
    assert (now["as_if_signed"], now["released"]) == (False, {})
    # Nothing was stored, released or accounted.
    assert (await s.get("advocate", f"/api/v1/people/{s.survivor['id']}/consents")).json()["items"] == []
    assert await s.accounting() == []
    # A scope a consent could not have is a 422, as on the consent itself.
    for bad in (["identity", "identity"], [{"category": "court", "elements": ["verdicts"]}], []):
        r = await s.post("advocate", _url(s), {**ask, "as_if_signed": bad})
        assert r.status_code == 422, (bad, r.text)
