"""What the player reports while it airs: the raw material of the as-run log and `status`."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from broadcaster.model import Level, Outcome


class EventKind(enum.StrEnum):
    STARTED = "started"  # first block of the item handed to the device
    RESUMED = "resumed"  # first block after an emergency interrupted it
    INTERRUPTED = "interrupted"  # faded out for an emergency (or the player closing)
    ENDED = "ended"  # off air for good; `outcome` says how
    FAILED = "failed"  # could not be aired (or a part of it failed); `detail` says why
    DEAD_AIR = "dead-air"  # silence on air inside an item that should not be silent
    STREAM_LOST = "stream-lost"  # a relay lost its stream; the fallback fills in
    GAP = "gap"  # a relay's stream is back (or the relay ended): `gap_s` were filled
    DEVICE_ERROR = "device-error"  # the sound device cannot be opened or written


@dataclass(frozen=True)
class AirEvent:
    """One thing that happened on air.

    `at` is the player's clock (time.monotonic by default, in seconds) when it
    happened; `position_s` is how far into the item, in seconds of audio.
    """

    kind: EventKind
    item_id: str
    title: str
    level: Level
    at: float
    position_s: float = 0.0
    outcome: Outcome | None = None
    detail: str = ""
    gap_s: float | None = None
    # with INTERRUPTED: where it resumes, (part index, frame inside it), for a restart
    resume: tuple[int, int] | None = None


@dataclass(frozen=True)
class NowPlaying:
    """What is on air, for `status`."""

    item_id: str
    title: str
    kind: str  # file, program, relay, pause
    level: Level
    position_s: float
    duration_s: float | None
    since: float  # the player's clock when this stretch of air began
