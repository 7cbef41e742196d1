"""checklists: versioned juncture templates (with the nine defaults), checklists on cases, item history,
juncture records

The defaults are inserted as version 1 of each juncture's default template. They are a copy, made here, of
app/checklists/defaults.py as it was when this revision was written: a revision never reads live code, so it
builds the same rows whatever the code says later. Changing a default takes a new revision that publishes a
new default version.

Revision ID: checklists
Revises: referrals
Create Date: 2026-11-23 18:05:00
"""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = 'checklists'
down_revision: str | Sequence[str] | None = 'referrals'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Fixed ids for version 1 of each default template, so the downgrade removes exactly what was inserted.
_NS = uuid.UUID("6f1d1c1e-8a52-4c36-9d0e-2b7f1c0e5a11")


def _default_id(juncture: str) -> uuid.UUID:
    return uuid.uuid5(_NS, f"default:{juncture}:1")


DEFAULT_TEMPLATES: dict[str, list[dict[str, str | bool]]] = {
    'intake': [
        {
            'key': 'caller_immediate_safety',
            'text': 'If the caller is the survivor, check immediate safety first.',
            'guidance': (
                'Before anything else, ask whether she and the children are safe at this moment, whether '
                'the person using violence is there or expected back, and whether there are weapons in '
                'reach. If the answer is no or uncertain, help her get to safety (emergency services, a DV '
                'hotline) before taking the rest of the report.'
            ),
            'safety_critical': True,
        },
        {
            'key': 'screen_dv_indicators',
            'text': 'Screen for signs of domestic violence.',
            'guidance': (
                'Ask about threats, weapons, injuries, harm to pets or damage to property, control over '
                'money, movement or contact with others, and who in the household is afraid of whom. Record '
                "what was asked and what was said, in the caller's words where possible."
            ),
            'safety_critical': False,
        },
        {
            'key': 'protect_reporter_identity',
            'text': "Keep the reporter's identity out of narrative the family can see.",
            'guidance': (
                'Anything written in the narrative may later be read by both parents. Describe the concern '
                'without naming or hinting at who reported it, especially when the reporter is the survivor '
                'or someone he could retaliate against.'
            ),
            'safety_critical': True,
        },
        {
            'key': 'offer_dv_resources',
            'text': 'Give the caller domestic violence resources.',
            'guidance': (
                'Offer the local DV program and hotline numbers whether or not the report is screened in. '
                'Check that it is safe to give them in this call before reading them out.'
            ),
            'safety_critical': False,
        },
    ],
    'investigation': [
        {
            'key': 'interview_survivor_alone_first',
            'text': 'See the survivor first and alone, in her language, out of his hearing.',
            'guidance': (
                'Arrange the first contact so that she can speak freely: separately from him, with a '
                'qualified interpreter rather than a family member, and where he cannot overhear. Interview '
                'every member of the household separately.'
            ),
            'safety_critical': True,
        },
        {
            'key': 'no_dv_questions_if_not_separated',
            'text': 'If the partners cannot be separated, do not raise domestic violence at this visit.',
            'guidance': (
                'Asking about violence in front of him can put her and the children in danger after you '
                'leave. Keep the visit to other matters and arrange a safe, separate contact instead.'
            ),
            'safety_critical': True,
        },
        {
            'key': 'protect_survivor_disclosures',
            'text': 'Never pass what the survivor or a child disclosed to the person using violence.',
            'guidance': (
                'Do not repeat, quote or hint at their disclosures when talking with him unless she has '
                'agreed after planning for her safety. Base what you raise with him on other sources where '
                'you can.'
            ),
            'safety_critical': True,
        },
        {
            'key': 'delay_pav_interview_if_dangerous',
            'text': 'Delay his interview when it would endanger anyone.',
            'guidance': (
                'With supervisor approval, postpone interviewing the person using violence until a safety '
                'plan is in place, if speaking to him first could provoke retaliation against her or the '
                'children.'
            ),
            'safety_critical': False,
        },
        {
            'key': 'identify_predominant_aggressor',
            'text': 'Where both partners are accused, identify the predominant aggressor.',
            'guidance': (
                'Look at the history, the pattern of control, who is afraid, injuries, and which acts were '
                'self-defence. Avoid treating the violence as mutual without that assessment.'
            ),
            'safety_critical': False,
        },
    ],
    'safety_planning': [
        {
            'key': 'document_pattern_and_protection',
            'text': 'Document his pattern, its effect on the children, and her protective efforts.',
            'guidance': (
                'Record the behaviours of the person using violence as a parenting choice, how they have '
                'affected the children, and everything she has already done to keep them safe.'
            ),
            'safety_critical': False,
        },
        {
            'key': 'survivor_owns_safety_plan',
            'text': 'The safety plan is hers; plan for escalation at separation or legal action.',
            'guidance': (
                'Build on her own assessment of what keeps her and the children safe. Separation, a court '
                'filing or a protection order can increase the danger; plan for those moments with her.'
            ),
            'safety_critical': True,
        },
        {
            'key': 'dv_plan_kept_out_of_cps_file',
            'text': 'Keep the written DV safety plan out of the CPS file.',
            'guidance': (
                'Her detailed DV safety plan stays with her and her advocate. The CPS record notes that a '
                'plan exists and the child-safety actions agreed, never its details.'
            ),
            'safety_critical': True,
        },
        {
            'key': 'no_risky_requirements',
            'text': 'Do not require a protection order or any step that puts her at risk.',
            'guidance': (
                'Conditions such as obtaining a protection order, leaving the home or confronting him can '
                'raise the danger. Offer them as options she decides on with her advocate, never as '
                'requirements.'
            ),
            'safety_critical': True,
        },
    ],
    'family_meeting': [
        {
            'key': 'prepare_each_parent_privately',
            'text': 'Meet each parent privately beforehand.',
            'guidance': (
                'Ask about protection orders, what she fears, whether she wants to meet separately, and '
                'agree a signal she can use to ask for a break or to end the meeting.'
            ),
            'safety_critical': True,
        },
        {
            'key': 'separate_meetings_when_needed',
            'text': 'Hold separate meetings where her safety plan calls for it.',
            'guidance': (
                'Her safety plan decides whether the parents meet together. When in doubt, hold separate '
                'meetings and share only what she agrees to.'
            ),
            'safety_critical': True,
        },
        {
            'key': 'no_disclosure_in_meeting',
            'text': 'Never ask her or a child to disclose violence in the meeting.',
            'guidance': (
                'Disclosures belong in private, safe conversations. In the meeting, rely on what has '
                'already been assessed and on information she has agreed to share.'
            ),
            'safety_critical': True,
        },
        {
            'key': 'accountability_without_confrontation',
            'text': 'Hold him accountable without a confrontation that raises risk.',
            'guidance': (
                'Focus on his behaviour and its effect on the children, and on what he must change, in a '
                'way that does not expose her as the source or provoke retaliation after the meeting.'
            ),
            'safety_critical': False,
        },
    ],
    'court': [
        {
            'key': 'allegations_name_his_conduct',
            'text': 'Allegations name his conduct, not her "failure to protect".',
            'guidance': (
                'Draft the petition so the person using violence is the subject of the allegations about '
                'the violence, and describe her protective efforts accurately.'
            ),
            'safety_critical': False,
        },
        {
            'key': 'protect_dv_records_and_addresses',
            'text': (
                'Keep DV records and addresses where they are not released to him; warn her before any '
                'release.'
            ),
            'guidance': (
                'File DV-related records and any address in a part of the file that is not shared with him. '
                'If a court orders release, tell her first so she can plan for her safety.'
            ),
            'safety_critical': True,
        },
        {
            'key': 'use_address_confidentiality',
            'text': 'Use address confidentiality procedures; never write down a shelter location.',
            'guidance': (
                'Use the substitute address of the address confidentiality program where she is enrolled. '
                'Shelter locations are never written in any document, note or form.'
            ),
            'safety_critical': True,
        },
        {
            'key': 'courthouse_safety',
            'text': 'Plan courthouse safety.',
            'guidance': (
                'Arrange separate waiting areas, tell court security about the risk, and let her leave '
                'first with enough time to get away safely.'
            ),
            'safety_critical': False,
        },
    ],
    'removal': [
        {
            'key': 'removal_last_resort',
            'text': 'Treat removal as the last resort.',
            'guidance': (
                "Removal is considered only after partnering with her on the children's safety and "
                'intervening with him as a parent have been tried or ruled out.'
            ),
            'safety_critical': False,
        },
        {
            'key': 'decide_on_his_dangerousness',
            'text': 'Let his dangerousness, not her behaviour, drive the decision.',
            'guidance': (
                'Assess the danger he poses and prefer an in-home safety plan that keeps the children with '
                'their protective parent where possible.'
            ),
            'safety_critical': False,
        },
        {
            'key': 'screen_relative_placements',
            'text': 'Screen relative placements for domestic violence.',
            'guidance': (
                'Check relatives and their households for violence and for ties to the person using '
                'violence that could expose the children or her to him.'
            ),
            'safety_critical': True,
        },
        {
            'key': 'protect_placement_addresses',
            'text': 'Keep placement and survivor addresses out of papers he can see.',
            'guidance': (
                "Leave the children's placement address and her address out of every document, notice or "
                'order that will be served on or shown to him.'
            ),
            'safety_critical': True,
        },
    ],
    'case_planning': [
        {
            'key': 'his_tasks_are_behaviour_change',
            'text': 'His tasks are changes in behaviour, checked from several sources.',
            'guidance': (
                'Measure progress by what he stops and starts doing as a parent, confirmed by more than one '
                'source, not by attendance at classes.'
            ),
            'safety_critical': False,
        },
        {
            'key': 'her_tasks_safety_checked',
            'text': 'Check every task of hers for safety; keep her plan minimal.',
            'guidance': (
                'For each task, ask whether it could increase the danger to her or the children, and drop '
                'or change it if so. Do not load her plan with tasks that belong to him.'
            ),
            'safety_critical': True,
        },
        {
            'key': 'no_joint_services',
            'text': 'No joint services for both partners.',
            'guidance': (
                'Do not refer the couple to couples counselling, joint mediation or any other service that '
                'puts them in the same room while violence is a concern.'
            ),
            'safety_critical': True,
        },
    ],
    'reunification': [
        {
            'key': 'staggered_supervised_visits',
            'text': 'Supervise visits with staggered arrival and departure.',
            'guidance': (
                'Set visit times so the parents never meet on arrival or departure, and supervise his time '
                'with the children.'
            ),
            'safety_critical': False,
        },
        {
            'key': 'watch_for_abuse_through_visits',
            'text': 'Watch for abuse continuing through visits and exchanges.',
            'guidance': (
                'Visits and handovers are a common route for threats, messages and stalking. Ask her and '
                'the children about them and adjust the arrangements when they are used to continue the '
                'abuse.'
            ),
            'safety_critical': True,
        },
        {
            'key': 'separation_not_safety',
            'text': 'Separation alone does not make the child safe.',
            'guidance': (
                'Check that the danger has actually reduced before reunifying; the period after separation '
                'can be the most dangerous.'
            ),
            'safety_critical': False,
        },
    ],
    'closure': [
        {
            'key': 'closing_safety_assessment',
            'text': 'Record a closing safety assessment.',
            'guidance': (
                'Record that no current threat to the children remains, with a fresh look at his pattern of '
                'behaviour and what has changed.'
            ),
            'safety_critical': False,
        },
        {
            'key': 'leave_connected_to_advocacy',
            'text': 'Leave her connected to advocacy and explain future reports.',
            'guidance': (
                'Make sure she knows how to reach her DV advocate after the case closes, and explain how '
                'any future report to CPS would be handled.'
            ),
            'safety_critical': False,
        },
    ],
}


def upgrade() -> None:
    op.create_table('checklist_templates',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('agency_id', sa.Uuid(), nullable=True),
    sa.Column('juncture', sa.String(length=32), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('items', sa.JSON(), nullable=False),
    sa.Column('published_by', sa.String(length=300), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_checklist_templates_agency_id_agencies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checklist_templates')),
    sa.UniqueConstraint('agency_id', 'juncture', 'revision', name=op.f('uq_checklist_templates_agency_id_juncture_revision'))
    )
    with op.batch_alter_table('checklist_templates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checklist_templates_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_checklist_templates_created_at'), ['created_at'], unique=False)
        batch_op.create_index('ix_checklist_templates_scope', ['juncture', 'agency_id', 'revision'], unique=False)

    op.create_table('checklists',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('agency_id', sa.Uuid(), nullable=False),
    sa.Column('juncture', sa.String(length=32), nullable=False),
    sa.Column('template_id', sa.Uuid(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('started_by', sa.String(length=300), nullable=True),
    sa.Column('completed_by', sa.String(length=300), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_checklists_agency_id_agencies')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_checklists_case_id_cases')),
    sa.ForeignKeyConstraint(['template_id'], ['checklist_templates.id'], name=op.f('fk_checklists_template_id_checklist_templates')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checklists'))
    )
    with op.batch_alter_table('checklists', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checklists_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_checklists_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_checklists_case_juncture', ['case_id', 'juncture', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_checklists_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_checklists_template_id'), ['template_id'], unique=False)

    op.create_table('checklist_item_events',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('checklist_id', sa.Uuid(), nullable=False),
    sa.Column('item_key', sa.String(length=64), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('from_status', sa.String(length=16), nullable=True),
    sa.Column('to_status', sa.String(length=16), nullable=True),
    sa.Column('note_enc', sa.Text(), nullable=True),
    sa.Column('actor_id', sa.String(length=300), nullable=True),
    sa.Column('actor_agency_id', sa.Uuid(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['checklist_id'], ['checklists.id'], name=op.f('fk_checklist_item_events_checklist_id_checklists')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checklist_item_events'))
    )
    with op.batch_alter_table('checklist_item_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checklist_item_events_checklist_id'), ['checklist_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_checklist_item_events_created_at'), ['created_at'], unique=False)

    op.create_table('checklist_items',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('checklist_id', sa.Uuid(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('text', sa.String(length=500), nullable=False),
    sa.Column('guidance', sa.Text(), nullable=False),
    sa.Column('safety_critical', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('note_enc', sa.Text(), nullable=True),
    sa.Column('updated_by', sa.String(length=300), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['checklist_id'], ['checklists.id'], name=op.f('fk_checklist_items_checklist_id_checklists')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checklist_items')),
    sa.UniqueConstraint('checklist_id', 'key', name=op.f('uq_checklist_items_checklist_id_key'))
    )
    with op.batch_alter_table('checklist_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checklist_items_checklist_id'), ['checklist_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_checklist_items_created_at'), ['created_at'], unique=False)

    op.create_table('juncture_records',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('agency_id', sa.Uuid(), nullable=False),
    sa.Column('juncture', sa.String(length=32), nullable=False),
    sa.Column('scheduled_for', sa.DateTime(timezone=True), nullable=False),
    sa.Column('checklist_id', sa.Uuid(), nullable=True),
    sa.Column('overridden', sa.Boolean(), nullable=False),
    sa.Column('override_reason_enc', sa.Text(), nullable=True),
    sa.Column('recorded_by', sa.String(length=300), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_juncture_records_agency_id_agencies')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_juncture_records_case_id_cases')),
    sa.ForeignKeyConstraint(['checklist_id'], ['checklists.id'], name=op.f('fk_juncture_records_checklist_id_checklists')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_juncture_records'))
    )
    with op.batch_alter_table('juncture_records', schema=None) as batch_op:
        batch_op.create_index('ix_juncture_records_agency_juncture', ['agency_id', 'juncture'], unique=False)
        batch_op.create_index('ix_juncture_records_case_created', ['case_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_juncture_records_checklist_id'), ['checklist_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_juncture_records_created_at'), ['created_at'], unique=False)

    templates = sa.table(
        'checklist_templates',
        sa.column('id', sa.Uuid()), sa.column('agency_id', sa.Uuid()), sa.column('juncture', sa.String()),
        sa.column('revision', sa.Integer()), sa.column('items', sa.JSON()),
        sa.column('published_by', sa.String()), sa.column('created_at', sa.DateTime(timezone=True)),
    )
    now = datetime.now(UTC)
    op.bulk_insert(templates, [
        {"id": _default_id(juncture), "agency_id": None, "juncture": juncture, "revision": 1,
         "items": [dict(item) for item in items], "published_by": None, "created_at": now}
        for juncture, items in DEFAULT_TEMPLATES.items()
    ])


def downgrade() -> None:
    templates = sa.table('checklist_templates', sa.column('id', sa.Uuid()))
    op.execute(templates.delete().where(templates.c.id.in_([_default_id(j) for j in DEFAULT_TEMPLATES])))
    with op.batch_alter_table('juncture_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_juncture_records_created_at'))
        batch_op.drop_index(batch_op.f('ix_juncture_records_checklist_id'))
        batch_op.drop_index('ix_juncture_records_case_created')
        batch_op.drop_index('ix_juncture_records_agency_juncture')

    op.drop_table('juncture_records')
    with op.batch_alter_table('checklist_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checklist_items_created_at'))
        batch_op.drop_index(batch_op.f('ix_checklist_items_checklist_id'))

    op.drop_table('checklist_items')
    with op.batch_alter_table('checklist_item_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checklist_item_events_created_at'))
        batch_op.drop_index(batch_op.f('ix_checklist_item_events_checklist_id'))

    op.drop_table('checklist_item_events')
    with op.batch_alter_table('checklists', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checklists_template_id'))
        batch_op.drop_index(batch_op.f('ix_checklists_created_at'))
        batch_op.drop_index('ix_checklists_case_juncture')
        batch_op.drop_index(batch_op.f('ix_checklists_case_id'))
        batch_op.drop_index(batch_op.f('ix_checklists_agency_id'))

    op.drop_table('checklists')
    with op.batch_alter_table('checklist_templates', schema=None) as batch_op:
        batch_op.drop_index('ix_checklist_templates_scope')
        batch_op.drop_index(batch_op.f('ix_checklist_templates_created_at'))
        batch_op.drop_index(batch_op.f('ix_checklist_templates_agency_id'))

    op.drop_table('checklist_templates')
