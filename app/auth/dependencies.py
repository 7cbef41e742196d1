"""Turning a bearer token into a Principal, and the typed permission dependency routes declare."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Coroutine
from functools import cache
from typing import Annotated, Any, TypeVar

import sqlalchemy as sa
from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.access import ensure_permission, ensure_route_open_to
from app.auth.permissions import AgencyKind, P, Role, role_fits_agency
from app.auth.principal import Principal, PrincipalKind
from app.auth.tokens import TokenError, verify_access_token
from app.core.db import SessionDep
from app.core.errors import Unauthorized
from app.identity.models import Agency, ApiClient, PersonAccount, User

Account = TypeVar("Account", User, ApiClient)

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


async def _account_and_agency(session: AsyncSession, model: type[Account],
                              sub: uuid.UUID) -> tuple[Account | None, Agency | None]:
    """The caller and its agency in one round trip (every authenticated request pays for this)."""
    found = (await session.execute(
        sa.select(model, Agency).outerjoin(Agency, Agency.id == model.agency_id).where(model.id == sub)
    )).first()
    return (found[0], found[1]) if found is not None else (None, None)


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
    found = (await session.execute(
        sa.select(PersonAccount, Agency).join(Agency, Agency.id == PersonAccount.agency_id)
        .where(PersonAccount.id == sub)
    )).first()
    if found is None:
        raise TokenError("revoked")
    account, agency = found[0], found[1]
    if not account.active or account.locked_by is not None or account.token_version != claims.get("tv"):
        raise TokenError("revoked")
    if str(account.agency_id) != claims.get("agency_id") or claims.get("roles") != []:
        raise TokenError("agency or roles changed")
    return Principal(id=account.id, kind=PrincipalKind.person, agency_id=account.agency_id,
                     agency_kind=AgencyKind(agency.kind), roles=frozenset(), person_id=account.person_id)


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
        row: User | ApiClient | None
        agency: Agency | None
        if typ == PrincipalKind.user:
            principal_kind = PrincipalKind.user
            row, agency = await _account_and_agency(session, User, sub)
        elif typ == PrincipalKind.client:
            principal_kind = PrincipalKind.client
            row, agency = await _account_and_agency(session, ApiClient, sub)
        else:
            raise TokenError("bad typ")
        if row is None or not row.active or row.token_version != claims.get("tv"):
            raise TokenError("revoked")
        agency_kind = None
        if row.agency_id is not None:
            if agency is None:
                raise TokenError("agency gone")
            agency_kind = AgencyKind(agency.kind)
        expected_agency = str(row.agency_id) if row.agency_id else None
        if expected_agency != claims.get("agency_id"):
            raise TokenError("agency changed")
        roles = _roles(claims.get("roles"), agency_kind)
        if not roles <= frozenset(Role(r) for r in row.roles):
            raise TokenError("roles changed")
        return Principal(
            id=row.id, kind=principal_kind, agency_id=row.agency_id, agency_kind=agency_kind, roles=roles,
            email=row.email if isinstance(row, User) else None,
            client_id=row.client_id if isinstance(row, ApiClient) else None,
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
    agency = await session.get(Agency, agency_id)
    if agency is None:
        raise TokenError("unknown agency")
    kind = AgencyKind(agency.kind)
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
