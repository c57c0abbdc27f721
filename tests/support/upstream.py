"""The upstream link without the daemon: a station that has only its database and the
link, driven by a loop like the daemon's (one thread owns the Store and decides; the
link's thread only posts to it), and a district that pushes and listens for receipts.

`LinkStation.run(fn)` runs `fn(store, upstream)` on the station thread — how a test airs
an entry (writes its as-run line) as the player would.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar, TypeVar
from zoneinfo import ZoneInfo

import paho.mqtt.client as mqtt

from broadcaster.config import Config, load_config
from broadcaster.model import Level
from broadcaster.status import LiveStatus
from broadcaster.store import Store
from broadcaster.upstream.collector import CollectorClient, collector_keys, open_collector
from broadcaster.upstream.collector_db import CollectorDB, collector_db_path
from broadcaster.upstream.collector_report import PushReport, report, station_states
from broadcaster.upstream.district import push, settings_of
from broadcaster.upstream.envelope import load_private_key, seal, seal_revocation, write_keypair
from broadcaster.upstream.link import BrokerSettings
from broadcaster.upstream.pushes import Upstream
from tests.support.broker import AnyBroker
from tests.support.waiting import wait_until

T = TypeVar("T")
PREFIX = "test"

STATION_CONFIG = """\
[station]
name = "Đài truyền thanh xã {id}"
id = "{id}"
data_dir = "data"
audio_dir = "audio"
runtime_dir = "run"

[district]
broker = "{url}"
topic_prefix = "{prefix}"
trusted_keys = {keys}
"""

BULLETIN = """\
title: Bản tin phòng chống bão số 3
items:
  - chime: default
  - say: "Bão số 3 đang vào bờ, bà con chằng chống nhà cửa."
    repeat: 2
    gap: 5s
"""


def station_config(root: Path, station_id: str, broker_url: str, keys: list[Path]) -> Path:
    (root / "audio").mkdir(parents=True, exist_ok=True)
    path = root / "broadcaster.toml"
    path.write_text(STATION_CONFIG.format(id=station_id, url=broker_url, prefix=PREFIX,
                                          keys=json.dumps([str(k) for k in keys])),
                    encoding="utf-8")
    return path


class District:
    """The district's key, its sequence, and envelopes signed with it (or tampered)."""

    def __init__(self, folder: Path) -> None:
        self.private_path = folder / "district.key"
        self.public_path = folder / "district.pub"
        self.key_id = write_keypair(self.private_path, self.public_path)
        self.key = load_private_key(self.private_path)
        self.seq = 0

    def envelope(self, *, target: str = "all", level: Level = Level.PRIORITY,
                 payload: str | dict[str, Any] = BULLETIN, issued: datetime | None = None,
                 expires: datetime | None = None, seq: int | None = None,
                 message_id: str | None = None,
                 files: list[dict[str, Any]] | None = None) -> bytes:
        """A push signed with this district's key; `files`: the manifests (as JSON) of
        the recorded audio it carries."""
        now = datetime.now(UTC)
        if seq is None:
            self.seq += 1
            seq = self.seq
        return seal(self.key, seq=seq, issued=issued or now,
                    expires=expires or now + timedelta(hours=1), target=target, level=level,
                    payload=payload, message_id=message_id or str(uuid.uuid4()), files=files)

    def revocation(self, keys: list[str], *, reason: str = "khóa bị lộ", target: str = "all",
                   issued: datetime | None = None, expires: datetime | None = None,
                   message_id: str | None = None) -> bytes:
        """A revocation of the key ids `keys`, signed with this district's key."""
        now = datetime.now(UTC)
        self.seq += 1
        return seal_revocation(self.key, seq=self.seq, issued=issued or now,
                               expires=expires or now + timedelta(days=1), target=target,
                               keys=keys, reason=reason, message_id=message_id)


class LinkStation:
    """A station of link, decisions and database only, on its own thread. One a test left
    running (it failed before its `stop()`) is stopped after the test (`stop_left_running`,
    an autouse fixture in conftest.py): on a broker the tests share, a station left linked
    would fight the next test's station of the same id for its client id."""

    running: ClassVar[list[LinkStation]] = []

    def __init__(self, root: Path, station_id: str, broker: AnyBroker, keys: list[Path]) -> None:
        self.root = root
        self.station_id = station_id
        self.config_file = station_config(root, station_id, broker.url, keys)
        self.config: Config = load_config(self.config_file)
        self._messages: queue.Queue[tuple[Any, ...]] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._error: BaseException | None = None
        self.upstream: Upstream | None = None

    def post(self, *message: Any) -> None:
        self._messages.put(message)

    def start(self) -> LinkStation:
        LinkStation.running.append(self)
        self._stop.clear()
        ready = threading.Event()
        self._thread = threading.Thread(target=self._loop, args=(ready,), daemon=True,
                                        name=f"station-{self.station_id}")
        self._thread.start()
        ready.wait(10)
        return self

    def _loop(self, ready: threading.Event) -> None:
        store = Store(self.config.data_dir / "station.db")
        upstream = Upstream(self.config, store, clock_trusted=lambda: True)
        self.upstream = upstream
        upstream.start(self.post, heartbeat_s=1.0)
        ready.set()
        zone = ZoneInfo(self.config.station.timezone)
        try:
            while not self._stop.is_set():
                try:
                    message = self._messages.get(timeout=0.05)
                except queue.Empty:
                    message = None
                now = datetime.now(zone)
                if message is not None:
                    if message[0] == "upstream":
                        upstream.handle(message[1:], now)
                    elif message[0] == "call":
                        function, answer = message[1], message[2]
                        try:
                            answer.put((True, function(store, upstream)))
                        except BaseException as exc:  # handed to the caller
                            answer.put((False, exc))
                upstream.tick(now)
                upstream.show(LiveStatus(pid=os.getpid(), started=0.0))  # as the daemon does
        except BaseException as exc:
            self._error = exc
            raise
        finally:
            upstream.close()
            store.close()

    def run(self, function: Callable[[Store, Upstream], T]) -> T:
        """`function(store, upstream)` on the station thread; its result (or exception)."""
        answer: queue.Queue[tuple[bool, Any]] = queue.Queue()
        self.post("call", function, answer)
        ok, value = answer.get(timeout=10)
        if not ok:
            raise value
        return value  # type: ignore[no-any-return]  # the function's own result

    def stop(self) -> None:
        if self in LinkStation.running:
            LinkStation.running.remove(self)
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None
        if self._error is not None:
            raise AssertionError(f"the station loop failed: {self._error!r}")

    def open_store(self) -> Store:
        """A second connection, as the operator's CLI has."""
        return Store(self.config.data_dir / "station.db")


class Listener:
    """The district's ear: every receipt and status, with a persistent session (so what
    stations send while it reconnects is kept for it)."""

    def __init__(self, broker: AnyBroker, client_id: str = "district-listener") -> None:
        self.messages: queue.Queue[tuple[str, dict[str, Any]]] = queue.Queue()
        self.seen: list[tuple[str, dict[str, Any]]] = []
        self._subscribed = threading.Event()
        settings = BrokerSettings.from_url(broker.url)  # its MQTT version, as every client
        client = settings.client(client_id, persistent=True)
        client.reconnect_delay_set(1, 2)
        client.on_connect = self._on_connect
        client.on_subscribe = lambda *_: self._subscribed.set()
        client.on_message = self._on_message
        self._client = client
        settings.connect(client, persistent=True, blocking=True)
        client.loop_start()
        if not self._subscribed.wait(10):
            raise AssertionError("the district listener could not subscribe")

    def _on_connect(self, client: mqtt.Client, *_: Any) -> None:
        client.subscribe([(f"{PREFIX}/stations/+/receipts", 1),
                          (f"{PREFIX}/stations/+/status", 1)])

    def _on_message(self, client: mqtt.Client, userdata: Any,
                    message: mqtt.MQTTMessage) -> None:
        self.messages.put((message.topic, json.loads(message.payload)))

    def publish(self, topic: str, payload: bytes) -> None:
        self._client.publish(topic, payload, qos=1).wait_for_publish(10)

    def receipts(self, message_id: str | None, count: int,
                 timeout: float = 15.0) -> list[dict[str, Any]]:
        """Wait until `count` receipts for `message_id` came (None: any), in arrival order."""
        deadline = time.monotonic() + timeout
        while True:
            found: list[dict[str, Any]] = []
            for topic, body in self.seen:  # QoS 1 may deliver a receipt twice: count it once
                if topic.endswith("/receipts") and body not in found \
                        and (message_id is None or body.get("message_id") == message_id):
                    found.append(body)
            if len(found) >= count:
                return found
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"{len(found)} of {count} receipts came: {found}")
            try:
                self.seen.append(self.messages.get(timeout=min(0.2, remaining)))
            except queue.Empty:
                continue

    def status(self, station: str, state: str, timeout: float = 15.0) -> dict[str, Any]:
        """Wait for `station`'s status to say `state`; returns it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for topic, body in reversed(self.seen):
                if topic == f"{PREFIX}/stations/{station}/status":
                    if body.get("state") == state:
                        return dict(body)
                    break
            try:
                self.seen.append(self.messages.get(timeout=0.2))
            except queue.Empty:
                continue
        raise AssertionError(f"{station} did not become {state}")

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()


def stop_left_running() -> None:
    """Stop every LinkStation a test started and did not stop."""
    for station in list(LinkStation.running):
        station.stop()


class Province:
    """The province's machine: a config naming the broker, the district key, a collector
    (on a thread of this process, as `district collect` runs it) and the CLI."""

    def __init__(self, root: Path, broker: AnyBroker,
                 district: District) -> None:
        self.root = root
        self.district = district
        self.config_file = station_config(root, "tinh", broker.url, [district.public_path])
        self.config: Config = load_config(self.config_file)
        self.bulletin = root / "bulletin.yaml"
        self.bulletin.write_text(BULLETIN, encoding="utf-8")
        self._client: CollectorClient | None = None
        self._thread: threading.Thread | None = None
        self._failed: BaseException | None = None

    @property
    def db_path(self) -> Path:
        return collector_db_path(self.config)

    def start_collector(self) -> None:
        ready = threading.Event()

        def run() -> None:  # the database belongs to the thread that runs the collector
            settings = settings_of(self.config)
            collector = open_collector(self.db_path, settings.prefix,
                                       collector_keys(self.config))
            self._client = CollectorClient(settings, collector, "collector-test")
            ready.set()
            try:
                self._client.run()
            except BaseException as exc:
                self._failed = exc
                raise
            finally:
                collector.db.close()

        self._thread = threading.Thread(target=run, name="collector", daemon=True)
        self._thread.start()
        assert ready.wait(10)
        assert self._client is not None
        assert self._client.subscribed.wait(10), "the collector did not subscribe"

    def stop_collector(self) -> None:
        if self._client is not None and self._thread is not None:
            self._client.stop()
            self._thread.join(10)
            assert not self._thread.is_alive()
        self._client = self._thread = None
        if self._failed is not None:
            raise AssertionError(f"the collector failed: {self._failed!r}")

    @property
    def collector(self) -> CollectorClient | None:
        """The running collector's client (its `depot` counts what it served)."""
        return self._client

    @property
    def collecting(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def push(self, target: str = "all", level: Level = Level.PRIORITY,
             key: Path | None = None) -> str:
        return push(self.config, self.bulletin, target=target, level=level,
                    key=key or self.district.private_path).message_id

    def report(self, message_id: str) -> PushReport:
        db = CollectorDB(self.db_path)
        try:
            return report(db, message_id)
        finally:
            db.close()

    def answers(self, message_id: str) -> dict[str, str]:
        if not self.db_path.exists():
            return {}
        try:
            found = self.report(message_id)
        except Exception:  # not there yet: the push may still be on its way
            return {}
        return {answer.station: answer.answer for answer in found.stations}

    def wait_answers(self, message_id: str, expected: dict[str, str],
                     timeout: float = 20.0) -> None:
        wait_until(lambda: self.answers(message_id) == expected,
                   f"answers {expected} (last: {self.answers(message_id)})", timeout)

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "broadcaster", "district", *args,
                               "--config", str(self.config_file)],
                              capture_output=True, text=True, timeout=60, check=False)


def online_station(root: Path, name: str, broker: AnyBroker, district: District,
                   province: Province) -> LinkStation:
    station = LinkStation(root / name, name, broker, [district.public_path]).start()
    wait_until(lambda: collector_state(province, name) == "online",
               f"{name} online at the collector")
    return station


def collector_state(province: Province, name: str) -> str | None:
    db = CollectorDB(province.db_path)
    try:
        return {s.station: s.state for s in station_states(db)}.get(name)
    finally:
        db.close()
