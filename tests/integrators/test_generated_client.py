"""The OpenAPI document as a client generator reads it: openapi-python-client generates a client from the
app's own document without a single warning (a warning means an operation or model was dropped: two schemas
titled `Box` once cost the client `GET /api/v1/referrals`), and the worked example runs through that client:
log in, list incoming referrals, acknowledge and accept one, read its people."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import httpx
import pytest

from tests.factories import PASSWORD
from tests.referrals.scene import SURVIVOR_NAME, build_scene

PACKAGE = "tandem_generated_client"


@pytest.fixture(scope="session")
def generated(app, tmp_path_factory) -> ModuleType:
    where = tmp_path_factory.mktemp("generated")
    spec = where / "openapi.json"
    spec.write_text(json.dumps(app.openapi()))
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}  # its ruff post-hook
    done = subprocess.run(
        [str(bin_dir / "openapi-python-client"), "generate", "--path", str(spec), "--output-path",
         str(where / PACKAGE), "--meta", "none"],
        capture_output=True, text=True, env=env, timeout=300, check=False)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "warning" not in output.lower(), output
    assert "error" not in output.lower(), output
    sys.path.insert(0, str(where))
    try:
        return importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(where))


def _sub(package: ModuleType, name: str) -> ModuleType:
    return importlib.import_module(f"{package.__name__}.{name}")


async def test_every_operation_is_generated(app, generated):
    """One module per operation id (none dropped), named from its `domain.action` id."""
    spec = app.openapi()
    for path, ops in spec["paths"].items():
        for op in ops.values():
            domain, action = op["operationId"].split(".")
            module = f"api.{domain}.{domain}_{action}"
            assert importlib.util.find_spec(f"{generated.__name__}.{module}") is not None, (path, module)


async def test_the_worked_example_through_the_generated_client(app, world, generated):
    s = await build_scene(world)
    sent = await s.referral("sent")
    client_mod = _sub(generated, "client")
    models = _sub(generated, "models")
    token_op = _sub(generated, "api.auth.auth_token")
    me_op = _sub(generated, "api.auth.auth_me")
    list_op = _sub(generated, "api.referrals.referrals_list")
    acknowledge_op = _sub(generated, "api.referrals.referrals_acknowledge")
    accept_op = _sub(generated, "api.referrals.referrals_accept")
    people_op = _sub(generated, "api.referrals.referrals_read_people")
    transport = {"transport": httpx.ASGITransport(app=app)}

    # Log in (the password grant, form-encoded as the document says).
    anonymous = client_mod.Client(base_url="http://tandem.test", httpx_args=transport)
    token = await token_op.asyncio(client=anonymous, body=models.TokenRequest(
        grant_type="password", username=s["dv_advocate"].user.email, password=PASSWORD))
    assert isinstance(token, models.TokenResponse), token
    api = client_mod.AuthenticatedClient(base_url="http://tandem.test", token=token.access_token,
                                         httpx_args=transport)
    me = await me_op.asyncio(client=api)
    assert isinstance(me, models.Me) and me.agency_name == s.dv.name and me.agency_kind == "dv"

    # List incoming referrals.
    page = await list_op.asyncio(client=api, box=models.ReferralBox.INCOMING)
    assert isinstance(page, models.ReferralSummaryPage), page
    assert [str(r.id) for r in page.items] == [sent["id"]]
    referral_id = page.items[0].id

    # Acknowledge, then accept.
    acknowledged = await acknowledge_op.asyncio(referral_id, client=api)
    assert isinstance(acknowledged, models.ReferralRead) and acknowledged.status == models.ReferralStatus.ACKNOWLEDGED
    accepted = await accept_op.asyncio(referral_id, client=api)
    assert isinstance(accepted, models.ReferralRead) and accepted.status == models.ReferralStatus.ACCEPTED
    again = await accept_op.asyncio(referral_id, client=api)  # a 409 parses as the documented problem
    assert isinstance(again, models.Problem) and again.status == 409

    # Read the people released to the DV agency under the survivor's consent.
    people = await people_op.asyncio(referral_id, client=api)
    assert isinstance(people, models.ReferralPersonPage), people
    released = people.items[0].released.to_dict()
    assert released["identity"]["full_name"] == SURVIVOR_NAME
