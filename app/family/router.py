"""HTTP routes of the family's own view: the agency's invitations and revocation, and /api/v1/my/..."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Request, Response, status

from app.auth.dependencies import (
    RequiresFamilyInvite,
    RequiresPartnerView,
    RequiresRecordRead,
    RequiresSelfService,
    current_principal,
)
from app.auth.service import TokenGrant
from app.cases.dependencies import PersonVisible
from app.consent.schemas import DisclosurePreviewRequest
from app.contacts.schemas import ContactPreferencesPut, ContactPreferencesRead
from app.core.db import SessionDep
from app.core.http import IfMatch, tagged
from app.core.pagination import Page, PageParams
from app.family import plans, service, views
from app.family.schemas import (
    AccessRead,
    CarePlanPut,
    CarePlanRead,
    FeedbackCreate,
    FeedbackReceipt,
    GoalCreate,
    GoalRead,
    GoalUpdate,
    InvitationRead,
    LockRead,
    MeetingRequestCreate,
    MeetingRequestRead,
    MyConsent,
    MyConsentRevoke,
    MyDisclosure,
    MyIdentity,
    MyMeeting,
    MyPreview,
    MyTokenResponse,
    ParentPartnerInvite,
    ParentPartnerLinkRead,
    PartneredFamily,
    Redeem,
)

router = APIRouter(prefix="/api/v1", tags=["family"], dependencies=[Depends(current_principal)])
# Redeeming a code is the one route of her view that takes no token: it gives her the first one.
public = APIRouter(prefix="/api/v1", tags=["family"])


@router.post("/people/{person_id}/invitations", status_code=status.HTTP_201_CREATED,
             response_model=InvitationRead)
async def create_invitation(principal: RequiresFamilyInvite, person: PersonVisible, session: SessionDep) -> Any:
    """Invite an adult survivor or a non-abusive parent of your agency to her own view: a one-time code, shown
    only in this answer, valid for 72 hours. Hand it over through her safe channel. A child, the person using
    violence or anyone else in the case cannot be invited (422); a new invitation ends her earlier unused ones."""
    return await service.invite(session, principal, person)


@router.post("/people/{person_id}/access/revoke", response_model=AccessRead)
async def revoke_access(principal: RequiresFamilyInvite, person: PersonVisible, session: SessionDep) -> Any:
    """End the person's access to her own view: her sessions end on their next request, her login and unused
    invitations stop working. A new invitation opens it again."""
    return await service.revoke_access(session, principal, person)


@public.post("/my/redeem", response_model=MyTokenResponse,
             responses={422: {"description": "The code is not valid (unknown, expired, used: one answer)"},
                        429: {"description": "Too many attempts from this address"}})
async def redeem(data: Redeem, session: SessionDep, request: Request) -> TokenGrant:
    """Redeem the code your worker gave you: choose a username and a passphrase (12 characters or more) and get
    a token for your own view. Later, log in at `POST /api/v1/auth/token` (grant_type=password) with them.
    / Canjee el código que le dio su trabajadora: elija un nombre de usuario y una frase de contraseña."""
    return await service.redeem(session, data, request.client.host if request.client else "unknown")


@router.get("/my", response_model=MyIdentity)
async def my_identity(session: SessionDep, principal: RequiresSelfService) -> Any:
    """Who you are in your own view: your name, your language and the agency that holds your record."""
    return await service.whoami(session, principal)


@router.post("/my/lock", response_model=LockRead)
async def lock(session: SessionDep, principal: RequiresSelfService) -> Any:
    """Safety lock: end every session of yours now and lock your access. Only your agency can open it again
    (with a new invitation). / Bloqueo de seguridad: termina todas sus sesiones y bloquea su acceso."""
    return await service.lock(session, principal)


# ------------------------------------------------------------------ what she sees and does


@router.get("/my/consents", response_model=Page[MyConsent])
async def my_consents(session: SessionDep, principal: RequiresSelfService, page: PageParams = Depends()) -> Any:
    """Your consents as receipts: who may receive what about you, why, until when, and whether each is in force
    (in your language where there is a text in it; English and Spanish always)."""
    items, cursor = await views.my_consents(session, principal, page)
    return {"items": items, "next_cursor": cursor}


@router.post("/my/consents/{consent_id}/revoke", response_model=MyConsent)
async def revoke_my_consent(consent_id: uuid.UUID, data: MyConsentRevoke, session: SessionDep,
                            principal: RequiresSelfService) -> Any:
    """Revoke one of your consents: from the very next request nothing more is shared under it."""
    return await views.revoke_my_consent(session, principal, consent_id, data)


@router.get("/my/disclosures", response_model=Page[MyDisclosure])
async def my_disclosures(session: SessionDep, principal: RequiresSelfService, page: PageParams = Depends()) -> Any:
    """Your accounting of disclosures: every time an agency asked for information about you, what it received
    and on what basis, what it did not and why (including releases a law or court order required)."""
    items, cursor = await views.my_disclosures(session, principal, page)
    return {"items": items, "next_cursor": cursor}


@router.post("/my/preview", response_model=MyPreview)
async def my_preview(data: DisclosurePreviewRequest, session: SessionDep, principal: RequiresSelfService) -> Any:
    """What a named agency would receive about you now, if it asked: nothing is released."""
    return await views.my_preview(session, principal, data)


@router.get("/my/contact-preferences", response_model=ContactPreferencesRead)
async def my_contact_preferences(session: SessionDep, response: Response, principal: RequiresSelfService) -> Any:
    """How you want to be contacted safely (404 while nothing is on file)."""
    row, body = await views.my_contact_preferences(session, principal)
    return body if row is None else tagged(response, row, body)


@router.put("/my/contact-preferences", response_model=ContactPreferencesRead,
            responses={201: {"description": "Created", "model": ContactPreferencesRead}})
async def put_my_contact_preferences(data: ContactPreferencesPut, session: SessionDep, response: Response,
                                     principal: RequiresSelfService, if_match: str | None = IfMatch) -> Any:
    """Set how you want to be contacted safely: your worker sees the same. The first PUT creates them (201);
    after that send the ETag you read as If-Match."""
    row, body, created = await views.put_my_contact_preferences(session, principal, data, if_match)
    response.status_code = 201 if created else 200
    return tagged(response, row, body)


# ------------------------------------------------------------------ goals, care plan, meetings, requests, feedback


@router.get("/my/goals", response_model=list[GoalRead])
async def my_goals(session: SessionDep, principal: RequiresSelfService) -> Any:
    """Your goals in your own words, with their history (kept, changed, met). The team of your agency sees
    them too."""
    return await plans.my_goals(session, principal)


@router.post("/my/goals", status_code=status.HTTP_201_CREATED, response_model=GoalRead)
async def add_goal(data: GoalCreate, session: SessionDep, response: Response, principal: RequiresSelfService) -> Any:
    """Add a goal, in your own words."""
    goal, body = await plans.add_goal(session, principal, data)
    return tagged(response, goal, body)


@router.patch("/my/goals/{goal_id}", response_model=GoalRead)
async def update_goal(goal_id: uuid.UUID, data: GoalUpdate, session: SessionDep, response: Response,
                      principal: RequiresSelfService, if_match: str | None = IfMatch) -> Any:
    """Change a goal's words, mark it met, or say at a review that it is still yours (kept)."""
    goal, body = await plans.update_goal(session, principal, goal_id, data, if_match)
    return tagged(response, goal, body)


@router.get("/my/care-plan", response_model=CarePlanRead)
async def my_care_plan(session: SessionDep, response: Response, principal: RequiresSelfService) -> Any:
    """Your plan for who would care for your children if you could not (404 until you write one)."""
    plan, body = await plans.my_care_plan(session, principal)
    return tagged(response, plan, body)


@router.put("/my/care-plan", response_model=CarePlanRead,
            responses={201: {"description": "Created", "model": CarePlanRead}})
async def put_care_plan(data: CarePlanPut, session: SessionDep, response: Response, principal: RequiresSelfService,
                        if_match: str | None = IfMatch) -> Any:
    """Write your care plan: the first PUT creates it (201); after that send the ETag you read as If-Match."""
    plan, body, created = await plans.put_care_plan(session, principal, data, if_match)
    response.status_code = 201 if created else 200
    return tagged(response, plan, body)


@router.get("/my/meetings", response_model=list[MyMeeting])
async def my_meetings(session: SessionDep, principal: RequiresSelfService) -> Any:
    """The family meetings and hearings of your case."""
    return await plans.my_meetings(session, principal)


@router.post("/my/meeting-requests", status_code=status.HTTP_201_CREATED, response_model=MeetingRequestRead)
async def request_meeting(data: MeetingRequestCreate, session: SessionDep, principal: RequiresSelfService) -> Any:
    """Ask for a separate meeting or an interpreter: your worker gets it as a task."""
    return await plans.request_meeting(session, principal, data)


@router.post("/my/feedback", status_code=status.HTTP_202_ACCEPTED, response_model=FeedbackReceipt)
async def give_feedback(data: FeedbackCreate, session: SessionDep, principal: RequiresSelfService) -> Any:
    """Tell us how an agency worked with you. Your answers are counted with others' only, never shown alone."""
    return await plans.give_feedback(session, principal, data)


@router.get("/people/{person_id}/family-goals", response_model=list[GoalRead])
async def family_goals(principal: RequiresRecordRead, person: PersonVisible, session: SessionDep) -> Any:
    """The person's goals in her own words, as she wrote them in her own view, with their history (the team
    of her agency)."""
    return await plans.goals_of_person(session, principal, person)


# ------------------------------------------------------------------ parent partners


@router.post("/my/parent-partners", status_code=status.HTTP_201_CREATED, response_model=ParentPartnerLinkRead)
async def invite_parent_partner(data: ParentPartnerInvite, session: SessionDep,
                                principal: RequiresSelfService) -> Any:
    """Invite a parent partner (a peer mentor with lived experience) to walk beside you: she sees your goals and
    your meetings, never your case records."""
    return await plans.invite_parent_partner(session, principal, data)


@router.get("/my/parent-partners", response_model=list[ParentPartnerLinkRead])
async def my_parent_partners(session: SessionDep, principal: RequiresSelfService) -> Any:
    """The parent partners you invited and who still see your goals and meetings."""
    return await plans.my_parent_partners(session, principal)


@router.delete("/my/parent-partners/{link_id}", status_code=status.HTTP_204_NO_CONTENT)
async def end_parent_partner(link_id: uuid.UUID, session: SessionDep, principal: RequiresSelfService) -> Response:
    """Send a parent partner away: from the next request on she sees nothing of yours."""
    await plans.end_parent_partner(session, principal, link_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/partner/families", response_model=list[PartneredFamily])
async def partnered_families(session: SessionDep, principal: RequiresPartnerView) -> Any:
    """The families that invited you (parent partners)."""
    return await plans.partnered_families(session, principal)


@router.get("/partner/families/{link_id}/goals", response_model=list[GoalRead])
async def partner_goals(link_id: uuid.UUID, session: SessionDep, principal: RequiresPartnerView) -> Any:
    """The goals a family that invited you shares with you."""
    return await plans.partner_goals(session, principal, link_id)


@router.get("/partner/families/{link_id}/meetings", response_model=list[MyMeeting])
async def partner_meetings(link_id: uuid.UUID, session: SessionDep, principal: RequiresPartnerView) -> Any:
    """The meetings and hearings of a family that invited you."""
    return await plans.partner_meetings(session, principal, link_id)
