"""Property-based fuzzing of every operation in the app's own OpenAPI document, through the in-process app,
authenticated as several roles; plus a stateful run that follows the document's links.

Schemathesis drives the app on one event loop of its own: the engine is disposed before (on the suite's
loop) and after (on schemathesis' loop) so pooled connections never cross loops.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.generation import GenerationMode
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from app.core.db import dispose_engine
from app.main import create_app

EXAMPLES = int(os.environ.get("TANDEM_FUZZ_EXAMPLES", "6"))
ROLES = ("cps_supervisor", "dv_supervisor", "agency_admin", "platform_admin")

app = create_app()
schema = schemathesis.openapi.from_asgi("/openapi.json", app)
schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
                                max_examples=EXAMPLES)
CHECKS = [schemathesis.checks.not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, negative_data_rejection]
TOKENS: dict[str, str] = {}


async def _make_principals() -> dict[str, str]:
    from app.core.db import sessionmaker
    from app.identity.models import Agency
    from tests.factories import World

    world = World(client=None)  # type: ignore[arg-type]
    cps = await world.agency("cps")
    dv = await world.agency("dv")
    await world.office(cps)
    async with sessionmaker()() as s:
        assert await s.get(Agency, cps.id) is not None
    out = {
        "cps_supervisor": (await world.user(cps, "cps_supervisor")).token,
        "dv_supervisor": (await world.user(dv, "dv_supervisor")).token,
        "agency_admin": (await world.user(cps, "agency_admin")).token,
        "platform_admin": (await world.admin()).token,
    }
    # A person in her own view (a fresh one per fuzz run; her lock may end her token: then 401, still checked)
    out["person"] = (await world.person_actor(dv)).token
    return out


@pytest.fixture(scope="module", autouse=True)
async def fuzz_loop():
    await dispose_engine()  # nothing pooled on the suite's loop leaks into schemathesis' loop
    portal = asgi._get_portal()
    TOKENS.update(portal.call(_make_principals))
    yield
    portal.call(dispose_engine)


@pytest.mark.parametrize("role", ROLES)
@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck), max_examples=EXAMPLES, derandomize=True)
def test_operations(case, role):
    case.call_and_validate(headers={"Authorization": f"Bearer {TOKENS[role]}"}, checks=CHECKS)


# The person role: her own view, and every other operation (each must refuse her, never fail).
@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck), max_examples=max(2, EXAMPLES // 3),
          derandomize=True)
def test_operations_as_a_person(case):
    case.call_and_validate(headers={"Authorization": f"Bearer {TOKENS['person']}"}, checks=CHECKS)


StateMachine = schema.as_state_machine()


class _Authenticated(StateMachine):  # type: ignore[misc, valid-type]
    def get_call_kwargs(self, case):
        return {"headers": {"Authorization": f"Bearer {TOKENS['cps_supervisor']}"}}

    def validate_response(self, response, case, additional_checks=None, **kwargs):
        case.validate_response(response, checks=CHECKS)


def test_stateful_links():
    _Authenticated.run(settings=settings(max_examples=max(EXAMPLES, 10), deadline=None,
                                         suppress_health_check=list(HealthCheck), stateful_step_count=6))
