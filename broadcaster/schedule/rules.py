"""The timing rules of SPEC §6, as pure functions of data and a time.

Times are aware datetimes in the station's zone; nothing here reads a clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from broadcaster.model import WEEKDAYS, Level, Playlist, Slot

GRACE = {
    Level.NORMAL: timedelta(minutes=10),
    Level.PRIORITY: timedelta(minutes=60),
}
EMERGENCY_DEFAULT_EXPIRY = timedelta(hours=6)  # an emergency with no `expires` still ends


@dataclass(frozen=True)
class QuietHours:
    """Spans such as 21:30-05:00 (crossing midnight) when normal and priority items wait."""

    spans: tuple[tuple[time, time], ...]

    @classmethod
    def parse(cls, texts: list[str]) -> QuietHours:
        spans = []
        for text in texts:
            start, end = text.split("-")
            spans.append((time.fromisoformat(start), time.fromisoformat(end)))
        return cls(tuple(spans))

    def contains(self, moment: datetime) -> bool:
        return any(_inside(span, moment) for span in self.spans)

    def end_after(self, moment: datetime) -> datetime:
        """When the quiet hours holding `moment` end (moment itself if it is not quiet)."""
        current = moment
        for _ in range(len(self.spans) + 1):  # spans may overlap: walk until out of all
            holding = [span for span in self.spans if _inside(span, current)]
            if not holding:
                break
            current = max(_next(end, current) for _start, end in holding)
        return current


def _inside(span: tuple[time, time], moment: datetime) -> bool:
    start, end = span
    now = moment.time().replace(tzinfo=None)
    if start <= end:
        return start <= now < end
    return now >= start or now < end  # crosses midnight


def _next(clock: time, after: datetime) -> datetime:
    """The first moment strictly after `after` when the wall clock reads `clock`."""
    candidate = _at(after.date(), clock, after)
    return candidate if candidate > after else _at(after.date() + timedelta(days=1), clock, after)


def latest_start(level: Level, due: datetime, expires: datetime | None = None) -> datetime:
    """The last moment an item may still start: due + grace, or an emergency's expiry."""
    if level is Level.EMERGENCY:
        return expires or due + EMERGENCY_DEFAULT_EXPIRY
    return due + GRACE[level]


@dataclass(frozen=True)
class Decision:
    """What to do with a due item now: air it, hold it until `until`, or log it missed."""

    action: str  # "air", "hold", "miss"
    until: datetime | None = None
    reason: str = ""


def decide(level: Level, due: datetime, now: datetime, quiet: QuietHours,
           expires: datetime | None = None) -> Decision:
    """SPEC §6 for one item that is due (now ≥ due): grace, quiet hours, levels."""
    deadline = latest_start(level, due, expires)
    if now > deadline:
        late = now - due
        return Decision("miss", reason=f"{_minutes(late)} late, past its grace")
    if level is not Level.EMERGENCY and quiet.contains(now):
        resume = quiet.end_after(now)
        if resume > deadline:
            return Decision("miss", reason="quiet hours last past its grace")
        return Decision("hold", until=resume, reason="quiet hours")
    return Decision("air")


def slot_days(slot: Slot) -> set[int]:
    return {WEEKDAYS.index(day) for day in slot.days}


def occurrence(playlist: Playlist, day: date, zone_of: datetime) -> datetime | None:
    """When a slot playlist airs on `day`, or None (not its weekday, or not valid then)."""
    slot = playlist.slot
    if slot is None or day.weekday() not in slot_days(slot):
        return None
    if playlist.valid_from and day < playlist.valid_from:
        return None
    if playlist.valid_until and day > playlist.valid_until:
        return None
    return _at(day, slot.at, zone_of)


def hard_end(playlist: Playlist, start: datetime) -> datetime | None:
    """The slot's `until` on the day it started (a slot does not cross midnight)."""
    if playlist.slot is None or playlist.slot.until is None:
        return None
    return _at(start.date(), playlist.slot.until, start)


def occurrence_key(name: str, day: date) -> str:
    return f"{name}@{day.isoformat()}"


def _at(day: date, clock: time, zone_of: datetime) -> datetime:
    return datetime.combine(day, clock.replace(tzinfo=None), tzinfo=zone_of.tzinfo)


def _minutes(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes} min" if minutes < 120 else f"{minutes // 60} h {minutes % 60} min"
