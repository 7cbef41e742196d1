"""Reports cover calendar periods only: two windows a microsecond apart cannot be differenced any more."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from app.core.db import sessionmaker
from app.referrals.models import Referral
from app.reports.caseload import COLUMNS, GroupBy, caseload_year
from app.reports.periods import parse_period
from tests.reports.attacker import fetch_year, from_bodies, recovered
from tests.reports.builders import YEAR_END, Ledger

URL = "/api/v1/reports/dv-caseload"
START = datetime(2025, 1, 1, tzinfo=UTC)
ALONE_AT = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)
LATER = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def _published(body: dict[str, Any]) -> dict[tuple[str, str], int]:
    out = {}
    for row in [*body["rows"], body["total"]]:
        for column, cell in row["cells"].items():
            if not cell["suppressed"]:
                out[(row["group"], column)] = cell["value"]
    return out


def _differences(a: dict[str, Any], b: dict[str, Any]) -> dict[tuple[str, str], int]:
    """The cells published in both answers whose values differ (what one case between the windows adds)."""
    pa, pb = _published(a), _published(b)
    return {k: pb[k] - pa[k] for k in pa.keys() & pb.keys() if pb[k] != pa[k]}


async def _one_family_among_many(world: Any) -> Any:
    """Twenty families of one category opened before March 14th, then one asian family with three
    children opened at 09:30 on that day."""
    cps = await world.agency("cps")
    ledger = Ledger()
    for i in range(20):
        case = ledger.case(cps, None, ("safety_threat",), created_at=START + timedelta(days=i))
        ledger.person(case, "adult_survivor", ("white",))
        ledger.person(case, "child", ("white",))
    case = ledger.case(cps, None, ("safety_threat",), created_at=ALONE_AT)
    ledger.person(case, "adult_survivor", ("asian",))
    for _ in range(3):
        ledger.person(case, "child", ("asian",))
    await ledger.save()
    return cps


async def test_two_windows_a_microsecond_apart_no_longer_give_a_family_away(world, clock) -> None:
    clock.set(LATER)
    cps = await _one_family_among_many(world)
    auditor = await world.user(cps, "auditor")
    answers = []
    for end in (ALONE_AT, ALONE_AT + timedelta(microseconds=1)):
        r = await world.get(auditor, URL, params={"group_by": "race_ethnicity", "from": START.isoformat(),
                                                  "to": end.isoformat()})
        answers.append(r)
    a, b = answers
    if a.status_code == b.status_code == 200:
        leak = _differences(a.json(), b.json())
        raise AssertionError(f"two windows a microsecond apart were both answered; their difference gives "
                             f"the family away: {sorted(leak.items())}")
    for r in answers:
        assert r.status_code == 422, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        named = {e["loc"][-1] for e in r.json()["errors"]}
        assert named == {"from", "to"}
        assert "period" in r.json()["detail"]


async def test_an_arbitrary_window_is_refused_for_both_reports(world, clock) -> None:
    clock.set(LATER)
    cps = await world.agency("cps")
    admin = await world.user(cps, "agency_admin")
    for url, base in ((URL, {"group_by": "office"}), ("/api/v1/reports/collaboration", {})):
        for window in ({"from": "2025-01-01T00:00:00Z"}, {"to": "2025-02-01T00:00:00Z"},
                       {"from": "2025-01-01T00:00:00Z", "to": "2025-02-01T00:00:00Z", "period": "2025-01"}):
            r = await world.get(admin, url, params={**base, **window})
            assert r.status_code == 422, (url, window, r.text)
            assert r.headers["content-type"].startswith("application/problem+json")
            assert {e["loc"][-1] for e in r.json()["errors"]} == {k for k in window if k != "period"}


async def test_no_answer_of_the_year_or_their_combination_gives_the_family_away(world, clock) -> None:
    clock.set(LATER)
    cps = await _one_family_among_many(world)
    auditor = await world.user(cps, "auditor")
    for group_by in GroupBy:
        bodies = await fetch_year(world, auditor, URL, {"group_by": group_by.value}, 2025)
        async with sessionmaker()() as s:
            counts = await caseload_year(s, cps.id, group_by, parse_period("2025"))
        for column in COLUMNS:
            assert recovered(from_bodies(bodies, counts, column)) == [], (group_by, column)
        # the same question always gets the same answer
        again = await fetch_year(world, auditor, URL, {"group_by": group_by.value}, 2025)
        assert again == bodies
    # every grouping publishes the same total row
    totals = {}
    for group_by in GroupBy:
        for period in ("2025", "2025-Q1", "2025-03"):
            body = (await world.get(auditor, URL, params={"group_by": group_by.value, "period": period})).json()
            totals.setdefault(period, []).append(body["total"])
    assert all(len({repr(t) for t in same}) == 1 for same in totals.values())


async def test_a_closed_year_does_not_move_when_work_goes_on(world, clock) -> None:
    """Children added, referrals sent and answered and junctures recorded after the year on its cases leave
    its numbers as they were: two requests at different times cannot be differenced."""
    clock.set(LATER)
    cps, dv = await world.agency("cps"), await world.agency("dv")
    office = await world.office(cps, name="North")
    ledger = Ledger()
    cases = []
    for i in range(14):
        case = ledger.case(cps, office, ("safety_threat",), created_at=START + timedelta(days=10 * i))
        ledger.person(case, "adult_survivor", ("white",))
        ledger.person(case, "child", ("white",))
        ledger.referral(case, dv, sent_at=START + timedelta(days=10 * i, hours=1), status="acknowledged",
                        ack_h=2, respond_by=START + timedelta(days=10 * i + 3))
        cases.append(case)
    await ledger.save()
    admin = await world.user(cps, "agency_admin")
    dv_admin = await world.user(dv, "agency_admin")
    urls = [(URL, {"group_by": g.value}) for g in GroupBy] + [("/api/v1/reports/collaboration", {})]

    async def answers() -> list[Any]:
        out = []
        for actor in (admin, dv_admin):
            for url, params in urls:
                for period in ("2025", "2025-Q1", "2025-02"):
                    r = await world.get(actor, url, params={**params, "period": period})
                    assert r.status_code == 200, r.text
                    out.append(r.json())
        return out

    before = await answers()
    later = datetime(2026, 3, 2, tzinfo=UTC)
    ledger = Ledger()
    for case in cases[:3]:
        child = ledger.person(case, "child", ("asian",))
        child.created_at = later
        ledger.referral(case, dv, sent_at=later, status="accepted", ack_h=1, accept_h=2)
        ledger.juncture(case, "removal", recorded_at=later)
    await ledger.save()
    async with sessionmaker()() as s:
        # the first year's referrals are answered only now
        for referral in (await s.execute(sa.select(Referral).where(Referral.from_agency_id == cps.id,
                                                                   Referral.sent_at < YEAR_END))).scalars():
            referral.status, referral.accepted_at = "accepted", later
        await s.commit()
    assert await answers() == before
