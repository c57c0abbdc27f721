"""The station daemon (`broadcaster run`): wires the database, the schedule and the player.

One thread — the station's — owns the database connection and makes every decision.
Everything else only posts messages to it: APScheduler's triggers ("this entry is
due", "this slot starts", "this slot's `until` has come"), the player's events, and
the control socket the CLI pokes after it changed the database. The station also
looks at the database's data_version four times a second, so a change made while the
socket was unreachable is still picked up within a second.

The player airs one entry at a time; the station keeps the waiting ones and hands over
the next when the player is free, checking grace and quiet hours at that moment. Only
an emergency goes to the player at once, which cuts in.
"""

from __future__ import annotations

import logging
import os
import queue
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from broadcaster.model import (
    Chime,
    File,
    Level,
    OperatorError,
    Outcome,
    Pause,
    PlaylistItem,
    Relay,
    RenderedProgram,
    Say,
)
from broadcaster.runtime import StatusFile, clock_synchronized, control_socket_path, notify
from broadcaster.schedule.rules import QuietHours, decide, hard_end, occurrence, occurrence_key
from broadcaster.store import Entry, Store, playlist_from_json

if TYPE_CHECKING:
    from broadcaster.air import AirEvent, Player, Source
    from broadcaster.config import Config
    from broadcaster.speech.render import Notice
    from broadcaster.upstream.pushes import Upstream

log = logging.getLogger(__name__)

POLL_S = 0.25  # how often the database is checked for changes made by the CLI
STATUS_EVERY_S = 0.2  # how often the live status is compared (and rewritten if it changed)
RENDER_WAIT_S = 60.0  # the longest a notice's turn waits for its speech before it is skipped
RERENDER_MARGIN_S = 60.0  # no second render this close to air time
RERENDER_EVERY_S = 300.0  # how often the first engine is tried again before air time
# An item goes to the player this long (plus the amplifier's warm-up) before its time: the
# player opens the device and warms the amplifier up, then starts it on the dot.
PREPARE_S = 0.5
CHIME_FILE = "chime.wav"

# Operator-facing messages of this module, kept together for translation.
MSG_INTERRUPTED_BY_STOP = "the daemon stopped (power cut or restart) while it was on air"
MSG_SLOT_ENDED = "its slot ended before it could air"
MSG_RENDER_FAILED = "speech could not be rendered: {reason}"


@dataclass
class _Known:
    """What the station knows about an entry beyond the database row."""

    entry: Entry
    where: str = "scheduled"  # scheduled, held, waiting, player
    started_at: float | None = None
    engines: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)
    speech: list[Future[RenderedProgram]] = field(default_factory=list)


class Station:
    """The daemon. `clock` gives the wall time (aware); tests and benchmarks inject one."""

    def __init__(self, config: Config, *, player: Player | None = None,
                 clock: Callable[[], datetime] | None = None) -> None:
        self.config = config
        self.zone = ZoneInfo(config.station.timezone)
        self._clock = clock or (lambda: datetime.now(self.zone))
        self.quiet = QuietHours.parse(config.station.quiet_hours)
        self._inbox: queue.Queue[tuple[Any, ...]] = queue.Queue()
        self._known: dict[int, _Known] = {}
        self._slot_jobs: dict[str, str] = {}
        self._in_player: set[int] = set()
        self._renderer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="render")
        self._player = player
        self._store: Store | None = None
        self._upstream: Upstream | None = None
        self._status = StatusFile(config.runtime_dir / "status.json")
        self._last_error = ""
        self._device_error = ""
        self._status_due = 0.0
        self._started_at = ""
        self._on_air_since: tuple[Any, float, float] = (None, 0.0, 0.0)
        self.start_errors_ms: list[float] = []  # first block handed over − due, per entry

    # --- running ----------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        """Air until `stop` is set (SIGTERM). The amplifier is off on every way out."""
        from apscheduler.schedulers.background import BackgroundScheduler

        from broadcaster.upstream.pushes import Upstream

        self._store = Store(self.config.data_dir / "station.db")
        upstream = self._upstream = Upstream(self.config, self._store)
        self._started_at = self._clock().isoformat(timespec="seconds")
        self._scheduler = BackgroundScheduler(timezone=self.zone)
        self._scheduler.start()
        player = self._player or self._build_player()
        self._player = player
        player.start()
        listener = self._listen(stop)
        try:
            self._recover()
            self._sync()
            upstream.start(self.post)  # pushes wait at the broker until now
            notify("READY=1")
            watchdog = _watchdog_interval()
            next_ping = time.monotonic()
            version = self._store.data_version()
            while not stop.is_set():
                try:
                    message = self._inbox.get(timeout=POLL_S)
                except queue.Empty:
                    message = None
                if message is not None:
                    self._handle(message)
                    continue_draining = True
                    while continue_draining:
                        try:
                            self._handle(self._inbox.get_nowait())
                        except queue.Empty:
                            continue_draining = False
                current = self._store.data_version()
                if current != version:
                    version = current
                    self._sync()
                self._feed_player()
                upstream.tick(self._clock())
                self._write_status()
                if watchdog and time.monotonic() >= next_ping:
                    notify("WATCHDOG=1")
                    next_ping = time.monotonic() + watchdog
        finally:
            notify("STOPPING=1")
            upstream.close()  # retained status `offline`; unacked pushes come again
            listener.close()
            self._scheduler.shutdown(wait=False)
            player.close()  # fades out, closes the device, switches the amplifier off
            self._drain_events()
            self._renderer.shutdown(wait=False, cancel_futures=True)
            self._status.remove()
            self._store.close()

    def post(self, *message: Any) -> None:
        """Hand the station thread a message; safe from any thread."""
        self._inbox.put(message)

    def _build_player(self) -> Player:
        from broadcaster.air import Amplifier, Player, SoundOutput, output_format

        output = SoundOutput(self.config.audio.device, output_format(self.config))
        amplifier = Amplifier.from_config(self.config.amplifier)
        return Player(output, amplifier, on_event=lambda event: self.post("air", event))

    def _listen(self, stop: threading.Event) -> _ControlListener:
        listener = _ControlListener(control_socket_path(self.config), lambda: self.post("sync"))
        listener.start()
        return listener

    @property
    def store(self) -> Store:
        if self._store is None:
            raise RuntimeError("the station is not running")
        return self._store

    # --- what the database says ---------------------------------------------------------

    def _recover(self) -> None:
        """After a power cut or kill: what was on air is logged interrupted and, still
        within its grace, airs again from the start; slot occurrences due while the
        daemon was down are queued (the grace rules then air or miss them)."""
        now = self._clock()
        for entry in self.store.pending():
            if entry.state == "on_air":
                self.store.log(entry, Outcome.INTERRUPTED, started_at=entry.started_at,
                               ended_at=now.timestamp(), reason=MSG_INTERRUPTED_BY_STOP)
                self.store.set_state(entry.id, "pending")
        for name, text, installed_at in self.store.slots():
            playlist = playlist_from_json(text)
            for day in (now.date() - timedelta(days=1), now.date()):
                when = occurrence(playlist, day, now)
                if when is None or when > now or when.timestamp() < installed_at:
                    continue
                self._queue_slot(name, playlist, when, now)

    def _sync(self) -> None:
        now = self._clock()
        self._sync_slots()
        pending = {entry.id: entry for entry in self.store.pending()}
        for entry_id in list(self._known):
            if entry_id not in pending:  # finished elsewhere: cancelled by the operator
                self._forget(entry_id, stop_outcome=Outcome.CANCELLED)
        for entry in pending.values():
            known = self._known.get(entry.id)
            if known is None:
                if entry.state == "cancel":
                    self.store.finish(entry, Outcome.CANCELLED, ended_at=now.timestamp(),
                                      reason="cancelled by operator")
                    continue
                self._take(entry, now)
            elif entry.state == "cancel" and known.entry.state != "cancel":
                known.entry = entry
                if self._player is not None and entry.id in self._in_player:
                    self._player.stop(str(entry.id), Outcome.CANCELLED)
                else:
                    self._forget(entry.id)
                    self.store.finish(entry, Outcome.CANCELLED, ended_at=now.timestamp(),
                                      reason="cancelled by operator")

    def _sync_slots(self) -> None:
        installed = {name: text for name, text, _ in self.store.slots()}
        for name in list(self._slot_jobs):
            if installed.get(name) != self._slot_jobs[name]:
                self._unschedule(f"slot:{name}")
                del self._slot_jobs[name]
        for name, text in installed.items():
            if name not in self._slot_jobs:
                self._slot_jobs[name] = text
                playlist = playlist_from_json(text)
                self._arm_slot(name, playlist, self._clock())
                for item in playlist.items:  # into the speech cache long before air time
                    if isinstance(item, Say):
                        self._renderer.submit(self._render, item)

    def _arm_slot(self, name: str, playlist: Any, after: datetime) -> None:
        """Schedule the slot's next start at or after `after` (its cron on the station's
        clock), to be posted its lead ahead; the start itself rides in the message."""
        from apscheduler.triggers.cron import CronTrigger

        slot = playlist.slot
        if slot is None:
            return
        cron = CronTrigger(day_of_week=",".join(slot.days), hour=slot.at.hour,
                           minute=slot.at.minute, timezone=self.zone)
        start = cron.get_next_fire_time(None, after)
        if start is not None:
            self._at(start.timestamp(), "slot", name, start.timestamp(),
                     lead_s=self._lead_s(playlist.level))

    def _queue_slot(self, name: str, playlist: Any, when: datetime, now: datetime) -> None:
        key = occurrence_key(name, when.date())
        if self.store.has_occurrence(key):
            return  # aired, missed or queued already: a backward clock jump changes nothing
        end = hard_end(playlist, when)
        self.store.enqueue(title=playlist.title, level=playlist.level, source="slot",
                           items=playlist.items, due_at=when.timestamp(),
                           now=now.timestamp(), hard_end=end.timestamp() if end else None,
                           occurrence=key)

    def _take(self, entry: Entry, now: datetime) -> None:
        """A new entry: render its speech ahead, and schedule it or deal with it now."""
        known = _Known(entry)
        self._known[entry.id] = known
        known.speech = [self._renderer.submit(self._render, item)
                        for item in entry.items if isinstance(item, Say)]
        for future in known.speech:
            future.add_done_callback(lambda _done: self.post("rendered", entry.id))
        for item in entry.items:
            if isinstance(item, Chime):
                self._chime_path(item.source)  # made now, not when its turn comes
        if entry.hard_end is not None:
            self._at(entry.hard_end, "hard_end", entry.id)
        lead = self._lead_s(entry.level)
        if entry.due_at - lead > now.timestamp():
            self._at(entry.due_at, "due", entry.id, lead_s=lead)
        else:
            self._due(entry.id)

    def _lead_s(self, level: Level) -> float:
        """How long before its time an item goes to the player. Not an emergency: handed
        over early, it would cut into what is on air early."""
        if level is Level.EMERGENCY:
            return 0.0
        return PREPARE_S + self.config.amplifier.warmup_s

    # --- messages -----------------------------------------------------------------------

    def _handle(self, message: tuple[Any, ...]) -> None:
        kind = message[0]
        if kind == "sync":
            self._sync()
        elif kind == "due":
            self._due(message[1])
        elif kind == "slot":
            self._slot_starts(message[1], message[2])
        elif kind in ("rendered", "rerender"):
            self._prefer_first_engine(message[1])
        elif kind == "hard_end":
            self._hard_end(message[1])
        elif kind == "air":
            self._air_event(message[1])
        elif kind == "upstream" and self._upstream is not None \
                and self._upstream.handle(message[1:], self._clock()):
            self._sync()  # a push was queued: an emergency goes to the player now

    def _slot_starts(self, name: str, start: float) -> None:
        """A slot starts at `start` (a lead from now): queue it if it airs that day, and
        arm its next start."""
        now = self._clock()
        when = datetime.fromtimestamp(start, self.zone)
        for slot_name, text, _ in self.store.slots():
            if slot_name == name:
                playlist = playlist_from_json(text)
                if occurrence(playlist, when.date(), when) == when:  # valid_from/until
                    self._queue_slot(name, playlist, when, now)
                    self._sync()
                self._arm_slot(name, playlist, when + timedelta(seconds=1))

    def _due(self, entry_id: int) -> None:
        known = self._known.get(entry_id)
        if known is None or known.where in ("waiting", "player") or not self._judge(known):
            return
        if known.entry.level is Level.EMERGENCY:
            self._give_player(known)
        else:
            # the loop feeds the player once every message (or the start-up sync) has been
            # seen: a priority item taken after a normal one in the same batch still goes first
            known.where = "waiting"

    def _judge(self, known: _Known) -> bool:
        """SPEC §6 for an entry at the moment it would start: True to air it now; else it
        is held (a trigger brings it back when quiet hours end) or logged missed."""
        entry = known.entry
        now = self._clock()
        due = datetime.fromtimestamp(entry.due_at, self.zone)
        expires = (datetime.fromtimestamp(entry.expires_at, self.zone)
                   if entry.expires_at else None)
        decision = decide(entry.level, due, max(now, due), self.quiet, expires)
        if decision.action == "air":
            return True
        if decision.action == "hold" and decision.until is not None:
            known.where = "held"
            self._at(decision.until.timestamp(), "due", entry.id)
        else:
            self._forget(entry.id)
            self.store.finish(entry, Outcome.MISSED, ended_at=now.timestamp(),
                              reason=decision.reason)
        return False

    def _hard_end(self, entry_id: int) -> None:
        known = self._known.get(entry_id)
        if known is None:
            return
        if entry_id in self._in_player and self._player is not None:
            self._player.stop(str(entry_id), Outcome.CUT)
            return
        self._forget(entry_id)
        self.store.finish(known.entry, Outcome.MISSED, ended_at=self._clock().timestamp(),
                          reason=MSG_SLOT_ENDED)

    def _feed_player(self) -> None:
        """Give the player the next waiting entry when it is free: priority first. Grace
        is judged at the moment it would start, not when it became due."""
        if self._in_player or self._player is None:
            return
        waiting = sorted((k for k in self._known.values() if k.where == "waiting"),
                         key=lambda k: (k.entry.level is not Level.PRIORITY, k.entry.due_at,
                                        k.entry.id))
        for known in waiting:
            if self._judge(known):
                self._give_player(known)
                return

    def _give_player(self, known: _Known) -> None:
        if self._player is None:
            return
        known.where = "player"
        self._in_player.add(known.entry.id)
        source = self._source(known)
        ahead = known.entry.due_at - self._clock().timestamp()  # handed over its lead early
        start_at = time.monotonic() + ahead if ahead > 0 else None
        self._player.play(source, known.entry.level, str(known.entry.id), start_at=start_at)

    # --- the player's events -------------------------------------------------------------

    def _air_event(self, event: AirEvent) -> None:
        from broadcaster.air import EventKind

        entry_id = int(event.item_id) if event.item_id.isdigit() else None
        known = self._known.get(entry_id) if entry_id is not None else None
        wall = self._clock().timestamp() - (time.monotonic() - event.at)
        if event.kind is EventKind.DEVICE_ERROR:
            self._device_error = event.detail
            self._last_error = event.detail
        elif event.kind in (EventKind.STARTED, EventKind.RESUMED):
            self._device_error = ""
        if known is None:
            return
        if event.kind is EventKind.STARTED and known.started_at is None:
            known.started_at = wall
            self.start_errors_ms.append((wall - known.entry.due_at) * 1000)
            self.store.set_state(known.entry.id, "on_air", started_at=wall)
        elif event.kind in (EventKind.FAILED, EventKind.DEAD_AIR, EventKind.STREAM_LOST):
            known.problems.append(event.detail)
            self._last_error = event.detail
        if event.outcome is not None:  # ended (aired, cut, cancelled) or failed
            self._in_player.discard(known.entry.id)
            self._forget(known.entry.id)
            reason = "; ".join(problem for problem in known.problems if problem) or None
            if self.store.is_done(known.entry.id):
                return  # cancelled by the operator while it was handed over
            self.store.finish(known.entry, event.outcome, started_at=known.started_at,
                              ended_at=wall, reason=reason,
                              engine=",".join(sorted(known.engines)) or None)
            self._feed_player()

    def _drain_events(self) -> None:
        """Log what the player reported while it was closing (cut by the stop)."""
        while True:
            try:
                message = self._inbox.get_nowait()
            except queue.Empty:
                return
            if message[0] == "air":
                self._air_event(message[1])

    # --- building what airs ---------------------------------------------------------------

    def _render(self, item: Say) -> RenderedProgram:
        """The notice's speech: from the cache when it is there, else from a render worker
        (a child process, so the daemon never loads the audio-analysis libraries)."""
        from broadcaster.speech.render import cached_notice
        from broadcaster.speech.worker import render_in_worker

        notice = _notice(item)
        return cached_notice(self.config, notice) or render_in_worker(self.config, notice)

    def _prefer_first_engine(self, entry_id: int) -> None:
        """A notice spoken by a fallback engine (gTTS was unreachable, say) is rendered
        again by the first engine while there is time before it airs; whichever is in the
        cache at air time airs. Never waited for: air time does not depend on it."""
        known = self._known.get(entry_id)
        preferred = self.config.tts.engines[0] if self.config.tts.engines else None
        if known is None or preferred is None:
            return
        left = known.entry.due_at - self._clock().timestamp()
        if left < RERENDER_MARGIN_S:
            return
        says = [item for item in known.entry.items if isinstance(item, Say)]
        fallback = [item for item, future in zip(says, known.speech, strict=True)
                    if future.done() and future.exception() is None
                    and future.result().engine != preferred]
        if not fallback:
            return

        def attempt() -> None:
            if not all(self._render_with(item, preferred) for item in fallback) \
                    and left > RERENDER_EVERY_S + RERENDER_MARGIN_S:
                retry_at = self._clock().timestamp() + RERENDER_EVERY_S
                self._at(retry_at, "rerender", entry_id)

        self._renderer.submit(attempt)

    def _render_with(self, item: Say, engine: str) -> bool:
        from broadcaster.speech.worker import render_in_worker

        try:
            render_in_worker(self.config, _notice(item), engine)
        except OperatorError as refused:
            log.info("%s still cannot speak a notice: %s", engine, refused)
            return False
        return True

    def _source(self, known: _Known) -> Source:
        from broadcaster.air.sequence import SequenceSource

        speech = iter(known.speech)
        parts = [self._part(item, known, speech) for item in known.entry.items]
        return SequenceSource(parts, title=known.entry.title)

    def _part(self, item: PlaylistItem, known: _Known,
              speech: Any) -> Callable[[], Source]:
        from broadcaster.air import FileSource, PauseSource, ProgramSource, RelaySource

        match item:
            case Say():
                future: Future[RenderedProgram] = next(speech)

                def notice() -> Source:
                    try:
                        program = future.result(timeout=RENDER_WAIT_S)
                    except Exception as exc:
                        raise RuntimeError(MSG_RENDER_FAILED.format(reason=exc)) from exc
                    program = self._best_cached(item) or program  # re-rendered since?
                    known.engines.add(program.engine)
                    return ProgramSource(program, title=known.entry.title)
                return notice
            case Chime(source):
                path = self._chime_path(source)
                return lambda: FileSource(path, title="chime")
            case File(path):
                return lambda: FileSource(path)
            case Relay(url, duration_s):
                fallback = [self._chime_path("default")]
                return lambda: RelaySource(url, duration_s, fallback=fallback)
            case Pause(duration_s):
                return lambda: PauseSource(duration_s)
        raise TypeError(f"not a playlist item: {item!r}")

    def _best_cached(self, item: Say) -> RenderedProgram | None:
        from broadcaster.speech.render import cached_notice

        try:
            return cached_notice(self.config, _notice(item))
        except OperatorError:
            return None

    def _chime_path(self, source: str) -> Path:
        if source != "default":
            return self.config.audio_dir / source
        station_chime = self.config.audio_dir / CHIME_FILE
        if station_chime.is_file():
            return station_chime
        return _generated_chime(self.config.cache_dir)

    # --- bookkeeping ------------------------------------------------------------------------

    def _at(self, timestamp: float, kind: str, key: int | str, *args: Any,
            lead_s: float = 0.0) -> None:
        """Post (kind, key, *args) to the station thread `lead_s` before `timestamp` on the
        station's clock. APScheduler reads the system clock; the two differ only when a
        test or benchmark gave the station a clock of its own (station first, then
        system: a job is never posted before its time on the station's clock)."""
        ahead = timestamp - lead_s - self._clock().timestamp()
        when = datetime.now(self.zone) + timedelta(seconds=ahead)
        self._scheduler.add_job(self.post, "date", run_date=when, args=(kind, key, *args),
                                id=f"{kind}:{key}", replace_existing=True,
                                misfire_grace_time=None)

    def _unschedule(self, job_id: str) -> None:
        job = self._scheduler.get_job(job_id)
        if job is not None:
            job.remove()

    def _forget(self, entry_id: int, stop_outcome: Outcome | None = None) -> None:
        for kind in ("due", "hard_end"):
            self._unschedule(f"{kind}:{entry_id}")
        if stop_outcome is not None and entry_id in self._in_player and self._player:
            self._player.stop(str(entry_id), stop_outcome)
            return  # its ENDED event closes the books
        self._known.pop(entry_id, None)

    def _write_status(self) -> None:
        now = time.monotonic()
        if now < self._status_due:
            return
        self._status_due = now + STATUS_EVERY_S
        player = self._player
        playing = player.now_playing() if player is not None else None
        waiting = sorted((k for k in self._known.values()),
                         key=lambda k: (k.entry.level is not Level.EMERGENCY,
                                        k.entry.level is not Level.PRIORITY, k.entry.due_at))
        on_air = None
        if playing is not None:  # written once per stretch on air: `status` counts on
            key = (playing.item_id, playing.since)
            if self._on_air_since[0] != key:
                elapsed = time.monotonic() - playing.since
                self._on_air_since = (key, self._clock().timestamp() - elapsed,
                                      playing.position_s - elapsed)
            _, since, offset = self._on_air_since
            on_air = {"id": playing.item_id, "title": playing.title,
                      "level": playing.level.value, "kind": playing.kind,
                      "since": round(since, 1), "offset_s": round(offset, 1),
                      "duration_s": playing.duration_s}
        # the file changes only when something happens, never every second
        status = {
            "pid": os.getpid(),
            "started": self._started_at,
            "on_air": on_air,
            "next": [{"id": k.entry.id, "title": k.entry.title, "level": k.entry.level.value,
                      "due": datetime.fromtimestamp(k.entry.due_at, self.zone)
                      .isoformat(timespec="seconds"), "state": k.where}
                     for k in waiting if str(k.entry.id) != (playing.item_id if playing
                                                              else None)][:5],
            "device": {"name": self.config.audio.device if self.config.audio.device is not None
                       else "default", "error": self._device_error or None},
            "amplifier": _amplifier_text(player),
            "upstream": self._upstream.describe() if self._upstream else "not configured",
            "last_error": self._last_error or None,
            "clock_synchronized": clock_synchronized(),
        }
        self._status.write(status)
        if self._upstream is not None:
            self._upstream.show(status)


def _notice(item: Say) -> Notice:
    """What the renderer makes of a playlist's `say:` (its chime is an item of its own)."""
    from broadcaster.speech.render import Notice

    return Notice(item.text, repeat=item.repeat, gap_s=item.gap_s)


def _amplifier_text(player: Player | None) -> str:
    amplifier = getattr(player, "_amplifier", None)
    if amplifier is None:
        return "unknown"
    state = "on" if amplifier.is_on else "off"
    return f"{amplifier.switch.description}, {state}"


def _generated_chime(cache_dir: Path) -> Path:
    """The station chime as a WAV in the cache, for stations without audio/chime.wav."""
    from broadcaster.speech.chime import write_chime

    path = cache_dir / "chime-default.wav"
    if not path.is_file():
        cache_dir.mkdir(parents=True, exist_ok=True)
        write_chime(path)
    return path


def _watchdog_interval() -> float | None:
    """Half of systemd's WatchdogSec, when systemd asked to be fed."""
    usec = os.environ.get("WATCHDOG_USEC")
    if not usec or (os.environ.get("WATCHDOG_PID") not in (None, str(os.getpid()))):
        return None
    return int(usec) / 2_000_000


class _ControlListener:
    """A datagram socket the CLI pokes after changing the database: the station then looks
    at once instead of at its next poll (an emergency reaches the player in milliseconds)."""

    def __init__(self, path: Path, poke: Callable[[], None]) -> None:
        self.path = path
        self._poke = poke
        self._sock: socket.socket | None = None

    def start(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.unlink(missing_ok=True)
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            sock.bind(str(self.path))
            self.path.chmod(0o660)  # the 'broadcaster' group may poke
        except OSError as exc:  # the poll still picks changes up within a second
            log.warning("control socket %s unavailable: %s", self.path, exc)
            return
        self._sock = sock
        threading.Thread(target=self._serve, name="control", daemon=True).start()

    def _serve(self) -> None:
        sock = self._sock
        while sock is not None:
            try:
                sock.recv(64)
            except OSError:
                return
            self._poke()

    def close(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            sock.close()
            self.path.unlink(missing_ok=True)


def status_snapshot(config: Config) -> dict[str, Any] | None:
    """The running daemon's live status, or None when no daemon is running."""
    status = StatusFile(config.runtime_dir / "status.json").read()
    if status is None:
        return None
    pid = status.get("pid")
    try:
        os.kill(int(str(pid)), 0)
    except (OSError, ValueError):
        return None  # a stale file from a daemon that died
    return status

