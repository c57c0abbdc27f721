"""Numbers read as a Vietnamese announcer reads them: mốt, lăm, tư, linh, không trăm."""

from __future__ import annotations

import pytest

from broadcaster.speech.numbers import (
    read_cardinal,
    read_decimal,
    read_digits,
    read_ordinal,
    roman_value,
)

CARDINALS = {
    0: "không", 1: "một", 2: "hai", 3: "ba", 4: "bốn", 5: "năm", 6: "sáu", 7: "bảy",
    8: "tám", 9: "chín", 10: "mười", 11: "mười một", 12: "mười hai", 13: "mười ba",
    14: "mười bốn", 15: "mười lăm", 16: "mười sáu", 17: "mười bảy", 18: "mười tám",
    19: "mười chín", 20: "hai mươi", 21: "hai mươi mốt", 22: "hai mươi hai",
    23: "hai mươi ba", 24: "hai mươi tư", 25: "hai mươi lăm", 26: "hai mươi sáu",
    27: "hai mươi bảy", 28: "hai mươi tám", 29: "hai mươi chín", 30: "ba mươi",
    31: "ba mươi mốt", 44: "bốn mươi tư", 55: "năm mươi lăm", 70: "bảy mươi",
    99: "chín mươi chín",
    100: "một trăm",
    101: "một trăm linh một",
    104: "một trăm linh bốn",
    105: "một trăm linh năm",
    110: "một trăm mười",
    111: "một trăm mười một",
    114: "một trăm mười bốn",
    115: "một trăm mười lăm",
    121: "một trăm hai mươi mốt",
    124: "một trăm hai mươi tư",
    125: "một trăm hai mươi lăm",
    200: "hai trăm",
    999: "chín trăm chín mươi chín",
    1000: "một nghìn",
    1001: "một nghìn không trăm linh một",
    1005: "một nghìn không trăm linh năm",
    1010: "một nghìn không trăm mười",
    1015: "một nghìn không trăm mười lăm",
    1100: "một nghìn một trăm",
    1945: "một nghìn chín trăm bốn mươi lăm",
    2000: "hai nghìn",
    2024: "hai nghìn không trăm hai mươi tư",
    2026: "hai nghìn không trăm hai mươi sáu",
    10000: "mười nghìn",
    10500: "mười nghìn năm trăm",
    21000: "hai mươi mốt nghìn",
    35500: "ba mươi lăm nghìn năm trăm",
    100000: "một trăm nghìn",
    105000: "một trăm linh năm nghìn",
    500000: "năm trăm nghìn",
    1000000: "một triệu",
    1000001: "một triệu không trăm linh một",
    1005000: "một triệu không trăm linh năm nghìn",
    1250000: "một triệu hai trăm năm mươi nghìn",
    2500000: "hai triệu năm trăm nghìn",
    999999999: "chín trăm chín mươi chín triệu chín trăm chín mươi chín nghìn "
               "chín trăm chín mươi chín",
    1000000000: "một tỷ",
    1000000005: "một tỷ không trăm linh năm",
    1500000000: "một tỷ năm trăm triệu",
    1500000000000: "một nghìn năm trăm tỷ",
    10**18: "một tỷ tỷ",
    2 * 10**18 + 21: "hai tỷ tỷ không trăm hai mươi mốt",
}


@pytest.mark.parametrize(("number", "words"), CARDINALS.items(), ids=str)
def test_cardinal_reading(number: int, words: str) -> None:
    assert read_cardinal(str(number)) == words


def test_leading_zeros_do_not_change_a_cardinal() -> None:
    assert read_cardinal("05") == "năm"
    assert read_cardinal("000") == "không"


def test_a_digit_string_too_long_for_words_is_read_digit_by_digit() -> None:
    digits = "1234567890" * 5
    assert read_cardinal(digits) == read_digits(digits)
    assert read_cardinal("9" * 5000).count("chín") == 5000  # no int() size limit is hit


def test_digits_are_read_one_by_one() -> None:
    assert read_digits("0912") == "không chín một hai"


@pytest.mark.parametrize(("whole", "fraction", "words"), [
    ("3", "5", "ba phẩy năm"),
    ("12", "75", "mười hai phẩy bảy mươi lăm"),
    ("0", "05", "không phẩy không năm"),
    ("1", "25", "một phẩy hai mươi lăm"),
    ("3", "125", "ba phẩy một trăm hai mươi lăm"),
    ("3", "14159", "ba phẩy một bốn một năm chín"),
])
def test_decimal_reading(whole: str, fraction: str, words: str) -> None:
    assert read_decimal(whole, fraction) == words


@pytest.mark.parametrize(("digits", "words"), [
    ("1", "nhất"), ("2", "hai"), ("4", "tư"), ("7", "bảy"), ("14", "mười bốn"),
])
def test_ordinal_after_thu(digits: str, words: str) -> None:
    assert read_ordinal(digits) == words


@pytest.mark.parametrize(("letters", "value"), [
    ("I", 1), ("IV", 4), ("IX", 9), ("XIII", 13), ("XV", 15), ("XXI", 21), ("XL", 40),
    ("MCMXLV", 1945), ("IIII", None), ("VV", None), ("MI", 1001), ("ABC", None), ("", None),
])
def test_roman_numerals(letters: str, value: int | None) -> None:
    assert roman_value(letters) == value
