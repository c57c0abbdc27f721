"""Playlist items → what the player airs: the one conversion (the daemon's; `air` plays
a file or a rendered notice through `source_for`, ringing the same `chime_file`).

An item (a queued notice, a file, a slot occurrence) airs as a `SequenceSource` of its
parts, each built only when its turn comes. Speech comes from the caller (`speech`):
the daemon hands over what its render worker made, `air --text` renders in-process.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from broadcaster.air.relay import RelaySource
from broadcaster.air.sequence import Part, PartReport, SequenceSource, Timing, no_report
from broadcaster.air.sources import FileSource, OutputFormat, PauseSource, ProgramSource, Source
from broadcaster.model import Chime, File, Pause, PlaylistItem, Relay, RenderedProgram, Say

if TYPE_CHECKING:
    from broadcaster.config import Config

# The speech of the `say:` at this index of the items; raises (one line) when it has none.
Speech = Callable[[int, Say], RenderedProgram]


def program_source(config: Config, items: tuple[PlaylistItem, ...], speech: Speech, *,
                   title: str = "", report: PartReport = no_report,
                   resume: tuple[int, int] | None = None, away_s: float = 0.0,
                   fmt: OutputFormat | None = None, timing: Timing | None = None,
                   ) -> SequenceSource:
    """The item's parts in order. `resume` (part index, frame inside it) starts it where
    a stop of the daemon cut it, `away_s` later: a notice from the start of the
    repetition that was cut, a file at that frame, a relay live. `timing` holds its hard
    starts and `fit: wait` parts (a slot's)."""
    parts = [part_for(config, item, index, speech, title)
             for index, item in enumerate(items)]
    if resume is None or resume == (0, 0):
        return SequenceSource(parts, title=title, report=report, timing=timing)
    index, frame = resume
    first = parts[index]()
    first.fmt = fmt or first.fmt  # resumed() measures frames at the output's rate
    away = int(away_s * first.fmt.sample_rate)
    # its position counts from the resumed part's start: the item's own start when that is
    # its first part; earlier parts' lengths are not known before they are opened
    return SequenceSource(parts, title=title, index=index, report=report,
                          first=first.resumed(frame, away), timing=timing)


def part_for(config: Config, item: PlaylistItem, index: int, speech: Speech,
             title: str = "") -> Part:
    """A builder of the source of one part (called when that part's turn comes)."""
    from broadcaster.speech.chime import chime_file

    match item:
        case Say():
            return lambda: ProgramSource(speech(index, item), title=title)
        case Chime(source):
            return lambda: FileSource(chime_file(config, source), title="chime")
        case File(path):
            return lambda: FileSource(Path(path))
        case Relay(url, duration_s):
            return lambda: RelaySource(url, duration_s, fallback=[chime_file(config)])
        case Pause(duration_s):
            return lambda: PauseSource(duration_s)
    raise TypeError(f"not a playlist item: {item!r}")


def source_for(what: Path | RenderedProgram | Source) -> Source:
    """The source that plays a file path, a rendered notice, or a source as it is."""
    if isinstance(what, Source):
        return what
    if isinstance(what, RenderedProgram):
        return ProgramSource(what)
    return FileSource(Path(what))
