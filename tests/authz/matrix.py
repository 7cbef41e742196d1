"""The committed authorization table: (actor, relation, endpoint) -> expected status.

Each Row names an endpoint as the app routes it, how to build a request against an object of the given
relation (own / partner / unrelated agency), and the expected status for each actor. An expectation is an
int (any relation) or a tuple (own, partner, unrelated). Domain rows live in matrix_<domain>.py and are
collected into ROWS; test_matrix.py walks all of it, and fails for any route that has no row.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from tests.authz.scenario import ACTORS, Scenario, uid

Make = Callable[[Scenario, str, str], Awaitable[tuple[str, Any]]]
Expect = int | tuple[int, int, int]

# Routes that take no bearer token at all.
PUBLIC = {("GET", "/healthz"), ("GET", "/readyz"), ("GET", "/metrics"), ("GET", "/.well-known/jwks.json"),
          ("POST", "/api/v1/auth/token"), ("POST", "/api/v1/my/redeem")}
# A person's own view: every other route answers her 403 whatever object it names.
PERSON_PREFIX = "/api/v1/my"


@dataclass
class Row:
    method: str
    path: str
    make: Make
    expect: dict[str, Expect]
    default: Expect = 403

    def expected_for_person(self, relation: str) -> int:
        """A person's token reaches /api/v1/my only: 403 on any other route unless the row says otherwise."""
        e = self.expect.get("person", 403)
        return e[("own", "partner", "unrelated").index(relation)] if isinstance(e, tuple) else e

    def expected(self, actor: str, relation: str) -> int:
        e = self.expect.get(actor, self.default)
        if isinstance(e, tuple):
            return e[("own", "partner", "unrelated").index(relation)]
        return e


def everyone(status: Expect) -> dict[str, Expect]:
    return dict.fromkeys(ACTORS, status)


def static(url: str, body: Any = None) -> Make:
    async def make(scn: Scenario, actor: str, relation: str) -> tuple[str, Any]:
        return url, body
    return make


# ------------------------------------------------------------------ builders for foundation objects


async def _agency(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    return f"/api/v1/agencies/{scn.target(actor, rel).id}", None


async def _agency_patch(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    return f"/api/v1/agencies/{scn.target(actor, rel).id}", {"jurisdiction": "Matrix County"}


async def _office_create(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    return (f"/api/v1/agencies/{scn.target(actor, rel).id}/offices",
            {"name": f"Office {uid()}", "timezone": "America/Chicago"})


async def _offices_list(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    return f"/api/v1/agencies/{scn.target(actor, rel).id}/offices", None


async def _office(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    # Offices belong to CPS agencies: "own" and "partner" both name the home CPS agency's office (own for
    # CPS staff, the partner's for DV staff); "unrelated" an office of the unrelated CPS agency.
    agency = scn.agencies["other_cps"] if rel == "unrelated" else scn.agencies["home_cps"]
    office = await scn.once(("office", agency.id), lambda: scn.world.office(agency))
    return f"/api/v1/offices/{office.id}", None


async def _user_create(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    agency = scn.target(actor, rel)
    return "/api/v1/users", {"email": f"m{uid()}@matrix.example", "full_name": "Matrix User",
                             "agency_id": str(agency.id), "roles": ["agency_admin"],
                             "password": "a long enough password"}


async def _fresh_user(scn: Scenario, actor: str, rel: str, suffix: str = "") -> tuple[str, Any]:
    agency = scn.target(actor, rel)
    role = "cps_worker" if agency.kind == "cps" else "dv_advocate"
    user = await scn.world.user(agency, role)
    return f"/api/v1/users/{user.id}{suffix}", None


async def _user_get(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    agency = scn.target(actor, rel)
    role = "cps_worker" if agency.kind == "cps" else "dv_advocate"
    user = await scn.once(("user", agency.id), lambda: scn.world.user(agency, role))
    return f"/api/v1/users/{user.id}", None


async def _user_patch(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    url, _ = await _fresh_user(scn, actor, rel)
    return url, {"full_name": "Renamed"}


async def _user_deactivate(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    return await _fresh_user(scn, actor, rel, "/deactivate")


async def _client_create(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    agency = scn.target(actor, rel)
    role = "cps_worker" if agency.kind == "cps" else "dv_advocate"
    return "/api/v1/clients", {"name": "Matrix system", "agency_id": str(agency.id), "roles": [role]}


async def _client_rotate(scn: Scenario, actor: str, rel: str) -> tuple[str, Any]:
    agency = scn.target(actor, rel)
    role = "cps_worker" if agency.kind == "cps" else "dv_advocate"
    client = await scn.world.client_app(agency, role)
    return f"/api/v1/clients/{client.id}/rotate-secret", None


ADMINS = ("platform_admin", "cps_admin", "dv_admin")
USER_READERS = ("platform_admin", "cps_admin", "dv_admin", "auditor", "cps_supervisor", "dv_supervisor")

FOUNDATION: list[Row] = [
    Row("GET", "/api/v1/me", static("/api/v1/me"), everyone(200)),
    Row("POST", "/api/v1/agencies", static("/api/v1/agencies", {"name": "Matrix agency", "kind": "dv"}),
        {"platform_admin": 201}),
    Row("GET", "/api/v1/agencies", static("/api/v1/agencies"), everyone(200)),
    Row("GET", "/api/v1/agencies/{agency_id}", _agency, everyone(200)),
    Row("PATCH", "/api/v1/agencies/{agency_id}", _agency_patch,
        {"platform_admin": 200, "cps_admin": (200, 403, 403), "dv_admin": (200, 403, 403)}),
    Row("POST", "/api/v1/agencies/{agency_id}/offices", _office_create,
        # a DV agency has no offices (422); an admin of another agency may not add any (403)
        {"platform_admin": (201, 422, 201), "cps_admin": (201, 403, 403), "dv_admin": (422, 403, 403)}),
    Row("GET", "/api/v1/agencies/{agency_id}/offices", _offices_list, everyone(200)),
    Row("GET", "/api/v1/offices/{office_id}", _office,
        # DV staff see the offices of CPS agencies their agency has an agreement in force with
        {**everyone((200, 200, 404)), "platform_admin": 200}),
    Row("POST", "/api/v1/users", _user_create,
        {"platform_admin": 201, "cps_admin": (201, 404, 404), "dv_admin": (201, 404, 404)}),
    Row("GET", "/api/v1/users", static("/api/v1/users"), dict.fromkeys(USER_READERS, 200)),
    Row("GET", "/api/v1/users/{user_id}", _user_get,
        {**everyone(404), **dict.fromkeys(USER_READERS, (200, 404, 404)), "platform_admin": 200}),
    Row("PATCH", "/api/v1/users/{user_id}", _user_patch,
        {"platform_admin": 200, "cps_admin": (200, 404, 404), "dv_admin": (200, 404, 404)}),
    Row("POST", "/api/v1/users/{user_id}/deactivate", _user_deactivate,
        {"platform_admin": 200, "cps_admin": (200, 404, 404), "dv_admin": (200, 404, 404)}),
    Row("POST", "/api/v1/clients", _client_create,
        {"platform_admin": 201, "cps_admin": (201, 404, 404), "dv_admin": (201, 404, 404)}),
    Row("GET", "/api/v1/clients", static("/api/v1/clients"), dict.fromkeys(ADMINS, 200)),
    Row("POST", "/api/v1/clients/{client_pk}/rotate-secret", _client_rotate,
        {"platform_admin": 200, "cps_admin": (200, 404, 404), "dv_admin": (200, 404, 404)}),
]


def collect_rows() -> list[Row]:
    """Foundation rows plus every tests/authz/matrix_<domain>.py module's ROWS."""
    import importlib
    import pkgutil

    import tests.authz as pkg

    rows = list(FOUNDATION)
    for info in pkgutil.iter_modules(pkg.__path__):
        if info.name.startswith("matrix_"):
            rows += importlib.import_module(f"tests.authz.{info.name}").ROWS
    return rows
