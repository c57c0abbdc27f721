"""Undo what copying from PDFs and web pages does to a notice, before it is read.

Out come the lines to read, each a sentence-sized unit: invisible and control characters,
quotes, HTML tags, captions ("Ảnh minh họa", "(Ảnh: ...)") and page numbers ("Trang 2/5",
"- 3 -") gone; lines broken inside a sentence joined again ("thông-" / "báo" → "thông báo");
headings, list items and paragraphs kept apart so the voice pauses between them.
"""

from __future__ import annotations

import html
import re

from broadcaster.speech.tone_marks import canonical

# Private use (icon fonts), surrogates, controls and zero-width/format characters.
_INVISIBLE = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\u00ad\u200b-\u200f\u202a-\u202e"
                        "\u2060-\u206f\ufeff\ufff9-\ufffc\ud800-\udfff\ue000-\uf8ff]")
_MARKS = str.maketrans({"−": "-", **dict.fromkeys("\"'`´‘’‚‛“”„‟«»‹›")})  # − is a minus
_HTML_TAG = re.compile(r"</?[A-Za-z][^<>\n]{0,200}>")
_INLINE_NOISE = re.compile(r"(?i)image not found or type unknown|\(\s*(?:nguồn\s+)?ảnh\b[^()]*\)")
_STRAY_LINES = re.compile(
    r"(?i)\(?ảnh(?:\s+minh\s+họa)?\s*(?::.*)?\)?"  # captions: Ảnh minh họa, Ảnh: Thu Hà
    r"|(?:trang|page)\s*[0-9]+(?:\s*(?:/|of|trên)\s*[0-9]+)?"  # Trang 2/5, Page 3
    r"|[-–—]?\s*[0-9]{1,3}\s*[-–—]?"  # 3, - 3 -
    r"|chia sẻ|in bài viết|quay lại|lên đầu trang|bình luận")
_LIST_ITEM = re.compile(r"(?:[-–—•*+▪►●○◦·➢✓❖]|[0-9]{1,2}[.)]|[a-zđ]\))\s")
_SENTENCE_END = ".!?;:"


def clean_lines(text: str) -> list[str]:
    """The units of `text` to read, in order; no unit is empty, none contains a newline."""
    text = canonical(html.unescape(_HTML_TAG.sub(" ", text)) if "<" in text or "&" in text
                     else text)
    units: list[str] = []
    paragraph: list[str] = []
    for raw in text.splitlines():
        line = " ".join(_INLINE_NOISE.sub(" ", _INVISIBLE.sub("", raw.translate(_MARKS))).split())
        if not line:
            units += _units(paragraph)
            paragraph = []
        elif not _STRAY_LINES.fullmatch(line):
            paragraph.append(line)
    return units + _units(paragraph)


def _units(lines: list[str]) -> list[str]:
    """Join a paragraph's lines where a sentence was broken; keep headings and list items."""
    units: list[str] = []
    for line in lines:
        if not units:
            units.append(line)
        elif units[-1].endswith("-") and units[-1][-2:-1].isalpha():
            units[-1] = f"{units[-1][:-1]} {line}"  # a syllable split at the line's end
        elif (units[-1][-1] in _SENTENCE_END or _LIST_ITEM.match(line)
              or _is_heading(units[-1])):
            units.append(line)
        else:
            units[-1] = f"{units[-1]} {line}"
    return units


def _is_heading(line: str) -> bool:
    letters = [ch for ch in line if ch.isalpha()]
    return len(letters) >= 2 and all(ch.isupper() for ch in letters)
