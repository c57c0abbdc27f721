"""What a new operator meets first (issue 10, "the command line, finished"): a config file
the command cannot read, or saved in another encoding, a data folder that is not there,
speech that no engine can make. Each is one line on stderr, exit 1 (SPEC §3, §8), that
says what is wrong and what to do, and nothing else."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.station import Station

NO_PROXY_REACHABLE = {"HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9",
                      "NO_PROXY": ""}  # gTTS fails at once, whether or not there is internet


def as_operator(station: Station, *args: str) -> subprocess.CompletedProcess[str]:
    """`broadcaster ARGS` as an operator who is not root: file permissions apply (as root,
    the capabilities that bypass them are dropped first)."""
    command = [sys.executable, "-m", "broadcaster", *args]
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv: permissions cannot be tried")
        drop = "-dac_override,-dac_read_search"
        command = ["setpriv", f"--inh-caps={drop}", f"--bounding-set={drop}", *command]
    env = {**os.environ, "BROADCASTER_CONFIG": str(station.config_file)}
    return subprocess.run(command, capture_output=True, text=True, cwd=station.root, env=env,
                          timeout=120, check=False)


def one_line_refusal(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 1, (done.returncode, done.stdout, done.stderr)
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
    return done.stderr.strip()


def test_an_unreadable_config_is_one_line_and_exit_1_not_a_usage_error(
        station: Station) -> None:
    station.config_file.chmod(0)
    try:
        line = one_line_refusal(as_operator(station, "status"))
    finally:
        station.config_file.chmod(0o644)
    assert line == (f"{station.config_file}: cannot read the config file (Permission denied); "
                    "check its permissions")


def test_a_config_saved_by_notepad_with_a_byte_order_mark_is_read(station: Station) -> None:
    text = station.config_file.read_text(encoding="utf-8")
    station.config_file.write_bytes(b"\xef\xbb\xbf" + text.replace(
        "[station]\n", "[station]\nlanguage = \"en\"\n").encode("utf-8"))
    done = station.cli("queue")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "nothing is queued"


@pytest.mark.parametrize(("data", "says"), [
    ("[station]\nname = \"Đài\"\n".encode("cp1258"),
     "broadcaster.toml:2: not UTF-8 text (byte 0xd0); save the file as UTF-8"),
    ("[station]\nname = \"Đài xã\"\n".encode("utf-16"),
     "broadcaster.toml: saved as UTF-16 (Notepad's \"Unicode\"); save it as UTF-8"),
])
def test_a_config_in_another_encoding_says_how_to_save_it(station: Station, data: bytes,
                                                         says: str) -> None:
    station.config_file.write_bytes(data)
    line = one_line_refusal(station.cli("queue"))
    assert line.endswith(says) and "permissions" not in line


def test_a_missing_data_folder_is_said_to_be_missing_with_how_to_create_it(
        station: Station) -> None:
    locked = station.root / "srv"  # the operator may not create folders here
    locked.mkdir()
    locked.chmod(0o555)
    text = station.config_file.read_text(encoding="utf-8")
    station.write_config(text.replace('data_dir = "data"', 'data_dir = "srv/broadcaster"'))
    try:
        lines = {command: one_line_refusal(as_operator(station, *args)) for command, args in
                 {"say": ("say", "Xin chào bà con."), "status": ("status",)}.items()}
    finally:
        locked.chmod(0o755)
    folder = locked / "broadcaster"
    for line in lines.values():
        assert line == (f"{folder}: the station's data folder does not exist and cannot be "
                        f"created (Permission denied); create it (sudo install -d -g "
                        f"broadcaster -m 2770 {folder}) or set [station] data_dir in the config")
    assert not folder.exists()


def test_without_the_network_a_gtts_station_is_told_to_list_the_installed_espeak(
        tmp_path: Path) -> None:
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed")
    from tests.support.station import make_station

    station = make_station(tmp_path / "station", engines='["gtts"]')
    line = one_line_refusal(station.cli("tts", "Xin chào bà con.", "-o", "x.wav",
                                        env=NO_PROXY_REACHABLE))
    assert line.startswith("no speech engine could speak the notice (gtts: ")
    assert line.endswith("gTTS needs the internet: check the network; to speak without the "
                         "network, add \"espeak\" to [tts] engines (espeak-ng is installed)")


def test_a_failing_command_engine_is_told_to_check_its_argv_not_the_network(
        station: Station) -> None:
    text = station.config_file.read_text(encoding="utf-8")
    station.write_config(text + '\n[tts.command]\nargv = ["false", "{out}"]\n')
    line = one_line_refusal(station.cli("tts", "Xin chào bà con.", "-o", "x.wav",
                                        "--engine", "command"))
    assert line == ("no speech engine could speak the notice (command: false failed with exit "
                    "status 1: no message); check [tts.command] argv: run the command by "
                    "hand to see why it fails")


def test_gtts_chosen_on_a_station_that_lists_espeak_is_told_to_use_it(
        tmp_path: Path) -> None:
    from tests.support.station import make_station

    station = make_station(tmp_path / "station", engines='["gtts", "espeak"]')
    line = one_line_refusal(station.cli("tts", "Xin chào bà con.", "-o", "x.wav",
                                        "--engine", "gtts", env=NO_PROXY_REACHABLE))
    assert line.endswith("gTTS needs the internet: check the network; to speak without the "
                         "network, use --engine espeak")
