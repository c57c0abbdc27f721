"""A playlist on air as one item: its parts one after another (chime, notices, files, relays).

Parts are built only when their turn comes, so a notice whose speech is still being
rendered can follow a chime that is already playing. A part that cannot start is
reported and skipped: one missing file does not silence the rest of the slot. After an
emergency the sequence resumes inside the part that was cut, by that part's own rule.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from broadcaster.air.sources import Emit, OutputFormat, Source, _ignore
from broadcaster.i18n import N_, _
from broadcaster.model import one_line

if TYPE_CHECKING:
    from broadcaster.air.sources import Block

Part = Callable[[], Source]


class PartState(enum.StrEnum):
    STARTED = "started"
    AIRED = "aired"  # played to its end
    FAILED = "failed"  # could not start; skipped


# Told as each part starts, airs whole, or fails: (index, state, why it failed).
# A resumed copy reports to the same place.
PartReport = Callable[[int, PartState, "str | None"], None]
MSG_PART_FAILED = N_("part {number} ({what}) skipped: {reason}")


def no_report(_index: int, _state: PartState, _reason: str | None) -> None:
    return None


@dataclass
class _Started:
    index: int  # which part
    at: int  # the sequence's position when it started
    source: Source  # the part's source (closed once it ends)
    offset: int  # the part's own position when it started (a resumed file starts mid-way)


class SequenceSource(Source):
    kind = "playlist"

    def __init__(self, parts: Sequence[Part], *, title: str = "",
                 index: int = 0, first: Source | None = None, first_at: int = 0,
                 report: PartReport = no_report) -> None:
        super().__init__()
        self.parts = list(parts)
        self.title = title
        self.report = report
        self._index = self._start_index = index
        self._first = first  # a resumed part, aired in place of parts[index]()
        # where the resumed part's own frame 0 lies in the item, so that `position` (and
        # `status`) tells where in the item it resumed, not the time since it resumed
        self._first_at = first_at
        self._current: _Started | None = None
        self._history: list[_Started] = []
        self._emit: Emit = _ignore

    @property
    def may_be_silent(self) -> bool:  # type: ignore[override]  # varies with the part on air
        return self._current is not None and self._current.source.may_be_silent

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

    def read(self, frames: int) -> Block:
        import numpy as np

        blocks: list[Block] = []
        wanted = frames
        while wanted > 0:
            current = self._current or self._next_part()
            if current is None:
                break
            block = current.source.read(wanted)
            if len(block) == 0:
                current.source.close()
                self._current = None
                self.report(current.index, PartState.AIRED, None)
                continue
            self.position += len(block)
            wanted -= len(block)
            blocks.append(block)
        if not blocks:
            return np.zeros((0, self.fmt.channels), dtype=np.float32)
        return blocks[0] if len(blocks) == 1 else np.concatenate(blocks)

    def _next_part(self) -> _Started | None:
        while self._index < len(self.parts):
            index = self._index
            self._index += 1
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
                continue
            if resumed:  # a file resumed 40 s in is 40 s into the item
                self.position = self._first_at + source.position
            self._current = _Started(index, self.position, source, source.position)
            self._history.append(self._current)
            self.report(index, PartState.STARTED, None)
            return self._current
        return None

    def close(self) -> None:
        if self._current is not None:
            self._current.source.close()
            self._current = None

    def resume_point(self, at_frame: int) -> tuple[int, int]:
        """Where a cut at `at_frame` resumes: (part index, frame inside that part)."""
        cut = next((part for part in reversed(self._history) if part.at <= at_frame), None)
        if cut is None:  # cut before its first part began: start over
            return self._start_index, 0
        return cut.index, cut.offset + (at_frame - cut.at)

    def resumed(self, at_frame: int, away_frames: int) -> Source:
        index, inside = self.resume_point(at_frame)
        cut = next((part for part in reversed(self._history) if part.index == index), None)
        if cut is None:
            return SequenceSource(self.parts, title=self.title, index=index,
                                  report=self.report)
        return SequenceSource(self.parts, title=self.title, index=index,
                              first=cut.source.resumed(inside, away_frames),
                              first_at=cut.at - cut.offset, report=self.report)
