"""Parent partners: a family invites one from its own view; she then sees its goals and meetings, never its
case records, and no family that did not invite her."""

from __future__ import annotations


async def _family(world, agency):
    worker = await world.user(agency, "dv_advocate")
    case = await world.case(worker)
    person = await world.person(worker, case["id"], full_name="Nora Family")
    return worker, case, person, await world.family(worker, person["id"])


async def test_a_parent_partner_sees_only_what_the_family_shares(client, world):
    dv = await world.agency("dv")
    program = await world.agency("community")
    partner = await world.user(program, "parent_partner")
    worker, case, person, her = await _family(world, dv)
    await client.post("/api/v1/my/goals", json={"text": "Get my kids back by summer."}, headers=her.h)

    # before the invitation: nothing
    assert (await world.get(partner, "/api/v1/partner/families")).json() == []
    r = await client.post("/api/v1/my/parent-partners", json={"parent_partner_id": str(partner.id)}, headers=her.h)
    assert r.status_code == 201, r.text
    assert r.json()["agency_name"] == program.name and "es" in r.json()["texts"]

    families = (await world.get(partner, "/api/v1/partner/families")).json()
    assert [f["display_name"] for f in families] == [her.username]
    link = families[0]["id"]
    goals = await world.get(partner, f"/api/v1/partner/families/{link}/goals")
    assert goals.status_code == 200 and goals.json()[0]["text"] == "Get my kids back by summer."
    assert (await world.get(partner, f"/api/v1/partner/families/{link}/meetings")).status_code == 200
    # never case records
    for url in (f"/api/v1/cases/{case['id']}", f"/api/v1/people/{person['id']}", "/api/v1/cases",
                f"/api/v1/people/{person['id']}/family-goals", f"/api/v1/people/{person['id']}/consents"):
        assert (await world.get(partner, url)).status_code == 403, url
    assert "Nora" not in str(families)

    # another parent partner, and staff, see nothing of this family
    other = await world.user(program, "parent_partner")
    assert (await world.get(other, f"/api/v1/partner/families/{link}/goals")).status_code == 404
    assert (await world.get(worker, f"/api/v1/partner/families/{link}/goals")).status_code == 403


async def test_only_a_parent_partner_can_be_invited(client, world):
    dv = await world.agency("dv")
    worker, _, _, her = await _family(world, dv)
    r = await client.post("/api/v1/my/parent-partners", json={"parent_partner_id": str(worker.id)}, headers=her.h)
    assert r.status_code == 422 and r.json()["errors"][0]["type"] == "not_a_parent_partner"


async def test_she_sends_a_parent_partner_away_and_the_partner_sees_nothing_from_then_on(client, world):
    dv = await world.agency("dv")
    program = await world.agency("community")
    partner = await world.user(program, "parent_partner")
    _, _, _, her = await _family(world, dv)
    _, _, _, someone = await _family(world, dv)
    r = await client.post("/api/v1/my/parent-partners", json={"parent_partner_id": str(partner.id)}, headers=her.h)
    link = r.json()["id"]
    mine = (await client.get("/api/v1/my/parent-partners", headers=her.h)).json()
    assert [(p["id"], p["parent_partner_id"]) for p in mine] == [(link, str(partner.id))]
    assert (await client.get("/api/v1/my/parent-partners", headers=someone.h)).json() == []
    # nobody else ends her link
    assert (await client.delete(f"/api/v1/my/parent-partners/{link}", headers=someone.h)).status_code == 404
    assert (await world.get(partner, f"/api/v1/partner/families/{link}/goals")).status_code == 200

    assert (await client.delete(f"/api/v1/my/parent-partners/{link}", headers=her.h)).status_code == 204
    assert (await world.get(partner, f"/api/v1/partner/families/{link}/goals")).status_code == 404
    assert (await world.get(partner, "/api/v1/partner/families")).json() == []
    assert (await client.get("/api/v1/my/parent-partners", headers=her.h)).json() == []
    assert (await client.delete(f"/api/v1/my/parent-partners/{link}", headers=her.h)).status_code == 404
    # she may invite her again later
    r = await client.post("/api/v1/my/parent-partners", json={"parent_partner_id": str(partner.id)}, headers=her.h)
    assert r.status_code == 201 and r.json()["id"] != link
