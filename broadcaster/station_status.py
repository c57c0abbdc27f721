"""What the daemon shows of itself: the live status (`broadcaster.status`) built from the
station's books and the player, with the rundown's expected start for each waiting item.
Written under the runtime directory only when something in it changed."""

from __future__ import annotations

import os
import time
from datetime import datetime
from typing import TYPE_CHECKING

from broadcaster.i18n import N_, _
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
    status_path,
)

if TYPE_CHECKING:
    from broadcaster.air import Player
    from broadcaster.config import Config
    from broadcaster.on_air import Book
    from broadcaster.schedule.slot_queue import SlotQueue
    from broadcaster.speech.ahead import SpeechAhead
    from broadcaster.upstream.pushes import Upstream

SHOWN_NEXT = 10
EVERY_S = 0.2  # how often the status is compared (and rewritten if it changed)
MSG_HELD_QUIET = N_("held by quiet hours until {until}")


class StatusBoard:
    def __init__(self, config: Config, rundown: Rundown) -> None:
        self.config = config
        self.rundown = rundown
        self.started = time.time()
        self.last_error: str | None = None
        self.device_error: str | None = None
        self._writer = StatusWriter(status_path(config))
        self._due = 0.0
        self._stretch: tuple[tuple[str, float], float, float] | None = None
        self._synced: tuple[float, bool | None] = (0.0, None)

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
            _, since, offset = self._stretch
            on_air = OnAir(id=int(playing.item_id) if playing.item_id.isdigit() else None,
                           title=playing.title, level=playing.level.value, kind=playing.kind,
                           since=round(since, 1), offset_s=round(offset, 1),
                           duration_s=playing.duration_s)
            book = books.get(on_air.id) if on_air.id is not None else None
            length = playing.duration_s
            if length is None and book is not None:
                length = book.item(speech).duration_s
            if length is not None:
                busy_until = since + length - offset
            if book is not None and book.entry.hard_end is not None:  # a slot's `until`
                busy_until = min(busy_until or book.entry.hard_end, book.entry.hard_end)
        items = [book.item(speech) for book in books.values()
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
                                  note=self._note(planned.item, now)))
        return LiveStatus(
            pid=os.getpid(), started=round(self.started, 1), on_air=on_air, next=waiting,
            device=str(self.config.audio.device) if self.config.audio.device is not None
            else "default", device_error=self.device_error,
            amplifier=player.amplifier_text(),
            upstream=upstream.describe() if upstream is not None else "not configured",
            last_error=self.last_error, clock_synchronized=self._clock_synchronized())

    def _note(self, item: Item, now: float) -> str:
        if not item.ready:
            return MSG_SPEECH_NOT_READY  # a key (desk.py reads it); `status` translates it
        moment = datetime.fromtimestamp(now, self.rundown.zone)
        if item.level is Level.EMERGENCY or not self.rundown.quiet.contains(moment):
            return ""
        end = self.rundown.quiet.end_after(moment)
        if item.due > end.timestamp():
            return ""
        return _(MSG_HELD_QUIET).format(until=end.strftime("%H:%M"))

    def _clock_synchronized(self) -> bool | None:
        tick = time.monotonic()
        if tick - self._synced[0] > 10.0:  # adjtimex is cheap, but not every 200 ms
            self._synced = (tick, clock_synchronized())
        return self._synced[1]

    def remove(self) -> None:
        self._writer.remove()
