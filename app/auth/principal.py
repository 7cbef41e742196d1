"""Who is calling: a staff user, an agency system (client) or an external identity provider's user."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from enum import StrEnum

from app.auth.permissions import PERSON_PERMISSIONS, AgencyKind, P, Role, permissions_for


class PrincipalKind(StrEnum):
    """What kind of caller: also the `typ` claim of a local token and the actor type in the audit trail."""

    user = "user"  # a staff user (local token)
    client = "client"  # an agency system (client credentials)
    external = "external"  # a user of an external identity provider
    system = "system"  # the service itself (seed data, commands)
    person = "person"  # a survivor or non-abusive parent in her own view, bound to her one record


@dataclass(frozen=True)
class Principal:
    id: uuid.UUID | str
    kind: PrincipalKind
    agency_id: uuid.UUID | None
    agency_kind: AgencyKind | None
    roles: frozenset[Role]
    email: str | None = None
    client_id: str | None = None
    permissions: frozenset[P] = field(default=frozenset())
    person_id: uuid.UUID | None = None  # a person principal's own record (people.id); None for every other kind

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", PrincipalKind(self.kind))  # a plain "user" is accepted, and checked
        if self.kind is PrincipalKind.person:  # a person holds no role and only her own view
            object.__setattr__(self, "roles", frozenset())
            object.__setattr__(self, "permissions", PERSON_PERMISSIONS)
        else:
            object.__setattr__(self, "permissions", permissions_for(self.roles))
            object.__setattr__(self, "person_id", None)  # only a person is bound to a record

    def can(self, perm: P) -> bool:
        return perm in self.permissions

    @property
    def user_id(self) -> uuid.UUID | None:
        return self.id if self.kind is PrincipalKind.user and isinstance(self.id, uuid.UUID) else None

    @property
    def ref(self) -> str:
        """A stable, non-personal reference for audit and idempotency scopes."""
        return f"{self.kind}:{self.id}"
