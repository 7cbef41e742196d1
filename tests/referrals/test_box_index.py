"""The incoming box walks an index that holds sent referrals only: drafts addressed to an agency are not in it,
so however many pile up, they cost its inbox nothing. The list's own condition (`sent_at IS NOT NULL`, from
referrals/access.py) is what lets the database use that partial index."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from app.core.db import sessionmaker

INCOMING = ("SELECT id FROM referrals WHERE to_agency_id = :agency AND sent_at IS NOT NULL "
            "ORDER BY created_at DESC, id DESC LIMIT 51")


async def test_the_incoming_index_leaves_drafts_out_and_serves_the_incoming_list(client):
    async with sessionmaker()() as s:
        dialect = s.bind.dialect.name
        if dialect == "postgresql":
            indexdef = (await s.execute(sa.text(
                "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_referrals_to_agency_created'"))).scalar_one()
            assert "WHERE (sent_at IS NOT NULL)" in indexdef
            await s.execute(sa.text("SET LOCAL enable_seqscan = off"))
            plan = "\n".join((await s.execute(sa.text("EXPLAIN " + INCOMING),
                                              {"agency": uuid.uuid4()})).scalars())
        else:
            sql = (await s.execute(sa.text(
                "SELECT sql FROM sqlite_master WHERE name = 'ix_referrals_to_agency_created'"))).scalar_one()
            assert "WHERE sent_at IS NOT NULL" in sql
            rows = (await s.execute(sa.text("EXPLAIN QUERY PLAN " + INCOMING), {"agency": uuid.uuid4().hex})).all()
            plan = "\n".join(str(r[-1]) for r in rows)
        assert "ix_referrals_to_agency_created" in plan, plan
