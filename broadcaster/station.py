"""The station daemon (`broadcaster run`): carries out what the rundown decides.

One thread — the station's — owns the database connection. Everything else posts it a
typed message: the control socket the CLI pokes after a change (`Look`), the render
threads and timers (`Wake`), the player's events (`Aired`, `PartDone`), the upstream
link (`FromUpstream`). After each message, and at least four times a second, the
station asks `schedule.rundown.decide` what to do and does it: hand an item to the
player, expire one, sleep until the next moment that matters. A slot's `until` is
not among them: `schedule.hard_ends` asks the player for that cut from a thread of its
own, so a slow write here never makes it late. What happens on air is kept per item
(`Book`) and written as one as-run line when the item ends.

The station never waits long on its database: its connection waits STATION_WAIT_S for
another's lock, and a change refused (locked by another program, disk full, I/O error)
is held and made again each turn, in order (`lifecycle.HeldWrites`), while the player
airs on and the rundown goes on deciding from the books. A read refused is made again
at the next look. `status` and the log say what is wrong once it lasts.
"""

from __future__ import annotations

import logging
import os
import queue
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from broadcaster.asrun import Interruption
from broadcaster.i18n import N_, _
from broadcaster.lifecycle import ClockSteps, DatabaseWatch, HeldWrites, StationLock
from broadcaster.live_desk import LIVE
from broadcaster.live_sessions import LiveSessions, is_live, rundown_item
from broadcaster.model import Level, OperatorError, Outcome
from broadcaster.on_air import Book, off_reason
from broadcaster.runtime import (
    ControlListener,
    control_socket_path,
    notify,
    watchdog_interval,
)
from broadcaster.schedule.hard_ends import HardEnds
from broadcaster.schedule.rules import QuietHours
from broadcaster.schedule.rundown import Cue, Expire, Rundown, State, WakeAt, decide
from broadcaster.schedule.slot_queue import SlotQueue
from broadcaster.station_messages import (
    Aired,
    FromUpstream,
    Look,
    Message,
    PartDone,
    PushToTalk,
    Wake,
)
from broadcaster.station_status import StatusBoard
from broadcaster.store import BUSY_TIMEOUT_S, DATABASE, Entry, Store

if TYPE_CHECKING:
    from broadcaster.air import AirEvent, Player
    from broadcaster.air.ptt import PushToTalk as PushToTalkButton
    from broadcaster.air.sequence import PartState
    from broadcaster.config import Config
    from broadcaster.model import RenderedProgram
    from broadcaster.speech.render import Notice
    from broadcaster.upstream.pushes import Upstream

log = logging.getLogger(__name__)

POLL_S = 0.25  # the longest the station sleeps: database changes, the watchdog, a lost DB
# An item goes to the player this long (plus the amplifier's warm-up) before its time: the
# player opens the device and warms the amplifier up, then starts it on the dot.
PREPARE_S = 0.5
SPEECH_WAIT_S = 60.0  # a render under way when its part's turn comes (an emergency's chime
# airs first; a slot's earlier parts air) is waited for this long
# The station's connection waits this long for another's lock, then holds its change and
# airs on (a command's transaction on a slow SD card; an operator's `sqlite3` shell)
STATION_WAIT_S = 0.1
MSG_EMERGENCY_CUT = N_("an emergency cut in")
MSG_STOPPED = N_("the daemon stopped")
MSG_MESSAGES_LOST = N_("the station stopped with {count} messages the database refused "
                       "(upstream pushes, the push-to-talk button); ask the province to "
                       "push again what `district report` does not show received")


class Station:
    """The daemon. `clock` gives the wall time (aware); tests and benchmarks inject one,
    and `render` (a notice, an engine → its program) in place of the render worker."""

    def __init__(self, config: Config, *, player: Player | None = None,
                 clock: Callable[[], datetime] | None = None,
                 render: Callable[[Notice, str], RenderedProgram] | None = None) -> None:
        from broadcaster.speech.ahead import SpeechAhead

        self.config = config
        self.zone = ZoneInfo(config.station.timezone)
        self._clock = clock or (lambda: datetime.now(self.zone))
        self.rundown = Rundown(QuietHours.parse(config.station.quiet_hours), self.zone)
        self.lead_s = PREPARE_S + config.amplifier.warmup_s
        self._inbox: queue.Queue[Message] = queue.Queue()
        self._books: dict[int, Book] = {}
        self._slots = SlotQueue(self.zone)
        self._player = player
        # a slot's `until` is cut from a thread of its own: never behind a slow write here
        self._hard_ends = HardEnds(self.now, self._cut_at_hard_end)
        self._store: Store | None = None
        self._writes: HeldWrites | None = None
        # messages whose handling the database refused, with when they came: again, in order
        self._again: deque[tuple[FromUpstream | PushToTalk, datetime]] = deque()
        self._upstream: Upstream | None = None
        self.speech = SpeechAhead(config, lambda: self.post(Wake()), render)
        self.board = StatusBoard(config, self.rundown)
        self.live = self.board.live = LiveSessions(config, self._clock)
        self._button_session: int | None = None  # the live session the button started
        self._wake = 0.0
        self._version = -1  # the database's data_version when the station last looked
        self._db_ok = True
        self._stopping = False
        self._off: tuple[float | None, float] = (None, 0.0)  # last seen alive, back since
        self.start_errors_ms: list[float] = []  # first block handed over − due, per entry

    def now(self) -> float:
        return self._clock().timestamp()

    def post(self, message: Message) -> None:
        """Hand the station thread a message; safe from any thread."""
        self._inbox.put(message)

    @property
    def store(self) -> Store:
        if self._store is None:
            raise RuntimeError("the station is not running")
        return self._store

    @property
    def writes(self) -> HeldWrites:
        if self._writes is None:
            raise RuntimeError("the station is not running")
        return self._writes

    def _write(self, change: Callable[[], object], *, closes: int | None = None) -> None:
        """A change to the database, made now or held until the database takes it (see
        HeldWrites): pass a `partial` whose arguments are final (times, progress)."""
        self.writes.write(change, closes=closes)

    # --- running ----------------------------------------------------------------------

    def run(self, stop: threading.Event) -> int:
        """Air until `stop` is set (SIGTERM); returns the exit status: 1 when the database
        was deleted or replaced underneath. Raises OperatorError when another daemon holds
        the data directory. The amplifier is off on every way out."""
        from broadcaster.air import station_player
        from broadcaster.speech.chime import make_ahead

        lock = StationLock(self.config.data_dir)
        lock.acquire()
        path = self.config.data_dir / DATABASE
        store = self._store = Store(path)
        store.wait_when_busy(STATION_WAIT_S)
        writes = self._writes = HeldWrites(path)
        watch = DatabaseWatch(path)
        pid, started = os.getpid(), self.now()
        self._off = (store.last_seen(), started)
        self._write(partial(store.run_started, pid, started))
        upstream = self._upstream = self._upstream_side(store)
        player = self._player = self._player or station_player(
            self.config, lambda event: self.post(Aired(event)))
        player.start()
        self._hard_ends.start()
        listener = ControlListener(control_socket_path(self.config), lambda: self.post(Look()))
        listener.start()
        button = self.board.push_to_talk = self._push_to_talk_button()
        status = 0
        try:
            # the first emergency's chime made a file beside the start, not before it: a child
            # process on a loaded box must not hold back what resumes after a power cut
            threading.Thread(target=make_ahead, args=(self.config,), name="chime-ahead",
                             daemon=True).start()
            self._recover()
            self.live.prune()
            if upstream is not None:
                upstream.start(lambda *message: self.post(FromUpstream(tuple(message[1:]))))
            notify("READY=1")
            watchdog = watchdog_interval()
            next_ping = 0.0
            clock_steps = ClockSteps()
            while not stop.is_set():
                refusals = writes.refusals
                self._next_messages()
                clock_set = clock_steps.seen(self.now(), time.monotonic())
                if clock_set is not None:  # the times logged before and after it differ so
                    log.warning("%s", clock_set)
                problem = watch.problem()
                if problem is not None:
                    log.error("%s", problem)
                    self.board.last_error = problem
                    self._db_ok, status = False, 1
                    break
                if writes.flush():
                    self._handle_again()
                if self._changed():  # a change nobody poked about
                    self._look()
                self._decide()
                if upstream is not None:
                    self._database_step(partial(upstream.tick, self._clock()))
                if writes.refusals == refusals:
                    writes.worked()
                self.board.database_error = writes.problem()
                self._database_step(partial(
                    self.board.write, self._books, player, upstream, self.now(), self.speech,
                    self._slots))
                if watchdog is not None and time.monotonic() >= next_ping:
                    notify("WATCHDOG=1")
                    next_ping = time.monotonic() + watchdog
        finally:
            notify("STOPPING=1")
            self._stopping = True
            if upstream is not None:
                upstream.close()  # retained status `offline`; unacked pushes come again
            listener.close()
            if button is not None:
                button.close()
            self._hard_ends.close()  # before the player's: a stop resumes, it is not cut
            player.close()  # fades out (what was on air resumes next time), amplifier off
            self._drain()
            if self._db_ok:
                self._keep_unfinished()
            self.live.close()
            self.speech.close()
            self.board.remove()
            if self._db_ok:
                self._write(partial(store.run_stopped, pid, started, self.now()))
                store.wait_when_busy(BUSY_TIMEOUT_S)  # on the way out: wait as a command does
                if not writes.flush():
                    log.error("%s", writes.lost())
                if self._again:  # not handled now: the link and the player are closed
                    log.error("%s", _(MSG_MESSAGES_LOST).format(count=len(self._again)))
                store.close()
            else:
                store.let_go_of_replaced()
            lock.release()
        return status

    def _upstream_side(self, store: Store) -> Upstream | None:
        """Pushes, inbox and receipts, when the station has or had a link (else None:
        `status` says "not configured", as the link would)."""
        from broadcaster.upstream import needed_by_daemon

        if not needed_by_daemon(self.config, store):
            return None
        from broadcaster.upstream.pushes import Upstream

        return Upstream(self.config, store)

    def _next_messages(self) -> None:
        timeout = min(POLL_S, max(0.0, self._wake - self.now()))
        try:
            self._handle(self._inbox.get(timeout=timeout))
            while True:
                self._handle(self._inbox.get_nowait())
        except queue.Empty:
            return

    def _drain(self) -> None:
        """Keep what the player reported while it closed (where each item stopped)."""
        while True:
            try:
                message = self._inbox.get_nowait()
            except queue.Empty:
                return
            if isinstance(message, Aired | PartDone) and self._db_ok:
                self._handle(message)

    def _keep_unfinished(self) -> None:
        """On the way out: an item an emergency had cut keeps where to resume; a live
        session never resumes after a stop of the daemon: it ends interrupted."""
        for book in list(self._books.values()):
            if is_live(book) and book.started_at is not None:
                self._finish(book, Outcome.INTERRUPTED, _(MSG_STOPPED))
            elif book.state is State.INTERRUPTED:
                self._write(partial(self.store.set_progress, book.entry.id, book.progress(),
                                    state="pending"))

    def _handle(self, message: Message) -> None:
        match message:
            case Look():
                self._look()
            case Aired(event):
                self._aired(event)
            case PartDone(entry_id, index, state, reason):
                book = self._books.get(entry_id)
                if book is not None:
                    book.part_done(index, state, reason)
            case FromUpstream() | PushToTalk():
                self._with_database(message, self._clock())
            case Wake():
                pass  # `_decide` runs after every batch of messages

    # --- what the database says ---------------------------------------------------------

    def _database_step(self, step: Callable[[], object]) -> bool:
        """Run a step that reads the database (or writes through another module, which
        then rolls back); refused, it is told to the held writes and False: the caller
        makes it again at its next turn."""
        try:
            step()
        except sqlite3.OperationalError as exc:
            self.writes.refused(exc)
            return False
        return True

    def _changed(self) -> bool:
        """Whether another connection committed since the last look (True when the
        database cannot say: the look is made again)."""
        try:
            return self.store.data_version() != self._version
        except sqlite3.OperationalError as exc:
            self.writes.refused(exc)
            return True

    def _with_database(self, message: FromUpstream | PushToTalk, came: datetime) -> None:
        """A message whose handling writes the database: handled now, or, refused (or
        behind one refused), again once the database takes changes, with when it came."""
        if self._again or self.writes.held or not self._handled(message, came):
            self._again.append((message, came))

    def _handle_again(self) -> None:
        while self._again:
            message, came = self._again[0]
            if not self._handled(message, came):
                return
            self._again.popleft()

    def _handled(self, message: FromUpstream | PushToTalk, came: datetime) -> bool:
        """False when the database refused it (nothing of it was kept: its transaction
        rolled back; an upstream push was acknowledged already and is kept here)."""
        changed = False

        def handle() -> None:
            nonlocal changed
            match message:
                case FromUpstream(payload):
                    # a push was queued: an emergency goes to the player now
                    changed = self._upstream is not None and self._upstream.handle(payload, came)
                case PushToTalk(pressed):
                    changed = self._push_to_talk(pressed, came)

        if not self._database_step(handle):
            return False
        if changed:
            self._look()
        return True

    def _recover(self) -> None:
        """After a stop, a power cut or a kill: what was on air goes first again (from
        where a clean stop left it); occurrences owed since the station was last seen
        are queued, and the rundown airs or expires them."""
        last_seen, back = self._off
        for entry in self.store.pending():
            if entry.source == LIVE:  # the microphone is not to go back on air by itself
                self._write(partial(
                    self.store.finish, entry, Outcome.INTERRUPTED if entry.started_at
                    else Outcome.MISSED, ended_at=back, started_at=entry.started_at,
                    reason=off_reason(last_seen, back, self.zone)), closes=entry.id)
            elif entry.state == "on_air":  # no clean stop: it resumes from its start
                cut = Interruption(None, off_reason(last_seen, back, self.zone))
                progress = Book.restarted(entry, cut)
                self._write(partial(self.store.set_progress, entry.id, progress,
                                    state="pending"))
                # its book from what was just written: that change may still be held
                resumed = replace(entry, state="pending", progress=progress)
                self._books[entry.id] = Book.take(resumed, self.speech, back, self.zone)
        self._look()

    def _look(self) -> None:
        """Take what the database says now; refused, it is looked at again next turn."""
        if not self._database_step(self._read_and_take):
            self._version = -1

    def _read_and_take(self) -> None:
        self._version = self.store.data_version()  # read before what it covers
        now = self.now()
        self._slots.installed(self.store.slots())
        closing = self.writes.closing()  # finished here, its line still held
        pending = {entry.id: entry for entry in self.store.pending()
                   if entry.id not in closing}
        for entry_id in [i for i in self._books if i not in pending]:
            self._let_go(entry_id, Outcome.CANCELLED)  # cancelled while waiting
        for entry in pending.values():
            book = self._books.get(entry.id)
            if book is None and entry.state == "cancel":
                self._write(partial(self.store.finish, entry, Outcome.CANCELLED, ended_at=now,
                                    reason="cancelled by operator"), closes=entry.id)
                self._release_audio(entry)
            elif book is None:
                self._books[entry.id] = Book.take(entry, self.speech, now, self.zone)
            elif entry.state == "cancel" and book.entry.state != "cancel":
                book.entry = entry
                if book.state is State.WAITING:
                    self._finish(book, Outcome.CANCELLED, "cancelled by operator")
                elif self._player is not None:  # live: `live stop` ends it, aired
                    self._hard_ends.disarm(str(entry.id))  # the operator's end, not the slot's
                    self._player.stop(str(entry.id), Outcome.AIRED if is_live(book)
                                      else Outcome.CANCELLED)

    # --- deciding -------------------------------------------------------------------------

    def _decide(self) -> None:
        now = self.now()
        if not self.writes.held:  # behind held changes it would be refused too
            try:
                owed = self._slots.queue_owed(self.store, now + self.lead_s, now)
            except sqlite3.OperationalError as exc:  # queued at a later turn
                self.writes.refused(exc)
                owed = False
            if owed:
                self._look()
        wake = [now + POLL_S]
        retry = self.speech.retry_due(now)
        if retry is not None:
            wake.append(retry)
        items = [rundown_item(book, self.speech) for book in self._books.values()]
        for book in self._books.values():  # its length, once known, for `queue`'s plan
            if book.duration_s is not None and book.entry.duration_s is None:
                self._write(partial(self.store.set_duration, book.entry.id, book.duration_s))
                book.entry = replace(book.entry, duration_s=book.duration_s)
        for action in decide(self.rundown, items, now, self.lead_s):
            match action:
                case Cue(item, start):
                    self._cue(self._books[item.id], start, now)
                case Expire(item, reason):
                    self._expire(self._books[item.id], reason)
                case WakeAt(moment):
                    wake.append(moment + 0.01)
        self._wake = min(wake)

    def _cue(self, book: Book, start: float, now: float) -> None:
        if self._player is None:
            return
        book.state = State.CUED
        if is_live(book):  # the microphone, in place of the item on air (not an emergency)
            self._player.go_live(self.live.cue(book), str(book.entry.id), zones=book.entry.zones)
            return
        wait_s = SPEECH_WAIT_S
        entry_id = book.entry.id

        def report(index: int, state: PartState, reason: str | None) -> None:
            self.post(PartDone(entry_id, index, state, reason))

        source = book.source(self.config, self.speech, report, wait_s, self._player.fmt, now)
        ahead = start - now
        start_at = time.monotonic() + ahead if ahead > 0 else None
        self._player.play(source, book.entry.level, str(book.entry.id), start_at=start_at,
                          zones=book.entry.zones)
        if book.entry.hard_end is not None:  # cut then, cued, on air or cut in on
            self._hard_ends.arm(str(entry_id), book.entry.hard_end)

    def _cut_at_hard_end(self, item_id: str) -> bool:
        """From the hard ends' thread: the player fades the item out (its ENDED event,
        `cut`, closes the books here); False while the player does not hold it."""
        player = self._player
        return player is not None and player.stop(item_id, Outcome.CUT)

    def _expire(self, book: Book, reason: str) -> None:
        outcome, why = book.expiry_verdict(reason, self.speech.error(book.entry.id), self._off)
        self._finish(book, outcome, why)

    # --- the player's events -----------------------------------------------------------------

    def _aired(self, event: AirEvent) -> None:
        from broadcaster.air import EventKind

        kind = event.kind
        wall = self.now() - (time.monotonic() - event.at)
        if kind is EventKind.DEVICE_ERROR:
            self.board.device_error = self.board.last_error = event.detail
        elif kind in (EventKind.STARTED, EventKind.RESUMED):
            self.board.device_error = None
        book = self._books.get(int(event.item_id)) if event.item_id.isdigit() else None
        if book is None:
            return
        if kind is EventKind.STARTED:
            if book.started_at is None:
                self.start_errors_ms.append((wall - book.entry.due_at) * 1000)
            resuming = book.resume is not None  # after a stop of the daemon
            book.on_air(wall)
            if is_live(book):
                self.live.on_air(book)
            self._write(partial(self.store.set_on_air, book.entry.id, wall))  # first start kept
            if resuming:
                self._write(partial(self.store.set_progress, book.entry.id, book.progress()))
        elif kind is EventKind.RESUMED:
            book.on_air(wall)
        elif kind is EventKind.INTERRUPTED:
            stopping = self._stopping
            book.cut(wall, _(MSG_STOPPED) if stopping else _(MSG_EMERGENCY_CUT), event.resume)
            if stopping and is_live(book):  # never back on air by itself after a restart
                self._finish(book, Outcome.INTERRUPTED, _(MSG_STOPPED), ended_at=wall)
                return
            if stopping:
                self._write(partial(self.store.set_progress, book.entry.id, book.progress(),
                                    state="pending"))
        elif kind in (EventKind.FAILED, EventKind.DEAD_AIR, EventKind.STREAM_LOST):
            book.problems.append(event.detail)
            self.board.last_error = event.detail
        if event.outcome is not None:
            outcome, reason = (self.live.verdict(book, event.outcome) if is_live(book)
                               else book.ended_verdict(event.outcome))
            self._finish(book, outcome, reason, ended_at=wall)

    # --- bookkeeping ----------------------------------------------------------------------------

    def _finish(self, book: Book, outcome: Outcome, reason: str | None,
                ended_at: float | None = None) -> None:
        self._books.pop(book.entry.id, None)
        self._hard_ends.disarm(str(book.entry.id))
        self.speech.forget(book.entry.id)
        engines = ",".join(sorted(book.engines)) or None
        self._write(partial(self.store.finish, book.entry, outcome,
                            ended_at=ended_at or self.now(), started_at=book.started_at,
                            reason=reason, engine=engines, progress=book.progress(),
                            zones=self._zones_of(book.entry)), closes=book.entry.id)
        self._release_audio(book.entry)
        if is_live(book):
            self.live.end(book.entry.id)  # the recording is complete, old ones pruned
        if outcome is Outcome.AIRED and not reason:
            self.board.aired_fine()  # things work again: `status` drops the last error
        else:
            log.info("#%d %s: %s (%s)", book.entry.id, book.entry.title, outcome.value, reason)

    def _zones_of(self, entry: Entry) -> tuple[str, ...] | None:
        """The zones an item goes out to, named (so the log stays true if the config's
        zones change later); None when the station has no zones."""
        if not self.config.zones:
            return None
        if entry.zones is None or entry.level is Level.EMERGENCY:
            return tuple(self.config.zones)
        return entry.zones

    # --- the push-to-talk button ------------------------------------------------------------

    def _push_to_talk_button(self) -> PushToTalkButton | None:
        """The button on `[live] ptt_pin`, if configured (one that cannot be used says why
        in `status`); it only posts the station a message."""
        pin = self.config.live.ptt_pin
        if pin is None:
            return None
        from broadcaster.air.ptt import PushToTalk as Button

        return Button(pin, lambda: self.post(PushToTalk(True)),
                      lambda: self.post(PushToTalk(False)))

    def _push_to_talk(self, pressed: bool, came: datetime) -> bool:
        """Pressed (at `came`): a live session by the button (none while one is on air
        already); let go: the session it started ends. True when the queue changed; raises
        sqlite3.OperationalError when the database refused it (nothing changed)."""
        from broadcaster import live_desk

        try:
            if pressed:
                self._button_session = live_desk.start(
                    self.store, _(live_desk.MSG_BY_BUTTON), came.timestamp(), came)
            elif self._button_session is not None:
                live_desk.stop(self.store, came.timestamp(), self._button_session)
                self._button_session = None
        except OperatorError as exc:  # live already (by `live start`), or it ended already
            log.info("push-to-talk: %s", exc)
            if not pressed:
                self._button_session = None
            return False
        return True

    def _release_audio(self, entry: Entry) -> None:
        """The copy of a played file goes once no other item needs it (queued_audio)."""
        from broadcaster import queued_audio

        if queued_audio.needs_release(entry.items, self.config.audio_dir):
            self._write(partial(queued_audio.release_unneeded, self.config.audio_dir,
                                self.store))

    def _let_go(self, entry_id: int, outcome: Outcome) -> None:
        book = self._books.get(entry_id)
        if book is None:
            return
        if book.state is State.WAITING or self._player is None:
            self._books.pop(entry_id, None)
            self.speech.forget(entry_id)
        else:
            self._hard_ends.disarm(str(entry_id))  # it ends as `outcome` says, not cut
            self._player.stop(str(entry_id), outcome)  # its ENDED event closes the books
