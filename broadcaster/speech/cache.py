"""The speech cache: content-addressed files on disk, capped in size, least recently used out first.

A key is the SHA-256 of what determines the audio (reading-form text, engine, voice,
speed, render settings), so a repeat is free and the cache survives restarts. Every
entry is written to a temporary name and renamed into place: a power cut leaves
either the whole entry or none of it.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

FORMAT_VERSION = 2  # bump when what is stored under a key changes meaning


def cache_key(*parts: object) -> str:
    """A stable key for the given JSON-serialisable parts."""
    import hashlib  # here: OpenSSL's library costs an idle daemon ~3 MB it never needs

    blob = json.dumps([FORMAT_VERSION, *parts], ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class SpeechCache:
    def __init__(self, directory: Path, max_bytes: int) -> None:
        self.directory = directory
        self.max_bytes = max_bytes

    def path(self, key: str, suffix: str) -> Path:
        return self.directory / key[:2] / f"{key}{suffix}"

    def lookup(self, key: str, suffix: str) -> Path | None:
        """The entry's path, marked as just used, or None when absent."""
        path = self.path(key, suffix)
        try:
            os.utime(path)  # the mtime is the LRU clock; one metadata write per use
        except FileNotFoundError:
            return None
        return path

    def store(self, key: str, suffix: str, write: Callable[[Path], object]) -> Path:
        """Call write(tmp_path) and move the result into place atomically."""
        final = self.path(key, suffix)
        final.parent.mkdir(parents=True, exist_ok=True)
        with _temporary(final) as tmp:
            write(tmp)
            _fsync(tmp)
            tmp.replace(final)
        return final

    def store_text(self, key: str, suffix: str, text: str) -> Path:
        return self.store(key, suffix, lambda tmp: tmp.write_text(text, encoding="utf-8"))

    def evict(self, keep: frozenset[Path] = frozenset()) -> int:
        """Remove least recently used entries until the cache fits; returns bytes freed."""
        entries = []
        total = 0
        for path in self.directory.glob("*/*"):
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue
            if path.name.startswith("."):  # a write in progress
                continue
            entries.append((stat.st_mtime, stat.st_size, path))
            total += stat.st_size
        freed = 0
        for _mtime, size, path in sorted(entries):
            if total - freed <= self.max_bytes:
                break
            if path in keep:
                continue
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                freed += size
        return freed


@contextlib.contextmanager
def _temporary(final: Path) -> Iterator[Path]:
    fd, name = tempfile.mkstemp(prefix=".", suffix=final.suffix, dir=final.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
    finally:
        tmp.unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    with path.open("rb") as handle:
        os.fsync(handle.fileno())
