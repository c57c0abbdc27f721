"""Audio files a playlist names: inside the station's audio folder, of a format we air,
present, readable, and audio inside (a cheap look at the first bytes, not a decode)."""

from __future__ import annotations

import posixpath
import stat
from pathlib import Path

from broadcaster.i18n import _
from broadcaster.model import one_line
from broadcaster.playlist import messages as msg
from broadcaster.playlist.problems import Refusal, show

AUDIO_SUFFIXES = (".wav", ".mp3", ".ogg", ".oga", ".opus", ".flac", ".m4a", ".aac")


def audio_file(value: str, audio_dir: Path, *, label: str, line: int) -> Path:
    """The absolute, symlink-free path of `value` (relative to `audio_dir`, or absolute
    inside it). Raises Refusal at `line` for a path that leaves the folder (`..`, another
    absolute path, a symlink pointing out), an unsupported suffix, a missing or unreadable
    file, or one whose content is not audio."""
    shown = show(value)

    def refuse(message: str, **fields: object) -> Refusal:
        return Refusal(line, message.format(label=label, value=shown, audio_dir=audio_dir,
                                            **fields))

    if not value.strip():
        raise refuse(_(msg.MSG_EMPTY_PATH))
    try:
        root = audio_dir.resolve()
        path = (root / value).resolve()
    except (OSError, RuntimeError, ValueError) as exc:  # a symlink loop, a NUL byte
        raise refuse(_(msg.MSG_FILE_UNREADABLE), reason=_reason(exc)) from None
    if path == root or not path.is_relative_to(root):
        raise refuse(_(msg.MSG_OUTSIDE_AUDIO_DIR))
    if path.suffix.lower() not in AUDIO_SUFFIXES:
        raise refuse(_(msg.MSG_BAD_FORMAT))
    try:
        mode = path.stat().st_mode
        if stat.S_ISDIR(mode):
            raise refuse(_(msg.MSG_FILE_IS_FOLDER))
        head = b""
        if stat.S_ISREG(mode):  # never open a pipe or a device: it could block
            with path.open("rb") as audio:
                head = audio.read(12)
    except FileNotFoundError:
        raise refuse(_(msg.MSG_FILE_MISSING)) from None
    except (OSError, ValueError) as exc:
        raise refuse(_(msg.MSG_FILE_UNREADABLE), reason=_reason(exc)) from None
    if not looks_like_audio(head):
        raise refuse(_(msg.MSG_NOT_AUDIO))
    return path


def normal_name(value: str) -> str:
    """How a file value is compared with the name a push gives its file: `./a/b.mp3`,
    `a//b.mp3` and `a/b.mp3` are one name."""
    return posixpath.normpath(value.strip().replace("\\", "/"))


def looks_like_audio(head: bytes) -> bool:
    """Whether the first 12 bytes of a file start one of the formats the player decodes.
    The content decides, not the suffix: the player (soundfile, then ffmpeg) reads an MP3
    named .wav just as well."""
    return (
        (head[:4] in (b"RIFF", b"RIFX", b"RF64") and head[8:12] == b"WAVE")
        or head[:4] in (b"OggS", b"fLaC", b"ADIF")  # Ogg (Vorbis, Opus), FLAC, ADIF AAC
        or head[:3] == b"ID3"  # MP3 (or AAC, FLAC) behind an ID3 tag
        or head[4:8] == b"ftyp"  # MP4 audio (.m4a)
        or (len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0)  # MPEG / ADTS sync
    )


def _reason(exc: Exception) -> str:
    # an OSError's strerror says what went wrong without repeating the path
    return show(getattr(exc, "strerror", None) or one_line(exc))
