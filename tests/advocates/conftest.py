"""The advocates tests create staff (and their 15-minute tokens) first, then move the service clock to fixed
weeks in 2027; token lifetimes are judged by that same clock, so these tests widen the leeway."""

import pytest

from app.core.config import get_settings


@pytest.fixture
def clock(clock, monkeypatch):
    monkeypatch.setattr(get_settings(), "jwt_leeway_seconds", 3650 * 86400)
    return clock
