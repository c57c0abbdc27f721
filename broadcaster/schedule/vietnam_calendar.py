"""Vietnam's calendar as a slot needs it: the lunar date of a day and the public holidays.

The lunar date is Hồ Ngọc Đức's algorithm at UTC+7 (the `lunar-vn` package), which is
what Vietnamese calendars print: Tết falls where Vietnam's does (1985-01-21, 2007-02-17,
2030-02-02), not China's. The public holidays are the `holidays` package's list for Vietnam
(Tết Dương lịch, the Tết Nguyên đán days off, Giỗ Tổ Hùng Vương, 30/4, 1/5, Quốc khánh and
its adjacent day, and the days off the government moves). Both are imported on first use
only: most commands never ask.

A leaf: it imports nothing of ours, so the model may ask it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date

FIRST_YEAR, LAST_YEAR = 1901, 2100  # where both packages answer (lunar-vn: 1900-2100)
MONTHS_IN_WORDS = {1: "Giêng", 12: "Chạp"}  # how every Vietnamese names these two months


@dataclass(frozen=True)
class LunarDay:
    """A day of the Vietnamese lunar calendar: `month` 1-12 (`leap`: the leap month that
    repeats it), `day` 1-30, `year` the lunar year (Tết of `year` starts month 1)."""

    day: int
    month: int
    year: int
    leap: bool = False

    @property
    def year_name(self) -> str:
        """The year's can chi name, e.g. "Bính Ngọ" for 2026."""
        from lunar_vn import can_chi

        return can_chi.get_year_can_chi(self.year)

    @property
    def month_name(self) -> str:
        """The month as Vietnamese say it: "Giêng", "Chạp", else its number ("3")."""
        return MONTHS_IN_WORDS.get(self.month, str(self.month))


def in_range(day: date) -> bool:
    """Whether the calendar knows `day` (years 1901-2100); outside it, a day is no lunar
    day and no holiday."""
    return FIRST_YEAR <= day.year <= LAST_YEAR


@functools.lru_cache(maxsize=4096)
def lunar_day(day: date) -> LunarDay | None:
    """The lunar date of the solar `day`, or None outside years 1901-2100."""
    if not in_range(day):
        return None
    from lunar_vn import solar_to_lunar

    found = solar_to_lunar(day)
    return LunarDay(found.day, found.month, found.year, found.leap)


def holiday(day: date, language: str = "en") -> str | None:
    """The name of the public holiday on `day` ("vi" or "en"), or None when it is none."""
    if not in_range(day):
        return None
    return _holidays(day.year, "vi" if language == "vi" else "en_US").get(day)


def is_holiday(day: date) -> bool:
    """Whether `day` is one of Vietnam's public holidays (a Tết day among them)."""
    return holiday(day) is not None


@functools.lru_cache(maxsize=64)
def _holidays(year: int, language: str) -> dict[date, str]:
    from holidays import country_holidays

    return dict(country_holidays("VN", years=year, language=language).items())
