"""What the reading form changed in a notice, and why: kept only while someone asks.

`broadcaster normalize --explain` (and the console) wrap `normalize` in `collecting()`;
every rule that rewrites the operator's text says so with `note(...)`. Outside
`collecting()` a note costs one context-variable lookup, so the normal path stays fast.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class Change:
    """One rewrite: `written` (as the operator wrote it) is read `reading` because `why`.

    `reading` is "" when the text is not read at all (a page number, a list marker).
    """

    written: str
    reading: str
    why: str


_collected: ContextVar[list[Change] | None] = ContextVar("reading_changes", default=None)


def note(written: str, reading: str, why: str) -> None:
    """Record a rewrite if someone is collecting them (see `collecting`)."""
    changes = _collected.get()
    if changes is not None:
        change = Change(" ".join(written.split()), " ".join(reading.split()), why)
        if change.written != change.reading and change not in changes[-8:]:
            changes.append(change)


@contextmanager
def collecting() -> Iterator[list[Change]]:
    """The changes noted while the block runs, in the order they were made."""
    changes: list[Change] = []
    token = _collected.set(changes)
    try:
        yield changes
    finally:
        _collected.reset(token)


def unique(changes: list[Change]) -> list[Change]:
    """Each change once, in first-seen order (a notice repeats its abbreviations)."""
    return list(dict.fromkeys(changes))
