"""One station per data directory, and a database that stays the one the daemon opened.

`StationLock` holds an exclusive lock on `data_dir/station.lock` for the daemon's life
(the kernel drops it when the process dies, kill -9 and power cut included, so a stale
file never blocks a restart); a second daemon is refused with the first one's pid.
`DatabaseWatch` notices the database file deleted or replaced under the daemon: the
daemon then reports it and exits non-zero, and systemd starts it again on the new state.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from broadcaster.i18n import N_, _
from broadcaster.model import OperatorError

LOCK_FILE = "station.lock"
MSG_ALREADY_RUNNING = N_("another station daemon (pid {pid}) already runs on {data_dir}; "
                         "stop it first (`sudo systemctl stop broadcaster`)")
MSG_LOCK_FAILED = N_("{path}: cannot lock the station's data folder ({reason})")
MSG_DB_GONE = N_("the station database {path} was deleted under the running daemon; "
                 "restarting on the new state")
MSG_DB_REPLACED = N_("the station database {path} was replaced under the running daemon; "
                     "restarting on the new state")


class StationLock:
    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / LOCK_FILE
        self._fd: int | None = None

    def acquire(self) -> None:
        """Raises OperatorError naming the running daemon's pid when it is taken."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o664)
        except OSError as exc:
            raise OperatorError(_(MSG_LOCK_FAILED).format(path=self.path,
                                                          reason=exc.strerror)) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise OperatorError(_(MSG_ALREADY_RUNNING).format(
                pid=holder, data_dir=self.path.parent)) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)  # the lock goes with it; the file stays (no race with a newcomer)


def holder(data_dir: Path) -> int | None:
    """The pid of the daemon holding `data_dir`, or None when none does."""
    path = data_dir / LOCK_FILE
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        text = os.pread(fd, 32, 0).decode(errors="replace").strip()
        return int(text) if text.isdigit() else -1
    finally:
        os.close(fd)
    return None


class DatabaseWatch:
    """Remembers which file the database is (device and inode) and tells when the path
    no longer leads to it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._identity = self._current()

    def _current(self) -> tuple[int, int] | None:
        try:
            info = self.path.stat()
        except OSError:
            return None
        return info.st_dev, info.st_ino

    def problem(self) -> str | None:
        """None while the database is the one opened; else one line saying what happened."""
        now = self._current()
        if now == self._identity:
            return None
        message = _(MSG_DB_GONE) if now is None else _(MSG_DB_REPLACED)
        return message.format(path=self.path)
