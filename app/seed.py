"""Demo data and the first platform admin, written through the same services the API uses."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from app.agencies import service
from app.agencies.models import Agency, ApiClient, User
from app.agencies.schemas import AgencyCreate, ClientCreate, OfficeCreate, UserCreate
from app.auth.permissions import AgencyKind, Role
from app.auth.principal import Principal
from app.core.db import sessionmaker

DEMO_PASSWORD = "tandem-demo-2026"
SYSTEM = Principal(id=uuid.UUID(int=0), kind="system", agency_id=None, agency_kind=None,
                   roles=frozenset({Role.platform_admin}))

DEMO_AGENCIES = [
    ("Riverside County Child Protective Services", AgencyKind.cps, "Riverside County"),
    ("Harbor House DV Program", AgencyKind.dv, "Riverside County"),
    ("Safe Passage Family Justice Center", AgencyKind.dv, "Riverside County"),
]
DEMO_OFFICES = [("Riverside North Field Office", "America/Los_Angeles"),
                ("Riverside South Field Office", "America/Los_Angeles")]
DEMO_USERS = [
    # (email, full name, agency index or None, roles)
    ("platform.admin@tandem.example", "Platform Admin", None, [Role.platform_admin]),
    ("cps.admin@riverside-cps.example", "CPS Agency Admin", 0, [Role.agency_admin]),
    ("cps.auditor@riverside-cps.example", "CPS Auditor", 0, [Role.auditor]),
    ("cps.worker@riverside-cps.example", "Casey Worker", 0, [Role.cps_worker]),
    ("cps.supervisor@riverside-cps.example", "Sam Supervisor", 0, [Role.cps_supervisor]),
    ("dv.admin@harborhouse.example", "Harbor House Admin", 1, [Role.agency_admin]),
    ("dv.advocate@harborhouse.example", "Alex Advocate", 1, [Role.dv_advocate]),
    ("dv.supervisor@harborhouse.example", "Dana Supervisor", 1, [Role.dv_supervisor]),
    ("dv.advocate@safepassage.example", "Robin Advocate", 2, [Role.dv_advocate]),
]


async def create_platform_admin(email: str, password: str) -> bool:
    async with sessionmaker()() as session:
        exists = (await session.execute(select(User.id).where(func.lower(User.email) == email.lower()))).first()
        if exists:
            return False
        await service.create_user(session, SYSTEM, UserCreate(
            email=email, full_name="Platform Admin", agency_id=None, roles=[Role.platform_admin],
            password=password))
        await session.commit()
        return True


async def seed_demo() -> list[tuple[str, str, str]]:
    """Create the demo world once; running it again changes nothing. Returns (email, password, roles)."""
    logins: list[tuple[str, str, str]] = []
    async with sessionmaker()() as session:
        agencies: list[Agency] = []
        for name, kind, juris in DEMO_AGENCIES:
            agency = (await session.execute(select(Agency).where(Agency.name == name))).scalar_one_or_none()
            if agency is None:
                agency = await service.create_agency(session, SYSTEM, AgencyCreate(
                    name=name, kind=kind, jurisdiction=juris))
                if kind is AgencyKind.cps:
                    for office_name, tz in DEMO_OFFICES:
                        await service.create_office(session, SYSTEM, agency.id,
                                                    OfficeCreate(name=office_name, timezone=tz))
            agencies.append(agency)
        for email, full_name, idx, roles in DEMO_USERS:
            exists = (await session.execute(select(User.id).where(User.email == email))).first()
            if not exists:
                await service.create_user(session, SYSTEM, UserCreate(
                    email=email, full_name=full_name, agency_id=agencies[idx].id if idx is not None else None,
                    roles=roles, password=DEMO_PASSWORD))
            logins.append((email, DEMO_PASSWORD, ",".join(r.value for r in roles)))
        client = (await session.execute(select(ApiClient).where(ApiClient.name == "Harbor House case system"))
                  ).scalar_one_or_none()
        if client is None:
            client, secret = await service.create_client(session, SYSTEM, ClientCreate(
                name="Harbor House case system", agency_id=agencies[1].id, roles=[Role.dv_advocate]))
            logins.append((f"client_id={client.client_id}", f"client_secret={secret}", "dv_advocate (client)"))
        else:
            logins.append((f"client_id={client.client_id}", "(secret shown on first seed only)",
                           "dv_advocate (client)"))
        await session.commit()
    return logins


def print_logins(logins: list[tuple[str, str, str]]) -> None:
    print("Demo logins (password grant at /api/v1/auth/token, or Authorize in /docs):")
    for who, secret, roles in logins:
        print(f"  {who:45} {secret:30} {roles}")
