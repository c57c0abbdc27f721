"""The operator's language: Vietnamese by default, English on request (SPEC §3, §4).

Messages are written in English in the code and marked `N_("...")` where they are
defined; they are translated where they are shown, `_(MSG_X).format(...)`. The catalog
is `broadcaster/locale/vi/LC_MESSAGES/broadcaster.po`, kept with Babel (`scripts/i18n
extract|update|compile`) and compiled to `.mo` when the package is installed; a
message without its translation shows in English (and a test fails).

The language is `[station] language` ("vi" or "en"); `BROADCASTER_LANG=en` switches it
for one command. The system's LANG does not: most boxes run an English locale.

A message is looked up in the compiled catalog where it lies (`_Catalog`), not through
gettext's reader, which decodes all ~1,000 messages first: ~4 ms of every command, a
sixth of Python's own start.
"""

from __future__ import annotations

import bisect
import functools
import gettext
import os
import struct
from pathlib import Path

LANGUAGES = ("vi", "en")
DEFAULT = "vi"
ENV_VAR = "BROADCASTER_LANG"
DOMAIN = "broadcaster"
LOCALE_DIR = Path(__file__).parent / "locale"

_chosen: list[str] = []  # the language set for this process, if any


def N_(message: str) -> str:
    """Mark `message` for the catalog; it is translated where it is shown, by `_`."""
    return message


def _(message: str) -> str:
    """`message` in the operator's language (English when the catalog lacks it); a Phrase
    is translated with its fields."""
    if isinstance(message, Phrase):
        return message.shown()
    if not message:  # gettext("") is the catalog's header
        return message
    return _catalog(language()).gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    return _translations(language()).ngettext(singular, plural, count)


class Phrase(str):
    """Text that is data in English (JSON, CSV, a key a program compares) and that a person
    reads in their language: `str(phrase)` is the English, `_(phrase)` the translation (a
    field that is a Phrase is translated too). `message` is marked N_ where it is defined."""

    message: str
    fields: dict[str, object]

    def __new__(cls, message: str, **fields: object) -> Phrase:
        phrase = super().__new__(cls, message.format(**fields) if fields else message)
        phrase.message, phrase.fields = message, fields
        return phrase

    def shown(self) -> str:
        if not self.fields:
            return _(self.message)
        return _(self.message).format(**{name: _(value) if isinstance(value, Phrase) else value
                                         for name, value in self.fields.items()})


def joined(separator: str, parts: list[str]) -> Phrase:
    """`parts` joined by `separator` (no braces in it): English as a str, each part
    translated when shown."""
    return Phrase(separator.join(f"{{part{at}}}" for at in range(len(parts))),
                  **{f"part{at}": part for at, part in enumerate(parts)})


def language() -> str:
    """The language of this process: $BROADCASTER_LANG, else the one set from the config,
    else Vietnamese."""
    wanted = os.environ.get(ENV_VAR, "").strip().lower()[:2]
    if wanted in LANGUAGES:
        return wanted
    return _chosen[-1] if _chosen else DEFAULT


def set_language(code: str) -> None:
    """Speak `code` ("vi" or "en") from now on (the config's `[station] language`)."""
    if code in LANGUAGES:
        _chosen[:] = [code]


def startup_language(argv: list[str]) -> str:
    """Set the language before a command runs (its help texts are built then): the
    environment, else `[station] language` of the config file the command will use
    (`--config` in `argv`, else where SPEC §3 looks), read without validating the rest."""
    import tomllib

    from broadcaster.config import find_config_file

    if os.environ.get(ENV_VAR, "").strip().lower()[:2] in LANGUAGES:
        return language()
    explicit = next((argv[at + 1] for at, arg in enumerate(argv[:-1]) if arg == "--config"),
                    next((arg.partition("=")[2] for arg in argv
                          if arg.startswith("--config=")), None))
    config_file = find_config_file(Path(explicit) if explicit else None)
    try:
        data = tomllib.loads(config_file.read_text(encoding="utf-8-sig")) if config_file else {}
    except (OSError, ValueError):
        return language()  # the command itself will say what is wrong with the file
    station = data.get("station", {})
    if isinstance(station, dict) and station.get("language") in LANGUAGES:
        set_language(station["language"])
    return language()


@functools.cache
def _translations(code: str) -> gettext.NullTranslations:
    if code == "en":
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[code], fallback=True)


class _Catalog:
    """A compiled catalog (GNU `.mo`, UTF-8, as Babel writes it: messages sorted by their
    English) whose messages are found by binary search and decoded one at a time."""

    def __init__(self, data: bytes) -> None:
        self._order = "<" if data[:4] == b"\xde\x12\x04\x95" else ">"
        self._count, self._originals, self._translations = struct.unpack_from(
            self._order + "3I", data, 8)
        self._data = data

    def _text(self, table: int, at: int) -> bytes:
        length, offset = struct.unpack_from(self._order + "2I", self._data, table + 8 * at)
        return self._data[offset:offset + length]

    def gettext(self, message: str) -> str:
        wanted = message.encode()
        at = bisect.bisect_left(range(self._count), wanted,
                                key=lambda index: self._text(self._originals, index))
        if at < self._count and self._text(self._originals, at) == wanted:
            return self._text(self._translations, at).decode()
        return message


@functools.cache
def _catalog(code: str) -> _Catalog | gettext.NullTranslations:
    try:
        return _Catalog((LOCALE_DIR / code / "LC_MESSAGES" / f"{DOMAIN}.mo").read_bytes())
    except OSError:  # English, or a catalog not compiled: the messages as written
        return gettext.NullTranslations()
