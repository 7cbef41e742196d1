"""Authorization rows for consents, disclosures and their accounting, legal mandates and notification tasks."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from app.cases.models import CaseTeamMember
from app.consent.models import NotificationTask
from app.core.clock import utcnow
from app.core.db import sessionmaker
from tests.authz.matrix import Row, static
from tests.authz.scenario import Scenario

CASEWORK = ("cps_worker", "cps_supervisor", "dv_advocate", "dv_supervisor")
SUPERVISORS = ("cps_supervisor", "dv_supervisor")


def _each(actors: tuple[str, ...], status: Any) -> dict[str, Any]:
    return dict.fromkeys(actors, status)


def _role(agency: Any, supervisor: bool = False) -> str:
    return f"{agency.kind}_{'supervisor' if supervisor else ('worker' if agency.kind == 'cps' else 'advocate')}"


async def _staff(scn: Scenario, agency: Any, supervisor: bool = False) -> Any:
    return await scn.once(("consent-staff", agency.id, supervisor),
                          lambda: scn.world.user(agency, _role(agency, supervisor)))


def _other(scn: Scenario, agency: Any) -> Any:
    return next(a for a in scn.agencies.values() if a.id != agency.id)


async def _person(scn: Scenario, actor: str, rel: str) -> dict[str, Any]:
    """A person in a case of the target agency; for "own", the actor is on the case team."""
    agency = scn.target(actor, rel)

    async def build() -> dict[str, Any]:
        owner = await _staff(scn, agency)
        case = await scn.world.case(owner)
        if rel == "own" and scn.actors[actor].id != owner.id:
            async with sessionmaker()() as s:
                s.add(CaseTeamMember(case_id=uuid.UUID(case["id"]), user_id=scn.actors[actor].id))
                await s.commit()
        return await scn.world.person(owner, case["id"])

    return await scn.once(("consent-person", actor, rel), build)


def _consent_body(person: dict[str, Any], recipient: Any) -> dict[str, Any]:
    now = utcnow()
    return {"recipient_agency_id": str(recipient.id), "purposes": ["referral"], "categories": ["identity"],
            "valid_from": (now - timedelta(hours=1)).isoformat(), "expires_at": (now + timedelta(days=9)).isoformat(),
            "signed_at": (now - timedelta(hours=1)).isoformat(), "signature_method": "written",
            "risks_explained": True, "language": "en",
            "grantor": {"person_id": person["id"], "relationship": "self"}}


async def _fresh_consent(scn: Scenario, actor: str, rel: str) -> dict[str, Any]:
    agency = scn.target(actor, rel)
    person = await _person(scn, actor, rel)
    r = await scn.world.post(await _staff(scn, agency), f"/api/v1/people/{person['id']}/consents",
                             _consent_body(person, _other(scn, agency)))
    assert r.status_code == 201, r.text
    return r.json()


async def _consent(scn: Scenario, actor: str, rel: str) -> dict[str, Any]:
    return await scn.once(("consent", actor, rel), lambda: _fresh_consent(scn, actor, rel))


async def _mandate(scn: Scenario, actor: str, rel: str, basis: str = "statute") -> dict[str, Any]:
    agency = scn.target(actor, rel)
    person = await _person(scn, actor, rel)
    body = {"basis": basis, "citation": "Matrix statute", "recipient_agency_id": str(_other(scn, agency).id),
            "categories": ["identity"], "document_sha256": "f" * 64,
            "expires_at": (utcnow() + timedelta(days=90)).isoformat()}
    r = await scn.world.post(await _staff(scn, agency, supervisor=True),
                             f"/api/v1/people/{person['id']}/legal-mandates", body)
    assert r.status_code == 201, r.text
    return r.json()


async def _fresh_task(scn: Scenario, actor: str, rel: str) -> uuid.UUID:
    """A statute naming another agency opens a task for the target agency to warn the survivor."""
    m = await _mandate(scn, actor, rel)
    async with sessionmaker()() as s:
        return (await s.execute(sa.select(NotificationTask.id).where(
            NotificationTask.mandate_id == uuid.UUID(m["id"])))).scalar_one()


async def _task(scn: Scenario, actor: str, rel: str) -> uuid.UUID:
    return await scn.once(("task", actor, rel), lambda: _fresh_task(scn, actor, rel))


async def _consent_create(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    person = await _person(scn, actor, rel)
    return f"/api/v1/people/{person['id']}/consents", _consent_body(person, scn.target(actor, "partner"))


async def _consents(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    return f"/api/v1/people/{(await _person(scn, actor, rel))['id']}/consents", None


async def _consent_get(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    return f"/api/v1/consents/{(await _consent(scn, actor, rel))['id']}", None


async def _revoke(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    c = await _fresh_consent(scn, actor, rel)
    return f"/api/v1/consents/{c['id']}/revoke", {"reason": "Matrix.", "method": "oral"}


async def _disclose(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    person = await _person(scn, actor, rel)
    return "/api/v1/disclosures", {"person_id": person["id"], "purpose": "referral", "categories": ["identity"]}


async def _preview(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    person = await _person(scn, actor, rel)
    return (f"/api/v1/people/{person['id']}/disclosure-preview",
            {"recipient_agency_id": str(_other(scn, scn.target(actor, rel)).id), "purpose": "referral",
             "categories": ["identity"]})


async def _accounting(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    return f"/api/v1/people/{(await _person(scn, actor, rel))['id']}/disclosures", None


async def _mandate_create(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    person = await _person(scn, actor, rel)
    return (f"/api/v1/people/{person['id']}/legal-mandates",
            {"basis": "court_order", "citation": "Matrix order", "categories": ["identity"],
             "recipient_agency_id": str(_other(scn, scn.target(actor, rel)).id), "document_sha256": "a" * 64,
             "expires_at": (utcnow() + timedelta(days=90)).isoformat()})


async def _mandates(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    return f"/api/v1/people/{(await _person(scn, actor, rel))['id']}/legal-mandates", None


async def _mandate_get(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    m = await scn.once(("mandate", actor, rel), lambda: _mandate(scn, actor, rel))
    return f"/api/v1/legal-mandates/{m['id']}", None


async def _court_order(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    m = await _mandate(scn, actor, rel, basis="subpoena")
    return (f"/api/v1/legal-mandates/{m['id']}/court-order",
            {"citation": "Matrix court order", "document_sha256": "b" * 64})


async def _withdraw(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    m = await _mandate(scn, actor, rel)
    return f"/api/v1/legal-mandates/{m['id']}/withdraw", {"reason": "Matrix: the order was vacated."}


async def _task_get(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    return f"/api/v1/notification-tasks/{await _task(scn, actor, rel)}", None


async def _task_complete(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    return f"/api/v1/notification-tasks/{await _fresh_task(scn, actor, rel)}/complete", {"outcome": "notified"}


OWN = (200, 404, 404)
CREATED = (201, 404, 404)

ROWS: list[Row] = [
    Row("POST", "/api/v1/people/{person_id}/consents", _consent_create, _each(CASEWORK, CREATED)),
    Row("GET", "/api/v1/people/{person_id}/consents", _consents, _each(CASEWORK, OWN)),
    Row("GET", "/api/v1/consents/{consent_id}", _consent_get, _each(CASEWORK, OWN)),
    Row("POST", "/api/v1/consents/{consent_id}/revoke", _revoke, _each(CASEWORK, OWN)),
    # Another agency with no consent, mandate or referral naming it: 404, as if the person did not exist.
    Row("POST", "/api/v1/disclosures", _disclose, _each(CASEWORK, CREATED)),
    Row("GET", "/api/v1/people/{person_id}/disclosures", _accounting, _each(CASEWORK, OWN)),
    Row("POST", "/api/v1/people/{person_id}/disclosure-preview", _preview, _each(CASEWORK, OWN)),
    Row("POST", "/api/v1/people/{person_id}/legal-mandates", _mandate_create, _each(SUPERVISORS, CREATED)),
    Row("GET", "/api/v1/people/{person_id}/legal-mandates", _mandates, _each(CASEWORK, OWN)),
    Row("GET", "/api/v1/legal-mandates/{mandate_id}", _mandate_get, _each(CASEWORK, OWN)),
    Row("POST", "/api/v1/legal-mandates/{mandate_id}/court-order", _court_order, _each(SUPERVISORS, OWN)),
    Row("POST", "/api/v1/legal-mandates/{mandate_id}/withdraw", _withdraw, _each(SUPERVISORS, OWN)),
    Row("GET", "/api/v1/shared-with-us", static("/api/v1/shared-with-us"), _each(CASEWORK, 200)),
    Row("GET", "/api/v1/notification-tasks", static("/api/v1/notification-tasks"), _each(CASEWORK, 200)),
    Row("GET", "/api/v1/notification-tasks/{task_id}", _task_get, _each(CASEWORK, OWN)),
    Row("POST", "/api/v1/notification-tasks/{task_id}/complete", _task_complete, _each(CASEWORK, OWN)),
]
