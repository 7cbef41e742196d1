"""Turning a bearer token into a Principal, and the typed permission dependency routes declare."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Coroutine
from functools import cache
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import principal_cache
from app.auth.access import ensure_permission, ensure_route_open_to
from app.auth.permissions import AgencyKind, P, Role, role_fits_agency
from app.auth.principal import Principal, PrincipalKind
from app.auth.principal_cache import Account
from app.auth.tokens import TokenError, verify_access_token
from app.core import keyring
from app.core.db import SessionDep
from app.core.errors import Unauthorized
from app.identity.models import Agency, ApiClient, PersonAccount, User

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)

# The caller and its agency in one round trip, built once; a cached account (app.auth.principal_cache) needs
# none. Core rows: only what the token check needs.
_LOADS: dict[str, Any] = {
    PrincipalKind.user: sa.select(User.id, User.active, User.token_version, User.roles, User.agency_id,
                                  Agency.kind, User.email)
    .outerjoin(Agency, Agency.id == User.agency_id).where(User.id == sa.bindparam("sub")),
    PrincipalKind.client: sa.select(ApiClient.id, ApiClient.active, ApiClient.token_version, ApiClient.roles,
                                    ApiClient.agency_id, Agency.kind, ApiClient.client_id)
    .outerjoin(Agency, Agency.id == ApiClient.agency_id).where(ApiClient.id == sa.bindparam("sub")),
    PrincipalKind.person: sa.select(PersonAccount.id, PersonAccount.active, PersonAccount.token_version,
                                    PersonAccount.agency_id, Agency.kind, PersonAccount.person_id,
                                    PersonAccount.locked_by)
    .join(Agency, Agency.id == PersonAccount.agency_id).where(PersonAccount.id == sa.bindparam("sub")),
    "agency": sa.select(Agency.id, Agency.kind).where(Agency.id == sa.bindparam("sub")),
}


def _account_of(kind: str, row: Any) -> Account:
    if kind == PrincipalKind.person:
        return Account(id=row[0], active=row[1], token_version=row[2], roles=frozenset(), agency_id=row[3],
                       agency_kind=row[4], person_id=row[5], locked=row[6] is not None)
    if kind == "agency":
        return Account(id=row[0], active=True, token_version=0, roles=frozenset(), agency_id=row[0],
                       agency_kind=row[1])
    roles = frozenset(row[3]) if isinstance(row[3], list) else frozenset()
    return Account(id=row[0], active=row[1], token_version=row[2], roles=roles, agency_id=row[4],
                   agency_kind=row[5], email=row[6] if kind == PrincipalKind.user else None,
                   client_id=row[6] if kind == PrincipalKind.client else None)


async def _account(session: AsyncSession, kind: str, sub: uuid.UUID) -> Account | None:
    """The caller's account (every authenticated request needs it): from this process's cache, else read and
    kept, unless an invalidation came in while it was read."""
    principal_cache.ensure_listening()
    cached = principal_cache.cache()
    found = cached.get(kind, sub)
    if found is not None:
        return found
    generation = cached.generation()  # before the read: see PrincipalCache.put
    row = (await session.execute(_LOADS[kind], {"sub": sub})).first()
    if row is None:
        return None
    account = _account_of(kind, row)
    cached.put(kind, account, generation)
    return account


def _roles(raw: Any, agency_kind: AgencyKind | None) -> frozenset[Role]:
    if not isinstance(raw, list) or not raw:
        raise TokenError("no roles")
    try:
        roles = frozenset(Role(r) for r in raw)
    except ValueError:
        raise TokenError("unknown role")
    if not all(role_fits_agency(r, agency_kind) for r in roles):
        raise TokenError("role does not fit agency kind")
    return roles


async def _person_principal(session: AsyncSession, sub: uuid.UUID, claims: dict[str, Any]) -> Principal:
    """A person's token holds while her access is open and was not locked, revoked or re-issued since (the
    token version), on this very request, as a staff user's deactivation does."""
    account = await _account(session, PrincipalKind.person, sub)
    if account is None:
        raise TokenError("revoked")
    if not account.active or account.locked or account.token_version != claims.get("tv"):
        raise TokenError("revoked")
    if str(account.agency_id) != claims.get("agency_id") or claims.get("roles") != []:
        raise TokenError("agency or roles changed")
    return Principal(id=account.id, kind=PrincipalKind.person, agency_id=account.agency_id,
                     agency_kind=AgencyKind(str(account.agency_kind)), roles=frozenset(), person_id=account.person_id)


async def principal_from_token(session: AsyncSession, token: str) -> Principal:
    source, claims, idp = await verify_access_token(token)
    if source == "local":
        typ = claims.get("typ")
        try:
            sub = uuid.UUID(str(claims["sub"]))
        except ValueError:
            raise TokenError("bad sub")
        if typ == PrincipalKind.person:
            return await _person_principal(session, sub, claims)
        if typ == PrincipalKind.user:
            principal_kind = PrincipalKind.user
        elif typ == PrincipalKind.client:
            principal_kind = PrincipalKind.client
        else:
            raise TokenError("bad typ")
        row = await _account(session, principal_kind, sub)
        if row is None or not row.active or row.token_version != claims.get("tv"):
            raise TokenError("revoked")
        agency_kind = None
        if row.agency_id is not None:
            if row.agency_kind is None:
                raise TokenError("agency gone")
            agency_kind = AgencyKind(row.agency_kind)
        expected_agency = str(row.agency_id) if row.agency_id else None
        if expected_agency != claims.get("agency_id"):
            raise TokenError("agency changed")
        roles = _roles(claims.get("roles"), agency_kind)
        if not roles <= frozenset(Role(r) for r in row.roles):
            raise TokenError("roles changed")
        return Principal(
            id=row.id, kind=principal_kind, agency_id=row.agency_id, agency_kind=agency_kind, roles=roles,
            email=row.email, client_id=row.client_id,
        )
    assert idp is not None
    # A provider speaks for the one agency it is configured for: a token naming another agency, or none, is
    # refused (it must not act, read or create accounts anywhere else).
    claimed = claims.get(idp.agency_claim)
    if not isinstance(claimed, str):
        raise TokenError("no agency claim")
    try:
        agency_id = uuid.UUID(claimed)
    except ValueError:
        raise TokenError("bad agency claim")
    if agency_id != idp.agency_id:
        raise TokenError("agency not served by this issuer")
    agency = await _account(session, "agency", agency_id)
    if agency is None:
        raise TokenError("unknown agency")
    kind = AgencyKind(str(agency.agency_kind))
    roles = _roles(claims.get(idp.roles_claim), kind)
    if Role.platform_admin in roles:
        raise TokenError("external platform admin")
    email = claims.get(idp.email_claim)
    return Principal(id=external_ref(idp.issuer, str(claims["sub"])), kind=PrincipalKind.external, agency_id=agency_id,
                     agency_kind=kind, roles=roles, email=email if isinstance(email, str) else None)


def external_ref(issuer: str, subject: str) -> str:
    """A provider user's id in Tandem: fixed-length and stable, derived from issuer and subject, so neither a
    long nor a personal `sub` (often an email address) lands in audit or idempotency records."""
    return "ext-" + hashlib.sha256(f"{issuer}|{subject}".encode()).hexdigest()[:40]


async def current_principal(token: Annotated[str | None, Depends(oauth2_scheme)], session: SessionDep,
                            request: Request) -> Principal:
    if not token:
        raise Unauthorized()
    try:
        principal = await principal_from_token(session, token)
    except TokenError:
        raise Unauthorized("The token is invalid or has expired.")
    await keyring.ensure_agency_known(principal.agency_id)
    # Every authenticated route passes here: a person's token reaches her own view only, whatever the route.
    route = request.scope.get("route")
    ensure_route_open_to(principal, getattr(route, "path", None) or request.url.path)
    return principal


@cache
def require(perm: P) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """Dependency: the caller must hold `perm` (403 otherwise). One function per permission, so a request that
    names it twice checks it once."""

    async def _dep(principal: Principal = Depends(current_principal)) -> Principal:
        ensure_permission(principal, perm)
        return principal

    _dep.__name__ = f"require_{perm.name}"
    return _dep


# What a route's principal parameter says: any authenticated caller, or one holding a permission (403 otherwise).
Caller = Annotated[Principal, Depends(current_principal)]
RequiresAgencyCreate = Annotated[Principal, Depends(require(P.agency_create))]
RequiresAgencyRead = Annotated[Principal, Depends(require(P.agency_read))]
RequiresAgencyUpdate = Annotated[Principal, Depends(require(P.agency_update))]
RequiresOfficeManage = Annotated[Principal, Depends(require(P.office_manage))]
RequiresOfficeRead = Annotated[Principal, Depends(require(P.office_read))]
RequiresUserManage = Annotated[Principal, Depends(require(P.user_manage))]
RequiresUserRead = Annotated[Principal, Depends(require(P.user_read))]
RequiresClientManage = Annotated[Principal, Depends(require(P.client_manage))]
RequiresAgreementManage = Annotated[Principal, Depends(require(P.agreement_manage))]
RequiresAgreementRead = Annotated[Principal, Depends(require(P.agreement_read))]
RequiresCaseCreate = Annotated[Principal, Depends(require(P.case_create))]
RequiresCaseRead = Annotated[Principal, Depends(require(P.case_read))]
RequiresCaseUpdate = Annotated[Principal, Depends(require(P.case_update))]
RequiresCaseTeamManage = Annotated[Principal, Depends(require(P.case_team_manage))]
RequiresPersonWrite = Annotated[Principal, Depends(require(P.person_write))]
RequiresPersonRead = Annotated[Principal, Depends(require(P.person_read))]
RequiresConsentRecord = Annotated[Principal, Depends(require(P.consent_record))]
RequiresConsentRead = Annotated[Principal, Depends(require(P.consent_read))]
RequiresConsentRevoke = Annotated[Principal, Depends(require(P.consent_revoke))]
RequiresDisclosureRequest = Annotated[Principal, Depends(require(P.disclosure_request))]
RequiresDisclosureRead = Annotated[Principal, Depends(require(P.disclosure_read))]
RequiresWordingManage = Annotated[Principal, Depends(require(P.wording_manage))]
RequiresWordingRead = Annotated[Principal, Depends(require(P.wording_read))]
RequiresMandateRecord = Annotated[Principal, Depends(require(P.mandate_record))]
RequiresReferralWrite = Annotated[Principal, Depends(require(P.referral_write))]
RequiresReferralRespond = Annotated[Principal, Depends(require(P.referral_respond))]
RequiresReferralRead = Annotated[Principal, Depends(require(P.referral_read))]
RequiresRecordWrite = Annotated[Principal, Depends(require(P.record_write))]
RequiresRecordRead = Annotated[Principal, Depends(require(P.record_read))]
RequiresChecklistWork = Annotated[Principal, Depends(require(P.checklist_work))]
RequiresChecklistRead = Annotated[Principal, Depends(require(P.checklist_read))]
RequiresTemplatePublish = Annotated[Principal, Depends(require(P.template_publish))]
RequiresJunctureRecord = Annotated[Principal, Depends(require(P.juncture_record))]
RequiresAssignmentManage = Annotated[Principal, Depends(require(P.assignment_manage))]
RequiresAssignmentRead = Annotated[Principal, Depends(require(P.assignment_read))]
RequiresOndutyRead = Annotated[Principal, Depends(require(P.onduty_read))]
RequiresConsultationOpen = Annotated[Principal, Depends(require(P.consultation_open))]
RequiresConsultationRoute = Annotated[Principal, Depends(require(P.consultation_route))]
RequiresConsultationAnswer = Annotated[Principal, Depends(require(P.consultation_answer))]
RequiresConsultationRead = Annotated[Principal, Depends(require(P.consultation_read))]
RequiresAuditRead = Annotated[Principal, Depends(require(P.audit_read))]
RequiresWebhookManage = Annotated[Principal, Depends(require(P.webhook_manage))]
RequiresReportRead = Annotated[Principal, Depends(require(P.report_read))]
RequiresTaskWork = Annotated[Principal, Depends(require(P.task_work))]
RequiresFamilyInvite = Annotated[Principal, Depends(require(P.family_invite))]
RequiresPartnerView = Annotated[Principal, Depends(require(P.partner_view))]
RequiresSelfService = Annotated[Principal, Depends(require(P.self_service))]
