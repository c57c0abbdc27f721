"""Times and durations as operators type them."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from broadcaster.clock import parse_at, parse_duration
from broadcaster.model import OperatorError

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 11, 28, 17, 45, 30, tzinfo=HANOI)


@pytest.mark.parametrize(("text", "seconds"), [
    ("30s", 30), ("20", 20), ("10m", 600), ("1h30m", 5400), ("2h", 7200), ("1m30s", 90),
    ("0.5s", 0.5), (" 3s ", 3),
])
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "soon", "-5s", "5 minutes", "m", "1x"])
def test_bad_durations_are_refused(text: str) -> None:
    with pytest.raises(OperatorError, match="is not a duration"):
        parse_duration(text)


@pytest.mark.parametrize(("text", "expected"), [
    ("now", NOW),
    ("+90s", datetime(2026, 11, 28, 17, 47, 0, tzinfo=HANOI)),
    ("+10m", datetime(2026, 11, 28, 17, 55, 30, tzinfo=HANOI)),
    ("18:00", datetime(2026, 11, 28, 18, 0, tzinfo=HANOI)),
    ("17:45", datetime(2026, 11, 28, 17, 45, tzinfo=HANOI)),  # this very minute: today
    ("05:30", datetime(2026, 11, 29, 5, 30, tzinfo=HANOI)),  # past: tomorrow
    ("2026-12-01 06:00", datetime(2026, 12, 1, 6, 0, tzinfo=HANOI)),
])
def test_at_times(text: str, expected: datetime) -> None:
    assert parse_at(text, NOW) == expected


@pytest.mark.parametrize("text", ["25:00", "5h30", "tomorrow", "2026-02-30 06:00", "+soon"])
def test_impossible_at_times_are_refused(text: str) -> None:
    with pytest.raises(OperatorError, match="is not a time"):
        parse_at(text, NOW)
