"""The abbreviation dictionary: what UBND, TP., km... are read as, and how context decides.

The shipped dictionary is `data/abbreviations.toml` (its header documents the format); a
station overlays it with its own file of the same format next to its config. Unknown
capitals are spelled with the Vietnamese names of the letters (`spell`).
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from broadcaster.i18n import N_, Phrase, _
from broadcaster.speech.tone_marks import canonical

SHIPPED_FILE = Path(__file__).parent / "data" / "abbreviations.toml"

LETTER_NAMES = {
    "A": "a", "Ă": "á", "Â": "ớ", "B": "bê", "C": "xê", "D": "đê", "Đ": "đê", "E": "e",
    "Ê": "ê", "F": "ép", "G": "gờ", "H": "hát", "I": "i", "J": "gi", "K": "ca", "L": "e lờ",
    "M": "em mờ", "N": "en nờ", "O": "o", "Ô": "ô", "Ơ": "ơ", "P": "pê", "Q": "qui",
    "R": "e rờ", "S": "ét", "T": "tê", "U": "u", "Ư": "ư", "V": "vê", "W": "đắp lờ vê",
    "X": "ích", "Y": "i dài", "Z": "dét",
}

_SECTIONS = ("abbreviations", "units", "boats")
_ENTRY_FIELDS = ("read", "when")
_CONDITIONS = ("before", "after", "after_name", "in_code")
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


class AbbreviationFileError(ValueError):
    """An abbreviation file that cannot be used; str() is one line: 'file:line: message'."""

    def __init__(self, file: Path | str, line: int, message: str) -> None:
        self.file = str(file)
        self.line = line
        self.message = " ".join(message.split())
        super().__init__(f"{self.file}:{line}: {self.message}")


@dataclass(frozen=True)
class ContextRule:
    """Read as `read` when every condition given holds (None: not a condition)."""

    read: str
    before: re.Pattern[str] | None = None
    after: re.Pattern[str] | None = None
    after_name: bool | None = None
    in_code: bool | None = None
    written: str = ""  # the conditions as the dictionary writes them, for --explain

    def holds(self, before: str, after: str, in_code: bool) -> bool:
        return ((self.in_code is None or self.in_code == in_code)
                and (self.before is None or self.before.search(before) is not None)
                and (self.after is None or self.after.match(after) is not None)
                and (self.after_name is None or self.after_name == _starts_name(after)))


@dataclass(frozen=True)
class Entry:
    read: str
    rules: tuple[ContextRule, ...] = ()


class Abbreviations:
    """The merged dictionary, immutable once loaded: abbreviation and unit readings."""

    def __init__(self, entries: Mapping[str, Entry], units: Mapping[str, str],
                 boats: Mapping[str, str] | None = None) -> None:
        self._entries = MappingProxyType(dict(entries))
        self._units = MappingProxyType(dict(units))
        self._boats = MappingProxyType(dict(boats or {}))
        # Keys with signs other than - and & ("TP.", "HIV/AIDS") are found as written, not as words.
        self._marked = MappingProxyType({key.lower(): key for key in entries
                                         if any(not ch.isalnum() and ch not in "-&" for ch in key)})
        # Longest first, so a regex alternation prefers "km/h" to "km" and "TP.HCM" to "TP.".
        self.unit_names = tuple(sorted(units, key=len, reverse=True))
        self.marked_names = tuple(sorted(self._marked.values(), key=len, reverse=True))

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def read(self, key: str, *, before: str = "", after: str = "", in_code: bool = False
             ) -> str | None:
        """The reading of `key` between the texts `before` and `after`, or None.

        Keys match in exact case, except those with a dot or slash ("Tp." finds "TP.").
        """
        found = self.explained(key, before=before, after=after, in_code=in_code)
        return found[0] if found else None

    def explained(self, key: str, *, before: str = "", after: str = "", in_code: bool = False
                  ) -> tuple[str, str] | None:
        """(reading, which entry and rule gave it) as `read` finds it, or None."""
        name = key if key in self._entries else self._marked.get(key.lower(), "")
        entry = self._entries.get(name)
        if entry is None:
            return None
        rule = next((rule for rule in entry.rules if rule.holds(before, after, in_code)), None)
        if rule is None:
            return entry.read, Phrase(N_("dictionary: {name}"), name=name)
        return rule.read, Phrase(N_("dictionary: {name}, when {rule}"), name=name,
                                 rule=rule.written)

    def unit(self, name: str) -> str | None:
        """The reading of a unit written right after a number ("km" → "ki lô mét"), or None."""
        return self._units.get(name)

    @functools.cached_property
    def syllables(self) -> frozenset[str]:
        """Every word the readings use: real Vietnamese syllables, for splitting glued words."""
        readings = [entry.read for entry in self._entries.values()]
        readings += [rule.read for entry in self._entries.values() for rule in entry.rules]
        readings += [*self._units.values(), *self._boats.values()]
        return frozenset(word for reading in readings for word in reading.split())

    def boat_province(self, letters: str) -> str | None:
        """The province of a fishing boat's registration letters ("QNa" → "quảng nam")."""
        return self._boats.get(letters)

    def overlaid(self, entries: Mapping[str, Entry], units: Mapping[str, str],
                 boats: Mapping[str, str] | None = None) -> Abbreviations:
        """A new dictionary: this one with `entries`/`units`/`boats` added or replacing ours."""
        return Abbreviations({**self._entries, **entries}, {**self._units, **units},
                             {**self._boats, **(boats or {})})


def spell(word: str) -> str:
    """Letter by letter with Vietnamese letter names: "XYZ" → "ích i dài dét"."""
    return " ".join(LETTER_NAMES.get(ch, ch.lower()) for ch in word.upper() if ch.isalpha())


def load_abbreviations(station_file: Path | None = None) -> Abbreviations:
    """Shipped dictionary, overlaid by the station's file (same format) when it exists.

    A malformed station file raises AbbreviationFileError (a ValueError) whose str() is one
    line: '<file>:<line>: <what is wrong and what to do>'. The shipped part is loaded once.
    """
    if station_file is None or not station_file.exists():
        return _shipped()
    try:
        data = station_file.read_bytes()
    except OSError as exc:
        raise AbbreviationFileError(station_file, 1, _(
            "cannot read the file ({reason}); check that it is readable by the broadcaster "
            "group").format(reason=exc.strerror)) from None
    try:
        text = data.decode("utf-8-sig")  # Notepad may start it with a byte-order mark
    except UnicodeDecodeError as exc:
        line = exc.object[:exc.start].count(b"\n") + 1  # the object: after any mark
        raise AbbreviationFileError(station_file, line, _("not UTF-8 text; save the file as "
                                                          "UTF-8")) from None
    return _shipped().overlaid(*_parse(text, station_file))


@functools.cache
def _shipped() -> Abbreviations:
    return Abbreviations(*_parse(SHIPPED_FILE.read_text(encoding="utf-8"), SHIPPED_FILE))


def _starts_name(text: str) -> bool:
    """Whether the next word is a name or a number: "Tân Phong", "5" (not "đã", "y tế")."""
    word = text.lstrip(" .:")
    return bool(word) and (word[0].isupper() or word[0].isdigit())


@dataclass(frozen=True)
class _Source:
    """A file being parsed; finds the line of a mistake only when there is one."""

    file: Path
    text: str

    def error(self, message: str, *near: str) -> AbbreviationFileError:
        """The error at the line where `near[0]` is written, then `near[1]` after it..."""
        line = 1
        for written in near:
            line = _line_of(self.text, written, line)
        return AbbreviationFileError(self.file, line, message)


def _parse(text: str, file: Path
           ) -> tuple[dict[str, Entry], dict[str, str], dict[str, str]]:
    source = _Source(file, text)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"\(at line (\d+), column \d+\)", str(exc))
        line = int(found.group(1)) if found else 1
        reason = str(exc).replace(found.group(0), "").strip() if found else str(exc)
        hint = _toml_hint(text, line)
        raise AbbreviationFileError(file, line, _("not valid TOML ({reason}); {hint}").format(
            reason=reason, hint=hint)) from None
    for section in data:
        if section not in _SECTIONS:
            raise source.error(_("unknown section [{section}]; the sections are "
                                 "[abbreviations], [units] and [boats]").format(
                                     section=section), section)
    entries: dict[str, Entry] = {}
    for key, value in _section(data, "abbreviations", source).items():
        _check_key(key, source)
        entries[canonical(key)] = _entry(key, value, source)
    units: dict[str, str] = {}
    for key, value in _section(data, "units", source).items():
        _check_key(key, source)
        if key[0].isdigit():
            raise source.error(_("unit '{key}' starts with a digit; a unit is what follows "
                                 "the number, e.g. km").format(key=key), key)
        units[canonical(key)] = _reading(key, value, source)
    boats: dict[str, str] = {}
    for key, value in _section(data, "boats", source).items():
        _check_key(key, source)
        boats[canonical(key)] = _reading(key, value, source)
    return entries, units, boats


def _toml_hint(text: str, line: int) -> str:
    lines = text.splitlines()
    key = lines[line - 1].split("=", 1)[0].strip() if 0 < line <= len(lines) else ""
    if key and key[0] not in "\"'[#" and not _BARE_KEY.fullmatch(key):
        return _('put the key in quotes: "{key}" = "..."').format(key=key)
    return _('each entry is one line: "KEY" = "reading", the reading in double quotes')


def _section(data: dict[str, Any], name: str, source: _Source) -> dict[str, Any]:
    table = data.get(name, {})
    if not isinstance(table, dict):
        raise source.error(_("'{name}' must be a section: write [{name}] on a line of its "
                             "own, entries below it").format(name=name), name)
    return table


def _check_key(key: str, source: _Source) -> None:
    if not key or any(ch.isspace() for ch in key):
        raise source.error(_("'{key}' has spaces; an abbreviation is one word as written in "
                             "notices, e.g. UBND or TP.").format(key=key), key)
    if all(ch.isdigit() for ch in key):
        raise source.error(_("'{key}' is a number; numbers are read without the "
                             "dictionary").format(key=key), key)


def _entry(key: str, value: object, source: _Source) -> Entry:
    if not isinstance(value, dict):
        return Entry(_reading(key, value, source))
    for field in value:
        if field not in _ENTRY_FIELDS:
            raise source.error(_("unknown field '{field}' for '{key}'; an entry has read = "
                                 "\"...\" and when = [...]").format(field=field, key=key),
                               key, field)
    if "read" not in value:
        raise source.error(_("'{key}' has no default reading; add read = \"...\" under "
                             "it").format(key=key), key)
    rules = value.get("when", [])
    if not isinstance(rules, list) or not all(isinstance(rule, dict) for rule in rules):
        raise source.error(_("'when' of '{key}' must be a list of rules: "
                             "when = [{{ after = '...', read = \"...\" }}]").format(key=key),
                           key, "when")
    return Entry(_reading(key, value["read"], source),
                 tuple(_rule(key, rule, source) for rule in rules))


def _rule(key: str, rule: dict[str, Any], source: _Source) -> ContextRule:
    for field in rule:
        if field not in (*_CONDITIONS, "read"):
            raise source.error(_("unknown condition '{field}' in a rule of '{key}'; the "
                                 "conditions are before, after, after_name, "
                                 "in_code").format(field=field, key=key), key, field)
    if "read" not in rule or not any(field in rule for field in _CONDITIONS):
        written = next((str(value) for value in rule.values() if isinstance(value, str)), "{")
        raise source.error(_("a rule of '{key}' needs read = \"...\" and at least one of "
                             "before, after, after_name, in_code").format(key=key),
                           key, "when", written)
    for flag in ("after_name", "in_code"):
        if flag in rule and not isinstance(rule[flag], bool):
            raise source.error(_("{flag} in a rule of '{key}' must be true or false, "
                                 "without quotes").format(flag=flag, key=key), key, flag)
    patterns: dict[str, re.Pattern[str] | None] = {"before": None, "after": None}
    for side, template in (("before", r"(?:{})[\s.,:;-]*$"), ("after", r"[\s.:]*(?:{})")):
        if side not in rule:
            continue
        written = rule[side]
        if not isinstance(written, str):
            raise source.error(_("{side} in a rule of '{key}' must be a regular expression "
                                 "in quotes").format(side=side, key=key), key, side)
        try:
            patterns[side] = re.compile(template.format(canonical(written)), re.IGNORECASE)
        except re.error as exc:
            raise source.error(_("{side} = '{written}' of '{key}' is not a valid regular "
                                 "expression ({reason}); put a backslash before signs such as "
                                 ". ( )").format(side=side, written=written, key=key,
                                                 reason=exc), key, written) from None
    written = ", ".join(f"{field} = {_shortened(rule[field])!r}" for field in _CONDITIONS
                        if field in rule)
    return ContextRule(_reading(key, rule["read"], source), patterns["before"],
                       patterns["after"], rule.get("after_name"), rule.get("in_code"), written)


def _shortened(condition: object, limit: int = 40) -> object:
    """A long regex of a rule cut for --explain: 'y tế|văn hóa|...'."""
    text = str(condition)
    return condition if len(text) <= limit else text[:limit].rsplit("|", 1)[0] + "|…"


def _reading(key: str, value: object, source: _Source) -> str:
    if not isinstance(value, str):
        raise source.error(_("the reading of '{key}' must be text in double quotes: "
                             "\"{key}\" = \"...\"").format(key=key), key)
    reading = " ".join(canonical(value).split())
    if not reading:
        raise source.error(_("the reading of '{key}' is empty; write how the announcer says "
                             "it").format(key=key), key)
    if any(ch in "0123456789" for ch in reading):
        raise source.error(_("the reading of '{key}' has digits; write numbers in words "
                             "(mười chín, not 19)").format(key=key), key)
    return reading


def _line_of(text: str, written: str, start: int = 1) -> int:
    """The line (1-based, from `start`) defining or else holding `written`; else `start`."""
    header = r"\s*(?:\[\s*(?:abbreviations|units)\.)?"  # [abbreviations."TT"] or TT =
    definition = re.compile(rf"""{header}(["']?){re.escape(written)}\1\s*[=\]]""")
    lines = text.splitlines()[start - 1:]
    for number, line in enumerate(lines, start):
        if definition.match(line):
            return number
    return next((number for number, line in enumerate(lines, start) if written in line), start)
