"""Rendering as the daemon does it, measured: the worker process's peak memory, and the
loudness and peak of what it wrote (read back a block at a time)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import soundfile

from broadcaster.config import Config
from broadcaster.model import RenderedProgram
from broadcaster.speech import loudness
from broadcaster.speech.render import Notice
from broadcaster.speech.worker import WORKER_ARGV, worker_request

# Runs the worker as the daemon does and reports its peak RSS: a small parent, so what
# Linux carries over from the parent into the child's maxrss is nothing to speak of.
PEAK_OF_CHILD = """\
import resource, subprocess, sys
done = subprocess.run(sys.argv[1:])
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)
raise SystemExit(done.returncode)
"""

def render_in_measured_worker(config: Config, notice: Notice,
                              timeout_s: float = 600) -> tuple[RenderedProgram, float]:
    """The notice rendered by the real worker process (`python -m broadcaster.speech.worker`,
    as the daemon runs it), and that process's peak RSS in MB."""
    done = subprocess.run([sys.executable, "-S", "-c", PEAK_OF_CHILD, *WORKER_ARGV],
                          input=worker_request(config, notice), capture_output=True,
                          text=True, timeout=timeout_s, check=False)
    *complaint, peak_kb = done.stderr.split()
    assert done.returncode == 0, " ".join(complaint)
    return RenderedProgram.from_dict(json.loads(done.stdout)), int(peak_kb) / 1024


def voice_loudness_and_peak(program: RenderedProgram) -> tuple[float, float]:
    """(loudness of one channel in LUFS, sample peak in dBFS), read a block at a time."""
    meter = loudness.LoudnessMeter(program.sample_rate)
    peak = 0.0
    with soundfile.SoundFile(str(program.path)) as wav:
        for block in wav.blocks(blocksize=1 << 16, dtype="float32", always_2d=True):
            meter.feed(block[:, 0])
            peak = max(peak, float(np.abs(block).max()))
    return meter.loudness(), 20 * float(np.log10(peak))
