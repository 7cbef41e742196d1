"""A DV advocate working an accepted referral or a consultation on the case reads its checklists and adds notes
to items; she changes nothing else and sees none of the case's personal data. The link is hers, not her
agency's (what of the CPS notes reaches her: test_advocate_notes.py)."""

from __future__ import annotations

import uuid

import pytest

from app.advocates.models import Consultation, consultation_aad
from app.core.crypto import encrypt_json
from app.core.db import sessionmaker
from app.referrals.models import Referral
from tests.checklists.helpers import CRITICAL, audit_actions, team


async def _referral(t, dv_agency, status: str, assigned_to=None) -> Referral:
    """A referral of the case to the DV agency; `assigned_to` is the worker who acknowledged or accepted it."""
    async with sessionmaker()() as s:
        ref = Referral(case_id=uuid.UUID(t.case_id), from_agency_id=t.worker.agency.id, to_agency_id=dv_agency.id,
                       status=status, assigned_to=assigned_to.id if assigned_to else None)
        s.add(ref)
        await s.commit()
        return ref


async def _consultation(t, advocate, status: str) -> Consultation:
    office = await t.world.office(t.worker.agency)
    async with sessionmaker()() as s:
        c = Consultation(case_id=uuid.UUID(t.case_id), office_id=office.id, cps_agency_id=t.worker.agency.id,
                         urgency="routine", status=status, question_enc="", advocate_id=advocate.id,
                         dv_agency_id=advocate.agency.id)
        c.question_enc = encrypt_json("A question.", consultation_aad(c.id, "question"), owner=c.cps_agency_id) or ""
        s.add(c)
        await s.commit()
        return c


async def _assert_linked(world, t, advocate, cl) -> None:
    url = f"/api/v1/checklists/{cl['id']}"
    key = CRITICAL["safety_planning"][1]
    r = await world.get(advocate, url)
    assert r.status_code == 200, r.text
    assert r.json()["id"] == cl["id"]
    r = await world.get(advocate, f"/api/v1/cases/{t.case_id}/checklists")
    assert r.status_code == 200 and [x["id"] for x in r.json()["items"]] == [cl["id"]]

    note = "She keeps her written plan with us; nothing to file."
    r = await world.post(advocate, f"{url}/items/{key}/notes", {"text": note})
    assert r.status_code == 201, r.text
    assert (r.json()["kind"], r.json()["note"], r.json()["by"]) == ("note", note, str(advocate.id))
    assert r.json()["agency_id"] == str(advocate.agency.id)
    r = await world.get(t.worker, url)  # the shared record: the CPS worker reads the advocate's note
    item = next(i for i in r.json()["items"] if i["key"] == key)
    assert item["status"] == "pending" and item["history"][-1]["note"] == note
    assert "checklist.item_note" in await audit_actions(cl["id"])

    # She cannot change the checklist, start one, or see the case itself.
    assert (await world.patch(advocate, f"{url}/items/{key}", {"status": "done"})).status_code == 403
    assert (await world.post(advocate, f"{url}/complete")).status_code == 403
    r = await world.post(advocate, f"/api/v1/cases/{t.case_id}/checklists", {"juncture": "court"})
    assert r.status_code == 404
    assert (await world.get(advocate, f"/api/v1/cases/{t.case_id}")).status_code == 404
    assert (await world.get(advocate, f"/api/v1/cases/{t.case_id}/people")).status_code == 404
    assert (await world.get(advocate, f"/api/v1/cases/{t.case_id}/junctures")).status_code == 404


async def _assert_not_linked(world, t, advocate, cl) -> None:
    url = f"/api/v1/checklists/{cl['id']}"
    key = CRITICAL["safety_planning"][1]
    assert (await world.get(advocate, url)).status_code == 404
    assert (await world.get(advocate, f"/api/v1/cases/{t.case_id}/checklists")).status_code == 404
    assert (await world.post(advocate, f"{url}/items/{key}/notes", {"text": "x"})).status_code == 404


async def test_advocate_who_accepted_a_referral(world):
    t = await team(world)
    await world.person(t.worker, t.case_id)
    cl = await t.start("safety_planning")
    dv = await world.agency("dv")
    advocate = await world.user(dv, "dv_advocate")
    colleague = await world.user(dv, "dv_advocate")
    await _assert_not_linked(world, t, advocate, cl)
    await _referral(t, dv, "acknowledged", assigned_to=advocate)
    await _assert_not_linked(world, t, advocate, cl)  # acknowledged, not accepted
    await _referral(t, dv, "accepted", assigned_to=colleague)
    await _assert_not_linked(world, t, advocate, cl)  # her agency accepted one, but not she
    ref = await _referral(t, dv, "accepted", assigned_to=advocate)
    await _assert_linked(world, t, advocate, cl)

    # The link ends with the referral.
    async with sessionmaker()() as s:
        row = await s.get(Referral, ref.id)
        row.status = "closed"
        await s.commit()
    await _assert_not_linked(world, t, advocate, cl)


@pytest.mark.parametrize("status", ["accepted", "responded"])
async def test_advocate_on_a_consultation_about_the_case(world, status):
    t = await team(world)
    cl = await t.start("safety_planning")
    dv = await world.agency("dv")
    advocate = await world.user(dv, "dv_advocate")
    colleague = await world.user(dv, "dv_advocate")
    await _consultation(t, advocate, status)
    await _assert_linked(world, t, advocate, cl)
    await _assert_not_linked(world, t, colleague, cl)  # the consultation is hers, not her agency's


@pytest.mark.parametrize("status", ["routed", "closed"])
async def test_consultation_not_yet_accepted_or_closed_gives_no_access(world, status):
    t = await team(world)
    cl = await t.start("safety_planning")
    dv = await world.agency("dv")
    advocate = await world.user(dv, "dv_advocate")
    await _consultation(t, advocate, status)
    await _assert_not_linked(world, t, advocate, cl)


async def test_completed_checklist_takes_no_more_advocate_notes(world):
    t = await team(world)
    dv = await world.agency("dv")
    advocate = await world.user(dv, "dv_advocate")
    await _referral(t, dv, "accepted", assigned_to=advocate)
    done = await t.completed("court")
    r = await world.post(advocate, f"/api/v1/checklists/{done['id']}/items/{CRITICAL['court'][0]}/notes",
                         {"text": "Late."})
    assert r.status_code == 409
    assert (await world.get(advocate, f"/api/v1/checklists/{done['id']}")).status_code == 200
