"""Numbers in Vietnamese words: cardinals, digit strings, decimals, ordinals, Roman numerals.

The readings follow the way announcers read them: 21 hai mươi mốt, 15 mười lăm,
24 hai mươi tư, 105 một trăm linh năm, 1005 một nghìn không trăm linh năm,
2026 hai nghìn không trăm hai mươi sáu, 10^18 một tỷ tỷ.
"""

from __future__ import annotations

import re

DIGIT_NAMES = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
ZERO_TENS = "linh"  # the Northern "linh" of 105; the South says "lẻ"
THOUSAND = "nghìn"  # the South says "ngàn"
DECIMAL_POINT = "phẩy"  # 3,5 → ba phẩy năm (a Vietnamese decimal comma)
MAX_CARDINAL_DIGITS = 21  # up to "trăm nghìn tỷ tỷ"; longer strings are read digit by digit
MAX_FRACTION_DIGITS = 3  # 3,125 → ba phẩy một trăm hai mươi lăm; longer: digit by digit

_BILLION = 1_000_000_000
_UNITS_AFTER_TENS = {1: "mốt", 4: "tư", 5: "lăm"}  # 21 hai mươi mốt, 24 … tư, 25 … lăm
_ROMAN = re.compile(r"M{0,3}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})")
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}


def read_digits(digits: str) -> str:
    """Each ASCII digit by name: "0912" → "không chín một hai" (phone numbers, codes)."""
    return " ".join(DIGIT_NAMES[int(ch)] for ch in digits)


def read_cardinal(digits: str) -> str:
    """The number written by the ASCII digits `digits` (leading zeros ignored), in words."""
    significant = digits.lstrip("0")
    if not significant:
        return DIGIT_NAMES[0]
    if len(significant) > MAX_CARDINAL_DIGITS:
        return read_digits(digits)
    return " ".join(_words(int(significant), leading=True))


def read_decimal(whole: str, fraction: str) -> str:
    """A decimal number from its digit strings: ("12", "75") → "mười hai phẩy bảy mươi lăm"."""
    significant = fraction.lstrip("0")
    if len(significant) > MAX_FRACTION_DIGITS:
        spoken = read_digits(fraction)
    else:
        zeros = [DIGIT_NAMES[0]] * (len(fraction) - len(significant))
        spoken = " ".join(zeros + ([read_cardinal(significant)] if significant else []))
    return f"{read_cardinal(whole)} {DECIMAL_POINT} {spoken}"


def read_ordinal(digits: str) -> str:
    """The number after "thứ": 1 → nhất, 4 → tư, others as cardinals (thứ hai, thứ mười bốn)."""
    value = digits.lstrip("0")
    return {"1": "nhất", "4": "tư"}.get(value, read_cardinal(digits))


def roman_value(letters: str) -> int | None:
    """The value of a well-formed Roman numeral ("XIII" → 13), else None ("IIII", "MI"...)."""
    if not letters or not _ROMAN.fullmatch(letters):
        return None
    values = [_ROMAN_VALUES[ch] for ch in letters]
    return sum(-v if v < after else v for v, after in zip(values, [*values[1:], 0], strict=True))


def _words(number: int, *, leading: bool) -> list[str]:
    """Words of number > 0; `leading` when nothing is read before it, else zeros are voiced."""
    if number >= _BILLION:
        high, low = divmod(number, _BILLION)
        billions = [*_words(high, leading=leading), "tỷ"]
        return [*billions, *_words(low, leading=False)] if low else billions
    words: list[str] = []
    for scale, name in ((1_000_000, "triệu"), (1_000, THOUSAND), (1, "")):
        group = number // scale % 1000
        if group:
            words += _hundreds(group, voice_zeros=not leading or bool(words))
            if name:
                words.append(name)
    return words


def _hundreds(group: int, *, voice_zeros: bool) -> list[str]:
    """Words of 1..999; with voice_zeros, 5 is "không trăm linh năm" (as in 1005)."""
    hundreds, rest = divmod(group, 100)
    tens, units = divmod(rest, 10)
    words: list[str] = []
    if hundreds or voice_zeros:
        words += [DIGIT_NAMES[hundreds], "trăm"]
    if tens == 0:
        if units and words:
            words.append(ZERO_TENS)
        if units:
            words.append(DIGIT_NAMES[units])
    elif tens == 1:
        words.append("mười")
        if units:
            words.append("lăm" if units == 5 else DIGIT_NAMES[units])
    else:
        words += [DIGIT_NAMES[tens], "mươi"]
        if units:
            words.append(_UNITS_AFTER_TENS.get(units, DIGIT_NAMES[units]))
    return words
