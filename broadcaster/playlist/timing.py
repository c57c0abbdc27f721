"""Time inside a slot and where a playlist airs: an item's hard start (`at: "06:00"`),
how an item yields to it (`fit: wait`), and the playlist's `zones:` (SPEC §5).

An item's own keys are read with the item; what needs the whole playlist (hard starts in
order, inside the slot, none in a one-off) is checked once every item is read.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import time
from typing import TYPE_CHECKING

from broadcaster.i18n import _
from broadcaster.model import Fit, PlaylistItem, Slot
from broadcaster.playlist import messages as msg
from broadcaster.playlist import values
from broadcaster.playlist.problems import Findings, Refusal, show
from broadcaster.playlist.yaml_text import is_empty, is_sequence, line_of, scalar

if TYPE_CHECKING:
    from yaml.nodes import Node

TIMING_KEYS = ("at", "fit")
FITS = tuple(fit.value for fit in Fit)
FITTING_KINDS = ("say", "file")  # what may wait: a notice, a recording (not a relay's time)


def timed(item: PlaylistItem, number: int, kind: str, fields: dict[str, Node]) -> PlaylistItem:
    """`item` with its `at` and `fit` as written under it (Refusal when either is bad)."""
    label = _(msg.LABEL_ITEM).format(n=number, key="at")
    at = values.time_of_day(fields["at"], label) if "at" in fields else None
    fit = Fit.CUT
    if "fit" in fields:
        node = fields["fit"]
        if kind not in FITTING_KINDS:
            raise Refusal(line_of(node), _(msg.MSG_FIT_ELSEWHERE).format(n=number, kind=kind))
        fit = _fit(node, _(msg.LABEL_ITEM).format(n=number, key="fit"))
    return replace(item, at=at, fit=fit) if at is not None or fit is not Fit.CUT else item


def _fit(node: Node, label: str) -> Fit:
    from broadcaster.nearest import nearest_key

    value = scalar(node, label).strip()
    if value.lower() in FITS:
        return Fit(value.lower())
    suggestion = nearest_key(value.lower(), FITS)
    hint = "" if suggestion is None else _(msg.HINT_DID_YOU_MEAN).format(suggestion=suggestion)
    raise Refusal(line_of(node), _(msg.MSG_BAD_FIT).format(label=label, value=show(value),
                                                          hint=hint))


def check_hard_starts(items: Sequence[PlaylistItem], lines: Sequence[int | None],
                      slot: Slot | None, findings: Findings) -> None:
    """Notes each hard start that cannot be kept: in a one-off (no slot), before the slot
    starts, not before its `until`, or not after the hard start above it. `lines[i]` is
    the line of item i's `at` (None: it has none)."""
    earlier: tuple[int, time] | None = None
    for number, (item, line) in enumerate(zip(items, lines, strict=True), start=1):
        if item.at is None or line is None:
            continue
        label = _(msg.LABEL_ITEM).format(n=number, key="at")
        at = _hhmm(item.at)
        if slot is None:
            findings.note(line, _(msg.MSG_AT_ONE_OFF).format(label=label, at=at))
            continue
        if item.at < slot.at:
            findings.note(line, _(msg.MSG_AT_BEFORE_SLOT).format(label=label, at=at,
                                                                 start=_hhmm(slot.at)))
        elif slot.until is not None and item.at >= slot.until:
            findings.note(line, _(msg.MSG_AT_NOT_BEFORE_UNTIL).format(
                label=label, at=at, until=_hhmm(slot.until)))
        elif earlier is not None and item.at <= earlier[1]:
            findings.note(line, _(msg.MSG_AT_OUT_OF_ORDER).format(
                label=label, at=at, earlier=_hhmm(earlier[1]), n=earlier[0]))
        earlier = (number, item.at)


def zones(node: Node, known: Collection[str]) -> tuple[str, ...]:
    """The zone names of a playlist's `zones:` (one name or a list), each one of `known`
    (the config's [zones]); Refusal on the first unknown one, at its line."""
    from broadcaster.nearest import MSG_DID_YOU_MEAN, nearest_key

    parts = node.value if is_sequence(node) else [] if is_empty(node) else [node]
    names: list[str] = []
    for part in parts:
        name = scalar(part, _(msg.LABEL_TOP).format(key="zones")).strip()
        if name not in known:
            suggestion = nearest_key(name, sorted(known))
            raise Refusal(line_of(part), _(msg.MSG_UNKNOWN_ZONE).format(
                name=show(name),
                hint="" if suggestion is None else _(MSG_DID_YOU_MEAN).format(
                    suggestion=suggestion),
                names=", ".join(known) if known else _(msg.NO_ZONES)))
        if name not in names:
            names.append(name)
    if not names:
        raise Refusal(line_of(node), _(msg.MSG_NO_ZONES_LISTED))
    return tuple(names)


def _hhmm(moment: time) -> str:
    return moment.strftime("%H:%M")
