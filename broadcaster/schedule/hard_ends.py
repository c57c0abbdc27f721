"""A slot's `until` on time, whatever the station's thread is doing (SPEC §5, §6).

The station's thread owns the database, and a write there can wait: an SD card's
fsync, another process's transaction (up to the busy timeout). A hard end must not wait
behind it. `HardEnds` keeps the hard end of each item handed to the player and, from a
thread of its own that touches nothing but the clock and `cut` (the player's `stop`),
asks for the cut when the station's clock reaches it. The as-run line is then written
as for any end: from the player's event, stamped when the audio stopped.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping

POLL_S = 0.25  # the longest it sleeps: a clock set forward (NTP) is seen this late at most
RETRY_S = 0.05  # a cut the player could not take (it was opening the device) is asked again


def due(ends: Mapping[str, float], now: float) -> tuple[list[str], float | None]:
    """The items whose hard end has come at `now` (epoch seconds), and the earliest hard
    end still to come (None: none)."""
    come = [item for item, end in ends.items() if end <= now]
    later = [end for end in ends.values() if end > now]
    return come, min(later, default=None)


class HardEnds:
    """Cuts items at their hard end. `clock` is the station's (epoch seconds, the wall
    clock as the station reads it: a clock set back does not cut early). `cut(item_id)`
    is called from this object's thread once the end has come, and again until
    `disarm(item_id)`: every `POLL_S` (a request the player lost, made as an emergency's
    fade began, is made again), every `RETRY_S` while it returns False (the player did
    not hold the item: it was opening the device)."""

    def __init__(self, clock: Callable[[], float], cut: Callable[[str], bool]) -> None:
        self._clock = clock
        self._cut = cut
        self._ends: dict[str, float] = {}  # armed, until the station disarms them
        self._cond = threading.Condition()
        self._changed = False  # armed since the last look: look again before sleeping
        self._closed = False
        self._thread: threading.Thread | None = None

    def arm(self, item_id: str, end: float) -> None:
        """Cut `item_id` at `end` (epoch seconds); arming it again moves its end."""
        with self._cond:
            self._ends[item_id] = end
            self._changed = True
            self._cond.notify_all()

    def disarm(self, item_id: str) -> None:
        """It ended (or was let go): no cut for it from now on."""
        with self._cond:
            self._ends.pop(item_id, None)

    def tick(self) -> float | None:
        """Ask for every cut that has come; the seconds until the next look (None:
        nothing is armed, so nothing to look at until `arm`)."""
        with self._cond:
            self._changed = False
            ends = dict(self._ends)
        if not ends:
            return None  # an idle station's thread sleeps: no wake-ups for nothing
        come, next_end = due(ends, self._clock())
        wait = POLL_S
        for item_id in come:
            if not self._cut(item_id):
                wait = RETRY_S
        if next_end is not None:
            wait = min(wait, max(0.0, next_end - self._clock()))
        return wait

    def start(self) -> None:
        """Watch the hard ends from a thread until `close()`."""
        self._thread = threading.Thread(target=self._run, name="hard-ends", daemon=True)
        self._thread.start()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while True:
            wait = self.tick()
            with self._cond:
                if self._closed:
                    return
                if (wait is None or wait > 0) and not self._changed:
                    self._cond.wait(timeout=wait)
