"""The advocates tests move the clock to fixed weeks in 2027; tokens are also checked against the wall
clock, so those checks get a leeway as wide as the move."""

import pytest

from app.core.config import get_settings


@pytest.fixture
def clock(clock, monkeypatch):
    monkeypatch.setattr(get_settings(), "jwt_leeway_seconds", 3650 * 86400)
    return clock
