"""The operator's language: every message has its Vietnamese, placeholders agree, the
command line speaks Vietnamese unless asked for English (SPEC §3, §4)."""

from __future__ import annotations

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
    method_map = [("broadcaster/**.py", "python")]
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
