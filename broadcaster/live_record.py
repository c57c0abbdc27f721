"""The station's record of its live sessions: what went to air from the microphone (after
the gate and the limiter), one OGG Vorbis file per session under `<audio_dir>/live/`,
named by its start (station time) and queue id: `live-20260514-091203-12.ogg`.

`Recording` encodes from a thread of its own: the player hands it blocks and never waits
for the disk (nor does PortAudio's callback, which never sees it). `prune` keeps the
folder within `[live] keep_days` and `max_mb`, oldest first; it looks at files named as
ours directly in that folder and nothing else.
"""

from __future__ import annotations

import logging
import queue
import re
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from broadcaster.air.sources import Block
    from broadcaster.config import Config

log = logging.getLogger(__name__)

FOLDER = "live"
_NAME = re.compile(r"^live-(\d{8}-\d{6})-(\d+)\.ogg$")
_STAMP = "%Y%m%d-%H%M%S"


def recordings_folder(config: Config) -> Path:
    return config.audio_dir / FOLDER


def recording_name(started: datetime, entry_id: int) -> str:
    """The file name of the session `entry_id` that went on air at `started` (aware, in
    the station's zone)."""
    return f"live-{started.strftime(_STAMP)}-{entry_id}.ogg"


class Recording:
    """One session's file, written block by block from its own thread. `write` never
    waits (blocks are queued); a disk that fails stops the recording, logged, never the
    air. The file is opened at the first block (its channel count is the input's)."""

    def __init__(self, path: Path, rate: int) -> None:
        self.path = path
        self.rate = rate
        self.frames = 0  # frames written to the file so far
        self.problem: str | None = None
        self._blocks: queue.SimpleQueue[Block | None] = queue.SimpleQueue()
        self._closed = False
        self._thread = threading.Thread(target=self._write_all, name="live-recording",
                                        daemon=True)
        self._thread.start()

    def write(self, block: Block) -> None:
        """Queue `block` (frames, channels) for the file; ignored once closed."""
        if not self._closed and len(block):
            self._blocks.put(block.copy())

    def close(self) -> Path | None:
        """Finish the file (it is complete and playable once this returns); the path, or
        None when nothing was recorded or the disk failed. Safe to call twice."""
        if not self._closed:
            self._closed = True
            self._blocks.put(None)
        self._thread.join(timeout=30)
        return self.path if self.frames and self.problem is None else None

    def _write_all(self) -> None:
        import soundfile

        out: soundfile.SoundFile | None = None
        try:
            while (block := self._blocks.get()) is not None:
                if self.problem is not None:
                    continue
                try:
                    if out is None:
                        self.path.parent.mkdir(parents=True, exist_ok=True)
                        out = soundfile.SoundFile(str(self.path), "w", self.rate,
                                                  block.shape[1], format="OGG",
                                                  subtype="VORBIS")
                    out.write(block)
                    self.frames += len(block)
                except (OSError, RuntimeError) as exc:  # a full or read-only disk
                    self.problem = str(exc)
                    log.error("live recording %s stopped: %s", self.path, exc)
        finally:
            if out is not None:
                out.close()


@dataclass(frozen=True)
class Kept:
    """A recording in the folder: its path, start time and size in bytes."""

    path: Path
    started: datetime
    size: int


def recordings(folder: Path, zone: datetime) -> list[Kept]:
    """The recordings in `folder` (only regular files named as ours, not links), oldest
    first; `zone` is any aware moment in the station's zone (names are in its time)."""
    import os

    kept = []
    try:
        entries = list(os.scandir(folder))
    except OSError:  # no folder yet: nothing recorded
        return []
    for entry in entries:
        match = _NAME.match(entry.name)
        if match is None or not entry.is_file(follow_symlinks=False):
            continue
        started = datetime.strptime(match.group(1), _STAMP).replace(tzinfo=zone.tzinfo)
        kept.append(Kept(Path(entry.path), started, entry.stat(follow_symlinks=False).st_size))
    return sorted(kept, key=lambda found: (found.started, found.path.name))


def prune(folder: Path, keep_days: int, max_mb: int, now: datetime,
          keep: frozenset[Path] = frozenset()) -> list[Path]:
    """Delete the recordings older than `keep_days` (by their start), then the oldest
    while the rest weigh more than `max_mb` (10^6 bytes); never one in `keep` (a session
    on air), nothing else in the folder, nothing outside it. Returns what went."""
    found = [kept for kept in recordings(folder, now) if kept.path not in keep]
    oldest_kept = now - timedelta(days=keep_days)
    total = sum(kept.size for kept in recordings(folder, now))
    deleted = []
    for kept in found:
        if kept.started >= oldest_kept and total <= max_mb * 1_000_000:
            break  # oldest first: the rest are newer and fit
        try:
            kept.path.unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:
            log.warning("cannot delete old live recording %s: %s", kept.path, exc)
            continue
        total -= kept.size
        deleted.append(kept.path)
    if deleted:
        log.info("deleted %d live recording(s) past [live] keep_days or max_mb", len(deleted))
    return deleted
