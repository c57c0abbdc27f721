"""The station's programme: slot playlists applied, listed, removed, their clashes, and what
a day's schedule holds. What `playlist check` (its warnings), `playlist apply`, `playlist
list`, `playlist remove` and `schedule` do to the station database, and what they tell the
operator at once; the web console's Lịch phát calls `day_schedule` too.

Like the queue commands of `desk` (whose queueing, notes and times a one-off playlist
shares), they work whether or not the daemon runs: the database is the source of truth,
and a running daemon is poked to look at once.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from broadcaster import desk
from broadcaster.clock import station_now, zone
from broadcaster.config import Config
from broadcaster.i18n import N_, Phrase, _, language
from broadcaster.model import Level, OperatorError, Playlist, PlaylistItem
from broadcaster.on_air import length_of
from broadcaster.runtime import poke_daemon
from broadcaster.schedule.rules import QuietHours, one_off_window
from broadcaster.schedule.slots import occurrence, skips
from broadcaster.schedule.vietnam_calendar import LunarDay
from broadcaster.store import (
    DATABASE,
    OPERATOR,
    Entry,
    InstalledSlot,
    open_store,
    playlist_from_json,
    playlist_to_json,
)

# Operator-facing messages of this module, kept together for translation.
MSG_VALID_UNTIL_PASSED = N_("{path}: valid_until {day} has passed; change valid_until "
                            "or remove it to air the playlist")
MSG_FROM_VALID_FROM = N_("will air from {when}, its valid_from day")
MSG_WHAT_SLOT = N_("slot {name}")  # what fills a line of `schedule`
MSG_WHAT_QUEUED = N_("queued #{id}")
MSG_NO_SLOTS = N_("no slot playlist named '{name}' is installed; none is (`broadcaster "
                  "playlist apply FILE` installs one)")
MSG_UNKNOWN_SLOT_NEAR = N_("no slot playlist named '{name}' is installed; did you mean "
                           "'{suggestion}'? (`broadcaster playlist list` shows them)")
MSG_UNKNOWN_SLOT = N_("no slot playlist named '{name}' is installed; installed: {names}")
MSG_SLOT_REMOVED_REASON = N_("its slot playlist '{name}' was removed")
MSG_WHAT_PROVINCE_SLOT = N_("slot {name} (from the province, {day})")
MSG_PROVINCE_SLOT_APPLY = N_("slot {name} was installed by the province on {day}; it can be "
                             "changed only by the province; save your playlist under another "
                             "name")
MSG_LUNAR_DATE = N_("{day}: lunar {lunar_day}/{lunar_month}{leap}, year {year}")
LEAP_MONTH = N_(" (leap month)")
# the lunar date under a heading that shows the day (Vietnamese: "âm lịch: …", where "ngày
# 1 tháng Giêng" alone could be read as the solar calendar)
MSG_LUNAR = N_("{date}")
MSG_HOLIDAY = N_("public holiday: {name}")
MSG_SKIPPED = N_("not airing that day (the slot skips it): {names}")
# the plan of a slot's items under it in `schedule` (SPEC §5 hard starts)
MSG_PLAN_HEADING = N_("{start} {what}, item by item:")
MSG_PLAN_ITEM = N_("  {start}  {number}. {what}")
MSG_PLAN_HARD_START = N_("  {start}  {number}. {what} (hard start)")
MSG_PLAN_CUT = N_("  {start}  {number}. {what}: will not fit, cut by {lost} for the hard start "
                  "of item {by}")
MSG_PLAN_MOVED = N_("  {start}  {number}. {what}: will not fit, moved after the hard start of "
                    "item {by}")
MSG_PLAN_GAP = N_("  {start}  silence until the hard start, {gap}")
MSG_PLAN_SKIPPED = N_("  --:--:--  {number}. {what}: will not air, the hard start of item {by} "
                      "comes first")
MSG_PROVINCE_SLOT_REMOVE = N_("slot {name} was installed by the province on {day}; it can be "
                              "removed only by the province")


@dataclass(frozen=True)
class Applied:
    """A slot playlist installed (`open_now`: its window is open now, so it airs at
    once; `warnings`: the installed slots it overlaps) or a one-off queued (`queued`)."""

    playlist: Playlist
    queued: desk.Queued | None = None
    open_now: bool = False
    warnings: tuple[str, ...] = ()


def apply_playlist(config: Config, path: Path) -> Applied:
    """Validate and install a slot playlist (under its file name) or queue a one-off,
    in one transaction. A slot that another installed slot already airs (a copy of its
    file under a new name) is refused; one that overlaps another comes with warnings."""
    from broadcaster.playlist import clashes, load_playlist
    from broadcaster.schedule.slots import owed

    playlist = load_playlist(path, config.audio_dir, max_text_chars=config.tts.max_chars,
                             zones=config.zones)
    warnings: tuple[str, ...] = ()
    if playlist.slot is not None:
        every = installed_slots(config)
        _refuse_province_slot(config, path.stem, every, MSG_PROVINCE_SLOT_APPLY)
        installed = [(slot.name, slot.playlist) for slot in every]
        other = clashes.duplicate_of(playlist, path.stem, installed)
        if other is not None:
            raise OperatorError(_(clashes.MSG_SAME_SLOT).format(
                file=path, other=other, at=playlist.slot.at.strftime("%H:%M"),
                days=clashes.days_shown(clashes.common_days(playlist,
                                                            dict(installed)[other]))))
        warnings = tuple(clash.message() for clash in clashes.overlaps(
            [(path.stem, playlist)], installed, _slot_length))
    now = station_now(config)
    quiet = QuietHours.parse(config.station.quiet_hours)
    if playlist.slot is None:
        if playlist.valid_until is not None and playlist.valid_until < now.date():
            raise OperatorError(_(MSG_VALID_UNTIL_PASSED).format(path=path,
                                                                 day=playlist.valid_until))
        due, latest = one_off_window(playlist.valid_from, playlist.valid_until,
                                     playlist.level, now, quiet)
        if latest < due:
            raise OperatorError(_(desk.MSG_PAST_EXPIRY).format(expires=desk.clock(latest)))
    store = open_store(config)
    try:
        if playlist.slot is not None:
            if not store.install_slot(path.stem, playlist_to_json(playlist), now.timestamp(),
                                      origin=OPERATOR):  # the province's, since read above
                _refuse_province_slot(config, path.stem, [Installed.of(slot) for slot in
                                                          store.installed_slots()],
                                      MSG_PROVINCE_SLOT_APPLY)
            open_now = bool(owed(path.stem, playlist, now, now))
            result = Applied(playlist, open_now=open_now, warnings=warnings)
        else:
            entry_id = store.enqueue(
                title=playlist.title, level=playlist.level, source="operator",
                items=playlist.items, due_at=due.timestamp(), now=now.timestamp(),
                expires_at=latest.timestamp(), zones=playlist.zones)
            expected = desk.expected_start(config, store, entry_id, now)
            notes = [_(MSG_FROM_VALID_FROM).format(when=desk.clock(due))] if due > now else []
            result = Applied(playlist, queued=desk.Queued(entry_id, expected, notes))
    finally:
        store.close()
    if result.queued is not None:
        return Applied(playlist, queued=desk.told(config, result.queued.id,
                                                  result.queued.expected,
                                                  result.queued.notes))
    poke_daemon(config)
    return result


@dataclass(frozen=True)
class Installed:
    """An installed slot playlist: its name, the playlist, when it was installed (epoch)
    and by whom (`from_province`: a slot order, `message_id`; else the operator)."""

    name: str
    playlist: Playlist
    installed_at: float
    from_province: bool = False
    message_id: str | None = None

    @staticmethod
    def of(slot: InstalledSlot) -> Installed:
        return Installed(slot.name, playlist_from_json(slot.playlist), slot.installed_at,
                         slot.from_province, slot.message_id)


def installed_slots(config: Config) -> list[Installed]:
    """The installed slot playlists by name, the operator's and the province's."""
    store = open_store(config)
    try:
        return [Installed.of(slot) for slot in store.installed_slots()]
    finally:
        store.close()


def installed_day(config: Config, installed_at: float) -> str:
    """The station's date a slot was installed, YYYY-MM-DD."""
    return datetime.fromtimestamp(installed_at, zone(config)).date().isoformat()


def _refuse_province_slot(config: Config, name: str, slots: list[Installed],
                          message: str) -> None:
    """OperatorError when `name` is a slot the province installed: the operator sees it
    and cannot change it (the province installs, replaces and removes it)."""
    for slot in slots:
        if slot.name == name and slot.from_province:
            raise OperatorError(_(message).format(
                name=name, day=installed_day(config, slot.installed_at)))


def slot_warnings(config: Config, paths: list[Path]) -> list[str]:
    """For `playlist check`: the good slot files among `paths` that repeat or overlap an
    installed slot or each other, one warning line each. The database is only read, and
    only when there is one."""
    from broadcaster.playlist import PlaylistError, clashes, load_playlist

    checked = []
    for path in paths:
        try:
            playlist = load_playlist(path, config.audio_dir,
                                     max_text_chars=config.tts.max_chars, zones=config.zones)
        except PlaylistError:
            continue  # its problems are told on their own
        if playlist.slot is not None:
            checked.append((path.stem, playlist))
    if not checked:
        return []
    installed: list[tuple[str, Playlist]] = []
    if (config.data_dir / DATABASE).exists():
        installed = [(slot.name, slot.playlist) for slot in installed_slots(config)]
    warnings, distinct = [], []
    for index, (name, playlist) in enumerate(checked):
        others = [*installed, *checked[:index]]
        other = clashes.duplicate_of(playlist, name, others)
        if other is None or playlist.slot is None:
            distinct.append((name, playlist))
            continue
        warnings.append(_(clashes.MSG_SAME_SLOT_CHECKED).format(
            name=name, other=other, at=playlist.slot.at.strftime("%H:%M"),
            days=clashes.days_shown(clashes.common_days(playlist, dict(others)[other]))))
    # a copy's overlaps are its original's: said once, for the original
    warnings += [clash.message() for clash in clashes.overlaps(distinct, installed,
                                                                _slot_length)]
    return warnings


def _slot_length(items: tuple[PlaylistItem, ...]) -> float:
    return length_of(items, probe=True)[0]


@dataclass(frozen=True)
class Removed:
    """A slot playlist uninstalled: the occurrences it had queued that were cancelled,
    and those left to end as they will (on air, or cut and resuming)."""

    name: str
    playlist: Playlist
    cancelled: list[Entry]
    left: list[Entry]


def remove_slot(config: Config, name: str) -> Removed:
    """Uninstall the slot playlist `name`; what it had queued and not started is cancelled
    (logged). An unknown name is refused, with the nearest installed name. The playlist's
    file name (`sang.yaml`, `playlists/sang.yaml`) names it too."""
    name = name.strip()
    if name.endswith((".yaml", ".yml")):
        name = Path(name).stem
    store = open_store(config)
    try:
        every = [Installed.of(slot) for slot in store.installed_slots()]
        slots = {slot.name: slot.playlist for slot in every}
        if name not in slots:
            raise OperatorError(_unknown_slot(name, sorted(slots)))
        _refuse_province_slot(config, name, every, MSG_PROVINCE_SLOT_REMOVE)
        removed = store.remove_slot(name, time.time(),
                                    _(MSG_SLOT_REMOVED_REASON).format(name=name),
                                    origin=OPERATOR)
        if removed is None:  # removed by someone else meanwhile, or now the province's
            now_there = [Installed.of(slot) for slot in store.installed_slots()]
            _refuse_province_slot(config, name, now_there, MSG_PROVINCE_SLOT_REMOVE)
            raise OperatorError(_unknown_slot(name, []))
    finally:
        store.close()
    poke_daemon(config)
    return Removed(name, slots[name], *removed)


def _unknown_slot(name: str, names: list[str]) -> str:
    from broadcaster.nearest import nearest_key

    if not names:
        return _(MSG_NO_SLOTS).format(name=name)
    suggestion = nearest_key(name, names)
    if suggestion is not None:
        return _(MSG_UNKNOWN_SLOT_NEAR).format(name=name, suggestion=suggestion)
    return _(MSG_UNKNOWN_SLOT).format(name=name, names=", ".join(names))


@dataclass(frozen=True)
class ScheduleLine:
    start: datetime
    end: datetime | None
    title: str
    level: Level
    what: str  # "slot NAME", "slot NAME (from the province, DAY)" or "queued #ID"
    items: int
    contents: tuple[PlaylistItem, ...] = ()  # what fills it
    origin: str | None = None  # a slot's: "operator" or "province"


def day_schedule(config: Config, day: date) -> list[ScheduleLine]:
    """The day's slots (with what fills them) and the one-offs due that day, by time."""
    tz = zone(config)
    anchor = datetime.combine(day, datetime.min.time(), tz)
    lines: list[ScheduleLine] = []
    store = open_store(config)
    try:
        for slot in store.installed_slots():
            playlist = playlist_from_json(slot.playlist)
            found = occurrence(slot.name, playlist, day, anchor)
            if found is None:
                continue
            what = Phrase(MSG_WHAT_PROVINCE_SLOT, name=slot.name,
                          day=installed_day(config, slot.installed_at)) \
                if slot.from_province else Phrase(MSG_WHAT_SLOT, name=slot.name)
            lines.append(ScheduleLine(found.start, found.hard_end, playlist.title,
                                      playlist.level, what, len(playlist.items),
                                      playlist.items, origin=slot.origin))
        next_day = anchor + timedelta(days=1)
        for entry in store.pending():
            due = datetime.fromtimestamp(entry.due_at, tz)
            if anchor <= due < next_day and entry.occurrence is None:
                lines.append(ScheduleLine(due, None, entry.title, entry.level,
                                          Phrase(MSG_WHAT_QUEUED, id=entry.id),
                                          len(entry.items), entry.items))
    finally:
        store.close()
    return sorted(lines, key=lambda line: line.start)


@dataclass(frozen=True)
class DayCalendar:
    """What the calendar says of a day: its lunar date (None outside 1901-2100), the public
    holiday on it (its name in the operator's language), and the installed slots that
    would air that day but skip it (a holiday or a date they skip)."""

    day: date
    lunar: LunarDay | None
    holiday: str | None
    skipped: tuple[str, ...]

    def lines(self, *, dated: bool = True) -> list[str]:
        """One line each, for the top of `schedule`: the lunar date ("ngày 15 tháng Giêng
        năm Bính Ngọ" in Vietnamese, "lunar 15/1, year Bính Ngọ" in English; after the
        day's own date unless not `dated`, where a heading already shows it), the
        holiday, the slots skipped."""
        lines = []
        if self.lunar is not None:
            month = self.lunar.month_name if language() == "vi" else str(self.lunar.month)
            lunar = _(MSG_LUNAR_DATE).format(
                day=self.day.isoformat(), lunar_day=self.lunar.day, lunar_month=month,
                leap=_(LEAP_MONTH) if self.lunar.leap else "", year=self.lunar.year_name)
            undated = lunar.removeprefix(f"{self.day.isoformat()}: ")
            lines.append(lunar if dated or undated == lunar else _(MSG_LUNAR).format(
                date=undated))
        if self.holiday is not None:
            lines.append(_(MSG_HOLIDAY).format(name=self.holiday))
        if self.skipped:
            lines.append(_(MSG_SKIPPED).format(names=", ".join(self.skipped)))
        return lines


def day_calendar(config: Config, day: date) -> DayCalendar:
    """The lunar date and holiday of `day`, and which installed slots skip it."""
    from broadcaster.schedule.vietnam_calendar import holiday, lunar_day

    skipped = []
    store = open_store(config)
    try:
        for slot in store.installed_slots():
            playlist = playlist_from_json(slot.playlist)
            if skips(playlist, day):
                skipped.append(slot.name)
    finally:
        store.close()
    return DayCalendar(day, lunar_day(day), holiday(day, language()), tuple(sorted(skipped)))



def slot_plan(line: ScheduleLine) -> list[str]:
    """For `schedule`, under a slot's line: when each of its items should start (from
    known lengths, files probed, speech estimated from its words) and which will not fit
    before a hard start (cut by how much, or moved after it). [] for a queued item."""
    from broadcaster.asrun import span
    from broadcaster.playlist.plan import Fate, plan

    if line.origin is None or not line.contents:
        return []
    items = line.contents
    lengths = [length_of((item,), probe=True)[0] for item in items]
    lines = [_(MSG_PLAN_HEADING).format(start=line.start.strftime("%H:%M"), what=line.what)]
    ended = line.start
    for part in plan(items, lengths, line.start):
        if part.start is not None and part.start - ended >= timedelta(seconds=1):
            lines.append(_(MSG_PLAN_GAP).format(start=ended.strftime("%H:%M:%S"),
                                                gap=span((part.start - ended).total_seconds())))
        if part.start is not None:
            ended = part.start + timedelta(seconds=part.length_s - part.cut_s)
        fields = {"start": part.start.strftime("%H:%M:%S") if part.start else "",
                  "number": part.index + 1, "what": _item_shown(items[part.index]),
                  "by": (part.by or 0) + 1, "lost": span(part.cut_s)}
        message = {Fate.CUT: MSG_PLAN_CUT, Fate.MOVED: MSG_PLAN_MOVED,
                   Fate.SKIPPED: MSG_PLAN_SKIPPED}.get(part.fate, MSG_PLAN_ITEM)
        if part.fate is Fate.AIRS and items[part.index].at is not None:
            message = MSG_PLAN_HARD_START
        lines.append(_(message).format(**fields))
    return lines


def _item_shown(item: PlaylistItem) -> str:
    """An item in a few words: its kind and what it airs ("say: Đài truyền thanh…")."""
    from broadcaster.asrun import PART_KINDS, source_of, what
    from broadcaster.model import Pause, Say
    from broadcaster.playlist.problems import show

    kind = _(PART_KINDS.get(what(item), what(item)))
    if isinstance(item, Say):
        text = show(item.text)
        return f"{kind}: {text if len(text) <= 40 else text[:39] + '…'}"
    if isinstance(item, Pause):
        return f"{kind} {item.duration_s:g} s"
    source = source_of(item)
    return f"{kind}: {source}" if source else kind
