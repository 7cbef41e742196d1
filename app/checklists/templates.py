"""Checklist templates: the defaults and the versions an agency publishes for each juncture.
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.checklists import access as checklists_access
from app.checklists.defaults import critical_keys
from app.checklists.models import (
    ChecklistTemplate,
)
from app.checklists.schemas import (
    TemplateCreate,
)
from app.core.errors import Invalid, NotFound
from app.core.pagination import PageParams, paginate
from app.trail.recorder import record


async def latest_template(
    session: AsyncSession, agency_id: uuid.UUID | None, juncture: str
) -> ChecklistTemplate | None:
    owner = ChecklistTemplate.agency_id.is_(None) if agency_id is None else ChecklistTemplate.agency_id == agency_id
    stmt = (sa.select(ChecklistTemplate).where(owner, ChecklistTemplate.juncture == juncture)
            .order_by(ChecklistTemplate.revision.desc()).limit(1))
    return (await session.execute(stmt)).scalar_one_or_none()


async def list_templates(
    session: AsyncSession, principal: Principal, page: PageParams, juncture: str | None
) -> tuple[list[ChecklistTemplate], str | None]:
    """The default versions and the caller's agency's versions, newest first."""
    checklists_access.ensure_may_read_templates(principal)
    stmt = sa.select(ChecklistTemplate).where(checklists_access.template_visible_clause(principal))
    if juncture is not None:
        stmt = stmt.where(ChecklistTemplate.juncture == juncture)
    return await paginate(session, stmt, ChecklistTemplate, page)


async def get_template(session: AsyncSession, principal: Principal, template_id: uuid.UUID) -> ChecklistTemplate:
    """A default template version or one of the caller's agency's; 404 otherwise."""
    checklists_access.ensure_may_read_templates(principal)
    template = await session.get(ChecklistTemplate, template_id)
    if template is None or not checklists_access.template_visible(principal, template):
        raise NotFound("checklist template")
    return template


async def publish_template(session: AsyncSession, principal: Principal, data: TemplateCreate) -> ChecklistTemplate:
    """A new version of the juncture's template for the caller's agency. Every safety-critical item of the
    default stays, under the same key, and stays safety-critical (422 naming the keys otherwise)."""
    agency_id = checklists_access.ensure_may_publish_template(principal)
    keys = [i.key for i in data.items]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        raise Invalid(f"Item keys must be unique; repeated: {', '.join(duplicates)}.", loc=["body", "items"],
                      type="duplicate_keys", duplicate_keys=duplicates)
    default = await latest_template(session, None, data.juncture.value)
    required = critical_keys(default.items) if default is not None else []
    given = {i.key: i for i in data.items}
    missing = [k for k in required if k not in given]
    downgraded = [k for k in required if k in given and not given[k].safety_critical]
    if missing or downgraded:
        parts = []
        if missing:
            parts.append(f"missing {', '.join(missing)}")
        if downgraded:
            parts.append(f"no longer safety-critical {', '.join(downgraded)}")
        errors: list[dict[str, Any]] = [{"loc": ["body", "items"], "msg": f"safety-critical item {k} is missing",
                   "type": "safety_critical_missing"} for k in missing]
        errors += [{"loc": ["body", "items", keys.index(k), "safety_critical"],
                    "msg": f"item {k} must stay safety-critical", "type": "safety_critical_downgraded"}
                   for k in downgraded]
        raise Invalid("Every safety-critical item of the default template must stay, under the same key, and "
                      f"stay safety-critical: {'; '.join(parts)}.", errors=errors,
                      missing_keys=missing, downgraded_keys=downgraded)
    latest = await latest_template(session, agency_id, data.juncture.value)
    template = ChecklistTemplate(
        agency_id=agency_id, juncture=data.juncture.value,
        revision=(latest.revision + 1) if latest is not None else 1,
        items=[i.model_dump() for i in data.items], published_by=str(principal.id),
    )
    session.add(template)
    await session.flush()
    await record(session, principal, "template.publish", "checklist_template", template.id)
    return template


def template_read(t: ChecklistTemplate) -> dict[str, Any]:
    return {"id": t.id, "agency_id": t.agency_id, "juncture": t.juncture, "version": t.revision,
            "items": t.items, "published_by": t.published_by, "created_at": t.created_at}
