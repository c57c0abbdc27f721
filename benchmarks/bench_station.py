"""Start error of scheduled items (SPEC §9): first audio block handed to the device − due
time, p50/p99/max over ≥ 30 items; target p99 ≤ 20 ms.

Run: `.venv/bin/python -m benchmarks.bench_station [--files 32] [--notices 8]
[--warmup 0 1]` (about two minutes per warm-up setting).
A real `broadcaster run` daemon airs through the real-time PulseAudio null sink of the
test sound devices (tests/support/sound.py; needs pulseaudio, pulseaudio-utils,
libasound2-plugins). Items are queued in the station database as the operator's `play`
and `say --at` queue them, each due at its own odd fraction of a second, with the
station quiet in between (so each start opens the device again, as a slot does).
Each run is repeated per amplifier warm-up setting, with hold_s = 0 so that every item
has to power the amplifier on again (the worst case: items far apart).
The figure per item is the as-run log's started − due: the daemon stamps `started` when
the player's first `output.write` of the item returned (the STARTED event, backdated
from the station thread by the monotonic clock), the same figure as
`Station.start_errors_ms`.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from broadcaster.model import Chime, File, Level, PlaylistItem, Say
from broadcaster.runtime import poke_daemon
from tests.support.daemon import Daemon, daemon_station, station_store
from tests.support.sound import running_null_sink, write_tone

FILE_S = 0.4  # each file item's length
FILE_SPACING_S = 1.3
NOTICE_SPACING_S = 5.0  # the chime (2.9 s) and a short notice
LEAD_S = 8.0  # the first item is due this long after queueing: the notices render first
TARGET_MS = 20.0


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def measure(folder: Path, files: int, notices: int,
            warmup_s: float = 0.0) -> tuple[list[float], list[float]]:
    """Start errors in ms of the file items and of the notices."""
    station = daemon_station(folder / "station", "nullsink",
                             amplifier=f"warmup_s = {warmup_s}\nhold_s = 0")
    tone = station.root / "audio" / "tone.wav"
    write_tone(tone, FILE_S, channels=2)
    rng = random.Random(7)
    daemon = Daemon(station)
    daemon.start()
    try:
        plan: list[tuple[str, tuple[PlaylistItem, ...], float]] = []
        due = time.time() + LEAD_S
        for number in range(notices):
            plan.append(("notice", (Chime("default"),
                                    Say(f"Thông báo số {number + 1}.", repeat=1)), due))
            due += NOTICE_SPACING_S + warmup_s + rng.random()
        for _ in range(files):
            plan.append(("file", (File(tone),), due))
            due += FILE_SPACING_S + warmup_s + rng.random()
        kinds: dict[int, str] = {}
        with station_store(station) as store:
            for kind, items, at in plan:
                entry_id = store.enqueue(title=kind, level=Level.NORMAL, source="operator",
                                         items=items, due_at=at, now=time.time(),
                                         expires_at=at + 600)
                kinds[entry_id] = kind
        poke_daemon(station.config())
        lines = daemon.wait_finished(*kinds, timeout=due - time.time() + 30)
        assert daemon.stop() == 0
    finally:
        daemon.power_cut()
    errors: dict[str, list[float]] = {"file": [], "notice": []}
    for line in lines:
        if line.started_at is None or line.due_at is None or line.outcome.value != "aired":
            raise SystemExit(f"item {line.queue_id} did not air: {line}")
        errors[kinds[line.queue_id or 0]].append((line.started_at - line.due_at) * 1000)
    return errors["file"], errors["notice"]


def row(what: str, values: list[float]) -> str:
    return (f"| {what} | {len(values)} | {statistics.median(values):.1f} | "
            f"{percentile(values, 0.99):.1f} | {max(values):.1f} | {min(values):.1f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=32, help="file items (`play --at`)")
    parser.add_argument("--notices", type=int, default=8,
                        help="spoken notices (chime + speech, `say --at`)")
    parser.add_argument("--warmup", type=float, nargs="+", default=[0.0, 1.0],
                        help="amplifier warm-up settings (s) to measure with")
    args = parser.parse_args()
    rows: list[str] = []
    with running_null_sink():
        for warmup_s in args.warmup:
            with tempfile.TemporaryDirectory(prefix="bench-station-") as tmp:
                files, notices = measure(Path(tmp), args.files, args.notices, warmup_s)
            setting = f"amplifier warm-up {warmup_s:g} s"
            if files:
                rows.append(row(f"file items, {setting}", files))
            if notices:
                rows.append(row(f"spoken notices (chime first), {setting}", notices))
            rows.append(row(f"**all, {setting}** (target p99 ≤ {TARGET_MS:.0f} ms)",
                            files + notices))
    print("| start error (first block to device − due), null sink | items | p50 ms "
          "| p99 ms | max ms | min ms |")
    print("| --- | --- | --- | --- | --- | --- |")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
