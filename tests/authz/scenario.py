"""The world the authorization matrix runs in.

Agencies: a CPS and a DV "home" agency with an active data-sharing agreement (partners), and an unrelated
CPS and DV agency. Each actor belongs to a home agency; relative to an actor, "own" objects belong to its
agency, "partner" objects to the home agency of the other kind, "unrelated" objects to the unrelated agency
of the actor's own kind. A platform admin (no agency) is treated as if it sat in the CPS home agency.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from app.agreements.models import Agreement, AgreementParty
from app.core.db import sessionmaker
from app.identity.models import Agency
from tests.factories import Actor, PersonActor, World

# actor name -> (home kind, roles)
ACTORS: dict[str, tuple[str, tuple[str, ...]]] = {
    "platform_admin": ("cps", ("platform_admin",)),
    "cps_admin": ("cps", ("agency_admin",)),
    "dv_admin": ("dv", ("agency_admin",)),
    "auditor": ("cps", ("auditor",)),
    "cps_worker": ("cps", ("cps_worker",)),
    "cps_supervisor": ("cps", ("cps_supervisor",)),
    "dv_advocate": ("dv", ("dv_advocate",)),
    "dv_supervisor": ("dv", ("dv_supervisor",)),
}
RELATIONS = ("own", "partner", "unrelated")
# The person principal: an adult survivor of a home DV agency's case in her own view. She is walked over every
# row apart from the staff actors (her expectation is the row's "person" entry, else 403: the central rule).
PERSON = "person"


@dataclass
class Scenario:
    world: World
    agencies: dict[str, Agency] = field(default_factory=dict)  # home_cps, home_dv, other_cps, other_dv
    actors: dict[str, Actor] = field(default_factory=dict)
    person: PersonActor | None = None
    cache: dict[Any, Any] = field(default_factory=dict)

    @classmethod
    async def build(cls, world: World) -> Scenario:
        scn = cls(world)
        for key, kind in (("home_cps", "cps"), ("home_dv", "dv"), ("other_cps", "cps"), ("other_dv", "dv")):
            scn.agencies[key] = await world.agency(kind)
        await scn.agreement(scn.agencies["home_cps"], scn.agencies["home_dv"])
        for name, (kind, roles) in ACTORS.items():
            agency = None if "platform_admin" in roles else scn.agencies[f"home_{kind}"]
            scn.actors[name] = await world.user(agency, *roles)
        scn.person = await world.person_actor(scn.agencies["home_dv"])
        return scn

    async def agreement(self, a: Agency, b: Agency) -> Agreement:
        from app.core.vocab import DataCategory, Purpose

        async with sessionmaker()() as s:
            ag = Agreement(title="Matrix agreement", categories=[c.value for c in DataCategory],
                           purposes=[p.value for p in Purpose], effective_from=date(2020, 1, 1),
                           expires_on=date(2099, 12, 31), document_sha256="a" * 64, status="active",
                           created_by_agency_id=a.id)
            s.add(ag)
            await s.flush()
            for agency in (a, b):
                s.add(AgreementParty(agreement_id=ag.id, agency_id=agency.id, signed_at=ag.created_at))
            await s.commit()
            return ag

    def target(self, actor_name: str, relation: str) -> Agency:
        """The agency whose objects stand for `relation` from this actor's point of view."""
        kind = ACTORS[actor_name][0]
        other = "dv" if kind == "cps" else "cps"
        return self.agencies[{"own": f"home_{kind}", "partner": f"home_{other}",
                              "unrelated": f"other_{kind}"}[relation]]

    async def once(self, key: Any, make: Any) -> Any:
        """Build a shared object once per key (for rows that only read it)."""
        if key not in self.cache:
            self.cache[key] = await make()
        return self.cache[key]


def uid() -> str:
    return uuid.uuid4().hex[:10]
