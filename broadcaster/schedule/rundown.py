"""The rundown: the one air order of SPEC §6, and what the station does next.

Whenever the station is free it starts, among the items already due, the first by
level (emergency, priority, normal), then due time, then the order queued. Only an
emergency and the operator's live microphone cut the item on air: an emergency cuts
anything else (live too), live anything but an emergency, and goes right after the
emergencies (a live session an emergency cut resumes first). An item cut by either (or by
a stop of the daemon) resumes right after them. Played forward over the items' known
durations, the same rule gives each waiting item its expected start: that is what
`queue`, `status` and the console show, and `decide` is what the station carries out.
Nothing here reads a clock, touches a device or the database: times are epoch seconds
passed in.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

from broadcaster.i18n import N_, _
from broadcaster.model import Level
from broadcaster.schedule.rules import QuietHours

_RANK = {Level.EMERGENCY: 0, Level.PRIORITY: 3, Level.NORMAL: 4}
LIVE_RANK = 1  # the operator's microphone: below an emergency, above everything else
RESUMING_RANK = 2  # after emergencies and live, before waiting priority items: it was on air
UNKNOWN_DURATION_S = 60.0  # assumed for the forward plan when an item's length is unknown


class State(enum.StrEnum):
    """Where an item is in the rundown."""

    WAITING = "waiting"  # not started: not due yet, held by quiet hours, or behind others
    CUED = "cued"  # handed to the player, which starts it on the dot
    ON_AIR = "on_air"
    INTERRUPTED = "interrupted"  # cut (emergency, live, daemon stopped); resumes next


@dataclass(frozen=True)
class Item:
    """What the rundown needs to know of one item. Times are epoch seconds."""

    id: int
    level: Level
    due: float
    expires: float
    state: State = State.WAITING
    duration_s: float | None = None  # known once its audio is (rendered speech, files)
    ready: bool = True  # its speech is rendered; a notice without it waits (or an emergency
    # starts on its attention chime)
    resumes: bool = False  # it was on air when the daemon stopped: it goes first again
    live: bool = False  # the operator's microphone: cuts in like an emergency, below it

    @property
    def cuts_in(self) -> bool:
        """It cuts the item on air (an emergency cuts live too, live never an emergency)."""
        return self.live or self.level is Level.EMERGENCY


@dataclass(frozen=True)
class Planned:
    """An item in air order with its expected start; `start` None: it will not start
    before its expiry at this rate (it would be missed)."""

    item: Item
    start: float | None


@dataclass(frozen=True)
class Rundown:
    """The air order under a station's quiet hours, in its time zone."""

    quiet: QuietHours
    zone: tzinfo

    def free_from(self, item: Item, moment: float) -> float:
        """The first moment at or after `moment` (and its due time) it may start."""
        start = max(moment, item.due)
        if item.level is Level.EMERGENCY or not self.quiet.spans:
            return start
        when = datetime.fromtimestamp(start, self.zone)
        return self.quiet.end_after(when).timestamp()

    def key(self, item: Item) -> tuple[int, float, int]:
        resuming = item.resumes or item.state is State.INTERRUPTED
        if item.live:
            rank = LIVE_RANK
        elif resuming and item.level is not Level.EMERGENCY:
            rank = RESUMING_RANK
        else:
            rank = _RANK[item.level]
        return rank, item.due, item.id

    def first(self, items: Iterable[Item], moment: float) -> tuple[Item, float] | None:
        """The item to start next when the station is free at `moment`, and when: the
        first by key among those free then, else the earliest to become free."""
        best: tuple[float, tuple[int, float, int], Item] | None = None
        for item in items:
            start = max(self.free_from(item, moment), moment)
            candidate = (start, self.key(item), item)
            if best is None or candidate[:2] < best[:2]:
                best = candidate
        if best is None:
            return None
        return best[2], best[0]

    def plan(self, items: Sequence[Item], now: float, busy_until: float | None = None,
             ) -> list[Planned]:
        """Every item not yet on air, in the order the station will start them, with its
        expected start: the rule of `first` played forward from `busy_until` (the end of
        what is on air) over the known durations. Unready speech is assumed ready."""
        moment = max(now, busy_until or now)
        left = [item for item in items if item.state in (State.WAITING, State.INTERRUPTED)]
        cued = [item for item in items if item.state is State.CUED]
        plan = []
        # an emergency (or live) due before what is on air ends cuts into it; that resumes
        # after them
        cut_in = sorted((item for item in left if item.cuts_in and item.due < moment),
                        key=self.key)
        at = now
        for item in cut_in:
            left.remove(item)
            start = max(at, item.due)
            plan.append(Planned(item, start))
            at = start + (item.duration_s or UNKNOWN_DURATION_S)
            moment += item.duration_s or UNKNOWN_DURATION_S
        plan += [Planned(item, max(item.due, moment)) for item in cued]
        for item in cued:
            moment = max(item.due, moment) + (item.duration_s or UNKNOWN_DURATION_S)
        while left:
            found = self.first(left, moment)
            if found is None:
                break
            item, start = found
            left.remove(item)
            if start > item.expires and item.state is not State.INTERRUPTED:
                plan.append(Planned(item, None))
                continue
            plan.append(Planned(item, start))
            moment = start + (item.duration_s or UNKNOWN_DURATION_S)
        return plan


# --- what the station does next ---------------------------------------------------------

@dataclass(frozen=True)
class Cue:
    """Hand `item` to the player to start at `start` (an emergency cuts in)."""

    item: Item
    start: float


@dataclass(frozen=True)
class Expire:
    """`item` can no longer start: log it missed (or failed, when its speech never came)."""

    item: Item
    reason: str


@dataclass(frozen=True)
class WakeAt:
    """Nothing more to do before `moment` (unless something changes)."""

    moment: float


Action = Cue | Expire | WakeAt

MSG_EXPIRED_BEHIND = N_("expired while waiting behind #{id}")
MSG_EXPIRED_QUIET = N_("expired while quiet hours held it")
MSG_EXPIRED_WAITING = N_("expired before its turn came")
MSG_EXPIRED_UNREADY = N_("its speech was not ready by its expiry")


def decide(rundown: Rundown, items: Sequence[Item], now: float, lead_s: float,
           ) -> list[Action]:
    """What to do at `now` (SPEC §6), given every item the station holds with its state.
    Items whose expiry passed before they could start expire; an emergency or a live
    session that is due is cued at once (the player cuts in: live below an emergency,
    after it when one is on air); otherwise, when the player is free (nothing
    cued, on air or cut and waiting to resume in it), the first ready item is cued once
    its start is within `lead_s` (the player opens the device and warms the amplifier
    up, then starts it on the dot). Unready speech keeps its place while the items
    behind it go first."""
    actions: list[Action] = []
    waiting: list[Item] = []
    on_air = next((item.id for item in items if item.state is State.ON_AIR), None)
    busy = any(item.state is not State.WAITING for item in items)
    for item in items:
        if item.state is not State.WAITING:
            continue
        if now > item.expires:
            actions.append(Expire(item, _why_expired(rundown, item, on_air)))
        else:
            waiting.append(item)
    wake = [item.expires for item in waiting]
    for item in waiting:
        if item.cuts_in:
            if item.due - lead_s <= now:
                actions.append(Cue(item, max(item.due, now)))  # its chime may lead its speech
            else:
                wake.append(item.due - lead_s)
    if not busy:
        candidates = [item for item in waiting if item.ready and not item.cuts_in]
        found = rundown.first(candidates, now)
        if found is not None:
            item, start = found
            if start - lead_s <= now:
                actions.append(Cue(item, start))
            else:
                wake.append(start - lead_s)
    if wake:
        actions.append(WakeAt(min(wake)))
    return actions


def _why_expired(rundown: Rundown, item: Item, on_air: int | None) -> str:
    if on_air is not None:
        return _(MSG_EXPIRED_BEHIND).format(id=on_air)
    if not item.ready:
        return _(MSG_EXPIRED_UNREADY)
    if rundown.free_from(item, item.expires) > item.expires:
        return _(MSG_EXPIRED_QUIET)
    return _(MSG_EXPIRED_WAITING)
