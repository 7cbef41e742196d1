"""Authorization rows for consent wordings: the agency admin manages its agency's versions; its casework staff
read them (to name one on a consent); another agency's wording is a 404."""

from __future__ import annotations

from typing import Any

from app.consent.models import ConsentWording
from app.core.db import sessionmaker
from tests.authz.matrix import Row, static
from tests.authz.scenario import Scenario, uid

ADMINS = ("cps_admin", "dv_admin")
READERS = (*ADMINS, "cps_worker", "cps_supervisor", "dv_advocate", "dv_supervisor")


async def _wording(scn: Scenario, actor: str, rel: str) -> ConsentWording:
    async with sessionmaker()() as s:
        w = ConsentWording(agency_id=scn.target(actor, rel).id, version=f"v{uid()}"[:40], language="en",
                           text="Matrix wording.")
        s.add(w)
        await s.commit()
        return w


async def _get(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    w = await scn.once(("wording", actor, rel), lambda: _wording(scn, actor, rel))
    return f"/api/v1/consent-wordings/{w.id}", None


async def _retire(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    return f"/api/v1/consent-wordings/{(await _wording(scn, actor, rel)).id}/retire", None


async def _create(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    return "/api/v1/consent-wordings", {"version": f"v{uid()}"[:40], "language": "en", "text": "Matrix wording."}


ROWS: list[Row] = [
    Row("POST", "/api/v1/consent-wordings", _create, dict.fromkeys(ADMINS, 201)),
    Row("GET", "/api/v1/consent-wordings", static("/api/v1/consent-wordings"), dict.fromkeys(READERS, 200)),
    Row("GET", "/api/v1/consent-wordings/{wording_id}", _get, dict.fromkeys(READERS, (200, 404, 404))),
    Row("POST", "/api/v1/consent-wordings/{wording_id}/retire", _retire, dict.fromkeys(ADMINS, (200, 404, 404))),
]
