"""Render notices in a separate process, so the daemon never holds the audio libraries
(numpy's linear algebra, soxr, soundfile) or a notice's samples: on a 1 GB Raspberry Pi
the daemon stays small, and a misbehaving engine cannot take the station thread with it.
A fresh worker starts in about 0.4 s here (nothing of scipy is imported: see iir.py).
The worker itself stays under 150 MB whatever the notice's length (SPEC §9): the
renderer streams speech through the cache (see render.py).

The daemon calls `render_in_worker`; the worker is `python -m broadcaster.speech.worker`,
reading one JSON request on stdin and answering the RenderedProgram as JSON on stdout.
A refusal is one line on stderr and exit status 1.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from broadcaster.i18n import N_, _
from broadcaster.model import OperatorError, RenderedProgram

if TYPE_CHECKING:
    from broadcaster.config import Config
    from broadcaster.speech.render import Notice

MSG_WORKER_FAILED = N_("the speech worker failed ({detail})")
WORKER_TIMEOUT_S = 600.0
WORKER_S_PER_CHAR = 0.01  # the longest notice (200,000 characters) is hours of speech
WORKER_ARGV = (sys.executable, "-m", "broadcaster.speech.worker")


def worker_request(config: Config, notice: Notice, engine: str = "auto") -> str:
    """The one JSON line the worker reads on its standard input."""
    return json.dumps({"config": str(config.source) if config.source else None,
                       "text": notice.text, "repeat": notice.repeat, "gap_s": notice.gap_s,
                       "chime": str(notice.chime) if notice.chime is not None else None,
                       "engine": engine})


def render_in_worker(config: Config, notice: Notice, engine: str = "auto") -> RenderedProgram:
    """What `render_notice` returns, computed in a child process. Raises OperatorError."""
    try:
        done = subprocess.run(WORKER_ARGV, input=worker_request(config, notice, engine),
                              capture_output=True, text=True, check=False,
                              timeout=WORKER_TIMEOUT_S + WORKER_S_PER_CHAR * len(notice.text))
    except subprocess.TimeoutExpired:
        raise OperatorError(_(MSG_WORKER_FAILED).format(detail=_("timed out"))) from None
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines() or [f"exit status {done.returncode}"]
        raise OperatorError(lines[-1])
    return RenderedProgram.from_dict(json.loads(done.stdout))


def main() -> int:
    from broadcaster.config import load_config
    from broadcaster.speech.render import Notice, render_notice

    _return_freed_blocks()
    request = json.loads(sys.stdin.read())
    try:
        config = load_config(Path(request["config"]) if request["config"] else None)
        program = render_notice(config, Notice(request["text"], repeat=request["repeat"],
                                               gap_s=request["gap_s"], chime=request["chime"]),
                                request["engine"])
    except OperatorError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    json.dump(program.to_dict(), sys.stdout)
    return 0


def _return_freed_blocks() -> None:
    """Have glibc map every buffer of 1 MB or more on its own and unmap it when freed.

    Otherwise it raises that threshold as the renderer frees its blocks and keeps the
    freed memory in per-thread arenas: ~10 MB more RSS, nothing more in use.
    """
    import contextlib
    import ctypes

    m_mmap_threshold = -3  # from glibc's malloc.h
    with contextlib.suppress(OSError, AttributeError):  # not glibc: its allocator, its ways
        ctypes.CDLL(None).mallopt(m_mmap_threshold, 1 << 20)  # the C library already loaded


if __name__ == "__main__":
    raise SystemExit(main())
