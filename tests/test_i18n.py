"""The operator's language: every message has its Vietnamese, placeholders agree, the
command line speaks Vietnamese unless asked for English (SPEC §3, §4)."""

from __future__ import annotations

import json
import os
import string
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from broadcaster import i18n

ROOT = Path(__file__).parent.parent
PO = ROOT / "broadcaster" / "locale" / "vi" / "LC_MESSAGES" / "broadcaster.po"
KEYWORDS = {"N_": None, "_": None, "ngettext": (1, 2)}


def marked_messages() -> set[str]:
    """Every message the code marks, as `scripts/i18n extract` finds them."""
    found: set[str] = set()
    method_map = [("broadcaster/**.py", "python"),
                  ("broadcaster/web/templates/**.html", "jinja2")]  # as babel.cfg says
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map=method_map, keywords=KEYWORDS):
        found.update([message] if isinstance(message, str) else message)
    return found


def catalog() -> dict[str, str]:
    with PO.open("rb") as source:
        return {str(m.id): str(m.string) for m in read_po(source) if m.id
                and not m.fuzzy}


def fields(text: str) -> list[str]:
    return sorted(name for _, name, _, _ in string.Formatter().parse(text) if name is not None)


def test_every_marked_message_has_its_vietnamese() -> None:
    translated = {msgid for msgid, msgstr in catalog().items() if msgstr}
    missing = sorted(marked_messages() - translated)
    assert missing == [], f"scripts/i18n extract, then update, then translate: {missing}"


def test_placeholders_are_the_same_in_both_languages() -> None:
    differ = {msgid: msgstr for msgid, msgstr in catalog().items()
              if msgstr and fields(msgid) != fields(msgstr)}
    assert differ == {}


def test_the_installed_catalog_is_compiled_from_the_current_one() -> None:
    with PO.with_suffix(".mo").open("rb") as compiled:
        assert {str(m.id): str(m.string) for m in read_mo(compiled) if m.id} == {
            msgid: msgstr for msgid, msgstr in catalog().items() if msgstr}


def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items()
                   if key not in ("BROADCASTER_LANG", "BROADCASTER_CONFIG")}
    return subprocess.run([sys.executable, "-m", "broadcaster", *args], capture_output=True,
                          text=True, check=False, env={**environment, **env})


def test_the_command_line_speaks_vietnamese_by_default_and_english_on_request(
        tmp_path: Path) -> None:
    config = tmp_path / "broadcaster.toml"
    config.write_text(f'[station]\ndata_dir = "{tmp_path / "data"}"\n', encoding="utf-8")
    assert run("queue", "--config", str(config)).stdout.strip() == (
        "hàng chờ trống: không có gì chờ phát")
    assert run("queue", "--config", str(config), BROADCASTER_LANG="en").stdout.strip() == (
        "nothing is queued")
    config.write_text(f'[station]\nlanguage = "en"\ndata_dir = "{tmp_path / "data"}"\n',
                      encoding="utf-8")
    assert run("queue", "--config", str(config)).stdout.strip() == "nothing is queued"


def test_the_system_locale_does_not_switch_the_language(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(i18n.ENV_VAR, raising=False)
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    monkeypatch.setenv("LANGUAGE", "en")
    monkeypatch.setattr(i18n, "_chosen", [])
    assert i18n.language() == "vi"
    assert i18n._(
        "nothing is queued") == "hàng chờ trống: không có gì chờ phát"


# --- the command line end to end: Vietnamese unless asked for English -----------------------

def station_config(tmp_path: Path) -> str:
    config = tmp_path / "broadcaster.toml"
    config.write_text(f'[station]\ndata_dir = "{tmp_path / "data"}"\n', encoding="utf-8")
    return str(config)


def test_help_lists_the_commands_in_vietnamese_or_in_english() -> None:
    vietnamese, english = run("--help").stdout, run("--help", BROADCASTER_LANG="en").stdout
    assert "Đưa thông báo đọc vào hàng chờ (có nhạc hiệu)." in vietnamese
    assert "Lệnh" in vietnamese and "Tùy chọn" in vietnamese  # Typer's own section names
    assert "Queue a spoken notice (with the chime)." in english
    assert "Commands" in english and "Đưa thông báo" not in english


def test_status_of_a_stopped_station_in_vietnamese_or_in_english(tmp_path: Path) -> None:
    config = station_config(tmp_path)
    vietnamese = run("status", "--config", config).stdout.splitlines()
    english = run("status", "--config", config, BROADCASTER_LANG="en").stdout.splitlines()
    assert vietnamese[0].startswith("phần mềm đài: KHÔNG CHẠY - sẽ không phát gì")
    assert english[0].startswith("daemon: NOT RUNNING - nothing will air")
    assert "đồng hồ: CHƯA đồng bộ" in vietnamese or "đồng hồ: đã đồng bộ (NTP)" in vietnamese


def test_a_refusal_is_one_line_in_the_operators_language(tmp_path: Path) -> None:
    config = station_config(tmp_path)
    vietnamese = run("say", "", "--config", config)
    english = run("say", "", "--config", config, BROADCASTER_LANG="en")
    assert (vietnamese.returncode, english.returncode) == (1, 1)
    assert vietnamese.stderr == ("nội dung không có gì để đọc; hãy viết thông báo bằng chữ\n")
    assert english.stderr == "the text has nothing to read aloud; write the notice in words\n"


@pytest.mark.parametrize(("args", "vietnamese", "english"), [
    (["cancel"], "thiếu ID; xem `broadcaster cancel --help`",
     "ID is missing; see `broadcaster cancel --help`"),
    (["cancel", "abc"], "ID phải là số nguyên, không phải 'abc'; xem `broadcaster cancel --help`",
     "ID must be a whole number, not 'abc'; see `broadcaster cancel --help`"),
    (["say", "Họp", "tổ", "--at", "+1h"],
     "thừa đối số (tổ); nội dung có dấu cách phải đặt trong dấu ngoặc kép; "
     "xem `broadcaster say --help`",
     "too many arguments (tổ); put a text with spaces in quotes; see `broadcaster say --help`"),
    (["say", "Họp tổ", "--lvel", "priority"],
     "không có tùy chọn --lvel (có phải ý là --help, --level, --title?); "
     "xem `broadcaster say --help`",
     "there is no option --lvel (did you mean --help, --level, --title?); "
     "see `broadcaster say --help`"),
    (["say", "Họp tổ", "--repeat", "11"],
     "--repeat tối đa là 10, không phải '11'; xem `broadcaster say --help`",
     "--repeat must be at most 10, not '11'; see `broadcaster say --help`"),
    (["log", "--since"], "tùy chọn --since cần một giá trị ngay sau nó",
     "the option --since needs a value after it"),
    (["user", "add", "lan", "--role", "admin"],
     "--role phải là một trong 'viewer', 'operator', 'leader', không phải 'admin'; "
     "xem `broadcaster user add --help`",
     "--role must be one of 'viewer', 'operator', 'leader', not 'admin'; "
     "see `broadcaster user add --help`"),
    (["nothing"], "Không có lệnh 'nothing'; xem `broadcaster --help`",
     "No such command 'nothing'; see `broadcaster --help`"),
])
def test_a_usage_error_is_one_line_in_the_operators_language(
        tmp_path: Path, args: list[str], vietnamese: str, english: str) -> None:
    """What Click would write in English on three lines ("Usage: …", "Try '…' for help.",
    "Error: …") is one line that says what was wrong, and where to read more."""
    config = station_config(tmp_path)
    for language, line in (("vi", vietnamese), ("en", english)):
        done = run(*args, BROADCASTER_CONFIG=config, BROADCASTER_LANG=language)
        assert (done.returncode, done.stderr, done.stdout) == (2, line + "\n", "")
    assert not (tmp_path / "data").exists()  # changed nothing


def test_the_help_pages_own_words_are_in_the_operators_language() -> None:
    vietnamese = run("cancel", "--help").stdout
    english = run("cancel", "--help", BROADCASTER_LANG="en").stdout
    assert vietnamese.startswith("Cách dùng: broadcaster cancel [OPTIONS] ID\n")
    assert "--help           Hiện trợ giúp này rồi thoát." in vietnamese
    assert "Show this message" not in vietnamese and "Usage" not in vietnamese
    assert english.startswith("Usage: broadcaster cancel [OPTIONS] ID\n")
    assert "Show this message and exit." in english
    group = run("playlist", "--help").stdout
    assert group.startswith("Cách dùng: broadcaster playlist") and "Hiện trợ giúp" in group


def test_playlist_problems_keep_file_and_line_in_front(tmp_path: Path) -> None:
    config = station_config(tmp_path)
    playlist = tmp_path / "sang.yaml"
    playlist.write_text("title: Bản tin buổi sáng\nitems: []\n", encoding="utf-8")
    vietnamese = run("playlist", "check", str(playlist), "--config", config)
    english = run("playlist", "check", str(playlist), "--config", config, BROADCASTER_LANG="en")
    assert vietnamese.stderr == (f"{playlist}:2: 'items' trống; hãy ghi ít nhất một thứ cần "
                                 "phát, ví dụ '  - say: ...'\n")
    assert english.stderr == (f"{playlist}:2: 'items' is empty; list at least one thing to "
                              "air, e.g. '  - say: ...'\n")


def test_a_table_reads_in_vietnamese_and_its_json_stays_english(tmp_path: Path) -> None:
    config = station_config(tmp_path)
    assert run("say", "Thông báo họp dân", "--config", config).returncode == 0
    table = run("queue", "--config", config).stdout.splitlines()
    assert table[0].split() == ["số", "dự", "kiến", "giờ", "hẹn", "mức", "nguồn", "tiêu", "đề"]
    assert "thông thường  cán bộ đài  Thông báo họp dân" in table[1]
    data = json.loads(run("queue", "--json", "--config", config).stdout)
    assert (data[0]["level"], data[0]["source"]) == ("normal", "operator")


def test_normalize_explains_its_reasons_in_the_operators_language(tmp_path: Path) -> None:
    config = station_config(tmp_path)
    vietnamese = run("normalize", "--explain", "UBND xã họp", "--config", config).stdout
    english = run("normalize", "--explain", "UBND xã họp", "--config", config,
                  BROADCASTER_LANG="en").stdout
    assert "UBND → ủy ban nhân dân: từ điển: UBND" in vietnamese
    assert "UBND → ủy ban nhân dân: dictionary: UBND" in english


def test_a_phrase_is_english_data_and_translated_where_shown(
        monkeypatch: pytest.MonkeyPatch) -> None:
    why = i18n.Phrase("dictionary: {name}, when {rule}", name="TP.", rule="after = 'Hà'")
    listed = i18n.joined("; ", [i18n.Phrase("slot {name}", name="sang"),
                                i18n.Phrase("expires waiting")])
    assert json.dumps([why, listed]) == (
        '["dictionary: TP., when after = \'H\\u00e0\'", "slot sang; expires waiting"]')
    monkeypatch.setenv(i18n.ENV_VAR, "vi")
    assert i18n._(why) == "từ điển: TP., khi after = 'Hà'"
    assert i18n._(listed) == "khung giờ sang; hết hạn khi đang chờ"
    assert i18n._("") == ""  # not the catalog's header


def test_accounts_and_their_roles_read_in_vietnamese(tmp_path: Path) -> None:
    config = station_config(tmp_path)
    added = subprocess.run([sys.executable, "-m", "broadcaster", "user", "add", "lan", "--role",
                            "viewer", "--config", config], input="mat-khau-xem-1\n",
                           capture_output=True, text=True, check=False,
                           env={k: v for k, v in os.environ.items() if k != "BROADCASTER_LANG"})
    assert added.stdout == "đã thêm tài khoản 'lan' (vai trò người xem)\n", added.stderr
    listed = run("user", "list", "--config", config).stdout.splitlines()
    assert listed[0].split() == ["tên", "vai", "trò", "ngày", "tạo"]
    assert listed[1].split()[:3] == ["lan", "người", "xem"]
    assert json.loads(run("user", "list", "--json", "--config", config).stdout)[0]["role"] \
        == "viewer"
