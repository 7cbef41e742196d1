"""The referral's read and the boxes run statements built once per principal shape (app/referrals/reads.py): the
principal's agency and user are bind parameters, so one statement serves every principal of a shape and each
still sees only what referrals/access.py lets it see, whoever used the statement first."""

from __future__ import annotations

from app.auth.permissions import Role
from app.auth.principal import Principal
from app.referrals import lifecycle, reads
from tests.factories import Actor
from tests.referrals.scene import build_scene


def principal_of(actor: Actor) -> Principal:
    assert actor.agency is not None
    return Principal(id=actor.user.id, kind="user", agency_id=actor.agency.id, agency_kind=actor.agency.kind,
                     roles=frozenset(Role(r) for r in actor.user.roles))


async def test_one_statement_per_shape_answers_each_principal_for_itself(client, world):
    s = await build_scene(world, full=True)
    ref = await s.referral("sent")
    url = f"/api/v1/referrals/{ref['id']}"
    # The same role at the receiving agency and at a third agency; the case's worker and a colleague off its team.
    for first, second in (("other_advocate", "dv_advocate"), ("cps_off_team", "cps_worker")):
        assert reads._READ(principal_of(s[first])) is reads._READ(principal_of(s[second]))
    expected = [("other_advocate", 404), ("dv_advocate", 200), ("other_advocate", 404),
                ("cps_off_team", 404), ("cps_worker", 200), ("cps_off_team", 404), ("cps_supervisor", 200)]
    for who, status in expected:
        r = await world.get(s[who], url)
        assert r.status_code == status, (who, r.status_code, r.text)
        if status == 200:
            assert r.json()["person_ids"] == [s.survivor["id"]]

    async def box(who: str, name: str) -> list[str]:
        r = await world.get(s[who], "/api/v1/referrals", params={"box": name})
        assert r.status_code == 200, r.text
        return [i["id"] for i in r.json()["items"]]

    assert await box("other_advocate", "incoming") == []
    assert await box("dv_advocate", "incoming") == [ref["id"]]
    assert await box("other_advocate", "incoming") == []
    assert await box("cps_off_team", "outgoing") == []

    # The transitions' ORM load (lifecycle.get_referral) is built once per shape the same way.
    assert lifecycle._VISIBLE(principal_of(s["other_advocate"])) is lifecycle._VISIBLE(principal_of(s["dv_advocate"]))
    for who, status in (("other_advocate", 404), ("dv_advocate", 200), ("other_advocate", 404)):
        r = await world.post(s[who], f"{url}/acknowledge")
        assert r.status_code == status, (who, r.status_code, r.text)
    assert (await world.get(s["other_advocate"], f"{url}/events")).status_code == 404
    assert (await world.get(s["dv_advocate"], f"{url}/events")).status_code == 200
    assert await box("cps_worker", "outgoing") == [ref["id"]]
    assert await box("cps_off_team", "outgoing") == []


async def test_the_read_and_the_list_keep_the_order_of_the_people_named(client, world):
    s = await build_scene(world)
    r = await s.draft(person_ids=[s.child["id"], s.survivor["id"]])
    assert r.status_code == 201, r.text
    ref = r.json()
    named = [s.child["id"], s.survivor["id"]]
    assert ref["person_ids"] == named
    assert (await world.get(s["cps_worker"], f"/api/v1/referrals/{ref['id']}")).json()["person_ids"] == named
    items = (await world.get(s["cps_worker"], "/api/v1/referrals", params={"box": "outgoing"})).json()["items"]
    assert [i["person_ids"] for i in items] == [named]
