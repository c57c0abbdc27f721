"""A real Mosquitto broker for the upstream tests: on 127.0.0.1, on a free port, with its
persistence file in the test's folder, so a restart keeps the stations' sessions (their
subscriptions and the pushes queued for them) as a district's broker does.

`Broker.start()`, `.stop()` (SIGTERM: Mosquitto saves its sessions), `.restart()`
(same port), `.kill()` (no save); the `broker` fixture always leaves no process behind.
"""

from __future__ import annotations

import contextlib
import getpass
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
START_TIMEOUT_S = 10.0

CONFIG = """\
listener {port} 127.0.0.1
allow_anonymous true
user {user}
persistence true
persistence_location {folder}/
persistence_file broker.db
autosave_interval 1
max_queued_messages 10000
log_dest file {folder}/broker.log
log_type error
log_type warning
log_type notice
"""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Broker:
    """One Mosquitto process; `url` is what a station's `[district] broker` says."""

    def __init__(self, folder: Path, port: int | None = None) -> None:
        self.folder = folder
        self.port = port or free_port()
        self.config = folder / "mosquitto.conf"
        self._process: subprocess.Popen[bytes] | None = None
        folder.mkdir(parents=True, exist_ok=True)
        # as root, Mosquitto would switch to user 'mosquitto', which cannot write its
        # persistence file (sessions lost on restart) or log in the test's private folder
        self.config.write_text(CONFIG.format(port=self.port, folder=folder,
                                             user=getpass.getuser()), encoding="utf-8")

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> Broker:
        if not Path(MOSQUITTO).exists():
            pytest.skip("mosquitto is not installed: apt-get install mosquitto")
        self._process = subprocess.Popen([MOSQUITTO, "-c", str(self.config)],
                                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise AssertionError(f"mosquitto exited with {self._process.returncode}:\n"
                                     f"{self.log()}")
            with contextlib.suppress(OSError), \
                    socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                return self
            time.sleep(0.02)
        raise AssertionError(f"mosquitto did not listen on {self.port}:\n{self.log()}")

    def stop(self) -> None:
        """SIGTERM: Mosquitto writes its persistence file, then exits."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def kill(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()

    def restart(self) -> Broker:
        self.stop()
        return self.start()

    def log(self) -> str:
        path = self.folder / "broker.log"
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    """A running Mosquitto of this test alone, stopped afterwards whatever happened."""
    running = Broker(tmp_path / "broker").start()
    try:
        yield running
    finally:
        running.stop()
