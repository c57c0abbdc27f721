"""The operator's desk: what `say`, `play`, `queue`, `cancel`, `schedule`, `playlist apply`
and `log` do to the station database.

They work whether or not the daemon runs: the database is the source of truth, and a
running daemon is poked to look at once. Nothing here renders or plays audio, so these
commands stay fast; the daemon renders speech ahead as soon as it sees a new notice.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from broadcaster.clock import parse_at
from broadcaster.config import Config
from broadcaster.model import Chime, File, Level, OperatorError, Playlist, Say
from broadcaster.runtime import poke_daemon
from broadcaster.schedule.rules import EMERGENCY_DEFAULT_EXPIRY, hard_end, occurrence
from broadcaster.store import AsRunEntry, Entry, Store, playlist_from_json, playlist_to_json

# Operator-facing messages of this module, kept together for translation.
MSG_BAD_LEVEL = "{value!r} is not a level; choose normal, priority or emergency"
MSG_NOT_FOUND = "{path}: file not found; check the path"
MSG_NOT_AUDIO = ("{path}: not an audio file this station can play; "
                 "use WAV, MP3, OGG, Opus, FLAC, M4A or AAC")
MSG_COPY_FAILED = "{path}: cannot copy it into the station's audio folder ({reason})"
MSG_BAD_DATE = "{value!r} is not a date; write it as YYYY-MM-DD"

DATABASE = "station.db"
TITLE_WORDS = 8


def open_store(config: Config) -> Store:
    return Store(config.data_dir / DATABASE)


def zone(config: Config) -> ZoneInfo:
    return ZoneInfo(config.station.timezone)


def now_in(config: Config) -> datetime:
    return datetime.now(zone(config))


def parse_level(value: str) -> Level:
    try:
        return Level(value.strip().lower())
    except ValueError:
        raise OperatorError(MSG_BAD_LEVEL.format(value=value)) from None


def queue_notice(config: Config, text: str, *, at: str = "now", repeat: int = 1,
                 gap_s: float = 0.0, level: str = "normal", title: str | None = None) -> int:
    """Queue a spoken notice (with the chime); returns its id. Refuses unreadable text."""
    from broadcaster.speech.render import reading_form

    chosen = parse_level(level)
    reading_form(config, text)  # empty, symbol-only or too long: refused before anything
    now = now_in(config)
    due = parse_at(at, now)
    items = (Chime("default"), Say(text.strip(), repeat=repeat, gap_s=gap_s))
    return _enqueue(config, title or _title_from(text), chosen, items, due, now)


def queue_file(config: Config, path: Path, *, at: str = "now", level: str = "normal") -> int:
    """Queue an audio file; a file outside the audio folder is copied in first, so the
    daemon can read it and it stays there even if the original goes."""
    chosen = parse_level(level)
    now = now_in(config)
    due = parse_at(at, now)
    inside = _into_audio_dir(config, path)
    return _enqueue(config, path.name, chosen, (File(inside),), due, now)


def _enqueue(config: Config, title: str, level: Level, items: tuple[Chime | Say | File, ...],
             due: datetime, now: datetime) -> int:
    expires = due + EMERGENCY_DEFAULT_EXPIRY if level is Level.EMERGENCY else None
    store = open_store(config)
    try:
        entry_id = store.enqueue(title=title, level=level, source="operator", items=items,
                                 due_at=due.timestamp(), now=now.timestamp(),
                                 expires_at=expires.timestamp() if expires else None)
    finally:
        store.close()
    poke_daemon(config)
    return entry_id


def _into_audio_dir(config: Config, path: Path) -> Path:
    from broadcaster.playlist.audio_files import AUDIO_SUFFIXES, looks_like_audio

    try:
        source = path.resolve(strict=True)
        with source.open("rb") as handle:
            head = handle.read(12)
    except FileNotFoundError:
        raise OperatorError(MSG_NOT_FOUND.format(path=path)) from None
    except OSError as exc:
        raise OperatorError(MSG_COPY_FAILED.format(path=path, reason=exc.strerror)) from None
    if source.suffix.lower() not in AUDIO_SUFFIXES or not looks_like_audio(head):
        raise OperatorError(MSG_NOT_AUDIO.format(path=path))
    audio_dir = config.audio_dir.resolve()
    if source.is_relative_to(audio_dir):
        return source
    target = audio_dir / "queued" / f"{int(time.time())}-{source.name}"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.part")
        shutil.copyfile(source, tmp)
        tmp.replace(target)
    except OSError as exc:
        raise OperatorError(MSG_COPY_FAILED.format(path=path, reason=exc.strerror)) from None
    return target


def _title_from(text: str) -> str:
    words = text.split()
    title = " ".join(words[:TITLE_WORDS])
    return title + (" …" if len(words) > TITLE_WORDS else "")


def air_order(entries: list[Entry]) -> list[Entry]:
    """Pending entries in the order they will air: on air first, then emergencies,
    then by due time with priority before normal among those already due."""
    rank = {Level.EMERGENCY: 0, Level.PRIORITY: 1, Level.NORMAL: 2}
    return sorted(entries, key=lambda e: (e.state != "on_air", e.due_at, rank[e.level], e.id))


def pending(config: Config) -> list[Entry]:
    store = open_store(config)
    try:
        return air_order(store.pending())
    finally:
        store.close()


def cancel(config: Config, entry_id: int) -> Entry:
    store = open_store(config)
    try:
        entry = store.cancel(entry_id, now=time.time())
    finally:
        store.close()
    poke_daemon(config)
    return entry


def apply_playlist(config: Config, path: Path) -> tuple[str, Playlist, int | None]:
    """Validate and install a slot playlist (under its file name) or queue a one-off,
    in one transaction. Returns ("installed"|"queued", the playlist, the queued id)."""
    from broadcaster.playlist import load_playlist

    playlist = load_playlist(path, config.audio_dir, max_text_chars=config.tts.max_chars)
    now = now_in(config)
    store = open_store(config)
    try:
        if playlist.slot is not None:
            store.install_slot(path.stem, playlist_to_json(playlist), now.timestamp())
            result: tuple[str, Playlist, int | None] = ("installed", playlist, None)
        else:
            due = now
            if playlist.valid_from and playlist.valid_from > now.date():
                due = datetime.combine(playlist.valid_from, datetime.min.time(), now.tzinfo)
            entry_id = store.enqueue(
                title=playlist.title, level=playlist.level, source="operator",
                items=playlist.items, due_at=due.timestamp(), now=now.timestamp(),
                expires_at=(due + EMERGENCY_DEFAULT_EXPIRY).timestamp()
                if playlist.level is Level.EMERGENCY else None)
            result = ("queued", playlist, entry_id)
    finally:
        store.close()
    poke_daemon(config)
    return result


@dataclass(frozen=True)
class ScheduleLine:
    start: datetime
    end: datetime | None
    title: str
    level: Level
    what: str  # "slot NAME" or "queued #ID"
    items: int


def day_schedule(config: Config, day: date) -> list[ScheduleLine]:
    """The day's slots (with what fills them) and the one-offs due that day, by time."""
    tz = zone(config)
    anchor = datetime.combine(day, datetime.min.time(), tz)
    lines: list[ScheduleLine] = []
    store = open_store(config)
    try:
        for name, text, _installed in store.slots():
            playlist = playlist_from_json(text)
            when = occurrence(playlist, day, anchor)
            if when is not None:
                lines.append(ScheduleLine(when, hard_end(playlist, when), playlist.title,
                                          playlist.level, f"slot {name}", len(playlist.items)))
        next_day = anchor + timedelta(days=1)
        for entry in store.pending():
            due = datetime.fromtimestamp(entry.due_at, tz)
            if anchor <= due < next_day and entry.occurrence is None:
                lines.append(ScheduleLine(due, None, entry.title, entry.level,
                                          f"queued #{entry.id}", len(entry.items)))
    finally:
        store.close()
    return sorted(lines, key=lambda line: line.start)


def parse_day(value: str | None, config: Config) -> date:
    if value is None or value == "today":
        return now_in(config).date()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise OperatorError(MSG_BAD_DATE.format(value=value)) from None


def as_run(config: Config, since: str | None, until: str | None) -> list[AsRunEntry]:
    """As-run lines ended in [since, until) — whole days in the station's zone."""
    tz = zone(config)
    start = (datetime.combine(parse_day(since, config), datetime.min.time(), tz).timestamp()
             if since else None)
    end = (datetime.combine(parse_day(until, config) + timedelta(days=1), datetime.min.time(),
                            tz).timestamp() if until else None)
    store = open_store(config)
    try:
        return store.as_run(start, end)
    finally:
        store.close()
