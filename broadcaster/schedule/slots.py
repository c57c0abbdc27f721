"""Slot playlists in time: when each occurs, when it must end, what is still owed today.

Pure functions of a playlist and a moment (aware datetimes in the station's zone).
An occurrence is queued once per slot and day (its key is unique in the database), so a
backward clock jump or a restart never airs a slot twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from broadcaster.model import Playlist
from broadcaster.schedule.rules import GRACE, at

CATCH_UP = timedelta(days=1)  # after a power cut, occurrences this old are still looked at


@dataclass(frozen=True)
class Occurrence:
    """One airing of a slot playlist: due at `start`, may start until `expires`, and
    is faded out at `hard_end` (its `until`) if still on air."""

    name: str
    start: datetime
    expires: datetime
    hard_end: datetime | None

    @property
    def key(self) -> str:
        return occurrence_key(self.name, self.start.date())


def occurrence_key(name: str, day: date) -> str:
    return f"{name}@{day.isoformat()}"


def occurs_on(playlist: Playlist, day: date) -> bool:
    """Whether the slot playlist airs on `day`: its slot's days (Slot.airs_on) within
    its validity dates."""
    slot = playlist.slot
    return slot is not None and slot.airs_on(day) and valid_on(playlist, day)


def skips(playlist: Playlist, day: date) -> bool:
    """Whether the slot playlist would air on `day` but its slot skips it (a holiday, or
    a date it skips)."""
    slot = playlist.slot
    return (slot is not None and slot.planned_on(day) and slot.skipped_on(day)
            and valid_on(playlist, day))


def valid_on(playlist: Playlist, day: date) -> bool:
    """Whether `day` is within the playlist's valid_from and valid_until (both kept)."""
    if playlist.valid_from and day < playlist.valid_from:
        return False
    return not (playlist.valid_until and day > playlist.valid_until)


def occurrence(name: str, playlist: Playlist, day: date, zone_of: datetime) -> Occurrence | None:
    """The slot's airing on `day`, or None (not one of its days, or not valid then)."""
    slot = playlist.slot
    if slot is None or not occurs_on(playlist, day):
        return None
    start = at(day, slot.at, zone_of)
    end = at(day, slot.until, zone_of) if slot.until is not None else None
    expires = end if end is not None else start + GRACE[playlist.level]
    return Occurrence(name, start, expires, end)


def owed(name: str, playlist: Playlist, now: datetime,
         installed_at: datetime | None = None) -> list[Occurrence]:
    """Occurrences that have begun and may still start at `now`: after a power cut (catch
    up), or a slot installed inside today's window (airs at once, still ends at `until`).
    An occurrence that began before the slot was installed counts only while its window
    is open; one whose expiry passed is the caller's to log as missed."""
    found = []
    day = (now - CATCH_UP).date()
    while day <= now.date():
        found_one = occurrence(name, playlist, day, now)
        day += timedelta(days=1)
        if found_one is None or found_one.start > now:
            continue
        if installed_at is not None and found_one.start < installed_at \
                and found_one.expires <= installed_at:
            continue  # its window had closed before the slot existed
        found.append(found_one)
    return found


def next_start(name: str, playlist: Playlist, after: datetime) -> Occurrence | None:
    """The first occurrence starting strictly after `after` (within a year)."""
    day = after.date()
    for _ in range(370):
        found = occurrence(name, playlist, day, after)
        if found is not None and found.start > after:
            return found
        day += timedelta(days=1)
    return None


def upcoming(name: str, playlist: Playlist, now: datetime,
             horizon: timedelta = timedelta(hours=24)) -> list[Occurrence]:
    """Occurrences starting after `now` and within `horizon` (not queued yet: the daemon
    queues each one its lead ahead), for `queue` and `status` to show."""
    found: list[Occurrence] = []
    moment = now
    while True:
        following = next_start(name, playlist, moment)
        if following is None or following.start > now + horizon:
            return found
        found.append(following)
        moment = following.start
