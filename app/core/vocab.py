"""Fixed vocabularies shared by every domain (agreements, consents, disclosures, referrals, reports).

Values are part of the API contract (API.md): add members with a deprecation path, never rename one.
"""

from __future__ import annotations

from enum import StrEnum


class DataCategory(StrEnum):
    """Categories of information about a person; consents, agreements and disclosures name these."""

    identity = "identity"
    contact = "contact"
    location = "location"
    safety_plan = "safety_plan"
    protective_orders = "protective_orders"
    services = "services"
    children = "children"
    case_status = "case_status"
    assessments = "assessments"
    substance_use = "substance_use"
    mental_health = "mental_health"
    court = "court"


class Purpose(StrEnum):
    """Why information is shared; consents, agreements and disclosures name these."""

    referral = "referral"
    service_coordination = "service_coordination"
    safety_planning = "safety_planning"
    case_planning = "case_planning"
    court_proceedings = "court_proceedings"
    reporting_aggregate = "reporting_aggregate"


class CaseRole(StrEnum):
    """The part a person plays in a case. A person_using_violence can never grant consent for anyone."""

    adult_survivor = "adult_survivor"
    child = "child"
    person_using_violence = "person_using_violence"
    caregiver = "caregiver"
    other = "other"


class CaseStage(StrEnum):
    """Where the work on a case stands; released to partners under `case_status`. `closed` follows the case's
    status (closing a case sets it; a reopened case goes back to the stage given, else `intake`)."""

    intake = "intake"
    investigation = "investigation"
    in_home_services = "in_home_services"
    placement = "placement"
    reunification = "reunification"
    closed = "closed"


class CaseClosureReason(StrEnum):
    """Why a case was closed (a fixed vocabulary, recorded by POST /cases/{id}/close)."""

    services_completed = "services_completed"
    family_moved = "family_moved"
    no_safety_concerns = "no_safety_concerns"
    transferred = "transferred"
    court_ordered = "court_ordered"
    other = "other"


class SafetyFactor(StrEnum):
    """What made a child unsafe, as recorded on a removal. Reports count removals where domestic violence is
    the only factor (the practice guidance asks that DV alone rarely be the reason a child leaves a protective
    parent)."""

    domestic_violence = "domestic_violence"
    physical_abuse = "physical_abuse"
    sexual_abuse = "sexual_abuse"
    neglect = "neglect"
    substance_use = "substance_use"
    mental_health = "mental_health"
    housing = "housing"
    other = "other"
