"""SPEC §8 through the command line: every faulty playlist and config is refused in one
`file:line: message` line, exit status 1, and the station database is unchanged."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from tests.support.station import Station, make_station

DATA = Path(__file__).resolve().parent / "data" / "playlists"
AUDIO = DATA / "audio"
BAD_PLAYLISTS = sorted((DATA / "bad").glob("*.yaml"))
GOOD_SLOT = """\
title: Bản tin buổi sáng
slot: {days: daily, at: "05:30", until: "06:30"}
items:
  - say: "Đài truyền thanh xã xin kính chào bà con."
"""


def _expected(path: Path) -> str:
    first = path.read_text(encoding="utf-8", errors="replace").splitlines()[0]
    return f"{path}:{first.removeprefix('# expect: ').replace('{audio_dir}', str(AUDIO))}"


def _database_state(station: Station) -> str:
    """Every row of every table: what `apply` must not change when it refuses."""
    db = station.root / "data" / "station.db"
    with sqlite3.connect(db) as connection:
        rows = [(table, connection.execute(f"SELECT * FROM {table}").fetchall())  # noqa: S608
                for (table,) in connection.execute(
                    "SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
    return hashlib.sha256(repr(rows).encode()).hexdigest()


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Station:
    """A station with its audio in the corpus's folder, one slot installed, one notice queued."""
    station = make_station(tmp_path_factory.mktemp("faulty") / "station")
    station.write_config(station.config_file.read_text().replace(
        'audio_dir = "audio"', f'audio_dir = "{AUDIO}"'))
    slot = station.root / "buoi-sang.yaml"
    slot.write_text(GOOD_SLOT, encoding="utf-8")
    assert station.cli("playlist", "apply", str(slot)).returncode == 0
    assert station.cli("say", "Họp tổ dân phố lúc 19h30.", "--at", "+1h").returncode == 0
    return station


def test_the_corpus_is_broad() -> None:
    assert len(BAD_PLAYLISTS) >= 25
    assert len({_expected(path).split(":", 2)[2] for path in BAD_PLAYLISTS}) >= 25


@pytest.mark.parametrize("path", BAD_PLAYLISTS, ids=[p.stem for p in BAD_PLAYLISTS])
def test_faulty_playlist_apply_is_refused_and_changes_nothing(seeded: Station,
                                                               path: Path) -> None:
    before = _database_state(seeded)
    done = seeded.cli("playlist", "apply", str(path))
    assert done.returncode == 1
    assert done.stderr == _expected(path) + "\n"
    assert _database_state(seeded) == before


def test_playlist_check_reports_every_file(seeded: Station) -> None:
    done = seeded.cli("playlist", "check", *map(str, BAD_PLAYLISTS[:5]))
    assert done.returncode == 1
    assert done.stderr.splitlines() == [_expected(path) for path in BAD_PLAYLISTS[:5]]


CONFIGS = {
    "malformed": ("[station\nname = 'x'\n", "broadcaster.toml:1: not valid TOML"),
    "unknown section": ("[amplifer]\ngpio_pin = 17\n",
                        "broadcaster.toml:1: unknown key 'amplifer'; did you mean 'amplifier'?"),
    "unknown key": ("[station]\nname = 'x'\ntimezon = 'Asia/Ho_Chi_Minh'\n",
                    "broadcaster.toml:3: unknown key 'timezon' in [station]; "
                    "did you mean 'timezone'?"),
    "bad zone": ("[station]\ntimezone = 'Hanoi'\n",
                 "broadcaster.toml:2: station.timezone: unknown time zone 'Hanoi'"),
    "bad quiet hours": ("[station]\nquiet_hours = ['22:00-25:00']\n",
                        "broadcaster.toml:2: station.quiet_hours: quiet hours must look like"),
    "rate as text": ("[audio]\nsample_rate = 'cao'\n",
                     "broadcaster.toml:2: audio.sample_rate: must be a whole number, not text"),
    "loudness too high": ("[audio]\nloudness_lufs = 0\n",
                          "broadcaster.toml:2: audio.loudness_lufs: must be at most -5"),
    "no engines": ("[tts]\nengines = []\n",
                   "broadcaster.toml:2: tts.engines: no speech engine listed"),
    "unknown engine": ("[tts]\nengines = ['google']\n",
                       "broadcaster.toml:2: tts.engines: unknown engine 'google'"),
    "negative warmup": ("[amplifier]\nwarmup_s = -1\n",
                        "broadcaster.toml:2: amplifier.warmup_s: must be at least 0"),
    "pin as text": ("[amplifier]\ngpio_pin = 'GPIO17'\n",
                    "broadcaster.toml:2: amplifier.gpio_pin: must be a whole number, not text"),
    "unknown district key": ("[district]\nbrokers = 'mqtt://x'\n",
                             "broadcaster.toml:2: unknown key 'brokers' in [district]; "
                             "did you mean 'broker'?"),
    "speed out of range": ("[tts]\nspeed = 5\n",
                           "broadcaster.toml:2: tts.speed: must be at most 2"),
}


@pytest.mark.parametrize("case", sorted(CONFIGS))
def test_faulty_config_is_refused_and_changes_nothing(tmp_path: Path, case: str) -> None:
    station = make_station(tmp_path / "s")
    assert station.cli("say", "Thử máy.", "--at", "+1h").returncode == 0
    before = _database_state(station)
    text, expected = CONFIGS[case]
    station.write_config(text)
    for command in (["queue"], ["say", "Xin chào"], ["status"]):
        done = station.cli(*command)
        assert done.returncode == 1, command
        assert done.stderr.count("\n") == 1
        where = str(station.config_file)
        assert done.stderr.startswith(expected.replace("broadcaster.toml", where, 1)), \
            done.stderr
    station.write_config(make_station(tmp_path / "s").config_file.read_text())
    assert _database_state(station) == before
