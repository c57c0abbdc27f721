"""The README's walk-through as a test runs it: its shell blocks, read from README.md
itself, and one bash that runs them one after another as an operator's terminal does.

- `walkthrough_blocks(readme)`: the ```sh blocks between `<!-- walkthrough -->` and
  `<!-- /walkthrough -->`, in order.
- `substituted(text, old, new, count)`: a replacement that fails when the README no
  longer says `old` exactly `count` times, so a test's substitutions cannot drift from it.
- `Terminal(folder, env)`: one bash process (its own process group). `run(block)` sources
  the block in it (`set -euo pipefail`: a failing command ends the terminal and the test
  says which block and what it printed), its output in files of its own; background jobs
  (`... &`) stay the terminal's, so a later block's `jobs -p` sees them. `close()` ends
  the terminal and everything still in its process group (SIGTERM, then SIGKILL).
"""

from __future__ import annotations

import contextlib
import os
import re
import select
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.support.waiting import wait_until

BEGIN, END = "<!-- walkthrough -->", "<!-- /walkthrough -->"
_BLOCK = re.compile(r"^```sh\n(.*?)^```$", re.MULTILINE | re.DOTALL)
STOP_TIMEOUT_S = 20.0


def walkthrough_blocks(readme: Path) -> list[str]:
    """The shell blocks of the README's walk-through section, in order."""
    text = readme.read_text(encoding="utf-8")
    assert text.count(BEGIN) == 1 and text.count(END) == 1, \
        f"{readme} must mark its walk-through once with {BEGIN} … {END}"
    section = text[text.index(BEGIN):text.index(END)]
    return [match.group(1) for match in _BLOCK.finditer(section)]


def substituted(text: str, old: str, new: str, count: int = 1) -> str:
    """`text` with `old` replaced by `new`; AssertionError unless it occurs `count` times."""
    found = text.count(old)
    assert found == count, f"the README's walk-through says {old!r} {found} times, " \
                           f"not {count}:\n{text}"
    return text.replace(old, new)


@dataclass(frozen=True)
class Ran:
    """What one block printed, and its exit status."""

    stdout: str
    stderr: str
    status: int

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


class Terminal:
    """One bash in `folder` running blocks in turn, as an operator pastes them."""

    def __init__(self, folder: Path, env: dict[str, str]) -> None:
        self.folder = folder
        self._steps = folder / ".terminal"
        self._steps.mkdir(parents=True, exist_ok=True)
        self._count = 0
        self._process = subprocess.Popen(
            ["bash", "--noprofile", "--norc"], cwd=folder, env=env, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
        self._pending = b""
        self._ended = False

    def run(self, block: str, timeout: float = 60.0) -> Ran:
        """Source `block` in the terminal; what it printed. AssertionError when a command
        in it fails (the terminal is then gone) or it takes longer than `timeout`."""
        self._count += 1
        step = self._steps / f"step-{self._count}"
        step.with_suffix(".sh").write_text("set -euo pipefail\n" + block, encoding="utf-8")
        done = f"__step_{self._count}_done__"
        command = (f"source {step}.sh >{step}.out 2>{step}.err </dev/null; "
                   f"echo {done} $?\n")
        assert self._process.stdin is not None
        self._process.stdin.write(command.encode())
        self._process.stdin.flush()
        line = self._read_line(done, timeout)
        out = step.with_suffix(".out").read_text(encoding="utf-8", errors="replace")
        err = step.with_suffix(".err").read_text(encoding="utf-8", errors="replace")
        if line is None:
            what = f"failed (a command exited {self._process.wait(10)})" if self._ended \
                else f"did not finish within {timeout:.0f} s"
            raise AssertionError(f"block {self._count} {what}:\n{block}\n--- stdout:\n"
                                 f"{out}\n--- stderr:\n{err}")
        return Ran(out, err, int(line.split()[1]))

    def _read_line(self, done: str, timeout: float) -> str | None:
        """The terminal's line starting with `done`; None when it ended or time ran out."""
        assert self._process.stdout is not None
        fd = self._process.stdout.fileno()
        deadline = time.monotonic() + timeout
        while True:
            lines = self._pending.decode(errors="replace").splitlines()
            for line in lines:
                if line.startswith(done):
                    self._pending = b""
                    return line
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            ready, _, _ = select.select([fd], [], [], remaining)
            if ready:
                chunk = os.read(fd, 4096)
                if not chunk:
                    self._ended = True  # the terminal exited: `set -e` ended it
                    return None
                self._pending += chunk

    def close(self) -> None:
        """End the terminal and whatever it left running (its process group)."""
        group = self._process.pid  # start_new_session: the group's id is bash's pid
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGTERM)

        def gone() -> bool:
            self._process.poll()  # reap the terminal itself
            return not running_in(group)
        try:
            wait_until(gone, "the terminal's processes to stop", timeout=STOP_TIMEOUT_S,
                       every=0.1)
        except AssertionError:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(group, signal.SIGKILL)
        self._process.wait(timeout=10)

    def leftover(self) -> list[int]:
        """The processes the terminal started that still run (its jobs and theirs)."""
        return [pid for pid in running_in(self._process.pid) if pid != self._process.pid]


def running_in(group: int) -> list[int]:
    """The pids of process group `group` that still run (zombies, already ended, not)."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            # pid (comm) state ppid pgrp …: comm may hold spaces, so split after its ')'
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == group and fields[0] != "Z":
                pids.append(int(stat.parent.name))
    return pids


@contextlib.contextmanager
def terminal(folder: Path, env: dict[str, str]) -> Iterator[Terminal]:
    """A `Terminal` while inside; it and all it started stopped on the way out."""
    shell = Terminal(folder, env)
    try:
        yield shell
    finally:
        shell.close()
