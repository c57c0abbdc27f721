"""What lives under the runtime directory (tmpfs, e.g. /run/broadcaster) and talks to the
system: the live status file, the control socket, systemd's notify socket, the clock's
NTP state. Nothing here touches the SD card."""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import json
import os
import socket
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from broadcaster.config import Config

CONTROL_SOCKET = "control"


class StatusFile:
    """The daemon's live status as JSON, replaced atomically so a reader never sees half."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._last = ""

    def write(self, status: dict[str, Any]) -> None:
        text = json.dumps(status, ensure_ascii=False, sort_keys=True)
        if text == self._last:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(f".{self.path.name}.tmp")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(self.path)
        except OSError:
            return  # status is a convenience; airing goes on without it
        self._last = text

    def read(self) -> dict[str, Any] | None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def remove(self) -> None:
        with contextlib.suppress(OSError):
            self.path.unlink()


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


class _Timex(ctypes.Structure):
    _fields_ = [("modes", ctypes.c_uint), ("offset", ctypes.c_long), ("freq", ctypes.c_long),
                ("maxerror", ctypes.c_long), ("esterror", ctypes.c_long),
                ("status", ctypes.c_int), ("padding", ctypes.c_byte * 200)]


_STA_UNSYNC = 0x0040
_TIME_ERROR = 5


def clock_synchronized() -> bool | None:
    """Whether the kernel's clock is disciplined by NTP (any client: timesyncd, chrony,
    ntpd), from adjtimex(2); None when that cannot be asked."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        libc = ctypes.CDLL(name, use_errno=True)
        timex = _Timex()
        state = libc.adjtimex(ctypes.byref(timex))
    except (OSError, AttributeError):
        return None
    if state < 0:
        return None
    return state != _TIME_ERROR and not (timex.status & _STA_UNSYNC)
