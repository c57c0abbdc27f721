"""The province's file depot (SPEC §7): the recorded audio of its pushes, kept by content,
and what serves it to the stations, chunk by chunk, when they ask (files.py: the wire).

  <data_dir>/district/files/SHA256     one file per recording, named by its SHA-256 hex

`district push` puts a pushed playlist's files here (`put`); the receipt collector (`district
collect`, collector.py) reads the stations' requests on P/stations/+/need and answers each
on P/stations/S/chunks/SHA with a `Depot`. Both must therefore use the same data_dir: the
same machine and config, or a shared folder.

A `Depot` serves on a thread of its own, so a station's request never holds up the
receipts: the collector hands it a request (`ask`, never blocks) and goes on. It keeps
at most `max_inflight` chunks published and not yet acknowledged by the broker (paho's
`on_publish` calls `acknowledged`), so paho never queues more than that much audio, and it
takes stations in turn, one chunk each, so one station's 300 chunks do not keep 499 others
waiting. A chunk already waiting for a station is not queued twice. Requests for a file it
does not have, or a chunk past a file's end, are skipped and logged (a few lines a minute).
"""

from __future__ import annotations

import hashlib
import logging
import os
import queue
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from broadcaster.i18n import N_, _
from broadcaster.model import OperatorError
from broadcaster.upstream import files
from broadcaster.upstream.broker_url import is_station_id

if TYPE_CHECKING:
    from broadcaster.config import Config

log = logging.getLogger(__name__)

FOLDER = "files"  # beside the collector's database: <data_dir>/district/files
MAX_INFLIGHT = 64  # chunks at the broker not yet acknowledged: 4 MiB of audio at most
MAX_WAITING_PER_STATION = 4 * files.NEED_WINDOW * files.MAX_FILES  # a flood is cut here
_COPY_BYTES = 1024 * 1024

MSG_CANNOT_STORE = N_("{path}: cannot copy it into the file depot {folder} ({reason}); "
                      "check the disk and the folder's permissions")
MSG_CHANGED = N_("{path} changed while it was copied into the file depot; push again once "
                 "it is written in full")


def depot_folder(config: Config) -> Path:
    """Where the province keeps its pushes' files: `<data_dir>/district/files`."""
    return config.data_dir / "district" / FOLDER


def beside(collector_db: Path) -> Path:
    """The depot folder beside the collector's database (the same data_dir)."""
    return collector_db.parent / FOLDER


# --- the store ---------------------------------------------------------------------------------

def put(folder: Path, path: Path, sha256: str | None = None) -> str:
    """Copy the file at `path` into `folder`, named by its SHA-256 hex; returns that hash.
    Nothing is copied when the depot has it already. The copy is written to a temporary
    file beside, fsynced, read back and hashed, then renamed into place, so the depot
    never holds a partial or wrong file under a hash. `sha256`, when given (the manifest's),
    is what the file must hash to. Raises OperatorError (nothing left behind) when the
    file cannot be read or written, or changed meanwhile."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        expected = sha256 or _hash_of(path)
        target = folder / expected
        if target.is_file():
            return expected
        temp = folder / f".{expected}.{os.getpid()}.{threading.get_ident()}.part"
        try:
            copied = hashlib.sha256()
            with path.open("rb") as source, temp.open("wb") as copy:
                while block := source.read(_COPY_BYTES):
                    copied.update(block)
                    copy.write(block)
                copy.flush()
                os.fsync(copy.fileno())
            if copied.hexdigest() != expected or _hash_of(temp) != expected:
                raise OperatorError(_(MSG_CHANGED).format(path=path))
            temp.replace(target)
        finally:
            temp.unlink(missing_ok=True)
        _sync_folder(folder)
    except OSError as exc:
        raise OperatorError(_(MSG_CANNOT_STORE).format(
            path=path, folder=folder, reason=exc.strerror or exc)) from None
    return expected


def _hash_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while block := source.read(_COPY_BYTES):
            digest.update(block)
    return digest.hexdigest()


def _sync_folder(folder: Path) -> None:
    """The rename itself on disk: a power cut after the push cannot lose the file."""
    handle = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def chunk_span(size: int, chunk_bytes: int, index: int) -> tuple[int, int] | None:
    """(offset, length) of chunk `index` of a file of `size` bytes, or None past its end.
    An empty file is one empty chunk."""
    count = max(1, -(-size // chunk_bytes))
    if index >= count:
        return None
    offset = index * chunk_bytes
    return offset, min(chunk_bytes, size - offset)


# --- serving -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Asked:
    need: files.Need


@dataclass(frozen=True)
class _Acknowledged:
    mid: int


@dataclass(frozen=True)
class _Link:
    up: bool


class _Stop:
    pass


_Event = _Asked | _Acknowledged | _Link | _Stop

Publish = Callable[[str, bytes], int]
"""Publish (topic, payload) at QoS 1; returns paho's message id (its `on_publish` later
says the broker has it). May raise when the connection is lost: the chunk is then dropped
and the station asks again."""


@dataclass(frozen=True)
class _Chunk:
    sha256: str
    chunk_bytes: int
    index: int


class Depot:
    """Serves the files in `folder` to the stations that ask, on a thread of its own.

    Thread-safe entry points (`ask`, `acknowledged`, `link_up`, `link_down`, `stop`) only
    put an event on a queue; the serving thread alone owns what is waiting and in flight.
    `published`, `inflight` and `peak_inflight` are counters for the log and for tests."""

    def __init__(self, folder: Path, publish: Publish, prefix: str, *,
                 max_inflight: int = MAX_INFLIGHT,
                 clock: Callable[[], float] = time.monotonic) -> None:
        from broadcaster.upstream.collector import SkipWarnings

        self.folder = folder
        self.prefix = prefix
        self.max_inflight = max_inflight
        self.published = 0
        self.peak_inflight = 0
        self.skips = SkipWarnings(clock)
        self._publish = publish
        # paho calls on_publish holding its own lock: a queue, never a lock of ours
        self._events: queue.SimpleQueue[_Event] = queue.SimpleQueue()
        self._waiting: dict[str, OrderedDict[_Chunk, None]] = {}
        self._turns: deque[str] = deque()  # stations with chunks waiting, next first
        self._inflight: set[int] = set()
        self._up = False
        self._thread: threading.Thread | None = None

    @property
    def inflight(self) -> int:
        return len(self._inflight)

    @property
    def waiting(self) -> int:
        return sum(len(chunks) for chunks in list(self._waiting.values()))

    # --- from other threads -----------------------------------------------------------------

    def start(self) -> Depot:
        self._thread = threading.Thread(target=self._serve, name="depot", daemon=True)
        self._thread.start()
        return self

    def ask(self, need: files.Need) -> None:
        """A station's request: queued, never blocks."""
        self._events.put(_Asked(need))

    def acknowledged(self, mid: int) -> None:
        """The broker has message `mid` (paho's on_publish)."""
        self._events.put(_Acknowledged(mid))

    def link_up(self) -> None:
        """Connected (again): what was in flight before is forgotten (paho sends it again
        or it is lost; the station asks again for what it lacks)."""
        self._events.put(_Link(up=True))

    def link_down(self) -> None:
        """Disconnected: serving pauses; what is waiting is kept."""
        self._events.put(_Link(up=False))

    def stop(self, timeout_s: float = 5.0) -> None:
        self._events.put(_Stop())
        if self._thread is not None:
            self._thread.join(timeout_s)

    # --- the serving thread -----------------------------------------------------------------

    def _serve(self) -> None:
        while True:
            event: _Event | None = None
            try:
                if self._up and self._turns and len(self._inflight) < self.max_inflight:
                    try:
                        event = self._events.get_nowait()
                    except queue.Empty:
                        self._serve_one()
                        continue
                else:
                    event = self._events.get()
                if isinstance(event, _Stop):
                    return
                self._take(event)
            except Exception:  # one bad request or chunk never ends the serving
                log.exception("the file depot could not serve %r", event)

    def _take(self, event: _Event) -> None:
        if isinstance(event, _Acknowledged):
            self._inflight.discard(event.mid)
        elif isinstance(event, _Link):
            self._up = event.up
            if event.up:
                self._inflight.clear()
        elif isinstance(event, _Asked):
            self._queue(event.need)

    def _queue(self, need: files.Need) -> None:
        station = need.station
        if not is_station_id(station) or not files.is_sha256(need.sha256):
            self._skip(station, need.sha256, "not a station or not a SHA-256")
            return
        try:
            size = (self.folder / need.sha256).stat().st_size
        except OSError:
            self._skip(station, need.sha256, "a file the depot does not have")
            return
        waiting = self._waiting.setdefault(station, OrderedDict())
        for index in need.chunks:
            if chunk_span(size, need.chunk_bytes, index) is None:
                self._skip(station, need.sha256, f"chunk {index} is past the file's end "
                                                 f"({size} bytes in {need.chunk_bytes})")
                continue
            if len(waiting) >= MAX_WAITING_PER_STATION:
                self._skip(station, need.sha256, f"{len(waiting)} chunks already waiting")
                break
            waiting[_Chunk(need.sha256, need.chunk_bytes, index)] = None  # once, if twice
        if not waiting:
            del self._waiting[station]
        elif station not in self._turns:
            self._turns.append(station)

    def _serve_one(self) -> None:
        station = self._turns.popleft()
        waiting = self._waiting[station]
        chunk, _none = waiting.popitem(last=False)
        if waiting:
            self._turns.append(station)  # the next station's turn first
        else:
            del self._waiting[station]
        data = self._read(chunk)
        if data is None:
            self._skip(station, chunk.sha256, "the file went from the depot or is unreadable")
            return
        topic = files.chunk_topic(self.prefix, station, chunk.sha256)
        try:
            mid = self._publish(topic, files.encode_chunk(chunk.index, data))
        except Exception as exc:  # the link went: the station asks again
            log.warning("could not send chunk %d of %s to %s: %s", chunk.index,
                        chunk.sha256[:12], station, exc)
            return
        self._inflight.add(mid)
        self.published += 1
        self.peak_inflight = max(self.peak_inflight, len(self._inflight))

    def _read(self, chunk: _Chunk) -> bytes | None:
        path = self.folder / chunk.sha256
        try:
            with path.open("rb") as source:
                size = os.fstat(source.fileno()).st_size
                span = chunk_span(size, chunk.chunk_bytes, chunk.index)
                if span is None:
                    return None
                source.seek(span[0])
                data = source.read(span[1])
        except OSError:
            return None
        return data if len(data) == span[1] else None

    def _skip(self, station: str, sha256: str, why: str) -> None:
        self.skips.skipped("need", files.need_topic(self.prefix, station[:64]), None,
                           f"file {str(sha256)[:64]}: {why}")
