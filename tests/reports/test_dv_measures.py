"""DV measures: removals where DV was the only safety factor, failure-to-protect findings against survivors,
protective orders in force at each juncture, by race/ethnicity and by juncture; exact counts; small cells
suppressed; only the caller's agency."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from app.core.db import sessionmaker
from app.reports.dv_measures import RACE_COLUMNS, dv_measures_year
from app.reports.periods import MONTHS, parse_period
from app.reports.tables import TOTAL
from tests.reports.builders import NOW, RECENT, YEAR, Ledger

URL = "/api/v1/reports/dv-measures"
DAY = RECENT.date()


async def measures_world(world: Any) -> dict[str, Any]:
    """Twelve cases with a Black survivor and a removal: eleven with DV as the only safety factor and a
    protective order in force that day; the twelfth also neglect, and its order vacated the day before.
    Eleven cases with a White survivor and a family meeting (an order that expired before it), each with a
    failure-to-protect finding against her; findings against him, or of another kind, do not count; nor does
    another agency's removal."""
    cps, other = await world.agency("cps"), await world.agency("cps")
    ledger = Ledger()
    for i in range(12):
        case = ledger.case(cps)
        survivor = ledger.person(case, "adult_survivor", ("black_or_african_american",))
        ledger.person(case, "child", ("black_or_african_american",))
        ledger.juncture(case, "removal", safety_factors=("domestic_violence",) if i < 11 else
                        ("domestic_violence", "neglect"))
        ledger.order(case, survivor, issued_on=DAY - timedelta(days=10), expires_on=DAY + timedelta(days=30),
                     vacated_on=None if i < 11 else DAY - timedelta(days=1))
    for _ in range(11):
        case = ledger.case(cps)
        survivor = ledger.person(case, "adult_survivor", ("white",))
        him = ledger.person(case, "person_using_violence", ("white",))
        ledger.juncture(case, "family_meeting")
        ledger.order(case, survivor, issued_on=DAY - timedelta(days=90), expires_on=DAY - timedelta(days=1))
        ledger.finding(case, survivor)
        ledger.finding(case, him)
        ledger.finding(case, survivor, code="neglect")
    case = ledger.case(other)
    ledger.juncture(case, "removal", safety_factors=("domestic_violence",))
    ledger.finding(case, ledger.person(case, "adult_survivor"))
    await ledger.save()
    return {"cps": cps, "other": other}


def _sums(counter: Any) -> dict[str, dict[str, int]]:
    out = {g: {c: sum(counter.rows[g][c][m] for m in range(MONTHS)) for c in counter.columns}
           for g in counter.groups}
    out[TOTAL] = {c: sum(counter.total[c][m] for m in range(MONTHS)) for c in counter.columns}
    return out


def _race(removals: int, dv_only: int, junctures: int, protected: int, ftp: int) -> dict[str, int]:
    return dict(zip(RACE_COLUMNS, (removals, dv_only, junctures, protected, ftp), strict=True))


async def test_exact_counts(world, clock) -> None:
    clock.set(NOW)
    w = await measures_world(world)
    async with sessionmaker()() as s:
        by_race, by_juncture = await dv_measures_year(s, w["cps"].id, parse_period(YEAR))
    races = _sums(by_race)
    assert races["black_or_african_american"] == _race(12, 11, 12, 11, 0)
    assert races["white"] == _race(0, 0, 11, 0, 11)
    assert races[TOTAL] == _race(12, 11, 23, 11, 11)
    assert all(sum(v.values()) == 0 for g, v in races.items()
               if g not in ("black_or_african_american", "white", TOTAL))
    junctures = _sums(by_juncture)
    assert junctures["removal"] == {"junctures_recorded": 12, "junctures_with_protective_order": 11}
    assert junctures["family_meeting"] == {"junctures_recorded": 11, "junctures_with_protective_order": 0}
    assert junctures[TOTAL] == {"junctures_recorded": 23, "junctures_with_protective_order": 11}


async def test_report_answers_suppressed_and_only_for_the_agency(world, clock, client) -> None:
    clock.set(NOW)
    w = await measures_world(world)
    admin = await world.user(w["cps"], "agency_admin")
    r = await world.get(admin, URL, params={"period": YEAR})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["report"] == "dv-measures"
    race = {row["group"]: row["cells"] for row in body["by_race_ethnicity"]["rows"]}
    total = body["by_race_ethnicity"]["total"]["cells"]
    assert total["removals"]["value"] == 12 and total["removals_dv_only"]["value"] == 11
    assert total["failure_to_protect_findings_against_survivors"]["value"] == 11
    assert race["white"]["failure_to_protect_findings_against_survivors"]["value"] == 11
    # One removal of twelve was not DV alone: the share would give back a count under 11, so it is withheld.
    assert total["share_removals_dv_only"] == {"value": None, "suppressed": True}
    for table in (body["by_race_ethnicity"], body["protective_orders_by_juncture"]):
        for row in [*table["rows"], table["total"]]:
            for column, cell in row["cells"].items():
                if not column.startswith("share_"):
                    assert cell["suppressed"] or cell["value"] == 0 or cell["value"] >= 11, (row["group"], column)
    # The other agency sees only its own (one removal, suppressed).
    other_admin = await world.user(w["other"], "agency_admin")
    other = (await world.get(other_admin, URL, params={"period": YEAR})).json()
    assert other["by_race_ethnicity"]["total"]["cells"]["removals"] == {"value": None, "suppressed": True}
    assert (await world.get(admin, URL, params={"period": "2026"})).status_code == 409
