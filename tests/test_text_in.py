"""Operator text in any encoding an office produces: read when it can be, refused in one line
when not, never a crash (SPEC §8)."""

from __future__ import annotations

import os
import subprocess
import sys
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from broadcaster.model import OperatorError
from broadcaster.text_in import decode
from tests.support.station import Station

TONES = "\u0300\u0301\u0303\u0309\u0323"

NOTICES = [
    "Kính mời bà con đến họp tại nhà văn hóa thôn lúc 8 giờ sáng mai.",
    "Ủy ban nhân dân xã thông báo: ngày mai cắt điện từ 7 giờ đến 11 giờ.",
    "THÔNG BÁO KHẨN: bão số 3 sắp đổ bộ, bà con khẩn trương chằng chống nhà cửa.",
    "Thực hiện Kế hoạch số 188/KH-UBND, Trạm Thú y tiêm phòng cho đàn gia cầm; "
    "liên hệ 0912 345 678.",
    "Nghị quyết HĐND xã về thu quỹ phòng chống thiên tai: 50.000đ/hộ.",
    "Bà con lưu ý: nước sông đang lên nhanh, không cho trẻ em tắm sông.",
    "Đoàn công tác tỉnh Đắk Lắk về thăm xã.",
    "Thông báo họp thôn",  # a one-line notice
    "Hop dan luc 8 gio tai nha van hoa thon Đông",  # few marks: one word tells
    "Xin chào",
]


def windows_1258(text: str) -> bytes:
    """`text` as Word and Notepad save it in "Vietnamese (Windows)": a letter the code
    page lacks (ạ, ấ, ỗ) is its base letter and a combining tone mark."""
    out = bytearray()
    for letter in unicodedata.normalize("NFC", text):
        try:
            out += letter.encode("cp1258")
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", letter)
            base = unicodedata.normalize("NFC", "".join(ch for ch in parts if ch not in TONES))
            tone = "".join(ch for ch in parts if ch in TONES)
            out += base.encode("cp1258") + tone.encode("cp1258")
    return bytes(out)


def refusal(data: bytes) -> str:
    with pytest.raises(OperatorError) as refused:
        decode(data)
    message = str(refused.value)
    assert "\n" not in message
    return message


# --- what is read ------------------------------------------------------------------------------

@pytest.mark.parametrize("notice", NOTICES)
def test_utf8_is_read_as_written_with_or_without_a_byte_order_mark(notice: str) -> None:
    assert decode(notice.encode()) == notice
    assert decode(b"\xef\xbb\xbf" + notice.encode()) == notice


@pytest.mark.parametrize("notice", NOTICES)
@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_notepad_unicode_is_read_with_or_without_a_byte_order_mark(notice: str,
                                                                   encoding: str) -> None:
    data = notice.encode(encoding)
    assert decode(data) == notice  # every other byte NUL: UTF-16 without a mark
    mark = b"\xff\xfe" if encoding.endswith("le") else b"\xfe\xff"
    assert decode(mark + data) == notice


@pytest.mark.parametrize("notice", NOTICES)
def test_windows_1258_notices_are_read_composed(notice: str) -> None:
    data = windows_1258(notice)
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    text = decode(data)
    assert text == unicodedata.normalize("NFC", notice)
    assert unicodedata.is_normalized("NFC", text)


def test_windows_1258_tone_marks_come_after_the_vowel_and_are_composed() -> None:
    assert windows_1258("họp") == b"ho\xf2p"  # o, then the combining dot below
    assert decode(b"Th\xf4ng b\xe1o ho\xf2p th\xf4n") == "Thông báo họp thôn"
    assert decode(b"ho\xf2p") == "h\u1ecdp"


@pytest.mark.parametrize("notice", ["Huyện Kông Chro, tỉnh Gia Lai, họp dân",
                                    "Làng Kơ Nia tổ chức lễ mừng lúa mới",
                                    "Đoàn công tác về Đắk Lắk"])
def test_central_highlands_names_written_with_k_read_in_windows_1258(notice: str) -> None:
    assert decode(windows_1258(notice)) == notice


def test_only_quotes_and_dashes_of_windows_are_read_as_they_look() -> None:
    assert decode(b"\x93Hop dan\x94 \x96 8 gio") == "“Hop dan” – 8 gio"


def test_control_characters_inside_text_are_kept_for_the_normalizer() -> None:
    assert decode("Xin chào\x00bà con".encode()) == "Xin chào\x00bà con"
    assert decode(windows_1258("Xin chào\x01bà con")) == "Xin chào\x01bà con"
    assert decode("Xin chào\x00bà con".encode("utf-16-le")) == "Xin chào\x00bà con"


# --- what is refused ---------------------------------------------------------------------------

TCVN3 = [  # the same notices saved from .VnTime fonts
    b"K\xddnh m\xeai b\xb5 con \xae\xd5n h\xe4p t\xb9i nh\xb5 v\xa8n h\xe3a th\xabn l\xf3c 8 "
    b"gi\xea s\xb8ng mai.",
    b"Th\xabng b\xb8o",
    b"B\xb6o Th\xbeng",  # Bảo Thắng
    b"Tr\xb9m Th\xf3 y ti\xaam ph\xdfng cho \xae\xb5n gia c\xc7m",
    b"TH\xa4NG B\xb8O KH\xc8N",  # in .VnTimeH: the capitals are the font's
]


@pytest.mark.parametrize("data", TCVN3)
def test_tcvn3_is_refused_with_how_to_convert_it(data: bytes) -> None:
    message = refusal(data)
    assert "TCVN3" in message
    assert "Unikey" in message and "UTF-8" in message


@pytest.mark.parametrize("text", [
    "Xin chaøo caùc baïn",  # VNI: Xin chào các bạn
    "UÛy ban nhaân daân xaõ thoâng baùo lòch caét ñieän.",
    "Baø con löu yù: nöôùc soâng ñang leân nhanh.",
    "Thoâng baùo",
])
def test_vni_is_refused_rather_than_read_wrong(text: str) -> None:
    message = refusal(text.encode("cp1252"))
    assert "not UTF-8" in message and "save it as UTF-8" in message


def test_vni_that_spells_syllables_is_refused_for_where_its_marks_sit() -> None:
    # VNI "Má, bá, cá" read as Windows-1258 spells mau, bau, cau with the sắc on the u.
    assert "not UTF-8" in refusal("Maù, baù, caù".encode("cp1252"))


@pytest.mark.parametrize("text", ["Réunion du conseil municipal à 18 h, café offert",
                                  "Gemeinderatssitzung für alle Bürger"])
def test_other_languages_in_windows_code_pages_are_refused(text: str) -> None:
    assert "not UTF-8" in refusal(text.encode("cp1252"))


@pytest.mark.parametrize(("data", "what"), [
    (b"ID3\x04\x00\x00\x00\x00\x00\x23TSSE" + bytes(range(256)), "audio file"),
    (b"\xff\xfb\x90\x64" + bytes(200), "audio file"),
    (b"RIFF\x24\x08\x00\x00WAVEfmt ", "audio file"),
    (b"\x00\x00\x00\x20ftypM4A " + bytes(100), "audio file"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "a PNG image"),
    (b"PK\x03\x04\x14\x00\x06\x00", "a Word, Excel or ZIP file"),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3", "a PDF document"),
    (bytes(range(256)) * 4, "binary data"),
])
def test_files_that_are_not_text_are_named_and_refused(data: bytes, what: str) -> None:
    message = refusal(data)
    assert what in message
    assert "not text" in message


def test_utf16_cut_short_is_refused() -> None:
    assert "damaged" in refusal(b"\xff\xfe" + "Thông báo".encode("utf-16-le")[:-1])


@settings(max_examples=2000, deadline=None)
@given(st.binary(max_size=400))
def test_any_bytes_are_text_or_a_one_line_refusal(data: bytes) -> None:
    try:
        text = decode(data)
    except OperatorError as refused:
        assert str(refused) and "\n" not in str(refused)
    else:
        assert isinstance(text, str)


WORDS = sorted({word for notice in NOTICES for word in notice.split()})


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(WORDS), min_size=1, max_size=30).map(" ".join))
def test_any_notice_of_vietnamese_words_in_windows_1258_reads_back(notice: str) -> None:
    assert decode(windows_1258(notice)) == unicodedata.normalize("NFC", notice)


# --- through the command line, as an operator runs it ------------------------------------------

def broadcaster(station: Station, *args: str | bytes,
                stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    """`broadcaster ARGS` with arguments and standard input as raw bytes."""
    env = {**os.environ, "BROADCASTER_CONFIG": str(station.config_file)}
    command: list[str | bytes] = [sys.executable, "-m", "broadcaster", *args]
    return subprocess.run(command, input=stdin, capture_output=True, env=env, cwd=station.root,
                          timeout=60, check=False)


NOTICE = "Ủy ban nhân dân xã thông báo: ngày 01/12/2026 họp thôn lúc 7h30."


def test_an_argument_in_windows_1258_is_read_as_vietnamese(station: Station) -> None:
    as_utf8 = broadcaster(station, "normalize", NOTICE)
    assert as_utf8.returncode == 0, as_utf8.stderr
    done = broadcaster(station, "normalize", windows_1258(NOTICE))
    assert done.returncode == 0, done.stderr
    assert done.stdout == as_utf8.stdout
    assert "ngày mùng một tháng mười hai" in done.stdout.decode()
    assert "họp thôn lúc bảy giờ ba mươi" in done.stdout.decode()


def test_notepad_unicode_on_standard_input_is_read(station: Station) -> None:
    as_utf8 = broadcaster(station, "normalize", NOTICE)
    for data in (NOTICE.encode("utf-16-le"), b"\xfe\xff" + NOTICE.encode("utf-16-be")):
        done = broadcaster(station, "normalize", "-", stdin=data)
        assert done.returncode == 0, done.stderr
        assert done.stdout == as_utf8.stdout


def test_windows_1258_on_standard_input_is_read(station: Station) -> None:
    done = broadcaster(station, "normalize", stdin=windows_1258("Thông báo họp thôn"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode().strip() == "Thông báo họp thôn"


@pytest.mark.parametrize(("args", "stdin", "reason"), [
    (("normalize",), b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + os.urandom(2000), b"PNG image"),
    (("normalize", "-"), b"ID3\x04\x00" + os.urandom(2000), b"broadcaster play FILE"),
    (("normalize",), bytes(range(256)) * 8, b"binary data"),
    (("normalize", TCVN3[0]), None, b"TCVN3"),
    (("say", "Xin chaøo caùc baïn".encode("cp1252")), None, b"not UTF-8"),
])
def test_what_is_not_text_is_refused_in_one_line_and_changes_nothing(
        station: Station, args: tuple[str | bytes, ...], stdin: bytes | None,
        reason: bytes) -> None:
    before = station.files()
    done = broadcaster(station, *args, stdin=stdin)
    assert done.returncode == 1
    assert done.stderr.count(b"\n") == 1, done.stderr
    assert reason in done.stderr
    assert b"Traceback" not in done.stderr
    assert station.files() == before


def test_a_loan_word_in_a_short_windows_1258_notice_is_read() -> None:
    from broadcaster.text_in import decode

    text = "Tuyến xe buýt số 5 chạy từ 6 giờ"
    assert decode(windows_1258(text)) == text
