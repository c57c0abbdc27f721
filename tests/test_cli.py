"""The command line as an operator uses it: real subprocesses, exit codes, one-line refusals."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.support.audio import loudness_and_peak
from tests.support.station import Station
from tests.test_text_in import broadcaster, windows_1258

BULLETIN = """\
Thực hiện Kế hoạch số 188/KH-UBND ngày 15/11/2026 của UBND huyện, từ 7h30 đến 11h00
ngày 01/12/2026, Trạm Thú y tiêm phòng cho đàn gia cầm; liên hệ 0912 345 678.
"""


def _commands(station: Station, *group: str) -> list[str]:
    listing = station.cli(*group, "--help")
    assert listing.returncode == 0
    listed = listing.stdout.split("Commands:")[1]
    return re.findall(r"^\s{2}(\w[\w-]*)\s", listed, flags=re.MULTILINE)


def test_every_command_has_help(station: Station) -> None:
    commands = _commands(station)
    assert {"normalize", "tts", "air", "devices", "run", "say", "play", "queue", "cancel",
            "status", "schedule", "playlist", "log"} <= set(commands)
    for command in commands:
        shown = station.cli(command, "--help")
        assert shown.returncode == 0, command
        if "Commands:" in shown.stdout:  # a group: every subcommand has its own help
            for sub in _commands(station, command):
                assert "--config" in station.cli(command, sub, "--help").stdout, sub
        else:
            assert "--config" in shown.stdout, command


def test_normalize_prints_the_reading_form(station: Station) -> None:
    done = station.cli("normalize", BULLETIN)
    assert done.returncode == 0, done.stderr
    assert not re.search(r"\d", done.stdout)
    assert "ủy ban nhân dân" in done.stdout
    assert "kế hoạch" in done.stdout
    from_stdin = station.cli("normalize", stdin=BULLETIN)
    assert from_stdin.stdout == done.stdout


def test_tts_renders_a_bulletin_and_names_the_engine(station: Station) -> None:
    out = station.root / "thong-bao.wav"
    done = station.cli("tts", "-o", str(out), "--repeat", "2", "--gap", "2s", "--chime",
                       stdin=BULLETIN)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("spoken by espeak: ")
    loudness, peak = loudness_and_peak(out)
    assert abs(loudness - -16) <= 1
    assert peak <= -1


def test_tts_writes_mp3_by_suffix(station: Station) -> None:
    out = station.root / "thong-bao.mp3"
    done = station.cli("tts", "Xin chào bà con.", "-o", str(out), "--engine", "espeak")
    assert done.returncode == 0, done.stderr
    assert out.read_bytes()[:3] in (b"ID3", b"\xff\xfb", b"\xff\xf3")


def test_python_dash_m_is_the_same_program(station: Station) -> None:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "broadcaster", "normalize", "UBND"],
                          capture_output=True, text=True, check=False,
                          env={"BROADCASTER_CONFIG": str(station.config_file), "PATH": ""})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ủy ban nhân dân"


REFUSALS = {
    "empty text": (["tts", "", "-o", "x.wav"], "nothing to read aloud"),
    "symbols only": (["tts", "*** --- !!! ...", "-o", "x.wav"], "nothing to read aloud"),
    "text too long": (["tts", "bà con " * 4000, "-o", "x.wav"], "more than the limit"),
    "output format": (["tts", "Xin chào", "-o", "x.ogg"], "unsupported output format '.ogg'"),
    "no output folder": (["tts", "Xin chào", "-o", "nowhere/x.wav"], "does not exist"),
    "unknown engine": (["tts", "Xin chào", "-o", "x.wav", "--engine", "piper"],
                       "unknown engine 'piper'"),
    "bad gap": (["tts", "Xin chào", "-o", "x.wav", "--gap", "soon"], "is not a duration"),
    "normalize empty": (["normalize", "   "], "nothing to read aloud"),
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_bad_input_is_refused_in_one_line_and_changes_nothing(station: Station,
                                                              case: str) -> None:
    args, reason = REFUSALS[case]
    before = station.files()
    done = station.cli(*args)
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1, done.stderr
    assert reason in done.stderr
    assert "Traceback" not in done.stderr
    assert station.files() == before


CONFIG_MISTAKES = {
    "malformed toml": ("[audio\nsample_rate = 1", "broadcaster.toml:1: not valid TOML"),
    "unknown key": ("[tts]\nspeed = 1\ntimout_s = 3\n",
                    "broadcaster.toml:3: unknown key 'timout_s' in [tts]; "
                    "did you mean 'timeout_s'?"),
    "bad abbreviations file": (None, "abbreviations.toml:"),
}


@pytest.mark.parametrize("case", sorted(CONFIG_MISTAKES))
def test_config_mistakes_are_refused_in_one_line(station: Station, case: str) -> None:
    text, reason = CONFIG_MISTAKES[case]
    if text is None:
        (station.root / "abbreviations.toml").write_text("[[[ not toml", encoding="utf-8")
    else:
        station.write_config(text)
    before = station.files()
    done = station.cli("tts", "Xin chào bà con", "-o", "x.wav")
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1, done.stderr
    assert reason in done.stderr
    assert station.files() == before


def test_missing_espeak_names_the_debian_package(station: Station, tmp_path: Path) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    before = station.files()
    done = station.cli("tts", "Xin chào bà con", "-o", "x.wav", env={"PATH": str(empty)})
    assert done.returncode == 1
    assert "sudo apt-get install espeak-ng" in done.stderr
    assert done.stderr.count("\n") == 1
    assert station.files() == before


def test_usage_error_exits_2(station: Station) -> None:
    done = station.cli("tts", "--repeat", "many")
    assert done.returncode == 2


def test_text_from_notepad_in_utf16_is_read_and_vni_is_refused(
        station: Station) -> None:
    import os
    import subprocess
    import sys

    def normalize(data: bytes) -> subprocess.CompletedProcess[bytes]:
        env = {**os.environ, "BROADCASTER_CONFIG": str(station.config_file)}
        return subprocess.run([sys.executable, "-m", "broadcaster", "normalize", "-"],
                              input=data, capture_output=True, env=env, cwd=station.root,
                              timeout=60, check=False)

    text = "Thông báo họp thôn"
    for data in (b"\xff\xfe" + text.encode("utf-16-le"), b"\xef\xbb\xbf" + text.encode()):
        done = normalize(data)
        assert done.returncode == 0, done.stderr
        assert done.stdout.decode().strip() == text
    assert normalize("Thông báo".encode("cp1258")).stdout.decode().strip() == "Thông báo"
    refused = normalize("Thoâng baùo".encode("cp1252"))  # "Thông báo" in VNI
    assert refused.returncode == 1
    assert refused.stderr.decode().count("\n") == 1 and b"not UTF-8" in refused.stderr


# --- options typed in a terminal or pasted from a file that is not UTF-8 -----------------------
# `broadcaster` and `windows_1258` come from test_text_in: argv bytes reach the program as they are.


def test_a_title_in_windows_1258_is_queued_as_the_notice_text_is_read(station: Station) -> None:
    # Read, not refused: the title comes from the same document or terminal as the notice,
    # whose text is read from Windows-1258 too; refusing only the title would be arbitrary.
    title = "Thông báo họp thôn"
    done = broadcaster(station, "say", "Xin chào bà con", "--at", "+1h",
                       "--title", windows_1258(title))
    assert done.returncode == 0, done.stderr
    assert b"Traceback" not in done.stderr
    listed = station.cli("queue", "--json")
    assert [row["title"] for row in json.loads(listed.stdout)] == [title]


@pytest.mark.parametrize(("args", "option"), [
    (("say", "Xin chào", "--title", "Thoâng baùo".encode("cp1252")), b"--title: "),  # VNI
    (("inbox", "reject", "1", "--reason", "Thoâng baùo".encode("cp1252")), b"--reason: "),
    (("say", "Xin chào", "--at", b"08:3\xff"), b"--at '08:3\\xff'"),
    (("say", "Xin chào", "--expires", b"\xe1\xba"), b"--expires '\\xe1\\xba'"),
    (("say", "Xin chào", "--gap", b"\xff30s"), b"--gap '\\xff30s'"),
    (("play", "x.wav", "--level", b"kh\xe2n"), b"--level 'kh\\xe2n'"),
    (("log", "--since", b"\xff"), b"--since '\\xff'"),
    (("inbox", b"\xff", "1"), b"ACTION '\\xff'"),
])
def test_an_option_that_is_not_utf8_is_refused_in_one_line_naming_it(
        station: Station, args: tuple[str | bytes, ...], option: bytes) -> None:
    before = station.files()
    done = broadcaster(station, *args)
    assert done.returncode == 1
    assert done.stderr.count(b"\n") == 1, done.stderr
    assert done.stderr.startswith(option), done.stderr
    assert b"\\udc" not in done.stderr and b"surrogates" not in done.stderr
    assert b"Traceback" not in done.stderr
    assert station.files() == before



def test_version_is_printed_for_the_technician(station: Station) -> None:
    from broadcaster import __version__

    done = station.cli("--version")
    assert (done.returncode, done.stdout, done.stderr) == (0, f"broadcaster {__version__}\n", "")
