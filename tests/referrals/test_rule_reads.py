"""The receiving agency's read of a referral naming two people: the people named and everything the disclosure
rule reads about each of them (link, mandates, agreements, consents with their grantors) come in one statement,
and each person's decision is still their own."""

from __future__ import annotations

from tests.referrals.scene import build_scene
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
