"""The operator's quick commands start quickly (SPEC §9, issue 13): `status`, `queue` and
`say` (an emergency too) import nothing of speech rendering, audio, the upstream link, the
web console or the calendars, and Typer builds only the command typed. Speed itself is
measured by benchmarks.bench_cli, never here."""

from __future__ import annotations

import subprocess
import sys

import pytest

from broadcaster.cli import app, only_the_command
from tests.support.station import Station

# Third-party packages none of these commands needs (audio, speech engines, the link, the
# web console, calendars, YAML playlists, Typer's pydantic adapter).
HEAVY = ("numpy", "soundfile", "sounddevice", "pydub", "soxr", "audioop", "gtts", "requests",
         "paho", "cryptography", "starlette", "uvicorn", "jinja2", "multipart", "argon2",
         "itsdangerous", "holidays", "lunar_vn", "yaml", "gpiozero", "pydantic",
         "pydantic_core")
# Our own: rendering and reading speech, the player and its sources, the link, the console.
# (`say` reads a text's lines as the normalizer cleans them: speech.pasted, no more.)
OURS = ("broadcaster.speech.render", "broadcaster.speech.normalize", "broadcaster.speech.engines",
        "broadcaster.speech.speak", "broadcaster.speech.cache", "broadcaster.speech.abbreviations",
        "broadcaster.speech.syllables", "broadcaster.upstream", "broadcaster.web.app",
        "broadcaster.station", "broadcaster.playlist")
# `status` of a stopped daemon describes the amplifier and push-to-talk relays as configured
# (station_status): those modules, and nothing of the player, its sources or the output.
RELAYS = {"broadcaster.air", "broadcaster.air.amplifier", "broadcaster.air.ptt"}

COMMANDS = {
    "say": ["say", "Họp tổ dân phố lúc 19h30 tại nhà văn hóa.", "--at", "+2h"],
    "say an emergency": ["say", "Bão số 3 đổ bộ: bà con vào nơi trú ẩn ngay.",
                         "--level", "emergency", "--repeat", "1"],
    "queue": ["queue"],
    "status": ["status"],
}


def imported(station: Station, *args: str) -> set[str]:
    """The modules `broadcaster ARGS` imports, from `python -X importtime`."""
    done = station.cli(*args, env={"PYTHONPROFILEIMPORTTIME": "1"})
    assert done.returncode == 0, done.stderr[-800:]
    return names_in(done.stderr)


def names_in(import_log: str) -> set[str]:
    return {line.rsplit("|", 1)[1].strip() for line in import_log.splitlines()
            if line.startswith("import time:") and "|" in line} - {"package"}


def under(names: set[str], packages: tuple[str, ...]) -> set[str]:
    return {name for name in names
            if any(name == package or name.startswith(package + ".") for package in packages)}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_quick_command_imports_nothing_heavy(station: Station, command: str) -> None:
    station.cli("say", "Thông báo đang chờ.", "--at", "+3h")  # something to list and plan
    names = imported(station, *COMMANDS[command])
    assert "broadcaster.config" in names  # the measure works (an emergency skips the cli)
    assert not under(names, HEAVY)
    assert not under(names, OURS)
    assert under(names, ("broadcaster.air",)) <= (RELAYS if command == "status" else set())


def test_a_text_that_might_read_as_nothing_is_still_checked_in_full(station: Station) -> None:
    """What the cheap look cannot vouch for goes to the reading form, refusal and all."""
    before = station.files()
    done = station.cli("say", "--", "- 3 -", env={"PYTHONPROFILEIMPORTTIME": "1"})
    assert done.returncode == 1
    assert done.stderr.splitlines()[-1] == \
        "the text has nothing to read aloud; write the notice in words"
    assert "broadcaster.speech.normalize" in done.stderr
    assert station.files() == before


def names_of(argv: list[str]) -> set[str]:
    chosen = only_the_command(app, argv)
    return {command.name or command.callback.__name__ for command in chosen.registered_commands
            if command.callback is not None} | \
        {group.name or "" for group in chosen.registered_groups}


def test_typer_builds_only_the_command_typed() -> None:
    assert names_of(["queue"]) == {"queue"}
    assert names_of(["say", "Họp tổ", "--at", "+1h"]) == {"say"}
    assert names_of(["log", "--since", "2025-01-01"]) == {"log"}
    assert names_of(["playlist", "list"]) == {"playlist"}
    assert names_of(["district", "status"]) == {"district"}


@pytest.mark.parametrize("argv", [[], ["--help"], ["--version"], ["nothing"], ["quue"]])
def test_help_an_option_or_an_unknown_name_sees_every_command(argv: list[str]) -> None:
    assert only_the_command(app, argv) is app


def test_python_m_broadcaster_is_the_same_command_line(station: Station) -> None:
    done = subprocess.run([sys.executable, "-m", "broadcaster", "--version"],
                          capture_output=True, text=True, check=False)
    assert (done.returncode, done.stdout.startswith("broadcaster ")) == (0, True)


def test_the_daemon_starts_without_the_command_line(station: Station) -> None:
    """`broadcaster run` as systemd starts it leaves Typer, the command tree and the web
    console's accounts out of the airing process, and what stops it is still one line with
    exit status 1. Any other `run` (here `--help`) is Typer's."""
    missing = station.root / "missing.toml"
    for args in (["run", "--config", str(missing)], ["run", f"--config={missing}"]):
        done = station.cli(*args, env={"PYTHONPROFILEIMPORTTIME": "1"})
        said = [line for line in done.stderr.splitlines() if not line.startswith("import time:")]
        assert (done.returncode, len(said), str(missing) in said[0]) == (1, 1, True), said
        names = names_in(done.stderr)
        assert "broadcaster.station" in names  # the measure works
        assert not under(names, ("typer", "broadcaster.cli", "broadcaster.web"))
    helped = station.cli("run", "--help")
    assert (helped.returncode, "broadcaster run" in helped.stdout) == (0, True)
