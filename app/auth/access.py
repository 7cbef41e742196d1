"""The route-level access decision: the caller holds the permission a route declares (403 otherwise).

Object-level decisions live with their domain, in app/<domain>/access.py.
"""

from __future__ import annotations

from app.auth.permissions import P
from app.auth.principal import Principal
from app.core.errors import Forbidden


def ensure_permission(principal: Principal, perm: P) -> None:
    """403 unless the caller's roles grant `perm` (the role → permission table, app.auth.permissions)."""
    if not principal.can(perm):
        raise Forbidden(f"Your role does not allow this action ({perm.value}).")
