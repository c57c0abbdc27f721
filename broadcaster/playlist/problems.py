"""What is wrong with a playlist file: each problem on one line, `file:line: message`."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ParamSpec, TypeVar

from broadcaster.i18n import _
from broadcaster.model import OperatorError
from broadcaster.nearest import did_you_mean

P = ParamSpec("P")
T = TypeVar("T")

# Everything str.splitlines() would break a line at, so a message stays one line.
_LINE_BREAKS = re.compile(r"[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")
_SHOW_AT_MOST = 60


def show(value: str) -> str:
    """An operator's value fit to quote inside a one-line message: one line, not too long."""
    flat = " ".join(_LINE_BREAKS.sub(" ", value).split())
    return flat if len(flat) <= _SHOW_AT_MOST else flat[:_SHOW_AT_MOST - 1] + "…"


@dataclass(frozen=True)
class Problem:
    source: Path  # the playlist file, as the operator named it
    line: int  # 1-based
    message: str

    def __str__(self) -> str:
        return _LINE_BREAKS.sub(" ", f"{self.source}:{self.line}: {self.message}")


class PlaylistError(OperatorError):
    """A refused playlist. str() is the first problem in the file, one line
    `file:line: message`; `problems` holds all of them, in file order."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        if not problems:
            raise ValueError("a PlaylistError needs at least one problem")
        self.problems = tuple(sorted(problems, key=lambda problem: problem.line))
        super().__init__(str(self.problems[0]))


class Refusal(Exception):
    """One problem found while reading one part of a playlist (the file is added later)."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


class Findings:
    """The problems found in one file so far; checking goes on after each one."""

    def __init__(self) -> None:
        self.refusals: list[Refusal] = []

    def attempt(self, check: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T | None:
        """check(*args, **kwargs), or None once its Refusal is noted."""
        try:
            return check(*args, **kwargs)
        except Refusal as refusal:
            self.refusals.append(refusal)
            return None

    def note(self, line: int, message: str) -> None:
        self.refusals.append(Refusal(line, message))

    def failure(self, source: Path) -> PlaylistError:
        """The error to raise for the problems noted in the file `source`."""
        return PlaylistError([Problem(source, refusal.line, refusal.message)
                              for refusal in self.refusals])


def unknown_key(key: str, valid: Sequence[str], where: str = "") -> str:
    """The message for an unknown key: the nearest valid key, else the valid keys."""
    from broadcaster.playlist import messages as msg

    return _(msg.MSG_UNKNOWN_KEY).format(key=show(key), where=where, hint=did_you_mean(key, valid))
