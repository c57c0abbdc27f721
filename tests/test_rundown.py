"""The rundown (SPEC §6) as a pure function of the items and a moment: the station's day
without waiting, and the promise that `queue` shows the order the station airs."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from broadcaster.model import Level
from broadcaster.schedule.rules import QuietHours
from broadcaster.schedule.rundown import (
    Cue,
    Expire,
    Item,
    Planned,
    Rundown,
    State,
    WakeAt,
    decide,
)

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
NIGHT = Rundown(QuietHours.parse(["21:30-05:00"]), HANOI)
DAY = Rundown(QuietHours(()), HANOI)
LEAD = 0.5


def at(hh: int, mm: int, ss: int = 0, day: int = 28) -> float:
    return datetime(2026, 11, day, hh, mm, ss, tzinfo=HANOI).timestamp()


def item(id_: int, level: Level = Level.NORMAL, due: float = 0.0, expires: float = 1e12,
         **kw: object) -> Item:
    return Item(id_, level, due or at(10, 0), expires, **kw)  # type: ignore[arg-type]  # test kwargs


def cued(actions: list[Cue | Expire | WakeAt]) -> list[tuple[int, float]]:
    return [(a.item.id, a.start) for a in actions if isinstance(a, Cue)]


def expired(actions: list[Cue | Expire | WakeAt]) -> list[tuple[int, str]]:
    return [(a.item.id, a.reason) for a in actions if isinstance(a, Expire)]


def wake(actions: list[Cue | Expire | WakeAt]) -> float | None:
    return next((a.moment for a in actions if isinstance(a, WakeAt)), None)


def test_a_slot_at_05_30_is_cued_its_lead_ahead_and_starts_on_the_dot() -> None:
    slot = item(1, due=at(5, 30), expires=at(6, 30))
    early = decide(DAY, [slot], at(5, 29, 59), LEAD)
    assert cued(early) == [] and wake(early) == at(5, 30) - LEAD
    assert cued(decide(DAY, [slot], at(5, 30) - 0.4, LEAD)) == [(1, at(5, 30))]


def test_priority_due_a_minute_after_a_normal_item_goes_first_when_both_wait() -> None:
    normal = item(1, due=at(10, 0))
    priority = item(2, Level.PRIORITY, due=at(10, 1))
    on_air = item(3, due=at(9, 0), state=State.ON_AIR)
    assert cued(decide(DAY, [normal, priority, on_air], at(10, 5), LEAD)) == []  # busy
    assert cued(decide(DAY, [normal, priority], at(10, 5), LEAD)) == [(2, at(10, 5))]
    plan = DAY.plan([normal, priority], at(10, 5))
    assert [p.item.id for p in plan] == [2, 1]
    # at 10:00:30 only the normal one is due: it goes, and the priority waits for its end
    assert cued(decide(DAY, [normal, priority], at(10, 0, 30), LEAD)) == [(1, at(10, 0, 30))]


def test_a_notice_behind_a_40_minute_relay_waits_and_airs_after_it() -> None:
    relay = item(1, due=at(6, 0), state=State.ON_AIR, duration_s=2400)
    notice = item(2, due=at(6, 5), expires=at(21, 30), duration_s=60)
    actions = decide(DAY, [relay, notice], at(6, 30), LEAD)
    assert cued(actions) == [] and expired(actions) == []  # waiting is not missing
    (planned,) = DAY.plan([notice], at(6, 30), busy_until=at(6, 40))
    assert planned == Planned(notice, at(6, 40))
    assert cued(decide(DAY, [notice], at(6, 40), LEAD)) == [(2, at(6, 40))]


def test_an_item_whose_expiry_passes_while_waiting_says_behind_what() -> None:
    relay = item(12, due=at(6, 0), state=State.ON_AIR)
    notice = item(2, due=at(6, 5), expires=at(6, 15))
    assert expired(decide(DAY, [relay, notice], at(6, 15, 1), LEAD)) == [
        (2, "expired while waiting behind #12")]


def test_an_emergency_is_cued_at_once_even_during_a_relay() -> None:
    relay = item(1, due=at(6, 0), state=State.ON_AIR, duration_s=2400)
    storm = item(2, Level.EMERGENCY, due=at(6, 10), expires=at(7, 10))
    assert cued(decide(NIGHT, [relay, storm], at(6, 10), LEAD)) == [(2, at(6, 10))]


def test_a_cut_item_resumes_before_waiting_priority_items() -> None:
    cut = item(1, due=at(6, 0), resumes=True)
    priority = item(2, Level.PRIORITY, due=at(6, 1))
    assert cued(decide(DAY, [priority, cut], at(6, 20), LEAD)) == [(1, at(6, 20))]
    in_player = item(1, due=at(6, 0), state=State.INTERRUPTED)
    assert cued(decide(DAY, [priority, in_player], at(6, 20), LEAD)) == []


def test_quiet_hours_hold_until_they_end_and_an_emergency_ignores_them() -> None:
    late = item(1, due=at(21, 20), expires=at(23, 59, 59, day=29))
    storm = item(2, Level.EMERGENCY, due=at(23, 0), expires=at(23, 59))
    actions = decide(NIGHT, [late, storm], at(23, 0), LEAD)
    assert cued(actions) == [(2, at(23, 0))]
    assert cued(decide(NIGHT, [late], at(23, 0), LEAD)) == []
    assert wake(decide(NIGHT, [late], at(23, 0), LEAD)) == at(5, 0, day=29) - LEAD
    assert cued(decide(NIGHT, [late], at(5, 0, day=29), LEAD)) == [(1, at(5, 0, day=29))]


def test_quiet_hours_that_outlast_the_expiry_say_so() -> None:
    held = item(1, due=at(21, 20), expires=at(21, 40))
    assert expired(decide(NIGHT, [held], at(21, 41), LEAD)) == [
        (1, "expired while quiet hours held it")]


def test_speech_not_ready_does_not_block_the_items_behind_it() -> None:
    unready = item(1, due=at(10, 0), ready=False)
    file = item(2, due=at(10, 1))
    assert cued(decide(DAY, [unready, file], at(10, 2), LEAD)) == [(2, at(10, 2))]
    assert expired(decide(DAY, [unready], at(23, 0), LEAD)) == []
    late = item(1, due=at(10, 0), expires=at(10, 30), ready=False)
    assert expired(decide(DAY, [late], at(10, 31), LEAD)) == [
        (1, "its speech was not ready by its expiry")]


def test_a_backward_clock_jump_only_delays_and_a_forward_jump_expires() -> None:
    notice = item(1, due=at(10, 0), expires=at(10, 10))
    back = decide(DAY, [notice], at(9, 0), LEAD)  # the clock went back an hour
    assert cued(back) == [] and expired(back) == [] and wake(back) == at(10, 0) - LEAD
    ahead = decide(DAY, [notice], at(12, 0), LEAD)  # NTP corrected it forward
    assert expired(ahead) == [(1, "expired before its turn came")]


def test_after_a_power_cut_what_was_on_air_goes_first_then_by_level() -> None:
    was_on_air = item(1, due=at(5, 30), resumes=True)
    missed = item(2, due=at(5, 40), expires=at(5, 50))
    priority = item(3, Level.PRIORITY, due=at(6, 0))
    back = at(6, 40)
    actions = decide(DAY, [was_on_air, missed, priority], back, LEAD)
    assert expired(actions) == [(2, "expired before its turn came")]
    assert cued(actions) == [(1, back)]
    assert [p.item.id for p in DAY.plan([was_on_air, priority], back)] == [1, 3]


# --- the promise: `queue` lists the order the station airs ------------------------------

def air_it_all(rundown: Rundown, items: list[Item], now: float) -> list[tuple[int, float]]:
    """Run the station's decisions forward, each item lasting its duration."""
    waiting, started = list(items), []
    moment = now
    for _ in range(10 * len(items) + 10):
        if not waiting:
            break
        actions = decide(rundown, waiting, moment, 0.0)
        for action in actions:
            if isinstance(action, Expire):
                waiting.remove(action.item)
        cues = [a for a in actions if isinstance(a, Cue)]
        if cues:
            cue = cues[0]
            waiting.remove(cue.item)
            started.append((cue.item.id, cue.start))
            moment = cue.start + (cue.item.duration_s or 0.0)
            continue
        wakes = [a.moment for a in actions if isinstance(a, WakeAt)]
        if not wakes:
            break
        soonest = min(wakes)  # a wake at this very moment: its expiry, passed just after
        moment = soonest if soonest > moment else moment + 0.001
    return started


LEVELS = st.sampled_from([Level.NORMAL, Level.NORMAL, Level.PRIORITY])


@st.composite
def queues(draw: st.DrawFn) -> list[Item]:
    count = draw(st.integers(1, 12))
    found = []
    for index in range(count):
        due = at(20, 0) + draw(st.integers(-3600, 3 * 3600))
        found.append(Item(index + 1, draw(LEVELS), float(due),
                          float(due + draw(st.integers(60, 4 * 3600))),
                          duration_s=float(draw(st.integers(5, 1800)))))
    return found


@settings(max_examples=300, deadline=None)
@given(queues(), st.sampled_from([DAY, NIGHT]))
def test_queue_order_is_the_order_the_station_airs(items: list[Item], rundown: Rundown) -> None:
    now = at(20, 0)
    plan = rundown.plan(items, now)
    promised = [(p.item.id, p.start) for p in plan if p.start is not None]
    aired = air_it_all(rundown, items, now)
    assert [i for i, _ in aired] == [i for i, _ in promised]
    for (_, started), (_, expected) in zip(aired, promised, strict=True):
        assert abs(started - expected) < 0.01 * len(items) + 0.01


def test_queue_shows_an_emergency_cutting_in_and_what_it_cut_resuming_after() -> None:
    storm = item(2, Level.EMERGENCY, due=at(6, 10), expires=at(7, 10), duration_s=30)
    notice = item(3, due=at(6, 5), duration_s=20)
    plan = DAY.plan([notice, storm], at(6, 10), busy_until=at(6, 20))
    assert plan == [Planned(storm, at(6, 10)), Planned(notice, at(6, 20, 30))]
