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
`HeldWrites` keeps the daemon airing through a database it cannot write for a while
(another program holding its write lock past the wait, a full disk, an I/O error): a
change the database refuses is held, in order, and made again until it goes through.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import time
from collections import deque
from collections.abc import Callable
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
MSG_DB_LOCKED = N_("the station database {path} is locked by another program; the station "
                   "airs on and writes its log once it can: close the program holding the "
                   "station database (a `sqlite3` shell, a backup, a stuck command)")
MSG_DB_UNUSABLE = N_("the station database {path} cannot be written ({reason}); the station "
                     "airs on and writes its log once it can: free space on the SD card, or "
                     "check the card (`dmesg`)")
MSG_WRITES_LOST = N_("the station stopped with {count} changes the database refused "
                     "({reason}); not logged: items {items}")
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


REPORT_AFTER_S = 5.0  # refused this long (the store's busy timeout): said in `status`, logged
_BUSY = (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


class HeldWrites:
    """The daemon's changes to its database, made in the order asked. One the database
    refuses (sqlite3.OperationalError: locked by another program past the connection's
    wait, disk full, I/O error) is held with every one asked after it, and made again at
    each `flush` until it goes through; each keeps the values it was asked with, so an
    as-run line written late has its true times. Reads the database refuses are told
    here too (`refused`): `problem` says what is wrong once it has lasted
    REPORT_AFTER_S. Used by the station thread only."""

    def __init__(self, path: Path, clock: Callable[[], float] = time.monotonic) -> None:
        self.path = path
        self._clock = clock
        self._held: deque[tuple[Callable[[], object], int | None]] = deque()
        self._since: float | None = None  # the first refusal since the database last worked
        self._error: sqlite3.OperationalError | None = None
        self.refusals = 0  # how many so far: a turn of the loop with none changed nothing

    @property
    def held(self) -> int:
        return len(self._held)

    def closing(self) -> set[int]:
        """The queue entries whose closing (as-run line) is held: still pending in the
        database, but finished for the station."""
        return {entry for _change, entry in self._held if entry is not None}

    def write(self, change: Callable[[], object], *, closes: int | None = None) -> None:
        """Make `change` now, or hold it behind those held already (`closes`: the queue
        entry it closes). Never raises sqlite3.OperationalError."""
        self._held.append((change, closes))
        if len(self._held) == 1:
            self.flush()

    def flush(self) -> bool:
        """Make the held changes, oldest first, up to the first refused; True when none
        is left."""
        while self._held:
            change, _closes = self._held[0]
            try:
                change()
            except sqlite3.OperationalError as exc:
                self.refused(exc)
                return False
            self._held.popleft()
        return True

    def refused(self, exc: sqlite3.OperationalError) -> None:
        """The database refused a read or a write (made again later by its caller)."""
        self.refusals += 1
        self._error = exc
        if self._since is None:
            self._since = self._clock()

    def worked(self) -> None:
        """A turn in which nothing was refused and nothing is held: the trouble is over."""
        if not self._held:
            self._since = self._error = None

    def problem(self) -> str | None:
        """One line for `status` and the log (what is wrong, what to do), once the database
        has refused the station for REPORT_AFTER_S; else None."""
        error = self._error
        if error is None or self._since is None or \
                self._clock() - self._since < REPORT_AFTER_S:
            return None
        if error.sqlite_errorcode & 0xFF in _BUSY:
            return _(MSG_DB_LOCKED).format(path=self.path)
        return _(MSG_DB_UNUSABLE).format(path=self.path, reason=error)

    def lost(self) -> str | None:
        """One line naming what is still held (said when the daemon stops with it), or
        None when nothing is."""
        if not self._held:
            return None
        items = ", ".join(f"#{entry}" for entry in sorted(self.closing())) or "-"
        return _(MSG_WRITES_LOST).format(count=len(self._held), reason=self._error,
                                         items=items)
