"""Data-sharing agreements: creation by a party's admin, signatures, suspension, termination, visibility."""

from __future__ import annotations

import secrets
import uuid
from datetime import timedelta

import sqlalchemy as sa

from app.agreements import access
from app.agreements.models import Agreement
from app.core.clock import today
from app.core.db import sessionmaker
from app.outbox.models import WebhookEvent
from app.trail.models import AuditEvent


def _body(*agencies, **over):
    return {
        "title": over.pop("title", f"Agreement {uuid.uuid4().hex[:8]}"),
        "party_agency_ids": [str(a.id) for a in agencies],
        "categories": ["identity", "contact", "safety_plan"], "purposes": ["referral", "service_coordination"],
        "effective_from": str(today() - timedelta(days=1)), "expires_on": str(today() + timedelta(days=180)),
        "document_sha256": secrets.token_hex(32), **over,
    }


async def _subscribe(agency) -> None:
    from tests.factories import World

    await World(None).webhook(agency, "agreement.*")


async def _events(agency) -> list[str]:
    async with sessionmaker()() as s:
        rows = await s.execute(sa.select(WebhookEvent.type).where(WebhookEvent.agency_id == agency.id)
                               .order_by(WebhookEvent.created_at))
        return list(rows.scalars())


async def _in_force_between(a, b) -> list[uuid.UUID]:
    async with sessionmaker()() as s:
        return [x.id for x in await access.active_agreements_between(s, a.id, b.id)]


async def test_lifecycle_signatures_suspension_termination(client, world):
    cps, dv = await world.agency("cps"), await world.agency("dv")
    await _subscribe(dv)
    cps_admin, dv_admin = await world.user(cps, "agency_admin"), await world.user(dv, "agency_admin")

    r = await world.post(cps_admin, "/api/v1/agreements", _body(cps, dv))
    assert r.status_code == 201, r.text
    ag = r.json()
    url = f"/api/v1/agreements/{ag['id']}"
    assert ag["status"] == "draft" and ag["in_force"] is False
    assert sorted(ag["party_agency_ids"]) == sorted([str(cps.id), str(dv.id)])
    assert all(p["signed_at"] is None for p in ag["parties"])

    r = await world.post(cps_admin, f"{url}/signatures")
    assert r.status_code == 201 and r.json()["status"] == "draft"
    assert (await world.post(cps_admin, f"{url}/signatures")).status_code == 409  # once only
    assert await _in_force_between(cps, dv) == []

    etag = (await world.get(dv_admin, url)).headers["etag"]
    r = await world.post(dv_admin, f"{url}/signatures", headers={"If-Match": etag})
    assert r.status_code == 201
    assert r.json()["status"] == "active" and r.json()["in_force"] is True
    assert await _in_force_between(cps, dv) == [uuid.UUID(ag["id"])]

    # Suspension takes effect on the next request; a wrong state is a 409.
    assert (await world.post(dv_admin, f"{url}/resume", {"reason": "x"})).status_code == 409
    r = await world.post(dv_admin, f"{url}/suspend", {"reason": "Review after an incident"})
    assert r.status_code == 200 and r.json()["status"] == "suspended" and r.json()["in_force"] is False
    assert await _in_force_between(cps, dv) == []
    assert (await world.post(cps_admin, f"{url}/suspend", {"reason": "again"})).status_code == 409
    assert (await world.post(cps_admin, f"{url}/signatures")).status_code == 409
    # Only the party that suspended may resume.
    assert (await world.post(cps_admin, f"{url}/resume", {"reason": "ok"})).status_code == 403
    r = await world.post(dv_admin, f"{url}/resume", {"reason": "Review complete"})
    assert r.status_code == 200 and r.json()["status"] == "active"
    assert await _in_force_between(cps, dv) == [uuid.UUID(ag["id"])]

    r = await world.post(cps_admin, f"{url}/terminate", {"reason": "Program ended"})
    assert r.status_code == 200 and r.json()["status"] == "terminated"
    assert await _in_force_between(cps, dv) == []
    for action in ("terminate", "suspend", "resume"):
        assert (await world.post(cps_admin, f"{url}/{action}", {"reason": "x"})).status_code == 409

    async with sessionmaker()() as s:
        actions = list((await s.execute(sa.select(AuditEvent.action).where(AuditEvent.object_id == ag["id"])
                                        .order_by(AuditEvent.at, AuditEvent.seq))).scalars())
    assert actions == ["agreement.create", "agreement.sign", "agreement.sign", "agreement.activate",
                       "agreement.suspend", "agreement.resume", "agreement.terminate"]
    assert await _events(dv) == ["agreement.created", "agreement.signed", "agreement.signed",
                                 "agreement.activated", "agreement.suspended", "agreement.activated",
                                 "agreement.terminated"]


async def test_only_parties_see_agreements(client, world):
    cps, dv, other = await world.agency("cps"), await world.agency("dv"), await world.agency("dv")
    cps_admin = await world.user(cps, "agency_admin")
    ag = await world.agreement(cps_admin, await world.user(dv, "agency_admin"))
    url = f"/api/v1/agreements/{ag['id']}"

    outsider = await world.user(other, "agency_admin")
    assert (await world.get(outsider, url)).status_code == 404
    assert (await world.post(outsider, f"{url}/suspend", {"reason": "x"})).status_code == 404
    assert ag["id"] not in [a["id"] for a in (await world.get(outsider, "/api/v1/agreements")).json()["items"]]

    # Party staff may read; only admins manage; platform admins hold neither.
    worker = await world.user(cps, "cps_worker")
    assert (await world.get(worker, url)).status_code == 200
    assert (await world.post(worker, f"{url}/suspend", {"reason": "x"})).status_code == 403
    assert (await world.get(await world.admin(), url)).status_code == 403
    auditor = await world.user(dv, "auditor")
    assert (await world.get(auditor, url)).status_code == 200

    listed = await world.get(cps_admin, f"/api/v1/agreements?status=active&party_agency_id={dv.id}")
    assert [a["id"] for a in listed.json()["items"]] == [ag["id"]]
    listed = await world.get(cps_admin, "/api/v1/agreements?status=draft")
    assert ag["id"] not in [a["id"] for a in listed.json()["items"]]


async def test_bad_agreement_input_is_422_and_writes_nothing(client, world):
    cps, dv, third = await world.agency("cps"), await world.agency("dv"), await world.agency("dv")
    admin = await world.user(cps, "agency_admin")
    title = f"Never stored {uuid.uuid4().hex[:6]}"
    bad = [
        _body(cps, title=title),  # one party
        _body(cps, cps, title=title),  # not distinct
        _body(dv, third, title=title),  # own agency not a party
        {**_body(cps, dv, title=title), "party_agency_ids": [str(cps.id), str(uuid.uuid4())]},  # unknown agency
        _body(cps, dv, title=title, categories=["everything"]),
        _body(cps, dv, title=title, categories=[]),
        _body(cps, dv, title=title, purposes=["marketing"]),
        _body(cps, dv, title=title, effective_from=str(today()), expires_on=str(today() - timedelta(days=1))),
        _body(cps, dv, title=title, document_sha256="z" * 64),
        _body(cps, dv, title=title, document_sha256="ab"),
        _body(cps, dv, title=title, status="active"),
        {k: v for k, v in _body(cps, dv, title=title).items() if k != "expires_on"},
    ]
    for body in bad:
        r = await world.post(admin, "/api/v1/agreements", body)
        assert r.status_code == 422, body
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["errors"]
    async with sessionmaker()() as s:
        assert (await s.execute(sa.select(Agreement.id).where(Agreement.title == title))).first() is None
    ag = await world.agreement(admin, await world.user(dv, "agency_admin"))
    assert (await world.post(admin, f"/api/v1/agreements/{ag['id']}/suspend", {})).status_code == 422
    assert (await world.post(admin, f"/api/v1/agreements/{ag['id']}/suspend", {"reason": ""})).status_code == 422
    assert (await world.get(admin, f"/api/v1/agreements/{ag['id']}")).json()["status"] == "active"


async def test_only_admins_of_parties_create_and_sign(client, world):
    cps, dv, other = await world.agency("cps"), await world.agency("dv"), await world.agency("dv")
    worker = await world.user(cps, "cps_worker")
    assert (await world.post(worker, "/api/v1/agreements", _body(cps, dv))).status_code == 403
    admin = await world.user(cps, "agency_admin")
    ag = (await world.post(admin, "/api/v1/agreements", _body(cps, dv))).json()
    outsider = await world.user(other, "agency_admin")
    assert (await world.post(outsider, f"/api/v1/agreements/{ag['id']}/signatures")).status_code == 404
    assert (await world.post(worker, f"/api/v1/agreements/{ag['id']}/signatures")).status_code == 403
    r = await world.post(admin, f"/api/v1/agreements/{ag['id']}/signatures", headers={"If-Match": 'W/"stale"'})
    assert r.status_code == 412
    # A draft can be withdrawn by terminating it.
    r = await world.post(admin, f"/api/v1/agreements/{ag['id']}/terminate", {"reason": "Drafted in error"})
    assert r.status_code == 200 and r.json()["status"] == "terminated"


async def test_in_force_follows_the_dates(client, world):
    cps, dv = await world.agency("cps"), await world.agency("dv")
    a, b = await world.user(cps, "agency_admin"), await world.user(dv, "agency_admin")
    future = await world.agreement(a, b, effective_from=str(today() + timedelta(days=10)),
                                   expires_on=str(today() + timedelta(days=20)))
    assert future["status"] == "active" and future["in_force"] is False
    lapsed = await world.agreement(a, b, effective_from=str(today() - timedelta(days=20)),
                                   expires_on=str(today() - timedelta(days=1)))
    assert lapsed["status"] == "active" and lapsed["in_force"] is False
    assert await _in_force_between(cps, dv) == []
    current = await world.agreement(a, b)
    assert current["in_force"] is True
    assert await _in_force_between(cps, dv) == [uuid.UUID(current["id"])]
