"""One signed push to 500 stations through one local Mosquitto, until every `accepted`
receipt is back (SPEC §9: ≤ 10 s); also the cost of checking one push at a station.

Run: `.venv/bin/python -m benchmarks.bench_upstream [--stations 500]` (needs the
`mosquitto` package; the broker runs on 127.0.0.1 on a free port and is stopped after).

The stations are simulated in this process: one real MQTT client per station (its own
connection, subscriptions to `all/push` and its own push topic, QoS 1), all driven by one
selector loop. Each checks a push exactly as the daemon does — `pushes.authenticate`
(size, JSON, fields, trusted key, Ed25519 signature, target, replay) and
`pushes.examine` (times, the playlist parsed and validated) — and answers `received`
then `accepted` (QoS 1) on its receipts topic. What it leaves out is the station
database's transaction (one SQLite commit per push on the box's SD card).
"""

from __future__ import annotations

import argparse
import json
import selectors
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from broadcaster.model import Level
from broadcaster.upstream.decisions import SenderHistory
from broadcaster.upstream.envelope import TrustedKeys, load_public_key
from broadcaster.upstream.pushes import authenticate, examine
from tests.support.broker import Broker
from tests.support.upstream import BULLETIN, District

PREFIX = "bench"
TARGET_S = 10.0
ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


class SimulatedStation:
    """A station's link and checks, without audio or database."""

    def __init__(self, station_id: str, keys: TrustedKeys, audio_dir: Path) -> None:
        self.station_id = station_id
        self.keys = keys
        self.audio_dir = audio_dir
        self.seen: dict[str, str] = {}
        self.last_seq: dict[str, int] = {}
        self.check_s: list[float] = []
        self.subscribed = False
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-{station_id}",
                             clean_session=True)
        client.on_connect = lambda c, *_: c.subscribe(
            [(f"{PREFIX}/all/push", 1), (f"{PREFIX}/stations/{station_id}/push", 1)])
        client.on_subscribe = self._on_subscribe
        client.on_message = self._on_message
        self.client = client

    def _on_subscribe(self, *_: Any) -> None:
        self.subscribed = True

    def _history(self, message_id: str, key_id: str) -> SenderHistory:
        return SenderHistory(seen_at=datetime.now(UTC) if message_id in self.seen else None,
                             last_seq=self.last_seq.get(key_id))

    def _on_message(self, client: mqtt.Client, userdata: Any,
                    message: mqtt.MQTTMessage) -> None:
        started = time.perf_counter()
        envelope = authenticate(bytes(message.payload), keys=self.keys,
                                station_id=self.station_id,
                                history=self._history)
        playlist, decision = examine(envelope, datetime.now(ZONE), audio_dir=self.audio_dir,
                                     max_text_chars=20_000)
        self.seen[envelope.id] = envelope.digest
        self.last_seq[envelope.key_id] = envelope.seq
        self.check_s.append(time.perf_counter() - started)
        topic = f"{PREFIX}/stations/{self.station_id}/receipts"
        for kind in ("received", "accepted"):
            body = {"v": 1, "station": self.station_id, "message_id": envelope.id,
                    "receipt": kind, "at": datetime.now(UTC).isoformat(),
                    "title": playlist.title, "action": decision.action}
            client.publish(topic, json.dumps(body, ensure_ascii=False), qos=1)


def drive(clients: list[mqtt.Client], until: Any, timeout: float) -> bool:
    """Run every client's network I/O in this one thread until `until()` or `timeout`."""
    selector = selectors.DefaultSelector()
    for client in clients:
        sock = client.socket()
        if sock is not None:
            selector.register(sock, selectors.EVENT_READ, client)
    deadline = time.monotonic() + timeout
    last_misc = 0.0
    try:
        while not until():
            if time.monotonic() > deadline:
                return False
            for client in clients:
                if client.want_write():
                    client.loop_write()
            for key, _ in selector.select(timeout=0.01):
                client = key.data
                client.loop_read(max_packets=10)
                if client.want_write():
                    client.loop_write()
            if time.monotonic() - last_misc > 1.0:
                last_misc = time.monotonic()
                for client in clients:
                    client.loop_misc()
    finally:
        selector.close()
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stations", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder_name:
        folder = Path(folder_name)
        (folder / "audio").mkdir()
        broker = Broker(folder / "broker").start()
        try:
            run(folder, broker, args.stations)
        finally:
            broker.stop()


def run(folder: Path, broker: Broker, count: int) -> None:
    district = District(folder / "district")
    public = load_public_key(district.public_path)
    keys = TrustedKeys({district.key_id: public})
    stations = [SimulatedStation(f"xa-{n:03d}", keys, folder / "audio") for n in range(count)]

    started = time.perf_counter()
    for station in stations:
        station.client.connect("127.0.0.1", broker.port, keepalive=60)
    if not drive([s.client for s in stations], lambda: all(s.subscribed for s in stations),
                 60):
        raise SystemExit("the stations could not all connect and subscribe")
    connect_s = time.perf_counter() - started

    accepted: set[str] = set()
    district_client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-district")
    ready = {"subscribed": False}
    district_client.on_connect = lambda c, *_: c.subscribe(f"{PREFIX}/stations/+/receipts", 1)
    district_client.on_subscribe = lambda *_: ready.update(subscribed=True)

    def on_receipt(client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        body = json.loads(message.payload)
        if body["receipt"] == "accepted":
            accepted.add(body["station"])

    district_client.on_message = on_receipt
    district_client.connect("127.0.0.1", broker.port)
    everyone = [*(s.client for s in stations), district_client]
    drive(everyone, lambda: ready["subscribed"], 10)

    envelope = district.envelope(target="all", level=Level.PRIORITY, payload=BULLETIN)
    sent = time.perf_counter()
    district_client.publish(f"{PREFIX}/all/push", envelope, qos=1)
    done = drive(everyone, lambda: len(accepted) >= count, 60)
    elapsed = time.perf_counter() - sent
    for client in everyone:
        client.disconnect()

    checks = [s for station in stations for s in station.check_s]
    verify = verify_cost(district, keys, folder / "audio")
    print(f"stations: {count} (one MQTT connection each; connected and subscribed in "
          f"{connect_s:.1f} s)")
    print(f"push ({len(envelope)} bytes) to all → {len(accepted)} `accepted` receipts back "
          f"in {elapsed:.2f} s (target ≤ {TARGET_S:.0f} s): "
          f"{'PASS' if done and elapsed <= TARGET_S else 'FAIL'}")
    print(f"checking one push at a station, in the run: median "
          f"{statistics.median(checks) * 1e6:.0f} µs, max {max(checks) * 1e6:.0f} µs")
    print(f"verify cost per message (1,000 runs): signature alone {verify['signature']:.0f} µs;"
          f" envelope read + signature + target + replay {verify['authenticate']:.0f} µs;"
          f" with times and the playlist parsed {verify['full']:.0f} µs")


def verify_cost(district: District, keys: TrustedKeys, audio_dir: Path,
                runs: int = 1000) -> dict[str, float]:
    """Microseconds per push for each stage of the station's checks."""
    from broadcaster.upstream.envelope import open_envelope

    raws = [district.envelope(target="all", level=Level.PRIORITY) for _ in range(runs)]
    opened = [open_envelope(raw) for raw in raws]
    public = keys.keys[district.key_id]
    started = time.perf_counter()
    for envelope in opened:
        public.verify(envelope.sig, envelope.signed)
    signature = (time.perf_counter() - started) / runs * 1e6
    fresh = SenderHistory()
    started = time.perf_counter()
    authentic = [authenticate(raw, keys=keys, station_id="xa-000",
                              history=lambda *_: fresh) for raw in raws]
    authenticate_us = (time.perf_counter() - started) / runs * 1e6
    now = datetime.now(ZONE)
    started = time.perf_counter()
    for envelope in authentic:
        examine(envelope, now, audio_dir=audio_dir, max_text_chars=20_000)
    full = authenticate_us + (time.perf_counter() - started) / runs * 1e6
    return {"signature": signature, "authenticate": authenticate_us, "full": full}


if __name__ == "__main__":
    main()
