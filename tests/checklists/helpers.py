"""Builders shared by the checklists tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from app.checklists.defaults import DEFAULT_TEMPLATES, critical_keys
from app.core.db import sessionmaker
from app.trail.models import AuditEvent
from tests.factories import Actor, World

CRITICAL = {j.value: critical_keys(items) for j, items in DEFAULT_TEMPLATES.items()}
ALL_KEYS = {j.value: [i["key"] for i in items] for j, items in DEFAULT_TEMPLATES.items()}


@dataclass
class Team:
    world: World
    worker: Actor
    supervisor: Actor
    admin: Actor
    case: dict[str, Any]

    @property
    def case_id(self) -> str:
        return self.case["id"]

    async def start(self, juncture: str, actor: Actor | None = None) -> dict[str, Any]:
        r = await self.world.post(actor or self.worker, f"/api/v1/cases/{self.case_id}/checklists",
                                  {"juncture": juncture})
        assert r.status_code == 201, r.text
        return r.json()

    async def mark(self, checklist_id: str, key: str, status: str = "done", note: str | None = None,
                   actor: Actor | None = None) -> Any:
        body: dict[str, Any] = {"status": status}
        if note is not None:
            body["note"] = note
        return await self.world.patch(actor or self.worker, f"/api/v1/checklists/{checklist_id}/items/{key}", body)

    async def complete(self, checklist_id: str, actor: Actor | None = None) -> Any:
        return await self.world.post(actor or self.worker, f"/api/v1/checklists/{checklist_id}/complete")

    async def completed(self, juncture: str) -> dict[str, Any]:
        """A checklist for the juncture with every safety-critical item done, completed."""
        cl = await self.start(juncture)
        for key in CRITICAL[juncture]:
            assert (await self.mark(cl["id"], key)).status_code == 200
        r = await self.complete(cl["id"])
        assert r.status_code == 200, r.text
        return r.json()


async def team(world: World) -> Team:
    """A CPS agency with a worker (who opens a case), a supervisor and an agency admin."""
    agency = await world.agency("cps")
    worker = await world.user(agency, "cps_worker")
    supervisor = await world.user(agency, "cps_supervisor")
    admin = await world.user(agency, "agency_admin")
    case = await world.case(worker)
    return Team(world, worker, supervisor, admin, case)


async def audit_actions(object_id: Any) -> list[str]:
    async with sessionmaker()() as s:
        rows = await s.execute(sa.select(AuditEvent.action).where(AuditEvent.object_id == str(object_id))
                               .order_by(AuditEvent.seq))
        return list(rows.scalars())
