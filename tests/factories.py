"""Test data builders. Objects are written through the database, tokens are real signed JWTs."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from app.auth.passwords import hash_secret
from app.auth.tokens import issue_access_token
from app.core.db import sessionmaker
from app.identity.models import Agency, ApiClient, Office, User

PASSWORD = "correct horse battery staple"
_HASH: str | None = None


def _password_hash() -> str:
    global _HASH
    if _HASH is None:
        _HASH = hash_secret(PASSWORD)
    return _HASH


@dataclass
class Actor:
    """A user with a live token: `actor.h` are the headers to call the API as them."""

    user: User
    agency: Agency | None
    token: str
    h: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> uuid.UUID:
        return self.user.id


def token_for(user: User, agency: Agency | None) -> str:
    token, _ = issue_access_token(
        sub=str(user.id), typ="user", agency_id=str(agency.id) if agency else None,
        agency_kind=agency.kind if agency else None, roles=list(user.roles), token_version=user.token_version,
    )
    return token


@dataclass
class PersonActor:
    """A person in her own view, with a live person token: `actor.h` are the headers to call /api/v1/my as her."""

    person_id: uuid.UUID
    username: str
    passphrase: str
    token: str
    h: dict[str, str] = field(default_factory=dict)
    case_id: uuid.UUID | None = None
    agency: Agency | None = None


def fresh_client(client: httpx.AsyncClient) -> httpx.AsyncClient:
    """A client to the same app from an address of its own (redeeming is rate-limited per address)."""
    transport = httpx.ASGITransport(app=client._transport.app,  # type: ignore[attr-defined]
                                    client=(f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.7", 4000))
    return httpx.AsyncClient(transport=transport, base_url="http://tandem.test")


class World:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def agency(self, kind: str = "cps", name: str | None = None) -> Agency:
        async with sessionmaker()() as s:
            a = Agency(name=name or f"{kind.upper()} agency {uuid.uuid4().hex[:8]}", kind=kind,
                       jurisdiction="Test County")
            s.add(a)
            await s.commit()
            return a

    async def office(self, agency: Agency, tz: str = "America/Chicago", name: str | None = None) -> Office:
        async with sessionmaker()() as s:
            o = Office(agency_id=agency.id, name=name or f"Office {uuid.uuid4().hex[:6]}", timezone=tz)
            s.add(o)
            await s.commit()
            return o

    async def user(self, agency: Agency | None, *roles: str, email: str | None = None) -> Actor:
        async with sessionmaker()() as s:
            u = User(email=email or f"u{uuid.uuid4().hex[:10]}@test.example", full_name="Test User",
                     agency_id=agency.id if agency else None, roles=list(roles), password_hash=_password_hash())
            s.add(u)
            await s.commit()
        token = token_for(u, agency)
        return Actor(user=u, agency=agency, token=token, h={"Authorization": f"Bearer {token}"})

    async def client_app(self, agency: Agency, *roles: str, secret: str = "s3cret-client-value") -> ApiClient:
        async with sessionmaker()() as s:
            c = ApiClient(client_id="tc_" + uuid.uuid4().hex[:20], name="System", agency_id=agency.id,
                          roles=list(roles), secret_hash=hash_secret(secret))
            s.add(c)
            await s.commit()
            return c

    async def webhook(self, agency: Agency, *events: str, url: str = "https://hooks.example/x") -> Any:
        """A subscribed webhook endpoint whose signing secret is sealed like the API seals it."""
        from app.core.crypto import encrypt
        from app.outbox.models import WebhookEndpoint, endpoint_secret_aad

        async with sessionmaker()() as s:
            ep = WebhookEndpoint(agency_id=agency.id, url=url, events=list(events), secret="")
            ep.secret = encrypt(b"whsec_dGVzdC1zZWNyZXQtdmFsdWU=", endpoint_secret_aad(ep.id), owner=agency.id)
            s.add(ep)
            await s.commit()
            return ep

    async def invite(self, worker: Actor, person_id: Any) -> dict[str, Any]:
        r = await self.post(worker, f"/api/v1/people/{person_id}/invitations")
        assert r.status_code == 201, r.text
        return r.json()

    async def family(self, worker: Actor, person_id: Any, passphrase: str = "a safe passphrase 2026") -> PersonActor:
        """The person invited by `worker` (of her agency), who redeemed the code: her own view's token."""
        code = (await self.invite(worker, person_id))["code"]
        username = f"p{uuid.uuid4().hex[:10]}"
        async with fresh_client(self.client) as c:
            r = await c.post("/api/v1/my/redeem", json={"code": code, "username": username, "passphrase": passphrase})
        assert r.status_code == 200, r.text
        token = r.json()["access_token"]
        return PersonActor(person_id=uuid.UUID(str(person_id)), username=username, passphrase=passphrase,
                           token=token, h={"Authorization": f"Bearer {token}"})

    async def person_actor(self, agency: Agency, case_role: str = "adult_survivor",
                           person_id: Any = None) -> PersonActor:
        """A person of a new case of `agency` with open access to her own view, written straight to the database
        (no invitation, no Argon2 work): for tests that only need her token."""
        from app.cases.models import Case, Person
        from app.identity.models import PersonAccount

        async with sessionmaker()() as s:
            if person_id is None:
                case = Case(agency_id=agency.id, reference=f"P-{uuid.uuid4().hex[:8]}")
                s.add(case)
                await s.flush()
                person = Person(case_id=case.id, agency_id=agency.id, case_role=case_role, full_name="Matrix Person")
                s.add(person)
                await s.flush()
            else:
                found = await s.get(Person, uuid.UUID(str(person_id)))
                assert found is not None
                person = found
            account = PersonAccount(person_id=person.id, agency_id=agency.id, username=f"p{uuid.uuid4().hex[:12]}",
                                    passphrase_hash=_password_hash())
            s.add(account)
            await s.commit()
        token, _ = issue_access_token(sub=str(account.id), typ="person", agency_id=str(agency.id),
                                      agency_kind=agency.kind, roles=[], token_version=account.token_version)
        return PersonActor(person_id=person.id, username=account.username, passphrase=PASSWORD, token=token,
                           h={"Authorization": f"Bearer {token}"}, case_id=person.case_id, agency=agency)

    async def admin(self) -> Actor:
        return await self.user(None, "platform_admin")

    async def post(self, actor: Actor, url: str, body: Any = None, **kw: Any) -> httpx.Response:
        return await self.client.post(url, json=body, headers={**actor.h, **kw.pop("headers", {})}, **kw)

    async def get(self, actor: Actor, url: str, **kw: Any) -> httpx.Response:
        return await self.client.get(url, headers={**actor.h, **kw.pop("headers", {})}, **kw)

    async def patch(self, actor: Actor, url: str, body: Any = None, **kw: Any) -> httpx.Response:
        return await self.client.patch(url, json=body, headers={**actor.h, **kw.pop("headers", {})}, **kw)

    async def put(self, actor: Actor, url: str, body: Any = None, **kw: Any) -> httpx.Response:
        return await self.client.put(url, json=body, headers={**actor.h, **kw.pop("headers", {})}, **kw)

    async def delete(self, actor: Actor, url: str, **kw: Any) -> httpx.Response:
        return await self.client.delete(url, headers={**actor.h, **kw.pop("headers", {})}, **kw)

    # ---------------------------------------------------------------- cases, people, agreements (via the API)

    async def case(self, actor: Actor, **fields: Any) -> dict[str, Any]:
        """A case owned by the actor's agency, with the actor on its team."""
        body = {"reference": f"C-{uuid.uuid4().hex[:8]}", **fields}
        r = await self.post(actor, "/api/v1/cases", body)
        assert r.status_code == 201, r.text
        return r.json()

    async def person(self, actor: Actor, case_id: Any, **fields: Any) -> dict[str, Any]:
        """A person in the case (defaults: an adult survivor named Test Person)."""
        body = {"case_role": "adult_survivor", "full_name": "Test Person", **fields}
        r = await self.post(actor, f"/api/v1/cases/{case_id}/people", body)
        assert r.status_code == 201, r.text
        return r.json()

    async def agreement(self, *admins: Actor, sign: bool = True, **fields: Any) -> dict[str, Any]:
        """An agreement between the admins' agencies (every category and purpose, in force for a year by
        default), created by the first admin and, with sign=True, signed by all of them (so active)."""
        from datetime import timedelta

        from app.core.clock import today
        from app.core.vocab import DataCategory, Purpose

        body = {
            "title": "Data-sharing agreement", "party_agency_ids": [str(a.agency.id) for a in admins if a.agency],
            "categories": [c.value for c in DataCategory], "purposes": [p.value for p in Purpose],
            "effective_from": str(today() - timedelta(days=1)), "expires_on": str(today() + timedelta(days=365)),
            "document_sha256": "a" * 64, **fields,
        }
        r = await self.post(admins[0], "/api/v1/agreements", body)
        assert r.status_code == 201, r.text
        out = r.json()
        if sign:
            for a in admins:
                r = await self.post(a, f"/api/v1/agreements/{out['id']}/signatures")
                assert r.status_code == 201, r.text
                out = r.json()
        return out
