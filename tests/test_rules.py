"""The timing rules of SPEC §6 (due, expiry, quiet hours, slots) as pure functions."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from broadcaster.model import Level, Playlist, Say, Slot
from broadcaster.schedule.rules import QuietHours, due_now, expiry, one_off_window
from broadcaster.schedule.slots import next_start, occurrence, owed

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
NO_QUIET = QuietHours(())
NIGHT = QuietHours.parse(["21:30-05:00"])


def at(hh: int, mm: int, ss: int = 0, day: int = 28) -> datetime:
    return datetime(2026, 11, day, hh, mm, ss, tzinfo=HANOI)


@pytest.mark.parametrize(("level", "timed", "expires"), [
    (Level.NORMAL, True, at(17, 10)),  # --at: due + grace
    (Level.PRIORITY, True, at(18, 0)),
    (Level.EMERGENCY, True, at(18, 0)),
    (Level.NORMAL, False, at(21, 30)),  # now: to the end of the broadcasting day
    (Level.PRIORITY, False, at(23, 0)),
    (Level.EMERGENCY, False, at(18, 0)),
])
def test_each_item_expires_by_its_level(level: Level, timed: bool, expires: datetime) -> None:
    assert expiry(level, at(17, 0), NIGHT, timed=timed) == expires


def test_without_quiet_hours_the_broadcasting_day_ends_at_23_59() -> None:
    assert expiry(Level.NORMAL, at(17, 0), NO_QUIET, timed=False) == at(23, 59)
    assert expiry(Level.NORMAL, at(23, 58), NO_QUIET, timed=False) == at(0, 8, day=29)


def test_now_in_quiet_hours_is_due_when_they_end_except_an_emergency() -> None:
    assert due_now(Level.NORMAL, at(4, 30), NIGHT) == at(5, 0)
    assert due_now(Level.PRIORITY, at(22, 0), NIGHT) == at(5, 0, day=29)
    assert due_now(Level.EMERGENCY, at(23, 0), NIGHT) == at(23, 0)
    assert due_now(Level.NORMAL, at(12, 0), NIGHT) == at(12, 0)


def test_a_one_off_is_due_on_its_first_valid_day_after_quiet_hours() -> None:
    due, expires = one_off_window(date(2026, 11, 30), None, Level.NORMAL, at(10, 0), NIGHT)
    assert due == at(5, 0, day=30)  # 00:00 is quiet: due as the quiet hours end
    assert expires == at(21, 30, day=30)
    due, expires = one_off_window(None, date(2026, 12, 2), Level.NORMAL, at(10, 0), NIGHT)
    assert (due, expires) == (at(10, 0), at(23, 59, 59, day=2).replace(month=12))


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
    found = occurrence("sang", MORNING, friday, at(0, 0))
    assert found is not None
    assert (found.start, found.hard_end, found.expires) == (
        at(5, 30, day=27), at(6, 30, day=27), at(6, 30, day=27))
    assert found.key == "sang@2026-11-27"
    assert occurrence("sang", MORNING, saturday, at(0, 0)) is None
    assert occurrence("sang", MORNING, date(2027, 1, 4), at(0, 0)) is None  # past validity


def test_a_slot_without_until_expires_after_its_grace() -> None:
    noon = Playlist(title="Trưa", items=(Say("Xin chào"),), slot=Slot(("fri",), time(11, 0)))
    found = occurrence("trua", noon, date(2026, 11, 27), at(0, 0))
    assert found is not None and found.expires == at(11, 10, day=27)


def test_a_slot_installed_inside_todays_window_is_owed_at_once() -> None:
    inside = at(5, 41, day=27)
    (found,) = owed("sang", MORNING, inside, installed_at=inside)
    assert found.start == at(5, 30, day=27) and found.hard_end == at(6, 30, day=27)
    assert owed("sang", MORNING, at(6, 45, day=27), installed_at=at(6, 40, day=27)) == []


def test_after_a_power_cut_the_missed_occurrences_are_owed_to_be_logged() -> None:
    back = at(7, 0, day=27)  # the box was off since Thursday's slot, over Friday's too
    yesterday, today = owed("sang", MORNING, back, installed_at=at(0, 0, day=1))
    assert (yesterday.start, today.start) == (at(5, 30, day=26), at(5, 30, day=27))
    assert today.expires < back  # the station queues it once and logs it missed


def test_the_next_start_skips_the_weekend() -> None:
    found = next_start("sang", MORNING, at(6, 0, day=27))  # a Friday
    assert found is not None and found.start == at(5, 30, day=30)
