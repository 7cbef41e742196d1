"""SQL statements per request on the hot paths, counted on the engine as the database receives them.

The ceilings are today's counts, per database: a change that adds a round trip to one of these requests
fails here and must say why; when a count goes down, lower its ceiling with it."""

from __future__ import annotations

from app.core.db import get_engine
from tests.factories import PASSWORD
from tests.referrals.scene import build_scene
from tests.statements import statements

# Before the performance work (2026-12-04, PostgreSQL / SQLite): referral read 16 / 15, incoming list 3 / 4,
# disclosure 13 / 13, referral create 16 / 16, token 9 / 10.
# After it (2026-12-05): the caller's account comes from the principal cache (app.auth.principal_cache: 0);
# the referral with its people, services and links is one statement (app.referrals.reads); the disclosure
# rule reads the people, the link, mandates, agreements and consents in one (app.consent.rules.read_facts) and
# each category source once; the audit append is one statement on PostgreSQL (the function audit_append) and
# two on SQLite, whatever the number of chains (app.trail.recorder). The referral read is then: referral 1,
# rule 1, accounting INSERT 1, audit 1; the disclosure: rule 1, notes 1, contact preferences 1, accounting
# INSERT 1, audit 1. SQLite counts one more for the audit and one for its BEGIN (the switch to BEGIN IMMEDIATE
# at the first write runs on the driver's cursor and is not counted).
# Since 2026-12-06 on PostgreSQL the accounting INSERT is held (app.core.sql.Prebuilt.defer) and sent in the
# audit append's statement at the commit, and the receiver's read of a referral carries the rule's read of the
# people named (app.consent.rules.facts_column): the read is referral with rule 1, accounting and audit 1 (and,
# as its reads open no transaction and that statement is its only write, it sends no BEGIN and no COMMIT); the
# disclosure: rule 1, the category sources' selects together 1 (notes, contact preferences: app.core.sql.
# rows_together), accounting and audit 1 (no BEGIN or COMMIT either).
# The targets are on PostgreSQL's wire: read <= 6, disclosure <= 8.
CEILINGS = {
    "postgresql": {"referral read (receiver)": 2, "incoming list": 1, "disclosure": 3, "referral create": 10,
                   "token": 7},
    "sqlite": {"referral read (receiver)": 6, "incoming list": 2, "disclosure": 7, "referral create": 12,
               "token": 10},
}




async def test_statements_per_request_stay_within_their_ceilings(client, world):
    s = await build_scene(world)
    ref = await s.referral("sent")
    advocate, worker = s["dv_advocate"], s["cps_worker"]
    survivor = s.survivor["id"]
    requests = {
        "referral read (receiver)": lambda: world.get(advocate, f"/api/v1/referrals/{ref['id']}"),
        "incoming list": lambda: world.get(advocate, "/api/v1/referrals", params={"box": "incoming"}),
        "disclosure": lambda: world.post(advocate, "/api/v1/disclosures", {
            "person_id": survivor, "purpose": "referral", "categories": ["identity", "contact"]}),
        "referral create": lambda: s.draft(),
        "token": lambda: client.post("/api/v1/auth/token", data={
            "grant_type": "password", "username": worker.user.email, "password": PASSWORD}),
    }
    counts, rewritten = {}, {}
    for name, send in requests.items():
        await send()  # warm: first-use lookups (keys, caches) are not the steady state
        with statements() as seen:
            r = await send()
        assert r.status_code < 300, (name, r.status_code, r.text)
        counts[name] = len(seen)
        if seen.rewritten:
            rewritten[name] = [s[:80] for s in seen.rewritten]
    print("statements per request:", counts)
    ceilings = CEILINGS[get_engine().dialect.name]
    over = {n: (c, ceilings[n]) for n, c in counts.items() if c > ceilings[n]}
    assert over == {}, over
    if get_engine().dialect.name == "postgresql":
        # Lists are bound as one array (app.core.sql.AnyOf): no hot statement's text is rewritten per request.
        assert rewritten == {}


# A disclosure of every category at once (the survivor's consent covers them all): on PostgreSQL the rule 1,
# every category source's select together 1 (app.core.sql.rows_together; each domain declares its source as a
# statement source), accounting and audit 1. On SQLite each source's select is its own statement.
EVERY_CATEGORY_CEILINGS = {"postgresql": 3, "sqlite": 16}


async def test_a_disclosure_of_every_category_reads_every_source_in_one_statement(client, world):
    from app.core.vocab import DataCategory
    from tests.consent.helpers import build_scene as consent_scene

    s = await consent_scene(world)
    await s.agreement()
    await s.consent()  # every category (substance_use with its 42 CFR 2.31 elements)
    every = [c.value for c in DataCategory]
    assert (await s.disclose(categories=every)).status_code == 201  # warm
    with statements() as seen:
        r = await s.disclose(categories=every)
    assert r.status_code == 201, r.text
    # The rule released every category; those with nothing on file are listed as such (each source was read).
    assert {w["reason"] for w in r.json()["withheld"]} <= {"no_data"}
    print("statements, disclosure of every category:", len(seen))
    assert len(seen) <= EVERY_CATEGORY_CEILINGS[get_engine().dialect.name], seen
