"""The receiving agency's read of a referral naming two people: the people named and everything the disclosure
rule reads about each of them (link, mandates, agreements, consents with their grantors) come in one statement,
and each person's decision is still their own."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from app.consent import rules
from app.core.db import sessionmaker
from app.referrals import reads
from tests.consent.helpers import mandate_body
from tests.referrals.scene import build_scene
from tests.referrals.test_prebuilt_reads import principal_of
from tests.statements import statements


async def test_the_people_named_and_the_rule_reads_for_each_are_one_statement(world):
    s = await build_scene(world)
    # The child's consent, given by her mother, covers the referral's text too.
    await s.consent(s.child, grantor={"person_id": s.survivor["id"], "relationship": "parent"})
    ref = await s.referral("sent", person_ids=[s.survivor["id"], s.child["id"]])
    await world.get(s["dv_advocate"], f"/api/v1/referrals/{ref['id']}")  # warm

    with statements() as seen:
        r = await world.get(s["dv_advocate"], f"/api/v1/referrals/{ref['id']}")
    assert r.status_code == 200, r.text
    assert r.json()["withheld"] == [] and "sister" in r.json()["family_goals"]
    rule = [st for st in seen if st.lstrip().upper().startswith("SELECT") and any(
        t in st for t in ("legal_mandates", "agreements", "consents ", "consents\n", "FROM people"))]
    assert len(rule) == 1, rule
    # One accounting row for each person named (on PostgreSQL both travel in the audit append's statement).
    inserts = sum(st.upper().count("INSERT INTO DISCLOSURES") for st in seen)
    assert inserts == 2


async def test_a_grantor_who_may_no_longer_grant_withholds_for_that_person_only(world):
    s = await build_scene(world)
    await s.consent(s.child, grantor={"person_id": s.survivor["id"], "relationship": "parent"})
    ref = await s.referral("sent", person_ids=[s.survivor["id"], s.child["id"]])
    assert (await world.get(s["dv_advocate"], f"/api/v1/referrals/{ref['id']}")).json()["withheld"] == []
    # Her mother is later recorded as using violence: her consents, her own and the child's, no longer count.
    r = await world.patch(s["cps_worker"], f"/api/v1/people/{s.survivor['id']}", {"case_role": "person_using_violence"})
    assert r.status_code == 200, r.text
    body = (await world.get(s["dv_advocate"], f"/api/v1/referrals/{ref['id']}")).json()
    assert body["withheld_reasons"] == {"reason": "no_consent", "family_goals": "no_consent"}


@pytest.mark.skipif("os.environ.get('TANDEM_TEST_DB') != 'postgresql'",
                    reason="SQLite reads the rule in its own statement (read_facts itself)")
async def test_the_rule_read_carried_by_the_referral_read_is_read_facts_answer(world):
    """On PostgreSQL the receiver's read carries the rule's read in its own statement, as JSON: read back, it
    is what `read_facts` answers, value for value and type for type (mandate, agreement, consents with their
    grantors, the person's record), so the decisions taken from it are the same."""
    s = await build_scene(world)
    await s.consent(s.child, grantor={"person_id": s.survivor["id"], "relationship": "parent"})
    r = await world.post(s["cps_supervisor"], f"/api/v1/people/{s.survivor['id']}/legal-mandates",
                         mandate_body(s.dv, ["identity"]))
    assert r.status_code == 201, r.text
    ref = await s.referral("sent", person_ids=[s.survivor["id"], s.child["id"]])
    advocate = principal_of(s["dv_advocate"])
    async with sessionmaker()() as session:
        view = await reads.load_visible(session, advocate, uuid.UUID(ref["id"]))
        assert view.rule_facts is not None
        carried = rules.facts_from_json(view.rule_facts, advocate.agency_id)
        read = await rules.read_facts(session, view.person_ids, advocate.agency_id)
    assert set(carried) == set(read) == {uuid.UUID(s.survivor["id"]), uuid.UUID(s.child["id"])}
    for pid, (person, facts) in read.items():
        c_person, c_facts = carried[pid]
        assert c_person.model_dump() == person.model_dump()
        assert c_facts == facts
    survivor_facts = read[uuid.UUID(s.survivor["id"])][1]
    assert survivor_facts.mandates and survivor_facts.agreements and survivor_facts.consents
    assert read[uuid.UUID(s.child["id"])][1].consents  # granted by her mother: the grantor's row came along


@pytest.mark.skipif("os.environ.get('TANDEM_TEST_DB') != 'postgresql'",
                    reason="plans kept across executions are PostgreSQL's prepared statements")
async def test_the_rule_read_for_one_person_is_planned_once_per_connection(world):
    """A disclosure asks about one person: the rule's read for one person is a statement whose kept (generic)
    plan PostgreSQL uses from the sixth execution on a connection, instead of planning it again each time
    (planning it cost more than ten times running it)."""
    s = await build_scene(world)
    advocate = principal_of(s["dv_advocate"])
    person = uuid.UUID(s.survivor["id"])
    async with sessionmaker()() as session:
        for _ in range(8):
            found = await rules.read_facts(session, [person], advocate.agency_id)
            assert set(found) == {person}
        # The statements this connection has prepared that read the rule (the scene's requests used it too).
        plans = (await session.execute(sa.text(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement LIKE '%rule_reads%' "
            "AND statement NOT LIKE '%json_agg%'"))).all()
    ran_here = [(generic, custom) for generic, custom in plans if generic + custom >= 8]
    assert len(ran_here) == 1, plans
    generic, custom = ran_here[0]
    assert custom <= 5 and generic >= 3, (generic, custom)


async def test_the_rule_read_for_one_person_is_the_read_for_a_list_of_one(world):
    s = await build_scene(world)
    await s.consent(s.child, grantor={"person_id": s.survivor["id"], "relationship": "parent"})
    advocate = principal_of(s["dv_advocate"])
    child = uuid.UUID(s.child["id"])
    async with sessionmaker()() as session:
        one = await rules.read_facts(session, [child], advocate.agency_id)
        both = await rules.read_facts(session, [child, uuid.UUID(s.survivor["id"])], advocate.agency_id)
    assert one[child][1].consents and one[child][1] == both[child][1]
    assert one[child][0].model_dump() == both[child][0].model_dump()
