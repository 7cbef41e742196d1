"""Create / Update / Read schemas of case notes; the list item carries no text."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from app.core.types import Input
from app.core.vocab import DataCategory


class Audience(StrEnum):
    own_agency = "own_agency"  # never leaves the writer's agency
    shared = "shared"  # filed under a category; released only by the disclosure rule


class NoteCreate(Input):
    """A shared note names the category it is filed under and the person of the case it is about (both
    required); an own-agency note has no category (and may name a person)."""

    text: str = Field(min_length=1, max_length=10000, description="Sealed at rest; never in a list.")
    audience: Audience
    category: DataCategory | None = None
    person_id: uuid.UUID | None = None


class NoteUpdate(Input):
    """Send only what changes; the note after the change must still be consistent (see NoteCreate)."""

    # Not nullable (the schema says so): left out, they keep their value; null is refused (422).
    text: Annotated[str, Field(min_length=1, max_length=10000)] | SkipJsonSchema[None] = None
    audience: Audience | SkipJsonSchema[None] = None
    category: DataCategory | None = None
    person_id: uuid.UUID | None = None


class NoteRead(BaseModel):
    id: uuid.UUID
    case_id: uuid.UUID
    agency_id: uuid.UUID
    person_id: uuid.UUID | None
    audience: Audience
    category: DataCategory | None
    text: str
    author_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime | None = None


class NoteSummary(BaseModel):
    """A note in a list: ids, audience, category, author and dates; never its text."""

    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    case_id: uuid.UUID
    person_id: uuid.UUID | None
    audience: Audience
    category: DataCategory | None
    author_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime | None = None
