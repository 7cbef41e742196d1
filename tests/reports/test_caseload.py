"""The DV caseload report: counts per office, juncture and race/ethnicity, small cells suppressed, only the
caller's own agency, never a person or case."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from app.core.db import sessionmaker
from app.reports.caseload import GroupBy, caseload_counts, caseload_year
from app.reports.periods import parse_period
from app.trail.models import AuditEvent
from tests.reports.attacker import fetch_year, from_bodies, recovered
from tests.reports.builders import NOW, YEAR, Ledger

URL = "/api/v1/reports/dv-caseload"
Z = dict.fromkeys(["dv_cases", "children", "referrals_made", "removals_dv_safety_factor"], 0)


def values(body: dict[str, Any], column: str) -> dict[str, int | None]:
    out = {r["group"]: r["cells"][column]["value"] for r in body["rows"]}
    out["total"] = body["total"]["cells"][column]["value"]
    return out


def check_cells(body: dict[str, Any]) -> None:
    """Every cell is {"value", "suppressed"}; a suppressed cell is null, a published one at least 11."""
    for row in [*body["rows"], body["total"]]:
        for cell in row["cells"].values():
            assert set(cell) == {"value", "suppressed"}
            if cell["suppressed"]:
                assert cell["value"] is None
            else:
                assert cell["value"] >= 11


async def office_world(world: Any) -> dict[str, Any]:
    """North: 12 DV cases (11 with DV as the safety threat and a removal), 2 children each, a referral each.
    South: 3 DV cases, a child each. West: 14 DV cases, a child and a referral each. Plus rows that must not
    count: a case without DV indicators, DV cases opened just before and just after the year, a draft
    referral, a removal on a case where DV is not the safety threat, and a whole other agency."""
    cps, dv, other = await world.agency("cps"), await world.agency("dv"), await world.agency("cps")
    north, south, west = [await world.office(cps, name=n) for n in ("North", "South", "West")]
    elsewhere = await world.office(other, name="North")
    ledger = Ledger()
    cases = []
    for i in range(12):
        case = ledger.case(cps, north, ("safety_threat",) if i < 11 else ("allegation",))
        ledger.person(case, "adult_survivor")
        ledger.person(case, "child")
        ledger.person(case, "child")
        ledger.referral(case, dv)
        ledger.juncture(case, "removal")
        cases.append(case)
    ledger.referral(cases[0], dv, sent_at=None, status="draft")
    for _ in range(3):
        ledger.person(ledger.case(cps, south), "child")
    for _ in range(14):
        case = ledger.case(cps, west, ("risk_factor", "allegation"))
        ledger.person(case, "child")
        ledger.referral(case, dv)
    no_dv = ledger.case(cps, north, ())
    ledger.person(no_dv, "child")
    ledger.referral(no_dv, dv)
    ledger.juncture(no_dv, "removal")
    for outside in (datetime(2024, 12, 31, 23, 59, 59, 999999, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)):
        ledger.person(ledger.case(cps, north, ("safety_threat",), created_at=outside), "child")
    for _ in range(20):
        case = ledger.case(other, elsewhere, ("safety_threat",))
        ledger.person(case, "child")
        ledger.referral(case, dv)
        ledger.juncture(case, "removal")
    await ledger.save()
    return {"cps": cps, "dv": dv, "other": other, "case_ids": [str(c.id) for c in cases]}


async def test_counts_by_office_are_right_for_the_agencys_own_cases(world, clock) -> None:
    clock.set(NOW)
    w = await office_world(world)
    async with sessionmaker()() as s:
        groups, total = await caseload_counts(s, w["cps"].id, GroupBy.office, parse_period(YEAR))
    assert groups == {
        "North": {"dv_cases": 12, "children": 24, "referrals_made": 12, "removals_dv_safety_factor": 11},
        "South": {"dv_cases": 3, "children": 3, "referrals_made": 0, "removals_dv_safety_factor": 0},
        "West": {"dv_cases": 14, "children": 14, "referrals_made": 14, "removals_dv_safety_factor": 0},
        "no_office": Z,
    }
    assert total == {"dv_cases": 29, "children": 41, "referrals_made": 26, "removals_dv_safety_factor": 11}


async def test_office_report_suppresses_small_cells_and_the_cells_a_total_would_reveal(world, clock, client) -> None:
    clock.set(NOW)
    w = await office_world(world)
    admin = await world.user(w["cps"], "agency_admin")
    r = await world.get(admin, URL, params={"group_by": "office"})
    assert r.status_code == 200, r.text
    body = r.json()
    check_cells(body)
    assert body["report"] == "dv-caseload" and body["group_by"] == "office" and body["threshold"] == 11
    assert [row["group"] for row in body["rows"]] == ["North", "South", "West", "no_office"]
    assert body["period"] == "2025" and body["from"].startswith("2025-01-01") and body["to"].startswith("2026-01-01")
    # South (3) is under 11 and "no_office" (0) cannot hide it (a zero is known), so the smallest other office
    # goes too; zeros are suppressed but need no company
    assert values(body, "dv_cases") == {"North": None, "South": None, "West": 14, "no_office": None, "total": 29}
    assert values(body, "children") == {"North": 24, "South": None, "West": None, "no_office": None, "total": 41}
    assert values(body, "referrals_made") == {"North": 12, "South": None, "West": 14, "no_office": None,
                                              "total": 26}
    assert values(body, "removals_dv_safety_factor") == {"North": 11, "South": None, "West": None,
                                                         "no_office": None, "total": 11}
    # every case is in May: May, the second quarter and the year publish the same; other months nothing
    for period in ("2025-05", "2025-Q2"):
        other = (await world.get(admin, URL, params={"group_by": "office", "period": period})).json()
        assert (other["rows"], other["total"]) == (body["rows"], body["total"])
    january = (await world.get(admin, URL, params={"group_by": "office", "period": "2025-01"})).json()
    assert all(c["suppressed"] for row in [*january["rows"], january["total"]] for c in row["cells"].values())
    # no suppressed cell follows from all the answers of the year together
    bodies = await fetch_year(world, admin, URL, {"group_by": "office"}, 2025)
    async with sessionmaker()() as s:
        counts = await caseload_year(s, w["cps"].id, GroupBy.office, parse_period(YEAR))
    for column in body["columns"]:
        assert recovered(from_bodies(bodies, counts, column)) == [], column
    # the other agency's twenty cases appear nowhere; no name, case id or person appears
    assert "Report Test Person" not in r.text
    assert not any(cid in r.text for cid in w["case_ids"])
    assert str(w["other"].id) not in r.text


async def test_juncture_grouping(world, clock) -> None:
    clock.set(NOW)
    cps, dv = await world.agency("cps"), await world.agency("dv")
    ledger = Ledger()
    for i in range(13):
        case = ledger.case(cps, None, ("safety_threat", "allegation"))
        ledger.person(case, "child")
        ledger.referral(case, dv)
        ledger.juncture(case, "investigation")
        ledger.juncture(case, "removal")
        if i < 12:
            ledger.juncture(case, "court")
    for _ in range(2):
        case = ledger.case(cps, None, ("allegation",))
        ledger.person(case, "child")
        ledger.juncture(case, "investigation")
        ledger.juncture(case, "removal")  # DV is not the safety factor here
    no_dv = ledger.case(cps, None, ())
    ledger.juncture(no_dv, "removal")
    await ledger.save()
    async with sessionmaker()() as s:
        groups, total = await caseload_counts(s, cps.id, GroupBy.juncture, parse_period(YEAR))
    assert groups["investigation"] == groups["removal"] == {
        "dv_cases": 15, "children": 15, "referrals_made": 13, "removals_dv_safety_factor": 13}
    assert groups["court"] == {"dv_cases": 12, "children": 12, "referrals_made": 12, "removals_dv_safety_factor": 12}
    assert all(groups[j] == Z for j in groups if j not in ("investigation", "removal", "court"))
    assert total == {"dv_cases": 15, "children": 15, "referrals_made": 13, "removals_dv_safety_factor": 13}

    supervisor = await world.user(cps, "cps_supervisor")
    r = await world.get(supervisor, URL, params={"group_by": "juncture"})
    assert r.status_code == 200, r.text
    body = r.json()
    check_cells(body)
    assert [row["group"] for row in body["rows"]] == [
        "intake", "investigation", "safety_planning", "family_meeting", "court", "removal", "case_planning",
        "reunification", "closure"]
    removal = next(row for row in body["rows"] if row["group"] == "removal")["cells"]
    assert {k: c["value"] for k, c in removal.items()} == {
        "dv_cases": 15, "children": 15, "referrals_made": 13, "removals_dv_safety_factor": 13}
    # a case counts in every juncture, so the rows are not parts of the total: each stands on its own, and
    # only the junctures that never happened (zeros) are suppressed
    court = next(row for row in body["rows"] if row["group"] == "court")["cells"]
    assert {k: c["value"] for k, c in court.items()} == dict.fromkeys(court, 12)
    assert all(c["suppressed"] for row in body["rows"] if row["group"] not in ("investigation", "removal", "court")
               for c in row["cells"].values())
    assert values(body, "dv_cases")["total"] == 15
    assert any("every juncture" in n for n in body["notes"])


async def test_race_ethnicity_grouping_counts_each_category_of_survivors_and_children(world, clock) -> None:
    clock.set(NOW)
    cps, dv = await world.agency("cps"), await world.agency("dv")
    ledger = Ledger()
    for _ in range(12):
        case = ledger.case(cps, None, ("safety_threat",))
        ledger.person(case, "adult_survivor", ("black_or_african_american",))
        ledger.person(case, "child", ("black_or_african_american", "white"))
        ledger.person(case, "person_using_violence", ("asian",))  # never counted
        ledger.referral(case, dv)
        ledger.juncture(case, "removal")
    for _ in range(11):
        case = ledger.case(cps, None, ("allegation",))
        ledger.person(case, "adult_survivor", ("white",))
        ledger.person(case, "child", ("hispanic_or_latino",))
    for _ in range(2):
        case = ledger.case(cps, None, ("allegation",))
        ledger.person(case, "adult_survivor", ())
        ledger.person(case, "child", ("declined",))
    await ledger.save()
    async with sessionmaker()() as s:
        groups, total = await caseload_counts(s, cps.id, GroupBy.race_ethnicity, parse_period(YEAR))
    assert groups["black_or_african_american"] == {"dv_cases": 12, "children": 12, "referrals_made": 12,
                                                   "removals_dv_safety_factor": 12}
    assert groups["white"] == {"dv_cases": 23, "children": 12, "referrals_made": 12, "removals_dv_safety_factor": 12}
    assert groups["hispanic_or_latino"] == {"dv_cases": 11, "children": 11, "referrals_made": 0,
                                            "removals_dv_safety_factor": 0}
    assert groups["declined"] == {"dv_cases": 2, "children": 2, "referrals_made": 0, "removals_dv_safety_factor": 0}
    assert groups["not_recorded"] == {"dv_cases": 2, "children": 0, "referrals_made": 0,
                                      "removals_dv_safety_factor": 0}
    assert groups["asian"] == Z
    assert total == {"dv_cases": 25, "children": 25, "referrals_made": 12, "removals_dv_safety_factor": 12}

    auditor = await world.user(cps, "auditor")
    r = await world.get(auditor, URL, params={"group_by": "race_ethnicity"})
    assert r.status_code == 200, r.text
    body = r.json()
    check_cells(body)
    assert values(body, "dv_cases") == {
        "american_indian_or_alaska_native": None, "asian": None, "black_or_african_american": 12,
        "hispanic_or_latino": 11, "middle_eastern_or_north_african": None,
        "native_hawaiian_or_pacific_islander": None, "white": 23, "declined": None, "not_recorded": None,
        "total": 25}
    # declined (2) is hidden; a person may be in several rows, so the rows are not parts of the total and
    # declined is protected along the year (its month, quarter and year all hidden): hispanic_or_latino stays
    children = values(body, "children")
    assert children["hispanic_or_latino"] == 11 and children["declined"] is None
    assert children["black_or_african_american"] == 12 and children["white"] == 12 and children["total"] == 25
    assert values(body, "referrals_made")["total"] == 12
    assert any("counted in each" in n for n in body["notes"])


async def test_calendar_periods_and_bad_input(world, clock) -> None:
    clock.set(NOW)
    cps = await world.agency("cps")
    ledger = Ledger()
    for at in (datetime(2025, 1, 31, 23, 59, 59, 999999, tzinfo=UTC), datetime(2025, 3, 1, tzinfo=UTC)):
        for _ in range(11):
            ledger.person(ledger.case(cps, None, ("allegation",), created_at=at), "child")
    await ledger.save()
    admin = await world.user(cps, "agency_admin")

    async def total(period: str | None) -> int | None:
        params = {"group_by": "office", **({"period": period} if period else {})}
        r = await world.get(admin, URL, params=params)
        assert r.status_code == 200, r.text
        return r.json()["total"]["cells"]["dv_cases"]["value"]

    # the default is the last year that has ended (the clock says June 2026)
    assert await total(None) == await total("2025") == await total("2025-Q1") == 22
    assert (await total("2025-01"), await total("2025-03")) == (11, 11)
    assert await total("2025-02") is None and await total("2025-Q2") is None
    body = (await world.get(admin, URL, params={"group_by": "office", "period": "2025-Q1"})).json()
    assert (body["period"], body["from"][:10], body["to"][:10], body["as_of"][:10]) == (
        "2025-Q1", "2025-01-01", "2025-04-01", "2026-01-01")
    body = (await world.get(admin, URL, params={"group_by": "office", "period": "2025-12"})).json()
    assert (body["from"][:10], body["to"][:10]) == ("2025-12-01", "2026-01-01")

    for bad in ("2025-13", "2025-00", "2025-Q0", "2025-Q5", "2025-1", "25", "20250", "2025-01-01", "2025Q1",
                "2025-q1", "", "last year", "0000", "9999", "2025-01T00:00", "\u0662\u0660\u0662\u0665"):
        r = await world.get(admin, URL, params={"group_by": "office", "period": bad})
        assert r.status_code == 422, (bad, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["errors"][0]["loc"] == ["query", "period"]
    # periods of a year that has not ended (its numbers still change) wait for it to end
    for running in ("2026", "2026-Q1", "2026-01", "2026-05", "2031"):
        r = await world.get(admin, URL, params={"group_by": "office", "period": running})
        assert r.status_code == 409, (running, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert "once the calendar year" in r.json()["detail"]
    clock.set(datetime(2027, 1, 1, tzinfo=UTC))
    admin = await world.user(cps, "agency_admin")
    assert await total("2026") is None  # ended, and empty
    assert (await world.get(admin, URL, params={"group_by": "case"})).status_code == 422
    assert (await world.get(admin, URL)).status_code == 422


async def test_each_read_is_audited_without_personal_data(world, clock) -> None:
    clock.set(NOW)
    cps = await world.agency("cps")
    admin = await world.user(cps, "agency_admin")
    for group_by in ("office", "juncture"):
        assert (await world.get(admin, URL, params={"group_by": group_by})).status_code == 200
    async with sessionmaker()() as s:
        events = (await s.execute(sa.select(AuditEvent).where(
            AuditEvent.agency_id == cps.id, AuditEvent.action == "report.read"))).scalars().all()
    assert [(e.object_type, e.object_id, e.actor_id, e.outcome) for e in events] == [
        ("report", "dv-caseload", str(admin.id), "success")] * 2
