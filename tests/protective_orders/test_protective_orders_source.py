"""Protective orders as a disclosure source (`app.protective_orders.sources`): one select built once, read with
the request's other category sources (on PostgreSQL in the one statement of `rows_together`), releasing what it
always did: each order of the case filed under the person or protecting them, newest issue first (the later
created first on the same day), as the order reads without its bookkeeping, as of the latest change."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from app.core.clock import today
from tests.consent.helpers import build_scene
from tests.consent.together import assert_read_together
from tests.protective_orders.test_protective_orders import _body, _family
from tests.statements import statements

CATEGORIES = ["identity", "contact", "protective_orders"]
BOOKKEEPING = ("agency_id", "case_id", "created_at", "updated_at")


def _when(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


async def _scene(world: Any) -> tuple[Any, dict[str, Any], dict[str, dict[str, Any]]]:
    """Her consent (and the parent's for the child), a shared note, and five orders of the case:
    `a` and `c` under her, issued the same day (`c` created later, then vacated); `e` under the child protecting
    her, issued later; `b` under the child protecting the child only; `d` under him, restraining her."""
    s = await build_scene(world)
    people = await _family(s)
    await s.agreement()
    await s.consent(categories=CATEGORIES)
    await s.consent(person=people["child"], categories=CATEGORIES,
                    grantor={"person_id": s.survivor["id"], "relationship": "parent"})
    r = await world.post(s["advocate"], f"/api/v1/cases/{s.case['id']}/notes",
                         {"text": "The order was served at his workplace.", "audience": "shared",
                          "category": "protective_orders", "person_id": s.survivor["id"]})
    assert r.status_code == 201, r.text
    her, child, him = s.survivor, people["child"], people["him"]
    day = today() - timedelta(days=10)

    async def order(under: dict[str, Any], after: int, **over: Any) -> dict[str, Any]:
        issued = day + timedelta(days=after)
        body = _body(people, her, issued_on=str(issued), expires_on=str(issued + timedelta(days=60)),
                     served_on=str(issued + timedelta(days=1)))
        r = await s.post("advocate", f"/api/v1/people/{under['id']}/protective-orders", {**body, **over})
        assert r.status_code == 201, r.text
        return r.json()

    orders = {
        "a": await order(her, 0),
        "c": await order(her, 0, kind="final", court=None, docket_number=None, terms=[],
                         restrained_person_id=None, expires_on=None, service_status="unknown", served_on=None),
        "e": await order(child, 5, protected_person_ids=[her["id"]]),
        "b": await order(child, 3, protected_person_ids=[child["id"]]),
        "d": await order(him, 1, protected_person_ids=[him["id"]],
                         restrained_person_id=her["id"]),
    }
    r = await world.patch(s["advocate"], f"/api/v1/protective-orders/{orders['c']['id']}",
                          {"vacated_on": str(day + timedelta(days=2))},
                          headers={"If-Match": f'W/"{orders["c"]["id"]}.1"'})
    assert r.status_code == 200, r.text
    orders["c"] = r.json()
    return s, people, orders


async def test_the_orders_are_released_as_before_beside_the_notes(client, world):
    s, people, orders = await _scene(world)

    async def read(order: dict[str, Any]) -> dict[str, Any]:
        r = await s.get("advocate", f"/api/v1/protective-orders/{order['id']}")
        assert r.status_code == 200, r.text
        return {k: v for k, v in r.json().items() if k not in BOOKKEEPING}

    r = await s.disclose(categories=CATEGORIES)
    assert r.status_code == 201, r.text
    body = r.json()
    released = body["released"]["protective_orders"]
    assert set(released) == {"orders", "notes"}
    assert [n["text"] for n in released["notes"]] == ["The order was served at his workplace."]
    assert released["orders"] == [await read(orders[k]) for k in ("e", "c", "a")]
    assert [o["status"] for o in released["orders"]] == ["active", "vacated", "active"]
    assert released["orders"][1]["court"] is None and released["orders"][1]["terms"] == []
    meta = body["released_meta"]["protective_orders"]
    assert meta["elements"] == [] and meta["agency_id"] == str(s.dv.id)
    assert orders["c"]["updated_at"] is not None
    assert _when(meta["as_of"]) == _when(orders["c"]["updated_at"])  # the latest change of her orders

    # The child's: filed under the child, or protecting the child (`a` and `c` protect her and the child).
    r = await s.disclose(categories=["protective_orders"], person=people["child"])
    assert r.status_code == 201, r.text
    assert r.json()["released"]["protective_orders"]["orders"] == [await read(orders[k]) for k in ("e", "b", "c", "a")]


@pytest.mark.skipif("os.environ.get('TANDEM_TEST_DB') != 'postgresql'",
                    reason="the category sources' selects are read together on PostgreSQL only")
async def test_on_postgresql_the_orders_are_read_in_the_one_statement_of_every_source(client, world):
    s, _, orders = await _scene(world)
    assert (await s.disclose(categories=CATEGORIES)).status_code == 201  # warm
    with statements() as seen:
        r = await s.disclose(categories=CATEGORIES)
    assert r.status_code == 201, r.text
    assert [o["id"] for o in r.json()["released"]["protective_orders"]["orders"]] == [
        orders[k]["id"] for k in ("e", "c", "a")]
    assert_read_together(seen, "protective_orders", "case_notes", "contact_preferences")
