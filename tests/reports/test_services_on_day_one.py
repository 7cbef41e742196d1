"""Services on day one: days from a case's opening, and from a removal, to the first service started, by
race/ethnicity and office; exact counts, medians and shares; small cells suppressed; only the caller's agency."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from app.core.db import sessionmaker
from app.reports.day_one import COUNTS, day_one_year
from app.reports.periods import MONTHS, parse_period
from app.reports.tables import TOTAL
from tests.reports.builders import NOW, RECENT, YEAR, Ledger

URL = "/api/v1/reports/services-on-day-one"
REMOVED = RECENT + timedelta(days=30)


async def day_one_world(world: Any) -> dict[str, Any]:
    """North: 12 cases (Hispanic survivors), 11 served within a day of opening, one after 5 days; 11 of them
    had a removal a month later, 10 of those with a service started a day after it. West: 11 cases (White
    survivors) whose service was already running when the case opened (day 0). South: 11 cases, East: 3, no
    service (a service recorded only after the year does not count). Another agency's served cases, and a case opened in
    2024, count nowhere."""
    cps, other = await world.agency("cps"), await world.agency("cps")
    north, south, west, east = [await world.office(cps, name=n) for n in ("North", "South", "West", "East")]
    ledger = Ledger()
    for i in range(12):
        case = ledger.case(cps, north)
        survivor = ledger.person(case, "adult_survivor", ("hispanic_or_latino",))
        ledger.service(case, survivor, started_at=RECENT + (timedelta(hours=20) if i < 11 else timedelta(days=5)))
        if i < 11:
            ledger.juncture(case, "removal", recorded_at=REMOVED)
            if i < 10:
                ledger.service(case, survivor, started_at=REMOVED + timedelta(days=1))
    for _ in range(11):
        case = ledger.case(cps, west)
        ledger.service(case, ledger.person(case, "adult_survivor", ("white",)), started_at=RECENT - timedelta(days=3))
    for _ in range(3):
        ledger.case(cps, east)
    for i in range(11):
        case = ledger.case(cps, south)
        if i == 0:
            ledger.service(case, ledger.person(case, "child"), started_at=RECENT + timedelta(hours=1),
                           created_at=datetime(2026, 1, 5, tzinfo=UTC))
    for _ in range(15):
        case = ledger.case(other)
        ledger.service(case, ledger.person(case, "adult_survivor"), started_at=RECENT)
    ledger.service(old := ledger.case(cps, north, created_at=datetime(2024, 12, 1, tzinfo=UTC)),
                   ledger.person(old, "adult_survivor"), started_at=datetime(2024, 12, 2, tzinfo=UTC))
    await ledger.save()
    return {"cps": cps, "other": other}


def _sums(year: Any) -> dict[str, dict[str, int]]:
    out = {g: {c: sum(year.rows[g][c][m] for m in range(MONTHS)) for c in COUNTS} for g in year.groups}
    out[TOTAL] = {c: sum(year.total[c][m] for m in range(MONTHS)) for c in COUNTS}
    return out


def _row(opened: int, within: int, removals: int = 0, removals_within: int = 0) -> dict[str, int]:
    return dict(zip(COUNTS, (opened, within, removals, removals_within), strict=True))


async def test_exact_counts_by_office_and_race(world, clock) -> None:
    clock.set(NOW)
    w = await day_one_world(world)
    async with sessionmaker()() as s:
        by_race, by_office = await day_one_year(s, w["cps"].id, parse_period(YEAR))
    offices = _sums(by_office)
    assert offices == {"North": _row(12, 11, 11, 10), "South": _row(11, 0), "West": _row(11, 11),
                       "East": _row(3, 0), "no_office": _row(0, 0), TOTAL: _row(37, 22, 11, 10)}
    races = _sums(by_race)
    assert races["hispanic_or_latino"] == _row(12, 11, 11, 10)
    assert races["white"] == _row(11, 11)
    assert races["not_recorded"] == _row(14, 0)
    assert races[TOTAL] == _row(37, 22, 11, 10)
    assert all(v == _row(0, 0) for g, v in races.items()
               if g not in ("hispanic_or_latino", "white", "not_recorded", TOTAL))
    # The durations behind the medians: North's eleven quick starts (20 h) and one late one (5 days).
    north = sorted(d for _, d in by_office.durations["North"]["days_to_first_service"])
    assert north == [20 / 24] * 11 + [5.0]
    assert sorted(d for _, d in by_office.durations["West"]["days_to_first_service"]) == [0.0] * 11
    assert sorted(d for _, d in by_office.durations["North"]["days_from_removal_to_service"]) == [1.0] * 10


async def test_report_publishes_medians_and_shares_and_suppresses_small_cells(world, clock, client) -> None:
    clock.set(NOW)
    w = await day_one_world(world)
    admin = await world.user(w["cps"], "agency_admin")
    r = await world.get(admin, URL, params={"period": YEAR})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["report"] == "services-on-day-one" and body["period"] == "2025" and body["threshold"] == 11
    offices = body["by_office"]
    assert [row["group"] for row in offices["rows"]] == ["East", "North", "South", "West", "no_office"]
    total = offices["total"]["cells"]
    assert total["cases_opened"] == {"value": 37, "suppressed": False}
    assert total["cases_served_within_2_days"] == {"value": 22, "suppressed": False}
    assert total["share_within_2_days"] == {"value": round(22 / 37, 3), "suppressed": False}
    # 23 served cases: eleven at day 0, eleven at 20 hours, one at 5 days.
    assert total["days_to_first_service_median"] == {"value": 0.8, "suppressed": False}
    # Ten services after removals are fewer than the threshold: their median is not published.
    assert total["days_from_removal_to_service_median"] == {"value": None, "suppressed": True}
    east = next(row["cells"] for row in offices["rows"] if row["group"] == "East")
    assert east["cases_opened"] == {"value": None, "suppressed": True}
    for table in (body["by_office"], body["by_race_ethnicity"]):
        for row in [*table["rows"], table["total"]]:
            for column in COUNTS:
                cell = row["cells"][column]
                assert cell["suppressed"] or cell["value"] == 0 or cell["value"] >= 11, (row["group"], column)
                assert not (cell["suppressed"] and cell["value"] is not None)
    # Only the caller's agency: the other agency's fifteen served cases are nowhere.
    other_admin = await world.user(w["other"], "agency_admin")
    other = (await world.get(other_admin, URL, params={"period": YEAR})).json()
    assert other["by_office"]["total"]["cells"]["cases_opened"]["value"] == 15
    # CSV, one row per group and section.
    r = await world.get(admin, URL, params={"period": YEAR}, headers={"Accept": "text/csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.text.splitlines()[0].startswith("section,group,cases_opened,cases_opened_suppressed")
    # A year that has not ended is not reported.
    assert (await world.get(admin, URL, params={"period": "2026"})).status_code == 409
    assert (await world.get(admin, URL, params={"from": "2025-01-01"})).status_code == 422
