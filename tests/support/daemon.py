"""The station daemon under test.

- `running_daemon(station)`: `broadcaster run` as systemd runs it, a real process. It
  starts, waits until the daemon's live status names its pid, and always leaves no
  process behind (SIGTERM, then kill -9). `Daemon.power_cut()` is kill -9; `start()`
  again is the box booting. Its stderr goes into failure messages.
- `station_in_this_process(station, clock)`: the same `Station` run in a thread of the
  test, for the tests that need the station's clock somewhere else (a slot at 05:30,
  quiet hours ending) without waiting for it: `ShiftedClock` runs at real speed from a
  chosen moment, and the station schedules everything on it.

Both watch the station as the operator does: its database (`log`, `queue`) and its
live status file.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any, TypeVar

from broadcaster.store import AsRunEntry, Entry, Store
from tests.support.sound import CAPTURE_ENV, capture_to
from tests.support.station import Station

T = TypeVar("T")

START_TIMEOUT_S = 20.0
STOP_TIMEOUT_S = 10.0

DAEMON_CONFIG = """\
[station]
name = "Đài truyền thanh xã Thử Nghiệm"
id = "thu-nghiem"
data_dir = "data"
audio_dir = "audio"
runtime_dir = "run"
quiet_hours = {quiet_hours}

[audio]
device = "{device}"
sample_rate = 48000
channels = 2

[tts]
engines = ["espeak"]
timeout_s = 5

[amplifier]
{amplifier}
"""


def daemon_station(root: Path, device: str = "capture", *, quiet_hours: tuple[str, ...] = (),
                   amplifier: str = "warmup_s = 0\nhold_s = 0") -> Station:
    """An offline station (espeak-ng only) airing through the test `device`, whose live
    status and control socket stay inside `root` (never /run)."""
    (root / "audio").mkdir(parents=True, exist_ok=True)
    config_file = root / "broadcaster.toml"
    config_file.write_text(DAEMON_CONFIG.format(
        device=device, quiet_hours=json.dumps(list(quiet_hours)), amplifier=amplifier),
        encoding="utf-8")
    return Station(root, config_file)


def station_store(station: Station) -> contextlib.AbstractContextManager[Store]:
    """The station's database, opened as the operator's commands open it."""
    return _store(station.root / "data" / "station.db")


@contextlib.contextmanager
def _store(path: Path) -> Iterator[Store]:
    store = Store(path)
    try:
        yield store
    finally:
        store.close()


def queued(station: Station, *args: str) -> int:
    """Run `say ...` / `play ...` and return the id it printed (its first line)."""
    done = station.cli(*args)
    assert done.returncode == 0, done.stderr
    return int(done.stdout.splitlines()[0])


class StationWatch:
    """What a running station did and shows: its database and its live status."""

    def __init__(self, station: Station) -> None:
        self.station = station
        self.status_file = station.root / "run" / "status.json"
        self.database = station.root / "data" / "station.db"

    def status(self) -> dict[str, Any] | None:
        """The live status file as the daemon last wrote it (None when there is none)."""
        try:
            data = json.loads(self.status_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def as_run(self) -> list[AsRunEntry]:
        with _store(self.database) as store:
            return store.as_run()

    def pending(self) -> list[Entry]:
        with _store(self.database) as store:
            return store.pending()

    def state_of(self, entry_id: int) -> str | None:
        """The entry's state in the queue: pending, on_air, cancel, done (None: unknown)."""
        with _store(self.database) as store:
            entry = store.entry(entry_id)
        return entry.state if entry is not None else None

    def finished(self, *entry_ids: int) -> list[AsRunEntry]:
        """As-run lines of `entry_ids` once every one of them is done (else [])."""
        with _store(self.database) as store:
            if not all(store.is_done(entry_id) for entry_id in entry_ids):
                return []
            return [line for line in store.as_run() if line.queue_id in entry_ids]

    def wait_finished(self, *entry_ids: int, timeout: float = 30.0) -> list[AsRunEntry]:
        """Wait until every entry in `entry_ids` is done; their as-run lines in log order."""
        return self.wait_for(lambda: self.finished(*entry_ids),
                             f"items {entry_ids} to finish", timeout=timeout)

    def wait_on_air(self, entry_id: int, timeout: float = 20.0) -> dict[str, Any]:
        """Wait until the live status shows `entry_id` on air; returns that status."""
        def on_air() -> dict[str, Any] | None:
            status = self.status()
            playing = (status or {}).get("on_air") or {}
            return status if playing.get("id") == entry_id else None
        return self.wait_for(on_air, f"item {entry_id} on air", timeout=timeout)

    def wait_for(self, check: Callable[[], T | None], what: str,
                 timeout: float = 30.0, every: float = 0.05) -> T:
        """Poll `check` until it returns something truthy; fail naming `what`."""
        deadline = time.monotonic() + timeout
        while True:
            found = check()
            if found:
                return found
            self.check_alive(what)
            if time.monotonic() > deadline:
                raise AssertionError(f"waited {timeout:.0f} s for {what}\nas-run: "
                                     f"{self.as_run()}\nqueue: {self.pending()}\n"
                                     f"status: {self.status()}\n{self.stderr()}")
            time.sleep(every)

    def check_alive(self, what: str) -> None:
        """Fail at once when the station died while a test waits for `what`."""

    def stderr(self) -> str:
        return ""


class Daemon(StationWatch):
    """One `broadcaster run` process of `station`; start it again after a power cut."""

    def __init__(self, station: Station, env: dict[str, str] | None = None) -> None:
        super().__init__(station)
        self.env = {**os.environ, "BROADCASTER_CONFIG": str(station.config_file),
                    CAPTURE_ENV: str(station.root / "capture.wav"), **(env or {})}
        self._process: subprocess.Popen[bytes] | None = None
        self._stderr_path = station.root / "daemon.stderr"
        self._runs = 0

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def start(self) -> Daemon:
        """Start it and wait until its status file names its pid (fails with its stderr)."""
        if self._process is not None and self._process.poll() is None:
            raise RuntimeError("the daemon is already running")
        self._runs += 1
        with self._stderr_path.open("ab") as stderr:
            stderr.write(f"--- start {self._runs} ---\n".encode())
            stderr.flush()
            self._process = subprocess.Popen(
                [sys.executable, "-m", "broadcaster", "run"], cwd=self.station.root,
                env=self.env, stdin=subprocess.DEVNULL, stdout=stderr, stderr=stderr)
        self.wait_for(lambda: (self.status() or {}).get("pid") == self.pid,
                      "the daemon to start", timeout=START_TIMEOUT_S)
        return self

    def check_alive(self, what: str) -> None:
        process = self._process
        if process is not None and process.poll() is not None:
            raise AssertionError(f"the daemon exited ({process.returncode}) while waiting "
                                 f"for {what}\n{self.stderr()}")

    def stop(self) -> int:
        """SIGTERM, as systemd stops it; returns its exit status (kill -9 after 10 s)."""
        process = self._process
        if process is None:
            return 0
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                raise AssertionError(f"the daemon ignored SIGTERM\n{self.stderr()}") from None
        self._process = None
        return process.returncode

    def power_cut(self) -> None:
        """kill -9: no clean-up at all, as when the power fails."""
        process = self._process
        if process is None:
            return
        process.kill()
        process.wait()  # reaped: a zombie would still look alive to `status`
        self._process = None

    def stderr(self) -> str:
        try:
            text = self._stderr_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return text[-4000:]


@contextlib.contextmanager
def running_daemon(station: Station, env: dict[str, str] | None = None) -> Iterator[Daemon]:
    """`broadcaster run` for `station` while inside; stopped (or killed) on the way out."""
    daemon = Daemon(station, env)
    try:
        yield daemon.start()
    finally:
        try:
            daemon.stop()
        finally:
            daemon.power_cut()  # only if SIGTERM failed: never leave a process behind


class ShiftedClock:
    """A wall clock that read `start` when it was made and runs at real speed on the
    monotonic clock: the machine's own clock being set (NTP, a VM paused and set right
    on resume) does not move the station's under test."""

    def __init__(self, start: datetime) -> None:
        assert isinstance(start.tzinfo, tzinfo), "give an aware start time"
        self.start = start
        self.made = time.monotonic()

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=time.monotonic() - self.made)


class InProcess(StationWatch):
    """The station's thread in this process (see `station_in_this_process`)."""

    def __init__(self, station: Station, thread: threading.Thread,
                 errors: list[BaseException]) -> None:
        super().__init__(station)
        self._thread = thread
        self._errors = errors

    def check_alive(self, what: str) -> None:
        if not self._thread.is_alive():
            raise AssertionError(f"the station died while waiting for {what}: "
                                 f"{self._errors!r}")


@contextlib.contextmanager
def station_in_this_process(station: Station,
                            clock: Callable[[], datetime]) -> Iterator[InProcess]:
    """`Station(config, clock=clock).run()` in a thread while inside; stopped on the way out.
    The capture device writes to the station's capture.wav, as for `running_daemon`."""
    from broadcaster.station import Station as StationDaemon

    stop = threading.Event()
    errors: list[BaseException] = []

    def run() -> None:
        try:
            StationDaemon(station.config(), clock=clock).run(stop)
        except BaseException as exc:
            errors.append(exc)
            raise

    with capture_to(station.root / "capture.wav"):
        thread = threading.Thread(target=run, name="station", daemon=True)
        thread.start()
        watch = InProcess(station, thread, errors)
        try:
            watch.wait_for(lambda: (watch.status() or {}).get("pid") == os.getpid(),
                           "the station to start", timeout=START_TIMEOUT_S)
            yield watch
        finally:
            stop.set()
            thread.join(timeout=STOP_TIMEOUT_S)
            assert not thread.is_alive(), "the station did not stop"
