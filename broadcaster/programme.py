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
from broadcaster.i18n import N_, Phrase, _
from broadcaster.model import Level, OperatorError, Playlist, PlaylistItem
from broadcaster.on_air import length_of
from broadcaster.runtime import poke_daemon
from broadcaster.schedule.rules import QuietHours, one_off_window
from broadcaster.schedule.slots import occurrence
from broadcaster.store import DATABASE, Entry, open_store, playlist_from_json, playlist_to_json

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

    playlist = load_playlist(path, config.audio_dir, max_text_chars=config.tts.max_chars)
    warnings: tuple[str, ...] = ()
    if playlist.slot is not None:
        installed = [(name, slot) for name, slot, _at in installed_slots(config)]
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
            store.install_slot(path.stem, playlist_to_json(playlist), now.timestamp())
            open_now = bool(owed(path.stem, playlist, now, now))
            result = Applied(playlist, open_now=open_now, warnings=warnings)
        else:
            entry_id = store.enqueue(
                title=playlist.title, level=playlist.level, source="operator",
                items=playlist.items, due_at=due.timestamp(), now=now.timestamp(),
                expires_at=latest.timestamp())
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


def installed_slots(config: Config) -> list[tuple[str, Playlist, float]]:
    """The installed slot playlists by name: (name, playlist, installed at, epoch)."""
    store = open_store(config)
    try:
        return [(name, playlist_from_json(text), at) for name, text, at in store.slots()]
    finally:
        store.close()


def slot_warnings(config: Config, paths: list[Path]) -> list[str]:
    """For `playlist check`: the good slot files among `paths` that repeat or overlap an
    installed slot or each other, one warning line each. The database is only read, and
    only when there is one."""
    from broadcaster.playlist import PlaylistError, clashes, load_playlist

    checked = []
    for path in paths:
        try:
            playlist = load_playlist(path, config.audio_dir, max_text_chars=config.tts.max_chars)
        except PlaylistError:
            continue  # its problems are told on their own
        if playlist.slot is not None:
            checked.append((path.stem, playlist))
    if not checked:
        return []
    installed: list[tuple[str, Playlist]] = []
    if (config.data_dir / DATABASE).exists():
        installed = [(name, slot) for name, slot, _at in installed_slots(config)]
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
        slots = {slot: playlist_from_json(text) for slot, text, _at in store.slots()}
        if name not in slots:
            raise OperatorError(_unknown_slot(name, sorted(slots)))
        removed = store.remove_slot(name, time.time(),
                                    _(MSG_SLOT_REMOVED_REASON).format(name=name))
        if removed is None:  # removed by someone else meanwhile
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
    what: str  # "slot NAME" or "queued #ID"
    items: int
    contents: tuple[PlaylistItem, ...] = ()  # what fills it


def day_schedule(config: Config, day: date) -> list[ScheduleLine]:
    """The day's slots (with what fills them) and the one-offs due that day, by time."""
    tz = zone(config)
    anchor = datetime.combine(day, datetime.min.time(), tz)
    lines: list[ScheduleLine] = []
    store = open_store(config)
    try:
        for name, text, _installed in store.slots():
            playlist = playlist_from_json(text)
            found = occurrence(name, playlist, day, anchor)
            if found is not None:
                lines.append(ScheduleLine(found.start, found.hard_end, playlist.title,
                                          playlist.level, Phrase(MSG_WHAT_SLOT, name=name),
                                          len(playlist.items), playlist.items))
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
