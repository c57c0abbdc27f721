"""Single playlist values read from what the operator typed: times, dates, days, levels,
durations, repeats, texts and stream addresses. Pure: no files, no clock."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, time
from typing import TYPE_CHECKING

from broadcaster.clock import parse_duration
from broadcaster.i18n import _
from broadcaster.model import WEEKDAYS, Level, OperatorError
from broadcaster.playlist import messages as msg
from broadcaster.playlist.problems import Refusal, show
from broadcaster.playlist.yaml_text import is_empty, is_sequence, line_of, scalar

if TYPE_CHECKING:
    from yaml.nodes import Node

DAY_GROUPS = {"daily": WEEKDAYS, "weekdays": WEEKDAYS[:5], "weekends": WEEKDAYS[5:]}
MAX_DURATION_S = 24 * 3600.0
MAX_REPEAT = 10

HOLIDAYS = "holidays"  # skip: Vietnam's public holidays and Tết
MAX_LUNAR_DAY = 30  # a lunar month has 29 or 30 days

_TIME = re.compile(r"^([0-9]{1,2}):([0-9]{2})$")
_LUNAR = re.compile(r"^(?:âm|am|lunar)\s*(\S*)$")
_DATE_LIKE = re.compile(r"^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})$")
_DAY_MONTH_YEAR = re.compile(r"^([0-9]{1,2})[/.]([0-9]{1,2})[/.]([0-9]{4})$")
# A word of `days` or `skip`: a lunar day with its number (âm 15), or anything up to a space
# The days as an officer says them, for the names above (two words are one day here).
VIETNAMESE_DAYS = {
    "thứ hai": "mon", "thứ 2": "mon", "t2": "mon", "thứ ba": "tue", "thứ 3": "tue",
    "t3": "tue", "thứ tư": "wed", "thứ 4": "wed", "t4": "wed", "thứ năm": "thu",
    "thứ 5": "thu", "t5": "thu", "thứ sáu": "fri", "thứ 6": "fri", "t6": "fri",
    "thứ bảy": "sat", "thứ 7": "sat", "t7": "sat", "chủ nhật": "sun", "cn": "sun",
    "hằng ngày": "daily", "hàng ngày": "daily", "mỗi ngày": "daily",
    "ngày thường": "weekdays", "cuối tuần": "weekends",
}
_WORD = re.compile(r"(?i)(?:âm|am|lunar)(?:\s*[^\s,]+)?(?=[\s,]|$)"
                   r"|(?:thứ|chủ|hằng|hàng|mỗi|ngày|cuối)\s+[^\s,]+|[^\s,]+")
_DATE = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})$")


def text(node: Node, label: str) -> str:
    """A text value, stripped; "" when left blank."""
    return "" if is_empty(node) else scalar(node, label).strip()


def time_of_day(node: Node, label: str) -> time:
    """`05:30` or `5:30`, station local time."""
    value = scalar(node, label).strip()
    match = _TIME.match(value)
    if match is None or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise Refusal(line_of(node), _(msg.MSG_BAD_TIME).format(label=label, value=show(value)))
    return time(int(match.group(1)), int(match.group(2)))


def calendar_date(node: Node, label: str) -> date:
    """`2026-12-01`; refuses days the calendar does not have (`2026-02-30`)."""
    value = scalar(node, label).strip()
    match = _DATE.match(value)
    try:
        if match is None:
            raise ValueError(value)
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        raise Refusal(line_of(node), _(msg.MSG_BAD_DATE).format(label=label, value=show(value))) \
            from None


@dataclass(frozen=True)
class SlotDays:
    """A slot's `days` as read: weekday names in week order, dates and lunar days in order."""

    weekdays: tuple[str, ...]
    dates: tuple[date, ...] = ()
    lunar_days: tuple[int, ...] = ()


def days(node: Node) -> SlotDays:
    """`daily`, `weekdays`, `weekends`, `mon`…`sun` (or in Vietnamese: `thứ hai`, `t2`,
    `chủ nhật`, `hằng ngày`…), dates (`2026-12-24`) and lunar days
    (`âm 1`, `âm 15`: that day of every lunar month; `lunar 15` and `am 15` too), one of
    them, several separated by commas or spaces, or a YAML list, mixed as the operator
    likes."""
    label = _(msg.LABEL_SLOT).format(key="days")
    named: set[str] = set()
    dates: set[date] = set()
    lunar: set[int] = set()
    for word, line in _words(node, label):
        lowered = " ".join(word.lower().split())
        lowered = VIETNAMESE_DAYS.get(lowered, lowered)
        if lowered in WEEKDAYS or lowered in DAY_GROUPS:
            named.update(DAY_GROUPS.get(lowered, (lowered,)))
        elif (lunar_match := _LUNAR.match(lowered)) is not None:
            lunar.add(_lunar_day(word, lunar_match.group(1), line))
        elif _DATE_LIKE.match(word):
            dates.add(_date_in(word, label, line))
        else:
            raise Refusal(line, _(msg.MSG_UNKNOWN_DAY).format(
                value=show(word), hint=_hint(word, (*DAY_GROUPS, *WEEKDAYS, "âm 1"))))
    if not (named or dates or lunar):
        raise Refusal(line_of(node), _(msg.MSG_NO_DAYS))
    return SlotDays(tuple(day for day in WEEKDAYS if day in named), tuple(sorted(dates)),
                    tuple(sorted(lunar)))


def skip(node: Node) -> tuple[bool, tuple[date, ...]]:
    """`holidays` (Vietnam's public holidays and Tết), dates (`2026-12-25`), or a list
    of them: (whether holidays are skipped, the dates skipped, in order)."""
    label = _(msg.LABEL_SLOT).format(key="skip")
    holidays = False
    dates: set[date] = set()
    for word, line in _words(node, label):
        lowered = " ".join(word.lower().split())
        if lowered in (HOLIDAYS, "ngày lễ"):
            holidays = True
        elif _DATE_LIKE.match(word):
            dates.add(_date_in(word, label, line))
        else:
            hint = _(msg.MSG_TET_IS_A_HOLIDAY) if lowered in ("tết", "tet") \
                else _hint(word, (HOLIDAYS,))
            raise Refusal(line, _(msg.MSG_UNKNOWN_SKIP).format(value=show(word), hint=hint))
    if not (holidays or dates):
        raise Refusal(line_of(node), _(msg.MSG_NO_SKIP))
    return holidays, tuple(sorted(dates))


def _words(node: Node, label: str) -> list[tuple[str, int]]:
    """The words of a single value or of each entry of a list, with their lines: a lunar
    day (`âm 15`) is one word."""
    nodes = node.value if is_sequence(node) else [node]
    found = []
    for part in nodes:
        value = unicodedata.normalize("NFC", scalar(part, label))
        found += [(word.strip(), line_of(part)) for word in _WORD.findall(value)]
    return found


def _lunar_day(word: str, number: str, line: int) -> int:
    if not number.isdigit() or not 1 <= int(number) <= MAX_LUNAR_DAY:
        raise Refusal(line, _(msg.MSG_BAD_LUNAR_DAY).format(value=show(word)))
    return int(number)


def _date_in(word: str, label: str, line: int) -> date:
    match = _DATE_LIKE.match(word)
    try:
        if match is None:
            raise ValueError(word)
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        raise Refusal(line, _(msg.MSG_BAD_DATE).format(label=label, value=show(word))) \
            from None


def _hint(word: str, valid: tuple[str, ...]) -> str:
    """" (did you mean 'mon'?)" when a valid word is close; a day written 24/12/2026
    is shown as the date it means."""
    from broadcaster.nearest import nearest_key

    written = _DAY_MONTH_YEAR.match(word)
    if written is not None:
        day, month, year = (int(part) for part in written.groups())
        suggestion: str | None = f"{year:04d}-{month:02d}-{day:02d}"
    else:
        suggestion = nearest_key(word.lower(), valid)
    return "" if suggestion is None else _(msg.HINT_DID_YOU_MEAN).format(suggestion=suggestion)


def level(node: Node) -> Level:
    value = scalar(node, "'level'").strip()
    try:
        return Level(value.lower())
    except ValueError:
        raise Refusal(line_of(node), _(msg.MSG_BAD_LEVEL).format(value=show(value))) from None


def duration(node: Node, label: str, *, zero_allowed: bool = False) -> float:
    """Seconds in `30s`, `10m`, `1h30m` or `90`: more than 0 (or 0 when `zero_allowed`),
    at most 24 hours."""
    value = scalar(node, label).strip()
    try:
        seconds = parse_duration(value)
    except OperatorError as exc:
        raise Refusal(line_of(node), _(msg.MSG_BAD_DURATION).format(label=label, reason=exc)) \
            from None
    if seconds > MAX_DURATION_S or (seconds <= 0 and not zero_allowed):
        message = _(msg.MSG_GAP_RANGE) if zero_allowed else _(msg.MSG_DURATION_RANGE)
        raise Refusal(line_of(node), message.format(label=label, value=show(value)))
    return seconds


def repeat(node: Node, label: str) -> int:
    """How many times a notice is read: 1 to MAX_REPEAT."""
    value = scalar(node, label).strip()
    if not re.fullmatch(r"[+-]?[0-9]{1,6}", value):
        raise Refusal(line_of(node), _(msg.MSG_BAD_REPEAT).format(label=label, value=show(value)))
    count = int(value)
    if not 1 <= count <= MAX_REPEAT:
        raise Refusal(line_of(node), _(msg.MSG_REPEAT_RANGE).format(label=label, value=count))
    return count


def stream_url(node: Node, label: str) -> str:
    """An http:// or https:// address with a host."""
    from urllib.parse import urlsplit

    value = scalar(node, label).strip()
    try:
        parts = urlsplit(value)
        good = parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
    except ValueError:  # e.g. a broken [IPv6] host
        good = False
    if not good or any(character.isspace() for character in value):
        raise Refusal(line_of(node), _(msg.MSG_BAD_URL).format(label=label, value=show(value)))
    return value

