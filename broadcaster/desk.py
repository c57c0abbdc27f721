"""The operator's desk: what `say`, `play`, `queue`, `cancel` and `log` do to the station
database, and what they tell the operator at once. The slot playlists and a day's schedule
(`playlist check`'s warnings, `playlist apply`, `playlist list`, `playlist remove`,
`schedule`) are in `programme`, which queues a one-off playlist with this desk's notes.

They work whether or not the daemon runs: the database is the source of truth, and a
running daemon is poked to look at once. Nothing here renders or plays audio, so these
commands stay fast; the daemon renders speech ahead as soon as it sees a new notice.
Every due time and expiry comes from `schedule.rules`, every air order and expected
start from `schedule.rundown`: the same rules the daemon follows. An item is committed
and the daemon poked before the rundown (and what it needs) is even imported: an
emergency waits for nothing the operator is told after.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from broadcaster.clock import parse_at, station_now, zone
from broadcaster.config import Config
from broadcaster.i18n import N_, _
from broadcaster.lifecycle import holder
from broadcaster.model import (
    MAX_TITLE,
    Chime,
    File,
    Level,
    OperatorError,
    Outcome,
    PlaylistItem,
    Say,
    one_line,
)
from broadcaster.runtime import poke_daemon
from broadcaster.schedule.rules import QuietHours, due_now, expiry
from broadcaster.store import (
    AsRunEntry,
    Entry,
    Store,
    open_store,
    playlist_from_json,
)

if TYPE_CHECKING:  # the rundown's side is imported once an item is queued and the daemon poked
    from broadcaster.schedule.rundown import Item, Planned, Rundown
    from broadcaster.status import LiveStatus

# Operator-facing messages of this module, kept together for translation.
MSG_BAD_LEVEL = N_("{value!r} is not a level; choose normal, priority or emergency")
MSG_NOT_FOUND = N_("{path}: file not found; check the path")
MSG_NOT_AUDIO = N_("{path}: not an audio file this station can play; "
                   "use WAV, MP3, OGG, Opus, FLAC, M4A or AAC")
MSG_COPY_FAILED = N_("{path}: cannot copy it into the station's audio folder ({reason})")
MSG_BAD_DATE = N_("{value!r} is not a date; write it as YYYY-MM-DD")
MSG_PAST_EXPIRY = N_("it could start no later than {expires}, which has passed; "
                     "give a later --at or --expires")
MSG_EXPIRES_BEFORE_DUE = N_("--expires {expires} is not after its start {due}; "
                            "give a later --expires")
MSG_QUIET_PAST_EXPIRY = N_("quiet hours hold it until {free}, past the latest start {expires}; "
                           "give --at after {free_clock} or a later --expires")
MSG_AFTER_QUIET = N_("will air at {when}, after quiet hours")
MSG_TOMORROW = N_("{value} has passed today: queued for tomorrow, {when}")
MSG_EXPIRES_TOMORROW = N_("--expires {value} has passed today: it may start until tomorrow, {when}")
MSG_GAP_TOO_LONG = N_("a gap of {gap} between readings is too long; give at most {most}")
MSG_BAD_TITLE = N_("a title is one line of at most {most} characters; shorten it")
MAX_GAP_S = 600.0  # a longer pause on air is a mistake (30m typed for 30s)
MSG_DAEMON_DOWN = N_("the station daemon is not running: nothing airs until the station starts "
                     "(`sudo systemctl start broadcaster`)")
MSG_NO_FILE = N_("no file given; give the path of an audio file (WAV, MP3, OGG, Opus, FLAC, "
                 "M4A or AAC), e.g. `broadcaster play bantin.mp3`")
MSG_IS_FOLDER = N_("{path}: this is a folder; give an audio file in it")
MSG_COPY_GONE = N_("{path}: its copy in the station's audio folder kept being deleted "
                   "while it was queued; try again")
MSG_SINCE_AFTER_UNTIL = N_("--since {since} is after --until {until}; give the earlier day "
                           "to --since")
# The same refusals at the web console, whose forms have days and times, not options.
MSG_FORM_SINCE_AFTER_UNTIL = N_("the first day {since} is after the last day {until}; "
                                "swap the two days")
MSG_FORM_PAST_EXPIRY = N_("it could start no later than {expires}, which has passed; "
                          "choose a later day or time")
MSG_FORM_QUIET_PAST_EXPIRY = N_("quiet hours hold it until {free}, past the latest start "
                                "{expires}; choose a time after {free_clock}")
# `cancel` of an item that has already ended says what became of it (from the as-run log).
MSG_ENDED = {
    Outcome.AIRED: N_("#{id} {title} has already aired (it ended at {ended}); "
                      "nothing to cancel"),
    Outcome.PARTIAL: N_("#{id} {title} has already aired in part (it ended at {ended}: "
                        "{reason}); nothing to cancel"),
    Outcome.CUT: N_("#{id} {title} was cut at its slot's end at {ended}; nothing to cancel"),
    Outcome.INTERRUPTED: N_("#{id} {title} ended interrupted at {ended} ({reason}); "
                            "nothing to cancel"),
    Outcome.MISSED: N_("#{id} {title} was missed at {ended} ({reason}); nothing to cancel"),
    Outcome.FAILED: N_("#{id} {title} failed at {ended} ({reason}); nothing to cancel"),
    Outcome.CANCELLED: N_("#{id} {title} was already cancelled at {ended}"),
}

TITLE_WORDS = 8
_CLOCK_ONLY = re.compile(r"^\s*\d{1,2}:\d{2}\s*$")


@dataclass(frozen=True)
class Queued:
    """What the operator is told after queueing: the id, when it is expected to start
    (None: it would expire waiting, at the rate things air now), and any warnings."""

    id: int
    expected: datetime | None
    notes: list[str] = field(default_factory=list)


def parse_level(value: str) -> Level:
    try:
        return Level(value.strip().lower())
    except ValueError:
        raise OperatorError(_(MSG_BAD_LEVEL).format(value=value)) from None


def station_rundown(config: Config) -> Rundown:
    from broadcaster.schedule.rundown import Rundown

    return Rundown(QuietHours.parse(config.station.quiet_hours), zone(config))


def when_to_air(config: Config, level: Level, at: str, expires: str | None,
                now: datetime) -> tuple[datetime, datetime, list[str]]:
    """Due time, expiry and notes for `--at` and `--expires` (SPEC §6). Refuses a due
    time already past its expiry, and one that quiet hours would hold past it."""
    quiet = QuietHours.parse(config.station.quiet_hours)
    notes: list[str] = []
    timed = at.strip().lower() != "now"
    due = parse_at(at, now) if timed else due_now(level, now, quiet)
    if timed and _CLOCK_ONLY.match(at) and due.date() > now.date():
        notes.append(_(MSG_TOMORROW).format(value=at.strip(), when=clock(due)))
    latest = expiry(level, due, quiet, timed=timed)
    if expires is not None:
        latest = parse_at(expires, now)
        if _CLOCK_ONLY.match(expires) and latest.date() > now.date():
            notes.append(_(MSG_EXPIRES_TOMORROW).format(value=expires.strip(),
                                                        when=clock(latest)))
        if latest <= due:
            raise OperatorError(_(MSG_EXPIRES_BEFORE_DUE).format(expires=clock(latest),
                                                                 due=clock(due)))
    if latest < now:
        raise OperatorError(_(MSG_PAST_EXPIRY).format(expires=clock(latest)),
                            on_a_form=_(MSG_FORM_PAST_EXPIRY).format(expires=clock(latest)))
    free = quiet.free_from(level, max(due, now))
    if free > latest:
        fields = {"free": clock(free), "free_clock": free.strftime("%H:%M"),
                  "expires": clock(latest)}
        raise OperatorError(_(MSG_QUIET_PAST_EXPIRY).format(**fields),
                            on_a_form=_(MSG_FORM_QUIET_PAST_EXPIRY).format(**fields))
    if free > max(due, now):
        notes.append(_(MSG_AFTER_QUIET).format(when=clock(free)))
    elif not timed and due > now:
        notes.append(_(MSG_AFTER_QUIET).format(when=clock(due)))
    return due, latest, notes


def queue_notice(config: Config, text: str, *, at: str = "now", repeat: int = 1,
                 gap_s: float = 0.0, level: str = "normal", title: str | None = None,
                 expires: str | None = None, zones: Sequence[str] = ()) -> Queued:
    """Queue a spoken notice (with the chime) for `zones` (names as the operator typed
    them; none: every zone). Refuses unreadable text, unknown zones and impossible times
    before anything changes."""
    chosen = parse_level(level)
    for_zones = _zones_for(config, chosen, zones)
    if gap_s > MAX_GAP_S:
        raise OperatorError(_(MSG_GAP_TOO_LONG).format(gap=f"{gap_s:.0f} s", most="10m"))
    _check_title(title)
    check_text(config, text)
    items = (Chime("default"), Say(text.strip(), repeat=repeat, gap_s=gap_s))
    store = open_store(config)
    try:
        return _enqueue(config, store, title or _title_from(text), chosen, items, at, expires,
                        zones=for_zones)
    finally:
        store.close()


def queue_file(config: Config, path: str, *, at: str = "now", level: str = "normal",
               expires: str | None = None, title: str | None = None,
               zones: Sequence[str] = ()) -> Queued:
    """Queue an audio file. A file outside the audio folder is copied in first (one copy
    per content, see `queued_audio`), so the daemon can read it and it stays there even if
    the original goes; the copy is deleted once no item needs it."""
    from broadcaster import queued_audio

    chosen = parse_level(level)
    for_zones = _zones_for(config, chosen, zones)
    _check_title(title)
    if not path.strip():
        raise OperatorError(_(MSG_NO_FILE))
    when_to_air(config, chosen, at, expires, station_now(config))  # refuse before copying
    source = _audio_source(Path(path))
    name = title or _title_of(source)
    store = open_store(config)
    try:
        if source.is_relative_to(config.audio_dir.resolve()):
            return _enqueue(config, store, name, chosen, (File(source),), at, expires,
                            zones=for_zones)
        for _attempt in range(3):  # `cancel` or the daemon may delete an unneeded copy
            try:
                copy = queued_audio.copy_in(config.audio_dir, source, store)
            except OSError as exc:
                raise OperatorError(_(MSG_COPY_FAILED).format(
                    path=path, reason=exc.strerror or one_line(exc))) from None
            try:
                return _enqueue(config, store, name, chosen, (File(copy),), at, expires,
                                needs=copy, zones=for_zones)
            except _CopyGone:
                continue
        raise OperatorError(_(MSG_COPY_GONE).format(path=path))
    finally:
        store.close()


def check_text(config: Config, text: str) -> None:
    """Refuses, before anything changes, a text the station could not read aloud (empty,
    symbols only, over the size limit) or a station abbreviations file it cannot read.
    The reading form (the normalizer, its dictionary and patterns: ~60 ms, most of a
    `say`) is built only when the cheap look (`text_in.surely_read`) cannot tell, or to
    check the station's own dictionary; rendering is the daemon's."""
    from broadcaster.text_in import surely_read

    own_words = config.abbreviations_file
    if len(text) <= config.tts.max_chars and not (own_words and own_words.exists()) \
            and surely_read(text):
        return
    from broadcaster.speech.render import reading_form

    reading_form(config, text)  # refuses in one line (why, and what to do)


def _zones_for(config: Config, level: Level, names: Sequence[str]) -> tuple[str, ...] | None:
    """The zones an item is for, as the config names them; None: every zone. An emergency
    goes to every zone: naming zones for one is refused."""
    from broadcaster.config import MSG_EMERGENCY_ZONES, zones_named

    chosen = zones_named(names, config.zones)
    if chosen is not None and level is Level.EMERGENCY:
        raise OperatorError(_(MSG_EMERGENCY_ZONES))
    return chosen


def _check_title(title: str | None) -> None:
    if title is not None and ("\n" in title or "\r" in title or len(title) > MAX_TITLE):
        raise OperatorError(_(MSG_BAD_TITLE).format(most=MAX_TITLE))


class _CopyGone(Exception):
    """The copy an item needs was deleted (as unneeded) before the item was queued."""


def _enqueue(config: Config, store: Store, title: str, level: Level,
             items: tuple[PlaylistItem, ...], at: str, expires: str | None,
             needs: Path | None = None, zones: tuple[str, ...] | None = None) -> Queued:
    """Queue it; raises _CopyGone (nothing queued) when the file it `needs` is gone."""
    now = station_now(config)
    due, latest, notes = when_to_air(config, level, at, expires, now)
    with store.transaction() as db:  # the copy is deleted under this lock, or not at all
        if needs is not None and not needs.exists():
            raise _CopyGone(needs)
        entry_id = store.enqueue(title=title, level=level, source="operator", items=items,
                                 due_at=due.timestamp(), now=now.timestamp(),
                                 expires_at=latest.timestamp(), zones=zones, connection=db)
    poked = poke_daemon(config)  # at once: an emergency waits for nothing below
    return told(config, entry_id, expected_start(config, store, entry_id, now), notes,
                poked=poked)


def told(config: Config, entry_id: int, expected: datetime | None, notes: list[str],
         poked: bool | None = None) -> Queued:
    """What the operator is told of a queued item: pokes the daemon (unless `poked` says
    how poking it went already), and adds a note when it is not running (nothing airs
    until it starts)."""
    if poked is None:
        poked = poke_daemon(config)
    if not poked and holder(config.data_dir) is None:
        notes.append(_(MSG_DAEMON_DOWN))
    return Queued(entry_id, expected, notes)


def expected_start(config: Config, store: Store, entry_id: int,
                   now: datetime) -> datetime | None:
    """When the waiting item `entry_id` is expected to start, in the station's zone (None:
    it would expire waiting, at the rate things air now); when the daemon, poked, has
    put it on air already: when it started."""
    from broadcaster.status import read_status

    status = read_status(config)
    if status is not None and status.on_air is not None and status.on_air.id == entry_id:
        return _moment(status.on_air.since, config)
    for entry, planned in air_order(config, store, now, status):
        if entry.id == entry_id:
            return _moment(planned.start, config)
    return None


def _moment(stamp: float | None, config: Config) -> datetime | None:
    return datetime.fromtimestamp(stamp, zone(config)) if stamp is not None else None


def air_order(config: Config, store: Store, now: datetime,
              status: LiveStatus | None) -> list[tuple[Entry, Planned]]:
    """Waiting items in the order the station will start them, each with its expected
    start: the rundown played forward from the end of what is on air now (an emergency
    cuts in; what it cut resumes after it). `status`: the daemon's live status
    (`status.read_status`; None: it is not running)."""
    from broadcaster.status import MSG_SPEECH_NOT_READY

    entries = {entry.id: entry for entry in store.pending()}
    on_air_id = status.on_air.id if status is not None and status.on_air is not None else None
    ready = {up.id: up.note != MSG_SPEECH_NOT_READY for up in status.next} if status else {}
    items = []
    for entry in entries.values():
        if entry.id == on_air_id or entry.state == "cancel":
            continue
        # on air in the database but not now: cut by an emergency (daemon running) or
        # by the daemon stopping; either way it goes first again
        cut = entry.state == "on_air"
        items.append(_item(entry, ready.get(entry.id, True), cut, running=status is not None))
    for number, entry in enumerate(_slots_ahead(store, now), 1):
        entries[-number] = entry = replace(entry, id=-number)
        items.append(_item(entry, True, False, running=status is not None))
    plan = station_rundown(config).plan(items, now.timestamp(),
                                        _busy_until(status, entries.get(on_air_id or 0)))
    return [(entries[planned.item.id], planned) for planned in plan]


def _slots_ahead(store: Store, now: datetime) -> list[Entry]:
    """Slot occurrences of the next 24 h not queued yet, as the entries they will be
    (ids are negative: they have none yet)."""
    from broadcaster.schedule.slots import upcoming

    found = []
    for name, text, _installed in store.slots():
        playlist = playlist_from_json(text)
        for ahead in upcoming(name, playlist, now):
            if store.has_occurrence(ahead.key):
                continue
            found.append(Entry(
                id=0, title=playlist.title, level=playlist.level, source="slot",
                items=playlist.items, due_at=ahead.start.timestamp(),
                expires_at=ahead.expires.timestamp(),
                hard_end=ahead.hard_end.timestamp() if ahead.hard_end else None,
                state="pending", occurrence=ahead.key, reference=None, zones=playlist.zones))
    return found


def _busy_until(status: LiveStatus | None, entry: Entry | None) -> float | None:
    """When what is on air should end: its length, its slot's `until` if sooner."""
    from broadcaster.on_air import length_of

    on_air = status.on_air if status is not None else None
    if on_air is None:
        return None
    length = on_air.duration_s
    if length is None and entry is not None:
        length = entry.duration_s or length_of(entry.items)[0]
    end = on_air.since + length - on_air.offset_s if length is not None else None
    if entry is not None and entry.hard_end is not None:
        end = min(end, entry.hard_end) if end is not None else entry.hard_end
    return end


def _item(entry: Entry, ready: bool, cut: bool, running: bool) -> Item:
    from broadcaster.on_air import length_of
    from broadcaster.schedule.rundown import Item, State

    interruptions = entry.progress.interruptions
    resumes = (bool(interruptions) and interruptions[-1].resumed_at is None) or \
        (cut and not running)
    state = State.INTERRUPTED if cut and running else State.WAITING
    length = entry.duration_s if entry.duration_s is not None else length_of(entry.items)[0]
    return Item(entry.id, entry.level, entry.due_at, entry.expires_at, state, length, ready,
                resumes=resumes)


def _audio_source(path: Path) -> Path:
    """The file `play` was given, resolved: present, readable and audio inside."""
    from broadcaster.playlist.audio_files import AUDIO_SUFFIXES, looks_like_audio

    try:
        source = path.resolve(strict=True)
        with source.open("rb") as handle:
            head = handle.read(12)
    except FileNotFoundError:
        raise OperatorError(_(MSG_NOT_FOUND).format(path=path)) from None
    except IsADirectoryError:
        raise OperatorError(_(MSG_IS_FOLDER).format(path=path)) from None
    except OSError as exc:
        raise OperatorError(_(MSG_COPY_FAILED).format(path=path, reason=exc.strerror)) from None
    if source.suffix.lower() not in AUDIO_SUFFIXES or not looks_like_audio(head):
        raise OperatorError(_(MSG_NOT_AUDIO).format(path=path))
    return source


def _title_of(source: Path) -> str:
    """The file's name as a title: readable even when it is not UTF-8, one line, short."""
    name = os.fsencode(source.name).decode("utf-8", "replace")
    return " ".join(name.split())[:MAX_TITLE]


def _title_from(text: str) -> str:
    words = text.split()
    title = " ".join(words[:TITLE_WORDS])
    return title + (" …" if len(words) > TITLE_WORDS else "")


def clock(moment: datetime) -> str:
    """A moment as the operator is told it: YYYY-MM-DD HH:MM, in its own time zone."""
    return moment.strftime("%Y-%m-%d %H:%M")


def pending(config: Config) -> tuple[Entry | None, list[tuple[Entry, Planned]]]:
    """What is on air now (None when nothing is, or the daemon is down), and the other
    pending items in the order the station will start them."""
    store = open_store(config)
    try:
        from broadcaster.status import read_status

        now = station_now(config)
        status = read_status(config)
        on_air_id = status.on_air.id if status and status.on_air else None
        on_air = store.entry(on_air_id) if on_air_id is not None else None
        return on_air, air_order(config, store, now, status)
    finally:
        store.close()


def cancel(config: Config, entry_id: int) -> Entry:
    """Cancel a pending item (its copy of a played file goes with it, if no other item
    needs it) or ask the daemon to stop it on air. An item that has already ended is
    refused with what became of it."""
    from broadcaster import queued_audio

    store = open_store(config)
    try:
        try:
            entry = store.cancel(entry_id, now=time.time())
        except OperatorError:
            ended = _ended(config, store, entry_id)
            if ended is None:
                raise
            raise OperatorError(ended) from None
        if entry.state == "pending" and queued_audio.needs_release(entry.items,
                                                                   config.audio_dir):
            queued_audio.release_unneeded(config.audio_dir, store)
    finally:
        store.close()
    poke_daemon(config)
    return entry


def _ended(config: Config, store: Store, entry_id: int) -> str | None:
    """What the as-run log says became of an item that is no longer queued."""
    from broadcaster.store import as_run_entry

    rows = store.query("SELECT * FROM as_run WHERE queue_id = ? ORDER BY id DESC LIMIT 1",
                       (entry_id,))
    if not rows:
        return None
    line = as_run_entry(rows[0])
    ended = datetime.fromtimestamp(line.ended_at, zone(config))
    return _(MSG_ENDED[line.outcome]).format(id=entry_id, title=line.title,
                                              ended=clock(ended), reason=line.reason or "")


def parse_day(value: str | None, config: Config) -> date:
    if value is None or value == "today":
        return station_now(config).date()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise OperatorError(_(MSG_BAD_DATE).format(value=value)) from None


def as_run(config: Config, since: str | None, until: str | None) -> list[AsRunEntry]:
    """As-run lines ended in [since, until) — whole days in the station's zone."""
    tz = zone(config)
    first = parse_day(since, config) if since else None
    last = parse_day(until, config) if until else None
    if first is not None and last is not None and first > last:
        raise OperatorError(_(MSG_SINCE_AFTER_UNTIL).format(since=first, until=last),
                            on_a_form=_(MSG_FORM_SINCE_AFTER_UNTIL).format(since=first,
                                                                           until=last))
    start = datetime.combine(first, datetime.min.time(), tz).timestamp() if first else None
    end = (datetime.combine(last + timedelta(days=1), datetime.min.time(), tz).timestamp()
           if last else None)
    store = open_store(config)
    try:
        return store.as_run(start, end)
    finally:
        store.close()
