"""The brokers a province may run, side by side on this machine: how long each takes to
start (Mosquitto, one RabbitMQ node, a two-node RabbitMQ cluster joined with
`rabbitmqctl join_cluster`) and a push's round trip on each — a signed push published
by the district until the station's `accepted` receipt is back at it (the station's
real link, checks and database commit; no player), median and worst of `--pushes`.

On the cluster the district is connected to node 1 and the station to node 2, so the
push and its receipts cross the cluster. Everything runs on 127.0.0.1 and is stopped
after (tests/support/broker.py).

Run: `.venv/bin/python -m benchmarks.bench_brokers [--pushes 30]` (needs the mosquitto
and rabbitmq-server packages).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from broadcaster.model import Level
from tests.support.broker import AnyBroker, Broker, RabbitCluster
from tests.support.upstream import PREFIX, District, LinkStation, Listener


def timed(start: Callable[[], object]) -> float:
    began = time.monotonic()
    start()
    return time.monotonic() - began


def round_trips(folder: Path, sender: AnyBroker, station_broker: AnyBroker,
                pushes: int) -> list[float]:
    """Seconds from publishing each push to its `accepted` receipt at the sender."""
    district = District(folder / "district")
    ear = Listener(sender, client_id="bench-listener")
    station = LinkStation(folder / "station", "tan-phong", station_broker,
                          [district.public_path]).start()
    try:
        ear.status("tan-phong", "online", timeout=30)
        times = []
        for _ in range(pushes):
            raw = district.envelope(level=Level.PRIORITY, target="tan-phong")
            began = time.monotonic()
            ear.publish(f"{PREFIX}/stations/tan-phong/push", raw)
            ear.receipts(json.loads(raw)["id"], 2)
            times.append(time.monotonic() - began)
        return times
    finally:
        station.stop()
        ear.close()


def describe(times: list[float]) -> str:
    return (f"median {statistics.median(times) * 1000:.0f} ms, "
            f"worst {max(times) * 1000:.0f} ms ({len(times)} pushes)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pushes", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        mosquitto = Broker(folder / "mosquitto")
        print(f"Mosquitto start: {timed(mosquitto.start):.2f} s")
        try:
            trips = round_trips(folder / "m", mosquitto, mosquitto, args.pushes)
            print(f"Mosquitto push round trip: {describe(trips)}")
        finally:
            mosquitto.stop()
        single = RabbitCluster(folder / "rabbit", size=1)
        print(f"RabbitMQ node start (plugins enabled, booted, MQTT listening): "
              f"{timed(single.start):.1f} s")
        try:
            trips = round_trips(folder / "r", single.nodes[0], single.nodes[0], args.pushes)
            print(f"RabbitMQ node push round trip: {describe(trips)}")
        finally:
            print(f"RabbitMQ node stop: {timed(single.stop):.1f} s")
        cluster = RabbitCluster(folder / "cluster", size=2)
        print(f"RabbitMQ two-node cluster start (both booted, node 2 joined): "
              f"{timed(cluster.start):.1f} s")
        try:
            one, two = cluster.nodes
            trips = round_trips(folder / "c", one, two, args.pushes)
            print(f"RabbitMQ cluster push round trip (district on node 1, station on "
                  f"node 2): {describe(trips)}")
        finally:
            print(f"RabbitMQ cluster stop: {timed(cluster.stop):.1f} s")


if __name__ == "__main__":
    main()
