"""Codes written with letters, digits and signs, read the way an announcer says them.

Each kind is one named group of `CODE`; the rule that decides its reading is written
beside it, and `read_code` says it (with why, for `normalize --explain`):

- licence plate, 15A-123.45 / 29-B1 123.45 / 92A-1234: the province number as a number,
  the series letter(s) by name, then the serial in the groups written, digit by digit,
  the last pair as a short number (45 → bốn lăm): "mười lăm a, một hai ba, bốn lăm";
- fishing boat, QNa-90123-TS: the province from the dictionary's [boats], the number
  digit by digit, TS "thủy sản";
- influenza subtype, A/H5N1, H7N9: "a, hát năm en một" (N is "en" here, as doctors say it);
- road chainage, km 1234+500: "ki lô mét một nghìn ... cộng năm trăm";
- quarter, term or round with its year, quý III/2025, quý 3/2025: "quý ba năm hai nghìn ...".
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from broadcaster.i18n import N_, Phrase
from broadcaster.speech.numbers import DIGIT_NAMES, read_cardinal, read_digits, roman_value

if TYPE_CHECKING:
    from broadcaster.speech.abbreviations import Abbreviations

_PLATE = (r"(?<![\w.,/-])[0-9]{2}(?:[A-ZĐ]{1,2}[0-9]?|-[A-ZĐ][A-ZĐ0-9]?)[- .]?"
          r"(?:[0-9]{3}\.[0-9]{2}|[0-9]{4,5})(?![\w]|[.,][0-9])")
_BOAT = r"(?<![\w-])[A-ZĐ][A-Za-zĐđ]{0,2}-[0-9]{3,5}-TS(?![\w-])"
_FLU = r"(?<![\w/])(?:[AB]/)?H[0-9]{1,2}N[0-9]{1,2}(?![\w])"
_CHAINAGE = r"(?i:\bkm)\s?[0-9]{1,4}\s?\+\s?[0-9]{1,3}(?![\w])"
_PERIOD = (r"(?i:\b(?:quý|học kỳ|học kì|đợt|kỳ|kì))\s+(?:IV|I{1,3}|[1-4])\s*/\s*"
           r"(?:19|20)[0-9]{2}(?![0-9])")
CODE = (f"(?P<plate>{_PLATE})|(?P<boat>{_BOAT})|(?P<flu>{_FLU})|(?P<chainage>{_CHAINAGE})"
        f"|(?P<period>{_PERIOD})")
_KINDS = ("plate", "boat", "flu", "chainage", "period")
_UNITS_AFTER_TENS = {1: "mốt", 4: "tư", 5: "lăm"}


def read_code(match: re.Match[str], abbreviations: Abbreviations) -> tuple[str, str]:
    """(words, why) for a match of `CODE` (a match of a pattern that embeds it)."""
    kind = next(kind for kind in _KINDS if match.group(kind) is not None)
    code = match.group(kind)
    if kind == "plate":
        return _plate(code), N_("licence plate: province, series, serial in groups")
    if kind == "boat":
        return _boat(code, abbreviations)
    if kind == "flu":
        return _flu(code), N_("influenza subtype")
    if kind == "chainage":
        first, second = re.findall(r"[0-9]+", code)
        return (f"ki lô mét {read_cardinal(first)} cộng {read_cardinal(second)}",
                N_("road chainage: kilometre + metres"))
    word, number, year = _parts(r"(.+?)\s+([IV0-9]+)\s*/\s*([0-9]{4})", code)
    value = roman_value(number) or int(number)
    return (f"{word} {read_cardinal(str(value))} năm {read_cardinal(year)}",
            N_("quarter or term and its year: / read năm"))


def _parts(pattern: str, code: str) -> list[str]:
    """The groups of `pattern`, which the code's own regex guarantees to match."""
    found = re.fullmatch(pattern, code)
    if found is None:
        raise ValueError(f"{code!r} does not have the shape of its kind")
    return list(found.groups())


def short_pair(digits: str) -> str:
    """Two digits as said in a plate or a number read in pairs: 45 bốn lăm, 05 không năm."""
    tens, units = int(digits[0]), int(digits[1])
    if tens == 0:
        return f"không {DIGIT_NAMES[units]}"
    head = "mười" if tens == 1 else DIGIT_NAMES[tens]
    if units == 0:
        return head if tens == 1 else f"{head} mươi"
    after_tens = _UNITS_AFTER_TENS if tens > 1 else {5: "lăm"}
    return f"{head} {after_tens.get(units, DIGIT_NAMES[units])}"


def _plate(code: str) -> str:
    from broadcaster.speech.abbreviations import spell

    province, series, serial = _parts(
        r"([0-9]{2})-?([A-ZĐ][A-ZĐ0-9]*?)[- .]?([0-9]{3}\.[0-9]{2}|[0-9]{4,5})", code)
    letters = " ".join(spell(ch) if ch.isalpha() else DIGIT_NAMES[int(ch)] for ch in series)
    if "." in serial:
        groups = [read_digits(serial[:3]), short_pair(serial[4:])]
    elif len(serial) == 5:
        groups = [read_digits(serial[:3]), short_pair(serial[3:])]
    else:
        groups = [read_digits(serial)]
    return ", ".join([f"{read_cardinal(province)} {letters}", *groups])


def _boat(code: str, abbreviations: Abbreviations) -> tuple[str, str]:
    from broadcaster.speech.abbreviations import spell

    province, number, _ = code.split("-")
    place = abbreviations.boat_province(province)
    why: str = N_("fishing boat number: province, number digit by digit, TS thủy sản")
    if place is None:
        place = spell(province)
        why = Phrase(N_("fishing boat number: province, number digit by digit, TS thủy sản; "
                        "the province letters {province} are not in the dictionary "
                        "(spelled)"), province=province)
    return f"{place}, {read_digits(number)}, thủy sản", why


def _flu(code: str) -> str:
    from broadcaster.speech.abbreviations import spell

    lineage, _, subtype = code.rpartition("/")
    h, n = re.findall(r"[0-9]+", subtype)
    spoken = f"hát {read_cardinal(h)} en {read_cardinal(n)}"
    return f"{spell(lineage)}, {spoken}" if lineage else spoken
