"""A slot's `until` (SPEC §5, §6): the cut is asked for when the station's clock reaches
it, from a thread that waits on nothing but that clock (schedule.hard_ends).

The decisions run on a hand-set clock, in milliseconds; one test starts the thread.
"""

from __future__ import annotations

import threading

import pytest

from broadcaster.schedule.hard_ends import POLL_S, RETRY_S, HardEnds, due

UNTIL = 1_800_000_000.0  # 06:30 on some day, as epoch seconds


class Clock:
    """The station's clock, set by hand."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Player:
    """What `HardEnds` asks of the player: `stop(id, CUT)`; True when it held the item."""

    def __init__(self, holds: bool = True) -> None:
        self.holds = holds
        self.cuts: list[str] = []
        self.asked = threading.Event()

    def stop(self, item_id: str) -> bool:
        self.cuts.append(item_id)
        self.asked.set()
        return self.holds


def test_due_names_the_ends_come_and_the_next_to_come() -> None:
    ends = {"1": UNTIL, "2": UNTIL + 60, "3": UNTIL - 1}
    assert due(ends, UNTIL) == (["1", "3"], UNTIL + 60)
    assert due(ends, UNTIL + 60) == (["1", "2", "3"], None)
    assert due({}, UNTIL) == ([], None)


def test_the_cut_is_asked_for_when_the_clock_reaches_until_and_again_till_it_ended() -> None:
    clock, player = Clock(UNTIL - 0.1), Player()
    ends = HardEnds(clock, player.stop)
    ends.arm("7", UNTIL)
    assert ends.tick() == pytest.approx(0.1)  # sleeps until then, not a poll longer
    assert player.cuts == []
    clock.now = UNTIL
    assert ends.tick() == POLL_S
    assert player.cuts == ["7"]
    clock.now += POLL_S  # still armed: its ENDED event has not come (a lost request, say)
    ends.tick()
    ends.disarm("7")
    ends.tick()
    assert player.cuts == ["7", "7"]


def test_a_far_end_is_looked_at_every_poll_so_a_clock_set_forward_cuts_at_once() -> None:
    clock, player = Clock(UNTIL - 3600), Player()
    ends = HardEnds(clock, player.stop)
    ends.arm("7", UNTIL)
    assert ends.tick() == POLL_S
    clock.now = UNTIL + 31.7  # NTP stepped the clock past the slot's end
    ends.tick()
    assert player.cuts == ["7"]


def test_a_clock_set_back_does_not_cut_early() -> None:
    clock, player = Clock(UNTIL - 0.01), Player()
    ends = HardEnds(clock, player.stop)
    ends.arm("7", UNTIL)
    ends.tick()
    clock.now = UNTIL - 600  # set back ten minutes: the slot ends ten minutes later
    ends.tick()
    assert player.cuts == []


def test_a_cut_the_player_cannot_take_yet_is_asked_again_soon() -> None:
    clock, player = Clock(UNTIL), Player(holds=False)  # opening the device, say
    ends = HardEnds(clock, player.stop)
    ends.arm("7", UNTIL)
    assert ends.tick() == RETRY_S
    player.holds = True
    assert ends.tick() == POLL_S
    assert player.cuts == ["7", "7"]


def test_an_item_that_ended_is_not_cut() -> None:
    clock, player = Clock(UNTIL - 1), Player(holds=False)
    ends = HardEnds(clock, player.stop)
    ends.arm("7", UNTIL)
    ends.arm("8", UNTIL)
    ends.disarm("7")  # it ended before its slot did
    clock.now = UNTIL
    ends.tick()
    ends.disarm("8")  # it ended as the cut was asked for: its ENDED event was on its way
    ends.tick()
    assert player.cuts == ["8"]


def test_the_thread_cuts_while_the_station_thread_is_busy() -> None:
    clock, player = Clock(UNTIL - 1), Player()
    ends = HardEnds(clock, player.stop)
    ends.start()
    try:
        ends.arm("7", UNTIL)
        clock.now = UNTIL
        ends.arm("8", UNTIL + 60)  # a look now, not after the poll
        assert player.asked.wait(timeout=5)
    finally:
        ends.close()
    assert set(player.cuts) == {"7"}



def test_with_nothing_armed_the_thread_sleeps_until_something_is() -> None:
    clock, player = Clock(UNTIL), Player()
    ends = HardEnds(clock, player.stop)
    assert ends.tick() is None  # an idle station: no wake-ups four times a second
    ends.arm("7", UNTIL + 5)
    assert ends.tick() == POLL_S
    ends.disarm("7")
    assert ends.tick() is None
