"""A realistic world for the benchmarks, seeded through the HTTP API of a running Tandem, and bulk loaders
(asyncpg COPY) that add referrals and audit events consistent with the schema.

Through the API: a platform admin (CLI), CPS and DV agencies, an office, staff of every role, an active
data-sharing agreement, cases with a survivor (full record: contact, address, safe-contact instructions)
and a child, the survivor's consent to the DV agency, and referrals created and sent.

In bulk: cases with a survivor, referrals between several agency pairs spread over three years with a
lifecycle that fits their age (timestamps, respond_by, sealed reason), the person each names, and audit
events that continue the hash chain (computed here exactly as the service computes it).
"""

from __future__ import annotations

import asyncio
import json
import random
import subprocess
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx

from bench.harness import BIN, ROOT, BenchDatabase, log

PASSWORD = "bench-password-2026"
CATEGORIES = ["identity", "contact", "location", "case_status"]
PURPOSES = ["referral", "service_coordination", "safety_planning"]
ALL_CATEGORIES = ["identity", "contact", "location", "safety_plan", "protective_orders", "services", "children",
                  "case_status", "assessments", "substance_use", "mental_health", "court"]
ALL_PURPOSES = ["referral", "service_coordination", "safety_planning", "case_planning", "court_proceedings",
                "reporting_aggregate"]


@dataclass
class Login:
    email: str
    user_id: str
    token: str

    @property
    def h(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class World:
    agencies: dict[str, str] = field(default_factory=dict)  # key -> agency id
    office_id: str = ""
    users: dict[str, Login] = field(default_factory=dict)  # "cps.worker" etc.
    cases: list[str] = field(default_factory=list)
    survivors: list[str] = field(default_factory=list)
    referrals: list[str] = field(default_factory=list)  # created and sent through the API


async def _ok(r: httpx.Response, expect: int = 201) -> dict[str, Any]:
    if r.status_code != expect:
        raise RuntimeError(f"{r.request.method} {r.request.url.path} -> {r.status_code}: {r.text[:300]}")
    return r.json()


async def login(client: httpx.AsyncClient, email: str) -> str:
    r = await client.post("/api/v1/auth/token", data={"grant_type": "password", "username": email,
                                                      "password": PASSWORD})
    return (await _ok(r, 200))["access_token"]


async def _gather(limit: int, coros: list[Any]) -> list[Any]:
    sem = asyncio.Semaphore(limit)

    async def one(c: Any) -> Any:
        async with sem:
            return await c

    return await asyncio.gather(*(one(c) for c in coros))


STAFF = {
    "cps": ["agency_admin", "cps_worker", "cps_supervisor", "auditor"],
    "dv": ["agency_admin", "dv_advocate", "dv_supervisor", "auditor"],
}


async def seed_world(db: BenchDatabase, base_url: str, *, cases: int = 40, referrals: int = 100,
                     extra_agencies: bool = True, tandem: list[str] | None = None) -> World:
    """Build the world through the running server's API (cases, people, consents, sent referrals). `tandem`:
    the command that runs the server's own CLI (default: this checkout's)."""
    await asyncio.to_thread(subprocess.run, [*(tandem or [str(BIN / "tandem")]), "create-admin", "--email",
                                             "admin@bench.example", "--password", PASSWORD], env=db.env, cwd=ROOT,
                            check=True, stdout=subprocess.DEVNULL)
    w = World()
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as c:
        admin = {"Authorization": f"Bearer {await login(c, 'admin@bench.example')}"}
        kinds = {"cps": "cps", "dv": "dv"}
        if extra_agencies:
            kinds.update({"cps2": "cps", "dv2": "dv", "dv3": "dv"})
        for key, kind in kinds.items():
            a = await _ok(await c.post("/api/v1/agencies", headers=admin, json={
                "name": f"Bench {key.upper()} {uuid.uuid4().hex[:6]}", "kind": kind, "jurisdiction": "Bench County"}))
            w.agencies[key] = a["id"]
        o = await _ok(await c.post(f"/api/v1/agencies/{w.agencies['cps']}/offices", headers=admin,
                                   json={"name": "Bench North Field Office", "timezone": "America/Chicago"}))
        w.office_id = o["id"]
        for key in ("cps", "dv"):
            for role in STAFF[key]:
                email = f"{key}.{role}@bench.example"
                u = await _ok(await c.post("/api/v1/users", headers=admin, json={
                    "email": email, "full_name": f"Bench {role}", "agency_id": w.agencies[key], "roles": [role],
                    "password": PASSWORD}))
                w.users[f"{key}.{role}"] = Login(email, u["id"], "")
        tokens = await _gather(4, [login(c, u.email) for u in w.users.values()])
        for u, t in zip(w.users.values(), tokens, strict=True):
            u.token = t
        cps_admin, dv_admin = w.users["cps.agency_admin"].h, w.users["dv.agency_admin"].h
        today = datetime.now(UTC).date()
        ag = await _ok(await c.post("/api/v1/agreements", headers=cps_admin, json={
            "title": "Bench data-sharing agreement", "party_agency_ids": [w.agencies["cps"], w.agencies["dv"]],
            "categories": ALL_CATEGORIES, "purposes": ALL_PURPOSES,
            "effective_from": str(today - timedelta(days=30)), "expires_on": str(today + timedelta(days=365)),
            "document_sha256": "b" * 64}))
        for h in (cps_admin, dv_admin):
            await _ok(await c.post(f"/api/v1/agreements/{ag['id']}/signatures", headers=h))

        worker = w.users["cps.cps_worker"].h

        async def one_case(i: int) -> tuple[str, str]:
            case = await _ok(await c.post("/api/v1/cases", headers=worker, json={
                "reference": f"B-{i:05d}", "dv_indicators": ["survivor_disclosure"], "office_id": w.office_id}))
            survivor = await _ok(await c.post(f"/api/v1/cases/{case['id']}/people", headers=worker, json={
                "case_role": "adult_survivor", "full_name": f"Survivor {i}", "date_of_birth": "1990-04-02",
                "language": "en", "contact": {"phone": f"+1 555 01{i % 100:02d}", "email": None},
                "address": {"line1": f"{100 + i} Main Street", "line2": None, "city": "Bench City",
                            "region": "IL", "postal_code": "60000", "country": "US", "kind": "actual"},
                "safe_contact_instructions": "Text only, during work hours."}))
            await _ok(await c.post(f"/api/v1/cases/{case['id']}/people", headers=worker, json={
                "case_role": "child", "full_name": f"Child {i}", "date_of_birth": "2018-09-01"}))
            now = datetime.now(UTC)
            await _ok(await c.post(f"/api/v1/people/{survivor['id']}/consents", headers=worker, json={
                "recipient_agency_id": w.agencies["dv"], "purposes": PURPOSES, "categories": CATEGORIES,
                "valid_from": (now - timedelta(days=1)).isoformat(),
                "expires_at": (now + timedelta(days=60)).isoformat(),
                "signed_at": (now - timedelta(days=1)).isoformat(), "signature_method": "written",
                "risks_explained": True, "language": "en",
                "grantor": {"person_id": survivor["id"], "relationship": "self"}}))
            return case["id"], survivor["id"]

        for case_id, survivor_id in await _gather(4, [one_case(i) for i in range(cases)]):
            w.cases.append(case_id)
            w.survivors.append(survivor_id)

        advocate = w.users["dv.dv_advocate"].h

        async def one_referral(i: int) -> str:
            k = i % len(w.cases)
            ref = await _ok(await c.post("/api/v1/referrals", headers=worker, json=referral_body(w, k)))
            ref = await _ok(await c.post(f"/api/v1/referrals/{ref['id']}/send", headers=worker), 200)
            if i % 3 == 0:
                await _ok(await c.post(f"/api/v1/referrals/{ref['id']}/acknowledge", headers=advocate), 200)
            return str(ref["id"])

        w.referrals = await _gather(4, [one_referral(i) for i in range(referrals)])
    return w


def referral_body(w: World, k: int) -> dict[str, Any]:
    return {"case_id": w.cases[k], "to_agency_id": w.agencies["dv"], "person_ids": [w.survivors[k]],
            "reason": "Survivor asks for shelter and advocacy after a recent incident.",
            "urgency": ("routine", "urgent", "emergency")[k % 3],
            "family_goals": "Stay together and keep the children in their school."}


# ---------------------------------------------------------------- bulk referrals

# (from agency key, to agency key, weight): most referrals go from CPS to DV; the bench DV agency ("dv")
# receives about half of them and the bench CPS agency ("cps") sends about 55%.
PAIRS = [("cps", "dv", 35), ("cps", "dv2", 15), ("cps2", "dv", 15), ("cps2", "dv3", 15), ("dv", "cps", 8),
         ("dv2", "cps2", 7), ("cps", "dv3", 5)]
OLD = [("closed", 62), ("withdrawn", 10), ("declined", 10), ("accepted", 14), ("sent", 2), ("acknowledged", 2)]
RECENT = [("draft", 5), ("sent", 25), ("acknowledged", 20), ("accepted", 30), ("declined", 10), ("withdrawn", 5),
          ("closed", 5)]
HOURS = {"emergency": 4, "urgent": 24, "routine": 72}
REFERRALS_PER_CASE = 2
SPAN = timedelta(days=3 * 365)

REFERRAL_COLUMNS = [
    "version", "id", "case_id", "from_agency_id", "to_agency_id", "status", "urgency", "consent_id",
    "decline_reason_code", "reason_enc", "family_goals_enc", "decline_reason_enc", "outcome_enc", "created_by",
    "assigned_to", "created_at", "sent_at", "respond_by", "acknowledged_at", "accepted_at", "declined_at",
    "closed_at", "withdrawn_at", "updated_at",
]
RP_COLUMNS = ["id", "referral_id", "person_id", "consent_id", "categories", "created_at"]
CASE_COLUMNS = ["version", "id", "agency_id", "reference", "dv_indicators", "office_id", "status", "stage",
                "created_by", "created_at", "updated_at"]
PERSON_COLUMNS = ["version", "id", "case_id", "agency_id", "case_role", "full_name", "date_of_birth",
                  "race_ethnicity", "language", "contact_enc", "address_enc", "safe_contact_enc", "created_at",
                  "updated_at"]


def _pick(rng: random.Random, table: list[tuple[str, int]]) -> str:
    return rng.choices([t[0] for t in table], weights=[t[1] for t in table])[0]


async def count(conn: asyncpg.Connection, table: str) -> int:
    return int(await conn.fetchval(f"SELECT count(*) FROM {table}"))


async def bulk_referrals(conn: asyncpg.Connection, w: World, target: int, *, seed: int = 8,
                         chunk: int = 50_000) -> int:
    """Add referrals until the table holds `target` rows (each with a case, a survivor and the person row)."""
    from app.core.crypto import encrypt_json
    from app.core.keyring import ensure_loaded
    from app.referrals.models import referral_aad

    have = await count(conn, "referrals")
    todo = target - have
    if todo <= 0:
        return have
    await ensure_loaded()  # each agency's data key (the reasons are sealed under the referring agency's)
    rng = random.Random(seed + have)
    now = datetime.now(UTC)
    users = {k.split(".")[0]: u.user_id for k, u in w.users.items() if k.endswith(("cps_worker", "dv_advocate"))}
    pair_weights = [p[2] for p in PAIRS]
    done = 0
    while done < todo:
        n = min(chunk, todo - done)
        cases, people, refs, rps = [], [], [], []
        case_id = person_id = case_from = case_created = None
        for i in range(n):
            frm, to, _ = rng.choices(PAIRS, weights=pair_weights)[0]
            if i % REFERRALS_PER_CASE == 0 or case_from != frm:
                case_id, person_id, case_from = uuid.uuid4(), uuid.uuid4(), frm
                case_created = now - SPAN * rng.random() - timedelta(days=1)
                agency = uuid.UUID(w.agencies[frm])
                office = uuid.UUID(w.office_id) if frm == "cps" else None
                cases.append((1, case_id, agency, f"BULK-{have + done + i}", "[]", office, "open", "intake", None,
                              case_created, None))
                people.append((1, person_id, case_id, agency, "adult_survivor", f"Bulk Survivor {have + done + i}",
                               None, "[]", "en", None, None, None, case_created, None))
            rid = uuid.uuid4()
            created = case_created + min(timedelta(days=10), now - timedelta(minutes=5) - case_created) * rng.random()
            age = now - created
            status = _pick(rng, RECENT if age < timedelta(days=30) else OLD)
            urgency = rng.choice(("routine", "routine", "urgent", "emergency"))
            sent = acked = accepted = declined = closed = withdrawn = respond_by = None
            if status != "draft" and not (status == "withdrawn" and rng.random() < 0.4):
                sent = created + timedelta(minutes=5 + rng.random() * 120)
                respond_by = sent + timedelta(hours=HOURS[urgency])
            step = sent or created
            if status in ("acknowledged", "accepted", "declined", "closed") and sent is not None:
                acked = step = sent + timedelta(hours=rng.random() * HOURS[urgency] * 0.8)
            if status in ("accepted", "closed") and acked is not None:
                accepted = step = acked + timedelta(hours=rng.random() * 24)
            if status == "declined":
                declined = step = (acked or step) + timedelta(hours=rng.random() * 24)
            if status == "closed":
                closed = step = step + timedelta(days=rng.random() * 60)
            if status == "withdrawn":
                withdrawn = step = step + timedelta(hours=rng.random() * 48)
            if step > now:  # a lifecycle step cannot be in the future
                step = now - timedelta(seconds=1)
                closed = step if closed else None
                withdrawn = step if withdrawn else None
            receiver = users.get(to) if acked else None
            refs.append((
                1 + sum(x is not None for x in (sent, acked, accepted, declined, closed, withdrawn)), rid, case_id,
                uuid.UUID(w.agencies[frm]), uuid.UUID(w.agencies[to]), status, urgency, None,
                "no_capacity" if declined else None,
                encrypt_json("Survivor asks for advocacy and safety planning.", referral_aad(rid, "reason"),
                             owner=uuid.UUID(w.agencies[frm])),
                None, None, None, uuid.UUID(users[frm]) if frm in users else None,
                uuid.UUID(receiver) if receiver else None, created, sent, respond_by, acked, accepted, declined,
                closed, withdrawn, None if step == created else step,
            ))
            rps.append((uuid.uuid4(), rid, person_id, None, json.dumps(CATEGORIES) if sent else "[]", created))
        async with conn.transaction():
            await conn.copy_records_to_table("cases", records=cases, columns=CASE_COLUMNS)
            await conn.copy_records_to_table("people", records=people, columns=PERSON_COLUMNS)
            await conn.copy_records_to_table("referrals", records=refs, columns=REFERRAL_COLUMNS)
            await conn.copy_records_to_table("referral_people", records=rps, columns=RP_COLUMNS)
        done += n
        if todo > chunk:
            log(f"  referrals: {have + done:,} / {target:,}")
    return have + done


# ---------------------------------------------------------------- bulk audit events

AUDIT_COLUMNS = ["id", "chain", "seq", "at", "actor_type", "actor_id", "agency_id", "action", "object_type",
                 "object_id", "request_id", "outcome", "prev_hash", "hash"]
ACTIONS = [("referral.read", "referral"), ("referral.create", "referral"), ("referral.send", "referral"),
           ("disclosure.request", "disclosure"), ("person.read", "person"), ("case.update", "case"),
           ("auth.login", "user"), ("consent.create", "consent")]
AUDIT_WEIGHTS = [30, 30, 15, 15, 10]  # the agencies of the world, in their order


class _Ev:
    __slots__ = AUDIT_COLUMNS


async def bulk_audit(conn: asyncpg.Connection, w: World, target: int, *, chunk: int = 100_000) -> int:
    """Append events until the trail holds `target` of them, spread over the agencies' chains (one hash chain
    per agency, as app.trail.recorder appends them): each chain continues from its head row (locked while it
    is extended, as the service locks it) and its newest event's hash, and its head row is moved on."""
    from app.trail.recorder import GENESIS, chain_hash

    have = await count(conn, "audit_events")
    todo = target - have
    if todo <= 0:
        return have
    rng = random.Random(target)
    agencies = [uuid.UUID(a) for a in w.agencies.values()]
    weights = AUDIT_WEIGHTS[: len(agencies)]
    share = [todo * wt // sum(weights) for wt in weights]
    share[0] += todo - sum(share)
    actors = [u.user_id for u in w.users.values()]
    done = 0
    for agency, n in zip(agencies, share, strict=False):
        chain = str(agency)
        async with conn.transaction():
            await conn.execute("INSERT INTO audit_chain_heads (chain, seq, hash) VALUES ($1, 0, $2) "
                               "ON CONFLICT DO NOTHING", chain, GENESIS)
            seq = int(await conn.fetchval("SELECT seq FROM audit_chain_heads WHERE chain = $1 FOR UPDATE", chain))
            last = await conn.fetchrow("SELECT hash, at FROM audit_events WHERE chain = $1 AND seq = $2", chain, seq)
            prev = last["hash"] if last else GENESIS
            at = max(last["at"] if last else datetime.now(UTC), datetime.now(UTC)).astimezone(UTC)
            end = seq + n
            while seq < end:
                rows = []
                for _ in range(min(chunk, end - seq)):
                    seq += 1
                    action, otype = ACTIONS[rng.randrange(len(ACTIONS))]
                    ev = _Ev()
                    ev.id, ev.chain, ev.seq, ev.at = uuid.uuid4(), chain, seq, at + timedelta(microseconds=seq)
                    ev.actor_type, ev.actor_id, ev.agency_id = "user", rng.choice(actors), agency
                    ev.action, ev.object_type, ev.object_id = action, otype, str(uuid.uuid4())
                    ev.request_id, ev.outcome, ev.prev_hash = uuid.uuid4().hex, "success", prev
                    ev.hash = prev = chain_hash(prev, ev)
                    rows.append(tuple(getattr(ev, c) for c in AUDIT_COLUMNS))
                await conn.copy_records_to_table("audit_events", records=rows, columns=AUDIT_COLUMNS)
                done += len(rows)
                if todo > chunk:
                    log(f"  audit events: {have + done:,} / {target:,}")
            await conn.execute("UPDATE audit_chain_heads SET seq = $2, hash = $3 WHERE chain = $1", chain, seq, prev)
    return have + done
