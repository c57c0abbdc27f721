"""Plain typed data shared by every stage of the station: levels, outcomes, the operator error.

No I/O here: everything else imports this module, it imports nothing of ours.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path
from typing import Any


class OperatorError(Exception):
    """A refusal the operator can act on.

    Its str() is one line that says what is wrong and what to do; the CLI prints it
    as it is and exits 1. Raising it must leave the station unchanged. `on_a_form` is
    the same line for the web console, where the advice names the form's fields rather
    than the command's options (the line itself when they are the same).
    """

    def __init__(self, message: str = "", *, on_a_form: str | None = None) -> None:
        super().__init__(message)
        self.on_a_form = message if on_a_form is None else on_a_form


def one_line(exc: BaseException) -> str:
    """An exception told in one line: the first line of its message, or its class name
    when the message is empty (for the operator's terminal and the as-run log)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class Level(enum.StrEnum):
    """Bulletin levels of Circular 39/2020/TT-BTTTT (SPEC §1)."""

    NORMAL = "normal"
    PRIORITY = "priority"
    EMERGENCY = "emergency"


class Outcome(enum.StrEnum):
    """How an item ended, as the as-run log records it (SPEC §6)."""

    AIRED = "aired"  # every part aired (a relay that rejoined live counts)
    PARTIAL = "partial"  # some parts aired; each missing one has its reason
    CUT = "cut"
    INTERRUPTED = "interrupted"
    MISSED = "missed"
    FAILED = "failed"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class RenderedProgram:
    """A notice rendered to audio, ready for air: one WAV file at the output format.

    `restart_points` are the frame offsets where each repetition begins (its chime
    included); after an emergency, a notice restarts from the last point at or before
    the frame where it was cut (SPEC §6).
    """

    path: Path
    sample_rate: int
    channels: int
    frames: int
    restart_points: tuple[int, ...]
    engine: str
    silences: tuple[tuple[int, int], ...] = ()  # [start, end) frames silent on purpose (gaps)

    @property
    def duration_s(self) -> float:
        return self.frames / self.sample_rate

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, for the cache's sidecar file and the render worker's answer."""
        return {"path": str(self.path), "sample_rate": self.sample_rate,
                "channels": self.channels, "frames": self.frames,
                "restart_points": list(self.restart_points), "engine": self.engine,
                "silences": [list(span) for span in self.silences]}

    @classmethod
    def from_dict(cls, data: dict[str, Any], path: Path | None = None) -> RenderedProgram:
        return cls(path=path or Path(data["path"]), sample_rate=int(data["sample_rate"]),
                   channels=int(data["channels"]), frames=int(data["frames"]),
                   restart_points=tuple(data["restart_points"]), engine=str(data["engine"]),
                   silences=tuple((int(a), int(b)) for a, b in data.get("silences", ())))

    def silent_at(self, frame: int) -> bool:
        """Whether `frame` lies in a gap between repetitions (no dead-air alarm there)."""
        return any(start <= frame < end for start, end in self.silences)

    def restart_frame(self, cut_at: int) -> int:
        """Where to resume after being cut at frame `cut_at`."""
        return max((p for p in self.restart_points if p <= cut_at), default=0)


# --- Playlists (SPEC §5): what a slot or a one-off airs -------------------------------------

MAX_TITLE = 200  # a title is one line in `queue` and `log` (SPEC §8): say, play and playlists
# `say` with no --repeat, --gap: a notice read twice, 30 s apart (the emergency line too)
SAY_REPEAT = 2
SAY_GAP = "30s"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Fit(enum.StrEnum):
    """What an item does when it would still be on air at a hard start after it."""

    CUT = "cut"  # airs in its turn; the hard start fades it out (the default)
    WAIT = "wait"  # waits until after the hard-start item instead (a notice, a file)


@dataclass(frozen=True)
class Timed:
    """What every playlist item may say about time inside a slot: `at` is a hard start
    (station-local time on the slot's day: the item starts then, whatever is on air),
    `fit` how it yields to a later hard start. Keyword-only, so items match by content."""

    at: time | None = field(default=None, kw_only=True)
    fit: Fit = field(default=Fit.CUT, kw_only=True)


@dataclass(frozen=True)
class Chime(Timed):
    """The station chime ("default") or an audio file under audio_dir."""

    source: str


@dataclass(frozen=True)
class Say(Timed):
    """A spoken notice: operator text, read `repeat` times with `gap_s` between."""

    text: str
    repeat: int = 1
    gap_s: float = 0.0


@dataclass(frozen=True)
class File(Timed):
    """An audio file; `path` is absolute and inside audio_dir."""

    path: Path


@dataclass(frozen=True)
class Relay(Timed):
    """A live stream (VOV, the provincial station) aired for `duration_s`."""

    url: str
    duration_s: float


@dataclass(frozen=True)
class Pause(Timed):
    duration_s: float


PlaylistItem = Chime | Say | File | Relay | Pause


@dataclass(frozen=True)
class Slot:
    """When a slot playlist airs: from `at` until `until`, station local time, on the days
    `airs_on` says. `until` is a hard end: what still airs then is faded and logged cut.

    Its days are every one of `days` (names from WEEKDAYS), each of `dates`, and each day
    of a lunar month in `lunar_days` (1 is mùng 1, 15 rằm; of every lunar month, a leap
    one too), except Vietnam's public holidays (`skip_holidays`) and `skip_dates`.
    """

    days: tuple[str, ...]
    at: time
    until: time | None = None
    dates: tuple[date, ...] = ()
    lunar_days: tuple[int, ...] = ()
    skip_holidays: bool = False
    skip_dates: tuple[date, ...] = ()

    def airs_on(self, day: date) -> bool:
        """Whether the slot airs on `day` (a station-local date): the one decision every
        reader of slot days calls. Pure; the calendar is computed, never fetched."""
        return self.planned_on(day) and not self.skipped_on(day)

    def planned_on(self, day: date) -> bool:
        """Whether `day` is one of its days, before what it skips."""
        if WEEKDAYS[day.weekday()] in self.days or day in self.dates:
            return True
        if not self.lunar_days:
            return False
        from broadcaster.schedule.vietnam_calendar import lunar_day  # a leaf: no cycle

        lunar = lunar_day(day)
        return lunar is not None and lunar.day in self.lunar_days

    def skipped_on(self, day: date) -> bool:
        """Whether it skips `day`: one of its skip dates, or a holiday it skips."""
        if day in self.skip_dates:
            return True
        if not self.skip_holidays:
            return False
        from broadcaster.schedule.vietnam_calendar import is_holiday  # a leaf: no cycle

        return is_holiday(day)


@dataclass(frozen=True)
class Playlist:
    title: str
    items: tuple[PlaylistItem, ...]
    level: Level = Level.NORMAL
    slot: Slot | None = None  # None: a one-off, queued when applied
    valid_from: date | None = None
    valid_until: date | None = None
    zones: tuple[str, ...] | None = None  # the loudspeaker zones it airs to; None: all
