"""An emergency typed at the box (`say --level emergency TEXT`) goes its way without Typer
(SPEC §9: typed → first emergency block ≤ 350 ms) and does exactly what `say` does: the
same item queued, the same lines printed, the same refusals. Speed is measured by
benchmarks.bench_emergency, never here."""

from __future__ import annotations

import json
import re

import pytest

from broadcaster.__main__ import _emergency
from tests.support.station import Station
from tests.test_cli_imports import names_in, under

STORM = "Bão số 3 đổ bộ: bà con vào nơi trú ẩn ngay."


def test_an_emergency_typed_at_the_box_runs_without_typer(station: Station) -> None:
    done = station.cli("say", "--level", "emergency", STORM,
                       env={"PYTHONPROFILEIMPORTTIME": "1"})
    assert done.returncode == 0, done.stderr[-500:]
    names = names_in(done.stderr)
    assert "broadcaster.desk" in names  # the measure works
    assert not under(names, ("typer", "click", "broadcaster.cli", "broadcaster.web"))
    (item,) = json.loads(station.cli("queue", "--json").stdout)
    assert (item["level"], item["title"]) == ("emergency", "Bão số 3 đổ bộ: bà con vào …")


def _said(station: Station, *args: str) -> tuple[int, list[str], str]:
    """Exit status, stdout with the item's number and times written out, stderr."""
    done = station.cli(*args)
    out = [re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", "TIME", re.sub(r"^#?\d+", "N", line))
           for line in done.stdout.splitlines()]
    return done.returncode, out, done.stderr


@pytest.mark.parametrize("extra", [[], ["--title", "Bão số 3"], ["--title=Bão"],
                                   ["--repeat", "1"], ["--repeat=3"]])
def test_the_emergency_line_queues_and_prints_what_say_does(station: Station,
                                                            extra: list[str]) -> None:
    """`--gap 30s` (say's default) sends the same command line through Typer."""
    fast = _said(station, "say", STORM, "--level=emergency", *extra)
    typer = _said(station, "say", STORM, "--level", "emergency", "--gap", "30s", *extra)
    assert fast == typer
    assert fast[0] == 0
    first, second = json.loads(station.cli("queue", "--json").stdout)
    assert {**first, "id": 0, "expected": "", "due": ""} == \
        {**second, "id": 0, "expected": "", "due": ""}


@pytest.mark.parametrize("words", [
    ["say", "--level", "emergency", "!!! ??? ..."],  # nothing to read aloud
    ["say", "--level", "emergency", "--title", "dòng một\ndòng hai", STORM],
    ["say", "--level", "emergency", "--config", "missing.toml", STORM],
])
def test_the_emergency_line_refuses_what_say_refuses_in_the_same_words(
        station: Station, words: list[str]) -> None:
    before = station.files()
    fast = station.cli(*words)
    typer = station.cli(*words[:1], "--gap", "30s", *words[1:])
    assert (fast.returncode, fast.stdout, fast.stderr) == \
        (typer.returncode, typer.stdout, typer.stderr)
    assert fast.returncode == 1 and len(fast.stderr.splitlines()) == 1
    assert station.files() == before


@pytest.mark.parametrize("argv", [
    ["say", STORM],  # not an emergency
    ["say", "--level", "priority", STORM],
    ["say", "--level", "emergency"],  # the text on standard input
    ["say", "--level", "emergency", "-"],
    ["say", "--level", "emergency", "--zone", "Thôn Đông", STORM],
    ["say", "--level", "emergency", "--repeat", "0", STORM],  # Typer says 1 to 10
    ["say", "--level", "emergency", "--repeat", "11", STORM],
    ["say", "--level", "emergency", "--gap", "10s", STORM],
    ["say", "--level", "emergency", STORM, "và thêm"],  # two texts: Typer explains
    ["say", "--level", "emergency", "--title"],
    ["say", "--level", "emergency", "--level", "emergency", STORM],
    ["say", "--help"],
    ["say", "--level", "emergency", "--", STORM],
    ["say", "--level", "emergency", "B\udcc3o"],  # not UTF-8: Typer's callback reads it
    ["play", "--level", "emergency", "storm.wav"],
])
def test_anything_else_on_the_line_goes_to_typer(argv: list[str]) -> None:
    assert _emergency(argv) is None


def test_the_emergency_line_takes_its_options_in_any_order() -> None:
    typed = _emergency(["say", STORM, "--config=/etc/b.toml", "--title", "Bão",
                        "--level", "emergency", "--repeat", "1"])
    assert typed is not None
    assert (typed.text, typed.title, typed.repeat, str(typed.config)) == \
        (STORM, "Bão", 1, "/etc/b.toml")
