"""Figures written with digits, read as an announcer reads them.

Dates (15/8, 05/12/2026, tháng 4/2026), times (17h30, 06:29, 17g30), ranges (7-9 giờ,
15-20/11), decimals and thousands the Vietnamese way (1.250.000; 3,5), units and money
after a number (120 km, 25°C, 500.000đ), negative numbers, and phone numbers digit by
digit. `figure_pattern` finds one figure or a range of two; `read_figure` says it.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable

from broadcaster.i18n import N_, Phrase
from broadcaster.speech.changes import note
from broadcaster.speech.numbers import (
    read_cardinal,
    read_decimal,
    read_digits,
    read_ordinal,
)

DAY_PREFIX = "mùng"  # days 1-10 are "mùng năm", which no listener takes for "năm" (year)
RANGE_WORD = "đến"  # 7-9 giờ → bảy đến chín giờ
SLASH_WORD = "trên"  # 32/13, 188/KH-UBND → ... trên ...

_DATE = (r"[0-9]{1,2}/[0-9]{1,2}/(?:[0-9]{4}|[0-9]{2})(?![0-9/])"
         r"|[0-9]{1,2}-[0-9]{1,2}-[0-9]{4}|[0-9]{1,2}\.[0-9]{1,2}\.[0-9]{4}"
         r"|(?:19|20)[0-9]{2}-[0-9]{2}-[0-9]{2}(?![0-9])")  # ISO: 2026-12-20
_TIME = r"[0-9]{1,2}(?:[hg][0-9]{1,2}(?:ph|p)?|:[0-9]{2}(?::[0-9]{2})?|h)"
_RATIO = r"[0-9]+:[0-9]+"
_MONTH_YEAR = r"[0-9]{1,2}/[0-9]{4}(?![0-9/])"
_DAY_MONTH = r"[0-9]{1,2}/[0-9]{1,2}(?![0-9/])"
_THOUSANDS = (r"[0-9]{1,3}(?:\.[0-9]{3})+(?:,[0-9]+)?(?![.,]?[0-9])"  # 1.250.000 and 1.250,5
              r"|[0-9]{1,3}(?:,[0-9]{3}){2,}(?:\.[0-9]+)?(?![.,]?[0-9])")  # 1,250,000 pasted
_LIST = r"[0-9]+(?:,[0-9]+){2,}"  # thôn 1,2,3
_SECTION = r"[0-9]+(?:\.[0-9]+){2,}"  # mục 1.2.3
_NUMBER = r"[0-9]+(?:[.,][0-9]+)?"
_KINDS = {name: re.compile(pattern) for name, pattern in (
    ("date", _DATE), ("time", _TIME), ("ratio", _RATIO), ("month_year", _MONTH_YEAR),
    ("day_month", _DAY_MONTH), ("thousands", _THOUSANDS), ("list", _LIST),
    ("section", _SECTION), ("number", _NUMBER))}
_CORE = "|".join(_KINDS[kind].pattern for kind in _KINDS)
# What `normalize --explain` says a figure was read as (Change.why keeps the English).
FIGURE_KINDS = {"date": N_("date"), "time": N_("time"), "ratio": N_("ratio"),
                "month_year": N_("month year"), "day_month": N_("day month"),
                "thousands": N_("thousands"), "list": N_("list"), "section": N_("section"),
                "number": N_("number"), "fraction": N_("fraction")}

PHONE = (r"(?<![^\W_]|[.,+])(?:"
         r"\(0[0-9]{2,3}\)\s?[0-9](?:[ .]?[0-9]){6,7}|"  # (0235) 3 822 113
         r"\+[0-9]{2}[ .-]?[0-9]{2,3}(?:[ .-]?[0-9]{3,4}){2}"  # +84 912 345 678
         r"|0[0-9]{2,3}[ .-][0-9]{3,4}[ .-][0-9]{3,4}"  # 0912 345 678, 024-3825-1234
         r"|0[0-9]{2,3}[ .-][0-9]{6,7}|0[0-9]{9,10}"  # 0912 345678, 0912345678
         r"|1[89]00[ .-]?[0-9]{4}|1[89]00[ .-]?[0-9]{2,3}[ .-][0-9]{2,3}"  # 1900 1234
         r")(?![^\W_]|[.,][0-9])")

# Words before a figure that change how it is read.
_DAY_BEFORE = re.compile(r"(?i)\bngày\s*$")
_MONTH_BEFORE = re.compile(r"(?i)\btháng\s*$")
_MONTH_AFTER = re.compile(r"(?i)\s*tháng\b")
ORDINAL_BEFORE = re.compile(r"(?i)\bthứ\s*$")
_RATIO_BEFORE = re.compile(r"(?i)\b(?:tỷ|tỉ)\s+(?:lệ|số)\s*$")
_NOT_A_DATE_BEFORE = re.compile(
    r"(?i)\b(?:số|tỷ lệ|tỉ lệ|khoảng|chiếm|đạt|gần|hơn|trên|còn|bằng|điểm|tăng|giảm|gấp"
    r"|thêm|vượt|chỉ|mất)\s*$")
# A day and month written with a dash after these words is a date: ngày 3-12, dịp 30-4.
_DASH_DATE_BEFORE = re.compile(r"(?i)\b(?:ngày|dịp|lễ|tết)\s*$")
_DASH_DATE_NOT_AFTER = re.compile(r"(?i)\s*(?:tháng|/|[0-9])")
# Short numbers 111-116 are the emergency lines (113 police, 114 fire, 115 ambulance): said
# digit by digit when a call or a service is named before them in the sentence and no
# counted thing follows (gọi 113, 114 hoặc 115; Công an 113), never in "113 hộ".
_HOTLINE = re.compile(r"11[1-6]")
_HOTLINE_BEFORE = re.compile(
    r"(?i)(?:gọi|số máy|điện thoại|đường dây nóng|hotline|tổng đài|liên hệ|công an|cảnh sát"
    r"|cứu hỏa|chữa cháy|cứu nạn|cứu hộ|cấp cứu|khẩn cấp|báo|bảo vệ trẻ em)[^.!?;]{0,40}$")
_HOTLINE_AFTER = re.compile(
    r"(?i)\s*(?:$|[,.;:!?)/–-]|(?:và|hoặc|hay|để|khi|ngay|nếu|miễn phí|trong|của|là|thì)\b)")
_FRACTION_MAX = 100  # 1/3 một phần ba ... 1/100; 19/19, 32/13 stay "trên"
# A share, not an address (số 1/5 đường Lê Lợi) nor a class: tăng 1/3, khoảng 1/2 số hộ.
_SHARE_BEFORE = re.compile(
    r"(?i)\b(?:tỷ lệ|tỉ lệ|khoảng|chiếm|đạt|gần|hơn|trên|còn|bằng|tăng|giảm|gấp|thêm|vượt"
    r"|chỉ|mất)\s*$")
_MONEY = ("đồng", "đô la", "nghìn", "triệu")  # unit readings after which / is "một": đ/con
_NOT_A_DATE_AFTER = re.compile(r"(?i)\s*(?:số|tổng số|diện tích|dân số)\b")  # 1/2 số hộ
_PHONE_BEFORE = re.compile(
    r"(?i)\b(?:hotline|điện thoại|sđt|đtdđ|di động|đường dây nóng|tổng đài|số máy|fax|tel"
    r"|zalo|gọi(?:\s+(?:đến|tới|vào|ngay))?)(?:\s+số)?\s*[:.]?\s*$")
_NOT_DATES = frozenset({"24/7"})  # trực 24/7
PLAIN_MAX_DIGITS = 15  # a longer bare digit string is an account or ID: digit by digit
_SIGN_WORDS = {"/": SLASH_WORD, ":": SLASH_WORD, "-": "gạch", ".": "chấm"}


def figure_pattern(unit_names: tuple[str, ...]) -> str:
    """Regex source of a figure or a range "a - b", with its unit(s); groups are named."""
    unit = "|".join(re.escape(name) for name in unit_names) or "(?!)"
    units = rf"(?:{unit})(?:/(?:{unit}))*"
    return (rf"(?P<dollar>\$\s?)?(?P<minus>(?<![^\s(\[:])-(?=[0-9]))?(?<![^\W_])"
            rf"(?P<first>{_CORE})(?:\s?(?P<first_unit>{units})"
            rf"(?P<per>(?:\s?/\s?[^\W\d_]+){{0,3}}))?(?![^\W_])"
            rf"(?:\s*[-–—]\s*(?P<second>{_CORE})(?:\s?(?P<second_unit>{units}))?(?![^\W_]))?")


def read_figure(match: re.Match[str], before: str, after: str,
                unit_reading: Callable[[str], str | None]) -> tuple[str, str]:
    """(words, what kind of figure) of a `figure_pattern` match; `before`/`after` are the
    text around it."""
    first, second = match.group("first"), match.group("second")
    kind, spoken = _read(first, before, after if second is None else "")
    if match.group("minus"):
        spoken = f"âm {spoken}"
    spoken = _with_unit(spoken, match.group("first_unit"), unit_reading, match.group("per"))
    if match.group("dollar"):
        spoken += " đô la"
    named = Phrase(FIGURE_KINDS.get(kind, kind))
    why: str = Phrase(N_("{kind} with its unit"), kind=named) if match.group("first_unit") \
        else named
    if why == "number":
        why = ""  # a plain number read as one needs no explaining (special cases note it)
    if second is None:
        return spoken, why
    if (first.isdigit() and second.isdigit() and _DASH_DATE_BEFORE.search(before)
            and _is_day(int(first)) and _is_month(int(second))
            and not match.group("first_unit") and not match.group("second_unit")
            and not _DASH_DATE_NOT_AFTER.match(after)):
        return _date([first, second], before), N_("day and month with a dash after ngày: a date")
    second_kind, second_spoken = _read(second, "", "")
    if kind == "number" and second_kind == "date" and first.isdigit() and _is_day(int(first)):
        spoken = _day(first) if _DAY_BEFORE.search(before) else f"ngày {_day(first)}"
    if ORDINAL_BEFORE.search(before) and second.isdigit():
        second_spoken = f"thứ {read_ordinal(second)}"  # thứ 2-6 → thứ hai đến thứ sáu
    second_spoken = _with_unit(second_spoken, match.group("second_unit"), unit_reading)
    return f"{spoken} {RANGE_WORD} {second_spoken}", N_("range: the dash read đến")


def read_phone(number: str) -> str:
    """Digit by digit, in the groups written (0912 345 678) or the usual ones (0912345678)."""
    spoken: list[str] = []
    if number.startswith("("):  # (0235) 3 822 113: the area code, then the subscriber's
        area, _, rest = number[1:].partition(")")
        digits = re.sub(r"[^0-9]", "", rest)
        return ", ".join([read_digits(area), read_digits(digits[:4]), read_digits(digits[4:])])
    if number.startswith("+"):
        spoken.append(f"cộng {read_digits(number[1:3])}")
        number = number[3:].lstrip(" .-")
    groups = re.split(r"[ .-]", number)
    if len(groups) == 1:
        sizes = {10: (4, 3, 3), 11: (3, 4, 4), 8: (4, 4)}.get(len(number), (len(number),))
        at = [sum(sizes[:i]) for i in range(len(sizes) + 1)]
        groups = [number[start:end] for start, end in itertools.pairwise(at)]
    return ", ".join(spoken + [read_digits(group) for group in groups if group])


def _read(text: str, before: str, after: str) -> tuple[str, str]:
    """(kind, words) of one figure without its unit; kind is "date" for any valid date."""
    kind = next(name for name, pattern in _KINDS.items() if pattern.fullmatch(text))
    numbers = re.findall(r"[0-9]+", text)
    if kind == "date" and len(numbers[0]) == 4:
        numbers.reverse()  # 2026-12-20 is day 20 of month 12
    values = [int(n) if len(n) <= 4 else -1 for n in numbers]
    if kind == "date" and _is_day(values[0]) and _is_month(values[1]):
        return "date", _date(numbers, before)
    if kind == "time" and _is_time(text, values, before):
        return "time", _time(numbers)
    if kind == "month_year" and _is_month(values[0]):
        month_year = f"{_month(numbers[0])} năm {read_cardinal(numbers[1])}"
        return "date", month_year if _MONTH_BEFORE.search(before) else f"tháng {month_year}"
    if (kind == "day_month" and _is_day(values[0]) and _is_month(values[1])
            and text not in _NOT_DATES and not _NOT_A_DATE_BEFORE.search(before)
            and not _NOT_A_DATE_AFTER.match(after)):
        return "date", _date(numbers, before)
    if kind == "thousands":
        whole, fraction = _thousands(text)
        return kind, read_decimal(whole, fraction) if fraction else read_cardinal(whole)
    if kind == "list":
        return kind, ", ".join(read_cardinal(n) for n in numbers)
    if kind == "number":
        return kind, _number(text, before, after)
    if (re.fullmatch(r"[0-9]+/[0-9]+", text) and 0 < values[0] < values[1] <= _FRACTION_MAX
            and (_SHARE_BEFORE.search(before) or _NOT_A_DATE_AFTER.match(after))):
        return "fraction", f"{read_cardinal(numbers[0])} phần {read_cardinal(numbers[1])}"
    # Not a valid date or time (32/13, 25:70) or a ratio (tỷ lệ 1:500): numbers and signs.
    signs = [_SIGN_WORDS.get(ch, "") for ch in re.findall(r"[^0-9]", text)]
    words = [read_cardinal(n) for n in numbers]
    return kind, " ".join(w for pair in zip(words, [*signs, ""], strict=True) for w in pair if w)


def _is_time(text: str, values: list[int], before: str) -> bool:
    if ":" not in text:
        return True  # 17h30, and 48h, which is a duration read the same way
    return (not _RATIO_BEFORE.search(before) and 0 <= values[0] <= 24
            and all(0 <= v <= 59 for v in values[1:]))


def _number(text: str, before: str, after: str) -> str:
    if "." in text or "," in text:
        whole, fraction = re.split(r"[.,]", text)
        return read_decimal(whole, fraction)
    if _HOTLINE.fullmatch(text) and _HOTLINE_BEFORE.search(before) and _HOTLINE_AFTER.match(after):
        return _noted(text, read_digits(text), N_("emergency line: digit by digit"))
    if (_PHONE_BEFORE.search(before) or (text.startswith("0") and len(text) >= 3)
            or len(text) > PLAIN_MAX_DIGITS):
        return _noted(text, read_digits(text), N_("a phone number, a code or a long number: "
                                                  "digit by digit"))
    if ORDINAL_BEFORE.search(before):
        return _noted(text, read_ordinal(text), N_("after thứ: an ordinal"))
    if len(text) <= 2 and _MONTH_BEFORE.search(before) and _is_month(int(text)):
        return _month(text)
    if len(text) <= 2 and _DAY_BEFORE.search(before) and _MONTH_AFTER.match(after):
        return _day(text)
    return read_cardinal(text)


def _noted(written: str, spoken: str, why: str) -> str:
    note(written, spoken, why)
    return spoken


def _thousands(text: str) -> tuple[str, str]:
    """(whole digits, fraction digits) of 1.250.000,5 or 1,250,000.5."""
    group_mark = text[len(text.split(".")[0].split(",")[0])]
    whole, _, fraction = text.partition("," if group_mark == "." else ".")
    return whole.replace(group_mark, ""), fraction


def _date(numbers: list[str], before: str) -> str:
    day = _day(numbers[0])
    spoken = f"{day} tháng {_month(numbers[1])}"
    if len(numbers) == 3:
        spoken += f" năm {read_cardinal(numbers[2])}"
    return spoken if _DAY_BEFORE.search(before) else f"ngày {spoken}"


def _time(numbers: list[str]) -> str:
    words = [read_cardinal(numbers[0]), "giờ"]
    for number, unit in zip(numbers[1:], ("phút", "giây"), strict=False):
        if int(number):
            words += [read_cardinal(number), unit]
    return " ".join(words)


def _day(digits: str) -> str:
    value = int(digits)
    if DAY_PREFIX and 1 <= value <= 10:
        return f"{DAY_PREFIX} {read_cardinal(digits)}"
    return read_cardinal(digits)


def _month(digits: str) -> str:
    return "tư" if int(digits) == 4 else read_cardinal(digits)  # tháng tư; tháng một, not giêng


def _is_day(value: int) -> bool:
    return 1 <= value <= 31


def _is_month(value: int) -> bool:
    return 1 <= value <= 12


def _with_unit(spoken: str, unit: str | None, unit_reading: Callable[[str], str | None],
               per: str | None = None) -> str:
    """The figure's words with its unit; "/" after money is "một" (5.900đ/con: đồng một
    con), after other units "trên" (6,5 tấn/ha: tấn trên héc ta)."""
    if not unit:
        return spoken
    unit = unit.strip()
    names = [unit] if unit_reading(unit) else unit.split("/")  # "km/h" is one unit, "đ/kg" two
    names += [name.strip() for name in (per or "").split("/") if name.strip()]
    readings = [unit_reading(name) or name for name in names]
    joint = " một " if readings[0].startswith(_MONEY) else f" {SLASH_WORD} "
    return " ".join([spoken, joint.join(readings)])
