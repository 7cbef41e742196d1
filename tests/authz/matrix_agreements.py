"""Authorization rows for data-sharing agreements.

Relative to an actor: "own" is an agreement between its agency and the partner agency, "partner" one the
partner agency holds with a third agency (the unrelated agency of the actor's kind), "unrelated" one between
the two unrelated agencies. Only parties see an agreement (404 otherwise); only a party's agency admin acts on
it (other readers: 403). A platform admin is no party to any agreement and holds no agreement permission.
"""

from __future__ import annotations

import secrets
from datetime import date, timedelta
from typing import Any

from app.agreements.models import Agreement, AgreementParty
from app.core.clock import today, utcnow
from app.core.db import sessionmaker
from app.core.vocab import DataCategory, Purpose
from app.identity.models import Agency
from tests.authz.matrix import Row, static
from tests.authz.scenario import Scenario, uid

MANAGERS = ("cps_admin", "dv_admin")
READERS = (*MANAGERS, "auditor", "cps_worker", "cps_supervisor", "dv_advocate", "dv_supervisor")


def _parties(scn: Scenario, actor: str, rel: str) -> tuple[Agency, Agency]:
    if rel == "own":
        return scn.target(actor, "own"), scn.target(actor, "partner")
    if rel == "partner":
        return scn.target(actor, "partner"), scn.target(actor, "unrelated")
    return scn.agencies["other_cps"], scn.agencies["other_dv"]


async def _agreement(scn: Scenario, actor: str, rel: str, status: str) -> Agreement:
    """A new agreement between the relation's parties, in `status`; the first party suspended a suspended
    one, and nobody has signed a draft."""
    a, b = _parties(scn, actor, rel)
    async with sessionmaker()() as s:
        ag = Agreement(title=f"Matrix agreement {uid()}", categories=["identity", "contact"],
                       purposes=["referral"], effective_from=date(2020, 1, 1), expires_on=date(2099, 12, 31),
                       document_sha256=secrets.token_hex(32), status=status, created_by_agency_id=a.id,
                       suspended_by_agency_id=a.id if status == "suspended" else None,
                       status_reason="Matrix." if status == "suspended" else None)
        s.add(ag)
        await s.flush()
        signed = None if status == "draft" else utcnow()
        for agency in (a, b):
            s.add(AgreementParty(agreement_id=ag.id, agency_id=agency.id, signed_at=signed))
        await s.commit()
        return ag


async def _create(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    a, b = _parties(scn, actor, rel)
    return "/api/v1/agreements", {
        "title": f"Matrix agreement {uid()}", "party_agency_ids": [str(a.id), str(b.id)],
        "categories": [DataCategory.identity.value], "purposes": [Purpose.referral.value],
        "effective_from": str(today()), "expires_on": str(today() + timedelta(days=365)),
        "document_sha256": secrets.token_hex(32)}


async def _get(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    ag = await scn.once(("agreement", actor, rel), lambda: _agreement(scn, actor, rel, "active"))
    return f"/api/v1/agreements/{ag.id}", None


def _act(action: str, status: str, body: Any = None) -> Any:
    async def make(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
        ag = await _agreement(scn, actor, rel, status)
        return f"/api/v1/agreements/{ag.id}/{action}", body
    return make


def _each(actors: tuple[str, ...], status: Any) -> dict[str, Any]:
    return dict.fromkeys(actors, status)


REASON = {"reason": "Matrix review."}

ROWS: list[Row] = [
    # The caller's own agency must be a party: an agreement only between other agencies is refused as
    # input (422, the agencies themselves are public directory entries), never created.
    Row("POST", "/api/v1/agreements", _create, _each(MANAGERS, (201, 422, 422))),
    Row("GET", "/api/v1/agreements", static("/api/v1/agreements"), _each(READERS, 200)),
    Row("GET", "/api/v1/agreements/{agreement_id}", _get, _each(READERS, (200, 404, 404))),
    Row("POST", "/api/v1/agreements/{agreement_id}/signatures", _act("signatures", "draft"),
        _each(MANAGERS, (201, 404, 404))),
    Row("POST", "/api/v1/agreements/{agreement_id}/suspend", _act("suspend", "active", REASON),
        _each(MANAGERS, (200, 404, 404))),
    Row("POST", "/api/v1/agreements/{agreement_id}/resume", _act("resume", "suspended", REASON),
        _each(MANAGERS, (200, 404, 404))),
    Row("POST", "/api/v1/agreements/{agreement_id}/terminate", _act("terminate", "active", REASON),
        _each(MANAGERS, (200, 404, 404))),
]
