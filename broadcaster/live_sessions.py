"""The daemon's side of the live microphone: each live session's microphone (device,
gate, limiter, recording) from its cue to its end, its as-run verdict, the folder of
recordings kept within `[live] keep_days` and `max_mb`, and what `status` shows of it.

The station thread owns it; the player's thread reads the `LiveSession` it was handed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from broadcaster.i18n import N_, _
from broadcaster.live_desk import LIVE, recording_part
from broadcaster.model import Outcome
from broadcaster.on_air import Book
from broadcaster.schedule.rundown import Item, State
from broadcaster.status import Live

if TYPE_CHECKING:
    from broadcaster.air.live import LiveSession, LiveSource
    from broadcaster.config import Config
    from broadcaster.speech.ahead import SpeechAhead

log = logging.getLogger(__name__)

MSG_CANCELLED_WAITING = N_("stopped before it went on air")


def is_live(book: Book) -> bool:
    return book.entry.source == LIVE


def rundown_item(book: Book, speech: SpeechAhead) -> Item:
    """What the rundown knows of a book: a live session is marked so (it cuts in)."""
    item = book.item(speech)
    return replace(item, live=True, ready=True) if is_live(book) else item


class LiveSessions:
    """Live sessions by queue id, from their cue to their end. `clock` is the station's
    wall clock (aware), for the recordings' names and ages."""

    def __init__(self, config: Config, clock: Callable[[], datetime]) -> None:
        self.config = config
        self._clock = clock
        self._open: dict[int, LiveSession] = {}

    def cue(self, book: Book) -> LiveSource:
        """The microphone for `book`, recorded under `<audio_dir>/live/` from its first
        block (named by now and its id); its as-run part names that file."""
        from broadcaster.air.live import LiveSession
        from broadcaster.live_record import Recording, recording_name, recordings_folder

        entry_id = book.entry.id
        session = self._open.get(entry_id)
        if session is None:
            path = recordings_folder(self.config) / recording_name(self._clock(), entry_id)
            session = self._open[entry_id] = LiveSession(
                self.config.audio.input_device, title=book.entry.title,
                recording=Recording(path, self.config.audio.sample_rate))
            book.parts = (recording_part(path.name),)
        return session.source()

    def on_air(self, book: Book) -> None:
        """Its first block went out: its one part has aired (whatever comes after)."""
        book.parts = tuple(replace(part, aired=True, reason=None) for part in book.parts)

    @staticmethod
    def verdict(book: Book, outcome: Outcome) -> tuple[Outcome, str | None]:
        """A live session's as-run outcome once the player ended it: `aired` when the
        microphone went on air and was stopped (`live stop`, the button let go), with any
        problem on the way; the player's own outcome and its reason otherwise."""
        problems = "; ".join(problem for problem in book.problems if problem) or None
        if outcome in (Outcome.AIRED, Outcome.CANCELLED) and book.started_at is not None:
            return Outcome.AIRED, problems
        if outcome is Outcome.CANCELLED:
            return Outcome.CANCELLED, _(MSG_CANCELLED_WAITING)
        return outcome, problems

    def end(self, entry_id: int) -> None:
        """The session is over: its recording is finished, then the folder pruned."""
        session = self._open.pop(entry_id, None)
        if session is not None:
            session.close()
        self.prune()

    def prune(self) -> None:
        """Old and oversize recordings out, oldest first; never one still recording."""
        from broadcaster.live_record import prune, recordings_folder

        recording = frozenset(session.recording.path for session in self._open.values()
                              if session.recording is not None)
        prune(recordings_folder(self.config), self.config.live.keep_days,
              self.config.live.max_mb, self._clock(), keep=recording)

    def close(self) -> None:
        for entry_id in list(self._open):
            self.end(entry_id)

    def status(self, books: dict[int, Book]) -> Live | None:
        """The live session the station holds (the latest, should there be two), for
        `status`: waiting, on air, interrupted (an emergency airs) or stopping."""
        live = [book for book in books.values() if is_live(book)]
        if not live:
            return None
        book = max(live, key=lambda held: held.entry.id)
        session = self._open.get(book.entry.id)
        state = "stopping" if book.entry.state == "cancel" else book.state.value
        if book.state is State.CUED:  # handed over, not yet heard: an emergency airs
            state = State.WAITING.value
        device = self.config.audio.input_device
        counters = session.counters if session is not None else None
        recording = session.recording if session is not None else None
        return Live(id=book.entry.id, title=book.entry.title, state=state,
                    since=book.started_at, device="default" if device is None else str(device),
                    recording=recording.path.name if recording is not None else None,
                    seconds=round(session.frames / self.config.audio.sample_rate, 1)
                    if session is not None else 0.0,
                    overruns=counters.overruns if counters else 0,
                    underruns=counters.underruns if counters else 0,
                    skipped=counters.skipped if counters else 0)
