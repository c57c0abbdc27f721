"""When each item of a slot should start, played forward from known or estimated lengths
with the rules the sequence keeps on air (air/sequence.py): at a hard start the item on
air is cut, the ones still before it are skipped, a `fit: wait` one that would not end in
time goes after it; a slot that begins after its hard start airs in order. Pure.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from broadcaster.model import Fit, PlaylistItem

FADE_S = 0.2  # the fade that ends on a hard start: nothing starts closer to it than this


class Fate(enum.StrEnum):
    AIRS = "airs"
    CUT = "cut"  # on air at a hard start: `cut_s` of it are lost
    MOVED = "moved"  # fit: wait, it would not have ended in time: airs after the hard start
    SKIPPED = "skipped"  # its turn would come after the hard start's moment


@dataclass(frozen=True)
class PlannedPart:
    """Item `index` (0-based) of the playlist: when it starts (None: skipped), for how long,
    and what the hard start of item `by` (0-based) does to it, if anything."""

    index: int
    start: datetime | None
    length_s: float
    fate: Fate = Fate.AIRS
    cut_s: float = 0.0
    by: int | None = None


def plan(items: Sequence[PlaylistItem], lengths: Sequence[float],
         start: datetime) -> list[PlannedPart]:
    """The items in the order they will air from `start` (aware, the slot's start on its
    day), `lengths` in seconds by item; hard starts fall on `start`'s day."""
    hard = [(index, datetime.combine(start.date(), item.at, start.tzinfo))
            for index, item in enumerate(items) if item.at is not None]
    hard = [(index, moment) for index, moment in hard if moment > start]
    order = list(range(len(items)))
    moved: dict[int, int] = {}  # item → the hard-start item it goes after
    planned: list[PlannedPart] = []
    now = start
    while order:
        index = order.pop(0)
        length = lengths[index]
        if hard and index == hard[0][0]:
            now = max(now, hard.pop(0)[1])
        elif hard:
            by, moment = hard[0]
            if (moment - now).total_seconds() < FADE_S:
                planned.append(PlannedPart(index, None, length, Fate.SKIPPED, by=by))
                continue
            ends = now + timedelta(seconds=length)
            if items[index].fit is Fit.WAIT and ends > moment:
                place = order.index(by) + 1
                while place < len(order) and order[place] in moved and order[place] < index:
                    place += 1
                order.insert(place, index)
                moved[index] = by
                continue
            if ends > moment:
                planned.append(PlannedPart(index, now, length, Fate.CUT,
                                           (ends - moment).total_seconds(), by))
                now = moment
                continue
        fate = Fate.MOVED if index in moved else Fate.AIRS
        planned.append(PlannedPart(index, now, length, fate, by=moved.get(index)))
        now += timedelta(seconds=length)
    return planned
