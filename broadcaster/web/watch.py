"""Has the station changed since a page was drawn? The pages poll this every few seconds.

A change is a commit to the station database by anyone (SQLite's `data_version`, read on a
connection of our own: no write, no lock) or a new live status from the daemon (the status
file under the runtime directory, replaced whenever it changes). Looked at no more often
than `every_s`, however many browsers poll. Used from the event loop's thread only, which
owns the connection.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from broadcaster.model import OperatorError
from broadcaster.status import status_path
from broadcaster.store import DATABASE, Store

if TYPE_CHECKING:
    from broadcaster.config import Config

Fingerprint = tuple[object, ...]


class StationWatch:
    """A counter that grows when the station changes (`version`)."""

    def __init__(self, config: Config, every_s: float = 1.0,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._database = config.data_dir / DATABASE
        self._status = status_path(config)
        self._every_s = every_s
        self._monotonic = monotonic
        self._store: Store | None = None
        self._store_inode: int | None = None
        self._looked = float("-inf")
        self._last: Fingerprint | None = None
        self._version = 1

    def version(self) -> int:
        """The current version: the same number as long as nothing changed."""
        now = self._monotonic()
        if now - self._looked >= self._every_s:
            self._looked = now
            fingerprint = self._fingerprint()
            if self._last is not None and fingerprint != self._last:
                self._version += 1
            self._last = fingerprint
        return self._version

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def _fingerprint(self) -> Fingerprint:
        return self._data_version(), _stat(self._status)

    def _data_version(self) -> object:
        """The database's data_version on our connection, opened again when the file was
        replaced (a restored backup) so we do not watch a file nobody writes any more."""
        inode = _stat(self._database)[0]
        if self._store is not None and inode != self._store_inode:
            self.close()
        if self._store is None:
            if inode is None:
                return None  # no database yet: the first command creates it
            try:
                self._store = Store(self._database)
            except OperatorError:
                return None
            self._store_inode = inode
        try:
            return (self._store_inode, self._store.data_version())
        except sqlite3.DatabaseError:  # gone bad under us: open it again next time
            with contextlib.suppress(sqlite3.DatabaseError):
                self.close()
            return None


def _stat(path: Path) -> tuple[int | None, int, int]:
    """(inode, modification time in ns, size) of a file; (None, 0, 0) when there is none."""
    try:
        found = path.stat()
    except OSError:
        return None, 0, 0
    return found.st_ino, found.st_mtime_ns, found.st_size
