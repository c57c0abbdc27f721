"""The timing rules of SPEC §6 that give every item its due time and its expiry.

Pure functions of data and a time: aware datetimes in the station's zone, no clock read.
Grace exists for the station being *away*, not busy: an item waiting its turn keeps its
place until its expiry (the latest moment it may still start), whatever that wait.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from broadcaster.model import Level

# With `--at` (and for a slot without `until`): how late an item may still start.
GRACE = {
    Level.NORMAL: timedelta(minutes=10),
    Level.PRIORITY: timedelta(minutes=60),
    Level.EMERGENCY: timedelta(hours=1),
}
# Without `--at`: priority and emergency items expire this long after they are due;
# a normal one at the end of its broadcasting day.
EXPIRES_AFTER = {
    Level.PRIORITY: timedelta(hours=6),
    Level.EMERGENCY: timedelta(hours=1),
}
DAY_ENDS = time(23, 59)


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

    def start_after(self, moment: datetime) -> datetime | None:
        """The next moment strictly after `moment` when quiet hours begin, or None."""
        if not self.spans:
            return None
        return min(_next(start, moment) for start, _end in self.spans)

    def free_from(self, level: Level, moment: datetime) -> datetime:
        """The first moment at or after `moment` when an item of `level` may start."""
        return moment if level is Level.EMERGENCY else self.end_after(moment)


def _inside(span: tuple[time, time], moment: datetime) -> bool:
    start, end = span
    now = moment.time().replace(tzinfo=None)
    if start <= end:
        return start <= now < end
    return now >= start or now < end  # crosses midnight


def _next(clock: time, after: datetime) -> datetime:
    """The first moment strictly after `after` when the wall clock reads `clock`."""
    candidate = at(after.date(), clock, after)
    return candidate if candidate > after else at(after.date() + timedelta(days=1), clock, after)


def at(day: date, clock: time, zone_of: datetime) -> datetime:
    """`day` at wall-clock `clock`, in the zone of `zone_of`."""
    return datetime.combine(day, clock.replace(tzinfo=None), tzinfo=zone_of.tzinfo)


def due_now(level: Level, now: datetime, quiet: QuietHours) -> datetime:
    """When an item asked for "now" is due: now, or when quiet hours holding it end."""
    return quiet.free_from(level, now)


def expiry(level: Level, due: datetime, quiet: QuietHours, *, timed: bool) -> datetime:
    """The latest moment an item may still start (SPEC §6).

    `timed`: the operator gave a time (`--at`): due + grace. Otherwise a normal item
    lasts to the end of its broadcasting day (the next start of quiet hours, at the
    latest 23:59 that day); priority 6 h, emergency 1 h.
    """
    if timed:
        return due + GRACE[level]
    if level is not Level.NORMAL:
        return due + EXPIRES_AFTER[level]
    end = at(due.date(), DAY_ENDS, due)
    quiet_start = quiet.start_after(due)
    if quiet_start is not None and quiet_start < end:
        end = quiet_start
    return max(end, due + GRACE[level])  # due at 23:58 still has its grace


def one_off_window(valid_from: date | None, valid_until: date | None, level: Level,
                   now: datetime, quiet: QuietHours) -> tuple[datetime, datetime]:
    """Due and expiry of a one-off playlist: `valid_from` is its due day (from 00:00,
    held by quiet hours until they end), `valid_until` the last day it may start."""
    due = now
    if valid_from is not None and valid_from > now.date():
        due = at(valid_from, time(0, 0), now)
    due = quiet.free_from(level, due)
    if valid_until is not None:
        return due, at(valid_until, time(23, 59, 59), now)
    return due, expiry(level, due, quiet, timed=False)
