"""`air` and the daemon never mix two programs on the loudspeakers (issue 10): the station
lock is the sound output's owner. While the daemon runs, `air` is refused in one line
that says what to do instead (`play`/`say`, which air in turn and are logged, or stop the
daemon); while `air` plays, a daemon starting on the same station is refused, naming it.

Why refuse rather than hand the item to the daemon: `air` promises "now, in the
foreground, through the chain", to test it. Handed to the daemon, the item would either
wait its turn in the rundown (not now) or cut in like an emergency (which it is not);
`play` and `say` already are the way to ask the daemon, and they are logged."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from broadcaster.lifecycle import AIR, lock_holder
from tests.support.daemon import daemon_station, running_daemon
from tests.support.sound import CAPTURE_ENV, NullSink, write_tone
from tests.support.waiting import wait_until


def test_air_is_refused_while_the_daemon_owns_the_output(tmp_path: Path) -> None:
    station = daemon_station(tmp_path / "station")
    write_tone(tmp_path / "news.wav", 0.3)
    with running_daemon(station) as daemon:
        for args in (["air", str(tmp_path / "news.wav")], ["air", "--text", "Thử máy."]):
            done = station.cli(*args)
            assert done.returncode == 1, done.stdout
            assert done.stderr == (
                f"the station daemon (pid {daemon.pid}) owns the sound output and `air` would "
                "mix a second program into it; queue it instead with `broadcaster play FILE` "
                "or `broadcaster say TEXT` (it airs in turn and is logged), or stop the daemon "
                "first (`sudo systemctl stop broadcaster`)\n")
        assert daemon.as_run() == []


@pytest.mark.slow
def test_a_daemon_started_while_air_plays_is_refused_and_starts_once_it_ended(
        tmp_path: Path, null_sink: NullSink) -> None:
    station = daemon_station(tmp_path / "station", "nullsink")
    write_tone(tmp_path / "long.wav", 3.0)
    data_dir = station.root / "data"
    env = {**os.environ, "BROADCASTER_CONFIG": str(station.config_file)}
    playing = subprocess.Popen([sys.executable, "-m", "broadcaster", "air",
                                str(tmp_path / "long.wav")], cwd=station.root, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_until(lambda: (held := lock_holder(data_dir)) is not None and held.role == AIR,
                   "air to hold the station's output")
        refused = station.cli("run")
        shown = station.cli("status")
        assert playing.poll() is None, "air ended before the daemon was tried"
    finally:
        out, err = playing.communicate(timeout=30)
    assert refused.returncode == 1
    assert refused.stderr == (f"`broadcaster air` (pid {playing.pid}) is playing through the "
                              "station's output; start the daemon once it has ended\n")
    assert shown.stdout.startswith("daemon: NOT RUNNING")  # `air` is not the daemon
    assert playing.returncode == 0, err
    assert out.strip() == f"aired {tmp_path / 'long.wav'}"
    assert lock_holder(data_dir) is None
    with running_daemon(station):  # the output is free again
        pass


def test_air_through_a_relay_that_cannot_be_driven_says_so_in_one_line(
        tmp_path: Path) -> None:
    if Path("/proc/device-tree/model").exists():
        pytest.skip("this machine may have the Raspberry Pi's GPIO")
    station = daemon_station(tmp_path / "station",
                             amplifier="gpio_pin = 17\nwarmup_s = 0\nhold_s = 0")
    write_tone(tmp_path / "news.wav", 0.3)
    done = station.cli("air", str(tmp_path / "news.wav"),
                       env={CAPTURE_ENV: str(tmp_path / "capture.wav")})
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"aired {tmp_path / 'news.wav'}\n"
    assert done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith("warning: relay on GPIO17 cannot be driven: no GPIO driver "
                                  "works on this machine (native: ")
    assert done.stderr.endswith("the loudspeakers may have stayed silent\n")
    assert (tmp_path / "capture.wav").stat().st_size > 0.3 * 48000 * 4  # it did air
