"""People in a case: exact fields, encryption at rest, list view without personal data, audit of reads."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.cases import service
from app.cases.models import Person, person_aad
from app.core.crypto import DecryptionError, decrypt_json
from app.core.db import sessionmaker
from app.core.models import IdempotencyRecord
from tests.cases.helpers import audit_actions, count, uid

ADDRESS = {"line1": "4417 Juniper Hollow Road", "line2": "Unit 9", "city": "Marlow Springs", "region": "TX",
           "postal_code": "78999", "country": "US", "kind": "actual"}
CONTACT = {"phone": "+1 512 555 0199", "email": "maria.survivor@mail.example"}
SAFE = "Call only on weekdays before noon; say you are from the pharmacy."
SECRETS = ["Juniper Hollow", "Marlow Springs", "78999", "555 0199", "maria.survivor", SAFE[:30]]

FULL = {
    "case_role": "adult_survivor", "full_name": "Maria Example", "date_of_birth": "1990-04-02",
    "race_ethnicity": ["hispanic_or_latino", "middle_eastern_or_north_african"], "language": "es",
    "contact": CONTACT, "address": ADDRESS, "safe_contact_instructions": SAFE,
}


async def _setup(world):
    dv = await world.agency("dv")
    advocate = await world.user(dv, "dv_advocate")
    case = await world.case(advocate)
    return dv, advocate, case


async def test_person_has_exactly_the_api_fields_and_reads_are_audited(client, world):
    _, advocate, case = await _setup(world)
    r = await world.post(advocate, f"/api/v1/cases/{case['id']}/people", FULL)
    assert r.status_code == 201, r.text
    person = r.json()
    for k, v in FULL.items():
        assert person[k] == v, k
    assert person["case_id"] == case["id"]

    r = await world.get(advocate, f"/api/v1/people/{person['id']}")
    assert r.status_code == 200
    assert r.headers["etag"]
    assert {k: r.json()[k] for k in FULL} == FULL
    assert await audit_actions(person["id"]) == ["person.create", "person.read"]


async def test_raw_row_holds_no_plaintext_personal_contact_data(client, world):
    _, advocate, case = await _setup(world)
    person = await world.person(advocate, case["id"], **FULL)
    async with sessionmaker()() as s:
        table = Person.__table__
        row = (await s.execute(sa.select(table).where(table.c.id == uid(person["id"])))).mappings().one()
        raw = " ".join(str(v) for v in row.values())
        for secret in SECRETS:
            assert secret not in raw
        for col in ("contact_enc", "address_enc", "safe_contact_enc"):
            assert row[col].startswith("v2:")
        # Each value is bound to its row and field: it does not open as another field or another person.
        stored = (await s.execute(sa.select(Person).where(Person.id == uid(person["id"])))).scalar_one()
        assert decrypt_json(stored.address_enc, person_aad(stored.id, "address")) == ADDRESS
        with pytest.raises(DecryptionError):
            decrypt_json(stored.address_enc, person_aad(stored.id, "contact"))
        with pytest.raises(DecryptionError):
            decrypt_json(stored.address_enc, person_aad(uid(case["id"]), "address"))


async def test_list_view_carries_no_personal_data(client, world):
    _, advocate, case = await _setup(world)
    p1 = await world.person(advocate, case["id"], **FULL)
    p2 = await world.person(advocate, case["id"], case_role="child", full_name="Kid Example")
    r = await world.get(advocate, f"/api/v1/cases/{case['id']}/people")
    assert r.status_code == 200
    items = r.json()["items"]
    assert [i["id"] for i in items] == [p2["id"], p1["id"]]
    assert all(set(i) == {"id", "case_id", "case_role", "created_at"} for i in items)
    for secret in [*SECRETS, "Maria Example", "Kid Example", "1990-04-02"]:
        assert secret not in r.text


async def test_patch_person_with_if_match(client, world):
    _, advocate, case = await _setup(world)
    person = await world.person(advocate, case["id"], **FULL)
    url = f"/api/v1/people/{person['id']}"
    etag = (await world.get(advocate, url)).headers["etag"]
    acp = {"line1": "PO Box 1234", "city": "Austin", "region": "TX", "postal_code": "78711",
           "kind": "acp_substitute"}
    r = await world.patch(advocate, url, {"address": acp, "contact": None, "language": "en"},
                          headers={"If-Match": etag})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["address"]["kind"] == "acp_substitute" and body["address"]["line1"] == "PO Box 1234"
    assert body["contact"] is None and body["language"] == "en"
    assert body["safe_contact_instructions"] == SAFE  # untouched fields stay
    assert r.headers["etag"] != etag

    assert (await world.patch(advocate, url, {"language": "fr"}, headers={"If-Match": etag})).status_code == 412
    assert (await world.patch(advocate, url, {"full_name": None})).status_code == 422
    assert (await world.patch(advocate, url, {"case_id": case["id"]})).status_code == 422
    r = await world.get(advocate, url)
    assert r.json()["language"] == "en"
    assert await audit_actions(person["id"]) == ["person.create", "person.read", "person.update", "person.read"]


async def test_bad_person_input_is_422_writes_nothing_and_echoes_nothing(client, world, clock, caplog):
    clock.set(datetime.now(UTC))  # tokens are checked against the wall clock too, so freeze at "now"
    tomorrow = str(clock.now().date() + timedelta(days=1))
    _, advocate, case = await _setup(world)
    url = f"/api/v1/cases/{case['id']}/people"
    bad = [
        {**FULL, "race_ethnicity": ["martian"]},
        {**FULL, "race_ethnicity": ["declined", "white"]},
        {**FULL, "race_ethnicity": ["white", "white"]},
        {**FULL, "case_role": "abuser"},
        {**FULL, "address": {**ADDRESS, "kind": "shelter"}},
        {**FULL, "address": {**ADDRESS, "line1": ""}},
        {**FULL, "address": {**ADDRESS, "gps": "30.1,-97.7"}},
        {**FULL, "contact": {"phone": "call Juniper Hollow", "email": None}},
        {**FULL, "contact": {"email": "not-an-email Juniper Hollow"}},
        {**FULL, "date_of_birth": tomorrow},
        {**FULL, "date_of_birth": "02/04/1990"},
        {**FULL, "agency_id": case["agency_id"]},
        {k: v for k, v in FULL.items() if k != "full_name"},
    ]
    with caplog.at_level(logging.DEBUG):
        for body in bad:
            r = await world.post(advocate, url, body)
            assert r.status_code == 422, body
            assert r.headers["content-type"].startswith("application/problem+json")
            assert r.json()["errors"]
            for secret in [*SECRETS, "Maria Example"]:
                assert secret not in r.text
    assert await count(Person, Person.case_id == uid(case["id"])) == 0
    logged = caplog.text + " ".join(str(rec.__dict__) for rec in caplog.records)
    for secret in [*SECRETS, "Maria Example"]:
        assert secret not in logged


async def test_person_in_invisible_or_unknown_case_is_404(client, world):
    _, advocate, case = await _setup(world)
    cps = await world.agency("cps")
    cps_worker = await world.user(cps, "cps_worker")
    r = await world.post(cps_worker, f"/api/v1/cases/{case['id']}/people", FULL)
    assert r.status_code == 404
    assert await count(Person, Person.case_id == uid(case["id"])) == 0
    person = await world.person(advocate, case["id"], **FULL)
    r = await world.patch(cps_worker, f"/api/v1/people/{person['id']}", {"full_name": "Changed"})
    assert r.status_code == 404
    assert await audit_actions(person["id"]) == ["person.create"]  # refused reads release nothing


async def test_person_create_replay_keeps_no_plaintext(client, world):
    _, advocate, case = await _setup(world)
    h = {"Idempotency-Key": f"person-{case['id']}"}
    url = f"/api/v1/cases/{case['id']}/people"
    r1 = await world.post(advocate, url, FULL, headers=h)
    r2 = await world.post(advocate, url, FULL, headers=h)
    assert r1.status_code == r2.status_code == 201
    assert r2.headers.get("idempotent-replayed") == "true"
    assert r1.json()["id"] == r2.json()["id"] and r2.json()["address"] == ADDRESS
    assert await count(Person, Person.case_id == uid(case["id"])) == 1
    async with sessionmaker()() as s:
        (row,) = (await s.execute(sa.select(IdempotencyRecord.__table__).where(
            IdempotencyRecord.owner == f"user:{advocate.id}"))).mappings().all()
    stored = str(dict(row))
    assert str(row["resource_id"]) == r1.json()["id"]
    for secret in [*SECRETS, "Maria Example"]:
        assert secret not in stored


async def test_person_payload_groups_fields_by_category(client, world):
    _, advocate, case = await _setup(world)
    person = await world.person(advocate, case["id"], **FULL)
    async with sessionmaker()() as s:
        row = (await s.execute(sa.select(Person).where(Person.id == uid(person["id"])))).scalar_one()
    assert service.person_payload(row) == {
        "identity": {"full_name": "Maria Example", "date_of_birth": "1990-04-02", "case_role": "adult_survivor",
                     "race_ethnicity": ["hispanic_or_latino", "middle_eastern_or_north_african"],
                     "language": "es"},
        "contact": {"contact": CONTACT, "safe_contact_instructions": SAFE},
        "location": {"address": ADDRESS},
    }
