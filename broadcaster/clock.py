"""Durations and times as the operator types them (SPEC §3): `30s`, `10m`, `1h30m`, `90`;
`--at` as `HH:MM`, `YYYY-MM-DD HH:MM`, `now`, `+90s`, `+10m`, in the station time zone."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from broadcaster.i18n import N_, _
from broadcaster.model import OperatorError

if TYPE_CHECKING:
    from broadcaster.config import Config

# Operator-facing messages of this module, kept together for translation.
MSG_BAD_DURATION = N_("{value!r} is not a duration; write it like 30s, 10m, 1h30m or 90")
MSG_BAD_AT = N_("{value!r} is not a time; write HH:MM, YYYY-MM-DD HH:MM, now, "
                "or +90s / +10m from now")

_DURATION = re.compile(r"^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s?)?$")
_UNITS = (3600.0, 60.0, 1.0)


def zone(config: Config) -> ZoneInfo:
    return ZoneInfo(config.station.timezone)


def station_now(config: Config) -> datetime:
    """The station's wall time (aware, in its zone)."""
    return datetime.now(zone(config))


def parse_duration(value: str) -> float:
    """Seconds in a duration such as `20s`, `1m30s`, `2h`, `45` (seconds)."""
    text = value.strip().lower().replace(" ", "")
    match = _DURATION.match(text)
    if not text or match is None or not any(match.groups()):
        raise OperatorError(_(MSG_BAD_DURATION).format(value=value))
    return sum(float(part) * unit for part, unit in zip(match.groups(), _UNITS, strict=True)
               if part)


_CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_DATE_CLOCK = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[ T]([01]?\d|2[0-3]):([0-5]\d)$")


def parse_at(value: str, now: datetime) -> datetime:
    """When `--at VALUE` means, given `now` (aware, in the station time zone).

    `HH:MM` is today, or tomorrow when already past; the result has now's tzinfo.
    """
    text = value.strip().lower()
    if text == "now":
        return now
    if text.startswith("+"):
        try:
            return now + timedelta(seconds=parse_duration(text[1:]))
        except OperatorError:
            raise OperatorError(_(MSG_BAD_AT).format(value=value)) from None
    if match := _CLOCK.match(text):
        hour, minute = int(match.group(1)), int(match.group(2))
        today = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
        return today if today >= now.replace(second=0, microsecond=0) else _next_day(today)
    if match := _DATE_CLOCK.match(text):
        year, month, day, hour, minute = (int(group) for group in match.groups())
        try:
            return datetime(year, month, day, hour, minute, tzinfo=now.tzinfo)
        except ValueError:
            raise OperatorError(_(MSG_BAD_AT).format(value=value)) from None
    raise OperatorError(_(MSG_BAD_AT).format(value=value))


def _next_day(moment: datetime) -> datetime:
    """The same wall-clock time a day later (not 24 h: a zone may change offset)."""
    following = (moment + timedelta(days=1)).date()
    return moment.replace(year=following.year, month=following.month, day=following.day)
