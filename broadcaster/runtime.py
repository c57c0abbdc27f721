"""What lives under the runtime directory (tmpfs, e.g. /run/broadcaster) and talks to the
system: the control socket, systemd's notify socket, the clock's
NTP state. Nothing here touches the SD card."""

from __future__ import annotations

import contextlib
import functools
import os
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import ctypes

    from broadcaster.config import Config

# ctypes and logging are imported where used: `say` and `queue` only poke the daemon.
CONTROL_SOCKET = "control"


def control_socket_path(config: Config) -> Path:
    return config.runtime_dir / CONTROL_SOCKET


def poke_daemon(config: Config) -> bool:
    """Tell a running daemon to look at the database now; False if none is listening."""
    path = control_socket_path(config)
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.sendto(b"sync", str(path))
    except OSError:
        return False  # not running, or no permission: it polls the database anyway
    return True


def notify(state: str) -> None:
    """sd_notify: tell systemd READY=1, WATCHDOG=1, STOPPING=1 (no-op outside systemd)."""
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return
    if address.startswith("@"):
        address = "\0" + address[1:]
    with contextlib.suppress(OSError), socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.sendto(state.encode(), address)


def watchdog_interval() -> float | None:
    """Half of systemd's WatchdogSec, when systemd asked to be fed; None otherwise."""
    usec = os.environ.get("WATCHDOG_USEC")
    if not usec or (os.environ.get("WATCHDOG_PID") not in (None, str(os.getpid()))):
        return None
    return int(usec) / 2_000_000


_STA_UNSYNC = 0x0040
_TIME_ERROR = 5


@functools.cache
def _timex() -> type[ctypes.Structure]:
    """struct timex of adjtimex(2), as far as it is read here."""
    import ctypes

    class Timex(ctypes.Structure):
        _fields_ = [("modes", ctypes.c_uint), ("offset", ctypes.c_long),
                    ("freq", ctypes.c_long), ("maxerror", ctypes.c_long),
                    ("esterror", ctypes.c_long), ("status", ctypes.c_int),
                    ("padding", ctypes.c_byte * 200)]

    return Timex


@functools.cache
def _libc() -> ctypes.CDLL | None:
    """The C library already loaded into this process (no `ldconfig -p` child, which
    `ctypes.util.find_library` would start at every call)."""
    import ctypes

    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


def clock_synchronized() -> bool | None:
    """Whether the kernel's clock is disciplined by NTP (any client: timesyncd, chrony,
    ntpd), from adjtimex(2); None when that cannot be asked."""
    import ctypes

    libc = _libc()
    if libc is None:
        return None
    try:
        timex = _timex()()
        state = libc.adjtimex(ctypes.byref(timex))
    except (OSError, AttributeError):
        return None
    if state < 0:
        return None
    return state != _TIME_ERROR and not (timex.status & _STA_UNSYNC)


class ControlListener:
    """A datagram socket the CLI pokes after changing the database: the station then looks
    at once instead of at its next poll (an emergency reaches the player in milliseconds)."""

    def __init__(self, path: Path, poke: Callable[[], None]) -> None:
        self.path = path
        self._poke = poke
        self._sock: socket.socket | None = None

    def start(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.unlink(missing_ok=True)
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            sock.bind(str(self.path))
            self.path.chmod(0o660)  # the 'broadcaster' group may poke
        except OSError as exc:  # the poll still picks changes up within a second
            import logging

            logging.getLogger(__name__).warning("control socket %s unavailable: %s",
                                                self.path, exc)
            return
        self._sock = sock
        threading.Thread(target=self._serve, name="control", daemon=True).start()

    def _serve(self) -> None:
        sock = self._sock
        while sock is not None:
            try:
                sock.recv(64)
            except OSError:
                return
            self._poke()

    def close(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            sock.close()
            self.path.unlink(missing_ok=True)
