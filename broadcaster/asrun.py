"""The as-run record of one item: its parts, its interruptions, and the verdict.

SPEC §6: the outcome is decided when the item ends, from what actually reached the
loudspeakers, part by part. `aired` only when every part aired; `partial` when some
content aired (each missing part with its reason); `failed` when nothing but the chime
(or nothing) aired. Plain data and pure functions: the station fills them in.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

from broadcaster.i18n import N_, _
from broadcaster.model import Outcome, PlaylistItem

MSG_PART_MISSING = N_("part {number} ({what}): {reason}")
MSG_NOT_REACHED = N_("not reached")
# why a part did not air whole: a hard start later in the slot came first (SPEC §5)
MSG_CUT_FOR_HARD_START = N_("cut at {at} for the hard start of part {number}; {lost} of "
                            "{length} not aired")
MSG_CUT_FOR_HARD_START_AFTER = N_("cut at {at} for the hard start of part {number}, after "
                                  "{aired} on air")
MSG_SKIPPED_FOR_HARD_START = N_("not aired: the hard start of part {number} at {at} came first")
MSG_MINUTES = N_("{minutes} min {seconds:02d} s")
MSG_SECONDS = N_("{seconds} s")
FRAMING = ("chime", "pause")  # parts that carry no message of their own
# A part's kind as a reason names it ("phần 2 (thông báo): ...").
PART_KINDS = {"chime": N_("chime"), "say": N_("say"), "file": N_("file"), "relay": N_("relay"),
              "pause": N_("pause")}


@dataclass(frozen=True)
class PartResult:
    """One part of an item on air (a chime, a notice, a file, a relay, a pause)."""

    number: int  # 1-based, as the operator counts them
    what: str  # chime, say, file, relay, pause
    aired: bool = False
    reason: str | None = None  # why it did not air (whole)
    source: str | None = None  # which file (its name) or stream; None for speech, a pause
    started_at: float | None = None  # a hard-start part: when its first frame went out (epoch)

    def to_dict(self) -> dict[str, Any]:
        fields = {"n": self.number, "what": self.what, "aired": self.aired,
                  "reason": self.reason}
        if self.source is not None:
            fields["source"] = self.source
        if self.started_at is not None:
            fields["started_at"] = self.started_at
        return fields


@dataclass(frozen=True)
class Interruption:
    cut_at: float | None  # when its audio stopped (None: unknown, the daemon was killed)
    why: str
    resumed_at: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"cut_at": self.cut_at, "why": self.why, "resumed_at": self.resumed_at}


@dataclass(frozen=True)
class Progress:
    """How far an item got, kept with it in the queue so a restart resumes it truthfully:
    its parts so far, its interruptions, and where to resume (part index, frame in it)."""

    parts: tuple[PartResult, ...] = ()
    interruptions: tuple[Interruption, ...] = ()
    resume_part: int = 0
    resume_frame: int = 0

    def to_json(self) -> str:
        return json.dumps({"parts": [p.to_dict() for p in self.parts],
                           "interruptions": [i.to_dict() for i in self.interruptions],
                           "resume_part": self.resume_part,
                           "resume_frame": self.resume_frame}, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str | None) -> Progress:
        if not text:
            return cls()
        data = json.loads(text)
        return cls(parts=tuple(part_from(p) for p in data.get("parts", ())),
                   interruptions=tuple(interruption_from(i) for i in data.get("interruptions", ())),
                   resume_part=int(data.get("resume_part", 0)),
                   resume_frame=int(data.get("resume_frame", 0)))


def part_from(data: dict[str, Any]) -> PartResult:
    return PartResult(int(data["n"]), str(data["what"]), bool(data["aired"]), data.get("reason"),
                      data.get("source"), data.get("started_at"))


def interruption_from(data: dict[str, Any]) -> Interruption:
    return Interruption(data.get("cut_at"), str(data["why"]), data.get("resumed_at"))


def what(item: PlaylistItem) -> str:
    """A part's kind, as the log names it."""
    return type(item).__name__.lower()


def source_of(item: PlaylistItem) -> str | None:
    """What a part airs, as the log names it: a file's name (a pushed or queued copy is
    named by its content's SHA-256), a chime's, a stream's address."""
    from pathlib import Path

    from broadcaster.model import Chime, File, Relay

    if isinstance(item, File):
        return item.path.name
    if isinstance(item, Chime):
        return Path(item.source).name
    if isinstance(item, Relay):
        return item.url
    return None


def blank_parts(items: tuple[PlaylistItem, ...]) -> tuple[PartResult, ...]:
    return tuple(PartResult(number, what(item), source=source_of(item))
                 for number, item in enumerate(items, 1))


def mark(parts: tuple[PartResult, ...], index: int, *, aired: bool,
         reason: str | None = None) -> tuple[PartResult, ...]:
    """`parts` with part `index` (0-based) aired, or not with `reason` (a part that
    aired once stays aired: a resumed file that ends counts)."""
    part = parts[index]
    if part.aired and not aired:
        return parts
    changed = replace(part, aired=aired, reason=None if aired else reason)
    return (*parts[:index], changed, *parts[index + 1:])


def verdict(parts: tuple[PartResult, ...]) -> tuple[Outcome, str | None]:
    """The outcome of an item that ran to its end (not cut, cancelled or missed)."""
    missing = [part for part in parts if not part.aired]
    reason = "; ".join(_(MSG_PART_MISSING).format(number=part.number,
                                                  what=_(PART_KINDS.get(part.what, part.what)),
                                                  reason=part.reason or _(MSG_NOT_REACHED))
                       for part in missing) or None
    if not missing:
        return Outcome.AIRED, None
    if any(part.aired and part.what not in FRAMING for part in parts):
        return Outcome.PARTIAL, reason
    return Outcome.FAILED, reason



def span(seconds: float) -> str:
    """A length as an as-run reason says it: "45 s", "3 min 05 s" (whole seconds)."""
    whole = max(0, round(seconds))
    if whole < 60:
        return _(MSG_SECONDS).format(seconds=whole)
    return _(MSG_MINUTES).format(minutes=whole // 60, seconds=whole % 60)


def cut_for_hard_start(at: str, number: int, aired_s: float, length_s: float | None) -> str:
    """Why a part was faded out at a hard start: what it lost, when its length is known."""
    if length_s is None or length_s <= aired_s:
        return _(MSG_CUT_FOR_HARD_START_AFTER).format(at=at, number=number, aired=span(aired_s))
    return _(MSG_CUT_FOR_HARD_START).format(at=at, number=number, lost=span(length_s - aired_s),
                                            length=span(length_s))


def skipped_for_hard_start(at: str, number: int) -> str:
    return _(MSG_SKIPPED_FOR_HARD_START).format(at=at, number=number)
