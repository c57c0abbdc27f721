"""Slot playlists against each other: the same slot installed twice (a copy of a file
under a new name), and slots whose windows overlap on a day they share.

Pure functions of playlists: a slot's window is `at` to `until`, or to `at` plus its
length for a slot without `until` (the caller says how long items last). SPEC §6 decides
who airs in an overlap: the one that starts first airs, the other waits until it ends
(only an emergency cuts an item on air, and a slot is never an emergency); two starting
together go by level, then by the order the daemon queues them (by name).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from broadcaster.i18n import N_, _
from broadcaster.model import WEEKDAYS, Level, Playlist, PlaylistItem, Slot

# Operator-facing messages of this module, kept together for translation.
MSG_SAME_SLOT = N_("{file}: the same slot as the installed '{other}' ({at}, {days}, the "
                   "same items): it would air twice; to replace '{other}', save this file "
                   "as {other}.yaml and apply that, or run `broadcaster playlist remove "
                   "{other}` first")
MSG_SAME_SLOT_CHECKED = N_("warning: '{name}' is the same slot as '{other}' ({at}, {days}, "
                           "the same items); `playlist apply` refuses it while '{other}' "
                           "is installed")
MSG_OVERLAP = N_("warning: slots '{first}' ({first_window}) and '{second}' ({second_window}) "
                 "overlap from {start} to {end} on {days}: '{first}' airs first and "
                 "'{second}' waits until it ends{why}")
WHY_EARLIER = N_(" (it starts earlier)")
WHY_LEVEL = N_(" (same start: priority before normal)")
WHY_NAME = N_(" (same start and level: queued in order of name)")
# Days as a playlist names them, shown in the operator's language in messages.
DAY_WORDS = {"daily": N_("daily"), "weekdays": N_("weekdays"), "weekends": N_("weekends"),
             "mon": N_("mon"), "tue": N_("tue"), "wed": N_("wed"), "thu": N_("thu"),
             "fri": N_("fri"), "sat": N_("sat"), "sun": N_("sun")}
LUNAR_DAY = N_("lunar {day}")  # a day of every lunar month, as `days` writes it: âm 15
SKIPPING = N_("{days} except {skipped}")  # a slot's days and what it skips
HOLIDAYS = N_("holidays")

_RANK = {Level.EMERGENCY: 0, Level.PRIORITY: 1, Level.NORMAL: 2}
_END_OF_DAY = time(23, 59, 59)
ENUMERATED_DAYS = 400  # a validity this short is looked at day by day

Length = Callable[[tuple[PlaylistItem, ...]], float]


@dataclass(frozen=True)
class Overlap:
    """Two slots on air together: `first` airs, `second` waits (`why` says which rule)."""

    first: str
    second: str
    first_window: tuple[time, time]
    second_window: tuple[time, time]
    days: SharedDays
    start: time
    end: time
    why: str

    def message(self) -> str:
        return _(MSG_OVERLAP).format(
            first=self.first, second=self.second, first_window=_span(self.first_window),
            second_window=_span(self.second_window), start=_hm(self.start),
            end=_hm(self.end), days=days_shown(self.days), why=_(self.why))


@dataclass(frozen=True)
class SharedDays:
    """The days two slots may both air: weekday names (in week order), dates, and lunar
    days (of every lunar month). A lunar day shared with a weekly slot is on it whenever
    it falls on one of that slot's weekdays, which it does in time: counted as shared."""

    days: tuple[str, ...] = ()
    dates: tuple[date, ...] = ()
    lunar_days: tuple[int, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.days or self.dates or self.lunar_days)


def days_text(days: SharedDays | Slot) -> str:
    """Days as a playlist writes them, in a stable English form (JSON): daily, weekdays,
    weekends or the weekday names, then dates (2026-12-24), then lunar days (lunar 15).
    A slot's skip is `skip_text`'s."""
    return ",".join(_words(days))


def days_shown(days: SharedDays | Slot) -> str:
    """`days_text` in the operator's language, with what a slot skips, for a message or
    a table."""
    shown = ",".join(_(DAY_WORDS[word]) if word in DAY_WORDS else
                     _(LUNAR_DAY).format(day=word.split()[1]) if word.startswith("lunar ")
                     else word for word in _words(days))
    if isinstance(days, Slot) and (skipped := _skipped(days)):
        shown = _(SKIPPING).format(days=shown, skipped=",".join(
            _(HOLIDAYS) if word == "holidays" else word for word in skipped))
    return shown


def skip_text(slot: Slot) -> str:
    """What a slot skips, in a stable English form: holidays, then the dates; "" for none."""
    return ",".join(_skipped(slot))


def _words(days: SharedDays | Slot) -> list[str]:
    named = tuple(days.days)
    words: list[str] = []
    for group, members in (("daily", WEEKDAYS), ("weekdays", WEEKDAYS[:5]),
                           ("weekends", WEEKDAYS[5:])):
        if named == members:
            words.append(group)
            break
    else:
        words += named
    words += [day.isoformat() for day in days.dates]
    return words + [f"lunar {day}" for day in days.lunar_days]


def _skipped(slot: Slot) -> list[str]:
    return ["holidays"] * slot.skip_holidays + [day.isoformat() for day in slot.skip_dates]


def common_days(a: Playlist, b: Playlist) -> SharedDays:
    """The days on which both slots may air (their validity dates considered). Exact where
    it can be: a date, two lunar days, a validity shorter than ENUMERATED_DAYS (looked at
    day by day); a lunar day against a weekly slot counts (it falls on each weekday in
    time); what a slot skips is not subtracted from its weekdays (it may skip a few)."""
    if a.slot is None or b.slot is None:
        return SharedDays()
    first = max((d for d in (a.valid_from, b.valid_from) if d is not None), default=None)
    last = min((d for d in (a.valid_until, b.valid_until) if d is not None), default=None)
    if first is not None and last is not None:
        if last < first:
            return SharedDays()
        if (last - first).days < ENUMERATED_DAYS:
            both = [day for day in (first + timedelta(days=n)
                                    for n in range((last - first).days + 1))
                    if a.slot.airs_on(day) and b.slot.airs_on(day)]
            if not both:
                return SharedDays()
            if (last - first).days < 6:  # less than a week in common: only those days count
                if _weekly(a.slot) and _weekly(b.slot):
                    weekdays = {WEEKDAYS[day.weekday()] for day in both}
                    return SharedDays(tuple(day for day in WEEKDAYS if day in weekdays))
                return SharedDays(dates=tuple(both))
    return _shared(a.slot, b.slot, first, last)


def _weekly(slot: Slot) -> bool:
    return not (slot.dates or slot.lunar_days or slot.skip_holidays or slot.skip_dates)


def _shared(a: Slot, b: Slot, first: date | None, last: date | None) -> SharedDays:
    weekdays = set(a.days) & set(b.days)
    dates = {day for day in (*a.dates, *b.dates)
             if (first is None or day >= first) and (last is None or day <= last)
             and WEEKDAYS[day.weekday()] not in weekdays and a.airs_on(day) and b.airs_on(day)}
    lunar = set(a.lunar_days) & set(b.lunar_days)
    lunar |= set(a.lunar_days) if b.days else set()
    lunar |= set(b.lunar_days) if a.days else set()
    return SharedDays(tuple(day for day in WEEKDAYS if day in weekdays), tuple(sorted(dates)),
                      tuple(sorted(lunar)))


def same_slot(a: Playlist, b: Playlist) -> bool:
    """The same items at the same time on a day both air: one of them is a copy."""
    return (a.slot is not None and b.slot is not None and a.slot.at == b.slot.at
            and a.items == b.items and bool(common_days(a, b)))


def duplicate_of(playlist: Playlist, name: str,
                 installed: Sequence[tuple[str, Playlist]]) -> str | None:
    """The installed slot (under another name) that `playlist` would air again, if any."""
    return next((other for other, slot in installed
                 if other != name and same_slot(playlist, slot)), None)


def window(slot: Slot, items: tuple[PlaylistItem, ...], length: Length) -> tuple[time, time]:
    """From `at` to `until`, or to `at` plus the length of its items (within its day)."""
    if slot.until is not None:
        return slot.at, slot.until
    start = datetime.combine(date.min, slot.at)
    end = start + timedelta(seconds=length(items))
    return slot.at, end.time() if end.date() == start.date() else _END_OF_DAY


def overlap(a: tuple[str, Playlist], b: tuple[str, Playlist], length: Length) -> Overlap | None:
    """How the windows of two slot playlists overlap, or None when they never air together."""
    (a_name, a_list), (b_name, b_list) = a, b
    days = common_days(a_list, b_list)
    if not days or a_list.slot is None or b_list.slot is None:
        return None
    a_window = window(a_list.slot, a_list.items, length)
    b_window = window(b_list.slot, b_list.items, length)
    start, end = max(a_window[0], b_window[0]), min(a_window[1], b_window[1])
    if start >= end:
        return None
    if a_window[0] != b_window[0]:
        why = WHY_EARLIER
        first_is_a = a_window[0] < b_window[0]
    elif a_list.level != b_list.level:
        why = WHY_LEVEL
        first_is_a = _RANK[a_list.level] < _RANK[b_list.level]
    else:
        why = WHY_NAME
        first_is_a = a_name < b_name
    if first_is_a:
        return Overlap(a_name, b_name, a_window, b_window, days, start, end, why)
    return Overlap(b_name, a_name, b_window, a_window, days, start, end, why)


def overlaps(new: Sequence[tuple[str, Playlist]], installed: Sequence[tuple[str, Playlist]],
             length: Length) -> list[Overlap]:
    """Every overlap of a slot in `new` with another in `new` or with an installed slot
    (an installed slot of the same name is the one `new` replaces, not a neighbour)."""
    names = {name for name, _playlist in new}
    others = [pair for pair in installed if pair[0] not in names]
    found = []
    for index, pair in enumerate(new):
        for other in [*new[index + 1:], *others]:
            if other[0] == pair[0] or same_slot(pair[1], other[1]):
                continue  # a duplicate is said on its own
            clash = overlap(pair, other, length)
            if clash is not None:
                found.append(clash)
    return found


def _hm(moment: time) -> str:
    return moment.strftime("%H:%M")


def _span(span: tuple[time, time]) -> str:
    return f"{_hm(span[0])}-{_hm(span[1])}"
