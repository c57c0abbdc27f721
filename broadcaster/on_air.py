"""The station's book on one item while it waits and airs: parts aired, cuts, resumes,
engines, problems; and the verdict written to the as-run log when it ends (SPEC §6).

The station thread owns every Book; the player's thread only reaches one through the
station's messages (and the speech callable it was handed).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace
from datetime import datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING

from broadcaster.asrun import Interruption, PartResult, Progress, blank_parts, mark, verdict
from broadcaster.i18n import N_, _
from broadcaster.model import Chime, File, Outcome, Pause, PlaylistItem, Relay, Say
from broadcaster.schedule.rundown import Item, State
from broadcaster.store import Entry

if TYPE_CHECKING:
    from broadcaster.air.sequence import PartReport, PartState, SequenceSource, Timing
    from broadcaster.air.sources import OutputFormat
    from broadcaster.config import Config
    from broadcaster.speech.ahead import SpeechAhead

CHIME_S = 3.0  # about the station chime's length, for the forward plan
WORDS_PER_S = 2.5  # Vietnamese read aloud, for speech not rendered yet
UNKNOWN_FILE_S = 60.0
MSG_OFF = N_("the station was off from {since} to {until}")
MSG_OFF_SINCE_UNKNOWN = N_("the station was off until {until}")
MSG_NOT_RESUMED = N_("{off}; it could not resume before its expiry")
MSG_SPEECH_FAILED = N_("its speech could not be rendered by its expiry: {reason}")
MSG_SLOT_ENDED = N_("its slot ended")
MSG_CANCELLED = N_("cancelled by operator")
MSG_STOPPED_ON_AIR = N_("on air when {why}, not aired whole")


def off_reason(since: float | None, until: float, zone: tzinfo | None = None) -> str:
    def clock(moment: float) -> str:
        return datetime.fromtimestamp(moment, zone).strftime("%Y-%m-%d %H:%M")
    if since is None:
        return _(MSG_OFF_SINCE_UNKNOWN).format(until=clock(until))
    return _(MSG_OFF).format(since=clock(since), until=clock(until))


@dataclass
class Book:
    entry: Entry
    parts: tuple[PartResult, ...]
    interruptions: list[Interruption] = field(default_factory=list)
    state: State = State.WAITING
    started_at: float | None = None
    resume: tuple[int, int] | None = None  # where a stop of the daemon left it
    engines: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)
    duration_s: float | None = None
    on_part: int | None = None  # the part on air (started, not yet ended)
    zone: tzinfo | None = None
    # when each hard-start part's first frame went out (epoch), by part index: written by
    # the player's thread just before it posts that part's STARTED, read on that message
    hard_started: dict[int, float] = field(default_factory=dict)

    @classmethod
    def take(cls, entry: Entry, speech: SpeechAhead, now: float,
             zone: tzinfo | None = None) -> Book:
        """A new item (or one the daemon had before it stopped): its speech goes to be
        rendered ahead, what it had aired and where it was cut come from the database."""
        progress = entry.progress
        book = cls(entry, progress.parts or blank_parts(entry.items),
                   list(progress.interruptions), started_at=entry.started_at,
                   duration_s=entry.duration_s, zone=zone)
        if book.interruptions and book.interruptions[-1].resumed_at is None:
            book.resume = (progress.resume_part, progress.resume_frame)
        for index, item in enumerate(entry.items):
            if isinstance(item, Chime) and item.source == "default":
                from broadcaster.speech.chime import chime_file

                chime_file(speech.config)  # made now, not when its turn comes on air
            if isinstance(item, Say):
                speech.want((entry.id, index), item, entry.due_at, entry.expires_at, now,
                            entry.level)
        return book

    @staticmethod
    def restarted(entry: Entry, cut: Interruption) -> Progress:
        """The progress of an item that was on air when the daemon died without a clean
        stop: where it was is unknown, so it resumes from its start."""
        progress = entry.progress
        return replace(progress, interruptions=(*progress.interruptions, cut),
                       resume_part=0, resume_frame=0)

    @property
    def notice(self) -> bool:
        """Only chime, speech and pauses: it waits for its speech (never a chime alone)."""
        return all(isinstance(item, Chime | Say | Pause) for item in self.entry.items)

    def item(self, speech: SpeechAhead) -> Item:
        """What the rundown needs to know of it now."""
        ready = speech.ready(self.entry.id) if self.notice else True
        length = self.duration_s
        if length is None:
            length, exact = length_of(self.entry.items, speech.spoken(self.entry.id), True)
            if exact:
                self.duration_s = length
        return Item(self.entry.id, self.entry.level, self.entry.due_at, self.entry.expires_at,
                    self.state, length, ready, resumes=self.resume is not None)

    def source(self, config: Config, speech: SpeechAhead, report: PartReport, wait_s: float,
               fmt: OutputFormat, now: float) -> SequenceSource:
        """What the player airs: its parts, from where a stop of the daemon left it."""
        from broadcaster.air.program import program_source
        from broadcaster.model import RenderedProgram

        def spoken(index: int, _say: Say) -> RenderedProgram:
            program = speech.program((self.entry.id, index), wait_s)
            self.engines.add(program.engine)
            return program

        cut_at = self.interruptions[-1].cut_at if self.resume and self.interruptions else None
        return program_source(config, self.entry.items, spoken, title=self.entry.title,
                              report=report, resume=self.resume, fmt=fmt,
                              away_s=now - cut_at if cut_at is not None else 0.0,
                              timing=self.timing(speech, now))

    def timing(self, speech: SpeechAhead, now: float) -> Timing | None:
        """Its hard starts on the slot's day and its `fit: wait` parts, on a clock that reads
        the station's time (`now`, epoch) at real speed from here on (monotonic: a clock
        set meanwhile does not move a hard start); None when it has neither."""
        import time as clock_time

        from broadcaster.air.sequence import HardStart, Timing
        from broadcaster.model import Fit

        items = self.entry.items
        if not any(item.at is not None or item.fit is Fit.WAIT for item in items):
            return None
        day = datetime.fromtimestamp(self.entry.due_at, self.zone).date()
        first = self.resume[0] if self.resume else 0
        hard = tuple(HardStart(index, moment, item.at.strftime("%H:%M:%S"),
                               armed=self.started_at is not None and self.started_at < moment)
                     for index, item in enumerate(items) if item.at is not None and index >= first
                     for moment in [datetime.combine(day, item.at, self.zone).timestamp()])
        spoken = speech.spoken(self.entry.id)
        waits = {index: length_of((item,), {0: spoken[index]} if index in spoken else None,
                                  probe=True)[0]
                 for index, item in enumerate(items) if item.fit is Fit.WAIT}
        offset = now - clock_time.monotonic()

        def station_clock() -> float:
            return clock_time.monotonic() + offset

        def started(index: int, moment: float) -> None:
            self.hard_started[index] = moment  # before its STARTED reaches the station

        return Timing(hard, waits, station_clock, started)

    # --- what happened on air ---------------------------------------------------------

    def on_air(self, wall: float) -> None:
        self.state = State.ON_AIR
        if self.started_at is None:
            self.started_at = wall
        if self.interruptions and self.interruptions[-1].resumed_at is None:
            self.interruptions[-1] = replace(self.interruptions[-1], resumed_at=wall)
        self.resume = None

    def cut(self, wall: float, why: str, resume: tuple[int, int] | None) -> None:
        self.state = State.INTERRUPTED
        self.interruptions.append(Interruption(wall, why))
        self.resume = resume or (0, 0)

    def part_done(self, index: int, state: PartState, reason: str | None) -> None:
        from broadcaster.air.sequence import PartState

        if not 0 <= index < len(self.parts):
            return
        if state is PartState.STARTED:
            self.on_part = index
            moment = self.hard_started.pop(index, None)
            if moment is not None:
                self.parts = (*self.parts[:index], replace(self.parts[index], started_at=moment),
                              *self.parts[index + 1:])
            return
        self.parts = mark(self.parts, index, aired=state is PartState.AIRED, reason=reason)
        if self.on_part == index:
            self.on_part = None

    def progress(self) -> Progress:
        part, frame = self.resume or (0, 0)
        return Progress(self.parts, tuple(self.interruptions), part, frame)

    # --- verdicts ---------------------------------------------------------------------

    def ended_verdict(self, outcome: Outcome) -> tuple[Outcome, str | None]:
        """The as-run outcome of an item the player ended (`outcome` is the player's)."""
        notes = "; ".join(problem for problem in self.problems if problem) or None
        if outcome in (Outcome.CUT, Outcome.CANCELLED):
            why = _(MSG_SLOT_ENDED) if outcome is Outcome.CUT else _(MSG_CANCELLED)
            if self.on_part is not None:  # it aired in part: say so, not "not reached"
                self.parts = mark(self.parts, self.on_part, aired=False,
                                  reason=_(MSG_STOPPED_ON_AIR).format(why=why))
            missing = verdict(self.parts)[1]
            return outcome, _join(why, missing if self.started_at else None)
        judged, reason = verdict(self.parts)
        return judged, _join(reason, notes) if judged is not Outcome.AIRED else notes

    def expiry_verdict(self, reason: str, speech_error: str | None,
                       off: tuple[float | None, float]) -> tuple[Outcome, str]:
        """The outcome of an item whose expiry passed before it could (re)start."""
        since, back = off
        away = off_reason(since, back, self.zone)
        if self.started_at is not None:
            return Outcome.INTERRUPTED, _(MSG_NOT_RESUMED).format(off=away)
        if self.notice and speech_error:
            return Outcome.FAILED, _(MSG_SPEECH_FAILED).format(reason=speech_error)
        if self.entry.expires_at < back:
            return Outcome.MISSED, away
        return Outcome.MISSED, reason


def _join(*texts: str | None) -> str | None:
    return "; ".join(text for text in texts if text) or None


def length_of(items: tuple[PlaylistItem, ...], spoken: dict[int, float] | None = None,
              probe: bool = False) -> tuple[float, bool]:
    """How long the parts last, and whether that is exact: speech from `spoken` (seconds
    by part index, once rendered) else estimated from its words; files probed (the
    daemon) else assumed a minute (the CLI, which must start fast)."""
    total, exact = 0.0, True
    for index, item in enumerate(items):
        match item:
            case Pause(seconds) | Relay(_, seconds):
                total += seconds
            case Chime():
                total += CHIME_S
            case Say(text, repeat, gap_s):
                if spoken is not None and index in spoken:
                    total += spoken[index]
                else:
                    total += len(text.split()) / WORDS_PER_S * repeat + gap_s * (repeat - 1)
                    exact = False
            case File(path):
                seconds_of = _file_seconds(path) if probe else None
                total += seconds_of if seconds_of is not None else UNKNOWN_FILE_S
                exact = exact and seconds_of is not None
    return total, exact


@functools.lru_cache(maxsize=256)  # the daemon asks again until the speech is rendered
def _file_seconds(path: Path) -> float | None:
    try:
        import soundfile

        info = soundfile.info(str(path))
    except Exception:  # unreadable or a format only ffmpeg knows: length unknown
        return None
    return float(info.frames) / info.samplerate if info.samplerate else None

