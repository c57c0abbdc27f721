"""Operator commands and the idle daemon (SPEC §9): `queue`/`say` wall time ≤ 300 ms;
idle daemon RSS ≤ 60 MB and CPU ≤ 1 % of one core.

Run: `.venv/bin/python -m benchmarks.bench_cli [--idle-seconds 30]`. Every command runs as
an operator types it (the console script, a new process each time) against a throw-away
station; the daemon is a real `broadcaster run` with nothing to air.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.support.sound import write_asoundrc

CONFIG = """\
[station]
data_dir = "data"
runtime_dir = "run"
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


def timed(args: list[str], env: dict[str, str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([str(SCRIPT), *args], env=env, check=True, capture_output=True)
        times.append((time.perf_counter() - start) * 1000)
    return times


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


def idle_daemon(env: dict[str, str], seconds: float) -> tuple[dict[str, float], float]:
    """Memory and CPU share of a daemon idle after airing one notice."""
    daemon = subprocess.Popen([str(SCRIPT), "run"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        subprocess.run([str(SCRIPT), "say", "Xin chào bà con.", "--repeat", "1"], env=env,
                       check=True, capture_output=True)
        time.sleep(8)  # start-up, rendering and airing that notice are not idle
        cpu_before, wall_before = cpu_seconds(daemon.pid), time.monotonic()
        time.sleep(seconds)
        cpu = (cpu_seconds(daemon.pid) - cpu_before) / (time.monotonic() - wall_before)
        return memory_mb(daemon.pid), cpu
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(timeout=20)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--idle-seconds", type=float, default=30.0)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "broadcaster.toml"
        config.write_text(CONFIG.format(audio=AUDIO), encoding="utf-8")
        # the test sound card: an ALSA file device, so the daemon airs something for real
        asoundrc = write_asoundrc(Path(tmp))
        env = {**os.environ, "BROADCASTER_CONFIG": str(config),
               "ALSA_CONFIG_PATH": str(asoundrc),
               "BROADCASTER_TEST_CAPTURE": str(Path(tmp) / "capture.wav")}
        say = timed(["say", "Họp tổ dân phố lúc 19h30 tại nhà văn hóa.", "--at", "+2h"], env,
                    options.runs)
        for index in range(20):  # a realistic queue to list
            subprocess.run([str(SCRIPT), "say", f"Thông báo số {index}.", "--at", "+3h"],
                           env=env, check=True, capture_output=True)
        queue = timed(["queue"], env, options.runs)
        status = timed(["status"], env, options.runs)

        idle = {
            "plain ALSA": idle_daemon(
                {**env, "ALSA_CONFIG_PATH": str(plain_alsa(Path(tmp)))}, options.idle_seconds),
            "ALSA + this machine's plugins": idle_daemon(env, options.idle_seconds),
        }

    def row(what: str, values: list[float], target: str) -> str:
        figure = f"{statistics.median(values):.0f} ms (max {max(values):.0f})"
        return f"| {what:40} | {figure:>20} | {target:>8} |"

    print(f"{options.runs} runs each; idle daemon (after airing one notice, 21 pending) "
          f"watched for {options.idle_seconds:.0f} s")
    print(f"| {'what':40} | {'measured (median)':>20} | {'target':>8} |")
    print(f"| {'-' * 40} | {'-' * 20} | {'-' * 8} |")
    print(row("broadcaster say", say, "≤ 300 ms"))
    print(row("broadcaster queue (20 pending)", queue, "≤ 300 ms"))
    print(row("broadcaster status", status, "—"))
    for setup, (memory, cpu) in idle.items():
        rss = f"{memory['rss']:.0f} MB ({memory['private']:.0f} private)"
        print(f"| {'idle RSS, ' + setup:40} | {rss:>20} | {'≤ 60 MB':>8} |")
        print(f"| {'idle CPU, ' + setup:40} | {f'{cpu * 100:.2f} %':>20} "
              f"| {'≤ 1 %':>8} |")


if __name__ == "__main__":
    main()
