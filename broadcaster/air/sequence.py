"""A playlist on air as one item: its parts one after another (chime, notices, files, relays).

Parts are built only when their turn comes, so a notice whose speech is still being
rendered can follow a chime that is already playing. A part that cannot start is
reported and skipped: one missing file does not silence the rest of the slot. After an
emergency the sequence resumes inside the part that was cut, by that part's own rule.

A part may have a hard start (`HardStart`: the VOV news at 06:00:00). Each `read` looks at
the clock: the part on air fades out (the player's cosine) to end exactly at that
moment, the block is cut there and the hard-start part begins inside it; parts between
are skipped, a `fit: wait` part that would not end in time airs after it, and silence
fills what the earlier parts leave before it. The clock, not a count of frames since the
start, says where the moment falls, so a sound card's drifting clock does not move it;
only over the last `WINDOW_S` are frames counted, because a device takes blocks in bursts
(two at once every other block through PulseAudio) and the second of a burst is handed
over a block's time after the clock read at its read.
"""

from __future__ import annotations

import enum
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from broadcaster.air.sources import Emit, OutputFormat, Source, _ignore, as_float, joined
from broadcaster.asrun import cut_for_hard_start, skipped_for_hard_start
from broadcaster.i18n import N_, _
from broadcaster.model import one_line

if TYPE_CHECKING:
    from broadcaster.air.sources import Samples

Part = Callable[[], Source]
FADE_S = 0.2  # the player's fade (air/player.py FADE_S), ending on the hard start
GAP_LEAD_S = 0.5  # silence before a hard start runs at most this far ahead of the clock
WINDOW_S = 1.0  # reads this recent say where the stream is (a card drifts < 0.1 ms in it)


class PartState(enum.StrEnum):
    STARTED = "started"
    AIRED = "aired"  # played to its end
    FAILED = "failed"  # could not start; skipped
    CUT = "cut"  # faded out at a hard start; the reason says what it lost
    SKIPPED = "skipped"  # not aired: a hard start came before its turn


# Told as each part starts, airs whole, fails, is cut or skipped: (index, state, why it did
# not air whole). A resumed copy reports to the same place.
PartReport = Callable[[int, PartState, "str | None"], None]
# Told the moment (the sequence's clock) each hard-start part's first frame goes out,
# just before its STARTED report: what a start error is measured from.
HardStartReport = Callable[[int, float], None]
MSG_PART_FAILED = N_("part {number} ({what}) skipped: {reason}")


def no_report(_index: int, _state: PartState, _reason: str | None) -> None:
    return None


def no_moment(_index: int, _at: float) -> None:
    return None


@dataclass(frozen=True)
class HardStart:
    """Part `index` starts at `at` (seconds on the sequence's clock); `shown` is that
    moment as the as-run log says it ("06:00:00"). An `armed` one still holds when its
    moment has passed before the sequence began (it was on air before then: a resumed
    copy); otherwise a sequence that begins after it airs its parts in order."""

    index: int
    at: float
    shown: str
    armed: bool = False


@dataclass(frozen=True)
class Timing:
    """What a sequence keeps to in time: its `hard_starts`, its `fit: wait` parts with their
    estimated length (`waits`, used when the part does not know its own once open), the
    `clock` both are on (monotonic seconds by default), and who is told each hard start's
    moment. `sleep` holds silence to the clock; `fade_s` is the player's fade."""

    hard_starts: tuple[HardStart, ...] = ()
    waits: Mapping[int, float] = field(default_factory=dict)
    clock: Callable[[], float] = time.monotonic
    on_hard_start: HardStartReport = no_moment
    sleep: Callable[[float], None] = time.sleep
    fade_s: float = FADE_S


@dataclass
class _Started:
    index: int  # which part
    at: int  # the sequence's position when it started
    source: Source  # the part's source (closed once it ends)
    offset: int  # the part's own position when it started (a resumed file starts mid-way)


class SequenceSource(Source):
    """The parts in `order` (default: from `index` to the last), `first` (a resumed part)
    in place of the first one's builder, kept to `timing` (hard starts, fit: wait)."""

    kind = "playlist"

    def __init__(self, parts: Sequence[Part], *, title: str = "",
                 index: int = 0, first: Source | None = None, first_at: int = 0,
                 report: PartReport = no_report, order: Sequence[int] | None = None,
                 timing: Timing | None = None) -> None:
        super().__init__()
        self.parts = list(parts)
        self.title = title
        self.report = report
        self._order = list(order) if order is not None else list(range(index, len(parts)))
        self._start_index = self._order[0] if self._order else index
        self._first = first  # a resumed part, aired in place of parts[order[0]]()
        # where the resumed part's own frame 0 lies in the item, so that `position` (and
        # `status`) tells where in the item it resumed, not the time since it resumed
        self._first_at = first_at
        self._current: _Started | None = None
        self._history: list[_Started] = []
        self._emit: Emit = _ignore
        self.timing = timing or Timing()
        self._hard = sorted((hard for hard in self.timing.hard_starts if hard.index in self._order),
                            key=lambda hard: hard.at)
        self._waits = self.timing.waits
        self._clock = self.timing.clock
        self._fade_s = self.timing.fade_s
        self._began = False
        self._gap: tuple[float, int] | None = None  # silence before a hard start: since, frames
        self._reads: deque[tuple[float, int]] = deque()  # recent reads: clock, frames before
        self._emitted = 0

    @property
    def may_be_silent(self) -> bool:  # type: ignore[override]  # varies with the part on air
        if self._current is None:
            return self._gap is not None  # waiting for a hard start: silent on purpose
        return self._current.source.may_be_silent

    @property
    def duration_s(self) -> float | None:
        """A one-part sequence (`play FILE`) lasts as long as its part; a longer playlist's
        length is not known before its parts are opened."""
        if len(self.parts) == 1 and self._current is not None:
            return self._current.source.duration_s
        return None

    def open(self, fmt: OutputFormat, emit: Emit = _ignore) -> None:
        self.fmt = fmt
        self._emit = emit

    def read(self, frames: int) -> Samples:
        # the clock matters only while a hard start is to come
        now = self._stream_time() if self._hard else 0.0
        if not self._began:  # a slot that begins after its hard start airs in order
            self._began = True
            self._hard = [replace(hard, armed=True) for hard in self._hard
                          if hard.armed or hard.at > now]
        rate = self.fmt.sample_rate
        blocks: list[Samples] = []
        filled = 0
        while filled < frames:
            hard = self._hard[0] if self._hard else None
            wanted = frames - filled
            edge = None  # frames from here to the hard start
            if hard is not None:
                edge = round((hard.at - now) * rate) - filled
                if edge <= 0:
                    self._start_hard(hard, now + filled / rate)
                    continue
                wanted = min(wanted, edge)
            block = self._flow(wanted, now + filled / rate, hard)
            if len(block) == 0:
                break
            if edge is not None:
                block = self._faded(block, edge)
            self.position += len(block)
            filled += len(block)
            blocks.append(block)
        self._emitted += filled
        return joined(blocks, self.fmt.channels)

    def _stream_time(self) -> float:
        """When the block about to be read goes out, on the clock: the latest of the recent
        reads' clock readings carried forward by the frames read since each."""
        clock = self._clock()
        self._reads.append((clock, self._emitted))
        while self._reads[0][0] < clock - WINDOW_S:
            self._reads.popleft()
        rate = self.fmt.sample_rate
        return max(then + (self._emitted - before) / rate for then, before in self._reads)

    def _flow(self, frames: int, moment: float, hard: HardStart | None) -> Samples:
        """Up to `frames` of the parts in order (fewer where one ends), silence while the
        parts before a pending hard start are done; empty once every part has aired."""
        import numpy as np

        while True:
            current = self._current or self._next_part(moment, hard)
            if current is None:
                if hard is None:
                    return np.zeros((0, self.fmt.channels), dtype=np.int16)
                return self._silence(frames)
            self._gap = None
            block = current.source.read(frames)
            if len(block):
                return block
            current.source.close()
            self._current = None
            self.report(current.index, PartState.AIRED, None)

    def _silence(self, frames: int) -> Samples:
        """Silence before a hard start. A device that takes blocks faster than real time
        (a file) would make it endless: it is held to the clock, `GAP_LEAD_S` ahead."""
        import numpy as np

        now = self._clock()
        since, emitted = self._gap or (now, 0)
        ahead = emitted / self.fmt.sample_rate - (now - since)
        if ahead > GAP_LEAD_S:
            self.timing.sleep(ahead - GAP_LEAD_S)
        self._gap = (since, emitted + frames)
        return np.zeros((frames, self.fmt.channels), dtype=np.int16)

    def _faded(self, block: Samples, edge: int) -> Samples:
        """`block` under the cosine fade that reaches 0 `edge` frames after its start (the
        hard start); untouched where the fade has not begun."""
        import numpy as np

        fade = max(1, self.fmt.frames(self._fade_s))
        if edge - len(block) + 1 >= fade:
            return block
        left = np.arange(edge, edge - len(block), -1, dtype=np.float64)  # frames to go
        gain = 0.5 * (1.0 - np.cos(np.pi * np.minimum(left, fade) / fade))
        return (as_float(block) * gain[:, None]).astype(np.float32)

    def _next_part(self, moment: float, hard: HardStart | None) -> _Started | None:
        """The next part in order, started; None at the end, or while a hard start is
        pending and nothing may start before it (its own turn, or too close to it)."""
        while self._order:
            index = self._order[0]
            if hard is not None and (index == hard.index or hard.at - moment < self._fade_s):
                return None
            self._order.pop(0)
            source = self._opened(index)
            if source is None:
                continue
            if hard is not None and self._held(index, source, moment, hard):
                continue
            return self._on_air(index, source)
        return None

    def _opened(self, index: int) -> Source | None:
        """Part `index`'s source, open; None (reported FAILED) when it cannot start."""
        source, self._first = self._first, None
        resumed = source is not None
        try:
            if source is None:
                source = self.parts[index]()
            source.open(self.fmt, self._emit)
        except Exception as exc:  # a part that cannot start is skipped, not the slot
            if source is not None:
                source.close()
            what = source.title if source is not None else _("item")
            reason = one_line(exc)
            self._emit("failed", _(MSG_PART_FAILED).format(number=index + 1, what=what,
                                                           reason=reason))
            self.report(index, PartState.FAILED, reason)
            return None
        if resumed:  # a file resumed 40 s in is 40 s into the item
            self.position = self._first_at + source.position
        return source

    def _held(self, index: int, source: Source, moment: float, hard: HardStart) -> bool:
        """Whether part `index` (fit: wait) would not end before `hard`: then it goes
        right after the hard-start part (after others held before it) and True."""
        if index not in self._waits:
            return False
        length = source.duration_s
        if length is None:
            length = self._waits[index]
        left = length - source.position / self.fmt.sample_rate
        if moment + left <= hard.at:
            return False
        source.close()
        place = self._order.index(hard.index) + 1
        while place < len(self._order) and self._order[place] in self._waits \
                and self._order[place] < index:
            place += 1
        self._order.insert(place, index)
        return True

    def _on_air(self, index: int, source: Source) -> _Started:
        self._current = _Started(index, self.position, source, source.position)
        self._history.append(self._current)
        self.report(index, PartState.STARTED, None)
        return self._current

    def _start_hard(self, hard: HardStart, moment: float) -> None:
        """The moment of `hard`: the part on air is cut (its fade has just ended), the parts
        before the hard-start part are skipped, and it starts."""
        self._hard.pop(0)
        self._gap = None
        number = hard.index + 1
        current, self._current = self._current, None
        if current is not None:
            source = current.source
            aired_s = source.position / self.fmt.sample_rate
            source.close()
            self.report(current.index, PartState.CUT,
                        cut_for_hard_start(hard.shown, number, aired_s, source.duration_s))
        if hard.index not in self._order:  # it aired already (a copy resumed after it)
            return
        while self._order[0] != hard.index:
            skipped = self._order.pop(0)
            if self._first is not None:  # a resumed part that the hard start overtook
                self._first.close()
                self._first = None
            self.report(skipped, PartState.SKIPPED, skipped_for_hard_start(hard.shown, number))
        self._order.pop(0)
        started = self._opened(hard.index)
        if started is not None:
            self.timing.on_hard_start(hard.index, moment)
            self._on_air(hard.index, started)

    def close(self) -> None:
        if self._current is not None:
            self._current.source.close()
            self._current = None
        if self._first is not None:
            self._first.close()
            self._first = None

    def resume_point(self, at_frame: int) -> tuple[int, int]:
        """Where a cut at `at_frame` resumes: (part index, frame inside that part)."""
        cut = next((part for part in reversed(self._history) if part.at <= at_frame), None)
        if cut is None:  # cut before its first part began: start over
            return self._start_index, 0
        return cut.index, cut.offset + (at_frame - cut.at)

    def resumed(self, at_frame: int, away_frames: int) -> Source:
        index, inside = self.resume_point(at_frame)
        cut = next((part for part in reversed(self._history) if part.index == index), None)
        later = [part.index for part in self._history[self._history.index(cut) + 1:]] \
            if cut is not None else []
        order = [index, *later, *(i for i in self._order if i != index and i not in later)]
        if cut is None:
            return self._copy(order)
        copy = self._copy(order, cut.source.resumed(inside, away_frames), cut.at - cut.offset)
        # where it resumes, also before its first read opens the part (`status` asks then)
        copy.position = cut.at - cut.offset + inside
        return copy

    def _copy(self, order: list[int], first: Source | None = None,
              first_at: int = 0) -> SequenceSource:
        """A fresh sequence of the parts in `order` (`first` resumed in place of the first)
        with the hard starts still to come: it reports to the same places."""
        timing = replace(self.timing, hard_starts=tuple(self._hard))
        return SequenceSource(self.parts, title=self.title, first=first, first_at=first_at,
                              report=self.report, order=order, timing=timing)
