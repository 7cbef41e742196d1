"""The `assessments` source of the disclosure rule: one select built once (`statement_source`), the recording
user's name joined in, read with the request's other statement sources in one round trip on PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from app.core.clock import utcnow
from app.core.db import sessionmaker
from app.identity.models import User
from tests.consent.helpers import build_scene
from tests.consent.together import assert_read_together, mentioning
from tests.statements import statements

ASSESSOR = "Dana Assessorname"


def _at(hours: int) -> str:
    return (utcnow() + timedelta(hours=hours)).replace(microsecond=0).isoformat().replace("+00:00", "Z")


async def _rename(actor: Any, name: str) -> None:
    async with sessionmaker()() as session:
        await session.execute(sa.update(User).where(User.id == actor.id).values(full_name=name))
        await session.commit()


async def _scene_with_assessments(world: Any) -> tuple[Any, list[dict[str, Any]]]:
    """A scene whose survivor has three assessments (a named assessor; none named, recorded by the advocate; none
    named, recorded by a supervisor), released to CPS under her consent."""
    s = await build_scene(world)
    await _rename(s["advocate"], "Alma Recordername")
    await _rename(s["dv_supervisor"], "Bea Supervisorname")
    await s.agreement()
    await s.consent(categories=["assessments"])
    url = f"/api/v1/people/{s.survivor['id']}/assessments"
    made = []
    for actor, body in (
        ("advocate", {"instrument": "danger_assessment", "administered_at": _at(-48),
                      "result_level": "severe_danger", "assessor_name": ASSESSOR}),
        ("advocate", {"instrument": "lethality_screen", "administered_at": _at(-24), "result_level": "screened_in"}),
        ("dv_supervisor", {"instrument": "cps_risk_assessment", "administered_at": _at(-2), "result_level": "high"}),
    ):
        r = await s.post(actor, url, body)
        assert r.status_code == 201, r.text
        made.append(r.json())
    return s, made


async def test_released_assessments_name_the_recording_user_when_no_assessor_is_named(client, world):
    s, (named, by_advocate, by_supervisor) = await _scene_with_assessments(world)
    r = await s.disclose(categories=["assessments"])
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["withheld"] == [] and body["released_basis"] == {"assessments": "consent"}
    assert body["released"]["assessments"] == {"assessments": [
        {"id": by_supervisor["id"], "instrument": "cps_risk_assessment",
         "administered_at": by_supervisor["administered_at"], "result_level": "high",
         "assessor": "Bea Supervisorname", "determined_person_id": None, "basis": None},
        {"id": by_advocate["id"], "instrument": "lethality_screen", "administered_at": by_advocate["administered_at"],
         "result_level": "screened_in", "assessor": "Alma Recordername", "determined_person_id": None,
         "basis": None},
        {"id": named["id"], "instrument": "danger_assessment", "administered_at": named["administered_at"],
         "result_level": "severe_danger", "assessor": ASSESSOR, "determined_person_id": None, "basis": None},
    ]}
    meta = body["released_meta"]["assessments"]
    assert meta["as_of"].replace("Z", "+00:00")[:19] == by_supervisor["created_at"].replace("Z", "+00:00")[:19]


@pytest.mark.skipif("os.environ.get('TANDEM_TEST_DB') != 'postgresql'",
                    reason="statement sources are read together in one round trip on PostgreSQL only")
async def test_assessments_are_read_in_the_one_statement_of_the_request_sources(client, world):
    s, made = await _scene_with_assessments(world)
    assert (await s.disclose(categories=["assessments"])).status_code == 201  # warm up
    with statements() as seen:
        r = await s.disclose(categories=["assessments"])
    assert r.status_code == 201, r.text
    assert [a["id"] for a in r.json()["released"]["assessments"]["assessments"]] == [m["id"] for m in reversed(made)]
    # The recorders' names come in the same statement: it is the only one that names users.
    assert_read_together(seen, "assessments", "users")
    assert mentioning(seen, "users") == mentioning(seen, "assessments")
