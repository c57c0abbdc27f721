"""Words glued by PDF extraction, cut back into Vietnamese syllables: côngtác → công | tác.

A PDF often loses the space between two syllables ("Truyềnthanh", "xãtrong"). The cut is
found from Vietnamese spelling alone, with no word list: a syllable is an onset, a rhyme
and at most one tone mark, and only some of these fit together.

Onsets: b c ch d đ g gh gi h k kh l m n ng ngh nh p ph qu r s t th tr v x, or none.
Rhymes (toneless), a nucleus with the codas it takes ("-" for none):

    a   - c ch m n ng nh p t      ai ao au ay      oa  - c ch m n ng nh p t   oai oay oao
    ă   c m n ng p t                               oă  c m n ng t
    â   c m n ng p t              âu ây            uâ  n ng t                 uây
    e   - m n ng p t              eo               oe  - n t                  oeo
    ê   - ch m n nh p t           êu               uê  - ch n nh
    i   - ch m n nh p t           iu   ia -        uy  - ch nh t              uyu
    y   -                                          uya -   uyê n t   uơ -
    o   - c m n ng p t   oo c ng  oi
    ô   - c m n ng p t            ôi
    ơ   - m n p t                 ơi
    u   - c m n ng p t            ui   ua -        uô  c m n ng t   uôi
    ư   - c n ng t                ưi ưu  ưa -      ươ  c m n ng p t   ươi ươu
    iê  c m n ng p t   iêu   (after an onset)      yê  c m n ng p t   yêu   (no onset)

Onset and rhyme must fit: k, gh, ngh only before i e ê (k also before y); c, ng not before
i e ê y, g not before e ê y (g before i is gi: gì, giếng); gi not before i, y;
qu takes the rhymes of the right column without their glide (qua, quân, quyền, quỳnh)
and also qui, quốc; c, k, gh, ngh, gi, b, m, p, ph, v take no rhyme of the right column
(loans such as buýt, phuy, voan are left alone by the shape rule of `split_glued`).
Tones: at most one mark; a syllable ending in p, t, c, ch takes only sắc or nặng (so
"xãtrong" is xã | trong, never xãt | rong). Case: lower case, or one capital at the start.
"""

from __future__ import annotations

import functools
import unicodedata

from broadcaster.speech.tone_marks import TONE_MARKS, is_syllable, tone_position

ONSETS = ("", "b", "c", "ch", "d", "đ", "g", "gh", "gi", "h", "k", "kh", "l", "m", "n",
          "ng", "ngh", "nh", "p", "ph", "qu", "r", "s", "t", "th", "tr", "v", "x")
_SAC_NANG = frozenset("\u0301\u0323")
_STOPS = ("p", "t", "c", "ch")


def _rhymes(table: str) -> frozenset[str]:
    rhymes: set[str] = set()
    for row in table.strip().splitlines():
        nucleus, *codas = row.split()
        rhymes.update(nucleus + coda.strip("-") for coda in codas)
    return frozenset(rhymes)


_PLAIN = _rhymes("""
    a - c ch m n ng nh p t i o u y
    ă c m n ng p t
    â c m n ng p t u y
    e - m n ng p t o
    ê - ch m n nh p t u
    i - ch m n nh p t u a
    y -
    o - c m n ng p t i
    oo c ng
    ô - c m n ng p t i
    ơ - m n p t i
    u - c m n ng p t i a
    uô c m n ng t i
    ư - c n ng t i u a
    ươ c m n ng p t i u
    iê c m n ng p t u
    yê c m n ng p t u
""")
# Rhymes with the glide o/u before the nucleus (hoa, khoe, xuân, thuế, thuyền).
_GLIDED = _rhymes("""
    oa - c ch m n ng nh p t i y o
    oă c m n ng t
    uâ n ng t y
    oe - n t o
    uê - ch n nh
    uy - ch nh t u
    uya -
    uyê n t
    uơ -
""")
RHYMES = _PLAIN | _GLIDED
# After qu the glide is the u of qu: qua, quăn, que, quân, quê, quy, quơ, quyền.
_QU_RHYMES = frozenset({rhyme[1:] for rhyme in _GLIDED} | {"i", "ôc"})
_FRONT = frozenset("ieêy")


def _fits(onset: str, rhyme: str) -> bool:
    """Whether `onset` may stand before the toneless `rhyme` in Vietnamese spelling."""
    if onset == "qu":
        return rhyme in _QU_RHYMES
    if rhyme not in RHYMES:
        return False
    first = rhyme[0]
    if rhyme in _GLIDED:  # no glide after k/c (that is qu), gi, or the lips (b m p ph v)
        return onset not in ("c", "k", "gh", "ngh", "gi", "b", "m", "p", "ph", "v")
    if rhyme.startswith("yê"):
        return onset == ""  # yên, yêu; after an onset it is written iê
    if rhyme.startswith("iê"):
        return onset != ""
    if onset in ("k", "gh", "ngh"):
        return first in "ieê" or (onset == "k" and first == "y")
    if onset in ("c", "ng"):
        return first not in _FRONT
    if onset == "g":
        return first not in "eêy"
    if onset == "gi":
        return first not in "iy"
    return True


# Every toneless lower-case syllable, and whether it ends in a stop (p, t, c, ch).
_STOP_ENDING = {onset + rhyme: rhyme.endswith(_STOPS) for onset in ONSETS
                for rhyme in RHYMES | _QU_RHYMES if _fits(onset, rhyme)}
SYLLABLES = frozenset(_STOP_ENDING)
_BEGINNINGS = frozenset(syllable[:end] for syllable in SYLLABLES
                        for end in range(1, len(syllable) + 1))


def _letters() -> dict[str, tuple[str, str]]:
    """Every Vietnamese letter, any case and tone: (lower-case letter without tone, tone)."""
    letters: dict[str, tuple[str, str]] = {}
    for base in "abcdđeghiklmnopqrstuvxyăâêôơư":
        for letter in (base, base.upper()):
            letters[letter] = (base, "")
            if base in "aăâeêioôơuưy":
                for tone in TONE_MARKS:
                    letters[unicodedata.normalize("NFC", letter + tone)] = (base, tone)
    return letters


_LETTERS = _letters()


class _Spelling:
    """A word of Vietnamese letters taken apart once, so each of its pieces is checked fast."""

    def __init__(self, word: str) -> None:
        self.bare = "".join(_LETTERS[ch][0] for ch in word)
        self.tones = [_LETTERS[ch][1] for ch in word]
        self.capitals = [ch.isupper() for ch in word]

    def syllable(self, start: int, end: int) -> bool:
        """Whether word[start:end] is one syllable (a capital only at its start)."""
        stop = _STOP_ENDING.get(self.bare[start:end])
        if stop is None or any(self.capitals[start + 1:end]):
            return False
        marks = [tone for tone in self.tones[start:end] if tone]
        if len(marks) > 1:
            return False
        return not stop or (bool(marks) and marks[0] in _SAC_NANG)


@functools.lru_cache(maxsize=8192)
def is_vietnamese_syllable(text: str) -> bool:
    """Whether `text` (NFC, lower case or capitalised) is one syllable by the rules above.

    Stricter than `tone_marks.is_syllable`, which checks only the shape; the tone mark may
    sit on any vowel ("hòa" and "hoà" are both syllables).
    """
    return all(ch in _LETTERS for ch in text) and _Spelling(text).syllable(0, len(text))


def _onset_and_rhyme() -> dict[str, tuple[str, str]]:
    """Each toneless syllable taken apart: the longer onset wins, so "gia" is gi + a."""
    parts: dict[str, tuple[str, str]] = {}
    for onset in sorted(ONSETS, key=len):
        for rhyme in RHYMES | _QU_RHYMES:
            if _fits(onset, rhyme):
                parts[onset + rhyme] = (onset, rhyme)
    return parts


_PARTS = _onset_and_rhyme()


def _tone_places(onset: str, rhyme: str) -> frozenset[int]:
    """Where in onset + rhyme a tone mark may sit (see `tone_in_place`)."""
    coda = rhyme.lstrip("aăâeêioôơuưy")
    vowels = rhyme[:len(rhyme) - len(coda)]
    places = {tone_position(vowels, coda)}  # where `tone_marks.canonical` puts it
    if vowels in ("oa", "oe", "uy") and not coda:
        places.add(1)  # hoà, khoẻ, thuỷ: the other style in use
    if onset in ("qu", "gi"):
        places.add(-1)  # qúy, gìa
    return frozenset(len(onset) + place for place in places)


def tone_in_place(text: str) -> bool:
    """Whether the tone mark of the syllable `text` (NFC, any case) sits on a vowel that
    Vietnamese writes it on; True when it has no tone mark.

    The places: the last shaped vowel (ươ → ơ, uyê → ê); else the last vowel before a final
    consonant (hoàn, huỳnh), the middle one of three (ngoài), or the first (mùa, tài);
    "oa", "oe", "uy" with no final take it on either vowel (hòa and hoà are both in use);
    the u of qu and the i of gi too ("qúy", "gìa": a common slip the normalizer mends).
    False when `text` without its tone mark is not one of SYLLABLES (in any case), or has
    two marks; whether a stop may take its tone is `is_vietnamese_syllable`'s question.
    Text read in the wrong encoding can spell a syllable with the mark astray: VNI "má"
    read as Windows-1258 is "maù".
    """
    if not all(ch in _LETTERS for ch in text):
        return False
    spelling = _Spelling(text)
    parts = _PARTS.get(spelling.bare)
    marked = [at for at, tone in enumerate(spelling.tones) if tone]
    if parts is None or len(marked) > 1:
        return False
    return not marked or marked[0] in _tone_places(*parts)


def split_glued(word: str, known: frozenset[str] = frozenset()) -> list[str] | None:
    """The syllables of a word glued by PDF extraction ("côngtác" → ["công", "tác"]), or None.

    None (leave the word as it is) when `word`:
    - is one syllable (`is_vietnamese_syllable`), or has the shape of one with at most one
      tone mark (`tone_marks.is_syllable`: a real syllable these rules miss, like the loans
      "buýt", "tuýp", must not be cut; only two tone marks prove it is two syllables);
    - has no Vietnamese-specific letter or tone mark (online, Facebook, email);
    - is all capitals (HÀNỘI: names and abbreviations, the caller's business);
    - holds anything but Vietnamese letters (digits, signs, other alphabets, f j w z),
      or is not NFC (the normalizer passes `tone_marks.canonical` text);
    - cannot be cut into syllables, or has several cuts with the fewest syllables:
      "thànhủy" (thành|ủy, thàn|hủy, thà|nhủy), "thựchiện" (thực|hiện, thự|chiện),
      "sốnội" (số|nội, sốn|ội), "cảmơn" (cảm|ơn, cả|mơn). Only a word list could say.
    The fewest syllables win because the longer cuts split a vowel group into a
    vowel-only syllable: "ủyban" is ủy|ban, not ủ|y|ban, "giaothông" giao|thông, not
    gia|o|thông, "khuyếnkhích" khuyến|khích, not khu|yến|khích. It can merge an open
    syllable with a vowel-initial one ("doảnhhưởng" → doảnh|hưởng for do ảnh hưởng), which
    is rare. A part is in lower case or starts with its one capital ("xãTân" → xã|Tân).
    "".join(parts) == word.

    `known`: lower-case syllables of real words (the normalizer passes those its dictionary's
    readings use). Where several cuts tie, the one cut made only of known syllables wins:
    "đềnghị" is đề|nghị (nghị định), not đềng|hị.
    """
    parts = _cut(word)
    if parts is None and known and _cuttable(word):
        fitting = [cut for cut in _fewest_cuts(word)
                   if all(part.lower() in known for part in cut)]
        parts = fitting[0] if len(fitting) == 1 else None
    return None if parts is None else list(parts)


@functools.lru_cache(maxsize=8192)
def _cut(word: str) -> tuple[str, ...] | None:  # a tuple: the cache must not be changed
    return _best_cut(word) if _cuttable(word) else None


def _cuttable(word: str) -> bool:
    if len(word) < 2 or word.isascii() or word.isupper():
        return False
    if not all(ch in _LETTERS for ch in word) or is_vietnamese_syllable(word):
        return False
    return not (is_syllable(word) and sum(_LETTERS[ch][1] != "" for ch in word) <= 1)


@functools.lru_cache(maxsize=1024)
def _fewest_cuts(word: str) -> tuple[tuple[str, ...], ...]:
    """Every cut of `word` into the fewest syllables (at most a few for a glued pair)."""
    spelling, size = _Spelling(word), len(word)
    cuts: dict[int, list[tuple[str, ...]]] = {0: [()]}
    for at in range(size):
        for end in range(at + 1, size + 1):
            if spelling.bare[at:end] not in _BEGINNINGS:
                break
            if at in cuts and spelling.syllable(at, end):
                cuts.setdefault(end, []).extend((*cut, word[at:end]) for cut in cuts[at])
    found = cuts.get(size, [])
    fewest = min((len(cut) for cut in found), default=0)
    return tuple(cut for cut in found if len(cut) == fewest)


def _best_cut(word: str) -> tuple[str, ...] | None:
    """The one cut of `word` into the fewest syllables, or None if there is none or several."""
    spelling, size = _Spelling(word), len(word)
    # reached[end]: (syllables in the shortest cut of word[:end], how many such cuts (2 means
    # several), where the last syllable of that cut starts); only cut points are reached.
    reached: list[tuple[int, int, int] | None] = [(0, 1, 0)] + [None] * size
    for at in range(size):
        before = reached[at]
        if before is None:
            continue
        for end in range(at + 1, size + 1):
            if spelling.bare[at:end] not in _BEGINNINGS:
                break  # no syllable starts so: "côngt"
            if not spelling.syllable(at, end):
                continue
            count, ways = before[0] + 1, before[1]
            known = reached[end]
            if known is None or count < known[0]:
                reached[end] = (count, ways, at)
            elif count == known[0]:
                reached[end] = (count, min(2, known[1] + ways), known[2])
    parts, end = [], size
    while end:
        step = reached[end]
        if step is None or step[1] > 1:
            return None
        parts.append(word[step[2]:end])
        end = step[2]
    return tuple(reversed(parts))
