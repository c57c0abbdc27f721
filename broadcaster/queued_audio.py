"""The station's copies of files `play` queued from outside its audio folder
(`audio_dir/queued/`): one copy per content, kept while an item needs it, within a cap.

A copy is named by the SHA-256 of its bytes and the original suffix, so the same
recording played three times is one file. The recorded audio of upstream pushes is kept
here too (upstream/receiving.py). A file is deleted once no item still to air
(pending, on air, interrupted, being stopped), no installed slot, no push waiting in the
inbox and no push whose files are still arriving names it: the daemon
looks when an item that aired a copy ends, `cancel` when it cancels one, `play` before it
adds one. Deleting and queueing are serialised by the database's write lock, so a copy
is never deleted between `play` making it and queueing the item that needs it.
"""

from __future__ import annotations

import logging
import os
import re
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from broadcaster.i18n import N_, _
from broadcaster.model import Chime, File, OperatorError, PlaylistItem

if TYPE_CHECKING:
    from broadcaster.store import Store

log = logging.getLogger(__name__)

FOLDER = "queued"
# The cap on all copies together. A Raspberry Pi station has a 16-32 GB SD card shared by
# the system (~4 GB), the speech cache (500 MB by default), a year of as-run log and live
# recordings; 2 GiB holds about 3 hours of CD-quality WAV or 35 hours of 128 kbit/s MP3
# waiting to air, more than any day's queue, and still leaves most of a 16 GB card free.
MAX_BYTES = 2 * 1024**3
STALE_PART_S = 3600.0  # a half-made copy this old was left by a `play` that was killed
_BLOCK = 1024 * 1024
# Names this module made: content-addressed, or "<epoch>-<name>" from before it existed.
_OURS = re.compile(r"^(?:[0-9a-f]{64}\.[^./]+|[0-9]{9,}-.+)$")
_PART = re.compile(r"^\.[0-9a-f]{32}\.part$")

# Operator-facing messages of this module, kept together for translation.
MSG_FULL = N_("{path}: the station's copies of queued files would pass {most} MB ({used} MB "
              "kept for items still to air, this file {size} MB); cancel some of them or "
              "wait until they have aired")


def folder(audio_dir: Path) -> Path:
    """Where the copies are (`audio_dir` resolved, as the paths in queued items are)."""
    return audio_dir.resolve() / FOLDER


def copy_in(audio_dir: Path, source: Path, store: Store, *, max_bytes: int = MAX_BYTES) -> Path:
    """The station's copy of `source`: the one already there with the same content, or a
    new one, made after deleting the copies no item needs any more. Raises OperatorError
    (nothing changed) when the copies items need and the new one would pass `max_bytes`,
    and OSError when the file cannot be read or copied."""
    into = folder(audio_dir)
    suffix = source.suffix.lower()
    size = source.stat().st_size
    kept = _sizes(into)
    if any(path.suffix == suffix and length == size for path, length in kept.items()):
        existing = into / f"{_digest(source)}{suffix}"  # read twice, but never written twice
        if existing.exists():
            return existing
    needed = _needed(store, into)
    used = sum(length for path, length in kept.items() if path in needed)
    if used + size > max_bytes:
        raise OperatorError(_(MSG_FULL).format(path=source, most=_mb(max_bytes),
                                               used=_mb(used), size=_mb(size)))
    release_unneeded(audio_dir, store)
    _make_folder(into, audio_dir)
    part = into / f".{uuid.uuid4().hex}.part"
    try:
        digest = _copy(source, part)
        target = into / f"{digest}{suffix}"
        part.replace(target)  # a copy with this content made meanwhile has the same bytes
    finally:
        part.unlink(missing_ok=True)
    return target


def needs_release(items: tuple[PlaylistItem, ...], audio_dir: Path) -> bool:
    """Whether an item with these parts aired one of the copies (then look when it ends)."""
    into = folder(audio_dir)
    return any(isinstance(item, File) and item.path.parent == into for item in items)


def release_unneeded(audio_dir: Path, store: Store, now: float | None = None) -> list[Path]:
    """Delete the copies that no unfinished item and no installed slot names, and copies
    left half-made by a killed `play`; returns what was deleted. A copy that cannot be
    deleted (permissions) is logged and left."""
    into = folder(audio_dir)
    if not into.is_dir():
        return []
    moment = time.time() if now is None else now
    deleted = []
    with store.transaction():  # no `play` queues an item between the look and the delete
        needed = _needed(store, into)
        for path in into.iterdir():
            unneeded = _OURS.match(path.name) is not None and path not in needed
            half_made = _PART.match(path.name) is not None and \
                _older_than(path, moment - STALE_PART_S)
            if not (unneeded or half_made):
                continue
            try:
                path.unlink()
            except FileNotFoundError:
                continue
            except OSError as exc:
                log.warning("cannot delete %s, which no item needs: %s", path, exc.strerror)
                continue
            deleted.append(path)
    return deleted


def _needed(store: Store, into: Path) -> set[Path]:
    from broadcaster.store import playlist_from_json
    from broadcaster.upstream.records import pushes_waiting

    items = [item for entry in store.pending() for item in entry.items]
    slots = [text for _name, text, _at in store.slots()]
    inbox, arriving = pushes_waiting(store)  # the inbox's, and files still arriving
    items += [item for text in [*slots, *inbox] for item in playlist_from_json(text).items]
    needed = {item.path for item in items if isinstance(item, File)}
    needed |= {Path(item.source) for item in items if isinstance(item, Chime)}
    return needed | {into / name for name in arriving}


def _sizes(into: Path) -> dict[Path, int]:
    """Our copies and their sizes (what counts against the cap)."""
    if not into.is_dir():
        return {}
    sizes = {}
    for path in into.iterdir():
        if _OURS.match(path.name):
            try:
                sizes[path] = path.stat().st_size
            except FileNotFoundError:
                continue
    return sizes


def _make_folder(into: Path, audio_dir: Path) -> None:
    """The folder, made writable by the station's group: copies made by one operator are
    deleted by the daemon or by another operator (audio_dir is the 'broadcaster' group's)."""
    if into.is_dir():
        return
    into.mkdir(exist_ok=True)
    try:
        os.chown(into, -1, audio_dir.resolve().stat().st_gid)
    except OSError as exc:  # left as the umask made it: readable, if not deletable, by all
        log.warning("cannot give %s to the station's group: %s", into, exc.strerror)
        return
    into.chmod(0o2770)  # setgid: every copy belongs to the group too


def _digest(path: Path) -> str:
    import hashlib  # here: OpenSSL's library costs an idle daemon ~3 MB it never needs

    sha = hashlib.sha256()
    with path.open("rb") as source:
        while block := source.read(_BLOCK):
            sha.update(block)
    return sha.hexdigest()


def _copy(source: Path, part: Path) -> str:
    """Copy `source` to `part` (on disk before it is renamed); the SHA-256 of what was copied."""
    import hashlib

    sha = hashlib.sha256()
    with source.open("rb") as reading, part.open("xb") as writing:
        while block := reading.read(_BLOCK):
            sha.update(block)
            writing.write(block)
        writing.flush()
        os.fsync(writing.fileno())  # a power cut leaves the whole copy or none
    return sha.hexdigest()


def _older_than(path: Path, moment: float) -> bool:
    try:
        return path.stat().st_mtime < moment
    except FileNotFoundError:
        return False


def _mb(size: int) -> str:
    return f"{size / 1_000_000:.0f}" if size >= 10_000_000 else f"{size / 1_000_000:.1f}"
