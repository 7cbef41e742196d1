"""Consent documents: the signed form's SHA-256, the version of the agency's consent wording used (managed by
the agency admin; an unknown or retired version is a 422), the risks explained (codes) and the witness
(sealed), shown on the consent read and never in lists."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.consent.models import Consent
from app.core.db import sessionmaker
from tests.consent.helpers import audit_rows, build_scene, consent_body, uid

WORDING = "We will share only what you choose, with the agency you name, until the date you choose."
WITNESS = {"name": "Ana Witnessford", "role": "interpreter"}
SHA = "ab" * 32


async def _wording(s: Any, version: str = "2026-11", language: str = "es", actor: str = "dv_admin") -> Any:
    return await s.post(actor, "/api/v1/consent-wordings", {"version": version, "language": language,
                                                            "text": WORDING})


async def test_a_consent_records_its_document_wording_risks_and_witness(client, world):
    s = await build_scene(world)
    r = await _wording(s)
    assert r.status_code == 201, r.text
    wording = r.json()
    assert (wording["version"], wording["language"], wording["text"], wording["retired_at"]) == (
        "2026-11", "es", WORDING, None)
    url = f"/api/v1/people/{s.survivor['id']}/consents"
    r = await s.post("advocate", url, consent_body(
        s.survivor["id"], s.cps.id, categories=["identity"], document_sha256=SHA.upper(), wording_version="2026-11",
        risks=["perpetrator_access_to_records", "mandated_reporting"], witness=WITNESS))
    assert r.status_code == 201, r.text
    consent = r.json()
    assert consent["document_sha256"] == SHA and consent["wording_version"] == "2026-11"
    assert consent["risks"] == ["perpetrator_access_to_records", "mandated_reporting"]
    assert consent["witness"] == WITNESS
    r = await s.get("advocate", f"/api/v1/consents/{consent['id']}")
    assert r.json()["witness"] == WITNESS and r.json()["risks"] == consent["risks"]
    # Not in lists.
    r = await s.get("advocate", url)
    (item,) = r.json()["items"]
    assert not {"witness", "risks", "document_sha256", "wording_version"} & set(item)
    assert "Witnessford" not in r.text
    # The witness is sealed at rest.
    async with sessionmaker()() as session:
        row = (await session.execute(sa.select(Consent).where(Consent.id == uid(consent["id"])))).scalar_one()
    assert row.witness_enc and "Witnessford" not in row.witness_enc
    # A consent without them (as before) reads them as null.
    plain = await s.consent(categories=["contact"])
    assert (plain["document_sha256"], plain["wording_version"], plain["risks"], plain["witness"]) == (
        None, None, None, None)


async def test_unknown_retired_or_other_agency_wording_and_bad_elements_are_refused(client, world):
    s = await build_scene(world)
    await _wording(s, version="v1")
    cps_wording = await _wording(s, version="cps-1", actor="cps_admin")
    assert cps_wording.status_code == 201, cps_wording.text
    url = f"/api/v1/people/{s.survivor['id']}/consents"

    async def refused(**over: Any) -> dict[str, Any]:
        r = await s.post("advocate", url, consent_body(s.survivor["id"], s.cps.id, categories=["identity"], **over))
        assert r.status_code == 422, r.text
        return r.json()

    assert (await refused(wording_version="v9"))["errors"][0]["type"] == "unknown_wording_version"
    # Another agency's version is not the owning agency's.
    assert (await refused(wording_version="cps-1"))["errors"][0]["type"] == "unknown_wording_version"
    assert "risks" in str((await refused(risks=[]))["errors"])
    assert (await refused(risks=["mystery"]))["errors"][0]["loc"][:2] == ["body", "risks"]
    assert "document_sha256" in str((await refused(document_sha256="xyz" * 21 + "z"))["errors"])
    assert "witness" in str((await refused(witness={"name": "A"}))["errors"])

    # Retire v1: new consents can no longer name it; its record stays.
    (v1,) = [w for w in (await s.get("dv_admin", "/api/v1/consent-wordings")).json()["items"] if w["version"] == "v1"]
    r = await s.post("dv_admin", f"/api/v1/consent-wordings/{v1['id']}/retire")
    assert r.status_code == 200 and r.json()["retired_at"]
    assert (await refused(wording_version="v1"))["errors"][0]["type"] == "retired_wording_version"
    r = await s.post("dv_admin", f"/api/v1/consent-wordings/{v1['id']}/retire")
    assert r.status_code == 409
    r = await s.get("advocate", url)
    assert r.json()["items"] == []  # nothing was recorded
    (event,) = await audit_rows(action="consent_wording.retire", object_id=v1["id"])
    assert event.agency_id == s.dv.id


async def test_wordings_are_managed_by_the_agency_admin_and_seen_by_its_staff(client, world):
    s = await build_scene(world)
    assert (await _wording(s, actor="advocate")).status_code == 403
    first = (await _wording(s, version="v1", language="en")).json()
    second = (await _wording(s, version="v1", language="es")).json()
    assert (await _wording(s, version="v1", language="es")).status_code == 409
    r = await s.get("advocate", "/api/v1/consent-wordings")
    assert [w["id"] for w in r.json()["items"]] == [second["id"], first["id"]]
    await s.post("dv_admin", f"/api/v1/consent-wordings/{first['id']}/retire")
    r = await s.get("advocate", "/api/v1/consent-wordings?retired=false")
    assert [w["id"] for w in r.json()["items"]] == [second["id"]]
    # One language retired, another still in use: the version may still be named.
    r = await s.post("advocate", f"/api/v1/people/{s.survivor['id']}/consents", consent_body(
        s.survivor["id"], s.cps.id, categories=["identity"], wording_version="v1"))
    assert r.status_code == 201, r.text
    # Another agency sees none of them.
    r = await s.get("cps_worker", "/api/v1/consent-wordings")
    assert r.json()["items"] == []
    assert (await s.get("cps_admin", f"/api/v1/consent-wordings/{first['id']}")).status_code == 404
    r = await s.post("cps_admin", f"/api/v1/consent-wordings/{first['id']}/retire")
    assert r.status_code == 404
    r = await s.post("dv_admin", "/api/v1/consent-wordings", {"version": "bad version!", "language": "en",
                                                            "text": "x"})
    assert r.status_code == 422


async def test_a_renewal_keeps_the_elements_and_takes_its_own_document(client, world):
    """Renewing a consent to some elements copies them into the draft; signing it records the new form's
    hash, wording version, risks and witness like any consent."""
    s = await build_scene(world)
    await _wording(s)
    scope = [{"category": "court", "elements": ["hearings"]}, "identity"]
    consent = (await s.post("advocate", f"/api/v1/people/{s.survivor['id']}/consents",
                            consent_body(s.survivor["id"], s.cps.id, categories=scope))).json()
    r = await s.post("advocate", f"/api/v1/consents/{consent['id']}/renew")
    assert r.status_code == 201, r.text
    draft = r.json()
    assert draft["categories"] == consent["categories"]
    body = consent_body(s.survivor["id"], s.cps.id)
    sign = {k: body[k] for k in ("valid_from", "expires_at", "signed_at", "signature_method", "risks_explained",
                                 "language", "grantor")}
    r = await s.post("advocate", f"/api/v1/consent-drafts/{draft['id']}/sign",
                     {**sign, "document_sha256": SHA, "wording_version": "2026-11", "risks": ["court_subpoena"],
                      "witness": {"name": "Ana Witness", "role": "advocate"}})
    assert r.status_code == 201, r.text
    renewed = r.json()
    assert renewed["categories"] == consent["categories"]
    assert (renewed["document_sha256"], renewed["wording_version"], renewed["risks"]) == (
        SHA, "2026-11", ["court_subpoena"])
