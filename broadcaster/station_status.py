"""What the station shows of itself: the live status (`broadcaster.status`) the daemon
builds from its books and the player, with the rundown's expected start for each waiting
item, written under the runtime directory only when something in it changed; and, for
`status` while the daemon is down, the same record built from the database.

The board also keeps the journal told: a sound device that fails is logged once (with
what to do), and once more when it works again, not at every retry; the same for a
database that refuses the station (locked by another program, disk full), which
`status` shows as its last error while it lasts.
"""

from __future__ import annotations

import logging
import os
import time
from datetime import datetime
from typing import TYPE_CHECKING

import msgspec

from broadcaster.i18n import N_, _
from broadcaster.live_sessions import rundown_item
from broadcaster.model import Level
from broadcaster.on_air import length_of
from broadcaster.runtime import clock_synchronized
from broadcaster.schedule.rundown import Item, Rundown, State
from broadcaster.status import (
    MSG_SPEECH_NOT_READY,
    LiveStatus,
    NextUp,
    OnAir,
    StatusWriter,
    Zone,
    status_path,
)
from broadcaster.status import current_status as current_status  # what the console calls

if TYPE_CHECKING:
    from broadcaster.air import Player
    from broadcaster.air.ptt import PushToTalk
    from broadcaster.config import Config
    from broadcaster.live_sessions import LiveSessions
    from broadcaster.on_air import Book
    from broadcaster.schedule.slot_queue import SlotQueue
    from broadcaster.speech.ahead import SpeechAhead
    from broadcaster.upstream.pushes import Upstream

log = logging.getLogger(__name__)

SHOWN_NEXT = 10
EVERY_S = 0.2  # how often the status is compared (and rewritten if it changed)
MSG_HELD_QUIET = N_("held by quiet hours until {until}")
MSG_DEVICE_FAILED = N_("{problem}; the items wait and the station tries the device again "
                       "every {seconds:.0f} s")
MSG_DEVICE_BACK = N_("sound device {device} works again")
MSG_DATABASE_BACK = N_("the station database takes the station's changes again; what "
                       "waited is written")
MSG_NOT_CONFIGURED = N_("not configured")
MSG_LINK_DOWN = N_("{broker}: not connected (the daemon is not running)")


class StatusBoard:
    def __init__(self, config: Config, rundown: Rundown) -> None:
        self.config = config
        self.rundown = rundown
        self.started = time.time()
        self._last_error: str | None = None
        self.last_error_at: float | None = None
        self._device_error: str | None = None
        self._database_error: tuple[str, float] | None = None  # the line, since (epoch)
        self._writer = StatusWriter(status_path(config))
        self._due = 0.0
        self._stretch: tuple[tuple[str, float], float, float] | None = None
        self._synced: tuple[float, bool | None] = (0.0, None)
        self.live: LiveSessions | None = None  # the station's live sessions
        self.push_to_talk: PushToTalk | None = None  # the button, when one is configured

    @property
    def last_error(self) -> str | None:
        return self._last_error

    @last_error.setter
    def last_error(self, problem: str | None) -> None:
        """A problem on air, stamped now (shown until a later item airs without one)."""
        self._last_error = problem
        self.last_error_at = time.time() if problem is not None else None

    @property
    def device_error(self) -> str | None:
        return self._device_error

    @device_error.setter
    def device_error(self, problem: str | None) -> None:
        """The device's problem (None: it works); logged when it starts, changes or ends."""
        from broadcaster.air.player import DEVICE_RETRY_S

        if problem is not None and problem != self._device_error:
            log.warning("%s", _(MSG_DEVICE_FAILED).format(problem=problem,
                                                          seconds=DEVICE_RETRY_S))
        elif problem is None and self._device_error is not None:
            log.info("%s", _(MSG_DEVICE_BACK).format(device=self._device_name()))
        self._device_error = problem

    @property
    def database_error(self) -> str | None:
        return self._database_error[0] if self._database_error is not None else None

    @database_error.setter
    def database_error(self, problem: str | None) -> None:
        """The database refusing the station (None: it takes its changes); shown as the
        last error while it lasts, logged when it starts, changes or ends."""
        if problem is not None and problem != self.database_error:
            log.error("%s", problem)
            self._database_error = (problem, time.time())
        elif problem is None and self._database_error is not None:
            log.info("%s", _(MSG_DATABASE_BACK))
            self._database_error = None

    def aired_fine(self) -> None:
        """An item aired whole without a problem: the last error is over."""
        self.last_error = None

    def _device_name(self) -> str:
        device = self.config.audio.device
        return str(device) if device is not None else "default"

    def write(self, books: dict[int, Book], player: Player, upstream: Upstream | None,
              now: float, speech: SpeechAhead, slots: SlotQueue) -> None:
        tick = time.monotonic()
        if tick < self._due:
            return
        self._due = tick + EVERY_S
        status = self.build(books, player, upstream, now, speech, slots)
        self._writer.write(status)
        if upstream is not None:
            upstream.show(status)

    def build(self, books: dict[int, Book], player: Player, upstream: Upstream | None,
              now: float, speech: SpeechAhead, slots: SlotQueue) -> LiveStatus:
        playing = player.now_playing()
        on_air = None
        busy_until = None
        if playing is not None:
            key = (playing.item_id, playing.since)
            if self._stretch is None or self._stretch[0] != key:  # once per stretch on air
                elapsed = time.monotonic() - playing.since
                self._stretch = (key, now - elapsed, playing.position_s - elapsed)
            _stretch_key, since, offset = self._stretch
            on_air = OnAir(id=int(playing.item_id) if playing.item_id.isdigit() else None,
                           title=playing.title, level=playing.level.value, kind=playing.kind,
                           since=round(since, 1), offset_s=round(offset, 1),
                           duration_s=playing.duration_s)
            book = books.get(on_air.id) if on_air.id is not None else None
            if book is not None and book.entry.zones is not None \
                    and book.entry.level is not Level.EMERGENCY:
                on_air = msgspec.structs.replace(on_air, zones=list(book.entry.zones))
            length = playing.duration_s
            if length is None and book is not None:
                length = book.item(speech).duration_s
            if length is not None:
                busy_until = since + length - offset
            if book is not None and book.entry.hard_end is not None:  # a slot's `until`
                busy_until = min(busy_until or book.entry.hard_end, book.entry.hard_end)
        items = [rundown_item(book, speech) for book in books.values()
                 if book.state is not State.ON_AIR]
        ahead = {-number: found for number, found in enumerate(slots.ahead(now), 1)}
        items += [Item(key, playlist.level, found.start.timestamp(),
                       found.expires.timestamp(), duration_s=length_of(playlist.items)[0])
                  for key, (found, playlist) in ahead.items()]
        waiting = []
        for planned in self.rundown.plan(items, now, busy_until)[:SHOWN_NEXT]:
            expected = round(planned.start) if planned.start else None
            if planned.item.id < 0:
                found, playlist = ahead[planned.item.id]
                waiting.append(NextUp(id=None, title=playlist.title, slot=found.key,
                                      level=playlist.level.value, due=planned.item.due,
                                      expected=expected, state=planned.item.state.value))
                continue
            book = books[planned.item.id]
            waiting.append(NextUp(id=book.entry.id, title=book.entry.title,
                                  level=book.entry.level.value, due=book.entry.due_at,
                                  expected=expected, state=planned.item.state.value,
                                  note=waiting_note(self.rundown, planned.item, now)))
        # the database refusing the station is the error of the moment
        error, error_at = self._database_error or (self.last_error, self.last_error_at)
        return LiveStatus(
            running=True, pid=os.getpid(), started=round(self.started, 1), on_air=on_air,
            next=waiting, device=self._device_name(), device_error=self.device_error,
            amplifier=player.amplifier_text(),
            zones=[Zone(state.name, list(state.pins), state.closed, state.problem)
                   for state in player.zone_states()],
            live=self.live.status(books) if self.live is not None else None,
            push_to_talk=self.push_to_talk.describe() if self.push_to_talk is not None
            else None,
            upstream=upstream.describe() if upstream is not None else _(MSG_NOT_CONFIGURED),
            last_error=error, last_error_at=round(error_at, 1) if error_at else None,
            clock_synchronized=self._clock_synchronized())

    def _clock_synchronized(self) -> bool | None:
        tick = time.monotonic()
        if tick - self._synced[0] > 10.0:  # adjtimex is cheap, but not every 200 ms
            self._synced = (tick, clock_synchronized())
        return self._synced[1]

    def remove(self) -> None:
        self._writer.remove()


def waiting_note(rundown: Rundown, item: Item, now: float) -> str:
    """Why a waiting item is not on air yet, when the rundown's order does not say it."""
    if not item.ready:
        return MSG_SPEECH_NOT_READY  # a key (desk.py reads it); `status` translates it
    moment = datetime.fromtimestamp(now, rundown.zone)
    if item.level is Level.EMERGENCY or not rundown.quiet.contains(moment):
        return ""
    end = rundown.quiet.end_after(moment)
    if item.due > end.timestamp():
        return ""
    return _(MSG_HELD_QUIET).format(until=end.strftime("%H:%M"))


def status_from_database(config: Config) -> LiveStatus:
    """The live status while the daemon is down (`running` false), built from the
    database: what waits in air order with its expected start, the configured device,
    amplifier relay and upstream broker, the clock. A daemon that holds the station but
    has written no status yet (starting or stopping) is `running` with its pid."""
    from broadcaster.air.amplifier import describe_relay
    from broadcaster.air.ptt import describe_button
    from broadcaster.clock import station_now
    from broadcaster.desk import pending, station_rundown
    from broadcaster.lifecycle import holder

    daemon = holder(config.data_dir)  # running, but its status is not written yet
    now = station_now(config).timestamp()
    rundown = station_rundown(config)
    waiting = [NextUp(id=entry.id if entry.id > 0 else None, title=entry.title,
                      level=entry.level.value, due=entry.due_at,
                      expected=round(planned.start) if planned.start else None,
                      state=planned.item.state.value,
                      note=waiting_note(rundown, planned.item, now),
                      slot=entry.occurrence if entry.id <= 0 else None)
               for entry, planned in pending(config)[1][:SHOWN_NEXT]]
    broker = config.district.broker
    device = config.audio.device
    return LiveStatus(
        running=daemon is not None, pid=daemon if daemon is not None and daemon > 0 else None,
        next=waiting, device=str(device) if device is not None else "default",
        amplifier=describe_relay(config.amplifier),
        zones=[Zone(name, list(pins)) for name, pins in config.zones.items()],
        push_to_talk=describe_button(config.live.ptt_pin)
        if config.live.ptt_pin is not None else None,
        upstream=_(MSG_LINK_DOWN).format(broker=broker) if broker else _(MSG_NOT_CONFIGURED),
        clock_synchronized=clock_synchronized())
