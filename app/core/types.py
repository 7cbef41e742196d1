"""Input types shared by every domain."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, AwareDatetime, BaseModel, BeforeValidator, ConfigDict

F = TypeVar("F", bound=Callable[..., Any])

_FULL_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$"
)


def _rfc3339(value: Any) -> datetime | str:
    """Only RFC 3339: a date-time with a zone, or a full-date meaning its midnight UTC. No epoch numbers,
    no naive times."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and _FULL_DATE.match(value):
        return value + "T00:00:00Z"
    if not isinstance(value, str) or not _RFC3339.match(value):
        raise ValueError("must be an RFC 3339 date-time with a time zone, such as 2026-11-22T09:30:00Z")
    return value


def _fits_in_utc(value: datetime) -> datetime:
    """Every stored time is UTC: a time whose UTC equivalent falls outside years 1-9999 (such as
    0001-01-01T00:00:00+14:00) cannot be compared or stored, so it is refused here."""
    try:
        value.astimezone(UTC)
    except OverflowError:
        raise ValueError("must fall between the years 1 and 9999 once converted to UTC") from None
    return value


Timestamp = Annotated[AwareDatetime, BeforeValidator(_rfc3339), AfterValidator(_fits_in_utc)]


def _refuse_null(value: Any) -> Any:
    if value is None:
        raise ValueError("may be left out, but not null")
    return value


# A PATCH field that may be left out but not set to null: `name: Annotated[str | None, NotNull] = None`. An
# explicit null is a 422; the OpenAPI document shows the field without `null` (see Input), so a generated
# client never sends one.
NotNull = AfterValidator(_refuse_null)


def unique_items(validator: F) -> F:
    """Marks a field validator that refuses repeated values: the OpenAPI document says `uniqueItems`."""
    target = validator.__func__ if isinstance(validator, classmethod | staticmethod) else validator
    target.unique_items = True  # type: ignore[attr-defined]
    return validator


def _strip_null(prop: dict[str, Any]) -> None:
    options = prop.pop("anyOf", None)
    if options is not None:
        kept = [o for o in options if o.get("type") != "null"]
        if len(kept) == 1:
            prop.update(kept[0])
        else:
            prop["anyOf"] = kept
    if prop.get("default", 0) is None:
        prop.pop("default")


def _array_of(prop: dict[str, Any]) -> dict[str, Any] | None:
    if prop.get("type") == "array":
        return prop
    return next((o for o in prop.get("anyOf", []) if o.get("type") == "array"), None)


def _state_enforced_constraints(schema: dict[str, Any], cls: type[BaseModel]) -> None:
    """What the validators enforce, said in the JSON schema: NotNull fields lose `null`, fields checked by a
    `unique_items` validator get `uniqueItems`."""
    props: dict[str, Any] = schema.get("properties", {})
    for name, field in cls.model_fields.items():
        key = field.alias or name
        if key in props and any(m is NotNull for m in field.metadata):
            _strip_null(props[key])
    for dec in cls.__pydantic_decorators__.field_validators.values():
        if getattr(dec.func, "unique_items", False) or getattr(getattr(dec.func, "__func__", None),
                                                                "unique_items", False):
            for name in dec.info.fields:
                array = _array_of(props.get(name, {}))
                if array is not None:
                    array["uniqueItems"] = True


class Input(BaseModel):
    """Base of every request body: unknown fields are refused (no mass assignment), strings are stripped; the
    JSON schema states what validators enforce (NotNull, unique_items)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True,
                              json_schema_extra=_state_enforced_constraints)


def rfc3339(value: datetime) -> str:
    """An instant as the API writes it: RFC 3339 in UTC with a Z."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def json_ready(value: Any) -> Any:
    """A record's values as released data: lists and dicts kept, instants in RFC 3339 UTC, dates and ids as
    strings (what a disclosure source returns)."""
    if isinstance(value, list):
        return [json_ready(v) for v in value]
    if isinstance(value, dict):
        return {k: json_ready(v) for k, v in value.items()}
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, datetime):
        return rfc3339(value)
    return value.isoformat() if hasattr(value, "isoformat") else str(value)
