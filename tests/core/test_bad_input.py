"""Bad input is a 422 problem that names where it was, never a 500: NUL characters anywhere in a request,
datetimes at the edge of the representable range, cursors that decode to values the database cannot hold."""

import base64
import json
import uuid

import pytest
import sqlalchemy as sa
from pydantic import TypeAdapter, ValidationError

from app.core.db import sessionmaker
from app.core.pagination import decode_cursor
from app.core.types import Timestamp

PROBLEM = "application/problem+json"
EDGES = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"]


def _locs(r) -> list[list]:
    assert r.status_code == 422, (r.status_code, r.text)
    assert r.headers["content-type"].startswith(PROBLEM)
    return [e["loc"] for e in r.json()["errors"]]


def _b64(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


async def _agency_count(name: str) -> int:
    from app.identity.models import Agency

    async with sessionmaker()() as s:
        return (await s.execute(sa.select(sa.func.count()).select_from(Agency).where(
            Agency.name.like(name + "%")))).scalar_one()


# ---------------------------------------------------------------- NUL characters


async def test_nul_in_a_json_field_is_refused_and_nothing_is_written(world):
    admin = await world.admin()
    name = f"Shelter {uuid.uuid4().hex[:8]}"
    r = await world.post(admin, "/api/v1/agencies", {"name": name + "\u0000x", "kind": "dv"})
    assert ["body", "name"] in _locs(r)
    assert "\\u0000" not in r.text and name not in r.text
    assert await _agency_count(name) == 0


async def test_nul_in_a_json_key_is_refused_without_echoing_it(world):
    admin = await world.admin()
    name = f"Keyed {uuid.uuid4().hex[:8]}"
    r = await world.post(admin, "/api/v1/agencies", {"name": name, "kind": "dv", "secret\u0000key": 1})
    errors = r.json()["errors"]
    assert _locs(r) == [["body", "[key]"]] and errors[0]["type"] == "string_contains_nul"
    assert "secret" not in r.text
    assert await _agency_count(name) == 0


async def test_nul_in_a_query_parameter_is_refused(world):
    agency = await world.agency("dv")
    admin = await world.user(agency, "agency_admin")
    r = await world.get(admin, "/api/v1/audit-events", params={"action": "case.created\u0000"})
    assert _locs(r) == [["query", "action"]]


async def test_nul_in_a_path_parameter_is_refused(world):
    agency = await world.agency("cps")
    worker = await world.user(agency, "cps_worker")
    r = await world.patch(worker, f"/api/v1/checklists/{uuid.uuid4()}/items/safety%00plan", {"status": "done"})
    assert _locs(r) == [["path", "key"]]


async def test_nul_in_a_form_field_of_the_token_endpoint_is_refused(client):
    """The token endpoint answers bad input in RFC 6749 form (400 invalid_request), naming where it was."""
    r = await client.post("/api/v1/auth/token", data={"grant_type": "password", "username": "someone\u0000@x.example",
                                                      "password": "correct horse battery staple"})
    assert r.status_code == 400 and r.json()["error"] == "invalid_request"
    assert [e["loc"] for e in r.json()["errors"]] == [["body", "username"]]


async def test_an_escaped_backslash_before_u0000_is_ordinary_text(world):
    admin = await world.admin()
    name = f"Backslash {uuid.uuid4().hex[:8]} \\u0000"
    r = await world.post(admin, "/api/v1/agencies", {"name": name, "kind": "dv"})
    assert r.status_code == 201 and r.json()["name"] == name


def test_nul_is_found_at_any_depth_and_in_keys():
    from app.core.validation import nul_locations

    assert nul_locations({"a": [1, {"b": ["ok", "x\u0000"]}]}, ["body"]) == [["body", "a", 1, "b", 1]]
    assert nul_locations({"a": {"k\u0000": 1}}, ["body"]) == [["body", "a", "[key]"]]
    assert nul_locations(["\u0000", "fine", {"z": None}], ["body"]) == [["body", 0]]
    assert nul_locations({"fine": ["deep", {"also": "fine"}]}, ["body"]) == []


# ---------------------------------------------------------------- datetime range edges


@pytest.mark.parametrize("edge", EDGES)
def test_timestamps_that_overflow_in_utc_are_refused(edge):
    with pytest.raises(ValidationError):
        TypeAdapter(Timestamp).validate_python(edge)


def test_the_extremes_themselves_in_utc_are_accepted():
    T = TypeAdapter(Timestamp)
    assert T.validate_python("0001-01-01T00:00:00Z").year == 1
    assert T.validate_python("9999-12-31T23:59:59Z").year == 9999


@pytest.mark.parametrize("edge", EDGES)
@pytest.mark.parametrize("param", ["from", "to"])
async def test_audit_time_filters_at_the_edge_are_422(world, edge, param):
    agency = await world.agency("dv")
    admin = await world.user(agency, "agency_admin")
    r = await world.get(admin, "/api/v1/audit-events", params={param: edge})
    assert _locs(r) == [["query", param]]


@pytest.mark.parametrize("edge", EDGES)
async def test_a_list_cursor_at_the_edge_is_422(world, edge):
    admin = await world.admin()
    cursor = _b64([edge, str(uuid.uuid4())])
    r = await world.get(admin, "/api/v1/agencies", params={"cursor": cursor})
    assert _locs(r) == [["query", "cursor"]]


@pytest.mark.parametrize("edge", EDGES)
def test_the_cursor_codec_refuses_edges(edge):
    from app.core.errors import Invalid

    with pytest.raises(Invalid):
        decode_cursor(_b64([edge, str(uuid.uuid4())]))


@pytest.mark.parametrize("seq", [2**31, 2**63, -1, -(2**63) - 1, 10**40])
async def test_an_audit_cursor_beyond_the_seq_column_is_422(world, seq):
    agency = await world.agency("dv")
    admin = await world.user(agency, "agency_admin")
    r = await world.get(admin, "/api/v1/audit-events", params={"cursor": _b64({"seq": seq})})
    assert _locs(r) == [["query", "cursor"]]


async def test_an_audit_cursor_at_the_seq_column_limit_still_works(world):
    agency = await world.agency("dv")
    admin = await world.user(agency, "agency_admin")
    r = await world.get(admin, "/api/v1/audit-events", params={"cursor": _b64({"seq": 2**31 - 1})})
    assert r.status_code == 200
