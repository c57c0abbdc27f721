"""The station's clock set under the running daemon (SPEC §6: the clock can be wrong; a
Raspberry Pi's first NTP fix, a machine paused and set right): it says so in its log."""

from __future__ import annotations

from broadcaster.lifecycle import ClockSteps

BOOT = 1_800_000_000.0  # the wall clock when the daemon started (epoch seconds)


def test_a_clock_running_on_says_nothing() -> None:
    steps = ClockSteps()
    assert steps.seen(BOOT, 100.0) is None
    assert steps.seen(BOOT + 0.25, 100.25) is None
    assert steps.seen(BOOT + 60.9, 160.0) is None  # a look late or a clock slewed: not set


def test_a_clock_set_forward_or_back_is_told_once() -> None:
    steps = ClockSteps()
    steps.seen(BOOT, 100.0)
    assert steps.seen(BOOT + 32.0, 100.3) == (
        "the station's clock was set +31.7 s (by NTP, or the machine was paused); slots, "
        "expiries and the as-run log follow the new time")
    assert steps.seen(BOOT + 32.25, 100.55) is None
    told = steps.seen(BOOT - 567.5, 100.8)
    assert told is not None and told.startswith("the station's clock was set -600.0 s")
