"""A commune bulletin as copied out of a PDF viewer, and the units a careful reader sees in it.

tests/data/pasted/bulletin_pdf.txt carries the damage a PDF copy does (sentences wrapped
mid-word-pair with or without a blank line after, page footers and a running header inside
sentences, words glued together, "thông-" / "báo"); bulletin_pdf.units.txt is the same text
with only its line structure repaired, one unit per line (see tests/data/pasted/README.md).
"""

from __future__ import annotations

import difflib
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from broadcaster.speech.normalize import normalize
from broadcaster.speech.pasted import clean_lines
from broadcaster.speech.tone_marks import canonical

DATA = Path(__file__).resolve().parent / "data" / "pasted"
SENTENCE_END = ".!?;:"

# Words the PDF extraction glued together in bulletin_pdf.txt, and how they must be read:
# the split words with a neighbour that occurs only there, as normalize keeps them.
GLUED = [
    ("côngtác", "kết quả công tác"),
    ("Truyềnthanh", "Đài Truyền thanh xã duy trì"),
    ("nhândân", "hướng dẫn nhân dân"),
    ("xãtrong", "của xã trong dịp"),
    ("đềnghị", "đề nghị phản ánh"),
]


def _bulletin() -> tuple[str, list[str]]:
    text = (DATA / "bulletin_pdf.txt").read_text(encoding="utf-8")
    units = (DATA / "bulletin_pdf.units.txt").read_text(encoding="utf-8").splitlines()
    return text, units


def _diff(expected: list[str], got: list[str], expected_name: str, got_name: str) -> str:
    return "\n" + "\n".join(difflib.unified_diff(expected, got, expected_name, got_name,
                                                 lineterm="", n=1))


def _without_end_marks(line: str) -> str:
    return line.rstrip(".,;:!? ")


def test_bulletin_data_is_well_formed() -> None:
    text, units = _bulletin()
    assert "\r" not in text and len(text.splitlines()) >= 45
    assert units and all(unit and unit == " ".join(unit.split()) for unit in units)
    for glued, _ in GLUED:
        assert glued in text and any(glued in unit for unit in units)


def test_pdf_bulletin_reads_as_whole_sentences() -> None:
    text, units = _bulletin()
    got = clean_lines(text)
    assert got == units, _diff(units, got, "expected units", "clean_lines")


def test_pdf_bulletin_has_no_sentence_stop_inside_a_sentence() -> None:
    """normalize puts each unit on a line of its own: a unit cut in two reads as two sentences."""
    text, units = _bulletin()
    lines = normalize(text).split("\n")
    assert len(lines) == len(units), (
        f"{len(lines)} lines read for {len(units)} units; open units (no end mark) and the "
        "lines read:\n" + "\n".join(f"  {unit}" for unit in units
                                    if unit[-1] not in SENTENCE_END)
        + "\n---\n" + "\n".join(f"  {line}" for line in lines))
    # Line by line, each is the reading of its unit alone (normalize reads line by line).
    expected = [_without_end_marks(normalize(unit)) for unit in units]
    got = [_without_end_marks(line) for line in lines]
    assert got == expected, _diff(expected, got, "each unit read alone", "normalize(text)")


def test_pdf_bulletin_has_no_glued_word() -> None:
    text, _ = _bulletin()
    spoken = normalize(text)
    glued_left = [glued for glued, _ in GLUED if glued in spoken]
    not_split = [split for _, split in GLUED if split not in spoken]
    assert not glued_left and not not_split, (
        f"still glued: {glued_left}; missing split forms: {not_split}\n{spoken}")


# --- Any prose, wrapped as a PDF wraps it, reads back as its sentences ---------------------

def _prose_sentences() -> list[str]:
    from tests.test_normalize import BULLETIN

    return sorted({typed for typed, _ in BULLETIN if "\n" not in typed and len(typed) > 40
                   and typed[-1] in ".!?" and not typed.isupper()
                   and typed[:1].isupper()})


PROSE = _prose_sentences()


@settings(max_examples=300, deadline=None)
@given(picked=st.lists(st.sampled_from(PROSE), min_size=1, max_size=4),
       width=st.integers(min_value=35, max_value=110),
       between=st.sampled_from(["\n", "\n\n", "\n \n"]),
       footer=st.sampled_from([None, "Trang 2/5", "- 3 -"]),
       footer_at=st.integers(min_value=0, max_value=50))
def test_wrapped_prose_has_no_sentence_stop_inside_a_sentence(
        picked: list[str], width: int, between: str, footer: str | None,
        footer_at: int) -> None:
    """Sentences wrapped at any width, blank lines or not, a page footer anywhere: the
    units put the words back in order and end only where a sentence ends."""
    import textwrap

    paragraph = canonical(" ".join(" ".join(picked).split()))  # clean_lines unifies tones
    lines = textwrap.wrap(paragraph, width, break_on_hyphens=False, break_long_words=False)
    if footer is not None:
        lines.insert(footer_at % (len(lines) + 1), footer)
    units = clean_lines(between.join(lines))
    assert " ".join(units) == paragraph
    assert all(unit[-1] in ".!?;:" for unit in units), units
