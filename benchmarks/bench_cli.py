"""Operator commands and the idle daemon (SPEC §9): `status`, `queue` and `say` (an
emergency too) wall time ≤ 8 × `python -c pass` on the same machine; idle daemon RSS
≤ 50 MB (plain ALSA) and CPU ≤ 1 % of one core.

Run: `.venv/bin/python -m benchmarks.bench_cli [--runs 15] [--idle-seconds 30]
[--commands-only]`. Every command runs as an operator types it (the console script, a new
process each time) against a throw-away station, with the daemon stopped (what a first
`status` on a fresh box does) and, after the idle watch, with it running. `python -c pass`
(the same interpreter, so the same site-packages) is timed in the same rounds, each round
running every command once in turn, so a busy moment of the machine costs all of them
alike; the ratio is the median of a command over the median of `python -c pass`.
The daemon is a real `broadcaster run` with nothing to air. An emergency `say` is also
timed to its poke of the daemon (a stand-in socket bound where the daemon listens): the
command line's share of SPEC §9's ≤ 350 ms to the first emergency block (about 110 ms of
it in issue 13's budget).
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from broadcaster.config import load_config
from broadcaster.runtime import control_socket_path
from tests.support.sound import write_asoundrc

CONFIG = """\
[station]
data_dir = "{root}/data"
runtime_dir = "{run}"
audio_dir = "{audio}"
[audio]
device = "capture"
[tts]
engines = ["espeak"]
[amplifier]
warmup_s = 0
hold_s = 0
"""
AUDIO = Path(__file__).resolve().parent.parent / "audio"
SCRIPT = Path(sys.executable).parent / "broadcaster"
CLK_TCK = os.sysconf("SC_CLK_TCK")


REFERENCE = "python -c pass"
RATIO_TARGET = 8.0
SAY = ["say", "Họp tổ dân phố lúc 19h30 tại nhà văn hóa.", "--at", "+2h"]
# typed with the daemon stopped it waits in the queue: the same work as on a running
# station, whose daemon is then poked (measured by benchmarks.bench_emergency)
EMERGENCY = ["say", "Bão số 3 đổ bộ: bà con vào nơi trú ẩn ngay.", "--level", "emergency"]
POKED = "say --level emergency: typed → daemon poked"


def timed_rounds(commands: dict[str, list[str]], env: dict[str, str], runs: int,
                 poked: Path | None = None) -> dict[str, list[float]]:
    """Milliseconds of each command (and of `python -c pass`), `runs` rounds each
    running every command once in turn; with `poked` (where the daemon listens), also
    from starting an emergency `say` to its poke arriving there."""
    times: dict[str, list[float]] = {REFERENCE: [], **{name: [] for name in commands}}
    argvs = {REFERENCE: [sys.executable, "-c", "pass"],
             **{name: [str(SCRIPT), *args] for name, args in commands.items()}}
    for _ in range(runs):
        for name, argv in argvs.items():
            start = time.perf_counter()
            subprocess.run(argv, env=env, check=True, capture_output=True)
            times[name].append((time.perf_counter() - start) * 1000)
        if poked is not None:
            times.setdefault(POKED, []).append(poke_time(poked, env))
    return times


def poke_time(poked: Path, env: dict[str, str]) -> float:
    """Milliseconds from starting `say --level emergency` to its poke on the control
    socket `poked` (a stand-in for the daemon, bound only meanwhile): the command line's
    share of an emergency's latency (benchmarks.bench_emergency measures the whole way,
    to the first block handed to the device)."""
    poked.parent.mkdir(parents=True, exist_ok=True)
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as listener:
        listener.bind(str(poked))
        listener.settimeout(30)
        try:
            start = time.perf_counter()
            say = subprocess.Popen([str(SCRIPT), *EMERGENCY], env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            listener.recv(64)
            arrived = time.perf_counter()
            if say.wait(timeout=30) != 0:
                raise SystemExit("the emergency say failed")
        finally:
            poked.unlink()
    return (arrived - start) * 1000


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime


def memory_mb(pid: int) -> dict[str, float]:
    """Rss, Pss (shared pages split between processes) and private pages, from smaps_rollup."""
    fields = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, value = line.split(":", 1)
        fields[name] = int(value.split()[0]) / 1024
    private = fields.get("Private_Clean", 0) + fields.get("Private_Dirty", 0)
    return {"rss": fields["Rss"], "pss": fields["Pss"], "private": private}


def plain_alsa(folder: Path) -> Path:
    """ALSA as on a station box with a plain sound card: Debian's alsa.conf without its
    plugin hooks (PulseAudio, JACK, a52, … installed here for the test suite's sink),
    plus the file device the daemon airs into."""
    text = Path("/usr/share/alsa/alsa.conf").read_text()
    start = text.index("@hooks [")
    depth, end = 0, start
    for end in range(start + len("@hooks "), len(text)):
        depth += {"[": 1, "]": -1}.get(text[end], 0)
        if depth == 0:
            break
    (folder / "plain-alsa.conf").write_text(text[:start] + text[end + 1:])
    config = folder / "plain.asoundrc"
    config.write_text(f"""<{folder / 'plain-alsa.conf'}>
pcm.capture {{
    type plug
    slave {{ pcm {{ type file; slave.pcm "null"; file "{folder / 'plain.wav'}"; format "wav" }}
            format S16_LE }}
}}
""")
    return config


def idle_daemon(env: dict[str, str], seconds: float,
                commands: dict[str, list[str]] | None = None, runs: int = 0,
                ) -> tuple[dict[str, float], float, dict[str, list[float]]]:
    """Memory and CPU share of a daemon idle after airing one notice; then, while it
    still runs, the wall time of `commands` (read-only ones: nothing more to air)."""
    daemon = subprocess.Popen([str(SCRIPT), "run"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        subprocess.run([str(SCRIPT), "say", "Xin chào bà con.", "--repeat", "1"], env=env,
                       check=True, capture_output=True)
        time.sleep(8)  # start-up, rendering and airing that notice are not idle
        cpu_before, wall_before = cpu_seconds(daemon.pid), time.monotonic()
        time.sleep(seconds)
        cpu = (cpu_seconds(daemon.pid) - cpu_before) / (time.monotonic() - wall_before)
        memory = memory_mb(daemon.pid)
        times = timed_rounds(commands, env, runs) if commands else {}
        return memory, cpu, times
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(timeout=20)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--idle-seconds", type=float, default=30.0)
    parser.add_argument("--commands-only", action="store_true",
                        help="time the commands with the daemon stopped; no idle daemon")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "broadcaster.toml"
        config.write_text(CONFIG.format(root=".", run="run", audio=AUDIO), encoding="utf-8")
        # the test sound card: an ALSA file device, so the daemon airs something for real
        asoundrc = write_asoundrc(Path(tmp))
        # as installed: Python's compiled modules are written (and then read), whatever
        # this shell says (PYTHONDONTWRITEBYTECODE would compile every module every run)
        env = {**{name: value for name, value in os.environ.items()
                  if name != "PYTHONDONTWRITEBYTECODE"},
               "BROADCASTER_CONFIG": str(config), "ALSA_CONFIG_PATH": str(asoundrc),
               "BROADCASTER_TEST_CAPTURE": str(Path(tmp) / "capture.wav")}
        for command in (["queue"], ["status"], ["log"]):  # compiled once, as at install
            subprocess.run([str(SCRIPT), *command], env=env, check=True, capture_output=True)
        for index in range(20):  # a realistic queue to list
            subprocess.run([str(SCRIPT), "say", f"Thông báo số {index}.", "--at", "+3h"],
                           env=env, check=True, capture_output=True)
        stopped = timed_rounds({"say": SAY, "say --level emergency": EMERGENCY,
                                "queue": ["queue"], "status": ["status"]}, env, options.runs,
                               poked=control_socket_path(load_config(config)))
        idle = {}
        if not options.commands_only:
            for index in range(2 * len(stopped["say"]) + len(stopped[POKED])):
                subprocess.run([str(SCRIPT), "cancel", str(21 + index)], env=env, check=True,
                               capture_output=True)  # what remains is the 20 to list
            idle = {
                "plain ALSA": idle_daemon(
                    {**env, "ALSA_CONFIG_PATH": str(plain_alsa(Path(tmp)))},
                    options.idle_seconds, {"queue": ["queue"], "status": ["status"]},
                    options.runs),
                "ALSA + this machine's plugins": idle_daemon(env, options.idle_seconds),
            }

    passed = statistics.median(stopped[REFERENCE])

    def row(what: str, figure: str, target: str) -> str:
        return f"| {what:50} | {figure:>30} | {target:>10} |"

    def timing(what: str, values: list[float], reference: float | None) -> str:
        """A command's median and its ratio to `reference` (None: it is the reference)."""
        median = statistics.median(values)
        if reference is None:
            return row(what, f"{median:.0f} ms (max {max(values):.0f})", "—")
        return row(what, f"{median:.0f} ms = {median / reference:.1f} × (max {max(values):.0f})",
                   f"≤ {RATIO_TARGET:.0f} ×")

    print(f"{options.runs} rounds, each running every command once; ratios to the median of "
          f"`{REFERENCE}` timed in the same rounds")
    print(row("what", "measured (median)", "target"))
    print(row("-" * 50, "-" * 30, "-" * 10))
    for name, values in stopped.items():
        if name == REFERENCE:
            print(timing(REFERENCE, values, None))
        elif name == POKED:
            print(row(name, f"{statistics.median(values):.0f} ms (max {max(values):.0f})",
                      "~110 ms"))
        else:
            print(timing(f"broadcaster {name}, daemon stopped", values, passed))
    for setup, (memory, cpu, times) in idle.items():
        if times:  # ratios to `python -c pass` timed beside them, with the daemon up
            reference = statistics.median(times[REFERENCE])
            for name, values in times.items():
                if name == REFERENCE:
                    print(timing(f"{REFERENCE}, daemon running", values, None))
                else:
                    print(timing(f"broadcaster {name}, daemon running", values, reference))
        rss = f"{memory['rss']:.0f} MB ({memory['private']:.0f} private)"
        print(row(f"idle RSS, {setup}", rss, "≤ 50 MB"))
        print(row(f"idle CPU, {setup}", f"{cpu * 100:.2f} %", "≤ 1 %"))
    if idle:
        print(f"(idle daemon: after airing one notice, 20 pending, watched for "
              f"{options.idle_seconds:.0f} s)")


if __name__ == "__main__":
    main()
