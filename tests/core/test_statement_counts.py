"""SQL statements per request on the hot paths, counted on the engine as the database receives them.

The ceilings are today's counts: a change that adds a round trip to one of these requests fails here and
must say why. Lowering them (the referral read to 6, the disclosure to 8) is the work of the performance
issue; when a count goes down, lower its ceiling with it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from app.core.db import get_engine
from tests.factories import PASSWORD
from tests.referrals.scene import build_scene

# Measured 2026-12-04 (SQLite / PostgreSQL): read 14 / 15, incoming list 4 / 3, disclosure 13 / 13,
# create 16 / 16, token 10 / 9; each ceiling is the larger of the two. The referral read then gained two for its
# linked records (`linked_case_id`, `linked_person_ids`: the case link and the person links): 16 / 17.
# The audit append at commit (one chain per agency: the head row's UPDATE ... RETURNING, on PostgreSQL a read of
# the previous hash, the INSERT) then took the PostgreSQL read to 16 (SQLite 15). On SQLite the switch of a
# reading transaction to BEGIN IMMEDIATE at its first write (app.core.db) runs on the driver's cursor, in
# process, and is not counted here.
# Read + people, services, links in one statement; a page + its people in one: 12/11, 2/3, 15/15 (PG/SQLite).
CEILINGS = {
    "referral read (receiver)": 12,
    "incoming list": 3,
    "disclosure": 13,
    "referral create": 15,
    "token": 10,
}


@contextmanager
def counting() -> Iterator[list[str]]:
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement.split(None, 1)[0].upper())

    engine = get_engine().sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


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
    counts = {}
    for name, send in requests.items():
        await send()  # warm: first-use lookups (keys, caches) are not the steady state
        with counting() as seen:
            r = await send()
        assert r.status_code < 300, (name, r.status_code, r.text)
        counts[name] = len(seen)
    print("statements per request:", counts)
    over = {n: (c, CEILINGS[n]) for n, c in counts.items() if c > CEILINGS[n]}
    assert over == {}, over
