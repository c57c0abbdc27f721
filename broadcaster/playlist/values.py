"""Single playlist values read from what the operator typed: times, dates, days, levels,
durations, repeats, texts and stream addresses. Pure: no files, no clock."""

from __future__ import annotations

import re
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

_TIME = re.compile(r"^([0-9]{1,2}):([0-9]{2})$")
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


def days(node: Node) -> tuple[str, ...]:
    """`daily`, `weekdays`, `weekends`, one day, `mon, wed` or `[mon, wed]`, as names from
    WEEKDAYS in week order."""
    named: set[str] = set()
    if is_sequence(node):
        for day_node in node.value:
            day = scalar(day_node, _(msg.LABEL_SLOT).format(key="days")).strip().lower()
            if day not in WEEKDAYS:
                raise Refusal(line_of(day_node), _(msg.MSG_BAD_DAY).format(value=show(day)))
            named.add(day)
    else:
        value = scalar(node, _(msg.LABEL_SLOT).format(key="days")).strip()
        for word in filter(None, re.split(r"[,\s]+", value.lower())):
            if word not in (*WEEKDAYS, *DAY_GROUPS):
                raise Refusal(line_of(node), _(msg.MSG_BAD_DAYS).format(value=show(value)))
            named.update(DAY_GROUPS.get(word, (word,)))
    if not named:
        raise Refusal(line_of(node), _(msg.MSG_NO_DAYS))
    return tuple(day for day in WEEKDAYS if day in named)


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

