"""Weekly schedules in an office's local time: is an assignment on duty at an instant, do two collide."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

# Two assignments in different time zones are compared instant by instant over this many days of their
# shared date range: long enough to meet every weekday under every daylight-saving offset of a year.
_HORIZON_DAYS = 371


class Schedule(Protocol):
    weekdays: list[int]
    start_time: time
    end_time: time
    starts_on: date
    ends_on: date | None


def local(at: datetime, tz: str) -> datetime:
    """`at` (aware) as wall-clock time in the zone `tz`."""
    return at.astimezone(ZoneInfo(tz))


def covers(s: Schedule, local_at: datetime) -> bool:
    """Whether the schedule has its holder on site at this local wall-clock instant."""
    day = local_at.date()
    if day < s.starts_on or (s.ends_on is not None and day > s.ends_on):
        return False
    if day.weekday() not in s.weekdays:
        return False
    t = local_at.time().replace(tzinfo=None)
    return s.start_time <= t < s.end_time


def stretch_end(s: Schedule, local_at: datetime) -> datetime:
    """The UTC instant at which today's stretch on site ends."""
    zone = local_at.tzinfo
    return datetime.combine(local_at.date(), s.end_time, tzinfo=zone).astimezone(UTC)


def _shared_range(a: Schedule, b: Schedule) -> tuple[date, date] | None:
    lo = max(a.starts_on, b.starts_on)
    hi = min(a.ends_on or date.max, b.ends_on or date.max)
    return (lo, hi) if lo <= hi else None


def _same_zone_collide(a: Schedule, b: Schedule, lo: date, hi: date) -> bool:
    if not (a.start_time < b.end_time and b.start_time < a.end_time):
        return False
    shared = set(a.weekdays) & set(b.weekdays)
    day = lo
    for _ in range(7):  # does a shared weekday fall inside the shared date range?
        if day > hi:
            return False
        if day.weekday() in shared:
            return True
        day += timedelta(days=1)
    return False


def _intervals(s: Schedule, tz: str, first: date, last: date) -> list[tuple[datetime, datetime]]:
    zone = ZoneInfo(tz)
    out: list[tuple[datetime, datetime]] = []
    day = first
    while day <= last:
        if day >= s.starts_on and (s.ends_on is None or day <= s.ends_on) and day.weekday() in s.weekdays:
            out.append((datetime.combine(day, s.start_time, tzinfo=zone).astimezone(UTC),
                        datetime.combine(day, s.end_time, tzinfo=zone).astimezone(UTC)))
        day += timedelta(days=1)
    return out


def collide(a: Schedule, tz_a: str, b: Schedule, tz_b: str) -> bool:
    """Whether one person could be due at both places at once: a shared day with overlapping hours.

    In one time zone that is a shared weekday, overlapping hours and overlapping dates; across zones the
    hours are compared as real instants.
    """
    shared = _shared_range(a, b)
    if shared is None:
        return False
    lo, hi = shared
    if tz_a == tz_b:
        return _same_zone_collide(a, b, lo, hi)
    first = lo - timedelta(days=1) if lo > date.min else lo
    span_end = min(hi, lo + timedelta(days=_HORIZON_DAYS))
    last = span_end + timedelta(days=1) if span_end < date.max else span_end
    xs, ys = _intervals(a, tz_a, first, last), _intervals(b, tz_b, first, last)
    i = j = 0
    while i < len(xs) and j < len(ys):
        (s1, e1), (s2, e2) = xs[i], ys[j]
        if s1 < e2 and s2 < e1:
            return True
        if e1 <= e2:
            i += 1
        else:
            j += 1
    return False
