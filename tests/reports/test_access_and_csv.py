"""Who may read reports, and the CSV form of both reports (parsed with the csv module, equal to the JSON)."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
import sqlalchemy as sa

from app.core.db import sessionmaker
from app.trail.models import AuditEvent
from tests.reports.builders import NOW, Ledger

CASELOAD = "/api/v1/reports/dv-caseload?group_by=office"
COLLABORATION = "/api/v1/reports/collaboration"


@pytest.mark.parametrize("kind,role,status", [
    ("cps", "agency_admin", 200), ("cps", "auditor", 200), ("cps", "cps_supervisor", 200),
    ("dv", "dv_supervisor", 200), ("dv", "agency_admin", 200),
    ("cps", "cps_worker", 403), ("dv", "dv_advocate", 403), (None, "platform_admin", 403),
])
async def test_only_report_readers_get_reports(world, clock, kind, role, status) -> None:
    clock.set(NOW)
    agency = await world.agency(kind) if kind else None
    actor = await world.user(agency, role)
    for url in (CASELOAD, COLLABORATION):
        r = await world.get(actor, url)
        assert r.status_code == status, (url, r.text)
        if status == 403:
            assert r.headers["content-type"].startswith("application/problem+json")


async def test_reports_need_a_token(client) -> None:
    assert (await client.get(CASELOAD)).status_code == 401
    assert (await client.get(COLLABORATION)).status_code == 401


def cell_text(cell: dict[str, Any]) -> tuple[str, str]:
    return ("" if cell["value"] is None else str(cell["value"]), "true" if cell["suppressed"] else "false")


async def small_world(world: Any) -> Any:
    cps, dv = await world.agency("cps"), await world.agency("dv")
    north, south = await world.office(cps, name="North"), await world.office(cps, name="=South")
    ledger = Ledger()
    for i in range(15):
        case = ledger.case(cps, north if i < 12 else south, ("safety_threat",))
        ledger.person(case, "child", ("white",))
        ledger.referral(case, dv, status="accepted", ack_h=i + 1, accept_h=i + 2, people=())
        ledger.consultation(case, north, dv_agency=dv, respond_h=i + 1)
    await ledger.save()
    return cps


async def test_caseload_csv_parses_and_matches_the_json(world, clock) -> None:
    clock.set(NOW)
    cps = await small_world(world)
    admin = await world.user(cps, "agency_admin")
    body = (await world.get(admin, CASELOAD)).json()
    r = await world.get(admin, CASELOAD, headers={"Accept": "text/csv"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    reader = csv.DictReader(io.StringIO(r.text))
    assert reader.fieldnames == ["group"] + [f for c in body["columns"] for f in (c, f"{c}_suppressed")]
    lines = list(reader)
    assert len(lines) == len(body["rows"]) + 1
    # a label that a spreadsheet would run as a formula is defused
    assert [line["group"] for line in lines] == ["'=South", "North", "no_office", "total"]
    for line, row in zip(lines, [*body["rows"], body["total"]], strict=True):
        for column in body["columns"]:
            assert (line[column], line[f"{column}_suppressed"]) == cell_text(row["cells"][column])
    assert lines[0]["dv_cases"] == "" and lines[0]["dv_cases_suppressed"] == "true"
    assert lines[-1]["dv_cases"] == "15" and lines[-1]["dv_cases_suppressed"] == "false"


async def test_collaboration_csv_parses_and_matches_the_json(world, clock) -> None:
    clock.set(NOW)
    cps = await small_world(world)
    admin = await world.user(cps, "agency_admin")
    body = (await world.get(admin, COLLABORATION)).json()
    r = await world.get(admin, COLLABORATION, headers={"Accept": "text/csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    lines = list(csv.DictReader(io.StringIO(r.text)))
    sections = ("referrals", "referrals_by_race_ethnicity", "consultations_by_office", "checklists_by_juncture",
                "family_side_by_race_ethnicity")
    expected = []
    for section in sections:
        t = body[section]
        for row in t["rows"] + ([t["total"]] if t["total"] else []):
            expected.append((section, row, t["columns"]))
    assert len(lines) == len(expected)
    all_columns = {c for s in sections for c in body[s]["columns"]}
    for line, (section, row, columns) in zip(lines, expected, strict=True):
        assert line["section"] == section and line["group"].lstrip("'") == row["group"]
        for column in all_columns:
            if column in columns:
                assert (line[column], line[f"{column}_suppressed"]) == cell_text(row["cells"][column])
            else:
                assert line[column] == line[f"{column}_suppressed"] == ""
    sent = next(line for line in lines if line["section"] == "referrals" and line["group"] == "sent")
    # nothing was received: that zero is suppressed and discloses no one, so the sent count stands beside it;
    # its median is of 15 items
    assert (sent["referrals"], sent["referrals_suppressed"], sent["hours_to_acknowledge_median"]) == ("15", "false",
                                                                                                      "8.0")
    received = next(line for line in lines if line["section"] == "referrals" and line["group"] == "received")
    assert (received["referrals"], received["referrals_suppressed"]) == ("", "true")
    total = next(line for line in lines if line["section"] == "referrals" and line["group"] == "total")
    assert total["referrals"] == "15"


@pytest.mark.parametrize("accept,is_csv", [
    ("text/csv", True), ("text/csv; charset=utf-8", True), ("application/json", False), ("*/*", False),
    ("", False), ("application/json, text/csv", False), ("text/csv;q=0.5, application/json", False),
    ("text/csv, application/json;q=0.9", True), ("text/csv;q=0", False),
])
async def test_accept_header_chooses_the_format(world, clock, accept, is_csv) -> None:
    clock.set(NOW)
    cps = await world.agency("cps")
    admin = await world.user(cps, "auditor")
    r = await world.get(admin, CASELOAD, headers={"Accept": accept})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv" if is_csv else "application/json")


async def test_collaboration_reads_are_audited(world, clock) -> None:
    clock.set(NOW)
    cps = await world.agency("cps")
    auditor = await world.user(cps, "auditor")
    await world.get(auditor, COLLABORATION)
    await world.get(auditor, COLLABORATION, headers={"Accept": "text/csv"})
    worker = await world.user(cps, "cps_worker")
    assert (await world.get(worker, COLLABORATION)).status_code == 403
    async with sessionmaker()() as s:
        events = (await s.execute(sa.select(AuditEvent.object_id, AuditEvent.actor_id).where(
            AuditEvent.agency_id == cps.id, AuditEvent.action == "report.read"))).all()
    assert [tuple(e) for e in events] == [("collaboration", str(auditor.id))] * 2
