"""One spelling for every Vietnamese word, so equal text reads, looks up and caches equally.

Text arrives composed (NFC) or decomposed (NFD), with full-width or compatibility
characters, and with the tone mark of "oa", "oe", "uy" on either vowel ("hoà"/"hòa",
"uỷ"/"ủy", "khoẻ"/"khỏe"), or misplaced after "qu"/"gi" ("qúy", "gìa"). `canonical`
folds all of these into one form: NFKC, with the tone mark where the official names
write it ("Ủy ban", "hòa", "thủy", "quý"), the style Unikey calls "kiểu cũ".
"""

from __future__ import annotations

import functools
import re
import unicodedata

TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")  # huyền, sắc, ngã, hỏi, nặng
_VOWEL_SHAPES = frozenset("\u0302\u0306\u031b")  # the marks of â ê ô, ă, ơ ư
_VOWELS = frozenset("aăâeêioôơuưy")
_SHAPED_VOWELS = frozenset("ăâêôơư")
_ONSETS = ("ngh", "ng", "nh", "ch", "gh", "gi", "kh", "ph", "qu", "th", "tr",
           "b", "c", "d", "đ", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "x")
_CODAS = frozenset(("", "c", "ch", "m", "n", "ng", "nh", "p", "t"))
_WORD = re.compile(r"[^\W\d_]+")


def canonical(text: str) -> str:
    """NFKC text with every Vietnamese tone mark in its one chosen place."""
    return _WORD.sub(lambda word: _place_tone(word.group()), unicodedata.normalize("NFKC", text))


@functools.lru_cache(maxsize=8192)
def is_syllable(word: str) -> bool:
    """Whether `word` (any case, any tone) has the shape of one Vietnamese syllable."""
    bare = "".join(ch for ch in unicodedata.normalize("NFD", word.lower()) if ch not in TONE_MARKS)
    return _split(unicodedata.normalize("NFC", bare)) is not None


def _split(syllable: str) -> tuple[str, str, str] | None:
    """(onset, vowels, final consonant) of a lower-case toneless syllable, or None."""
    onset = ""
    for candidate in _ONSETS:
        rest = syllable[len(candidate):]
        # "gi"/"qu" are onsets only before a vowel: gìn = g+in, quý = qu+y.
        if syllable.startswith(candidate) and (candidate not in ("gi", "qu")
                                               or rest[:1] in _VOWELS):
            onset = candidate
            break
    rest = syllable[len(onset):]
    vowels = rest[:len(rest) - len(rest.lstrip("aăâeêioôơuưy"))]
    coda = rest[len(vowels):]
    if not 1 <= len(vowels) <= 3 or coda not in _CODAS:
        return None
    return onset, vowels, coda


def tone_position(vowels: str, coda: str) -> int:
    """Index in `vowels` (a syllable's toneless vowel group) of the vowel that carries the
    tone mark in the official spelling, given the final consonant `coda` ("" for none)."""
    shaped = [i for i, ch in enumerate(vowels) if ch in _SHAPED_VOWELS]
    if shaped:
        return shaped[-1]  # ươ → ơ, uyê → ê, ưa → ư
    if coda:
        return len(vowels) - 1  # hoàn, huỳnh
    if len(vowels) == 3:
        return 1  # ngoài, khuỷu
    return 0  # hòa, thủy, khỏe, mùa, tài: the first vowel when nothing follows


@functools.lru_cache(maxsize=8192)
def _place_tone(word: str) -> str:
    if word.isascii():
        return word
    decomposed = unicodedata.normalize("NFD", word)
    tones = [ch for ch in decomposed if ch in TONE_MARKS]
    foreign = any(unicodedata.combining(ch) and ch not in TONE_MARKS | _VOWEL_SHAPES
                  for ch in decomposed)
    if len(tones) != 1 or foreign:
        return word
    bare = unicodedata.normalize("NFC", decomposed.replace(tones[0], ""))
    lower = bare.lower()
    parts = _split(lower) if len(lower) == len(bare) else None
    if parts is None:
        return word
    onset, vowels, coda = parts
    at = len(onset) + tone_position(vowels, coda)
    toned = unicodedata.normalize("NFC", bare[at] + tones[0])
    return bare[:at] + toned + bare[at + 1:]
