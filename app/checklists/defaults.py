"""The default safety-guidance checklist for each juncture of a CPS case where domestic violence is present.

The content follows the practice models the service was built around: partner with the survivor,
intervene with the person using violence as a parent, and keep her safety plan and whereabouts out of
his reach. Items marked `safety_critical` must be done (or marked not applicable with a note) before a
checklist can be completed, and no agency version may drop them or make them optional.

The migration that creates the checklist tables inserts these as version 1 of each default template.
Changing them later takes a new migration that publishes a new default version; keys never change.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TypedDict


class Juncture(StrEnum):
    intake = "intake"
    investigation = "investigation"
    safety_planning = "safety_planning"
    family_meeting = "family_meeting"
    court = "court"
    removal = "removal"
    case_planning = "case_planning"
    reunification = "reunification"
    closure = "closure"


class TemplateItem(TypedDict):
    key: str
    text: str
    guidance: str
    safety_critical: bool


def _item(key: str, text: str, guidance: str, critical: bool = False) -> TemplateItem:
    return {"key": key, "text": text, "guidance": guidance, "safety_critical": critical}


DEFAULT_TEMPLATES: dict[Juncture, list[TemplateItem]] = {
    Juncture.intake: [
        _item(
            "caller_immediate_safety",
            "If the caller is the survivor, check immediate safety first.",
            "Before anything else, ask whether she and the children are safe at this moment, whether the "
            "person using violence is there or expected back, and whether there are weapons in reach. If "
            "the answer is no or uncertain, help her get to safety (emergency services, a DV hotline) "
            "before taking the rest of the report.",
            True,
        ),
        _item(
            "screen_dv_indicators",
            "Screen for signs of domestic violence.",
            "Ask about threats, weapons, injuries, harm to pets or damage to property, control over money, "
            "movement or contact with others, and who in the household is afraid of whom. Record what was "
            "asked and what was said, in the caller's words where possible.",
        ),
        _item(
            "protect_reporter_identity",
            "Keep the reporter's identity out of narrative the family can see.",
            "Anything written in the narrative may later be read by both parents. Describe the concern "
            "without naming or hinting at who reported it, especially when the reporter is the survivor or "
            "someone he could retaliate against.",
            True,
        ),
        _item(
            "offer_dv_resources",
            "Give the caller domestic violence resources.",
            "Offer the local DV program and hotline numbers whether or not the report is screened in. "
            "Check that it is safe to give them in this call before reading them out.",
        ),
    ],
    Juncture.investigation: [
        _item(
            "interview_survivor_alone_first",
            "See the survivor first and alone, in her language, out of his hearing.",
            "Arrange the first contact so that she can speak freely: separately from him, with a qualified "
            "interpreter rather than a family member, and where he cannot overhear. Interview every member "
            "of the household separately.",
            True,
        ),
        _item(
            "no_dv_questions_if_not_separated",
            "If the partners cannot be separated, do not raise domestic violence at this visit.",
            "Asking about violence in front of him can put her and the children in danger after you leave. "
            "Keep the visit to other matters and arrange a safe, separate contact instead.",
            True,
        ),
        _item(
            "protect_survivor_disclosures",
            "Never pass what the survivor or a child disclosed to the person using violence.",
            "Do not repeat, quote or hint at their disclosures when talking with him unless she has agreed "
            "after planning for her safety. Base what you raise with him on other sources where you can.",
            True,
        ),
        _item(
            "delay_pav_interview_if_dangerous",
            "Delay his interview when it would endanger anyone.",
            "With supervisor approval, postpone interviewing the person using violence until a safety plan "
            "is in place, if speaking to him first could provoke retaliation against her or the children.",
        ),
        _item(
            "identify_predominant_aggressor",
            "Where both partners are accused, identify the predominant aggressor.",
            "Look at the history, the pattern of control, who is afraid, injuries, and which acts were "
            "self-defence. Avoid treating the violence as mutual without that assessment.",
        ),
    ],
    Juncture.safety_planning: [
        _item(
            "document_pattern_and_protection",
            "Document his pattern, its effect on the children, and her protective efforts.",
            "Record the behaviours of the person using violence as a parenting choice, how they have "
            "affected the children, and everything she has already done to keep them safe.",
        ),
        _item(
            "survivor_owns_safety_plan",
            "The safety plan is hers; plan for escalation at separation or legal action.",
            "Build on her own assessment of what keeps her and the children safe. Separation, a court "
            "filing or a protection order can increase the danger; plan for those moments with her.",
            True,
        ),
        _item(
            "dv_plan_kept_out_of_cps_file",
            "Keep the written DV safety plan out of the CPS file.",
            "Her detailed DV safety plan stays with her and her advocate. The CPS record notes that a plan "
            "exists and the child-safety actions agreed, never its details.",
            True,
        ),
        _item(
            "no_risky_requirements",
            "Do not require a protection order or any step that puts her at risk.",
            "Conditions such as obtaining a protection order, leaving the home or confronting him can raise "
            "the danger. Offer them as options she decides on with her advocate, never as requirements.",
            True,
        ),
    ],
    Juncture.family_meeting: [
        _item(
            "prepare_each_parent_privately",
            "Meet each parent privately beforehand.",
            "Ask about protection orders, what she fears, whether she wants to meet separately, and agree "
            "a signal she can use to ask for a break or to end the meeting.",
            True,
        ),
        _item(
            "separate_meetings_when_needed",
            "Hold separate meetings where her safety plan calls for it.",
            "Her safety plan decides whether the parents meet together. When in doubt, hold separate "
            "meetings and share only what she agrees to.",
            True,
        ),
        _item(
            "no_disclosure_in_meeting",
            "Never ask her or a child to disclose violence in the meeting.",
            "Disclosures belong in private, safe conversations. In the meeting, rely on what has already "
            "been assessed and on information she has agreed to share.",
            True,
        ),
        _item(
            "accountability_without_confrontation",
            "Hold him accountable without a confrontation that raises risk.",
            "Focus on his behaviour and its effect on the children, and on what he must change, in a way "
            "that does not expose her as the source or provoke retaliation after the meeting.",
        ),
    ],
    Juncture.court: [
        _item(
            "allegations_name_his_conduct",
            "Allegations name his conduct, not her \"failure to protect\".",
            "Draft the petition so the person using violence is the subject of the allegations about the "
            "violence, and describe her protective efforts accurately.",
        ),
        _item(
            "protect_dv_records_and_addresses",
            "Keep DV records and addresses where they are not released to him; warn her before any release.",
            "File DV-related records and any address in a part of the file that is not shared with him. If "
            "a court orders release, tell her first so she can plan for her safety.",
            True,
        ),
        _item(
            "use_address_confidentiality",
            "Use address confidentiality procedures; never write down a shelter location.",
            "Use the substitute address of the address confidentiality program where she is enrolled. "
            "Shelter locations are never written in any document, note or form.",
            True,
        ),
        _item(
            "courthouse_safety",
            "Plan courthouse safety.",
            "Arrange separate waiting areas, tell court security about the risk, and let her leave first "
            "with enough time to get away safely.",
        ),
    ],
    Juncture.removal: [
        _item(
            "removal_last_resort",
            "Treat removal as the last resort.",
            "Removal is considered only after partnering with her on the children's safety and intervening "
            "with him as a parent have been tried or ruled out.",
        ),
        _item(
            "decide_on_his_dangerousness",
            "Let his dangerousness, not her behaviour, drive the decision.",
            "Assess the danger he poses and prefer an in-home safety plan that keeps the children with "
            "their protective parent where possible.",
        ),
        _item(
            "screen_relative_placements",
            "Screen relative placements for domestic violence.",
            "Check relatives and their households for violence and for ties to the person using violence "
            "that could expose the children or her to him.",
            True,
        ),
        _item(
            "protect_placement_addresses",
            "Keep placement and survivor addresses out of papers he can see.",
            "Leave the children's placement address and her address out of every document, notice or "
            "order that will be served on or shown to him.",
            True,
        ),
    ],
    Juncture.case_planning: [
        _item(
            "his_tasks_are_behaviour_change",
            "His tasks are changes in behaviour, checked from several sources.",
            "Measure progress by what he stops and starts doing as a parent, confirmed by more than one "
            "source, not by attendance at classes.",
        ),
        _item(
            "her_tasks_safety_checked",
            "Check every task of hers for safety; keep her plan minimal.",
            "For each task, ask whether it could increase the danger to her or the children, and drop or "
            "change it if so. Do not load her plan with tasks that belong to him.",
            True,
        ),
        _item(
            "no_joint_services",
            "No joint services for both partners.",
            "Do not refer the couple to couples counselling, joint mediation or any other service that puts "
            "them in the same room while violence is a concern.",
            True,
        ),
    ],
    Juncture.reunification: [
        _item(
            "staggered_supervised_visits",
            "Supervise visits with staggered arrival and departure.",
            "Set visit times so the parents never meet on arrival or departure, and supervise his time with "
            "the children.",
        ),
        _item(
            "watch_for_abuse_through_visits",
            "Watch for abuse continuing through visits and exchanges.",
            "Visits and handovers are a common route for threats, messages and stalking. Ask her and the "
            "children about them and adjust the arrangements when they are used to continue the abuse.",
            True,
        ),
        _item(
            "separation_not_safety",
            "Separation alone does not make the child safe.",
            "Check that the danger has actually reduced before reunifying; the period after separation can "
            "be the most dangerous.",
        ),
    ],
    Juncture.closure: [
        _item(
            "closing_safety_assessment",
            "Record a closing safety assessment.",
            "Record that no current threat to the children remains, with a fresh look at his pattern of "
            "behaviour and what has changed.",
        ),
        _item(
            "leave_connected_to_advocacy",
            "Leave her connected to advocacy and explain future reports.",
            "Make sure she knows how to reach her DV advocate after the case closes, and explain how any "
            "future report to CPS would be handled.",
        ),
    ],
}


def critical_keys(items: list[TemplateItem] | list[dict]) -> list[str]:
    """Keys of the safety-critical items, in template order."""
    return [i["key"] for i in items if i.get("safety_critical")]
