"""Every text the family's own view writes, in English and Spanish (at least): labels of categories, purposes
and reasons, and the plain-language sentences of her consent receipts and her accounting of disclosures.

The texts name agencies and dates only, never a person: what is about someone else never enters a sentence.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

LANGUAGES = ("en", "es")

CATEGORY = {
    "identity": ("who you are (name, date of birth)", "quién es usted (nombre, fecha de nacimiento)"),
    "contact": ("how to reach you", "cómo comunicarse con usted"),
    "location": ("where you live", "dónde vive"),
    "safety_plan": ("your safety plan", "su plan de seguridad"),
    "protective_orders": ("protective orders", "órdenes de protección"),
    "services": ("the services you receive", "los servicios que recibe"),
    "children": ("your children's situation", "la situación de sus hijos"),
    "case_status": ("the state of your case", "el estado de su caso"),
    "assessments": ("assessments", "evaluaciones"),
    "substance_use": ("substance use treatment", "tratamiento por uso de sustancias"),
    "mental_health": ("mental health care", "atención de salud mental"),
    "court": ("court matters", "asuntos judiciales"),
}

PURPOSE = {
    "referral": ("a referral", "una remisión"),
    "service_coordination": ("coordinating services", "coordinar servicios"),
    "safety_planning": ("safety planning", "planificar su seguridad"),
    "case_planning": ("planning your case", "planificar su caso"),
    "court_proceedings": ("court proceedings", "procedimientos judiciales"),
    "reporting_aggregate": ("anonymous statistics", "estadísticas anónimas"),
}

REASON = {
    "no_consent": ("you had not agreed", "usted no lo había autorizado"),
    "consent_expired": ("your consent had ended", "su consentimiento había vencido"),
    "consent_revoked": ("you had revoked your consent", "usted había revocado su consentimiento"),
    "consent_not_yet_valid": ("your consent had not started yet", "su consentimiento aún no había comenzado"),
    "purpose_not_consented": ("you had not agreed to that purpose", "usted no había autorizado ese propósito"),
    "category_not_consented": ("you had not agreed to share that", "usted no había autorizado compartir eso"),
    "elements_not_consented": ("you had agreed to share only part of it",
                               "usted había autorizado compartir solo una parte"),
    "mandate_notice_pending": ("you were still to be told of a legal order first",
                               "primero se le debía avisar de una orden legal"),
    "no_agreement": ("the agencies have no data-sharing agreement", "las agencias no tienen un acuerdo para compartir datos"),
    "no_data": ("there was nothing on file", "no había nada en el expediente"),
}
OTHER_REASON = ("the rules did not allow it", "las reglas no lo permitían")

BASIS = {
    "consent": ("with your consent", "con su consentimiento"),
    "legal_mandate": ("because a law or a court order requires it", "porque una ley o una orden judicial lo exige"),
    "own_agency": ("within the agency that holds your record", "dentro de la agencia que tiene su expediente"),
    "mixed": ("partly with your consent, partly because a law or court order requires it",
              "en parte con su consentimiento, en parte por una ley u orden judicial"),
    "none": ("nothing was shared", "no se compartió nada"),
}

MANDATE_BASIS = {
    "statute": ("a law", "una ley"),
    "court_order": ("a court order", "una orden judicial"),
    "subpoena": ("a subpoena", "una citación judicial"),
}


def _i(lang: str) -> int:
    return LANGUAGES.index(lang)


def _join(words: list[str], lang: str) -> str:
    if len(words) <= 1:
        return "".join(words)
    last = " and " if lang == "en" else " y "
    return ", ".join(words[:-1]) + last + words[-1]


def categories(names: Iterable[str], lang: str) -> str:
    return _join([CATEGORY.get(n, (n, n))[_i(lang)] for n in names], lang)


def purposes(names: Iterable[str], lang: str) -> str:
    return _join([PURPOSE.get(n, (n, n))[_i(lang)] for n in names], lang)


def reason(code: str, lang: str) -> str:
    return REASON.get(code, OTHER_REASON)[_i(lang)]


def day(at: datetime) -> str:
    return at.date().isoformat()


def consent_receipt(agency: str, cats: list[str], purps: list[str], valid_from: datetime, until: datetime,
                    status: str) -> dict[str, str]:
    """'<agency> may receive <what> for <why> from <date> until <date>.' and its state, per language."""
    state = {
        "active": ("This consent is in force.", "Este consentimiento está vigente."),
        "revoked": ("You or your agency revoked it: nothing more is shared under it.",
                    "Usted o su agencia lo revocó: ya no se comparte nada con él."),
        "expired": ("It has ended: nothing more is shared under it.", "Ha vencido: ya no se comparte nada con él."),
        "not_yet_valid": ("It has not started yet.", "Aún no ha comenzado."),
    }.get(status, ("", ""))
    return {
        "en": f"{agency} may receive {categories(cats, 'en')} for {purposes(purps, 'en')}, from {day(valid_from)} "
              f"until {day(until)}. {state[0]} You can revoke it at any time.",
        "es": f"{agency} puede recibir {categories(cats, 'es')} para {purposes(purps, 'es')}, desde "
              f"{day(valid_from)} hasta {day(until)}. {state[1]} Puede revocarlo en cualquier momento.",
    }


def disclosure_entry(agency: str, at: datetime, purpose: str, released: list[str], withheld: list[dict[str, str]],
                     basis: str, mandate_bases: list[str]) -> dict[str, str]:
    """One line of her accounting: who asked, when, why, what was shared and on what basis, what was not and
    why, and for a legal mandate the kind of order it was."""
    out = {}
    for lang in LANGUAGES:
        i = _i(lang)
        asked = (f"On {day(at)}, {agency} asked for information about you for {purposes([purpose], lang)}."
                 if lang == "en" else
                 f"El {day(at)}, {agency} pidió información sobre usted para {purposes([purpose], lang)}.")
        parts = [asked]
        if released:
            parts.append(f"Shared: {categories(released, lang)}, {BASIS.get(basis, BASIS['none'])[i]}."
                          if lang == "en" else
                          f"Se compartió: {categories(released, lang)}, {BASIS.get(basis, BASIS['none'])[i]}.")
        else:
            parts.append("Nothing was shared." if lang == "en" else "No se compartió nada.")
        for w in withheld:
            parts.append(f"Not shared: {categories([w['category']], lang)}, because {reason(w['reason'], lang)}."
                          if lang == "en" else
                          f"No se compartió: {categories([w['category']], lang)}, porque {reason(w['reason'], lang)}.")
        if mandate_bases:
            kinds = _join([MANDATE_BASIS.get(b, MANDATE_BASIS["statute"])[i] for b in mandate_bases], lang)
            parts.append(f"This release was required by {kinds}; your agency must tell you about it."
                          if lang == "en" else
                          f"Esta entrega fue exigida por {kinds}; su agencia debe informarle.")
        out[lang] = " ".join(parts)
    return out


def preview_line(agency: str, released: list[str], withheld: list[dict[str, str]]) -> dict[str, str]:
    out = {}
    for lang in LANGUAGES:
        shared = categories(released, lang) or ("nothing" if lang == "en" else "nada")
        line = (f"If {agency} asked now, it would receive: {shared}." if lang == "en" else
                f"Si {agency} lo pidiera ahora, recibiría: {shared}.")
        for w in withheld:
            line += (f" Not {categories([w['category']], lang)}: {reason(w['reason'], lang)}." if lang == "en" else
                     f" No {categories([w['category']], lang)}: {reason(w['reason'], lang)}.")
        out[lang] = line
    return out


def pick(texts: dict[str, str], language: str | None) -> str:
    """Her language where there is a text in it, else English."""
    lang = (language or "en").split("-")[0].lower()
    return texts.get(lang, texts["en"])


_MEETING = {
    "family_meeting": ("A family meeting", "Una reunión familiar"),
    "court_juncture": ("A court date", "Una fecha en el tribunal"),
    "hearing": ("A hearing", "Una audiencia"),
}


def meeting(kind: str, at: datetime) -> dict[str, str]:
    en, es = _MEETING.get(kind, _MEETING["hearing"])
    return {"en": f"{en} on {day(at)}. You can ask for a separate meeting or an interpreter.",
            "es": f"{es} el {day(at)}. Puede pedir una reunión por separado o un intérprete."}


def request_receipt(kind: str) -> dict[str, str]:
    if kind == "interpreter":
        return {"en": "Your request for an interpreter was sent to your worker.",
                "es": "Su pedido de un intérprete fue enviado a su trabajadora."}
    return {"en": "Your request for a separate meeting was sent to your worker.",
            "es": "Su pedido de una reunión por separado fue enviado a su trabajadora."}


FEEDBACK_THANKS = {
    "en": "Thank you. Your answers are only ever counted together with others', never shown on their own.",
    "es": "Gracias. Sus respuestas solo se cuentan junto con las de otras personas, nunca se muestran solas.",
}


def partner_receipt(name: str) -> dict[str, str]:
    return {"en": f"{name} will see your goals and your meetings, nothing else.",
            "es": f"{name} verá sus metas y sus reuniones, nada más."}
