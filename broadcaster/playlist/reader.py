"""A playlist file (SPEC §5) read and checked as a whole: its keys, its slot, its items.

Every problem is found, not only the first, each as `file:line: message`; nothing is
changed anywhere while reading.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date, time
from pathlib import Path
from typing import TYPE_CHECKING

from broadcaster.i18n import _
from broadcaster.model import MAX_TITLE, Level, Playlist, PlaylistItem, Slot
from broadcaster.nearest import nearest_key
from broadcaster.playlist import messages as msg
from broadcaster.playlist import timing, values
from broadcaster.playlist.items import ITEM_KEYS, ItemContext, read_item
from broadcaster.playlist.problems import (
    Findings,
    PlaylistError,
    Problem,
    Refusal,
    unknown_key,
)
from broadcaster.playlist.yaml_text import (
    compose,
    entries,
    found,
    is_empty,
    is_mapping,
    is_sequence,
    line_of,
)

if TYPE_CHECKING:
    from yaml.nodes import MappingNode, Node

TOP_KEYS = ("title", "slot", "level", "valid_from", "valid_until", "zones", "items")
SLOT_KEYS = ("days", "at", "until", "skip")
DEFAULT_MAX_TEXT_CHARS = 20_000


def load_playlist(path: Path, audio_dir: Path, *,
                  max_text_chars: int = DEFAULT_MAX_TEXT_CHARS,
                  zones: Collection[str] = ()) -> Playlist:
    """Read and check the playlist file at `path` (UTF-8); see parse_playlist.

    A missing, unreadable or non-UTF-8 file raises PlaylistError too."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise PlaylistError([Problem(path, 1, _(msg.MSG_NOT_FOUND))]) from None
    except IsADirectoryError:
        raise PlaylistError([Problem(path, 1, _(msg.MSG_IS_FOLDER))]) from None
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise PlaylistError([Problem(path, 1, _(msg.MSG_UNREADABLE).format(reason=reason))]) \
            from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise PlaylistError([Problem(path, line, _(msg.MSG_NOT_UTF8).format(
            byte=data[exc.start]))]) from None
    return parse_playlist(text, path, audio_dir, max_text_chars=max_text_chars, zones=zones)


def parse_playlist(text: str, source: Path, audio_dir: Path, *,
                   max_text_chars: int = DEFAULT_MAX_TEXT_CHARS,
                   provided: Mapping[str, Path] | None = None,
                   zones: Collection[str] = ()) -> Playlist:
    """The playlist in `text` (the content of the file `source`, named in messages as
    given). Files it names must be inside `audio_dir` (they are looked at, never changed);
    spoken texts are at most `max_text_chars` characters (the config's tts.max_chars).
    `provided` maps file names (as `normal_name` writes them) to where a push's
    files are kept: those are taken as named, not looked at. `zones` are the config's
    zone names (`config.zones`), the only ones its `zones:` may name (none when empty).

    Raises PlaylistError, whose str() is the first problem as one line
    `file:line: message` and whose `problems` are all of them."""
    try:
        root = compose(text)
    except Refusal as refusal:
        raise PlaylistError([Problem(source, refusal.line, refusal.message)]) from None
    if root is None or is_empty(root):
        raise PlaylistError([Problem(source, 1, _(msg.MSG_EMPTY_FILE))])
    if not is_mapping(root):
        raise PlaylistError([Problem(source, line_of(root),
                                     _(msg.MSG_NOT_A_MAPPING).format(found=found(root)))])
    return _read(root, source, ItemContext(audio_dir, max_text_chars, provided or {}), zones)


def check_playlists(paths: Sequence[Path], audio_dir: Path, *,
                    max_text_chars: int = DEFAULT_MAX_TEXT_CHARS,
                    zones: Collection[str] = ()) -> list[str]:
    """Every problem in every file, each as one line `file:line: message`, in the order
    of `paths` and then of lines; an empty list when all of them are good."""
    lines: list[str] = []
    for path in paths:
        try:
            load_playlist(path, audio_dir, max_text_chars=max_text_chars, zones=zones)
        except PlaylistError as error:
            lines.extend(str(problem) for problem in error.problems)
    return lines


def _read(root: MappingNode, source: Path, context: ItemContext,
          known_zones: Collection[str]) -> Playlist:
    findings = Findings()
    fields = entries(root, findings)
    explained = _unknown_keys(fields, TOP_KEYS, "", findings,
                              allowed_elsewhere=(*ITEM_KEYS, "skip"))
    if "skip" in fields:
        findings.note(line_of(fields["skip"][0]), _(msg.MSG_SKIP_AT_TOP))
    for key in sorted(fields.keys() & set(ITEM_KEYS)):
        findings.note(line_of(fields[key][0]), _(msg.MSG_ITEM_KEY_AT_TOP).format(key=key))
        explained.add("items")  # the items are there, only not under 'items:'

    title = _title(fields, line_of(root), explained, findings)
    slot = _slot(fields["slot"], findings) if "slot" in fields else None
    level = findings.attempt(values.level, fields["level"][1]) if "level" in fields \
        else Level.NORMAL
    if level is Level.EMERGENCY and "slot" in fields:
        findings.note(line_of(fields["level"][1]), _(msg.MSG_EMERGENCY_SLOT))
    valid_from = _date(fields, "valid_from", findings)
    valid_until = _date(fields, "valid_until", findings)
    if valid_from and valid_until and valid_until < valid_from:
        findings.note(line_of(fields["valid_until"][1]), _(msg.MSG_DATES_REVERSED).format(
            until=valid_until.isoformat(), start=valid_from.isoformat()))
    zones = findings.attempt(timing.zones, fields["zones"][1], known_zones) \
        if "zones" in fields else None
    items = _items(fields, line_of(root), explained, context, findings)
    if items is not None and ("slot" not in fields or slot is not None):
        timing.check_hard_starts(items, _at_lines(fields["items"][1]), slot, findings)
    if findings.refusals or title is None or level is None or items is None:
        raise findings.failure(source)
    return Playlist(title=title, items=items, level=level, slot=slot,
                    valid_from=valid_from, valid_until=valid_until, zones=zones)


def _at_lines(node: Node) -> list[int | None]:
    """The line of each item's `at` (None where it has none), for the hard-start checks."""
    lines: list[int | None] = []
    for item_node in node.value:
        fields = entries(item_node, Findings()) if is_mapping(item_node) else {}
        lines.append(line_of(fields["at"][1]) if "at" in fields else None)
    return lines


def _unknown_keys(fields: dict[str, tuple[Node, Node]], valid: Sequence[str], where: str,
                  findings: Findings, *, allowed_elsewhere: Sequence[str] = ()) -> set[str]:
    """Notes each key not in `valid` (nor in `allowed_elsewhere`, which has its own message)
    and returns the valid keys suggested instead: their absence is already explained."""
    suggested: set[str] = set()
    for key, (key_node, _value) in fields.items():
        if key not in valid and key not in allowed_elsewhere:
            findings.note(line_of(key_node), unknown_key(key, valid, where))
            suggested.add(nearest_key(key, valid) or "")
    return suggested


def _title(fields: dict[str, tuple[Node, Node]], root_line: int, explained: set[str],
           findings: Findings) -> str | None:
    if "title" not in fields:
        if "title" not in explained:
            findings.note(root_line, _(msg.MSG_MISSING_TITLE))
        return None
    key_node, node = fields["title"]
    title = findings.attempt(values.text, node, _(msg.LABEL_TOP).format(key="title"))
    if title == "":
        findings.note(line_of(key_node), _(msg.MSG_EMPTY_TITLE))
    elif title is not None and (len(title) > MAX_TITLE or len(title.splitlines()) > 1):
        lines = len(title.splitlines())
        findings.note(line_of(key_node), _(msg.MSG_BAD_TITLE).format(
            most=MAX_TITLE, length=len(title),
            lines=_(msg.TITLE_LINES).format(count=lines) if lines > 1 else ""))
        return None
    return title or None


def _date(fields: dict[str, tuple[Node, Node]], key: str, findings: Findings) -> date | None:
    if key not in fields:
        return None
    return findings.attempt(values.calendar_date, fields[key][1], _(msg.LABEL_TOP).format(key=key))


def _slot(field: tuple[Node, Node], findings: Findings) -> Slot | None:
    """The slot, which ends on the day it starts: operators' slots never cross midnight,
    and refusing one that seems to is clearer than guessing it means the next day."""
    key_node, node = field
    if not is_mapping(node):
        findings.note(line_of(key_node if is_empty(node) else node), _(msg.MSG_SLOT_NOT_A_MAPPING))
        return None
    before = len(findings.refusals)
    fields = entries(node, findings)
    explained = _unknown_keys(fields, SLOT_KEYS, _(msg.WHERE_SLOT), findings)
    days = findings.attempt(values.days, fields["days"][1]) if "days" in fields \
        else values.SlotDays(values.DAY_GROUPS["daily"])
    skip = findings.attempt(values.skip, fields["skip"][1]) if "skip" in fields \
        else (False, ())
    at: time | None = None
    if "at" in fields:
        at = findings.attempt(values.time_of_day, fields["at"][1],
                              _(msg.LABEL_SLOT).format(key="at"))
    elif "at" not in explained:
        findings.note(line_of(key_node), _(msg.MSG_MISSING_AT))
    until: time | None = None
    if "until" in fields:
        until_node = fields["until"][1]
        until = findings.attempt(values.time_of_day, until_node,
                                 _(msg.LABEL_SLOT).format(key="until"))
        if at is not None and until is not None and until <= at:
            findings.note(line_of(until_node), _(msg.MSG_UNTIL_NOT_AFTER).format(
                until=until.strftime("%H:%M"), at=at.strftime("%H:%M")))
    if len(findings.refusals) != before or days is None or at is None or skip is None:
        return None
    return Slot(days=days.weekdays, at=at, until=until, dates=days.dates,
                lunar_days=days.lunar_days, skip_holidays=skip[0], skip_dates=skip[1])


def _items(fields: dict[str, tuple[Node, Node]], root_line: int, explained: set[str],
           context: ItemContext, findings: Findings) -> tuple[PlaylistItem, ...] | None:
    if "items" not in fields:
        if "items" not in explained:
            findings.note(root_line, _(msg.MSG_MISSING_ITEMS))
        return None
    key_node, node = fields["items"]
    if is_empty(node) or (is_sequence(node) and not node.value):
        findings.note(line_of(key_node), _(msg.MSG_EMPTY_ITEMS))
        return None
    if not is_sequence(node):
        findings.note(line_of(node), _(msg.MSG_ITEMS_NOT_A_LIST))
        return None
    items = [read_item(number, item_node, context, findings)
             for number, item_node in enumerate(node.value, start=1)]
    if any(item is None for item in items):
        return None
    return tuple(item for item in items if item is not None)
