"""What reaches the station thread: one small typed message per kind of news.

Any thread posts them (`Station.post`); only the station thread acts on them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from broadcaster.air.events import AirEvent
    from broadcaster.air.sequence import PartState


@dataclass(frozen=True)
class Look:
    """The database may have changed (the CLI poked)."""


@dataclass(frozen=True)
class Wake:
    """Decide again (a render ended, a timer fired)."""


@dataclass(frozen=True)
class Aired:
    event: AirEvent


@dataclass(frozen=True)
class PartDone:
    entry_id: int
    index: int
    state: PartState
    reason: str | None


@dataclass(frozen=True)
class FromUpstream:
    message: tuple[Any, ...]


@dataclass(frozen=True)
class PushToTalk:
    """The push-to-talk button was pressed (live starts) or let go (live ends)."""

    pressed: bool


Message = Look | Wake | Aired | PartDone | FromUpstream | PushToTalk
