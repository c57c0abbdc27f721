"""Lunar dates read as announcers read them: "15/1 âm lịch" is "ngày rằm tháng Giêng",
"10/3 âm lịch" "mùng mười tháng ba âm lịch", "1/1 âm lịch" "mùng một tháng Giêng".

Days 1-10 are "mùng …", 15 is "rằm", month 1 is "Giêng" and 12 "Chạp"; "âm lịch" is
said only when the words do not already say the date is lunar (rằm, Giêng and Chạp do).
A lunar date is a day and month (and maybe a year) written with "/" or "tháng", followed
by "âm lịch" or "ÂL", in brackets or not. "mùng 1 Tết" needs nothing of this module: its
figure is read "một" like any other.
"""

from __future__ import annotations

import re

from broadcaster.i18n import N_
from broadcaster.speech.changes import note
from broadcaster.speech.numbers import read_cardinal

LUNAR_MONTHS = {1: "Giêng", 4: "tư", 12: "Chạp"}  # the others are their number: tháng ba
FULL_MOON = 15  # rằm
LUNAR = "âm lịch"

_LUNAR_DATE = re.compile(
    r"(?i)(?<![^\W_])(?:(?P<lead>ngày|mùng|mồng)\s+)?(?P<day>[0-9]{1,2})(?:/|\s+tháng\s+)"
    r"(?P<month>[0-9]{1,2})(?:/(?P<year>[0-9]{4}))?(?![0-9])"
    r"\s*(?:\(\s*)?(?:âm\s+lịch|âl|al)(?![^\W_])(?:\s*\))?")


def read_lunar_dates(line: str) -> str:
    """`line` with each lunar date in words (the rest untouched)."""
    if not _LUNAR_DATE.search(line):
        return line
    return _LUNAR_DATE.sub(_read, line)


def _read(match: re.Match[str]) -> str:
    day, month = int(match.group("day")), int(match.group("month"))
    if not (1 <= day <= 30 and 1 <= month <= 12):
        return match.group()  # not a lunar date: the figures are read as they are
    said_day = "rằm" if day == FULL_MOON else \
        f"mùng {read_cardinal(str(day))}" if day <= 10 else read_cardinal(str(day))
    words = [said_day, "tháng", LUNAR_MONTHS.get(month, read_cardinal(str(month)))]
    lead = match.group("lead") or ""
    ngay = lead if lead.lower() == "ngày" else ""  # a written mùng is said by said_day
    if ngay or day > 10:
        words.insert(0, ngay or "ngày")  # not before mùng: it already says it is a day
    if match.group("year"):
        words += ["năm", read_cardinal(match.group("year"))]
    if day != FULL_MOON and month not in (1, 12):
        words.append(LUNAR)  # "tháng ba" alone would be taken for March
    spoken = " ".join(words)
    note(match.group(), spoken, N_("lunar date: mùng for days 1-10, rằm for 15, "
                                   "Giêng and Chạp for months 1 and 12"))
    return f" {spoken} "
