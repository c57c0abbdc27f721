"""The timing rules of SPEC §6 as pure functions: a day at the station without waiting."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from broadcaster.model import Level, Playlist, Say, Slot
from broadcaster.schedule.rules import QuietHours, decide, hard_end, occurrence

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
NO_QUIET = QuietHours(())
NIGHT = QuietHours.parse(["21:30-05:00"])


def at(hh: int, mm: int, ss: int = 0, day: int = 28) -> datetime:
    return datetime(2026, 11, day, hh, mm, ss, tzinfo=HANOI)


@pytest.mark.parametrize(("level", "late", "action"), [
    (Level.NORMAL, timedelta(minutes=9, seconds=59), "air"),
    (Level.NORMAL, timedelta(minutes=10, seconds=1), "miss"),
    (Level.PRIORITY, timedelta(minutes=59), "air"),
    (Level.PRIORITY, timedelta(minutes=61), "miss"),
    (Level.EMERGENCY, timedelta(hours=5), "air"),
    (Level.EMERGENCY, timedelta(hours=7), "miss"),
])
def test_late_items_air_within_their_grace(level: Level, late: timedelta, action: str) -> None:
    due = at(17, 0)
    assert decide(level, due, due + late, NO_QUIET).action == action


def test_missed_items_say_how_late() -> None:
    decision = decide(Level.NORMAL, at(17, 0), at(17, 25), NO_QUIET)
    assert decision.reason == "25 min late, past its grace"


def test_emergency_airs_until_it_expires() -> None:
    expires = at(18, 0)
    assert decide(Level.EMERGENCY, at(17, 0), at(17, 59), NO_QUIET, expires).action == "air"
    assert decide(Level.EMERGENCY, at(17, 0), at(18, 1), NO_QUIET, expires).action == "miss"


def test_quiet_hours_hold_normal_until_they_end_and_ignore_emergencies() -> None:
    held = decide(Level.PRIORITY, at(4, 30), at(4, 30), NIGHT)
    assert (held.action, held.until) == ("hold", at(5, 0))
    assert decide(Level.EMERGENCY, at(23, 0), at(23, 0), NIGHT).action == "air"
    # a normal item held past its grace by the quiet hours is missed, not aired at dawn
    assert decide(Level.NORMAL, at(23, 0), at(23, 0), NIGHT).action == "miss"


@pytest.mark.parametrize(("moment", "quiet"), [
    (at(21, 29, 59), False), (at(21, 30), True), (at(0, 0), True), (at(4, 59, 59), True),
    (at(5, 0), False), (at(12, 0), False),
])
def test_quiet_hours_cross_midnight(moment: datetime, quiet: bool) -> None:
    assert NIGHT.contains(moment) is quiet


def test_overlapping_quiet_spans_end_together() -> None:
    quiet = QuietHours.parse(["11:00-13:00", "12:30-14:00"])
    assert quiet.end_after(at(11, 30)) == at(14, 0)
    assert quiet.end_after(at(15, 0)) == at(15, 0)
    assert NIGHT.end_after(at(22, 0)) == at(5, 0, day=29)


MORNING = Playlist(title="Sáng", items=(Say("Xin chào"),),
                   slot=Slot(("mon", "tue", "wed", "thu", "fri"), time(5, 30), time(6, 30)),
                   valid_from=date(2026, 11, 1), valid_until=date(2026, 12, 31))


def test_slot_occurs_on_its_days_within_its_validity() -> None:
    friday, saturday = date(2026, 11, 27), date(2026, 11, 28)
    assert occurrence(MORNING, friday, at(0, 0)) == at(5, 30, day=27)
    assert occurrence(MORNING, saturday, at(0, 0)) is None
    assert occurrence(MORNING, date(2027, 1, 4), at(0, 0)) is None  # a Monday, past validity
    assert hard_end(MORNING, at(5, 30, day=27)) == at(6, 30, day=27)
