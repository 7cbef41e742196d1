"""Authorization rows for the task inbox (casework roles; a task of another agency, or another person's, is
404) and consent renewal drafts (the owning agency's staff who see the case)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from app.core.clock import utcnow
from app.core.db import sessionmaker
from app.tasks.models import Task
from tests.authz.matrix import Row, static
from tests.authz.matrix_consent import _fresh_consent, _person
from tests.authz.scenario import Scenario

CASEWORK = ("cps_worker", "cps_supervisor", "dv_advocate", "dv_supervisor")


def _each(status: Any) -> dict[str, Any]:
    return dict.fromkeys(CASEWORK, status)


async def _fresh_task(scn: Scenario, actor: str, rel: str) -> uuid.UUID:
    """A task addressed to the actor (own) or to someone of the partner or unrelated agency."""
    agency = scn.target(actor, rel)
    user = scn.actors[actor] if rel == "own" else await scn.once(
        ("task-user", agency.id), lambda: scn.world.user(agency, "cps_worker" if agency.kind == "cps" else "dv_advocate"))
    async with sessionmaker()() as s:
        task = Task(source_key=f"matrix:{uuid.uuid4()}", agency_id=agency.id, kind="consultation_routed",
                    subject_type="consultation", subject_id=uuid.uuid4(), assignee_user_id=user.id)
        s.add(task)
        await s.commit()
        return task.id


async def _task_get(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    task_id = await scn.once(("inbox-task", actor, rel), lambda: _fresh_task(scn, actor, rel))
    return f"/api/v1/tasks/{task_id}", None


async def _task_done(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    return f"/api/v1/tasks/{await _fresh_task(scn, actor, rel)}/done", None


async def _task_snooze(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    return (f"/api/v1/tasks/{await _fresh_task(scn, actor, rel)}/snooze",
            {"until": (utcnow() + timedelta(days=2)).isoformat()})


async def _renew(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    return f"/api/v1/consents/{(await _fresh_consent(scn, actor, rel))['id']}/renew", None


async def _fresh_draft(scn: Scenario, actor: str, rel: str) -> dict[str, Any]:
    from tests.authz.matrix_consent import _staff

    agency = scn.target(actor, rel)
    consent = await _fresh_consent(scn, actor, rel)
    r = await scn.world.post(await _staff(scn, agency), f"/api/v1/consents/{consent['id']}/renew")
    assert r.status_code == 201, r.text
    return r.json()


async def _draft_get(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    draft = await scn.once(("consent-draft", actor, rel), lambda: _fresh_draft(scn, actor, rel))
    return f"/api/v1/consent-drafts/{draft['id']}", None


async def _draft_sign(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    draft = await _fresh_draft(scn, actor, rel)
    person = await _person(scn, actor, rel)
    now = utcnow()
    return f"/api/v1/consent-drafts/{draft['id']}/sign", {
        "valid_from": (now - timedelta(hours=1)).isoformat(), "expires_at": (now + timedelta(days=30)).isoformat(),
        "signed_at": (now - timedelta(minutes=1)).isoformat(), "signature_method": "written",
        "risks_explained": True, "language": "en", "grantor": {"person_id": person["id"], "relationship": "self"}}


OWN = (200, 404, 404)
CREATED = (201, 404, 404)

ROWS: list[Row] = [
    Row("GET", "/api/v1/tasks", static("/api/v1/tasks"), _each(200)),
    Row("GET", "/api/v1/tasks/{task_id}", _task_get, _each(OWN)),
    Row("POST", "/api/v1/tasks/{task_id}/done", _task_done, _each(OWN)),
    Row("POST", "/api/v1/tasks/{task_id}/snooze", _task_snooze, _each(OWN)),
    Row("POST", "/api/v1/consents/{consent_id}/renew", _renew, _each(CREATED)),
    Row("GET", "/api/v1/consent-drafts/{draft_id}", _draft_get, _each(OWN)),
    Row("POST", "/api/v1/consent-drafts/{draft_id}/sign", _draft_sign, _each(CREATED)),
]
