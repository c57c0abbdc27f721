"""Tests wait on facts, not on the clock: poll a check until it holds, or fail naming
what was awaited (never a bare `sleep` before an action or an assertion)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

POLL_S = 0.01
T = TypeVar("T")


def wait_until(check: Callable[[], object], what: str, timeout: float = 10.0,
               every: float = POLL_S) -> None:
    """Call `check` every `every` seconds until it returns something truthy; raise
    AssertionError naming `what` after `timeout` seconds. Exceptions from `check` go
    through (a process that died says so at once)."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout:.0f} s for {what}")
        time.sleep(every)


def waited_for(check: Callable[[], T], what: str, timeout: float = 10.0) -> T:
    """`wait_until`, returning what `check` returned once it held."""
    found: list[T] = []

    def holds() -> bool:
        value = check()
        if value:
            found.append(value)
        return bool(value)

    wait_until(holds, what, timeout)
    return found[-1]
