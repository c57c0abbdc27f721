"""The idle daemon (SPEC §9): RSS ≤ 50 MB on plain ALSA, CPU ≤ 1 % of one core, 0 bytes
written per hour; and which heavy modules it holds.

Run: `.venv/bin/python -m benchmarks.bench_idle [--idle-seconds 30]`. A real `broadcaster
run` (the console script, as systemd starts it) on a throw-away station airing into an ALSA
file device with Debian's plain alsa.conf (no PulseAudio/JACK plugin hooks: a station box
with a plain sound card), its runtime directory on tmpfs as /run is. Two moments: just
started with nothing to air, and idle after airing one notice with 20 more queued for
later. Memory from /proc/PID/smaps_rollup; CPU from /proc/PID/stat; writes from
/proc/PID/io (`write_bytes`: what reached the block layer, the SD card's share) and the
sizes and times of the files in the data folder; modules from the daemon's own import log
(PYTHONPROFILEIMPORTTIME, which costs it no memory worth counting).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from benchmarks.bench_cli import AUDIO, CONFIG, SCRIPT, cpu_seconds, memory_mb, plain_alsa
from tests.support.sound import write_asoundrc

RSS_TARGET_MB = 50.0
HEAVY = ("numpy", "sounddevice", "soundfile", "typer", "pydantic", "hashlib",
         "broadcaster.speech.render", "broadcaster.speech.normalize",
         "broadcaster.upstream.pushes", "paho", "pydub", "scipy", "broadcaster.web.app")


def written(pid: int) -> int:
    for line in Path(f"/proc/{pid}/io").read_text().splitlines():
        if line.startswith("write_bytes:"):
            return int(line.split()[1])
    return 0


def files_state(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(path): (path.stat().st_size, path.stat().st_mtime_ns)
            for path in folder.rglob("*") if path.is_file()}


def imported(stderr: Path) -> set[str]:
    names = set()
    for line in stderr.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("import time:") and line.count("|") == 2:
            names.add(line.rsplit("|", 1)[1].strip())
    return names


def watch(env: dict[str, str], root: Path, seconds: float, notice: bool) -> dict[str, str]:
    stderr = root / f"daemon-{notice}.stderr"
    with stderr.open("wb") as log:
        daemon = subprocess.Popen([str(SCRIPT), "run"], env=env, stdout=subprocess.DEVNULL,
                                  stderr=log)
    try:
        if notice:
            subprocess.run([str(SCRIPT), "say", "Xin chào bà con.", "--repeat", "1"], env=env,
                           check=True, capture_output=True)
            for index in range(20):
                subprocess.run([str(SCRIPT), "say", f"Thông báo số {index}.", "--at", "+3h"],
                               env=env, check=True, capture_output=True)
        time.sleep(10 if notice else 4)  # start-up, rendering and airing are not idle
        data = root / "data"
        cpu, wall, io, files = cpu_seconds(daemon.pid), time.monotonic(), \
            written(daemon.pid), files_state(data)
        time.sleep(seconds)
        elapsed = time.monotonic() - wall
        share = (cpu_seconds(daemon.pid) - cpu) / elapsed
        per_hour = (written(daemon.pid) - io) * 3600 / elapsed
        changed = [Path(name).name for name, state in files_state(data).items()
                   if files.get(name) != state]
        memory = memory_mb(daemon.pid)
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(timeout=20)
    modules = imported(stderr)
    heavy = [name for name in HEAVY
             if any(m == name or m.startswith(name + ".") for m in modules)]
    verdict = "met" if memory["rss"] <= RSS_TARGET_MB else "NOT met"
    return {
        "RSS": f"{memory['rss']:.1f} MB ({memory['private']:.1f} private): {verdict}",
        "CPU": f"{share * 100:.2f} % of a core",
        "written": f"{per_hour:.0f} bytes/hour to the block layer; data files changed: "
                   f"{', '.join(changed) or 'none'}",
        "modules": f"{len(modules)}; heavy: {', '.join(heavy) or 'none'}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--idle-seconds", type=float, default=30.0)
    options = parser.parse_args()
    tmpfs = Path("/dev/shm") if Path("/dev/shm").is_dir() else None
    with tempfile.TemporaryDirectory(prefix="bench-idle-") as tmp, \
            tempfile.TemporaryDirectory(prefix="bench-idle-run-", dir=tmpfs) as run:
        root = Path(tmp)
        config = root / "broadcaster.toml"
        config.write_text(CONFIG.format(root=root, run=run, audio=AUDIO), encoding="utf-8")
        write_asoundrc(root)  # the `capture` file device; plain_alsa keeps it
        # as installed: compiled modules written and read, whatever this shell says
        env = {**{name: value for name, value in os.environ.items()
                  if name != "PYTHONDONTWRITEBYTECODE"}, "BROADCASTER_CONFIG": str(config),
               "ALSA_CONFIG_PATH": str(plain_alsa(root)), "PYTHONPROFILEIMPORTTIME": "1"}
        moments = {"just started, nothing aired": watch(env, root, options.idle_seconds, False),
                   "after one notice, 20 queued for later": watch(env, root,
                                                                  options.idle_seconds, True)}
    print(f"idle daemon, plain ALSA, watched {options.idle_seconds:.0f} s; targets: RSS ≤ "
          f"{RSS_TARGET_MB:.0f} MB, CPU ≤ 1 %, 0 bytes written per hour")
    print("| idle daemon | RSS | CPU | written | modules |")
    print("| --- | --- | --- | --- | --- |")
    for moment, figures in moments.items():
        print(f"| {moment} | {figures['RSS']} | {figures['CPU']} | {figures['written']} "
              f"| {figures['modules']} |")


if __name__ == "__main__":
    main()
