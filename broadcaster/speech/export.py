"""A rendered notice written where the operator asked (`broadcaster tts -o FILE`).

.wav is copied as rendered; .mp3 is encoded by ffmpeg (argument list, no shell). The file
appears whole or not at all.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from broadcaster.i18n import N_, _
from broadcaster.model import OperatorError, RenderedProgram
from broadcaster.speech.engines import EngineFailure, require_program

# Operator-facing messages of this module, kept together for translation.
MSG_OUTPUT_FORMAT = N_("{path}: unsupported output format {suffix!r}; use .wav or .mp3")
MSG_OUTPUT_DIR = N_("{path}: the folder {folder} does not exist or is not writable; "
                    "choose another path")
MSG_ENCODE = N_("{path}: could not encode ({reason})")

OUTPUT_SUFFIXES = (".wav", ".mp3")


def check_output_path(out: Path) -> None:
    """Refuse an output path we cannot write before any work is done."""
    if out.suffix.lower() not in OUTPUT_SUFFIXES:
        raise OperatorError(_(MSG_OUTPUT_FORMAT).format(path=out, suffix=out.suffix or _("(none)")))
    folder = out.parent if str(out.parent) else Path()
    if not folder.is_dir() or not os.access(folder, os.W_OK):
        raise OperatorError(_(MSG_OUTPUT_DIR).format(path=out, folder=folder))


def export(program: RenderedProgram, out: Path) -> None:
    """Write the program to `out` (.wav as it is, .mp3 encoded by ffmpeg), atomically."""
    check_output_path(out)
    tmp = out.with_name(f".{out.name}.part")
    try:
        if out.suffix.lower() == ".wav":
            shutil.copyfile(program.path, tmp)
        else:
            _encode_mp3(program.path, tmp)
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)


def _encode_mp3(source: Path, out: Path) -> None:
    try:
        ffmpeg = require_program("ffmpeg", "ffmpeg")
    except EngineFailure as exc:
        raise OperatorError(str(exc)) from None
    argv = [ffmpeg, "-nostdin", "-loglevel", "error", "-y", "-i", str(source),
            "-codec:a", "libmp3lame", "-q:a", "3", "-f", "mp3", str(out)]
    done = subprocess.run(argv, capture_output=True, check=False)
    if done.returncode != 0:
        lines = done.stderr.decode(errors="replace").strip().splitlines() or ["ffmpeg failed"]
        raise OperatorError(_(MSG_ENCODE).format(path=out, reason=lines[-1]))
