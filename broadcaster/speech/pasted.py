"""Undo what copying from PDFs, Word, web pages and Zalo does to a notice, before it is read.

Out come the units to read, each a sentence, heading, title, date line or list item:
invisible characters, quotes, HTML tags, captions ("Ảnh minh họa", "(Ảnh: ...)"), page
numbers ("Trang 2/5", "- 3 -") and page headers repeated inside a sentence are gone.

A PDF breaks lines inside sentences and often puts a blank line after each. Two pieces
are one sentence (`_continues`) when the first does not end with . ! ? ; : and the next
- starts in lower case, or with a figure that is not a list number ("tổng số" / "1.250 hộ");
- or goes on with a name: the first ends with a capitalised word ("Việt" / "Nam") or with a
  word that cannot end a sentence ("do đồng chí" / "Nguyễn Văn Hùng", "thôn" / "Tân Lập").
Never joined: headings (all capitals), list items (-, +, •, 1., a)), date lines
("Tân Phong, ngày 28 tháng 11 năm 2026"), the motto, titles ("Về việc", "V/v", "Kính gửi")
followed by a capital, signature lines (TM., KT.). A word split by a hyphen at the end of
a line ("thông-" / "báo") is joined whatever stands between.
"""

from __future__ import annotations

import html
import re
from collections import Counter

from broadcaster.i18n import N_
from broadcaster.speech.changes import note
from broadcaster.speech.tone_marks import canonical

# Controls (a NUL included) stand between words: "Thông\0báo" is two words.
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Private use (icon fonts), surrogates and zero-width/format characters sit inside words.
_INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff\ufff9-\ufffc"
                        "\ud800-\udfff\ue000-\uf8ff]")
_MARKS = str.maketrans({"−": "-", **dict.fromkeys("\"'`´‘’‚‛“”„‟«»‹›")})  # − is a minus
# Names of the Central Highlands write a short "ơ" as an apostrophe after one consonant:
# H'Mông, Ea H'leo, Đắk R'lấp, K'Ho are said Hơ Mông, Hơ leo, Rơ lấp, Cơ Ho.
_SHORT_VOWEL = re.compile(r"(?<![^\W\d_])([BCDĐGHKLMNPRSTVXbcdđghklmnprstvx])['’`]"
                          r"(?=[^\W\d_])")
_HTML_TAG = re.compile(r"</?[A-Za-z][^<>\n]{0,200}>")
_INLINE_NOISE = re.compile(r"(?i)image not found or type unknown|\(\s*(?:nguồn\s+)?ảnh\b[^()]*\)")
_STRAY_LINES = re.compile(
    r"(?i)\(?ảnh(?:\s+minh\s+họa)?\s*(?::.*)?\)?"  # captions: Ảnh minh họa, Ảnh: Thu Hà
    r"|(?:trang|page)\s*[0-9]+(?:\s*(?:/|of|trên)\s*[0-9]+)?"  # Trang 2/5, Page 3
    r"|[-–—]?\s*[0-9]{1,3}\s*[-–—]?"  # 3, - 3 -
    r"|chia sẻ|in bài viết|quay lại|lên đầu trang|bình luận")
LIST_ITEM = re.compile(r"(?:[-–—•*+▪►●○◦·➢✓❖]|[0-9]{1,2}[.)]|[a-zđ]\))\s")
_SENTENCE_END = ".!?;:"
_DATE_LINE = re.compile(r"(?i)[^\W\d_][^,]{0,40},\s*ngày\s*[0-9]{0,2}\s*tháng\s*[0-9]{0,2}"
                        r"\s*năm\s*[0-9]{4}\.?")
_MOTTO = re.compile(r"(?i)độc lập\s*[-–—]\s*tự do\s*[-–—]\s*hạnh phúc")
_SIGNATURE = re.compile(r"(?:TM|KT|TL|TUQ|TTL|Q)\.\s")
_TITLE = re.compile(r"(?i)(?:về việc|v/v|kính gửi)\b")
_FIGURE_START = re.compile(r"[0-9]")
_FULL_LINE = 0.6  # a line this share of the longest one was wrapped by the PDF
# Words that cannot end a sentence, so a capitalised next line goes on with them.
_OPEN_ENDINGS = frozenset((
    "của", "và", "với", "cho", "tại", "là", "các", "những", "về", "để", "theo", "từ", "đến",
    "trong", "ngoài", "trên", "dưới", "do", "bởi", "vào", "lúc", "khi", "như", "hoặc", "hay",
    "nhằm", "thì", "mà", "được", "bị", "có", "cần", "sẽ", "đã", "đang", "chí", "ông", "bà",
    "anh", "chị", "em", "số", "ngày", "tháng", "năm", "xã", "thôn", "ấp", "bản", "buôn",
    "làng", "phường", "huyện", "tỉnh", "trấn", "khu", "tổ", "đội", "ban", "hội", "sông",
    "cầu", "đường", "phố", "chợ", "trường", "dân", "thị"))


def clean_lines(text: str) -> list[str]:
    """The units of `text` to read, in order; no unit is empty, none contains a newline."""
    text = canonical(html.unescape(_HTML_TAG.sub(" ", text)) if "<" in text or "&" in text
                     else text)
    lines: list[str | None] = []  # None: a blank line, or a line that is not read
    for raw in text.splitlines():
        if "'" in raw or "’" in raw or "`" in raw:
            raw = _SHORT_VOWEL.sub(_said_with_o, raw)
        line = _CONTROLS.sub(" ", _INVISIBLE.sub("", raw.translate(_MARKS)))
        line = " ".join(_INLINE_NOISE.sub(" ", line).split())
        if line and _STRAY_LINES.fullmatch(line):
            note(line, "", N_("page number or caption: not read"))
            line = ""
        lines.append(line or None)
    return _units(lines)


def _said_with_o(match: re.Match[str]) -> str:
    letter = match.group(1)
    spoken = {"K": "Cơ", "k": "cơ"}.get(letter, f"{letter}ơ") + " "
    note(match.group(), spoken, N_("a Central Highlands name: the apostrophe is a short ơ"))
    return spoken


def _units(lines: list[str | None]) -> list[str]:
    seen = Counter(line for line in lines if line and _is_heading(line))
    full = max((len(line) for line in lines if line), default=0) * _FULL_LINE
    units: list[str] = []
    last = ""  # the line the last unit ends with
    for at, line in enumerate(lines):
        if line is None:
            continue  # a PDF puts blank lines anywhere: the words decide
        previous = units[-1] if units else ""
        if previous.endswith("-") and previous[-2:-1].isalpha():
            units[-1] = f"{previous[:-1]} {line}"  # a syllable split at the line's end
        elif previous and _is_running_header(line, previous, lines[at + 1:], seen):
            note(line, "", N_("page header inside a sentence: not read"))
            continue
        elif previous and _continues(previous, line, len(last) >= full):
            units[-1] = f"{previous} {line}"
        else:
            units.append(line)
        last = line
    return units


def _continues(previous: str, line: str, filled: bool) -> bool:
    """Whether `line` goes on with the sentence `previous` (see the module's rules)."""
    if (previous[-1] in _SENTENCE_END or _is_heading(previous)
            or _stands_alone(previous) or _stands_alone(line)):
        return False
    if _is_heading(line):
        # "kiểm tra" / "ATTP.": the end of a wrapped sentence, not a heading.
        return filled and line[-1] in ".!?;,"
    if LIST_ITEM.match(line):
        # "từ 7h30" / "- 17h00", "giật cấp" / "13. Ban chỉ huy...": a dash or a number the
        # PDF wrapped after a full line, not the list's next item (bullets are never words).
        return filled and (line[0] in "-–—" or line[0].isdigit())
    if line[0].islower() or _FIGURE_START.match(line):
        return True
    if _TITLE.match(previous):
        return False  # "Về việc tiêm phòng" / "Căn cứ ...": the title ended
    words = previous.split()
    if words[-1].lower() in _OPEN_ENDINGS:
        return True  # "do đồng chí" / "Nguyễn Văn Hùng"
    # A line that fills the page's width was wrapped: "Việt" / "Nam", "toàn thể" / "Nhân dân".
    return filled


def _stands_alone(line: str) -> bool:
    return bool(_DATE_LINE.fullmatch(line) or _MOTTO.fullmatch(line) or _SIGNATURE.match(line))


def _is_running_header(line: str, previous: str, rest: list[str | None],
                       seen: Counter[str]) -> bool:
    """A heading printed on every page (UBND XÃ TÂN PHONG) that cuts a sentence in two."""
    if seen[line] < 2 or previous[-1] in _SENTENCE_END:
        return False
    following = next((later for later in rest if later), "")
    return bool(following) and (following[0].islower() or bool(_FIGURE_START.match(following)))


def _is_heading(line: str) -> bool:
    return line.isupper() and sum(ch.isalpha() for ch in line) >= 2
