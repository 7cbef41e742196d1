"""The elements of each data category, and the one filter that cuts a released category down to the elements a
consent names.

A consent names, per category, either the whole category (`"court"`) or some of its elements
(`{"category": "court", "elements": ["hearings"]}`). The category's sources always return everything on file;
the disclosure path (`disclosures._apply_rule`) passes what they returned through `restrict` here, so the cut
is made in one place, after the rule has decided and before anything leaves. Each element names parts of the
data the category's sources return; `notes` (the shared notes filed under the category) is an element of every
category, so free text about findings never rides along with a consent to hearings only.

`children` also takes a child's person id as an element: the consent then releases that child's details (and
no other child's); its parts (`living_arrangement`, `school`, `visitation`, `needs`) narrow what is released.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from app.core.vocab import DataCategory

NOTES = "notes"

# category -> element -> what it releases (the OpenAPI description lists these).
ELEMENTS: dict[str, dict[str, str]] = {
    DataCategory.identity: {
        "full_name": "the name", "date_of_birth": "the date of birth", "case_role": "the role in the case",
        "language": "the preferred language"},
    DataCategory.contact: {
        "contact": "phone and email", "safe_contact_instructions": "how to contact her safely",
        "preferences": "her safe-contact preferences (channels, safe times, code word)"},
    DataCategory.location: {"address": "the address (an address-program participant's substitute only)"},
    DataCategory.safety_plan: {
        "school_pickup": "who collects the children", "exchange_location": "where the children are handed over",
        "contact_rules": "how and where she may be contacted", "if_he_appears": "what to do if he appears",
        "workplace": "arrangements at work", "transport": "how she travels safely",
        "children_plan": "what the children know to do", "other": "anything else she recorded"},
    DataCategory.protective_orders: {
        "status": "kind, dates, status, whether in force and service",
        "court": "jurisdiction, court and docket number", "parties": "the protected and restrained people",
        "terms": "the terms of the order"},
    DataCategory.services: {"services": "the services (kind, provider, dates, status, barriers)",
                            "referral": "a referral's own text: why the family was referred, the family's goals "
                                        "and what came of it"},
    DataCategory.children: {
        "living_arrangement": "where and with whom the child lives", "school": "the child's school",
        "visitation": "visitation arrangements", "needs": "the child's needs"},
    DataCategory.case_status: {
        "status": "open or closed", "stage": "the stage of the work",
        "assigned_worker": "the assigned worker", "office": "the case's office",
        "next_juncture": "the next juncture scheduled"},
    DataCategory.assessments: {"assessments": "the assessments (instrument, date, result level)"},
    DataCategory.substance_use: {"services": "substance use treatment services",
                                 "treatment": "treatment participation"},
    DataCategory.mental_health: {"services": "mental health treatment services",
                                 "treatment": "treatment participation"},
    DataCategory.court: {
        "hearings": "the court events: number, kind, date and courtroom (and the next hearing)",
        "outcomes": "each event's outcome and its details", "findings": "the coded findings",
        "attorneys": "attorneys and guardian ad litem"},
}
for _elements in ELEMENTS.values():
    _elements[NOTES] = "the shared notes filed under the category"

CHILD_PARTS = ("living_arrangement", "school", "visitation", "needs")

# The fields of each record an element releases, for the categories whose records are split by element.
_COURT_FIELDS = {
    "hearings": ("court_case_number", "court_kind", "kind", "scheduled_for", "courtroom"),
    "outcomes": ("outcome", "outcome_details"), "findings": ("findings",),
    "attorneys": ("attorneys", "guardian_ad_litem"),
}
_ORDER_FIELDS = {
    "status": ("kind", "issued_on", "expires_on", "vacated_on", "service_status", "served_on", "status", "in_force"),
    "court": ("jurisdiction", "court", "docket_number"),
    "parties": ("person_id", "protected_person_ids", "restrained_person_id"),
    "terms": ("terms",),
}
# Top-level keys of a category's data that come with an element (default: the element's own name).
_KEYS = {
    DataCategory.location: {"address": ("address", "acp_substitute", "note")},
    DataCategory.services: {"referral": ("reason", "family_goals", "outcome")},  # referrals.sharing's held text
}


def description() -> str:
    """The element vocabulary, as the OpenAPI description of a consent's `categories` shows it."""
    lines = []
    for category, elements in ELEMENTS.items():
        names = ", ".join(elements)
        extra = " or a child's person id (a child of the same case)" if category == DataCategory.children else ""
        lines.append(f"`{category}`: {names}{extra}")
    return "; ".join(lines) + "."


def _child_id(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def element_error(category: str, element: str) -> str | None:
    """Why `element` is not an element of `category` (None: it is)."""
    if element in ELEMENTS.get(category, {}):
        return None
    if category == DataCategory.children and _child_id(element) is not None:
        return None
    return f"'{element}' is not an element of {category}; one of: {', '.join(ELEMENTS.get(category, {}))}" + (
        " or a child's person id" if category == DataCategory.children else "")


def child_ids(elements: Iterable[str]) -> list[uuid.UUID]:
    """The children a `children` consent names by person id."""
    return [c for c in (_child_id(e) for e in elements) if c is not None]


def scope(entries: Iterable[Any]) -> dict[str, tuple[str, ...] | None]:
    """A consent's categories as {category: its elements, or None for the whole category}."""
    out: dict[str, tuple[str, ...] | None] = {}
    for entry in entries:
        if isinstance(entry, Mapping):
            out[str(entry["category"])] = tuple(str(e) for e in entry.get("elements") or ())
        else:
            out[str(entry)] = None
    return out


def names(entries: Iterable[Any]) -> list[str]:
    """The categories a consent names, whole or by elements."""
    return list(scope(entries))


def applies_to(category: str, elements: tuple[str, ...], person_id: uuid.UUID) -> bool:
    """Whether a consent to these elements releases anything of this person: a `children` consent that names
    children by person id releases only theirs."""
    if category != DataCategory.children:
        return True
    named = child_ids(elements)
    return not named or uuid.UUID(str(person_id)) in named


def _pick(record: Mapping[str, Any], fields: Iterable[str]) -> dict[str, Any]:
    return {k: record[k] for k in fields if k in record}


def _records(
    items: list[dict[str, Any]] | None, groups: Mapping[str, tuple[str, ...]], elements: set[str]
) -> list[dict[str, Any]] | None:
    fields = ["id"] + [f for e, fs in groups.items() if e in elements for f in fs]
    return None if items is None else [_pick(i, fields) for i in items]


def restrict(
    category: str, data: Mapping[str, Any], elements: tuple[str, ...]
) -> tuple[dict[str, Any], list[str]]:
    """Cut a category's data (everything its sources returned) down to the consented elements. Returns the
    data kept (empty: nothing of those elements is on file) and the elements released, in vocabulary order."""
    wanted = set(elements)
    out: dict[str, Any] = {}
    if NOTES in wanted and data.get(NOTES):
        out[NOTES] = data[NOTES]
    if category == DataCategory.court:
        if wanted & set(_COURT_FIELDS) and data.get("events"):
            out["events"] = _records(data["events"], _COURT_FIELDS, wanted)
            if "hearings" in wanted:
                nxt = data.get("next_hearing")
                out["next_hearing"] = None if nxt is None else _records([nxt], _COURT_FIELDS, wanted)[0]  # type: ignore[index]
    elif category == DataCategory.protective_orders:
        if wanted & set(_ORDER_FIELDS) and data.get("orders"):
            out["orders"] = _records(data["orders"], _ORDER_FIELDS, wanted)
    elif category == DataCategory.safety_plan:
        summary = data.get("safety_plan_summary")
        if summary is not None and wanted - {NOTES}:
            kept = [e for e in summary.get("elements", []) if e.get("key") in wanted]
            out["safety_plan_summary"] = {**summary, "elements": kept}
    elif category == DataCategory.children:
        details = data.get("child_details")
        parts = [p for p in CHILD_PARTS if p in wanted]
        if details is not None and (parts or child_ids(wanted)):
            out["child_details"] = _pick(details, parts or CHILD_PARTS)
        if not parts and not (wanted & {NOTES}) and child_ids(wanted) and data.get(NOTES):
            out[NOTES] = data[NOTES]  # a child named whole: her notes come with her
    else:
        keys = _KEYS.get(DataCategory(category), {})
        for element in ELEMENTS.get(category, {}):
            if element in wanted and element != NOTES:
                out.update(_pick(data, keys.get(element, (element,))))
    released = _released(category, out, wanted)
    return out, released


def _released(category: str, out: Mapping[str, Any], wanted: set[str]) -> list[str]:
    """The consented elements actually released (in vocabulary order; children's person ids last)."""
    if not out:
        return []
    if category == DataCategory.safety_plan:
        keys = [e["key"] for e in (out.get("safety_plan_summary") or {}).get("elements", [])]
        return keys + ([NOTES] if NOTES in out else [])
    named = [e for e in ELEMENTS.get(category, {}) if e in wanted]
    if category == DataCategory.children:
        named += sorted(str(c) for c in child_ids(wanted))
    return named
