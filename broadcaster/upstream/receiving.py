"""The station's side of a push's recorded audio (files.py): chunks in, verified files out.

The files land where `play` keeps its copies (`audio_dir/queued/`, queued_audio.py),
named by their SHA-256, so the same recording is kept once and let go once nothing to
air names it. While one arrives it is `.<sha>.incoming` (its full size, chunks written
in place) beside `.<sha>.have` (one byte per chunk: 1 once written and fsynced), so a
power cut or a lost link loses at most the chunks in flight: the station asks again for
what `.have` lacks. A complete file's whole SHA-256 is checked, then it is renamed.

It runs on its own thread: writing and fsyncing chunks never holds up the station
thread (an emergency push behind a file still cuts in at once) nor paho's. It tells the
station thread, through `post`, ("file_done", sha), ("file_failed", sha, reason) and
("chunk_refused", sha, index, reason); it asks the depot through `ask` (the link).

Chunks of a file no push has named yet (sent ahead, or a push still on its way) are kept
in memory, at most ORPHAN_BYTES together and ORPHAN_S each, then dropped.
"""

from __future__ import annotations

import hashlib
import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from broadcaster.i18n import N_, _
from broadcaster.playlist.audio_files import looks_like_audio
from broadcaster.upstream.files import (
    NEED_WINDOW,
    FileManifest,
    FilesRefused,
    Need,
    check_chunk,
    decode_chunk,
    next_wanted,
)

log = logging.getLogger(__name__)

STALL_S = 20.0  # no chunk for this long: ask again for what is missing
MAX_BAD = 3  # a chunk refused this many times: the file cannot come right, the push fails
ORPHAN_BYTES = 8 * 1024 * 1024
ORPHAN_S = 600.0
_BLOCK = 1024 * 1024

MSG_TOO_MANY_BAD = N_("chunk {index} of file {name} was refused {count} times: {reason}")
MSG_NOT_AUDIO = N_("file {name} arrived whole, but it is not audio the station can air")
MSG_CANNOT_WRITE = N_("file {name} cannot be written on the station ({reason})")


@dataclass
class _Arriving:
    manifest: FileManifest
    have: bytearray
    asked: dict[int, float] = field(default_factory=dict)  # index → when asked
    bad: dict[int, int] = field(default_factory=dict)
    last_news: float = 0.0

    def missing(self) -> list[int]:
        return [index for index, got in enumerate(self.have) if not got]


class FileReceiver:
    """Receives the files of pushes into `folder` (queued_audio.folder(audio_dir)).

    `expect`, `forget`, `chunk` and `connected` are safe from any thread; the work is
    done on the receiver's thread (`start`/`stop`)."""

    def __init__(self, folder: Path, station_id: str, *, ask: Callable[[Need], bool],
                 post: Callable[..., None], clock: Callable[[], float] = time.monotonic,
                 stall_s: float = STALL_S, orphan_bytes: int = ORPHAN_BYTES,
                 orphan_s: float = ORPHAN_S) -> None:
        self.folder = folder
        self.station_id = station_id
        self._ask = ask
        self._post = post
        self._clock = clock
        self._stall_s = stall_s
        self._orphan_bytes = orphan_bytes
        self._orphan_s = orphan_s
        self._work: queue.SimpleQueue[tuple[str, object, object]] = queue.SimpleQueue()
        self._arriving: dict[str, _Arriving] = {}
        self._expected: set[str] = set()  # asked for by `expect`, not yet whole or let go
        self._orphans: dict[tuple[str, int], tuple[float, bytes]] = {}  # (sha, index)
        self._thread: threading.Thread | None = None

    # --- from any thread -------------------------------------------------------------------

    def expect(self, manifest: FileManifest) -> None:
        """A push names this file: fetch it (or say at once that it is here)."""
        self._expected.add(manifest.sha256)
        self._work.put(("expect", manifest, None))

    def forget(self, sha256: str) -> None:
        """No push needs it any more: stop asking, delete what arrived of it."""
        self._expected.discard(sha256)
        self._work.put(("forget", sha256, None))

    def chunk(self, sha256: str, payload: bytes) -> None:
        self._work.put(("chunk", sha256, payload))

    def connected(self) -> None:
        """The link is (re)connected: ask again for everything missing."""
        self._work.put(("connected", None, None))

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="upstream-files", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        if self._thread is not None:
            self._work.put(("stop", None, None))
            self._thread.join(timeout_s)
            self._thread = None

    def expected(self) -> set[str]:
        """The files asked for by `expect` and not yet whole, failed or let go (the
        receiver's thread may not have started on them yet); a snapshot, any thread."""
        return set(self._expected)

    def arriving(self) -> dict[str, tuple[int, int]]:
        """sha → (chunks here, chunks in all), for status; a snapshot, any thread."""
        return {sha: (sum(state.have), len(state.have))
                for sha, state in list(self._arriving.items())}

    def held_back(self) -> int:
        """Bytes of chunks kept for a file no push has named yet; a snapshot, any thread."""
        return sum(len(data) for _at, data in list(self._orphans.values()))

    # --- the receiver's thread ----------------------------------------------------------------

    def _run(self) -> None:
        while True:
            try:
                kind, first, second = self._work.get(timeout=1.0)
            except queue.Empty:
                self._look_around()
                continue
            try:
                if kind == "stop":
                    return
                if kind == "expect" and isinstance(first, FileManifest):
                    self._expect(first)
                elif kind == "forget" and isinstance(first, str):
                    self._forget(first)
                elif kind == "chunk" and isinstance(first, str) and isinstance(second, bytes):
                    self._chunk(first, second)
                elif kind == "connected":
                    for state in self._arriving.values():
                        state.asked.clear()
                        self._ask_more(state)
            except Exception:  # one bad file never stops the others
                log.exception("receiving a push's file failed (%s)", kind)
            self._look_around()

    def _tell(self, kind: str, sha: str, *rest: object) -> None:
        """Tell the station thread; a file whole or failed is no longer expected."""
        if kind in ("file_done", "file_failed"):
            self._expected.discard(sha)
        self._post("upstream", kind, sha, *rest)

    def _paths(self, sha: str) -> tuple[Path, Path]:
        return self.folder / f".{sha}.incoming", self.folder / f".{sha}.have"

    def _expect(self, manifest: FileManifest) -> None:
        sha = manifest.sha256
        if sha in self._arriving:
            return
        if (self.folder / manifest.stored_name).exists():
            self._tell("file_done", sha)
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        part, have_path = self._paths(sha)
        have = bytearray(len(manifest.chunks))
        try:
            if part.exists() and have_path.exists() and part.stat().st_size == manifest.size:
                kept = have_path.read_bytes()
                if len(kept) == len(have):
                    have = bytearray(kept)
            else:
                with part.open("wb") as handle:
                    handle.truncate(manifest.size)
                _write_have(have_path, have)
        except OSError as exc:
            self._tell("file_failed", sha, _(MSG_CANNOT_WRITE).format(
                name=manifest.name, reason=exc.strerror or exc))
            return
        state = self._arriving[sha] = _Arriving(manifest, have, last_news=self._clock())
        log.info("receiving file %s (%s, %d bytes, %d of %d chunks here)", manifest.name,
                 sha[:12], manifest.size, sum(1 for got in have if got), len(have))
        for (orphan_sha, index), (_at, data) in list(self._orphans.items()):
            if orphan_sha == sha:
                del self._orphans[(orphan_sha, index)]
                self._store(state, index, data, ask=False)
                if sha not in self._arriving:
                    return
        if all(state.have):
            self._complete(state)
        else:
            self._ask_more(state)

    def _forget(self, sha: str) -> None:
        self._arriving.pop(sha, None)
        for path in self._paths(sha):
            path.unlink(missing_ok=True)

    def _chunk(self, sha: str, payload: bytes) -> None:
        state = self._arriving.get(sha)
        if state is None:
            if not self._complete_files(sha):  # else a late repeat of a file here: no effect
                self._keep_orphan(sha, payload)
            return
        try:
            index, data = decode_chunk(payload)
        except FilesRefused as refusal:
            self._refused(state, -1, str(refusal))
            return
        self._store(state, index, data)

    def _store(self, state: _Arriving, index: int, data: bytes, *, ask: bool = True) -> None:
        manifest = state.manifest
        if index < len(state.have) and state.have[index]:
            return  # QoS 1 delivers at least once: a repeat changes nothing
        try:
            check_chunk(manifest, index, data)
        except FilesRefused as refusal:
            self._refused(state, index, str(refusal))
            return
        part, have_path = self._paths(manifest.sha256)
        try:
            descriptor = os.open(part, os.O_WRONLY)
            try:
                os.pwrite(descriptor, data, index * manifest.chunk_bytes)
                os.fsync(descriptor)  # on disk before `.have` says so
            finally:
                os.close(descriptor)
            state.have[index] = 1
            _write_have(have_path, state.have)
        except OSError as exc:
            self._arriving.pop(manifest.sha256, None)
            self._tell("file_failed", manifest.sha256, _(MSG_CANNOT_WRITE).format(
                name=manifest.name, reason=exc.strerror or exc))
            return
        state.asked.pop(index, None)
        state.last_news = self._clock()
        if all(state.have):
            self._complete(state)
        elif ask and len(state.asked) <= NEED_WINDOW // 2:
            # half the window here: ask for the next half now, so the link never idles
            # a round trip between windows (and never more than a window is on its way)
            self._ask_more(state)

    def _refused(self, state: _Arriving, index: int, reason: str) -> None:
        sha = state.manifest.sha256
        log.warning("refused a chunk of %s: %s", state.manifest.name, reason)
        self._tell("chunk_refused", sha, index, reason)
        count = state.bad[index] = state.bad.get(index, 0) + 1
        state.asked.pop(index, None)
        if count >= MAX_BAD:
            self._forget(sha)
            self._tell("file_failed", sha, _(MSG_TOO_MANY_BAD).format(
                index=index, name=state.manifest.name, count=count, reason=reason))

    def _complete(self, state: _Arriving) -> None:
        manifest = state.manifest
        part, have_path = self._paths(manifest.sha256)
        whole = hashlib.sha256()
        with part.open("rb") as handle:
            head = handle.read(12)
            whole.update(head)
            while block := handle.read(_BLOCK):
                whole.update(block)
        self._arriving.pop(manifest.sha256, None)
        if whole.hexdigest() != manifest.sha256:
            from broadcaster.upstream.files import MSG_FILE_HASH

            self._forget(manifest.sha256)
            self._tell("file_failed", manifest.sha256,
                       _(MSG_FILE_HASH).format(name=manifest.name))
            return
        if not looks_like_audio(head):
            self._forget(manifest.sha256)
            self._tell("file_failed", manifest.sha256,
                       _(MSG_NOT_AUDIO).format(name=manifest.name))
            return
        part.replace(self.folder / manifest.stored_name)
        _fsync_folder(self.folder)
        have_path.unlink(missing_ok=True)
        log.info("file %s (%s) complete, %d bytes", manifest.name, manifest.sha256[:12],
                 manifest.size)
        self._tell("file_done", manifest.sha256)

    def _ask_more(self, state: _Arriving) -> None:
        wanted = next_wanted(state.missing(), list(state.asked), NEED_WINDOW)
        if not wanted:
            return
        need = Need(self.station_id, state.manifest.sha256, state.manifest.chunk_bytes,
                    tuple(wanted))
        if self._ask(need):
            moment = self._clock()
            state.asked.update((index, moment) for index in wanted)
            state.last_news = moment

    def _look_around(self) -> None:
        """Ask again where nothing came for a while; let old orphans go."""
        moment = self._clock()
        for state in list(self._arriving.values()):
            if moment - state.last_news >= self._stall_s:
                state.asked.clear()
                state.last_news = moment
                self._ask_more(state)
        for key, (at, _data) in list(self._orphans.items()):
            if moment - at >= self._orphan_s:
                del self._orphans[key]

    def _keep_orphan(self, sha: str, payload: bytes) -> None:
        try:
            index, data = decode_chunk(payload)
        except FilesRefused:
            return
        self._orphans[(sha, index)] = (self._clock(), data)
        while sum(len(data) for _at, data in self._orphans.values()) > self._orphan_bytes:
            oldest = min(self._orphans, key=lambda key: self._orphans[key][0])
            del self._orphans[oldest]

    def _complete_files(self, sha: str) -> list[Path]:
        try:
            return list(self.folder.glob(f"{sha}.*"))
        except OSError:
            return []


def _write_have(path: Path, have: bytearray) -> None:
    """`.have` replaced whole (write, fsync, rename): a power cut leaves the old or the new."""
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("wb") as handle:
        handle.write(have)
        handle.flush()
        os.fsync(handle.fileno())
    tmp.replace(path)


def _fsync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
