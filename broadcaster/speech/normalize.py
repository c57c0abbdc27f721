"""The Vietnamese reading form of a notice: the words the TTS engine is given to say.

`normalize` cleans pasted text (`pasted`), unifies its spelling (`tone_marks`), then reads
every figure (`figures`), abbreviation (`abbreviations`) and sign in words, keeping the
punctuation the voice pauses on. Conventions an announcer would ask about:

- document codes: "số", the number, its year as "năm", then the code's parts from the
  dictionary as in a code (CP chính phủ, NN nông nghiệp); "/" and "-" are silent:
  188/KH-UBND → số một trăm tám mươi tám kế hoạch ủy ban nhân dân, 12/2024/NĐ-CP → số
  mười hai năm hai nghìn không trăm hai mươi tư nghị định chính phủ;
- "/" between figures that is not a date (`figures`): a fraction below 1 is "phần"
  (tăng 1/3 → tăng một phần ba), else "trên" (19/19, 32/13); after money "một"
  (5.900đ/con → đồng một con), after other units "trên" (tấn/ha); Đ/c, V/v, K/g are
  dictionary entries; codes (plates, boat numbers, A/H5N1, km 12+300, quý III/2025) are
  read by `codes`;
- lunar dates (`lunar_dates`) as announcers say them: 15/1 âm lịch → ngày rằm tháng Giêng,
  10/3 âm lịch → mùng mười tháng ba âm lịch;
- "-" between figures is "đến", except a day and month after "ngày" (ngày 3-12) and ISO
  dates (2026-12-20); between words it is silent, and a dash standing alone is a pause;
- a list marker (-, +, •, an emoji) at the start of a line is not read; an acronym in
  brackets right after the words it stands for is not read twice;
- unknown capitals are spelled (XYZQ → ích i dài dét qui), capitals that make Vietnamese
  words in a heading are lower-cased (THÔNG BÁO → thông báo), Roman numerals are numbers
  after words such as đại hội, khóa, thế kỷ, quý, chương, thứ (lần thứ IV → lần thứ tư)
  and when made only of I, V, X;
- expansions are lower case; ordinary words keep their case.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from broadcaster.i18n import N_
from broadcaster.speech.abbreviations import (
    AbbreviationFileError,
    Abbreviations,
    load_abbreviations,
    spell,
)
from broadcaster.speech.changes import note
from broadcaster.speech.codes import CODE, read_code
from broadcaster.speech.figures import (
    ORDINAL_BEFORE,
    PHONE,
    SLASH_WORD,
    figure_pattern,
    read_figure,
    read_phone,
)
from broadcaster.speech.lunar_dates import read_lunar_dates
from broadcaster.speech.numbers import read_cardinal, read_digits, read_ordinal, roman_value
from broadcaster.speech.pasted import clean_lines
from broadcaster.speech.syllables import split_glued
from broadcaster.speech.tone_marks import is_syllable

__all__ = ["AbbreviationFileError", "Abbreviations", "load_abbreviations", "normalize"]

# Words after which capitals such as XIII are a Roman number: Đại hội XIII, quý III.
ROMAN_BEFORE = re.compile(
    r"(?i)\b(?:đại hội|khóa|thứ|thế kỷ|thế kỉ|quý|chương|phần|mục|kỳ họp|kì họp|giai đoạn"
    r"|đợt|hạng|loại|cấp|cấp độ|quân khu|tập|phụ lục|điều|vùng|khu vực|nhóm|bậc|mức|tuyến"
    r"|lớp|khối|đội|tổ|cụm|đoạn|phân khu|tiểu khu)\s*$")
SIGN_WORDS = {
    "&": "và", "+": "cộng", "=": "bằng", "~": "khoảng", "≈": "khoảng", ">": "lớn hơn",
    "<": "nhỏ hơn", "≥": "lớn hơn hoặc bằng", "≤": "nhỏ hơn hoặc bằng", "#": "số",
    "@": "a còng", "/": SLASH_WORD, "⁄": SLASH_WORD, "%": "phần trăm", "°": "độ",
    "×": "nhân", "±": "cộng trừ", "$": "đô la", "€": "ơ rô",
}
_PAUSE_SIGNS = frozenset("()[]{}-–—|")
_LINK_SIGNS = {".": "chấm", "@": "a còng", "/": "gạch chéo", "-": "gạch ngang",
               "_": "gạch dưới", ":": "hai chấm", "=": "bằng", "&": "và"}
_CONTEXT = 60  # characters either side that context rules and readings look at

_LINK = (r"(?:https?://|www\.)[^\s]*[^\s.,;:!?)]"
         r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
         r"|(?<![^\s(])(?:[A-Za-z0-9-]+\.)+(?:vn|com|net|org|gov|edu|info)(?![^\W_])"
         r"(?:/[^\s]*[^\s.,;:!?)])?")
_DOCUMENT = r"(?<![^\W_])[0-9]+(?:\.[0-9]{3})*(?:/[0-9]+)*/[A-ZĐ][^\W_]*(?:[-&][^\W_]+)*"
_WORD = r"[^\W_]+(?:[-&][^\W_]+)*"
_NUMBER_WORD_BEFORE = re.compile(r"(?i)\bsố\s*[:.]?\s*$")
_HEADING_NUMBER_AFTER = re.compile(r"[.)]\s")  # "II. NHIỆM VỤ" at the start of a line
_PREVIOUS_WORD = re.compile(r"([^\W\d_]+)[^\w]*$")
_NEXT_WORD = re.compile(r"[^\w]*([^\W\d_]+)")
_RUNS = re.compile(r"[0-9]+|[^0-9]+")
_SIGNS = re.compile(r"[^\w\s.,;:?!]|_")
_PAUSES = re.compile(r"\s*[.,;:?!][\s.,;:?!]*")
_DIGITS = re.compile(r"[0-9]+")
# A list marker at the start of a line is not a word: "+ Ngày 6/11", "• Thôn 3", "☝️ Lưu ý".
_LIST_MARKER = re.compile(r"(?:[-–—•*+▪►●○◦·➢✓❖]|[\u2190-\u2bff\U0001f000-\U0001faff])"
                          r"\ufe0f?\s*(?=[^\W\d_])")
# An acronym in brackets right after the words it stands for: "Dịch tả lợn châu Phi (DTLCP)".
_ACRONYM_IN_BRACKETS = re.compile(r"\s*\(([A-ZĐ][A-ZĐ&]{1,11})\)")
_YEAR = re.compile(r"(?:19|20)[0-9]{2}")
_HASHTAG = re.compile(r"(?<![\w#])#[^\W\d_]\w*")  # #phongchongbao: a tag, not words
_DOCUMENT_END = re.compile(r"\./\.\s*$")  # "thực hiện./." closes an official document


def normalize(text: str, abbreviations: Abbreviations | None = None) -> str:
    """Vietnamese reading form of text: NFC, numbers/dates/times/units/abbreviations in words.

    Never raises for any str; the result has no ASCII digit. Headings, list items and
    paragraphs come out on lines of their own, each but the last ending in a pause mark.
    `abbreviations` defaults to the shipped dictionary (load_abbreviations() to add the
    station's own).
    """
    if abbreviations is None:
        abbreviations = load_abbreviations()
    pattern = _pattern(abbreviations.unit_names, abbreviations.marked_names)
    lines = [spoken for line in clean_lines(text)
             if (spoken := _read_line(line, pattern, abbreviations))]
    # Every line but the last ends in a pause; a list's "Nội dung:" keeps its colon.
    ended = [line if line[-1] in ".!?:" else f"{line.rstrip(',;')}." for line in lines[:-1]]
    return unicodedata.normalize("NFC", "\n".join(ended + [li.rstrip(",;:") for li in lines[-1:]]))


@functools.lru_cache(maxsize=8)
def _pattern(unit_names: tuple[str, ...], marked_names: tuple[str, ...]) -> re.Pattern[str]:
    # Keys like "Q." are matched as written; longer ones ("TP.", "Tp.") in any case.
    marked = "|".join(
        f"(?{'-' if len(key) <= 2 else ''}i:{re.escape(key)})"
        + (r"(?![^\W_])" if key[-1].isalnum() else "") for key in marked_names) or "(?!)"
    return re.compile(
        f"(?P<link>{_LINK})|(?P<code>{CODE})|(?P<phone>{PHONE})|(?P<document>{_DOCUMENT})"
        f"|(?P<figure>{figure_pattern(unit_names)})"
        rf"|(?P<marked>(?<![^\W_])(?:{marked}))|(?P<dot>(?<=[^\W\d_])\.(?=[0-9]))"
        f"|(?P<word>{_WORD})")


def _read_line(line: str, pattern: re.Pattern[str], abbreviations: Abbreviations) -> str:
    if (marker := _LIST_MARKER.match(line)) is not None:
        note(marker.group(), "", N_("list marker at the start of a line: not read"))
        line = line[marker.end():]
    if "(" in line:
        line = _ACRONYM_IN_BRACKETS.sub(_once, line)
    line = _DOCUMENT_END.sub(".", line)
    if "#" in line:
        line = _HASHTAG.sub(_untagged, line)
    line = read_lunar_dates(line)
    spoken = pattern.sub(lambda match: _read_match(match, abbreviations), line)
    spoken = _SIGNS.sub(_read_sign, spoken)
    spoken = _DIGITS.sub(lambda digits: f" {read_cardinal(digits.group())} ", spoken)
    spoken = _PAUSES.sub(_pause, spoken)
    spoken = " ".join(spoken.split()).lstrip(".,;:!? ")
    return spoken if any(ch.isalpha() for ch in spoken) else ""


def _once(match: re.Match[str]) -> str:
    """"" for an acronym in brackets that repeats the words before it, else the match."""
    letters = match.group(1)
    words = re.findall(r"[^\W\d_]+", match.string[max(0, match.start() - 120):match.start()])
    initials = "".join(word[0] for word in words[-len(letters.replace("&", "")):]).upper()
    if initials != letters.replace("&", ""):
        return match.group()
    note(match.group(), "", N_("an acronym right after the words it stands for: said once"))
    return ""


def _untagged(match: re.Match[str]) -> str:
    note(match.group(), "", N_("a hashtag: not read"))
    return ""


def _read_match(match: re.Match[str], abbreviations: Abbreviations) -> str:
    if ((word := match.group("word")) is not None and _as_written(word, abbreviations)
            and match.string[match.start() - 1:match.start()] != "/"):  # tấn/ha: a unit
        return word  # most words of a notice: no context needed
    start, end = match.span()
    before = match.string[max(0, start - _CONTEXT):start]
    after = match.string[end:end + _CONTEXT]
    if (word := match.group("word")) is not None:
        return _read_word(word, before, after, abbreviations)
    written = match.group()
    if match.group("figure") is not None:
        spoken, why = read_figure(match, before, after, abbreviations.unit)
    elif match.group("code") is not None:
        spoken, why = read_code(match, abbreviations)
    elif (marked := match.group("marked")) is not None:
        spoken, why = abbreviations.explained(marked, before=before, after=after) or (marked, "")
        spoken += "." if marked.endswith(".") and not after.strip() else ""
    elif (document := match.group("document")) is not None:
        spoken = _read_document(document, before, after, abbreviations)
        why = N_("document number: the number, then its code's parts")
    elif (phone := match.group("phone")) is not None:
        spoken, why = read_phone(phone), N_("phone number: digit by digit, in groups")
    elif (link := match.group("link")) is not None:
        spoken, why = _read_link(link), N_("web or e-mail address: spelled out")
    else:  # a dot between letters and digits: QL.1A, ĐT.741
        spoken, why = "", ""
    if why:
        note(written, spoken, why)
    return f" {spoken} "


@functools.lru_cache(maxsize=16384)
def _as_written(word: str, abbreviations: Abbreviations) -> bool:
    """Whether `word` is read as written wherever it stands: a plain syllable ("bà", "Hà")
    that no dictionary entry, capital rule or splitter touches."""
    return (word.isalpha() and not word.isupper() and word not in abbreviations
            and is_syllable(word) and not any(ch.isupper() for ch in word[1:]))


def _read_word(word: str, before: str, after: str, abbreviations: Abbreviations,
               in_code: bool = False) -> str:
    """A word, abbreviation, code part or mixed token such as QL1A, H5N1, COVID-19, KT-XH."""
    if "-" not in word and "&" not in word:
        return _read_piece(word, before, after, abbreviations, in_code)
    found = _expand(word, before, after, abbreviations, in_code)
    if found is not None:
        return f" {found} "
    pieces = re.split(r"([-&])", word)
    # Parts in capitals make a code (TT-BTTTT, QĐ-UBND): read them as in a document number.
    in_code = in_code or all(sum(ch.isupper() for ch in piece) >= 2 for piece in pieces[::2])
    spoken = []
    for at in range(0, len(pieces), 2):
        if at and pieces[at - 1] == "&":
            spoken.append("và")
        spoken.append(_read_piece(pieces[at], before + "".join(pieces[:at]),
                                  "".join(pieces[at + 1:]) + after, abbreviations, in_code))
    return f" {' '.join(spoken)} "


def _read_piece(piece: str, before: str, after: str, abbreviations: Abbreviations,
                in_code: bool) -> str:
    found = _expand(piece, before, after, abbreviations, in_code)
    if found is None and before.endswith("/") and (unit := abbreviations.unit(piece)):
        found = unit  # đồng/kg
        note(piece, unit, N_("unit after /"))
    if found is not None:
        return f" {found} "
    if any(ch in "0123456789" for ch in piece):
        return " ".join(_read_run(run, abbreviations) for run in _RUNS.findall(piece))
    if piece.isupper():
        return _read_capitals(piece, before, after)
    cuts = [at for at in range(2, len(piece) - 1) if piece[at].isupper()
            and piece[at - 2:at].islower() and piece[at + 1].islower()]
    if cuts:  # words glued together by a lost line break: xãTân → xã Tân
        spoken = " ".join(piece[a:b] for a, b in zip([0, *cuts], [*cuts, len(piece)], strict=True))
        note(piece, spoken, N_("words glued together: split before the capital"))
        return spoken
    if not piece.isascii() and (syllables := split_glued(piece, abbreviations.syllables)):
        spoken = " ".join(syllables)
        note(piece, spoken, N_("words glued together (a PDF lost the space): split into "
                               "syllables"))
        return spoken
    return piece


def _expand(word: str, before: str, after: str, abbreviations: Abbreviations,
            in_code: bool) -> str | None:
    found = abbreviations.explained(word, before=before, after=after, in_code=in_code)
    # "ubnd", "Covid-19", "Tp" are UBND, COVID-19, TP; "ca", "Hà" are words.
    if found is None and word != word.upper() and not (word.isalpha() and is_syllable(word)):
        found = abbreviations.explained(word.upper(), before=before, after=after,
                                        in_code=in_code)
    if found is None:
        return None
    note(word, found[0], found[1])
    return found[0]


def _read_run(run: str, abbreviations: Abbreviations) -> str:
    """A run of digits or of letters inside a mixed token: QL | 1 | A."""
    if run[0] in "0123456789":
        return read_digits(run) if run.startswith("0") and len(run) > 1 else read_cardinal(run)
    found = _expand(run, "", "", abbreviations, in_code=False)
    if found is not None:
        return found
    return spell(run) if run.isupper() else run


def _read_capitals(word: str, before: str, after: str) -> str:
    value = roman_value(word)
    if value and (ROMAN_BEFORE.search(before)
                  or (not before.strip() and _HEADING_NUMBER_AFTER.match(after))):
        number = str(value)
        spoken = (read_ordinal(number) if ORDINAL_BEFORE.search(before)
                  else read_cardinal(number))
        note(word, spoken, N_("Roman numeral: after a word such as quý, vùng, khóa, or "
                              "numbering a heading"))
        return spoken
    if len(word) == 1:
        return word if is_syllable(word) else spell(word)  # "Y tế", "A" stay; "B" is bê
    if is_syllable(word) and (not word.isascii() or _beside_capital_word(before, after)):
        return word.lower()  # a heading: THÔNG BÁO, LỊCH CẮT ĐIỆN
    if value and set(word) <= set("IVX"):
        spoken = read_cardinal(str(value))
        note(word, spoken, N_("Roman numeral"))
        return spoken
    spoken = spell(word)
    note(word, spoken, N_("not in the dictionary: spelled letter by letter "
                          "(add it to abbreviations.toml to have it read as words)"))
    return spoken


def _beside_capital_word(before: str, after: str) -> bool:
    for found in (_PREVIOUS_WORD.search(before), _NEXT_WORD.match(after)):
        if found and len(word := found.group(1)) >= 2 and word.isupper() and is_syllable(word):
            return True
    return False


def _read_document(code: str, before: str, after: str, abbreviations: Abbreviations) -> str:
    # The number, its year ("năm"), then the code's parts; the slashes are not read.
    *figures, letters = code.split("/")
    spoken = [read_cardinal(figures[0].replace(".", ""))]
    spoken += [f"năm {read_cardinal(figure)}" if _YEAR.fullmatch(figure) else read_cardinal(figure)
               for figure in figures[1:]]
    spoken.append(_read_word(letters, f"{before}{'/'.join(figures)}/", after, abbreviations,
                             in_code=True).strip())
    lead = "" if _NUMBER_WORD_BEFORE.search(before) else "số "
    return lead + " ".join(spoken)


def _read_link(link: str) -> str:
    link = re.sub(r"^https?://", "", link)
    spoken = []
    for piece in re.findall(r"[0-9]+|[^\W\d_]+|[^\w\s]|_", link):
        if piece[0] in "0123456789":
            spoken.append(read_digits(piece))
        elif piece[0].isalpha():
            spoken.append(spell(piece) if piece.lower() == "www" else piece.lower())
        elif piece in _LINK_SIGNS:
            spoken.append(_LINK_SIGNS[piece])
    return " ".join(spoken)


def _read_sign(match: re.Match[str]) -> str:
    sign = match.group()
    if sign in SIGN_WORDS:
        return f" {SIGN_WORDS[sign]} "
    return ", " if sign in _PAUSE_SIGNS else " "  # bullets, emoji, *, stray marks: nothing


def _pause(match: re.Match[str]) -> str:
    """A run of punctuation becomes its strongest mark: "..." → ".", ", ." → "."."""
    marks = match.group()
    return next(f"{mark} " for mark in "?!.;:," if mark in marks)
