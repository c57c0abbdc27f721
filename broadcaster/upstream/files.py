"""Recorded audio in a push (SPEC §7): what the signed envelope says of each file, and the
chunks that carry it. Pure: no network, no disk except reading a file to describe it.

The envelope lists every file a pushed playlist's `file:`/`chime:` items name:

  "files": [{"name": "ban-tin/bao.mp3", "sha256": HEX, "size": BYTES,
             "chunk_bytes": 65536, "chunks": [HEX of each chunk's SHA-256, …]}]

so a station can refuse a bad chunk the moment it arrives, not only the whole file at
the end. `name` is the path the playlist names, relative to the sender's audio folder.

The transfer is pulled, per station, from the province's depot (the receipt collector
serves it, depot.py), never retained: a clustered broker (RabbitMQ) keeps retained
messages per node and does not send them through wildcards. Under the topic prefix P:

  P/stations/S/need           station S asks (QoS 1): {"sha256", "chunk_bytes", "chunks":
                              [indices]}, at most NEED_WINDOW indices at a time
  P/stations/S/chunks/SHA     the depot answers (QoS 1), one message per chunk:
                              b"BCF1" + index (4 bytes, big-endian) + the chunk's bytes

A station that already has a file (by its SHA-256) asks nothing, so the same recording
pushed again is not sent twice; one cut off mid-file asks again for what it lacks.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from broadcaster.i18n import N_, _
from broadcaster.playlist.audio_files import AUDIO_SUFFIXES, normal_name

CHUNK_BYTES = 64 * 1024  # a 2 MB bulletin is 32 messages; small enough for a 4G burst
MIN_CHUNK_BYTES, MAX_CHUNK_BYTES = 4 * 1024, 1024 * 1024
# chunks of a file past which they grow (to MAX_CHUNK_BYTES): the hashes of 16 files of a
# 500 MB push still fit the 256 KB envelope
MAX_CHUNKS_AT_BASE = 128
NEED_WINDOW = 16  # chunks asked at a time: 1 MiB in flight per station at the broker
MAX_FILES = 16  # files in one push
MAX_NAME_CHARS = 200
MAGIC = b"BCF1"
_HEADER = struct.Struct(">4sI")
HEADER_BYTES = _HEADER.size
_HEX = frozenset("0123456789abcdef")

# Reasons for refusing a push or a chunk, recorded and sent back in a `rejected` receipt.
MSG_BAD_FILES = N_("envelope field 'files' {problem}")
MSG_FILES_TOO_BIG = N_("its files are {size} MB together, more than this station's "
                       "[district] max_push_mb = {limit}")
MSG_CHUNK_NOT_OURS = N_("not a file chunk (it must start with BCF1 and a chunk number)")
MSG_CHUNK_NUMBER = N_("chunk {index} of file {name}: the file has only {count} chunks")
MSG_CHUNK_LENGTH = N_("chunk {index} of file {name} is {got} bytes, not {expected} "
                      "(truncated?)")
MSG_CHUNK_HASH = N_("chunk {index} of file {name} does not match its SHA-256 in the "
                    "signed push")
MSG_FILE_HASH = N_("file {name}: its chunks are as signed but the whole file's SHA-256 "
                   "is not; the push's file list is wrong")


class FilesRefused(Exception):
    """A file list or a chunk the station will not take; str() is the one-line reason."""


@dataclass(frozen=True)
class FileManifest:
    """One file of a push, as the signed envelope describes it."""

    name: str  # as the playlist names it, relative to the audio folder
    sha256: str
    size: int
    chunk_bytes: int
    chunks: tuple[str, ...]  # SHA-256 of each chunk, in order

    @property
    def suffix(self) -> str:
        return posixpath.splitext(self.name)[1].lower()

    @property
    def stored_name(self) -> str:
        """The station's name for it: content-addressed, like a queued copy."""
        return f"{self.sha256}{self.suffix}"

    def chunk_size(self, index: int) -> int:
        """The length chunk `index` must have (the last one is shorter)."""
        if index < len(self.chunks) - 1:
            return self.chunk_bytes
        return self.size - self.chunk_bytes * (len(self.chunks) - 1)

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "sha256": self.sha256, "size": self.size,
                "chunk_bytes": self.chunk_bytes, "chunks": list(self.chunks)}


def chunk_bytes_for(size: int) -> int:
    """CHUNK_BYTES, doubled for a long recording until it has at most MAX_CHUNKS_AT_BASE
    chunks (at most MAX_CHUNK_BYTES)."""
    chunk = CHUNK_BYTES
    while chunk < MAX_CHUNK_BYTES and size > chunk * MAX_CHUNKS_AT_BASE:
        chunk *= 2
    return chunk


def describe(path: Path, name: str, chunk_bytes: int | None = None) -> FileManifest:
    """The manifest of the file at `path` (read once, in chunks), to be named `name`;
    chunks of `chunk_bytes`, else of `chunk_bytes_for` its size."""
    chunk_bytes = chunk_bytes or chunk_bytes_for(path.stat().st_size)
    whole = hashlib.sha256()
    chunks = []
    size = 0
    with path.open("rb") as source:
        while block := source.read(chunk_bytes):
            whole.update(block)
            chunks.append(hashlib.sha256(block).hexdigest())
            size += len(block)
    if not chunks:  # an empty file is one empty chunk: still a file the station must have
        chunks.append(hashlib.sha256(b"").hexdigest())
    return FileManifest(name=normal_name(name), sha256=whole.hexdigest(), size=size,
                        chunk_bytes=chunk_bytes, chunks=tuple(chunks))


def read_manifests(value: object, *, max_bytes: int | None = None) -> tuple[FileManifest, ...]:
    """The envelope's `files` field, checked: names, hashes, sizes, each chunk's hash and
    the chunk count the size implies. Raises FilesRefused. `max_bytes` (the station's
    max_push_mb) bounds the files together."""
    def refuse(problem: str) -> FilesRefused:
        return FilesRefused(_(MSG_BAD_FILES).format(problem=problem))

    if not isinstance(value, list) or not 1 <= len(value) <= MAX_FILES:
        raise refuse(_("must list 1 to {count} files").format(count=MAX_FILES))
    manifests: list[FileManifest] = []
    for number, entry in enumerate(value, 1):
        where = _("file {n}").format(n=number)
        if not isinstance(entry, dict) or set(entry) != {"name", "sha256", "size",
                                                         "chunk_bytes", "chunks"}:
            raise refuse(_("{where}: must have exactly name, sha256, size, chunk_bytes and "
                           "chunks").format(where=where))
        name = entry["name"]
        if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME_CHARS \
                or normal_name(name).startswith(("/", "..")) or "\x00" in name:
            raise refuse(_("{where}: 'name' must be a path inside the audio folder").format(
                where=where))
        if posixpath.splitext(name)[1].lower() not in AUDIO_SUFFIXES:
            raise refuse(_("{where}: {name} is not a kind of audio file the station airs "
                           "({suffixes})").format(where=where, name=name,
                                                  suffixes=", ".join(AUDIO_SUFFIXES)))
        size, chunk_bytes = entry["size"], entry["chunk_bytes"]
        if not _whole(size) or size < 0:
            raise refuse(_("{where}: 'size' must be a number of bytes").format(where=where))
        if not _whole(chunk_bytes) or not MIN_CHUNK_BYTES <= chunk_bytes <= MAX_CHUNK_BYTES:
            raise refuse(_("{where}: 'chunk_bytes' must be {low} to {high}").format(
                where=where, low=MIN_CHUNK_BYTES, high=MAX_CHUNK_BYTES))
        chunks = entry["chunks"]
        count = max(1, -(-size // chunk_bytes))
        if not isinstance(chunks, list) or len(chunks) != count:
            raise refuse(_("{where}: {size} bytes in chunks of {chunk} make {count} chunks; "
                           "the list must have one SHA-256 for each").format(
                where=where, size=size, chunk=chunk_bytes, count=count))
        if not is_sha256(entry["sha256"]) or not all(is_sha256(item) for item in chunks):
            raise refuse(_("{where}: each SHA-256 must be 64 lower-case hex digits").format(
                where=where))
        manifests.append(FileManifest(name=normal_name(name), sha256=entry["sha256"],
                                      size=size, chunk_bytes=chunk_bytes,
                                      chunks=tuple(chunks)))
    names = [manifest.name for manifest in manifests]
    if len(set(names)) != len(names):
        raise refuse(_("names a file twice"))
    total = sum(manifest.size for manifest in manifests)
    if max_bytes is not None and total > max_bytes:
        raise FilesRefused(_(MSG_FILES_TOO_BIG).format(size=f"{total / 1e6:.2f}",
                                                       limit=max_bytes // 1_000_000))
    return tuple(manifests)


def is_sha256(value: object) -> bool:
    return isinstance(value, str) and len(value) == 64 and set(value) <= _HEX


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# --- chunks ----------------------------------------------------------------------------------

def encode_chunk(index: int, data: bytes) -> bytes:
    return _HEADER.pack(MAGIC, index) + data


def decode_chunk(payload: bytes) -> tuple[int, bytes]:
    """(index, data) of a chunk message. Raises FilesRefused for anything else."""
    if len(payload) < HEADER_BYTES:
        raise FilesRefused(_(MSG_CHUNK_NOT_OURS))
    magic, index = _HEADER.unpack_from(payload)
    if magic != MAGIC:
        raise FilesRefused(_(MSG_CHUNK_NOT_OURS))
    return index, payload[HEADER_BYTES:]


def check_chunk(manifest: FileManifest, index: int, data: bytes) -> None:
    """Raises FilesRefused unless `data` is chunk `index` of the file, as signed."""
    if index >= len(manifest.chunks):
        raise FilesRefused(_(MSG_CHUNK_NUMBER).format(index=index, name=manifest.name,
                                                      count=len(manifest.chunks)))
    expected = manifest.chunk_size(index)
    if len(data) != expected:
        raise FilesRefused(_(MSG_CHUNK_LENGTH).format(index=index, name=manifest.name,
                                                      got=len(data), expected=expected))
    if hashlib.sha256(data).hexdigest() != manifest.chunks[index]:
        raise FilesRefused(_(MSG_CHUNK_HASH).format(index=index, name=manifest.name))


def next_wanted(missing: Iterable[int], asked: Sequence[int] = (),
                window: int = NEED_WINDOW) -> list[int]:
    """The chunks to ask for now: the first `window` still missing, less those asked for
    and not yet arrived (they are on their way)."""
    on_the_way = set(asked)
    wanted: list[int] = []
    for index in missing:
        if len(wanted) + len(on_the_way) >= window:
            break
        if index not in on_the_way:
            wanted.append(index)
    return wanted


# --- asking ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Need:
    """A station's request for chunks of one file."""

    station: str
    sha256: str
    chunk_bytes: int
    chunks: tuple[int, ...]

    def body(self) -> bytes:
        return json.dumps({"sha256": self.sha256, "chunk_bytes": self.chunk_bytes,
                           "chunks": list(self.chunks)}, separators=(",", ":")).encode()


def read_need(station: str, payload: bytes) -> Need | None:
    """A request as the depot reads it; None for anything malformed (logged there)."""
    try:
        body = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(body, dict):
        return None
    sha, chunk_bytes, chunks = body.get("sha256"), body.get("chunk_bytes"), body.get("chunks")
    if not isinstance(sha, str) or not is_sha256(sha) or not isinstance(chunk_bytes, int) \
            or not _whole(chunk_bytes) \
            or not MIN_CHUNK_BYTES <= chunk_bytes <= MAX_CHUNK_BYTES \
            or not isinstance(chunks, list) or not 1 <= len(chunks) <= NEED_WINDOW * 4 \
            or not all(_whole(index) and 0 <= index < 2**32 for index in chunks):
        return None
    return Need(station, sha, chunk_bytes, tuple(dict.fromkeys(chunks)))


def need_topic(prefix: str, station: str) -> str:
    return f"{prefix}/stations/{station}/need"


def chunk_topic(prefix: str, station: str, sha256: str) -> str:
    return f"{prefix}/stations/{station}/chunks/{sha256}"
