import pytest
from pydantic import TypeAdapter, ValidationError

from app.core.types import Timestamp

T = TypeAdapter(Timestamp)


@pytest.mark.parametrize("good", ["2026-11-22T09:30:00Z", "2026-11-22T09:30:00.123+02:00", "2026-11-22"])
def test_rfc3339_accepted(good):
    assert T.validate_python(good).tzinfo is not None


@pytest.mark.parametrize("bad", ["0.5", 1700000000, "2026-11-22T09:30:00", "yesterday", "2026-13-01", ""])
def test_everything_else_refused(bad):
    with pytest.raises(ValidationError):
        T.validate_python(bad)
