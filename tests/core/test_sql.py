"""app.core.sql.AnyOf: a column among a bound list, the same rows on every database, whatever the list's length,
and on PostgreSQL one statement text for every length."""

import uuid

import sqlalchemy as sa

from app.core.db import get_engine, sessionmaker
from app.core.sql import any_of
from app.identity.models import Agency
from tests.statements import statements

_BY_IDS = sa.select(Agency.name).where(any_of(Agency.id, "ids")).order_by(Agency.name)


async def test_any_of_selects_the_rows_whose_value_is_in_the_list(world):
    a, b = await world.agency("dv"), await world.agency("cps")
    await world.agency("dv")  # not asked for
    nobody = uuid.uuid4()
    async with sessionmaker()() as s:
        with statements() as seen:
            for ids, expected in [([], []), ([a.id], [a.name]), ([a.id, b.id, nobody], sorted([a.name, b.name])),
                                  ([nobody], [])]:
                assert list((await s.execute(_BY_IDS, {"ids": ids})).scalars()) == expected
    if get_engine().dialect.name == "postgresql":
        assert len(set(seen)) == 1 and seen.rewritten == []
