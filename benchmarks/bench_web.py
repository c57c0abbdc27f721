"""The web console (issue 10): how long the server takes to draw the dashboard with 500
as-run lines and 100 queued items (median), and the web process's memory idle and under 20
concurrent page loads.

Run: `.venv/bin/python -m benchmarks.bench_web [--runs 50]`. `broadcaster web` runs as a
real process on 127.0.0.1 against a throw-away station (no daemon: the pages read the
database as they would beside one); a logged-in client fetches the pages over loopback
HTTP, so a time is the server's plus a fraction of a millisecond. A page load is the page
and its CSS and scripts, as a browser with an empty cache asks for them.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from benchmarks.bench_cli import memory_mb
from broadcaster.model import Chime, File, Level, Outcome, Say
from broadcaster.store import Store
from broadcaster.web.accounts import Accounts, Role
from tests.support.broker import free_port
from tests.support.web import Client

CONFIG = """\
[station]
data_dir = "data"
audio_dir = "audio"
runtime_dir = "run"
[tts]
engines = ["espeak"]
[web]
listen = "127.0.0.1:{port}"
"""
PASSWORD = "mat-khau-lanh-dao"  # noqa: S105 - a throw-away station's account
AS_RUN_LINES = 500
QUEUED = 100
CONCURRENT = 20
PAGE_FILES = ("/static/console.css", "/static/htmx.min.js", "/static/console.js")
OUTCOMES = (Outcome.AIRED,) * 8 + (Outcome.PARTIAL, Outcome.MISSED)


def fill(folder: Path) -> None:
    """A week of as-run lines, a long queue, one leader."""
    store = Store(folder / "data" / "station.db")
    try:
        now = time.time()
        notice = (Chime("default"), Say("Thông báo của Ủy ban nhân dân xã về lịch tiêm "
                                        "phòng gia cầm.", repeat=2, gap_s=20.0))
        for number in range(AS_RUN_LINES):
            ended = now - 6 * 86400 * (AS_RUN_LINES - number) / AS_RUN_LINES
            entry_id = store.enqueue(title=f"Bản tin số {number}", level=Level.NORMAL,
                                     source="operator", items=notice, due_at=ended - 120,
                                     now=ended - 300, expires_at=ended + 3600)
            entry = store.entry(entry_id)
            assert entry is not None
            store.finish(entry, OUTCOMES[number % len(OUTCOMES)], ended_at=ended,
                         started_at=ended - 95, engine="espeak")
        for number in range(QUEUED):
            due = now + 60 * number
            store.enqueue(title=f"Thông báo chờ {number}",
                          level=Level.PRIORITY if number % 10 == 0 else Level.NORMAL,
                          source="operator", items=notice if number % 2 else
                          (File(folder / "audio" / "bai-hat.mp3"),), due_at=due,
                          now=now, expires_at=due + 6 * 3600)
        Accounts(store).add("lanhdao", Role.LEADER, PASSWORD)
    finally:
        store.close()


def timed(client: Client, path: str, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        status, _page = client.request("GET", path)
        times.append((time.perf_counter() - start) * 1000)
        assert status == 200, (path, status)
    return times


def page_load(client: Client, path: str) -> float:
    start = time.perf_counter()
    for part in (path, *PAGE_FILES):
        status, _body = client.request("GET", part)
        assert status == 200, (part, status)
    return (time.perf_counter() - start) * 1000


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-web-") as name:
        folder = Path(name)
        (folder / "audio").mkdir()
        port = free_port()
        config = folder / "broadcaster.toml"
        config.write_text(CONFIG.format(port=port), encoding="utf-8")
        fill(folder)
        env = {**os.environ, "BROADCASTER_CONFIG": str(config)}
        server = subprocess.Popen([sys.executable, "-m", "broadcaster", "web"], cwd=folder,
                                  env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        try:
            measure(server.pid, port, args.runs)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=10)


def measure(pid: int, port: int, runs: int) -> None:
    client = Client(port)
    deadline = time.monotonic() + 20
    while True:
        try:
            client.log_in("lanhdao", PASSWORD)
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
    print(f"station: {AS_RUN_LINES} as-run lines (a week), {QUEUED} queued items; "
          f"{runs} requests per page, after one to warm up")
    for path, what in (("/", "dashboard (on air, next items in air order)"),
                       ("/queue", f"queue ({QUEUED} items in air order)"),
                       ("/log", f"as-run log ({AS_RUN_LINES} lines)"),
                       ("/log.csv", f"as-run CSV ({AS_RUN_LINES} lines)")):
        timed(client, path, 1)
        times = timed(client, path, runs)
        print(f"  {what:<45} median {statistics.median(times):6.1f} ms, "
              f"p90 {statistics.quantiles(times, n=10)[-1]:6.1f} ms")
    time.sleep(2)
    idle = memory_mb(pid)
    print(f"web process idle: RSS {idle['rss']:.1f} MB (PSS {idle['pss']:.1f}, private "
          f"{idle['private']:.1f})")

    loads: list[float] = []
    samples: list[float] = []
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            samples.append(memory_mb(pid)["rss"])
            time.sleep(0.01)

    def visitor() -> None:
        mine = Client(port)
        mine.cookies = dict(client.cookies)
        for path in ("/", "/queue", "/log", "/"):
            loads.append(page_load(mine, path))

    watcher = threading.Thread(target=watch)
    watcher.start()
    start = time.perf_counter()
    threads = [threading.Thread(target=visitor) for _ in range(CONCURRENT)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - start
    done.set()
    watcher.join()
    print(f"{CONCURRENT} browsers at once, 4 page loads each (page + CSS + 2 scripts): "
          f"{wall:.2f} s; a page load median {statistics.median(loads):.0f} ms, "
          f"max {max(loads):.0f} ms")
    print(f"web process under that load: RSS max {max(samples):.1f} MB; peak RSS of its "
          f"life (VmHWM) {peak_rss_mb(pid):.1f} MB")


if __name__ == "__main__":
    main()
