"""The station config: defaults, where it is found, one-line errors with line numbers."""

from __future__ import annotations

from pathlib import Path

import pytest

from broadcaster.config import load_config, parse_config
from broadcaster.model import OperatorError

GOOD = """\
[station]
name = "Đài xã Tân Phong"
data_dir = "data"
quiet_hours = ["21:30-05:00"]

[audio]
loudness_lufs = -18
"""


def test_defaults_without_any_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BROADCASTER_CONFIG", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    config = load_config(None) if not Path("/etc/broadcaster/broadcaster.toml").exists() else None
    if config is None:
        pytest.skip("this machine has a system-wide config")
    assert config.source is None
    assert config.station.timezone == "Asia/Ho_Chi_Minh"
    assert config.audio.loudness_lufs == -16.0
    assert config.tts.engines == ["gtts", "espeak"]
    assert config.data_dir == tmp_path / "xdg" / "broadcaster"


def test_paths_resolve_from_the_config_folder(tmp_path: Path) -> None:
    path = tmp_path / "etc" / "broadcaster.toml"
    path.parent.mkdir()
    path.write_text(GOOD, encoding="utf-8")
    config = load_config(path)
    assert config.data_dir == tmp_path / "etc" / "data"
    assert config.audio_dir == tmp_path / "etc" / "data" / "audio"
    assert config.audio.loudness_lufs == -18
    assert config.abbreviations_file == tmp_path / "etc" / "abbreviations.toml"


def test_environment_variable_names_the_file(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "elsewhere.toml"
    path.write_text(GOOD, encoding="utf-8")
    monkeypatch.setenv("BROADCASTER_CONFIG", str(path))
    assert load_config(None).source == path.resolve()


@pytest.mark.parametrize(("text", "expected"), [
    ("[audio]\nloudnes_lufs = -16\n",
     "f.toml:2: unknown key 'loudnes_lufs' in [audio]; did you mean 'loudness_lufs'?"),
    ("[station]\nname = 'x'\n\n[tts]\nengine = ['espeak']\n",
     "f.toml:5: unknown key 'engine' in [tts]; did you mean 'engines'?"),
    ("[audoi]\ndevice = 1\n", "f.toml:1: unknown key 'audoi'; did you mean 'audio'?"),
    ("[tts.command]\nargs = ['piper']\n",
     "f.toml:2: unknown key 'args' in [tts.command]; did you mean 'argv'?"),
    ("[audio]\nsample_rate = 'fast'\n",
     "f.toml:2: audio.sample_rate: must be a whole number, not text"),
    ("[audio]\nsample_rate = 4000\n", "f.toml:2: audio.sample_rate: must be at least 8000"),
    ("[tts]\ntimeout_s = 0\n", "f.toml:2: tts.timeout_s: must be more than 0"),
    ("[tts]\nengines = 'espeak'\n",
     "f.toml:2: tts.engines: must be a list like [\"a\", \"b\"], not text"),
    ("audio = 5\n", "f.toml:1: audio: must be a section like [audio], not a single value"),
    ("[station]\nquiet_hours = ['22h-5h']\n",
     "f.toml:2: station.quiet_hours: quiet hours must look like \"21:30-05:00\", not '22h-5h'"),
    ("[station]\ntimezone = 'Asia/Hanoi_City'\n",
     "f.toml:2: station.timezone: unknown time zone 'Asia/Hanoi_City'; use a name such as "
     "\"Asia/Ho_Chi_Minh\""),
    ("[tts]\nengines = ['gtts', 'piper']\n",
     "f.toml:2: tts.engines: unknown engine 'piper'; choose from gtts, espeak, command"),
    ("[audio]\nloudness_lufs = 3\n",
     "f.toml:2: audio.loudness_lufs: must be at most -5"),
    ("[station]\nname = \"unterminated\n",
     "f.toml:2: not valid TOML (Illegal character '\\n'); fix the syntax on that line"),
])
def test_config_mistakes_are_one_line_with_file_and_line(text: str, expected: str) -> None:
    with pytest.raises(OperatorError) as refused:
        parse_config(text, Path("f.toml"))
    assert str(refused.value) == expected


def test_missing_config_file_says_where_to_look(tmp_path: Path) -> None:
    with pytest.raises(OperatorError, match=r"config file not found; check --config"):
        load_config(tmp_path / "nope.toml")
