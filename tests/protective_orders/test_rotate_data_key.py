"""`tandem rotate-data-key` re-seals the casework records of issue 13 too (protective orders, court events and
their findings, assessments): every sealed column is registered, and its value still opens after rotation."""

from __future__ import annotations

import sqlalchemy as sa

from app.assessments.models import Assessment
from app.core import crypto
from app.core.db import sessionmaker
from app.court.models import CourtEvent, CourtFinding
from app.protective_orders.models import ProtectiveOrder
from tests.consent.helpers import build_scene, uid

COLUMNS = {ProtectiveOrder: ("court_enc", "docket_number_enc", "terms_enc"),
           CourtEvent: ("court_case_number_enc", "courtroom_enc", "outcome_details_enc", "attorneys_enc",
                        "guardian_ad_litem_enc"),
           CourtFinding: ("details_enc",), Assessment: ("basis_enc", "assessor_name_enc")}


async def _key_ids(model, row_id) -> set[str]:
    async with sessionmaker()() as s:
        t = model.__table__
        row = (await s.execute(sa.select(t).where(t.c.id == row_id))).mappings().one()
    return {crypto.key_id_of(row[c]) for c in COLUMNS[model] if row[c] is not None}


async def test_rotation_reseals_every_record_column(client, world):
    from app.keys import operations

    assert {(s.model, s.column) for s in crypto.SEALED_COLUMNS} >= {(m, c) for m, cs in COLUMNS.items() for c in cs}
    s = await build_scene(world)
    him = await world.person(s["advocate"], s.case["id"], case_role="person_using_violence", full_name="Him")
    order = (await s.post("advocate", f"/api/v1/people/{s.survivor['id']}/protective-orders", {
        "kind": "final", "issued_on": "2026-01-05", "court": "County Court", "docket_number": "D-1",
        "terms": [{"code": "other", "details": "No posts about her online"}]})).json()
    event = (await s.post("advocate", f"/api/v1/cases/{s.case['id']}/court-events", {
        "court_kind": "family", "kind": "custody", "scheduled_for": "2026-02-01T15:00:00Z",
        "court_case_number": "F-2", "courtroom": "2A", "outcome": "held", "outcome_details": "Custody to her",
        "attorneys": [{"name": "A. Lawyer", "represents": "adult_survivor"}], "guardian_ad_litem": "G. Ad",
        "findings": [{"code": "dv_perpetrated", "against_person_id": him["id"], "details": "Seen by the court"}]})).json()
    assessment = (await s.post("advocate", f"/api/v1/people/{s.survivor['id']}/assessments", {
        "instrument": "predominant_aggressor", "administered_at": "2026-01-06T10:00:00Z",
        "result_level": "determined", "determined_person_id": him["id"], "basis": "His pattern",
        "assessor_name": "D. Assessor"})).json()
    async with sessionmaker()() as session:
        finding_id = (await session.execute(sa.select(CourtFinding.id).where(
            CourtFinding.court_event_id == uid(event["id"])))).scalar_one()
    rows = [(ProtectiveOrder, uid(order["id"])), (CourtEvent, uid(event["id"])), (CourtFinding, finding_id),
            (Assessment, uid(assessment["id"]))]

    old = crypto.ring.current[s.dv.id]
    await operations.rotate(s.dv.id)
    new = crypto.ring.current[s.dv.id]
    assert new != old
    for model, row_id in rows:
        assert await _key_ids(model, row_id) == {new}, model
    assert (await s.get("advocate", f"/api/v1/protective-orders/{order['id']}")).json() == order
    assert (await s.get("advocate", f"/api/v1/court-events/{event['id']}")).json() == event
    assert (await s.get("advocate", f"/api/v1/assessments/{assessment['id']}")).json() == assessment
