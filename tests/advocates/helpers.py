"""Builders shared by the advocates tests: two partner agencies, an office, an agreement, assignments."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa

from app.agreements.models import Agreement, AgreementParty
from app.core.db import sessionmaker
from app.identity.models import Agency, Office
from app.outbox.models import WebhookEvent
from app.trail.models import AuditEvent
from tests.factories import Actor, World

ASSIGNMENTS = "/api/v1/advocate-assignments"
CONSULTATIONS = "/api/v1/consultations"

# Monday 11 January 2027 (winter: America/Chicago is UTC-6).
MONDAY = date(2027, 1, 11)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


async def agreement(a: Agency, b: Agency, status: str = "active") -> uuid.UUID:
    """An agreement between two agencies, written straight to the database (in force 2020-2099)."""
    async with sessionmaker()() as s:
        ag = Agreement(title="Co-location agreement", categories=["case_status"], purposes=["case_planning"],
                       effective_from=date(2020, 1, 1), expires_on=date(2099, 12, 31), document_sha256="b" * 64,
                       status=status)
        s.add(ag)
        await s.flush()
        s.add_all([AgreementParty(agreement_id=ag.id, agency_id=a.id),
                   AgreementParty(agreement_id=ag.id, agency_id=b.id)])
        await s.commit()
        return ag.id


async def set_agreement_status(agreement_id: uuid.UUID, status: str) -> None:
    async with sessionmaker()() as s:
        await s.execute(sa.update(Agreement).where(Agreement.id == agreement_id).values(status=status))
        await s.commit()


async def subscribe(agency: Agency) -> None:
    """A webhook endpoint of the agency subscribed to consultation events."""
    from tests.factories import World

    await World(None).webhook(agency, "consultation.*", url="https://hooks.test/x")


async def events_for(agency: Agency, consultation_id: Any) -> list[tuple[str, dict]]:
    async with sessionmaker()() as s:
        rows = await s.execute(sa.select(WebhookEvent).where(WebhookEvent.agency_id == agency.id)
                               .order_by(WebhookEvent.created_at, WebhookEvent.id))
        return [(e.type, e.data) for e in rows.scalars() if e.data.get("consultation_id") == str(consultation_id)]


async def audit_rows(object_id: Any) -> list[AuditEvent]:
    async with sessionmaker()() as s:
        rows = await s.execute(sa.select(AuditEvent).where(AuditEvent.object_id == str(object_id))
                               .order_by(AuditEvent.seq))
        return list(rows.scalars())


@dataclass
class Site:
    """A CPS agency with an office, a DV agency in agreement with it, and their staff."""

    world: World
    cps: Agency
    dv: Agency
    office: Office
    agreement_id: uuid.UUID
    dv_supervisor: Actor
    cps_worker: Actor
    cps_supervisor: Actor

    async def advocate(self) -> Actor:
        return await self.world.user(self.dv, "dv_advocate")

    async def assign(self, advocate: Actor, office: Office | None = None, expect: int = 201, **fields: Any) -> Any:
        body = {"advocate_id": str(advocate.id), "office_id": str((office or self.office).id),
                "weekdays": [0, 1, 2, 3, 4], "start_time": "09:00", "end_time": "17:00",
                "starts_on": "2027-01-01", "ends_on": "2027-12-31", "max_open_consultations": 3, **fields}
        r = await self.world.post(self.dv_supervisor, ASSIGNMENTS, body)
        assert r.status_code == expect, r.text
        return r.json()

    async def on_duty(self, at: datetime | None = None, actor: Actor | None = None, office: Office | None = None,
                      ) -> Any:
        params = {"at": at.isoformat()} if at else {}
        return await self.world.get(actor or self.cps_worker, f"/api/v1/offices/{(office or self.office).id}/on-duty",
                                    params=params)

    async def on_duty_ids(self, at: datetime | None = None, **kw: Any) -> list[str]:
        r = await self.on_duty(at, **kw)
        assert r.status_code == 200, r.text
        return [i["advocate_id"] for i in r.json()["items"]]

    async def case(self, actor: Actor | None = None) -> dict[str, Any]:
        return await self.world.case(actor or self.cps_worker, office_id=str(self.office.id))

    async def consult(self, case: dict[str, Any], urgency: str = "routine", actor: Actor | None = None,
                      question: str = "How do we plan the home visit safely?") -> Any:
        r = await self.world.post(actor or self.cps_worker, CONSULTATIONS,
                                  {"case_id": case["id"], "office_id": str(self.office.id),
                                   "question": question, "urgency": urgency})
        assert r.status_code == 201, r.text
        return r.json()


async def site(world: World, tz: str = "America/Chicago") -> Site:
    cps = await world.agency("cps")
    dv = await world.agency("dv")
    office = await world.office(cps, tz)
    agreement_id = await agreement(cps, dv)
    return Site(world, cps, dv, office, agreement_id, dv_supervisor=await world.user(dv, "dv_supervisor"),
                cps_worker=await world.user(cps, "cps_worker"), cps_supervisor=await world.user(cps, "cps_supervisor"))
