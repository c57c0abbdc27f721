"""The items of a playlist: what airs, in order (chime, say, file, relay, pause)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from broadcaster.i18n import _
from broadcaster.model import Chime, File, Pause, PlaylistItem, Relay, Say
from broadcaster.playlist import messages as msg
from broadcaster.playlist import values
from broadcaster.playlist.audio_files import audio_file, normal_name
from broadcaster.playlist.problems import Findings, Refusal, show, unknown_key
from broadcaster.playlist.timing import TIMING_KEYS, timed
from broadcaster.playlist.yaml_text import entries, is_empty, is_mapping, line_of

if TYPE_CHECKING:
    from yaml.nodes import Node

KINDS = ("say", "file", "chime", "relay", "pause")
OPTIONS = {"repeat": "say", "gap": "say", "duration": "relay"}  # option → the kind it goes with
ITEM_KEYS = (*KINDS, *OPTIONS, *TIMING_KEYS)  # at, fit: any kind (fit checks its own)
DEFAULT_CHIME = "default"


@dataclass(frozen=True)
class ItemContext:
    audio_dir: Path
    max_text_chars: int
    # files a push brings (its name as the playlist writes it → where the station keeps it):
    # named by the signed push, looked at once they have arrived, not now
    provided: Mapping[str, Path] = field(default_factory=dict)

    def audio_file(self, value: str, *, label: str, line: int) -> Path:
        if self.provided:
            brought = self.provided.get(normal_name(value))
            if brought is not None:
                return brought
        return audio_file(value, self.audio_dir, label=label, line=line)


def read_item(number: int, node: Node, context: ItemContext,
              findings: Findings) -> PlaylistItem | None:
    """Item `number` (1-based), or None when its problems are noted in `findings`."""
    if not is_mapping(node):
        findings.note(line_of(node), _(msg.MSG_ITEM_NOT_A_MAPPING).format(n=number))
        return None
    before = len(findings.refusals)
    fields = entries(node, findings)
    for key, (key_node, _value) in fields.items():
        if key not in ITEM_KEYS:
            findings.note(line_of(key_node),
                          unknown_key(key, ITEM_KEYS, _(msg.WHERE_ITEM).format(n=number)))
    kinds = [key for key in fields if key in KINDS]
    if len(kinds) > 1:
        findings.note(line_of(fields[kinds[1]][0]), _(msg.MSG_ITEM_TWO_KINDS).format(
            n=number, first=kinds[0], second=kinds[1]))
        return None
    if not kinds:
        if len(findings.refusals) == before:  # an unknown key already says what is wrong
            findings.note(line_of(node), _(msg.MSG_ITEM_NO_KIND).format(n=number))
        return None
    kind = kinds[0]
    for key, (key_node, _value) in fields.items():
        if OPTIONS.get(key, kind) != kind:
            findings.note(line_of(key_node), _(msg.MSG_OPTION_ELSEWHERE).format(
                n=number, key=key, owner=OPTIONS[key], kind=kind))
    if len(findings.refusals) != before:
        return None
    values_by_key = {key: value for key, (_, value) in fields.items()}
    item = findings.attempt(_READERS[kind], number, values_by_key, fields[kind][0], context)
    if item is None:
        return None
    return findings.attempt(timed, item, number, kind, values_by_key)


def _label(number: int, key: str) -> str:
    return _(msg.LABEL_ITEM).format(n=number, key=key)


def _say(number: int, fields: dict[str, Node], key_node: Node, context: ItemContext) -> Say:
    label = _label(number, "say")
    node = fields["say"]
    text = values.text(node, label)
    if not text:
        raise Refusal(line_of(key_node), _(msg.MSG_EMPTY_SAY).format(label=label))
    if not any(character.isalpha() for character in text):
        raise Refusal(line_of(node), _(msg.MSG_NO_LETTERS).format(label=label, value=show(text)))
    if len(text) > context.max_text_chars:
        raise Refusal(line_of(node), _(msg.MSG_TEXT_TOO_LONG).format(
            label=label, length=len(text), limit=context.max_text_chars))
    repeat = values.repeat(fields["repeat"], _label(number, "repeat")) \
        if "repeat" in fields else 1
    gap_s = values.duration(fields["gap"], _label(number, "gap"), zero_allowed=True) \
        if "gap" in fields else 0.0
    return Say(text=text, repeat=repeat, gap_s=gap_s)


def _file(number: int, fields: dict[str, Node], key_node: Node, context: ItemContext) -> File:
    label = _label(number, "file")
    node = fields["file"]
    return File(context.audio_file(values.text(node, label), label=label, line=line_of(node)))


def _chime(number: int, fields: dict[str, Node], key_node: Node,
           context: ItemContext) -> Chime:
    label = _label(number, "chime")
    node = fields["chime"]
    if is_empty(node):
        raise Refusal(line_of(key_node), _(msg.MSG_EMPTY_CHIME).format(label=label))
    value = values.text(node, label)
    if value.lower() == DEFAULT_CHIME:
        return Chime(DEFAULT_CHIME)
    return Chime(str(context.audio_file(value, label=label, line=line_of(node))))


def _relay(number: int, fields: dict[str, Node], key_node: Node,
           context: ItemContext) -> Relay:
    label = _label(number, "relay")
    url = values.stream_url(fields["relay"], label)
    if "duration" not in fields:
        raise Refusal(line_of(key_node), _(msg.MSG_RELAY_NO_DURATION).format(label=label))
    return Relay(url=url, duration_s=values.duration(fields["duration"],
                                                     _label(number, "duration")))


def _pause(number: int, fields: dict[str, Node], key_node: Node,
           context: ItemContext) -> Pause:
    return Pause(values.duration(fields["pause"], _label(number, "pause")))


_READERS: dict[str, Callable[[int, dict[str, Node], Node, ItemContext], PlaylistItem]] = {
    "say": _say, "file": _file, "chime": _chime, "relay": _relay, "pause": _pause}
