"""A consent naming substance_use holds the 42 CFR 2.31 elements (`part2`): without them, or with one missing or
false, it is refused naming each element and nothing is written; they are sealed at rest and shown on the
consent's read. A consent not naming substance_use refuses `part2`."""

from __future__ import annotations

import sqlalchemy as sa

from app.consent.models import Consent
from app.core.db import sessionmaker
from tests.consent.helpers import PART2, build_scene, consent_body, uid

ELEMENTS = ["disclosing_program", "amount_and_kind", "revocation_explained"]


async def _count(person_id) -> int:
    async with sessionmaker()() as s:
        return (await s.execute(sa.select(sa.func.count()).select_from(Consent)
                                .where(Consent.person_id == uid(person_id)))).scalar_one()


async def test_substance_use_without_the_elements_is_refused_naming_each(client, world):
    s = await build_scene(world)
    url = f"/api/v1/people/{s.survivor['id']}/consents"
    body = consent_body(s.survivor["id"], s.cps.id, categories=["identity", "substance_use"])
    del body["part2"]
    r = await s.post("advocate", url, body)
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    assert [e["loc"] for e in r.json()["errors"]] == [["body", "part2", e] for e in ELEMENTS]
    for missing in ELEMENTS:
        part2 = {k: v for k, v in PART2.items() if k != missing}
        r = await s.post("advocate", url, {**body, "part2": part2})
        assert r.status_code == 422
        assert [e["loc"] for e in r.json()["errors"]] == [["body", "part2", missing]]
    r = await s.post("advocate", url, {**body, "part2": {"disclosing_program": " ", "amount_and_kind": "All",
                                                         "revocation_explained": False}})
    assert r.status_code == 422
    assert sorted(tuple(e["loc"]) for e in r.json()["errors"]) == [
        ("body", "part2", "disclosing_program"), ("body", "part2", "revocation_explained")]
    assert "Riverbend" not in r.text
    assert await _count(s.survivor["id"]) == 0


async def test_part2_is_refused_on_a_consent_not_naming_substance_use(client, world):
    s = await build_scene(world)
    body = consent_body(s.survivor["id"], s.cps.id, categories=["identity"], part2=PART2)
    r = await s.post("advocate", f"/api/v1/people/{s.survivor['id']}/consents", body)
    assert r.status_code == 422
    assert [(e["loc"], e["type"]) for e in r.json()["errors"]] == [(["body", "part2"],
                                                                    "part2_without_substance_use")]
    assert await _count(s.survivor["id"]) == 0


async def test_the_elements_are_sealed_and_shown_on_the_read(client, world):
    s = await build_scene(world)
    body = consent_body(s.survivor["id"], s.cps.id, categories=["substance_use"])
    r = await s.post("advocate", f"/api/v1/people/{s.survivor['id']}/consents", body)
    assert r.status_code == 201, r.text
    consent = r.json()
    assert consent["part2"] == PART2
    assert (await s.get("advocate", f"/api/v1/consents/{consent['id']}")).json()["part2"] == PART2
    r = await s.get("advocate", f"/api/v1/people/{s.survivor['id']}/consents")
    assert "part2" not in r.json()["items"][0] and "Riverbend" not in r.text
    async with sessionmaker()() as session:
        t = Consent.__table__
        row = dict((await session.execute(sa.select(t).where(t.c.id == uid(consent["id"])))).mappings().one())
    assert "Riverbend" not in str(row) and "clinical" not in str(row)
    assert row["part2_revocation_explained"] is True
    other = consent_body(s.survivor["id"], s.cps.id, categories=["identity"])
    r = await s.post("advocate", f"/api/v1/people/{s.survivor['id']}/consents", other)
    assert r.status_code == 201 and r.json()["part2"] is None
