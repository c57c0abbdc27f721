"""Render notices in a separate process, so the daemon never holds the audio-analysis
libraries (scipy, pyloudnorm: ~90 MB) or a notice's samples: on a 1 GB Raspberry Pi the
daemon stays small, and a misbehaving engine cannot take the station thread with it.

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

from broadcaster.model import OperatorError, RenderedProgram

if TYPE_CHECKING:
    from broadcaster.config import Config
    from broadcaster.speech.render import Notice

MSG_WORKER_FAILED = "the speech worker failed ({detail})"
WORKER_TIMEOUT_S = 600.0


def render_in_worker(config: Config, notice: Notice, engine: str = "auto") -> RenderedProgram:
    """What `render_notice` returns, computed in a child process. Raises OperatorError."""
    request = {"config": str(config.source) if config.source else None, "text": notice.text,
               "repeat": notice.repeat, "gap_s": notice.gap_s,
               "chime": str(notice.chime) if notice.chime is not None else None,
               "engine": engine}
    try:
        done = subprocess.run([sys.executable, "-m", "broadcaster.speech.worker"],
                              input=json.dumps(request), capture_output=True, text=True,
                              timeout=WORKER_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        raise OperatorError(MSG_WORKER_FAILED.format(detail="timed out")) from None
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines() or [f"exit status {done.returncode}"]
        raise OperatorError(lines[-1])
    return RenderedProgram.from_dict(json.loads(done.stdout))


def main() -> int:
    from broadcaster.config import load_config
    from broadcaster.speech.render import Notice, render_notice

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


if __name__ == "__main__":
    raise SystemExit(main())
