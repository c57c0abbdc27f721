"""The receipt collector's database at a province's scale: 100,000 receipts stored (500
stations × 200 pushes), then `district report` for one push over the 500 stations
(issue 11: ≤ 200 ms).

Run: `.venv/bin/python -m benchmarks.bench_collector [--stations 500] [--pushes 200]
[--receipts-per-push 1] [--tries 9]`.

Every message goes through `Collector.take`, the collector's own path (read, check, one
fsynced transaction, `synchronous=FULL`): the rate is the collector's write figure on
this machine's disk (an SD card or a slow disk commits far fewer per second).

Figures: the median of `--tries` runs of the report itself (`collector_report.report`:
the push, its receipts, every station), and of the whole command as the staff types it
(`broadcaster district report ID`, a process of its own: Python and Typer's start-up
included), beside `broadcaster --version` (the start-up alone) and `broadcaster queue`
(start-up, the config and a database read: what every command pays).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from broadcaster.upstream.collector import CollectorKeys, open_collector
from broadcaster.upstream.collector_db import CollectorDB
from broadcaster.upstream.collector_report import report
from tests.support.upstream import District

PREFIX = "bench"
TARGET_MS = 200.0
KINDS = ("aired", "aired", "aired", "aired", "aired", "aired", "missed", "rejected")


def receipt_body(station: str, message_id: str, kind: str, moment: datetime) -> bytes:
    """A receipt as a station sends it (records.add_receipt's shape)."""
    at = moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    body: dict[str, object] = {"v": 1, "station": station, "message_id": message_id,
                               "receipt": kind, "at": at}
    if kind == "rejected":
        body["reason"] = "the push expired before it arrived"
    else:
        end = (moment + timedelta(seconds=42)).isoformat(timespec="milliseconds")
        body["as_run"] = {"queue_id": 7, "title": "Bản tin phòng chống bão số 3",
                          "level": "priority", "outcome": kind,
                          "reason": "quiet hours" if kind == "missed" else None,
                          "engine": "espeak", "due": at, "started": at,
                          "ended": end.replace("+00:00", "Z"), "parts": [],
                          "interruptions": []}
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


def fill(path: Path, stations: int, pushes: int, per_push: int,
         folder: Path) -> tuple[str, float, int]:
    """Store the pushes and receipts as the collector does, one transaction each;
    returns (the push to report on, receipts stored per second, receipts stored)."""
    district = District(folder / "district")
    collector = open_collector(path, PREFIX, CollectorKeys([district.public_path]))
    names = [f"xa-{number:03d}" for number in range(stations)]
    start = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
    messages: list[tuple[str, bytes]] = []
    chosen = ""
    for number in range(pushes):
        raw = district.envelope(target="all")
        message_id = json.loads(raw)["id"]
        chosen = chosen or message_id
        collector.take(f"{PREFIX}/all/push", raw, time.time())
        moment = start + timedelta(minutes=30 * number)
        kinds = ("received", "accepted", "aired")[-per_push:] if per_push > 1 else None
        for index, station in enumerate(names):
            for kind in kinds or (KINDS[(index + number) % len(KINDS)],):
                messages.append((f"{PREFIX}/stations/{station}/receipts",
                                 receipt_body(station, message_id, kind, moment)))
    began = time.perf_counter()
    for topic, payload in messages:
        assert collector.take(topic, payload, time.time()) == "stored"
    rate = len(messages) / (time.perf_counter() - began)
    (_, receipts, _) = collector.db.counts()
    collector.db.close()
    return chosen, rate, receipts


def median_ms(runs: list[float]) -> float:
    return statistics.median(runs) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stations", type=int, default=500)
    parser.add_argument("--pushes", type=int, default=200)
    parser.add_argument("--receipts-per-push", type=int, default=1, choices=(1, 2, 3))
    parser.add_argument("--tries", type=int, default=9)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        data = folder / "data"
        (data / "district").mkdir(parents=True)
        config = folder / "province.toml"
        config.write_text(f'[station]\nid = "tinh"\ndata_dir = "{data}"\n'
                          f'[district]\nbroker = "mqtt://127.0.0.1:1"\n'
                          f'topic_prefix = "{PREFIX}"\n', encoding="utf-8")
        path = data / "district" / "collector.db"
        began = time.perf_counter()
        message_id, rate, stored = fill(path, args.stations, args.pushes,
                                        args.receipts_per_push, folder)
        print(f"stored {stored:,} receipts ({args.stations} stations × {args.pushes} pushes"
              f" × {args.receipts_per_push}) in {time.perf_counter() - began:.1f} s; "
              f"{path.stat().st_size / 1e6:.1f} MB")
        print(f"collector write rate, one fsynced transaction per receipt: {rate:,.0f}/s")

        runs = []
        for _ in range(args.tries):
            db = CollectorDB(path)
            began = time.perf_counter()
            found = report(db, message_id)
            runs.append(time.perf_counter() - began)
            db.close()
        assert len(found.stations) == args.stations, len(found.stations)
        print(f"report() for one push over {len(found.stations)} stations: "
              f"median {median_ms(runs):.1f} ms (of {args.tries}), max "
              f"{max(runs) * 1000:.1f} ms; totals {found.totals}")

        def wall(*command: str) -> float:
            began = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", "broadcaster", *command],
                                  capture_output=True, text=True, check=False)
            assert done.returncode == 0, done.stderr
            return time.perf_counter() - began

        for shape in ([], ["--format", "csv"], ["--json"]):
            runs = [wall("district", "report", message_id, *shape, "--config", str(config))
                    for _ in range(args.tries)]
            label = " ".join(["district report ID", *shape])
            verdict = "within" if median_ms(runs) <= TARGET_MS else "OVER"
            print(f"`broadcaster {label}` wall time: median {median_ms(runs):.0f} ms "
                  f"({verdict} the {TARGET_MS:.0f} ms target)")
        runs = [wall("--version") for _ in range(args.tries)]
        print(f"`broadcaster --version` (start-up alone): median {median_ms(runs):.0f} ms")
        runs = [wall("queue", "--config", str(config)) for _ in range(args.tries)]
        print(f"`broadcaster queue` (start-up, the config, an empty station database): "
              f"median {median_ms(runs):.0f} ms")


if __name__ == "__main__":
    main()
