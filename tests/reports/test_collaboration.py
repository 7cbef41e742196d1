"""The collaboration report: referrals both ways, by race/ethnicity, consultations per office, checklists
and overrides by juncture; small cells, rates and percentiles suppressed; only the caller's agency."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from app.reports.suppression import percentile
from tests.reports.builders import NOW, YEAR_END, Ledger

URL = "/api/v1/reports/collaboration"


def table(body: dict[str, Any], section: str, column: str) -> dict[str, Any]:
    t = body[section]
    out = {r["group"]: r["cells"][column]["value"] for r in t["rows"]}
    if t["total"] is not None:
        out["total"] = t["total"]["cells"][column]["value"]
    return out


def all_cells(body: dict[str, Any]) -> list[dict[str, Any]]:
    cells = []
    for section in ("referrals", "referrals_by_race_ethnicity", "consultations_by_office", "checklists_by_juncture"):
        t = body[section]
        for row in t["rows"] + ([t["total"]] if t["total"] else []):
            assert set(row["cells"]) == set(t["columns"])
            cells += row["cells"].values()
    return cells


async def collaboration_world(world: Any) -> dict[str, Any]:
    cps, dv, other_cps = await world.agency("cps"), await world.agency("dv"), await world.agency("cps")
    other_dv = await world.agency("dv")
    o1, o2, o3 = [await world.office(cps, name=n) for n in ("Central", "East", "Harbor")]
    elsewhere = await world.office(other_cps, name="Central")
    ledger = Ledger()
    case = ledger.case(cps, o1)
    dv_case = ledger.case(dv)
    other_case = ledger.case(other_cps, elsewhere)

    def survivor(*race: str) -> Any:
        return ledger.person(case, "adult_survivor", race)

    # sent by the CPS agency: 12 accepted, 11 declined, 3 overdue at the end of the year, 1 still within its
    # time then
    for i in range(1, 13):
        ledger.referral(case, dv, status="accepted", ack_h=i, accept_h=i + 10,
                        people=(survivor("black_or_african_american"),))
    for j in range(1, 12):
        ledger.referral(case, dv, status="declined", ack_h=20 + j, decline_h=30 + j, people=(survivor("white"),))
    for _ in range(3):
        ledger.referral(case, dv, status="sent", respond_by=YEAR_END - timedelta(hours=1),
                        people=(survivor("white", "hispanic_or_latino"),))
    ledger.referral(case, dv, status="sent", respond_by=YEAR_END + timedelta(days=1),
                    people=(survivor("white", "hispanic_or_latino"),))
    # received from the DV agency: 11 accepted, 11 declined; their people are the DV agency's own
    dv_person = ledger.person(dv_case, "adult_survivor", ("asian",))
    for _ in range(11):
        ledger.referral(dv_case, cps, status="accepted", ack_h=2, accept_h=5, people=(dv_person,))
        ledger.referral(dv_case, cps, status="declined", ack_h=3, decline_h=4, people=(dv_person,))
    # not counted: a draft, one sent before the year, another agency's referrals
    ledger.referral(case, dv, sent_at=None, status="draft")
    ledger.referral(case, dv, sent_at=datetime(2024, 12, 31, 23, 0, tzinfo=UTC), status="accepted", ack_h=1,
                    accept_h=2)
    for _ in range(15):
        ledger.referral(other_case, other_dv, status="accepted", ack_h=100, accept_h=200)
    # consultations: Central 12 (all answered), East 3 (one answered), Harbor 11 (all answered)
    for h in range(1, 13):
        ledger.consultation(case, o1, dv_agency=dv, respond_h=h)
    for h in (1, None, None):
        ledger.consultation(case, o2, dv_agency=dv, respond_h=h)
    for _ in range(11):
        ledger.consultation(case, o3, dv_agency=dv, respond_h=2)
    for _ in range(20):
        ledger.consultation(other_case, elsewhere, respond_h=50)
    # checklists: investigation 24 started (12 completed), removal 12 (all completed), court 11 (none)
    for i in range(24):
        ledger.checklist(case, "investigation", completed=i < 12)
    for _ in range(12):
        ledger.checklist(case, "removal", completed=True)
    for _ in range(11):
        ledger.checklist(case, "court", completed=False)
    for _ in range(15):
        ledger.checklist(other_case, "investigation", completed=True)
    # junctures: investigation 13 (2 overridden), removal 14 (11 overridden), court 12
    for i in range(13):
        ledger.juncture(case, "investigation", overridden=i < 2)
    for i in range(14):
        ledger.juncture(case, "removal", overridden=i < 11)
    for _ in range(12):
        ledger.juncture(case, "court")
    for _ in range(12):
        ledger.juncture(other_case, "removal", overridden=True)
    await ledger.save()
    return {"cps": cps, "dv": dv, "other": other_cps, "case_id": str(case.id)}


async def test_collaboration_report_for_the_cps_agency(world, clock) -> None:
    clock.set(NOW)
    w = await collaboration_world(world)
    admin = await world.user(w["cps"], "agency_admin")
    r = await world.get(admin, URL)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["report"] == "collaboration" and body["threshold"] == 11
    assert body["period"] == "2025" and body["as_of"].startswith("2026-01-01T00:00")
    for cell in all_cells(body):
        assert set(cell) == {"value", "suppressed"}
        assert (cell["value"] is None) == cell["suppressed"]

    # referrals, both directions
    assert table(body, "referrals", "referrals") == {"sent": 27, "received": 22, "total": 49}
    assert table(body, "referrals", "accepted") == {"sent": 12, "received": 11, "total": 23}
    assert table(body, "referrals", "declined") == {"sent": 11, "received": 11, "total": 22}
    assert table(body, "referrals", "overdue") == {"sent": None, "received": None, "total": None}
    assert table(body, "referrals", "acceptance_rate") == {"sent": round(12 / 23, 3), "received": 0.5,
                                                           "total": round(23 / 45, 3)}
    sent_ack = [float(i) for i in range(1, 13)] + [20.0 + j for j in range(1, 12)]
    assert table(body, "referrals", "hours_to_acknowledge_median") == {
        "sent": round(percentile(sent_ack, 0.5), 1), "received": 2.5,
        "total": round(percentile(sent_ack + [2.0] * 11 + [3.0] * 11, 0.5), 1)}
    assert table(body, "referrals", "hours_to_acknowledge_p90")["sent"] == round(percentile(sent_ack, 0.9), 1)
    sent_accept = [float(i + 10) for i in range(1, 13)]
    assert table(body, "referrals", "hours_to_accept_median") == {
        "sent": round(percentile(sent_accept, 0.5), 1), "received": 5.0,
        "total": round(percentile(sent_accept + [5.0] * 11, 0.5), 1)}
    assert table(body, "referrals", "hours_to_accept_p90")["sent"] == round(percentile(sent_accept, 0.9), 1)

    # by race/ethnicity of the people the agency itself named (the DV agency's people are not its data)
    race = "referrals_by_race_ethnicity"
    assert body[race]["total"] is None
    assert table(body, race, "referrals") == {
        "american_indian_or_alaska_native": None, "asian": None, "black_or_african_american": 12,
        "hispanic_or_latino": None, "middle_eastern_or_north_african": None,
        "native_hawaiian_or_pacific_islander": None, "white": 15, "declined": None, "not_recorded": None}
    assert table(body, race, "accepted")["black_or_african_american"] == 12
    assert table(body, race, "declined")["white"] == 11
    assert table(body, race, "acceptance_rate")["black_or_african_american"] is None  # none declined
    assert table(body, race, "hours_to_acknowledge_median")["black_or_african_american"] == 6.5
    assert table(body, race, "hours_to_acknowledge_median")["white"] == 26.0
    assert table(body, race, "hours_to_accept_median")["white"] is None  # none accepted
    assert any("counted in each" in n for n in body[race]["notes"])

    # consultations per office: East (3) is hidden with the smallest other office (Harbor, 11)
    assert table(body, "consultations_by_office", "consultations") == {
        "Central": 12, "East": None, "Harbor": None, "total": 26}
    assert table(body, "consultations_by_office", "responded") == {
        "Central": 12, "East": None, "Harbor": None, "total": 24}
    central = [float(h) for h in range(1, 13)]
    assert table(body, "consultations_by_office", "hours_to_respond_median") == {
        "Central": 6.5, "East": None, "Harbor": 2.0,
        "total": round(percentile(central + [1.0] + [2.0] * 11, 0.5), 1)}
    assert table(body, "consultations_by_office", "hours_to_respond_p90")["Central"] == round(
        percentile(central, 0.9), 1)

    # checklists and overrides by juncture
    ck = "checklists_by_juncture"
    # (the junctures with no checklist are zeros: suppressed, and they need no company)
    started = table(body, ck, "checklists_started")
    assert (started["investigation"], started["removal"], started["court"], started["total"]) == (24, 12, 11, 47)
    completed = table(body, ck, "checklists_completed")
    assert (completed["investigation"], completed["removal"], completed["court"]) == (12, 12, None)
    assert completed["total"] == 24
    rate = table(body, ck, "completion_rate")
    assert rate["investigation"] == 0.5
    assert rate["removal"] is None and rate["court"] is None  # 12 of 12 and 0 of 11 give counts back
    assert rate["total"] == round(24 / 47, 3)
    recorded = table(body, ck, "junctures_recorded")
    assert (recorded["investigation"], recorded["removal"], recorded["court"], recorded["total"]) == (13, 14, 12, 39)
    # two overrides at investigation, none at court (known to be zero): removal's 11 is hidden with the two
    overrides = table(body, ck, "overrides")
    assert all(v is None for g, v in overrides.items() if g != "total") and overrides["total"] == 13

    assert "Report Test Person" not in r.text and w["case_id"] not in r.text


async def test_the_dv_agency_sees_the_same_referrals_from_its_side(world, clock) -> None:
    clock.set(NOW)
    w = await collaboration_world(world)
    supervisor = await world.user(w["dv"], "dv_supervisor")
    r = await world.get(supervisor, URL)
    assert r.status_code == 200, r.text
    body = r.json()
    assert table(body, "referrals", "referrals") == {"sent": 22, "received": 27, "total": 49}
    assert table(body, "referrals", "accepted") == {"sent": 11, "received": 12, "total": 23}
    # its own survivors (asian) on the referrals it sent
    assert table(body, "referrals_by_race_ethnicity", "referrals")["asian"] == 22
    assert table(body, "referrals_by_race_ethnicity", "referrals")["white"] is None
    # consultations its advocates took at the CPS agency's offices
    assert table(body, "consultations_by_office", "consultations") == {
        "Central": 12, "East": None, "Harbor": None, "total": 26}
    assert table(body, "checklists_by_juncture", "checklists_started")["total"] is None


async def test_an_unrelated_agency_sees_none_of_it(world, clock) -> None:
    clock.set(NOW)
    w = await collaboration_world(world)
    auditor = await world.user(w["other"], "auditor")
    body = (await world.get(auditor, URL)).json()
    # only its own 15 referrals, 20 consultations, 15 checklists and 12 overridden junctures
    # (received is 0: suppressed, but a zero discloses no one, so sent stands beside it)
    assert table(body, "referrals", "referrals") == {"sent": 15, "received": None, "total": 15}
    assert table(body, "consultations_by_office", "consultations") == {"Central": 20, "total": 20}
    assert table(body, "checklists_by_juncture", "checklists_started")["total"] == 15
    assert table(body, "checklists_by_juncture", "overrides")["total"] == 12
    assert table(body, "referrals", "hours_to_accept_median")["sent"] == 200.0
