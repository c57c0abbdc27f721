"""What the command line does without its heavy parts, checked against them.

The values it converts without Typer's pydantic adapter come out as the adapter gives
them, and whatever the adapter alone can judge goes to it; a text `say` lets through
without the normalizer (`text_in.surely_read`) has words in its reading form.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer import _coercion
from typer._click.exceptions import BadParameter
from typer.models import ArgumentInfo, OptionInfo

import broadcaster.command_language as command_language
from broadcaster.speech.normalize import normalize
from broadcaster.text_in import surely_read

PLAIN = [
    (str, OptionInfo(), ["Họp tổ", "", "-", "+90s", " 07:30 "]),
    (int, OptionInfo(min=1, max=10), [1, 2, 10, "1", "7", "10"]),
    (int, ArgumentInfo(), [0, 5, "0", "42", "123456789"]),
    (float, OptionInfo(min=1), [60.0, "1", "60", "2.5", "1.0"]),
    (Path, OptionInfo(), ["notice.wav", "/tmp", "a b.mp3", Path("x.wav")]),
    (list[str], OptionInfo(), [("Thôn 1",), ("Thôn 1", "Thôn 2"), ()]),
    (list[Path], ArgumentInfo(), [("a.yaml",), ("a.yaml", "b.yaml")]),
]
# Values only the adapter can judge: refused (with pydantic's facts), or read its own way.
UNSURE = [
    (int, OptionInfo(min=1, max=10), ["11", "0", "abc", "1.5", " 3", "+3", "-1", "007", 11]),
    (int, ArgumentInfo(), ["abc", "", "1e3", "١٢"]),
    (float, OptionInfo(min=1), ["0.5", "abc", "1e3", "nan", "inf", ".5"]),
    (Path, OptionInfo(), [""]),
    (bool, OptionInfo(), ["yes", "0"]),
]


def typer_converts(kind: Any, info: Any, value: Any) -> Any:
    """What Typer's own converter (pydantic's adapter) makes of `value`, or its refusal."""
    descriptor = _coercion.resolve_type_descriptor(kind, info)
    try:
        return _coercion.build_runtime_param(descriptor)._coerce_value(
            value, param=None, ctx=None)  # type: ignore[arg-type]  # not used by these kinds
    except BadParameter as exc:
        return ("refused", exc.message)


def ours(kind: Any, info: Any, value: Any) -> Any:
    descriptor = _coercion.resolve_type_descriptor(kind, info)
    param = command_language._runtime_param(descriptor)
    try:
        return param._coerce_value(value, param=None, ctx=None)  # type: ignore[arg-type]
    except BadParameter as exc:
        return ("refused", exc.message)


@pytest.mark.parametrize(("kind", "info", "values"), PLAIN + UNSURE)
def test_a_value_converts_as_typer_converts_it(kind: Any, info: Any, values: list[Any]) -> None:
    for value in values:
        expected = typer_converts(kind, info, value)
        assert ours(kind, info, value) == expected, value
        assert type(ours(kind, info, value)) is type(expected), value


@pytest.mark.parametrize(("kind", "info", "values"), PLAIN)
def test_plain_values_need_no_adapter(kind: Any, info: Any, values: list[Any]) -> None:
    descriptor = _coercion.resolve_type_descriptor(kind, info)
    param = command_language._runtime_param(descriptor)
    assert isinstance(param, command_language._PlainValue)
    for value in values:
        many = isinstance(value, tuple)
        plain = [command_language._plain(kind.__args__[0], info, one, None, None)
                 for one in value] if many else \
            [command_language._plain(kind, info, value, None, None)]
        assert command_language._UNSURE not in plain, value


@pytest.mark.parametrize(("kind", "info", "values"), UNSURE)
def test_what_only_the_adapter_can_judge_goes_to_it(kind: Any, info: Any,
                                                    values: list[Any]) -> None:
    for value in values:
        assert command_language._plain(kind, info, value, None, None) \
            is command_language._UNSURE, value


# --- say: the cheap look at a text -------------------------------------------------------

NOTICES = [
    "Họp tổ dân phố lúc 19h30 tại nhà văn hóa.",
    "Bão số 3 đổ bộ: bà con vào nơi trú ẩn ngay.",
    "- Thời gian: 7h ngày 5/6\n- Địa điểm: UBND xã",
    "THÔNG BÁO\nVề việc tiêm phòng dại cho chó, mèo",
    "Ảnh: Thu Hà\nChiều nay cắt điện từ 14h đến 16h.",
    "<p>Lịch cắt điện</p>",
    "#phongchongbao bà con chú ý",
    "Xem tại https://xa.gov.vn/thong-bao",
    "KHẨN CẤP: BÃO SỐ 3 ĐỔ BỘ",
    "Họp",
]
REFUSED_OR_UNSURE = ["", "   ", "!!! ???", "5", "1\n2\n3", "Trang 2", "Ảnh minh họa",
                     "Chia sẻ", "<b></b>", "#phongchongbao", "(DTLCP)", "UBND", "A.", "%",
                     "H5N1", "19h30", "Bình luận", "- 3 -", "https://–", "www.x.vn"]


def reads_words(text: str) -> bool:
    return any(ch.isalpha() for ch in normalize(text))


@pytest.mark.parametrize("text", NOTICES)
def test_an_ordinary_notice_is_surely_read(text: str) -> None:
    assert surely_read(text)
    assert reads_words(text)


@pytest.mark.parametrize("text", REFUSED_OR_UNSURE)
def test_what_may_read_as_nothing_is_left_to_the_reading_form(text: str) -> None:
    assert not surely_read(text) or reads_words(text)


PIECES = ["họp", "bà con", "xã", "Họp", "UBND", "TP.", "5", "19h30", "5/6", "%", "!", "?",
          ".", ",", ":", "(", ")", "(ảnh", "ảnh:", "Ảnh", "minh họa", "Trang", "trang 2",
          "page", "chia sẻ", "bình luận", "in bài viết", "quay lại", "lên đầu trang",
          "<b>", "</b>", "<p class='x'>", "&amp;", "&", "#", "#bão", "#tag_x", "@", "a@b.vn",
          "https://", "www.", ".vn", "-", "–", "•", "*", "1.", "a)", "II.", "(DTLCP)",
          "dịch tả lợn châu phi", "(DTLCP)", "\u200b", "\u00ad", "'", "H'Mông", "km", "kg",
          "âm lịch", "15/8", "image not found or type unknown", "ĐT.741", "QL1A", "ư", "đ",
          "THÔNG BÁO", "KHẨN", "Bão", "XYZ", "IV", "#BÃO", "CHIA SẺ", "TRANG 3", "ẢNH:",
          "Đ/c", "TT-BTTTT", "123/QĐ-UBND", "COVID-19", "H5N1", "USD", "PAGE 2", "Q.", "Tp",
          "°C", "m²", "http://x.vn/a-b", "abc.vn", "www.–", "a@–", "HTTPS://–", "mailto:x"]


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(PIECES), st.sampled_from([" ", "", "\n", "\n\n"])),
                max_size=8))
def test_a_text_surely_read_has_words_in_its_reading_form(
        pieces: list[tuple[str, str]]) -> None:
    text = "".join(piece + gap for piece, gap in pieces)
    assert not surely_read(text) or reads_words(text), text


# --- the catalog, looked up where it lies -------------------------------------------------

def test_every_message_reads_as_gettext_reads_it() -> None:
    """The compiled catalog looked up by binary search says what gettext's reader says,
    for every message in it, and gives back what it lacks as written."""
    from broadcaster import i18n

    ours, theirs = i18n._catalog("vi"), i18n._translations("vi")
    catalog: dict[object, str] = theirs._catalog  # type: ignore[attr-defined]
    messages = [message for message in catalog if isinstance(message, str) and message]
    assert len(messages) > 500
    assert [ours.gettext(message) for message in messages] == \
        [theirs.gettext(message) for message in messages]
    for missing in ("no such message", "zzz", "!", "nothing is queued "):
        assert ours.gettext(missing) == missing
    assert i18n._catalog("en").gettext("nothing is queued") == "nothing is queued"
