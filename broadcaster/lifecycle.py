"""One station per data directory, and a database that stays the one the daemon opened.

`StationLock` holds an exclusive lock on `data_dir/station.lock` for the daemon's life
(the kernel drops it when the process dies, kill -9 and power cut included, so a stale
file never blocks a restart); a second daemon is refused with the first one's pid. The
`air` command holds the same lock while it plays: the lock is the sound output's owner,
so `air` and the daemon never mix two programs on the loudspeakers.
`DatabaseWatch` notices the database file deleted or replaced under the daemon: the
daemon then reports it and exits non-zero, and systemd starts it again on the new state.
`ClockSteps` notices the station's clock being set under it (NTP's first fix on a box
without a real-time clock, a machine paused and set right): the daemon says so in its
log, since every time it logs from then on is on the new clock.
"""

from __future__ import annotations

import fcntl
import os
from dataclasses import dataclass
from pathlib import Path

from broadcaster.i18n import N_, _
from broadcaster.model import OperatorError

LOCK_FILE = "station.lock"
DAEMON = "daemon"  # who holds the lock: written after the pid in the lock file
AIR = "air"
MSG_ALREADY_RUNNING = N_("another station daemon (pid {pid}) already runs on {data_dir}; "
                         "stop it first (`sudo systemctl stop broadcaster`)")
MSG_AIR_PLAYING = N_("`broadcaster air` (pid {pid}) is playing through the station's output; "
                     "start the daemon once it has ended")
MSG_DAEMON_OWNS_OUTPUT = N_(
    "the station daemon (pid {pid}) owns the sound output and `air` would mix a second "
    "program into it; queue it instead with `broadcaster play FILE` or `broadcaster say "
    "TEXT` (it airs in turn and is logged), or stop the daemon first "
    "(`sudo systemctl stop broadcaster`)")
MSG_AIR_ALREADY = N_("another `broadcaster air` (pid {pid}) is playing; wait until it ends")
MSG_LOCK_FAILED = N_("{path}: cannot lock the station's data folder ({reason})")
MSG_DB_GONE = N_("the station database {path} was deleted under the running daemon; "
                 "restarting on the new state")
MSG_DB_REPLACED = N_("the station database {path} was replaced under the running daemon; "
                     "restarting on the new state")
MSG_CLOCK_SET = N_("the station's clock was set {seconds:+.1f} s (by NTP, or the machine "
                   "was paused); slots, expiries and the as-run log follow the new time")
CLOCK_STEP_S = 1.0  # the wall clock moved this much against the monotonic one: it was set


class StationLock:
    """The station's sound output, held by the daemon (`role` DAEMON) or by `air` (AIR)."""

    def __init__(self, data_dir: Path, role: str = DAEMON) -> None:
        self.path = data_dir / LOCK_FILE
        self.role = role
        self._fd: int | None = None

    def acquire(self) -> None:
        """Raises OperatorError naming who holds it (the daemon or `air`, and its pid).

        The data folder is created when missing. `air` on a station whose data folder it
        may not write plays without holding the lock, once it has seen that no daemon
        holds it."""
        from broadcaster.config import make_data_dir

        try:
            make_data_dir(self.path.parent)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o664)
        except (OperatorError, OSError) as exc:
            if self.role == AIR:
                held = lock_holder(self.path.parent)
                if held is not None:
                    raise self._refusal(held) from None
                return
            if isinstance(exc, OperatorError):
                raise
            raise OperatorError(_(MSG_LOCK_FAILED).format(path=self.path,
                                                          reason=exc.strerror)) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            held = _read_holder(fd)
            os.close(fd)
            raise self._refusal(held) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()} {self.role}\n".encode(), 0)
        self._fd = fd

    def _refusal(self, held: Holder) -> OperatorError:
        pid = held.pid if held.pid > 0 else "unknown"
        if self.role == AIR:
            message = MSG_DAEMON_OWNS_OUTPUT if held.role == DAEMON else MSG_AIR_ALREADY
        else:
            message = MSG_ALREADY_RUNNING if held.role == DAEMON else MSG_AIR_PLAYING
        return OperatorError(_(message).format(pid=pid, data_dir=self.path.parent))

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)  # the lock goes with it; the file stays (no race with a newcomer)


@dataclass(frozen=True)
class Holder:
    pid: int  # -1 when the lock file does not say
    role: str  # DAEMON or AIR


def _read_holder(fd: int) -> Holder:
    """What the lock file says: "PID ROLE" (a daemon before roles wrote the pid alone)."""
    words = os.pread(fd, 64, 0).decode(errors="replace").split()
    pid = int(words[0]) if words and words[0].isdigit() else -1
    return Holder(pid, words[1] if len(words) > 1 else DAEMON)


def lock_holder(data_dir: Path) -> Holder | None:
    """Who holds the station's lock (the daemon or `air`), or None when nobody does: the
    kernel lets go of it the moment its process dies, kill -9 included."""
    path = data_dir / LOCK_FILE
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        return _read_holder(fd)
    finally:
        os.close(fd)
    return None


def holder(data_dir: Path) -> int | None:
    """The pid of the daemon holding `data_dir` (-1 when its lock file does not say), or
    None when no daemon does (nobody, or `air` playing while the daemon is down)."""
    held = lock_holder(data_dir)
    return held.pid if held is not None and held.role == DAEMON else None


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


class ClockSteps:
    """The station's wall clock against the monotonic one: tells when it was set."""

    def __init__(self) -> None:
        self._offset: float | None = None

    def seen(self, wall: float, monotonic: float) -> str | None:
        """Given both clocks read now (seconds): one line saying by how much the wall clock
        was set since the last look, or None when it ran on steadily."""
        offset = wall - monotonic
        last, self._offset = self._offset, offset
        if last is None or abs(offset - last) <= CLOCK_STEP_S:
            return None
        return _(MSG_CLOCK_SET).format(seconds=offset - last)
