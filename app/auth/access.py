"""The route-level access decision: the caller holds the permission a route declares (403 otherwise).

Object-level decisions live with their domain, in app/<domain>/access.py.
"""

from __future__ import annotations

from app.auth.permissions import P
from app.auth.principal import Principal, PrincipalKind
from app.core.errors import Forbidden


def ensure_permission(principal: Principal, perm: P) -> None:
    """403 unless the caller's roles grant `perm` (the role → permission table, app.auth.permissions)."""
    if not principal.can(perm):
        raise Forbidden(f"Your role does not allow this action ({perm.value}).")


# The one part of the API a person's token reaches: her own view.
PERSON_ROUTES = "/api/v1/my"


def ensure_route_open_to(principal: Principal, route_path: str) -> None:
    """403 when a person's token calls any route outside /api/v1/my (decided once, for every route, in the
    principal dependency), so no staff route can let a person in by a missing or too broad permission."""
    if principal.kind is PrincipalKind.person and not (
        route_path == PERSON_ROUTES or route_path.startswith(PERSON_ROUTES + "/")
    ):
        raise Forbidden("A person's access reaches only her own view (/api/v1/my).")
