"""Operator text from outside (an argument, standard input) as bytes → text, or a refusal.

Notices reach the station from Notepad, Word, Zalo and old office files. Most are UTF-8;
Notepad's "Unicode" is UTF-16, often with a byte-order mark and sometimes without; Word's
"Vietnamese (Windows)" and Notepad's "ANSI" on a Vietnamese Windows are Windows-1258,
which writes most tone marks as combining bytes after the vowel. Those are read. Old
TCVN3 (ABC, .VnTime fonts) documents are recognised and refused: TCVN3 has no codes for
toned capitals and headings are typed in lower case for the capitals font (.VnTimeH) to
draw, so the text does not say what is a capital, and "UBND" would reach the loudspeaker
as the word "ubnd". Audio, images, office files and anything else are refused in one line.
Control characters inside text are kept: the normalizer reads them as spaces.

`surely_read` tells cheaply whether a text has words to read aloud, so that queueing an
ordinary notice need not load the normalizer and its dictionary (most of a `say`).

A guessed reading (UTF-16 without a mark, Windows-1258, TCVN3) is taken only when it looks
like the language: Latin script for UTF-16; for the 8-bit code pages, nine in ten words
with a letter outside ASCII must be Vietnamese syllables (the spelling rules of
broadcaster.speech.syllables, with the tone mark on the vowel Vietnamese puts it on; names
of the Central Highlands may write c as k), and Windows-1258 must read at least as
well as TCVN3. General detectors (charset-normalizer) guess wrong on a one-line notice
("họp" came back as "hoňp" in Windows-1250, a line with a single "Đông" as Big5), so this
decides between the few encodings a Vietnamese office produces. A TCVN3 or VNI line of
two or three words can still happen to spell other Vietnamese words in Windows-1258
("Số" in TCVN3 reads "Sè"); a sentence does not.
"""

from __future__ import annotations

import codecs
import re
import string
import unicodedata

from broadcaster.i18n import N_, _
from broadcaster.model import OperatorError

MSG_NOT_UTF8 = N_("the text is not UTF-8 and does not read as Vietnamese in Windows-1258 or "
                  "UTF-16 (perhaps VNI); save it as UTF-8 (in Notepad: Save As, Encoding UTF-8) "
                  "and try again")
MSG_DAMAGED = N_("the text starts as {encoding} but is damaged (cut short or mixed); save it "
                 "again as UTF-8 (in Notepad: Save As, Encoding UTF-8) and try again")
MSG_TCVN3 = N_("the text is in the old TCVN3 (ABC, .VnTime fonts) encoding; convert it to "
               "Unicode (Unikey: Ctrl+Shift+F6, from TCVN3 to Unicode), save it as UTF-8 and "
               "try again")
MSG_AUDIO = N_("this is an audio file, not text; to air a recording use `broadcaster play "
               "FILE`, to read a notice give its words as UTF-8 text")
MSG_NOT_TEXT = N_("this is {kind}, not text; copy the notice's words into Notepad, save them "
                  "as UTF-8 and try again")

_BYTE_ORDER_MARKS = ((codecs.BOM_UTF8, "utf-8", "UTF-8"),
                     (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16"),
                     (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16"))
# The first bytes of files an operator may send by mistake: (offset, bytes) of audio
# (MP3, FLAC, Ogg, WAV, AMR, M4A), then other files and what they are.
_AUDIO_SIGNATURES = ((0, b"ID3"), (0, b"\xff\xfb"), (0, b"\xff\xf3"), (0, b"\xff\xf2"),
                     (0, b"fLaC"), (0, b"OggS"), (0, b"RIFF"), (0, b"#!AMR"), (4, b"ftyp"))
_FILE_SIGNATURES = (
    (b"\x89PNG", N_("a PNG image")), (b"\xff\xd8\xff", N_("a JPEG image")),
    (b"GIF8", N_("a GIF image")), (b"%PDF", N_("a PDF document")),
    (b"PK\x03\x04", N_("a Word, Excel or ZIP file")),
    (b"\xd0\xcf\x11\xe0", N_("an old Word or Excel file")), (b"{\\rtf", N_("an RTF document")),
    (b"\x7fELF", N_("a program")),
)
_BINARY = N_("binary data")
# TCVN3 (ABC): the letters of its upper half; the toned capitals have no code of their own.
_TCVN3 = dict(zip(
    bytes.fromhex("a1a2a3a4a5a6a7 a8a9aaabacadae b5b6b7b8b9 bbbcbdbec6 c7c8c9cacb cccecfd0d1"
                  "d2d3d4d5d6 d7d8dcddde dfe1e2e3e4 e5e6e7e8e9 eaebecedee eff1f2f3f4"
                  "f5f6f7f8f9 fafbfcfdfe"),
    "ĂÂÊÔƠƯĐ" "ăâêôơưđ" "àảãáạ" "ằẳẵắặ" "ầẩẫấậ" "èẻẽéẹ" "ềểễếệ" "ìỉĩíị" "òỏõóọ" "ồổỗốộ"
    "ờởỡớợ" "ùủũúụ" "ừửữứự" "ỳỷỹýỵ", strict=True))
_CONSONANTS = "bcdđfghjklmnpqrstvwxz"
_ASCII_LETTERS = string.ascii_letters
_UNIT_SIGNS = "°²³"  # inside a word: 25°C, 200m²
_PUNCTUATION = frozenset(string.punctuation + string.whitespace)
_SPACING = str.maketrans(dict.fromkeys("“”‘’…–—•\u00a0", " "))  # office punctuation
_CONTROL_BYTES = bytes(byte for byte in range(0x20) if byte not in b"\t\n\v\f\r")
_NO_CONTROLS = dict.fromkeys([*_CONTROL_BYTES, *range(0x7F, 0xA0)])  # for str.translate


def decode(data: bytes) -> str:
    """The text in `data`: UTF-8 or UTF-16 (with or without a byte-order mark), or
    Windows-1258 that reads as Vietnamese (returned NFC-composed).

    Raises OperatorError with one line saying what the data is and what to do: TCVN3
    text, audio or other files, and text in any other encoding. Never raises anything
    else, whatever the bytes."""
    for mark, codec, name in _BYTE_ORDER_MARKS:
        if data.startswith(mark):
            try:
                return _not_binary(data[len(mark):].decode(codec))
            except UnicodeDecodeError:
                raise OperatorError(_(MSG_DAMAGED).format(encoding=name)) from None
    if any(data.startswith(signature, offset) for offset, signature in _AUDIO_SIGNATURES):
        raise OperatorError(_(MSG_AUDIO))
    for signature, kind in _FILE_SIGNATURES:
        if data.startswith(signature):
            raise OperatorError(_(MSG_NOT_TEXT).format(kind=_(kind)))
    utf16 = _utf16_without_mark(data)
    if utf16 is not None:
        return _not_binary(utf16)
    try:
        return _not_binary(data.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    return _not_binary(_legacy(data))


def _not_binary(text: str) -> str:
    """`text`, unless it is mostly control characters: then it was binary data. A few
    are kept (a NUL between two words): the normalizer reads them as spaces."""
    controls = len(text) - len(text.translate(_NO_CONTROLS))
    if controls > max(2, len(text) // 4):
        raise OperatorError(_(MSG_NOT_TEXT).format(kind=_(_BINARY)))
    return text


def _utf16_without_mark(data: bytes) -> str | None:
    """UTF-16 text without a byte-order mark: Vietnamese and ASCII letters are all below
    U+2000, so at least half the high bytes are NUL and the text reads as Latin script."""
    if len(data) < 2 or len(data) % 2 or b"\x00" not in data:
        return None
    for encoding, high in (("utf-16-le", data[1::2]), ("utf-16-be", data[0::2])):
        if high.count(0) * 2 < len(high):
            continue
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _latin_script(text):
            return text
    return None


def _latin_script(text: str) -> bool:
    """Whether `text` has letters and reads as Latin script (Vietnamese included), with
    the punctuation and currency signs of office text."""
    latin = sum(1 for ch in text if ch < "\u0250" or "\u0300" <= ch < "\u0370"
                or "\u1e00" <= ch < "\u1f00" or "\u2000" <= ch < "\u20d0")
    return latin * 20 >= len(text) * 19 and any(ch.isalpha() for ch in text)


def _legacy(data: bytes) -> str:
    """The Windows-1258 reading of data that is not UTF-8, if it reads as Vietnamese at
    least as well as the TCVN3 reading; otherwise a refusal that names TCVN3 or binary
    data when it is one of those."""
    controls = len(data) - len(data.translate(None, _CONTROL_BYTES))
    if controls > max(2, len(data) // 50):  # text files have next to none
        raise OperatorError(_(MSG_NOT_TEXT).format(kind=_(_BINARY)))
    try:
        windows = unicodedata.normalize("NFC", data.decode("cp1258"))
    except UnicodeDecodeError:
        windows = None
    # TCVN3 fonts show the bytes that are not letters as Windows-1252 does.
    tcvn3 = unicodedata.normalize("NFC", data.decode("cp1252", "replace").translate(_TCVN3))
    # TCVN3 writes capitals in a capitals font, not in the text: its case says nothing.
    tcvn3_words = _words(tcvn3, cased=False)
    tcvn3_share = _share(*tcvn3_words) if tcvn3_words[0] else None
    if windows is not None:
        windows_share = _share(*_words(windows, cased=True))
        if windows_share is not None and (tcvn3_share is None or windows_share >= tcvn3_share):
            return windows
    if tcvn3_share is not None:
        raise OperatorError(_(MSG_TCVN3))
    if b"\x00" in data:
        raise OperatorError(_(MSG_NOT_TEXT).format(kind=_(_BINARY)))
    raise OperatorError(_(MSG_NOT_UTF8))


def _share(good: int, bad: int) -> float | None:
    """The share of Vietnamese words, or None when more than one word in five is not (a
    loan word such as buýt may fail the spelling model; VNI and TCVN3 fail most words);
    1.0 when no word says either way (ASCII, abbreviations, punctuation)."""
    if bad * 5 > good + bad:
        return None
    return good / (good + bad) if good else 1.0


def _words(text: str, *, cased: bool) -> tuple[int, int]:
    """How many words with a character outside ASCII are Vietnamese and how many are
    not; words of ASCII and abbreviations (HĐND, vnđ) say nothing and are not counted."""
    good = bad = 0
    for word in text.translate(_SPACING).split():
        word = _strip_punctuation(word)
        if word.isascii() or _abbreviations(word):
            continue
        if _vietnamese_word(word, cased=cased):
            good += 1
        else:
            bad += 1
    return good, bad


def _vietnamese_word(word: str, *, cased: bool) -> bool:
    """Whether each run of letters in `word` is a Vietnamese syllable or an abbreviation,
    with no symbol among them (TCVN3 read as Windows-1258: "Th«ng", "b¸o", "®Õn").
    With `cased`, each run is also lower-case, capitalized or all capitals."""
    if any(not (ch.isascii() or _is_letter(ch) or ch in _UNIT_SIGNS) for ch in word):
        return False
    return all((_abbreviation(run) or _syllable(run))
               and (not cased or run.islower() or run.isupper() or run.istitle())
               for run in _letter_runs(word) if not run.isascii())


def _abbreviations(word: str) -> bool:
    """Whether `word` is abbreviations and ASCII only (HĐND, QĐ-UBND, vnđ): no evidence
    for an encoding (TCVN3 writes Đ as the § of "SPEC §6")."""
    return all(ch.isascii() or _is_letter(ch) for ch in word) and all(
        _abbreviation(run) for run in _letter_runs(word) if not run.isascii())


def _abbreviation(letters: str) -> bool:
    """Capitals whose only letters outside ASCII are Đ and Ư (HĐND, NSƯT, TƯ), or
    lower-case consonants (vnđ, đ)."""
    if letters.isupper():
        return letters.strip(_ASCII_LETTERS + "ĐƯ") == ""
    return letters.islower() and letters.strip(_CONSONANTS) == ""


def _syllable(letters: str) -> bool:
    """Whether `letters` (any case) are one Vietnamese syllable with its tone mark on the
    vowel that carries it. Text read in the wrong encoding seldom is: "Thoâng" is VNI,
    "baứ" VNI read as TCVN3, and VNI "maù" (má) spells a syllable with the mark astray."""
    from broadcaster.speech import syllables  # only for text that is not UTF-8

    word = letters.lower()
    # The Central Highlands write c as k, at the end and before a, o, u: Đắk Lắk, Kông Chro.
    if word.endswith("k"):
        word = word[:-1] + "c"
    if word.startswith("k") and unicodedata.normalize("NFD", word[1:2])[:1] in tuple("aou"):
        word = "c" + word[1:]
    return syllables.is_vietnamese_syllable(word) and syllables.tone_in_place(word)


def _strip_punctuation(word: str) -> str:
    """`word` without the ASCII punctuation around it, nor a currency sign after a number.
    Other signs stay: in Vietnamese text read in the wrong encoding they are letters
    ("®Õn" is TCVN3 for "đến")."""
    start, end = 0, len(word)
    while start < end and word[start] in _PUNCTUATION:
        start += 1
    while end > start and word[end - 1] in _PUNCTUATION:
        end -= 1
    if end > start and word[end - 1] in "₫€" and (end - 1 == start or word[end - 2].isdigit()):
        end -= 1  # 50.000₫
    return word[start:end]


def _is_letter(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "LM"


def _letter_runs(word: str) -> list[str]:
    runs, run = [], ""
    for ch in word:
        if _is_letter(ch):
            run += ch
        elif run:
            runs.append(run)
            run = ""
    return [*runs, run] if run else runs


# A word the normalizer reads as written or turns into words: two or more letters of the
# Vietnamese alphabet, either case, not a hashtag's (#phongchongbao is not read). Addresses
# are left out whole: a link's "https" or "www" is not read.
_VIETNAMESE = "a-zàáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ"
_PLAIN_WORD = re.compile(rf"(?<![#\w])[{_VIETNAMESE}{_VIETNAMESE.upper()}]{{2,}}(?!\w)")
_ADDRESS = re.compile(r"\S*(?://|www\.|@|\w\.\w)\S*", re.IGNORECASE)


def surely_read(text: str) -> bool:
    """Whether the reading form of `text` surely has words to read aloud: a line that the
    normalizer keeps (`speech.pasted.clean_lines`: not a caption, page number or HTML tag)
    holds a plain word outside any address. Cheap: neither the normalizer nor its
    dictionary is loaded. False does not refuse: only the reading form can say then."""
    from broadcaster.speech.pasted import clean_lines

    return any(_PLAIN_WORD.search(_ADDRESS.sub(" ", unicodedata.normalize("NFC", line)))
               for line in clean_lines(text))
