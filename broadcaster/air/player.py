"""The player: the one owner of the sound output, airing one item at a time.

Others hand it items (`play`, `request_emergency`, `stop`) from any thread; the
player's own thread decides, block by block, what goes to the device:

- an emergency fades the item on air out (cosine, `fade_s`) and airs at once; the
  interrupted item then resumes: a file where the fade began, a notice from the
  start of the cut repetition, a relay live (each source knows how: `Source.resumed`);
- the operator's live microphone (`go_live`) cuts in the same way, below an emergency:
  it fades out anything but an emergency, and an emergency cuts it (it resumes first
  after it: the microphone again, through a short device buffer while it is on air);
- otherwise emergencies, then live, then interrupted items, then priority, then normal
  items, each level first come first served.

Before an item's first block the zone relays are routed to its zones (an emergency: all);
a relay that must open waits until what is on the device has played out. They all open
when the station goes quiet.

Everything that happens is reported as an `AirEvent` through `on_event`, from the
player's thread; the caller keeps the as-run log.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Protocol

from broadcaster.air.amplifier import Amplifier, NoSwitch
from broadcaster.air.deadair import DeadAirCheck
from broadcaster.air.events import AirEvent, EventKind, NowPlaying
from broadcaster.air.sources import OutputFormat, Source, as_float
from broadcaster.air.zones import ZoneRelays, ZoneState
from broadcaster.i18n import N_, _
from broadcaster.model import Level, OperatorError, Outcome, one_line

if TYPE_CHECKING:
    from broadcaster.air.sources import Block, Samples

log = logging.getLogger(__name__)

FADE_S = 0.2  # SPEC §1 asks for ≤ 300 ms
DEVICE_RETRY_S = 5.0
ROOM_WAITS = 8  # PulseAudio takes blocks in pairs: two or three waits make room
MSG_DEAD_AIR = N_("more than {seconds:.1f} s of silence on air")
MSG_AMPLIFIER_SILENT = N_("{problem}: the loudspeakers may have stayed silent")
MSG_ZONE_SILENT = N_("{problem}: that zone's loudspeakers may not have heard it")


class Output(Protocol):
    """Where blocks go: `SoundOutput` on a real device."""

    fmt: OutputFormat
    block_frames: int
    latency: float
    frames_written: int

    def retune(self, block_frames: int, latency: float) -> None: ...

    def open(self) -> None: ...

    def write(self, block: Samples) -> None: ...

    def seconds_until_room(self, frames: int) -> float: ...

    def drain(self) -> None: ...

    def close(self) -> None: ...


@dataclass
class _Entry:
    item_id: str
    level: Level
    source: Source
    # set when the item was interrupted: the source to resume, where it was cut, and
    # the output's frame count at the cut (to tell a relay how long it was away)
    cut: tuple[int, int] | None = None
    start_at: float | None = None  # the player's clock: its first block goes out then
    zones: tuple[str, ...] | None = None  # the zones it goes out to; None: every zone
    live: bool = False  # the operator's microphone: cuts in below an emergency

    def source_to_air(self, frames_written: int) -> Source:
        if self.cut is None:
            return self.source
        at_frame, written_then = self.cut
        return self.source.resumed(at_frame, frames_written - written_then)


class Player:
    """Airs items through `output`, switching `amplifier` around the audio.

    `clock` (seconds, monotonic) stamps events and times the amplifier's hold. `zones`
    routes each item to its zones' loudspeaker lines (none configured: nothing to route).
    Use `start()` for a background thread (the daemon) or `run_until_idle()` to air
    what is queued in the calling thread (the `air` command); `close()` (or leaving
    the `with` block) stops, closes the device and switches the amplifier off.
    """

    def __init__(self, output: Output, amplifier: Amplifier | None = None, *,
                 on_event: Callable[[AirEvent], None] | None = None,
                 clock: Callable[[], float] = time.monotonic, fade_s: float = FADE_S,
                 dead_air: DeadAirCheck | None = None,
                 device_retry_s: float = DEVICE_RETRY_S,
                 zones: ZoneRelays | None = None) -> None:
        self._output = output
        self.fmt = output.fmt
        self._amplifier = amplifier or Amplifier(NoSwitch(), clock=clock)
        self._zones = zones or ZoneRelays()
        self._on_event = on_event
        self._clock = clock
        self._fade_frames = max(1, output.fmt.frames(fade_s))
        self._dead_air = dead_air or DeadAirCheck(output.fmt.sample_rate)
        self._device_retry_s = device_retry_s
        self._cond = threading.Condition()
        self._emergencies: deque[_Entry] = deque()
        self._live: deque[_Entry] = deque()
        self._usual = (output.block_frames, output.latency)  # the device buffer but for live
        self._interrupted: list[_Entry] = []  # a stack: the latest cut resumes first
        self._priority: deque[_Entry] = deque()
        self._normal: deque[_Entry] = deque()
        self._current: _Entry | None = None
        self._current_source: Source | None = None
        self._since = 0.0
        self._taken: _Entry | None = None  # off its queue, not yet on air (device opening)
        # items asked to stop that the player holds (on air, taken, faded for a cut-in):
        # kept until the item ends, so no moment between queue and air can lose the ask
        self._stops: dict[str, Outcome] = {}
        self._closing = False
        # counts requests (play, live, stop, close): the loop on air looks for a reason to
        # stop only when it has moved, not under the lock at every block
        self._requests = 0
        # rung at each request: wakes the loop on air while it waits for room in the
        # device, so an emergency begins its fade at once, not after a blocking write
        self._doorbell = threading.Lock()
        self._doorbell.acquire()
        self._output_open = False
        self._ids = itertools.count(1)
        self._thread: threading.Thread | None = None
        self._idle = threading.Event()
        self._idle.set()
        self.last_error: str | None = None

    # --- asking the player ----------------------------------------------------------

    def play(self, source: Source, level: Level = Level.NORMAL, item_id: str | None = None,
             *, start_at: float | None = None, zones: tuple[str, ...] | None = None) -> str:
        """Queue `source` at `level` for `zones` (None, and always for an emergency: every
        zone); an emergency cuts in at once. Returns the item id.

        With `start_at` (the player's clock), an item handed over ahead of its time is
        made ready (device open, amplifier warmed up) and its first block goes to the
        device at that moment, not before; an emergency meanwhile still goes first.
        """
        entry = _Entry(item_id or f"air-{next(self._ids)}", level, source, start_at=start_at,
                       zones=None if level is Level.EMERGENCY else zones)
        with self._cond:
            {Level.EMERGENCY: self._emergencies, Level.PRIORITY: self._priority,
             Level.NORMAL: self._normal}[level].append(entry)
            self._requests += 1
            self._ring()
            self._idle.clear()
            self._cond.notify_all()
        return entry.item_id

    def request_emergency(self, source: Source, item_id: str | None = None) -> str:
        """Fade out what is on air (unless it is an emergency) and air `source` next."""
        return self.play(source, Level.EMERGENCY, item_id)

    def go_live(self, source: Source, item_id: str | None = None, *,
                zones: tuple[str, ...] | None = None) -> str:
        """Fade out what is on air (unless an emergency: then right after it) and air the
        live `source` until `stop(item_id)`; what it cut resumes after it."""
        entry = _Entry(item_id or f"air-{next(self._ids)}", Level.PRIORITY, source,
                       zones=zones, live=True)
        with self._cond:
            self._live.append(entry)
            self._requests += 1
            self._ring()
            self._idle.clear()
            self._cond.notify_all()
        return entry.item_id

    def stop(self, item_id: str, outcome: Outcome = Outcome.CANCELLED) -> bool:
        """Fade out `item_id` if on air, or drop it from the queue; False if unknown.

        `outcome` is what its ENDED event says: CANCELLED for `cancel`, CUT for a
        slot's hard end.
        """
        with self._cond:
            held = [entry.item_id for entry in (self._current, self._taken) if entry is not None]
            if item_id in held:
                self._stops[item_id] = outcome
                self._requests += 1
                self._ring()
                self._cond.notify_all()  # an item held for its start time ends at once
                return True
            for queue in (self._emergencies, self._live, self._interrupted, self._priority,
                          self._normal):
                for entry in list(queue):
                    if entry.item_id == item_id:
                        queue.remove(entry)
                        self._emit(EventKind.ENDED, entry, outcome=outcome)
                        return True
        return False

    def now_playing(self) -> NowPlaying | None:
        """What is on air and how far into it, or None when the station is quiet."""
        with self._cond:
            entry, source = self._current, self._current_source
            if entry is None or source is None:
                return None
            return NowPlaying(item_id=entry.item_id, title=source.title, kind=source.kind,
                              level=entry.level,
                              position_s=source.position / self.fmt.sample_rate,
                              duration_s=source.duration_s, since=self._since)

    def amplifier_text(self) -> str:
        """The amplifier relay and whether it is on, for `status`."""
        return self._amplifier.describe()

    def zone_states(self) -> list[ZoneState]:
        """Each zone relay: on or off, and why it cannot be driven, for `status`."""
        return self._zones.states()

    def pending(self) -> list[tuple[str, Level]]:
        """Waiting items in the order they would air."""
        with self._cond:
            return [(entry.item_id, entry.level) for entry in self._in_order()]

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until nothing is on air or queued (background mode); False on timeout."""
        return self._idle.wait(timeout)

    # --- running --------------------------------------------------------------------

    def start(self) -> None:
        """Air in a background thread until `close()`."""
        self._thread = threading.Thread(target=self._serve, args=(False,), name="player",
                                        daemon=True)
        self._thread.start()

    def run_until_idle(self) -> None:
        """Air what is queued in this thread; return after the last block and the hold.

        A device failure raises OperatorError; the amplifier is off on every way out.
        """
        self._serve(True)

    def close(self) -> None:
        """Fade out what is on air, close the device, switch the amplifier off."""
        with self._cond:
            self._closing = True
            self._requests += 1
            self._ring()
            self._cond.notify_all()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=10)
        self._shut_down()

    def __enter__(self) -> Player:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    def _shut_down(self) -> None:
        try:
            self._output.close()
        finally:
            self._output_open = False
            self._zones.release()
            self._amplifier.off()

    def _serve(self, until_idle: bool) -> None:
        try:
            while True:
                with self._cond:
                    if self._closing:
                        return
                    entry = self._taken = self._pop_next()
                if entry is not None:
                    try:
                        self._air(entry, raise_device_errors=until_idle)
                    finally:
                        with self._cond:
                            self._taken = None
                    continue
                if self._output_open:  # just went quiet: let the last block play out
                    self._output.drain()
                    self._zones.release()
                    self._amplifier.after_audio()
                    self._output_open = False
                with self._cond:
                    if self._has_pending() or self._closing:
                        continue
                    self._idle.set()
                    hold = self._amplifier.seconds_to_off()
                    if until_idle and hold is None:
                        return
                    self._cond.wait(timeout=hold)
                self._amplifier.poll()
        except BaseException:
            self._amplifier.off()  # never leave the amplifier on behind an error
            raise
        finally:
            if until_idle or self._closing:
                self._shut_down()
            self._idle.set()

    # --- airing one item ------------------------------------------------------------

    def _air(self, entry: _Entry, *, raise_device_errors: bool) -> None:
        source = entry.source_to_air(self._output.frames_written)
        resuming = entry.cut is not None
        if self._ended_if_stopped(entry, source):
            return
        if entry.start_at is not None and not resuming:
            # the slow part first (lines, device, amplifier warm-up), then the exact time
            self._route(entry)
            if not self._device_ready(entry, source, raise_device_errors):
                return
            if not self._held_until_start(entry):
                return
        try:
            source.open(self.fmt, self._source_emitter(entry))
        except Exception as exc:  # any reason a source cannot start: log it, air the next
            source.close()
            self._fail(entry, exc)
            return
        self._route(entry)
        if not self._device_ready(entry, source, raise_device_errors):
            source.close()
            return
        if self._ended_if_stopped(entry, source):  # asked while the device opened
            source.close()
            return
        problem = self._amplifier.problem
        if problem is not None and not resuming:  # it airs, but perhaps to nobody: say so
            self._emit(EventKind.FAILED, entry,
                       detail=_(MSG_AMPLIFIER_SILENT).format(problem=problem))
        with self._cond:
            self._current, self._current_source = entry, source
            self._since = self._clock()
        self._dead_air.reset()
        try:
            self._air_blocks(entry, source, resuming, raise_device_errors)
        finally:
            source.close()
            with self._cond:
                self._current = self._current_source = None

    def _route(self, entry: _Entry) -> None:
        """Connect the lines of the item's zones (before the amplifier is on: no click on
        the others); a line that must go first waits until the device has played out."""
        if self._output_open and self._zones.needs_opening(entry.zones):
            self._output.drain()  # the item before it keeps its last moments on that line
            self._output_open = False
        for problem in self._zones.route(entry.zones):
            self._emit(EventKind.FAILED, entry, detail=_(MSG_ZONE_SILENT).format(problem=problem))

    def _held_until_start(self, entry: _Entry) -> bool:
        """Wait for `entry.start_at`; False when it must not start after all: stopped
        (its ENDED event says how), an emergency came first (it goes back to the head of
        the line), or the player is closing (it never aired: the caller still has it)."""
        with self._cond:
            self._current = entry  # `stop()` finds it here
            try:
                while True:
                    if self._closing:
                        return False
                    if entry.item_id in self._stops:
                        self._emit(EventKind.ENDED, entry,
                                   outcome=self._stops.pop(entry.item_id))
                        return False
                    if self._cut_in(entry):
                        self._interrupted.append(entry)
                        return False
                    left = (entry.start_at or 0.0) - self._clock()
                    if left <= 0:
                        return True
                    self._cond.wait(timeout=left)
            finally:
                self._current = None

    def _air_blocks(self, entry: _Entry, source: Source, resuming: bool,
                    raise_device_errors: bool) -> None:
        output, dead_air, fade_frames = self._output, self._dead_air, self._fade_frames
        read, write, frames = source.read, output.write, output.block_frames
        fade_at: int | None = None  # frames into the fade, once it has begun
        cut: tuple[int, int] | None = None
        ending = Outcome.AIRED
        first = True
        seen = -1  # the request count last looked at
        while True:
            try:  # the fade's last block ends with it: what cut in follows at once
                block = read(frames if fade_at is None else min(frames, fade_frames - fade_at))
            except Exception as exc:  # a decoder that breaks mid-item fails the item
                self._fail(entry, exc, source.position)
                return
            if len(block) == 0:
                if fade_at is not None and ending is Outcome.INTERRUPTED:
                    ending = Outcome.AIRED  # it ended on its own while fading: nothing to resume
                break
            if fade_at is None:
                self._wait_for_room(len(block), seen)
                if self._requests != seen:
                    seen = self._requests
                    why = self._reason_to_stop(entry)
                    if why is not None:  # the fade begins with this block
                        fade_at, ending = 0, why
                        cut = (source.position - len(block), output.frames_written)
            if fade_at is not None:
                block = self._faded(block, fade_at)
                fade_at += len(block)
            try:
                write(block)
            except OperatorError as exc:
                self._device_lost(entry, source, exc, raise_device_errors)
                return
            if first:
                first = False
                self._emit(EventKind.RESUMED if resuming else EventKind.STARTED, entry,
                           source.position)
            if dead_air.feed(block, exempt=source.may_be_silent):
                self._emit(EventKind.DEAD_AIR, entry, source.position,
                           detail=_(MSG_DEAD_AIR).format(seconds=dead_air.silent_frames
                                                      / self.fmt.sample_rate))
            if fade_at is not None and fade_at >= fade_frames:
                break
        with self._cond:
            asked = self._stops.pop(entry.item_id, None)
            if ending is Outcome.INTERRUPTED and asked is not None:
                ending = asked  # asked to stop while it faded for a cut-in: no resuming
            if ending is Outcome.INTERRUPTED and cut is not None:
                self._interrupted.append(_Entry(entry.item_id, entry.level, source, cut,
                                                zones=entry.zones, live=entry.live))
        if ending is Outcome.INTERRUPTED and cut is not None:
            self._emit(EventKind.INTERRUPTED, entry, cut[0],
                       resume=source.resume_point(cut[0]))
            return
        self._emit(EventKind.ENDED, entry, source.position, outcome=ending)

    def _wait_for_room(self, frames: int, seen: int) -> None:
        """Wait while a write of `frames` would wait for room in the device's buffer, or
        until a request (counted past `seen`) rings the doorbell."""
        wait = self._output.seconds_until_room(frames)
        for _wait in range(ROOM_WAITS):  # a device that never makes room: the write tells
            if wait <= 0 or self._requests != seen:
                return
            self._doorbell.acquire(timeout=wait)
            wait = self._output.seconds_until_room(frames)

    def _ring(self) -> None:
        """Wake the loop on air if it waits for room (a no-op if it was rung already)."""
        with contextlib.suppress(RuntimeError):  # not held: rung already, not yet answered
            self._doorbell.release()

    def _reason_to_stop(self, entry: _Entry) -> Outcome | None:
        with self._cond:
            if entry.item_id in self._stops:
                return self._stops[entry.item_id]
            if self._closing:  # the daemon stops: it resumes when the station is back
                return Outcome.INTERRUPTED
            if self._cut_in(entry):
                return Outcome.INTERRUPTED
        return None

    def _cut_in(self, entry: _Entry) -> bool:
        """An emergency waits, or live does and `entry` is neither (under `_cond`)."""
        if entry.level is Level.EMERGENCY:
            return False
        return bool(self._emergencies) or (bool(self._live) and not entry.live)

    def _faded(self, block: Samples, fade_at: int) -> Block:
        """`block` under a cosine fade from 1 to 0 that began `fade_at` frames ago."""
        import numpy as np

        k = np.arange(fade_at, fade_at + len(block), dtype=np.float64)
        gain = 0.5 * (1.0 + np.cos(np.pi * np.minimum(k, self._fade_frames) / self._fade_frames))
        return (as_float(block) * gain[:, None]).astype(np.float32)

    # --- the device -----------------------------------------------------------------

    def _device_ready(self, entry: _Entry, source: Source, raise_errors: bool) -> bool:
        from broadcaster.air.live import LIVE_BLOCK_FRAMES, LIVE_LATENCY_S

        try:  # a short device buffer while live is on air (a no-op unless that changes)
            self._output.retune(*((LIVE_BLOCK_FRAMES, LIVE_LATENCY_S) if entry.live
                                  else self._usual))
        except OperatorError as exc:
            self._output_open = False
            self._device_lost(entry, source, exc, raise_errors, requeue_at=None)
            return False
        if self._output_open:
            return True
        try:
            self._output.open()
        except OperatorError as exc:
            self._device_lost(entry, source, exc, raise_errors, requeue_at=None)
            return False
        self._output_open = True
        self._amplifier.before_audio()
        return True

    def _device_lost(self, entry: _Entry, source: Source, exc: OperatorError,
                     raise_errors: bool, requeue_at: int | None = -1) -> None:
        """The device failed: report, put the item back to resume, retry later."""
        self.last_error = str(exc)
        self._emit(EventKind.DEVICE_ERROR, entry, source.position, detail=str(exc))
        self._output.close()
        self._output_open = False
        if raise_errors:
            raise exc
        with self._cond:
            if requeue_at is None:  # never started: back to the head of the line
                self._interrupted.append(entry)
            else:
                cut = (source.position, self._output.frames_written)
                self._interrupted.append(_Entry(entry.item_id, entry.level, source, cut,
                                                zones=entry.zones, live=entry.live))
            self._cond.wait(timeout=self._device_retry_s)

    # --- queue and events -----------------------------------------------------------

    def _in_order(self) -> list[_Entry]:
        return [*self._emergencies, *self._live, *reversed(self._interrupted),
                *self._priority, *self._normal]

    def _has_pending(self) -> bool:
        return bool(self._emergencies or self._live or self._interrupted or self._priority
                    or self._normal)

    def _pop_next(self) -> _Entry | None:
        if self._emergencies:
            return self._emergencies.popleft()
        if self._live:
            return self._live.popleft()
        if self._interrupted:
            return self._interrupted.pop()
        for queue in (self._priority, self._normal):
            if queue:
                return queue.popleft()
        return None

    def _ended_if_stopped(self, entry: _Entry, source: Source) -> bool:
        """True (and its ENDED event sent) when `entry` was asked to stop before its first
        block: nothing of it airs."""
        with self._cond:
            outcome = self._stops.pop(entry.item_id, None)
        if outcome is None:
            return False
        self._emit(EventKind.ENDED, entry, source.position, outcome=outcome)
        return True

    def _fail(self, entry: _Entry, exc: Exception, position: int = 0) -> None:
        with self._cond:
            self._stops.pop(entry.item_id, None)  # it ended: a stop asked for is moot
        reason = one_line(exc)
        if not isinstance(exc, OperatorError):
            log.exception("item %s failed", entry.item_id)
        self._emit(EventKind.FAILED, entry, position, outcome=Outcome.FAILED, detail=reason)

    def _source_emitter(self, entry: _Entry) -> Callable[..., None]:
        def emit(kind: str, detail: str, gap_s: float | None = None) -> None:
            source = self._current_source
            position = source.position if source is not None else 0
            self._emit(EventKind(kind), entry, position, detail=detail, gap_s=gap_s)
        return emit

    def _emit(self, kind: EventKind, entry: _Entry, position: int = 0, *,
              outcome: Outcome | None = None, detail: str = "",
              gap_s: float | None = None, resume: tuple[int, int] | None = None) -> None:
        if self._on_event is None:
            return
        event = AirEvent(kind=kind, item_id=entry.item_id, title=entry.source.title,
                         level=entry.level, at=self._clock(),
                         position_s=position / self.fmt.sample_rate, outcome=outcome,
                         detail=detail, gap_s=gap_s, resume=resume)
        try:
            self._on_event(event)
        except Exception:  # a broken log must not take the station off air
            log.exception("event handler failed on %s", event)
