"""`tandem rotate-data-key` re-seals the sealed columns of safety-plan summaries, child details, contact
preferences and case notes (each registered with `register_sealed`), and the API reads them back."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa

from app.children.models import ChildDetails
from app.contacts.models import ContactPreferences
from app.core import crypto
from app.core.db import sessionmaker
from app.notes.models import CaseNote
from app.safety_plans.models import SafetyPlanSummary
from tests.authz.matrix_children import CHILD
from tests.authz.matrix_contacts import PREFERENCES
from tests.authz.matrix_safety_plans import SUMMARY
from tests.consent.helpers import build_scene

SEALED = {SafetyPlanSummary: ["element_texts_enc"], ChildDetails: ["school_enc", "visitation_schedule_enc",
                                                                   "needs_text_enc"],
          ContactPreferences: ["safe_times_enc", "code_word_enc", "others_may_answer_enc"], CaseNote: ["text_enc"]}


async def _key_ids(case_id: Any) -> set[str]:
    out: set[str] = set()
    async with sessionmaker()() as s:
        for model, columns in SEALED.items():
            t = model.__table__
            for row in (await s.execute(sa.select(t).where(t.c.case_id == case_id))).mappings():
                out |= {crypto.key_id_of(row[c]) for c in columns}
    return out


async def test_rotation_reseals_every_record(client, world):
    from app.keys import operations

    s = await build_scene(world)
    adv = s["advocate"]
    pid = s.survivor["id"]
    child = await world.person(adv, s.case["id"], case_role="child", full_name="Kid")
    assert (await world.put(adv, f"/api/v1/people/{pid}/safety-plan-summary", SUMMARY)).status_code == 201
    assert (await world.put(adv, f"/api/v1/people/{child['id']}/child-details", CHILD)).status_code == 201
    assert (await world.put(adv, f"/api/v1/people/{pid}/contact-preferences", PREFERENCES)).status_code == 201
    r = await world.post(adv, f"/api/v1/cases/{s.case['id']}/notes", {"text": "Rotated note.", "audience": "own_agency"})
    note_id = r.json()["id"]
    case_id = uuid.UUID(s.case["id"])
    agency = s.dv
    old = crypto.ring.current[agency.id]
    assert await _key_ids(case_id) == {old}
    await operations.rotate(agency.id)
    new = crypto.ring.current[agency.id]
    assert new != old and await _key_ids(case_id) == {new}
    assert (await world.get(adv, f"/api/v1/notes/{note_id}")).json()["text"] == "Rotated note."
    r = await world.get(adv, f"/api/v1/people/{pid}/contact-preferences")
    assert r.json()["code_word"] == PREFERENCES["code_word"]
    r = await world.get(adv, f"/api/v1/people/{child['id']}/child-details")
    assert r.json()["school"] == CHILD["school"]
    r = await world.get(adv, f"/api/v1/people/{pid}/safety-plan-summary")
    assert r.json()["elements"] == SUMMARY["elements"]
