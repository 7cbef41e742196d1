"""Time `verify_chain` on a large synthetic audit chain (one agency's) (run on demand, never in the unit tests).

    DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/<scratch db> .venv/bin/python -m bench.audit_verify 1000000

The database must be migrated (`tandem migrate`) and should be a scratch one: rows are appended to its trail.
"""

from __future__ import annotations

import asyncio
import sys
import time
import tracemalloc
import uuid
from datetime import UTC, datetime, timedelta


async def main(n: int) -> None:
    from app import models  # noqa: F401
    from app.audit.service import verify_chain
    from app.core.db import dispose_engine, sessionmaker
    from app.trail.models import AuditChainHead, AuditEvent
    from app.trail.recorder import GENESIS, chain_hash

    table = AuditEvent.__table__
    agency = uuid.uuid4()  # one agency's chain, the one verified below
    seq, prev = 0, GENESIS
    at = datetime.now(UTC)
    t = time.perf_counter()
    while seq < n:
        rows = []
        for _ in range(min(10_000, n - seq)):
            seq += 1
            ev = AuditEvent(chain=str(agency), seq=seq, at=at + timedelta(microseconds=seq), actor_type="user",
                            actor_id=str(uuid.uuid4()), agency_id=agency, action="case.update", object_type="case",
                            object_id=str(uuid.uuid4()), request_id=uuid.uuid4().hex, outcome="success",
                            prev_hash=prev, hash="")
            ev.hash = prev = chain_hash(prev, ev)
            rows.append({c.name: getattr(ev, c.name) for c in table.columns})
        async with sessionmaker()() as s:
            await s.execute(table.insert(), rows)
            await s.commit()
    async with sessionmaker()() as s:
        await s.execute(AuditChainHead.__table__.insert().values(chain=str(agency), seq=seq, hash=prev))
        await s.commit()
    print(f"trail has {seq} events (filled in {time.perf_counter() - t:.1f}s)")

    tracemalloc.start()
    t = time.perf_counter()
    result = await verify_chain(str(agency), full=True)
    elapsed = time.perf_counter() - t
    peak = tracemalloc.get_traced_memory()[1]
    print(f"verify: {result} in {elapsed:.1f}s ({seq / elapsed:,.0f} events/s), peak Python memory "
          f"{peak / 1e6:.1f} MB")
    await dispose_engine()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000))
