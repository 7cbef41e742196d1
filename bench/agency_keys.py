"""Agency data keys against the single platform key, side by side in one run (ratios), on a scratch SQLite:

    .venv/bin/python -m bench.agency_keys [reads]

1. opening one sealed value: the platform key ("v1"), an agency key already unwrapped (the hot path: cached),
   and an agency key unwrapped again for every value (a cache miss each time: the local KEK file is read);
2. the read that releases sealed fields through the API (GET /people/{id}: three sealed fields opened and
   rendered), the same person's values sealed under the platform key and then under its agency's key;
3. the disclosure read (POST /disclosures by a partner agency under her consent: the rule, the three sealed
   fields opened, the accounting row and the audit event), the same two ways.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

_TMP = Path(tempfile.mkdtemp(prefix="tandem-bench-keys-"))
os.environ["DATABASE_URL"] = f"sqlite+aiosqlite:///{_TMP}/bench.db"
os.environ["TANDEM_VAR_DIR"] = str(_TMP / "var")
os.environ["TANDEM_WEBHOOK_WORKER_ENABLED"] = "false"
os.environ.setdefault("TANDEM_LOG_LEVEL", "WARNING")


def _per(n: int, f) -> float:  # type: ignore[no-untyped-def]
    t = time.perf_counter()
    for _ in range(n):
        f()
    return (time.perf_counter() - t) / n


async def main(reads: int) -> None:
    import httpx
    import sqlalchemy as sa

    from app.cases.models import Person, person_aad
    from app.core import crypto
    from app.core.db import dispose_engine, sessionmaker
    from app.main import create_app
    from tests.factories import World

    app = create_app()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
        world = World(client)
        dv = await world.agency("dv")
        advocate = await world.user(dv, "dv_advocate")
        case = await world.case(advocate)
        person = await world.person(
            advocate, case["id"], contact={"phone": "555 0142"}, safe_contact_instructions="Text first.",
            address={"line1": "1 Elm", "line2": None, "city": "X", "region": "OR", "postal_code": "97000",
                     "country": "US", "kind": "actual"})
        pid = person["id"]
        # A partner CPS agency, an agreement and her consent: the disclosure read of item 3.
        from datetime import timedelta

        from app.core.clock import utcnow

        cps = await world.agency("cps")
        cps_worker = await world.user(cps, "cps_worker")
        await world.agreement(await world.user(dv, "agency_admin"), await world.user(cps, "agency_admin"))
        now = utcnow()
        r = await world.post(advocate, f"/api/v1/people/{pid}/consents", {
            "recipient_agency_id": str(cps.id), "purposes": ["service_coordination"],
            "categories": ["identity", "contact", "location"], "valid_from": (now - timedelta(hours=1)).isoformat(),
            "signed_at": (now - timedelta(hours=1)).isoformat(), "expires_at": (now + timedelta(days=30)).isoformat(),
            "signature_method": "written", "risks_explained": True, "language": "en",
            "grantor": {"person_id": pid, "relationship": "self"}})
        assert r.status_code == 201, r.text
        ask = {"person_id": pid, "purpose": "service_coordination", "categories": ["identity", "contact", "location"]}
        t = Person.__table__
        async with sessionmaker()() as s:
            v2 = dict((await s.execute(sa.select(t).where(t.c.id == uuid.UUID(pid)))).mappings().one())
        aad = person_aad(v2["id"], "address")
        plain = crypto.decrypt(v2["address_enc"], aad)
        dk = crypto.data_keys()
        v1 = f"v1:{dk.current}:" + crypto._b64e((n := os.urandom(12)) + crypto.AESGCM(dk.keys[dk.current]).encrypt(
            n, plain, aad))

        n = 20_000
        platform = _per(n, lambda: crypto.decrypt(v1, aad))
        cached = _per(n, lambda: crypto.decrypt(v2["address_enc"], aad))

        def cold() -> None:
            crypto.ring.forget()
            crypto.decrypt(v2["address_enc"], aad)

        miss = _per(2_000, cold)

        async def timed(call, expect: int) -> float:  # type: ignore[no-untyped-def]
            for _ in range(20):  # warm up
                assert (await call()).status_code == expect
            start = time.perf_counter()
            for _ in range(reads):
                await call()
            return (time.perf_counter() - start) / reads

        def read():  # type: ignore[no-untyped-def]
            return world.get(advocate, f"/api/v1/people/{pid}")

        def disclose():  # type: ignore[no-untyped-def]
            return world.post(cps_worker, "/api/v1/disclosures", ask)

        first = (await disclose()).json()
        assert set(first["released"]) == {"identity", "contact", "location"}, first
        agency_read = await timed(read, 200)
        agency_disclosure = await timed(disclose, 201)
        fields = {"contact": "contact_enc", "address": "address_enc",
                  "safe_contact_instructions": "safe_contact_enc"}
        legacy = {}
        for field, col in fields.items():
            p = crypto.decrypt(v2[col], person_aad(v2["id"], field))
            nonce = os.urandom(12)
            legacy[col] = f"v1:{dk.current}:" + crypto._b64e(nonce + crypto.AESGCM(dk.keys[dk.current]).encrypt(
                nonce, p, person_aad(v2["id"], field)))
        async with sessionmaker()() as s:
            await s.execute(t.update().where(t.c.id == v2["id"]).values(legacy))
            await s.commit()
        platform_read = await timed(read, 200)
        platform_disclosure = await timed(disclose, 201)
    await dispose_engine()

    load = os.getloadavg()
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; {os.cpu_count()} CPUs")
    print(f"open one value: platform key {platform * 1e6:.1f} us, agency key cached {cached * 1e6:.1f} us "
          f"(x{cached / platform:.2f}), agency key unwrapped each time {miss * 1e6:.1f} us (x{miss / platform:.2f})")
    print(f"GET /people/{{id}} ({reads} reads): platform key {platform_read * 1e3:.2f} ms, agency key "
          f"{agency_read * 1e3:.2f} ms (x{agency_read / platform_read:.3f})")
    print(f"POST /disclosures ({reads} requests): platform key {platform_disclosure * 1e3:.2f} ms, agency key "
          f"{agency_disclosure * 1e3:.2f} ms (x{agency_disclosure / platform_disclosure:.3f})")


if __name__ == "__main__":
    from app.cli import migrate

    migrate()
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 300))
