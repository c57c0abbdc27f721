"""The Vietnamese calendar of a slot (SPEC §5): dates, lunar days (mùng 1, rằm) and the
public holidays it skips, decided by one pure function (Slot.airs_on) for the daemon,
`schedule` and the overlap warnings alike."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from broadcaster.model import WEEKDAYS, Level, Playlist, Say, Slot
from broadcaster.playlist.clashes import common_days, days_shown, days_text, overlap, skip_text
from broadcaster.schedule.slots import next_start, occurs_on, skips
from broadcaster.schedule.vietnam_calendar import LunarDay, holiday, is_holiday, lunar_day

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
# Tết where Vietnam's calendar (UTC+7) and China's (UTC+8) differ: Vietnam's day.
TET_VIETNAM_NOT_CHINA = [date(1985, 1, 21), date(2007, 2, 17), date(2030, 2, 2)]
TET_IN_CHINA = [date(1985, 2, 20), date(2007, 2, 18), date(2030, 2, 3)]


def lunar(*days: int, skip_holidays: bool = False, weekdays: tuple[str, ...] = ()) -> Slot:
    return Slot(weekdays, time(19, 0), lunar_days=days, skip_holidays=skip_holidays)


def slot_playlist(slot: Slot, valid: tuple[date | None, date | None] = (None, None)) -> Playlist:
    return Playlist("Bản tin", (Say("Xin chào"),), Level.NORMAL, slot, *valid)


@pytest.mark.parametrize("tet", TET_VIETNAM_NOT_CHINA)
def test_mung_1_thang_gieng_is_vietnams_tet_not_chinas(tet: date) -> None:
    assert (lunar_day(tet).day, lunar_day(tet).month) == (1, 1)  # type: ignore[union-attr]
    assert lunar(1).airs_on(tet)
    assert not lunar(1).airs_on(tet - timedelta(days=1))


@pytest.mark.parametrize(("tet", "chinese"), list(zip(TET_VIETNAM_NOT_CHINA, TET_IN_CHINA,
                                                      strict=True)))
def test_skip_holidays_skips_vietnams_tet(tet: date, chinese: date) -> None:
    daily = Slot(WEEKDAYS, time(5, 30), skip_holidays=True)
    assert is_holiday(tet)
    assert not daily.airs_on(tet)
    assert daily.planned_on(tet) and daily.skipped_on(tet)
    assert not lunar(1, skip_holidays=True).airs_on(tet)  # mùng 1 Tết: skipped too
    # China's Tết is Vietnam's mùng 1 or 2 of another month, or a Tết day off: never mùng 1
    assert not lunar(1).airs_on(chinese) or lunar_day(chinese) != lunar_day(tet)


def test_ram_is_the_fifteenth_of_every_lunar_month_leap_months_too() -> None:
    ram = lunar(15)
    days = [date(2025, 1, 1) + timedelta(days=n) for n in range(365)]
    airs = [day for day in days if ram.airs_on(day)]
    # 2025 has a leap 6th month: thirteen lunar months touch it, twelve or thirteen rằm
    assert len(airs) in (12, 13)
    assert all(lunar_day(day).day == 15 for day in airs)  # type: ignore[union-attr]
    assert any(lunar_day(day).leap for day in airs)  # type: ignore[union-attr]
    assert ram.airs_on(date(2026, 3, 3))  # rằm tháng Giêng of Bính Ngọ


def test_the_official_public_holidays_are_skipped() -> None:
    """Labour Code 2019 art. 112: Tết Dương lịch, Tết Nguyên đán, Giỗ Tổ 10/3 âm lịch,
    30/4, 1/5, Quốc khánh 2/9 and a day next to it."""
    year = 2027
    giong_to, tet = date(2027, 4, 16), date(2027, 2, 6)
    assert lunar_day(giong_to) == LunarDay(10, 3, 2027) and lunar_day(tet) == LunarDay(1, 1, 2027)
    for day in (date(year, 1, 1), tet, tet + timedelta(days=1), tet + timedelta(days=2),
                giong_to, date(year, 4, 30), date(year, 5, 1), date(year, 9, 2)):
        assert is_holiday(day), day
    assert is_holiday(date(year, 9, 1)) or is_holiday(date(year, 9, 3))
    assert not is_holiday(date(year, 3, 8))  # women's day: a celebration, not a day off
    assert holiday(date(year, 9, 2), "vi") == "Quốc khánh"
    assert holiday(tet, "vi") == "Tết Nguyên Đán"
    assert holiday(date(2027, 3, 9)) is None


def test_dates_and_skipped_dates_and_weekdays_mix() -> None:
    slot = Slot(("mon",), time(6, 0), dates=(date(2026, 12, 24),),
                skip_dates=(date(2026, 12, 28),))
    assert slot.airs_on(date(2026, 12, 24))  # a Thursday, by its date
    assert slot.airs_on(date(2026, 12, 21))  # a Monday
    assert not slot.airs_on(date(2026, 12, 28))  # a Monday it skips
    assert not slot.airs_on(date(2026, 12, 25))


def test_outside_the_calendar_a_day_is_no_lunar_day_and_no_holiday() -> None:
    assert lunar_day(date(2200, 1, 1)) is None and not is_holiday(date(2200, 1, 1))
    assert not lunar(1, 15).airs_on(date(2200, 1, 1))


def test_the_daemon_and_schedule_ask_the_same_question() -> None:
    """occurs_on (the daemon, schedule) is Slot.airs_on within the validity dates."""
    playlist = slot_playlist(lunar(15, skip_holidays=True), (date(2026, 1, 1), None))
    assert occurs_on(playlist, date(2026, 3, 3))
    assert not occurs_on(playlist, date(2025, 3, 14))  # rằm, before valid_from
    tet = slot_playlist(lunar(1, skip_holidays=True))
    assert skips(tet, date(2030, 2, 2)) and not occurs_on(tet, date(2030, 2, 2))
    following = next_start("ram", playlist, datetime(2026, 2, 20, tzinfo=ZONE))
    assert following is not None and following.start == datetime(2026, 3, 3, 19, 0, tzinfo=ZONE)


# --- overlaps between slots -----------------------------------------------------------------

def test_a_lunar_slot_and_a_weekly_slot_may_overlap_and_are_warned_about() -> None:
    ram = slot_playlist(lunar(1, 15))
    mondays = slot_playlist(Slot(("mon",), time(19, 0), time(19, 30)))
    shared = common_days(ram, mondays)
    assert shared.lunar_days == (1, 15)
    found = overlap(("ram", ram), ("thu-hai", mondays), lambda items: 600.0)
    assert found is not None
    assert found.message().endswith("on lunar 1,lunar 15: 'ram' airs first and 'thu-hai' waits "
                                    "until it ends (same start and level: queued in order "
                                    "of name)")


@pytest.mark.parametrize(("a", "b"), [
    (lunar(1), lunar(15)),  # mùng 1 is never rằm
    (Slot((), time(19, 0), dates=(date(2026, 12, 24),)), lunar(1)),  # 24/12 is no mùng 1
    (Slot((), time(19, 0), dates=(date(2026, 12, 24),)),
     Slot(("mon",), time(19, 0))),  # a Thursday
    (lunar(15), Slot((), time(19, 0), dates=(date(2026, 12, 24),))),  # 16/11 âm lịch
])
def test_slots_that_share_no_possible_day_do_not_overlap(a: Slot, b: Slot) -> None:
    assert not common_days(slot_playlist(a), slot_playlist(b))
    assert overlap(("a", slot_playlist(a)), ("b", slot_playlist(b)), lambda items: 600.0) is None


def test_within_a_short_validity_the_days_are_looked_at_one_by_one() -> None:
    # valid 2026-12-10 to 2026-12-20, lunar 2 to 12 of the 11th month: no rằm in it
    december = (date(2026, 12, 10), date(2026, 12, 20))
    ram = slot_playlist(lunar(15), december)
    assert not common_days(ram, slot_playlist(Slot(WEEKDAYS, time(19, 0))))
    assert common_days(slot_playlist(lunar(15), (date(2026, 12, 10), date(2026, 12, 31))),
                       slot_playlist(Slot(WEEKDAYS, time(19, 0))))


def test_days_are_shown_as_written_and_json_keeps_english() -> None:
    slot = Slot(("mon", "wed"), time(5, 30), dates=(date(2026, 12, 24),), lunar_days=(1, 15),
                skip_holidays=True, skip_dates=(date(2026, 12, 25),))
    assert days_text(slot) == "mon,wed,2026-12-24,lunar 1,lunar 15"
    assert skip_text(slot) == "holidays,2026-12-25"
    assert days_shown(Slot(WEEKDAYS, time(5, 30), skip_holidays=True)) in (
        "daily except holidays", "hằng ngày trừ ngày lễ")


def test_a_weekly_slot_needs_neither_calendar_package() -> None:
    """The command line stays fast: lunar-vn and holidays are imported only when asked."""
    code = ("import sys, datetime; from broadcaster.model import Slot, WEEKDAYS;"
            "Slot(WEEKDAYS, datetime.time(5)).airs_on(datetime.date(2026, 12, 2));"
            "sys.exit(('lunar_vn' in sys.modules) + 2 * ('holidays' in sys.modules))")
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
