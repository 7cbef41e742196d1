"""Treatment participation (substance use, mental health): codes and dates only, never clinical notes; create,
read (audited), change (If-Match), list; refused when inconsistent with nothing written; another agency's 404;
released only under the category its domain names, a substance_use release with the redisclosure notice."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.consent.models import Consent
from app.core.db import sessionmaker
from app.outbox.models import WebhookEvent
from app.treatment.models import Treatment
from tests.consent.helpers import audit_rows, build_scene, uid

SU = {"domain": "substance_use", "program_kind": "intensive_outpatient", "status": "active",
      "started_on": "2026-10-01"}
MH = {"domain": "mental_health", "program_kind": "outpatient", "status": "enrolled", "started_on": "2026-09-15"}


async def _count(person_id: Any) -> int:
    async with sessionmaker()() as s:
        return (await s.execute(sa.select(sa.func.count()).select_from(Treatment)
                                .where(Treatment.person_id == uid(person_id)))).scalar_one()


async def _create(s: Any, body: dict[str, Any], **over: Any) -> dict[str, Any]:
    r = await s.post("advocate", f"/api/v1/people/{s.survivor['id']}/treatment", {**body, **over})
    assert r.status_code == 201, r.text
    return r.json()


async def test_create_read_change_and_list(client, world):
    s = await build_scene(world)
    await world.webhook(s.dv, "treatment.*")
    url = f"/api/v1/people/{s.survivor['id']}/treatment"
    r = await s.post("advocate", url, SU, headers={"Idempotency-Key": "t-1"})
    assert r.status_code == 201, r.text
    t = r.json()
    assert {k: t[k] for k in SU} == SU and t["ended_on"] is None and t["agency_id"] == str(s.dv.id)
    assert t["case_id"] == s.case["id"] and t["version"] == 1
    assert (await s.post("advocate", url, SU, headers={"Idempotency-Key": "t-1"})).json()["id"] == t["id"]

    r = await s.get("advocate", f"/api/v1/treatment/{t['id']}")
    assert r.status_code == 200 and r.json() == t
    etag = r.headers["etag"]
    r = await s.world.patch(s["advocate"], f"/api/v1/treatment/{t['id']}",
                            {"status": "completed", "ended_on": "2026-11-30"}, headers={"If-Match": etag})
    assert r.status_code == 200 and r.json()["status"] == "completed" and r.json()["ended_on"] == "2026-11-30"
    r = await s.world.patch(s["advocate"], f"/api/v1/treatment/{t['id']}", {"status": "discontinued"},
                            headers={"If-Match": etag})
    assert r.status_code == 412

    mh = await _create(s, MH)
    r = await s.get("advocate", url)
    assert [i["id"] for i in r.json()["items"]] == [mh["id"], t["id"]]
    assert set(r.json()["items"][0]) == {"id", "person_id", "case_id", "domain", "program_kind", "status",
                                         "started_on", "ended_on", "created_at", "updated_at"}
    r = await s.get("advocate", url, params={"domain": "mental_health"})
    assert [i["id"] for i in r.json()["items"]] == [mh["id"]]
    assert [e.action for e in await audit_rows(object_id=t["id"])] == [
        "treatment.create", "treatment.read", "treatment.update"]
    async with sessionmaker()() as session:
        events = list((await session.execute(sa.select(WebhookEvent).where(WebhookEvent.agency_id == s.dv.id)
                                             .order_by(WebhookEvent.created_at))).scalars())
    assert [e.type for e in events] == ["treatment.created", "treatment.updated", "treatment.created"]
    assert events[0].data == {"treatment_id": t["id"], "person_id": s.survivor["id"], "case_id": s.case["id"]}


async def test_inconsistent_or_clinical_input_is_refused_and_nothing_is_written(client, world):
    s = await build_scene(world)
    url = f"/api/v1/people/{s.survivor['id']}/treatment"
    for over, loc in (({"ended_on": "2026-09-01"}, "ended_on"), ({"program_kind": "medication_management"},
                                                                  "program_kind"),
                      ({"domain": "gambling"}, "domain"), ({"status": "relapsed"}, "status"),
                      ({"notes": "Disclosed relapse in session."}, "notes"),
                      ({"diagnosis": "F10.20"}, "diagnosis")):
        r = await s.post("advocate", url, {**SU, **over})
        assert r.status_code == 422, over
        assert [e["loc"][-1] for e in r.json()["errors"]] == [loc], r.text
        assert "relapse" not in r.text and "F10" not in r.text
    r = await s.post("advocate", url, {**MH, "program_kind": "withdrawal_management"})
    assert r.status_code == 422 and r.json()["errors"][0]["type"] == "program_kind_not_in_domain"
    assert await _count(s.survivor["id"]) == 0

    t = await _create(s, SU)
    for body, loc in (({"status": None}, "status"), ({"program_kind": None}, "program_kind"),
                      ({"domain": "mental_health"}, "domain"), ({"started_on": "2026-12-01",
                                                                  "ended_on": "2026-11-01"}, "ended_on"),
                      ({"program_kind": "medication_management"}, "program_kind")):
        r = await s.world.patch(s["advocate"], f"/api/v1/treatment/{t['id']}", body)
        assert r.status_code == 422, body
        assert [e["loc"][-1] for e in r.json()["errors"]] == [loc], r.text
    r = await s.world.patch(s["advocate"], f"/api/v1/treatment/{t['id']}", {"ended_on": "2026-11-01"})
    assert r.status_code == 200
    r = await s.world.patch(s["advocate"], f"/api/v1/treatment/{t['id']}", {"started_on": "2026-11-02"})
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "started_on"]
    assert (await s.get("advocate", f"/api/v1/treatment/{t['id']}")).json()["started_on"] == "2026-10-01"


async def test_another_agency_and_staff_off_the_case_get_404(client, world):
    s = await build_scene(world)
    t = await _create(s, SU)
    for actor in ("cps_worker", "cps_supervisor", "third_worker", "dv_other_advocate"):
        assert (await s.get(actor, f"/api/v1/treatment/{t['id']}")).status_code == 404, actor
        r = await s.world.patch(s[actor], f"/api/v1/treatment/{t['id']}", {"status": "completed"})
        assert r.status_code == 404
        assert (await s.get(actor, f"/api/v1/people/{s.survivor['id']}/treatment")).status_code == 404
        assert (await s.post(actor, f"/api/v1/people/{s.survivor['id']}/treatment", SU)).status_code == 404
    assert (await s.get("dv_supervisor", f"/api/v1/treatment/{t['id']}")).status_code == 200
    assert (await s.get("dv_admin", f"/api/v1/treatment/{t['id']}")).status_code == 403
    assert await _count(s.survivor["id"]) == 1


async def test_released_under_its_own_category_with_the_redisclosure_notice(client, world):
    s = await build_scene(world)
    su = await _create(s, SU)
    await s.agreement()
    await s.consent(categories=["identity", "mental_health"])
    body = (await s.disclose(categories=["substance_use", "mental_health"])).json()
    assert body["withheld"] == [{"category": "substance_use", "reason": "category_not_consented"},
                                {"category": "mental_health", "reason": "no_data"}]
    assert body["released"] == {} and body["redisclosure_notice"] is None

    await s.consent(categories=["substance_use"])  # with its 42 CFR 2.31 elements
    body = (await s.disclose(categories=["substance_use", "mental_health"])).json()
    assert body["released"]["substance_use"] == {"treatment": [
        {"id": su["id"], "program_kind": "intensive_outpatient", "status": "active", "started_on": "2026-10-01",
         "ended_on": None}]}
    assert body["released_meta"]["substance_use"]["as_of"] == su["created_at"]
    assert body["released_meta"]["substance_use"]["agency_id"] == str(s.dv.id)
    assert "42 CFR part 2" in body["redisclosure_notice"]
    assert body["withheld"] == [{"category": "mental_health", "reason": "no_data"}]
    row = (await s.accounting())[0]
    assert row["categories_released"] == ["substance_use"] and row["redisclosure_notice"] is True

    mh = await _create(s, MH)
    body = (await s.disclose(categories=["mental_health"])).json()
    assert [x["id"] for x in body["released"]["mental_health"]["treatment"]] == [mh["id"]]
    assert body["redisclosure_notice"] is None
    changed = (await s.world.patch(s["advocate"], f"/api/v1/treatment/{mh['id']}", {"status": "active"})).json()
    body = (await s.disclose(categories=["mental_health"])).json()
    assert body["released_meta"]["mental_health"]["as_of"] == changed["updated_at"]


async def test_own_agency_reads_its_records_through_the_rule(client, world):
    s = await build_scene(world)
    su = await _create(s, SU)
    body = (await s.disclose("advocate", categories=["substance_use"])).json()
    assert body["released_basis"] == {"substance_use": "own_agency"}
    assert body["released"]["substance_use"]["treatment"][0]["id"] == su["id"]


async def test_a_consent_without_the_part2_elements_releases_no_substance_use(client, world):
    """A consent recorded before its 42 CFR 2.31 elements were required (none on file) names substance_use but
    cannot release it; it still releases its other categories."""
    s = await build_scene(world)
    await _create(s, SU)
    await s.agreement()
    consent = await s.consent(categories=["identity", "substance_use"])
    async with sessionmaker()() as db:
        await db.execute(sa.update(Consent).where(Consent.id == uid(consent["id"])).values(
            part2_disclosing_program_enc=None, part2_amount_and_kind_enc=None, part2_revocation_explained=None))
        await db.commit()
    body = (await s.disclose(categories=["identity", "substance_use"])).json()
    assert set(body["released"]) == {"identity"}
    assert body["withheld"] == [{"category": "substance_use", "reason": "part2_elements_missing"}]
    assert body["redisclosure_notice"] is None
