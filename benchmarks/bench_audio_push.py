"""A province's push to 500 stations, text then a 2 MB recorded bulletin, until every
`accepted` receipt is in the receipt collector's database; on Mosquitto and on a two-node
RabbitMQ cluster in the same run (issue 11: text ≤ 10 s, 2 MB audio ≤ 120 s).

Run: `.venv/bin/python -m benchmarks.bench_audio_push [--stations 500] [--size-mb 2]
[--repeat 1] [--text-repeat 3] [--brokers mosquitto,rabbitmq]` (needs mosquitto,
rabbitmq-server and ffmpeg; everything runs on 127.0.0.1 and is stopped after).

The province is real: `district collect` runs as a process of its own (its RSS read from
/proc), with its file depot in its data_dir, and each push is `district.push` (signed,
the recording described and copied into the depot, published, PUBACK awaited). The
wall time runs from calling `push` until the collector's database holds an `accepted`
receipt from every station (read as `district report` reads it).

The stations are simulated in this process, without their player and database: one MQTT
connection each (the link's client id, persistent session, subscriptions, online status,
manual acks), all driven by one selector loop (bench_upstream's way), each checking a
push as the daemon does (`authenticate`, `push_files`, `examine` with the files' future
paths) and receiving its recording with its own real `FileReceiver` (its own thread,
its own folder: every chunk checked, written and fsynced, `.have` fsynced, the whole file
hashed, renamed). Receipts are the station's bodies (records.add_receipt): `received`
(with the files still to come), then `accepted` once the files are whole. os.fsync is
timed in this process (not changed) to say what the stations' disk costs.

On the cluster the province and the collector use node 1, the stations node 2, so every
push, chunk, request and receipt crosses the cluster.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import selectors
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import paho.mqtt.client as mqtt

from broadcaster.config import Config, load_config
from broadcaster.model import Level
from broadcaster.queued_audio import folder as queued_folder
from broadcaster.upstream.collector_db import CollectorDB, collector_db_path
from broadcaster.upstream.collector_report import report, station_states
from broadcaster.upstream.decisions import SenderHistory
from broadcaster.upstream.district import Pushed, push
from broadcaster.upstream.envelope import Refused, TrustedKeys, load_public_key
from broadcaster.upstream.files import Need, need_topic
from broadcaster.upstream.link import BrokerSettings, station_client_id
from broadcaster.upstream.pushes import authenticate, examine, push_files
from broadcaster.upstream.receiving import FileReceiver
from tests.support.broker import Broker, RabbitCluster
from tests.support.upstream import BULLETIN, District

PREFIX = "bench"
TEXT_TARGET_S = 10.0
AUDIO_TARGET_S = 120.0
ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
ROOT = Path(__file__).resolve().parent.parent
MAX_TEXT_CHARS = 20_000
MAX_PUSH_BYTES = 20 * 1_000_000  # [district] max_push_mb's default
POLL_S = 0.1  # how often the collector's database is read for `accepted`
SAMPLE_S = 0.25  # how often RSS is read

PROVINCE_CONFIG = """\
[station]
id = "tinh"
data_dir = "data"
audio_dir = "audio"

[district]
broker = "{url}"
topic_prefix = "{prefix}"
trusted_keys = ["{key}"]
"""

RECORDED = """\
title: Bản tin ghi âm phòng chống bão {n}
items:
  - file: ban-tin/bao-{n}.mp3
"""


# --- measuring --------------------------------------------------------------------------------

class FsyncClock:
    """os.fsync timed in this process (the stations' receivers call it): count and
    thread-seconds. The call itself is unchanged."""

    def __init__(self) -> None:
        self.calls = 0
        self.seconds = 0.0
        self._real = os.fsync
        self._lock = threading.Lock()

    def install(self) -> None:
        real = self._real

        def fsync(fd: Any) -> None:
            began = time.perf_counter()
            try:
                real(fd)
            finally:
                spent = time.perf_counter() - began
                with self._lock:
                    self.calls += 1
                    self.seconds += spent
        os.fsync = fsync

    def uninstall(self) -> None:
        os.fsync = self._real

    def read(self) -> tuple[int, float]:
        with self._lock:
            return self.calls, self.seconds


FSYNC = FsyncClock()


def rss_kb(pid: int, field_name: str = "VmRSS") -> int:
    """A process's VmRSS (or VmHWM) in kB; 0 when it is gone."""
    try:
        with Path(f"/proc/{pid}/status").open(encoding="ascii") as status:
            for line in status:
                if line.startswith(field_name + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def session_pids(session: int, name: str) -> list[int]:
    """The processes called `name` in session `session` (a RabbitMQ node's beam.smp runs
    in the session its rabbitmq-server script started)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text(encoding="ascii", errors="replace")
        except OSError:
            continue
        comm = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        if comm == name and int(fields[3]) == session:
            found.append(int(entry.name))
    return found


def cpu_s(pid: int) -> tuple[float, float]:
    """A process's CPU time so far (all its threads), in seconds: (user, system)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return 0.0, 0.0
    fields = stat[stat.rindex(")") + 2:].split()
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


class RssSampler:
    """The largest RSS seen of each watched process since `reset`, on a thread."""

    def __init__(self, pids: dict[str, list[int]]) -> None:
        self.pids = pids
        self.peak: dict[str, int] = {}
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="rss", daemon=True)

    def start(self) -> RssSampler:
        self._thread.start()
        return self

    def reset(self) -> None:
        with self._lock:
            self.peak = {}

    def _run(self) -> None:
        while not self._stop.wait(SAMPLE_S):
            self.sample()

    def sample(self) -> None:
        with self._lock:
            for name, pids in self.pids.items():
                now = sum(rss_kb(pid) for pid in pids)
                self.peak[name] = max(self.peak.get(name, 0), now)

    def cpu(self) -> dict[str, float]:
        """CPU seconds so far of each watched group of processes, and of it in the kernel
        ("NAME sys")."""
        spent: dict[str, float] = {}
        for name, pids in self.pids.items():
            times = [cpu_s(pid) for pid in pids]
            spent[name] = sum(user + system for user, system in times)
            spent[f"{name} sys"] = sum(system for _user, system in times)
        return spent

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(2)


@dataclass
class Traffic:
    """Messages and payload bytes the stations sent and got."""

    pushes: int = 0
    chunks: int = 0
    chunk_bytes: int = 0
    needs: int = 0
    need_bytes: int = 0
    receipts: int = 0
    receipt_bytes: int = 0

    def messages(self) -> int:
        return self.pushes + self.chunks + self.needs + self.receipts

    def payload_bytes(self) -> int:
        return self.chunk_bytes + self.need_bytes + self.receipt_bytes

    def minus(self, before: Traffic) -> Traffic:
        return Traffic(*(getattr(self, name) - getattr(before, name)
                         for name in self.__dataclass_fields__))


# --- the stations -----------------------------------------------------------------------------

@dataclass
class Pending:
    """A push waiting for its files at one station."""

    envelope: Any
    provided: dict[str, Path]
    missing: set[str]


@dataclass
class Hub:
    """What the receivers' threads hand the driver's thread."""

    outbox: queue.SimpleQueue[tuple[SimulatedStation, Need]] = field(
        default_factory=queue.SimpleQueue)
    posts: queue.SimpleQueue[tuple[SimulatedStation, tuple[Any, ...]]] = field(
        default_factory=queue.SimpleQueue)
    traffic: Traffic = field(default_factory=Traffic)
    troubles: list[str] = field(default_factory=list)
    taken: dict[str, int] = field(default_factory=dict)  # message id → stations that took it
    files_done: dict[str, int] = field(default_factory=dict)  # sha → stations that have it


class SimulatedStation:
    """A station's link, checks and file receiver; no player, no database."""

    def __init__(self, station_id: str, settings: BrokerSettings, keys: TrustedKeys,
                 root: Path, hub: Hub) -> None:
        self.station_id = station_id
        self.settings = settings
        self.keys = keys
        self.hub = hub
        self.audio_dir = root / station_id / "audio"
        self.audio_dir.mkdir(parents=True)
        self.seen: set[str] = set()
        self.last_seq: dict[str, int] = {}
        self.pending: dict[str, Pending] = {}
        self.subscribed = False
        self.receiver = FileReceiver(queued_folder(self.audio_dir), station_id,
                                     ask=self._ask, post=self._post)
        client = settings.client(station_client_id(station_id), persistent=True,
                                 manual_ack=True)
        client.will_set(self._topic("status"), self._status("offline"), qos=1, retain=True)
        client.on_connect = self._on_connect
        client.on_subscribe = self._on_subscribe
        client.on_message = self._on_message
        self.client = client
        self._chunks = self._topic("chunks/")

    def _topic(self, leaf: str) -> str:
        return self.settings.topic("stations", self.station_id, leaf)

    def _status(self, state: str) -> bytes:
        return json.dumps({"v": 1, "station": self.station_id, "name": None,
                            "state": state, "since": _utc(time.time()),
                            "software": "bench"}).encode()

    # --- from the receiver's thread: handed to the driver's thread ----------------------------

    def _ask(self, need: Need) -> bool:
        self.hub.outbox.put((self, need))
        return True

    def _post(self, *message: Any) -> None:
        self.hub.posts.put((self, message))

    # --- the driver's thread ---------------------------------------------------------------------

    def _on_connect(self, client: mqtt.Client, *_: Any) -> None:
        client.subscribe([(self._topic("push"), 1),
                          (self.settings.topic("all", "push"), 1),
                          (self._topic("chunks/+"), 1)])
        client.publish(self._topic("status"), self._status("online"), qos=1, retain=True)
        self.receiver.connected()

    def _on_subscribe(self, *_: Any) -> None:
        self.subscribed = True

    def _on_message(self, client: mqtt.Client, userdata: Any,
                    message: mqtt.MQTTMessage) -> None:
        if message.topic.startswith(self._chunks):
            self.hub.traffic.chunks += 1
            self.hub.traffic.chunk_bytes += len(message.payload)
            self.receiver.chunk(message.topic[len(self._chunks):], bytes(message.payload))
        else:
            self.hub.traffic.pushes += 1
            self.take(bytes(message.payload))
        if message.qos:
            client.ack(message.mid, message.qos)

    def _history(self, message_id: str, key_id: str) -> SenderHistory:
        return SenderHistory(seen_at=datetime.now(UTC) if message_id in self.seen else None,
                             last_seq=self.last_seq.get(key_id))

    def take(self, raw: bytes) -> None:
        """A push as Upstream.take checks it: `received`, then `accepted` at once or once
        its files are here."""
        now = datetime.now(ZONE)
        try:
            envelope = authenticate(raw, keys=self.keys, station_id=self.station_id,
                                    history=self._history)
            manifests, provided = push_files(envelope, self.audio_dir, MAX_PUSH_BYTES)
            playlist, decision = examine(envelope, now, audio_dir=self.audio_dir,
                                         max_text_chars=MAX_TEXT_CHARS, provided=provided)
        except Refused as refusal:
            self.hub.troubles.append(f"{self.station_id}: refused: {refusal.reason}")
            self.receipt(refusal.message_id, "rejected", reason=refusal.reason)
            return
        self.seen.add(envelope.id)
        self.last_seq[envelope.key_id] = envelope.seq
        self.hub.taken[envelope.id] = self.hub.taken.get(envelope.id, 0) + 1
        missing = [m for m in manifests if not provided[m.name].exists()]
        files = {"missing": len(missing), "bytes": sum(m.size for m in missing)} \
            if missing else None
        self.receipt(envelope.id, "received", level=decision.level.value,
                     title=playlist.title, files=files)
        if not missing:
            self.receipt(envelope.id, "accepted", queue_id=1)
            return
        self.pending[envelope.id] = Pending(envelope, provided,
                                            {manifest.sha256 for manifest in missing})
        for manifest in missing:
            self.receiver.expect(manifest)

    def handle(self, message: tuple[Any, ...]) -> None:
        """What the receiver posted: a file whole, or trouble."""
        kind, sha = message[1], message[2]
        if kind != "file_done":
            self.hub.troubles.append(f"{self.station_id}: {kind} {sha[:12]}: {message[-1]}")
            return
        self.hub.files_done[sha] = self.hub.files_done.get(sha, 0) + 1
        for message_id, waiting in list(self.pending.items()):
            waiting.missing.discard(sha)
            if waiting.missing:
                continue
            del self.pending[message_id]
            examine(waiting.envelope, datetime.now(ZONE), audio_dir=self.audio_dir,
                    max_text_chars=MAX_TEXT_CHARS, provided=waiting.provided)
            self.receipt(message_id, "accepted", queue_id=1)

    def ask_now(self, need: Need) -> None:
        body = need.body()
        self.hub.traffic.needs += 1
        self.hub.traffic.need_bytes += len(body)
        self.client.publish(need_topic(self.settings.prefix, self.station_id), body, qos=1)

    def receipt(self, message_id: str | None, kind: str, **details: Any) -> None:
        body = {"v": 1, "station": self.station_id, "message_id": message_id,
                "receipt": kind, "at": _utc(time.time()),
                **{key: value for key, value in details.items() if value is not None}}
        payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
        self.hub.traffic.receipts += 1
        self.hub.traffic.receipt_bytes += len(payload)
        self.client.publish(self._topic("receipts"), payload, qos=1)


def _utc(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds") \
        .replace("+00:00", "Z")


class Driver:
    """Every station's network I/O in this one thread (bench_upstream's selector loop),
    and what their receivers hand over."""

    def __init__(self, stations: list[SimulatedStation], hub: Hub) -> None:
        self.stations = stations
        self.hub = hub
        self.selector = selectors.DefaultSelector()
        self.loop_s = 0.0  # time in the loop itself (network I/O, checks, receipts)

    def register(self) -> None:
        for station in self.stations:
            sock = station.client.socket()
            if sock is not None:
                self.selector.register(sock, selectors.EVENT_READ, station.client)

    def run(self, until: Callable[[], bool], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        last_misc = time.monotonic()
        clients = [station.client for station in self.stations]
        while not until():
            if time.monotonic() > deadline:
                return False
            began = time.perf_counter()
            self._pump()
            for client in clients:
                if client.want_write():
                    client.loop_write()
            for key, _events in self.selector.select(timeout=0.005):
                client = key.data
                client.loop_read()
                if client.want_write():
                    client.loop_write()
            if time.monotonic() - last_misc > 1.0:
                last_misc = time.monotonic()
                for client in clients:
                    client.loop_misc()
            self.loop_s += time.perf_counter() - began
        return True

    def _pump(self) -> None:
        while True:
            try:
                station, need = self.hub.outbox.get_nowait()
            except queue.Empty:
                break
            station.ask_now(need)
        while True:
            try:
                station, message = self.hub.posts.get_nowait()
            except queue.Empty:
                break
            station.handle(message)

    def close(self) -> None:
        self.selector.close()


# --- the province -----------------------------------------------------------------------------

class Province:
    """The province's config, key, recordings and its collector, a process of its own."""

    def __init__(self, root: Path, url: str, district: District) -> None:
        self.root = root
        self.district = district
        root.mkdir(parents=True)
        (root / "audio" / "ban-tin").mkdir(parents=True)
        self.config_file = root / "province.toml"
        self.config_file.write_text(PROVINCE_CONFIG.format(
            url=url, prefix=PREFIX, key=district.public_path), encoding="utf-8")
        self.config: Config = load_config(self.config_file)
        self.text = root / "text.yaml"
        self.text.write_text(BULLETIN, encoding="utf-8")
        self.process: subprocess.Popen[bytes] | None = None
        self.log = root / "collector.log"

    @property
    def db_path(self) -> Path:
        return collector_db_path(self.config)

    def recording(self, number: int, source: Path) -> Path:
        """A playlist naming the recording `source`, copied into the audio folder."""
        shutil.copyfile(source, self.config.audio_dir / "ban-tin" / f"bao-{number}.mp3")
        playlist = self.root / f"recorded-{number}.yaml"
        playlist.write_text(RECORDED.format(n=number), encoding="utf-8")
        return playlist

    def start_collector(self) -> int:
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "broadcaster", "district", "collect",
                 "--config", str(self.config_file)],
                cwd=ROOT, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        deadline = time.monotonic() + 30
        while "collector connected" not in self.log.read_text(encoding="utf-8",
                                                              errors="replace"):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the collector did not connect:\n{self.log.read_text()}")
            time.sleep(0.05)
        return self.process.pid

    def stop_collector(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def push(self, playlist: Path) -> Pushed:
        return push(self.config, playlist, target="all", level=Level.PRIORITY,
                    key=self.district.private_path)


class Answers:
    """The collector's database as `district report` reads it: which stations answered."""

    def __init__(self, path: Path) -> None:
        self.db = CollectorDB(path)
        self._last = self._last_online = 0.0
        self._count = self._online = 0
        self._message_id = ""

    def accepted(self, message_id: str) -> int:
        """Stations with an `accepted` receipt stored (read at most every POLL_S)."""
        if time.monotonic() - self._last >= POLL_S or message_id != self._message_id:
            self._last, self._message_id = time.monotonic(), message_id
            self._count = len({r.station for r in self.db.receipts(message_id)
                               if r.kind == "accepted"})
        return self._count

    def online(self) -> int:
        """Stations the collector has as online (read at most every POLL_S)."""
        if time.monotonic() - self._last_online >= POLL_S:
            self._last_online = time.monotonic()
            self._online = sum(1 for state in station_states(self.db)
                               if state.state == "online")
        return self._online

    def totals(self, message_id: str) -> dict[str, int]:
        return report(self.db, message_id).totals

    def close(self) -> None:
        self.db.close()


# --- one push, timed --------------------------------------------------------------------------

@dataclass
class Run:
    kind: str
    wall_s: float
    published_s: float  # `district push` returned (signed, depot, PUBACK)
    taken_s: float  # every station checked it and sent `received`
    files_s: float | None  # every station has the file whole
    traffic: Traffic
    fsync_calls: int
    fsync_s: float
    rss: dict[str, int]
    totals: dict[str, int]
    cpu: dict[str, float]  # CPU seconds of each process (and "driver": its thread) in it


def timed_push(kind: str, playlist: Path, province: Province, driver: Driver,
               answers: Answers, sampler: RssSampler, count: int,
               timeout: float) -> Run:
    hub = driver.hub
    before = Traffic(**vars(hub.traffic))
    fsync_before = FSYNC.read()
    sampler.reset()
    cpu_before = sampler.cpu()
    driver_before = time.thread_time()
    result: list[Pushed | BaseException] = []
    published = [0.0]

    def publish() -> None:
        try:
            result.append(province.push(playlist))
        except BaseException as exc:  # shown by the driver's thread
            result.append(exc)
        published[0] = time.perf_counter()

    began = time.perf_counter()
    thread = threading.Thread(target=publish, name="district-push")
    thread.start()
    marks: dict[str, float] = {}

    def done() -> bool:
        if not result:
            return False
        pushed = result[0]
        if isinstance(pushed, BaseException):
            raise SystemExit(f"district push failed: {pushed}")
        moment = time.perf_counter()
        if "taken" not in marks and hub.taken.get(pushed.message_id, 0) >= count:
            marks["taken"] = moment
        if pushed.files and "files" not in marks \
                and all(hub.files_done.get(m.sha256, 0) >= count for m in pushed.files):
            marks["files"] = moment
        return answers.accepted(pushed.message_id) >= count

    finished = driver.run(done, timeout)
    wall = time.perf_counter() - began
    thread.join(10)
    pushed = result[0]
    assert isinstance(pushed, Pushed)
    if not finished:
        print(f"  !! {kind} push: only {answers.accepted(pushed.message_id)} of {count} "
              f"`accepted` after {timeout:.0f} s; troubles: {hub.troubles[:5]}")
    sampler.sample()
    cpu = {name: spent - cpu_before[name] for name, spent in sampler.cpu().items()}
    cpu["driver"] = time.thread_time() - driver_before
    calls, seconds = FSYNC.read()
    return Run(kind=kind, wall_s=wall if finished else float("nan"),
               published_s=published[0] - began,
               taken_s=marks.get("taken", float("nan")) - began,
               files_s=(marks["files"] - began) if "files" in marks else None,
               traffic=hub.traffic.minus(before), fsync_calls=calls - fsync_before[0],
               fsync_s=seconds - fsync_before[1], rss=dict(sampler.peak),
               totals=answers.totals(pushed.message_id), cpu=cpu)


# --- one broker -------------------------------------------------------------------------------

@dataclass
class BrokerResult:
    name: str
    connect_s: float
    text: list[Run]
    audio: list[Run]
    broker_hwm_kb: int
    collector_hwm_kb: int
    driver_loop_s: float
    log_tail: str


def run_broker(name: str, folder: Path, province_url: str, station_url: str,
               broker_pids: Callable[[], list[int]], args: argparse.Namespace,
               recordings: list[Path]) -> BrokerResult:
    district = District(folder / "district")
    keys = TrustedKeys({district.key_id: load_public_key(district.public_path)})
    province = Province(folder / "province", province_url, district)
    collector_pid = province.start_collector()
    hub = Hub()
    settings = BrokerSettings.from_url(station_url, prefix=PREFIX)
    stations = [SimulatedStation(f"xa-{n:03d}", settings, keys, folder / "stations", hub)
                for n in range(args.stations)]
    driver = Driver(stations, hub)
    sampler = RssSampler({"broker": broker_pids(), "collector": [collector_pid],
                          "stations": [os.getpid()]}).start()
    answers: Answers | None = None
    try:
        for station in stations:
            station.receiver.start()
        began = time.perf_counter()
        for station in stations:
            settings.connect(station.client, persistent=True, blocking=True)
        driver.register()
        answers = Answers(province.db_path)
        watch = answers
        if not driver.run(lambda: all(s.subscribed for s in stations)
                          and watch.online() >= len(stations), 120):
            raise SystemExit(f"{name}: only {watch.online()} of {len(stations)} stations "
                             f"online at the collector")
        connect_s = time.perf_counter() - began
        print(f"{name}: {len(stations)} stations connected, subscribed and online at the "
              f"collector in {connect_s:.1f} s")
        text = []
        for number in range(args.text_repeat):
            run = timed_push("text", province.text, province, driver, answers, sampler,
                             len(stations), 120)
            text.append(run)
            print(f"  text push {number + 1}: {describe_run(run)}")
        audio = []
        for number, source in enumerate(recordings):
            playlist = province.recording(number, source)
            run = timed_push("audio", playlist, province, driver, answers, sampler,
                             len(stations), args.timeout)
            audio.append(run)
            print(f"  audio push {number + 1}: {describe_run(run)}")
        broker_hwm = sum(rss_kb(pid, "VmHWM") for pid in broker_pids())
        collector_hwm = rss_kb(collector_pid, "VmHWM")
        for station in stations:
            station.client.disconnect()
        driver.run(lambda: not any(s.client.want_write() for s in stations), 5)
    finally:
        sampler.stop()
        driver.close()
        if answers is not None:
            answers.close()
        province.stop_collector()
        for station in stations:
            station.receiver.stop(0.5)
    log = province.log.read_text(encoding="utf-8", errors="replace").splitlines()
    return BrokerResult(name, connect_s, text, audio, broker_hwm, collector_hwm,
                        driver.loop_s, "\n".join(line for line in log[-200:]
                                                 if "WARNING" in line or "ERROR" in line))


def describe_run(run: Run) -> str:
    traffic = run.traffic
    files = f", files whole at every station {run.files_s:.2f} s" if run.files_s else ""
    return (f"{run.wall_s:.2f} s to all `accepted` in the collector (push published "
            f"{run.published_s:.2f} s, all `received` sent {run.taken_s:.2f} s{files}); "
            f"{traffic.messages():,} messages ({traffic.chunks:,} chunks, {traffic.needs:,} "
            f"requests, {traffic.receipts:,} receipts), {traffic.payload_bytes() / 1e6:.1f} MB;"
            f" fsync {run.fsync_calls:,} calls, {run.fsync_s:.1f} thread-s; CPU s: "
            + ", ".join(f"{name} {spent:.1f}" for name, spent in run.cpu.items()) + "; "
            f"totals {run.totals}")


# --- the recordings ---------------------------------------------------------------------------

def make_recording(path: Path, size_mb: float, number: int) -> Path:
    """An MP3 of about `size_mb` MB: a tone at 64 kbit/s (a voice bulletin's rate), a
    different pitch each time so no station has it already."""
    seconds = size_mb * 1_000_000 * 8 / 64_000
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
                    f"sine=frequency={440 + 20 * number}:duration={seconds:.1f}",
                    "-ac", "1", "-b:a", "64k", "-codec:a", "libmp3lame", str(path)],
                   check=True)
    return path


# --- the table --------------------------------------------------------------------------------

def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def over(runs: list[Run], value: Callable[[Run], float]) -> float:
    return median([value(run) for run in runs])


def print_table(results: list[BrokerResult], size_bytes: int, stations: int) -> None:
    def row(label: str, cell: Callable[[BrokerResult], str]) -> None:
        print(f"| {label} | " + " | ".join(cell(result) for result in results) + " |")

    def ratio(value: float, target: float) -> str:
        return f"{value:.2f} s ({value / target:.2f} of {target:.0f} s)"

    print()
    print(f"{stations} stations, recording {size_bytes / 1e6:.2f} MB; medians where repeated")
    print("| | " + " | ".join(result.name for result in results) + " |")
    print("|---|" + "---|" * len(results))
    row("stations connected + online at the collector", lambda r: f"{r.connect_s:.1f} s")
    row(f"text push → all `accepted` (median of {len(results[0].text)})",
        lambda r: ratio(median([run.wall_s for run in r.text]), TEXT_TARGET_S))
    row(f"audio push → all `accepted` (median of {len(results[0].audio)})",
        lambda r: ratio(median([run.wall_s for run in r.audio]), AUDIO_TARGET_S))
    row("audio: files whole at every station",
        lambda r: f"{median([run.files_s or float('nan') for run in r.audio]):.2f} s")
    def rate(run: Run) -> float:
        return run.traffic.messages() / run.wall_s

    def chunk_mb_s(run: Run) -> float:
        return run.traffic.chunk_bytes / 1e6 / run.wall_s

    def moved_mb(run: Run) -> float:
        return run.traffic.payload_bytes() / 1e6

    def chunks(run: Run) -> float:
        return run.traffic.chunks

    needed = stations * -(-size_bytes // (64 * 1024))
    row("audio: messages/s (chunks + requests + receipts)",
        lambda r: f"{over(r.audio, rate):,.0f}")
    row("audio: MB/s of chunks to the stations", lambda r: f"{over(r.audio, chunk_mb_s):.1f}")
    row("audio: bytes moved (payloads, stations' side)",
        lambda r: f"{over(r.audio, moved_mb):.0f} MB")
    row("audio: chunks got / needed", lambda r: f"{over(r.audio, chunks):,.0f} / {needed:,}")
    row("text: messages/s", lambda r: f"{over(r.text, rate):,.0f}")
    row("audio: stations' fsync (calls, thread-s)", lambda r: ", ".join(
        f"{run.fsync_calls:,}, {run.fsync_s:.0f}" for run in r.audio))
    for name, label in (("broker", "broker"), ("collector", "collector"),
                        ("stations", "stations' process"),
                        ("stations sys", "stations' process in the kernel (of the above)"),
                        ("driver", "stations' MQTT loop thread (of the above)")):
        def spent(result: BrokerResult, name: str = name) -> str:
            return f"{over(result.audio, lambda run: run.cpu.get(name, 0.0)):.1f}"
        row(f"audio: CPU s of the {label}", spent)
    row("broker RSS peak during audio (sampled)",
        lambda r: f"{max(run.rss.get('broker', 0) for run in r.audio) / 1024:.0f} MB")
    row("broker VmHWM (whole run)", lambda r: f"{r.broker_hwm_kb / 1024:.0f} MB")
    row("collector RSS peak during audio (sampled)",
        lambda r: f"{max(run.rss.get('collector', 0) for run in r.audio) / 1024:.0f} MB")
    row("collector VmHWM (whole run)", lambda r: f"{r.collector_hwm_kb / 1024:.0f} MB")
    row(f"stations' process RSS peak ({stations} receivers)",
        lambda r: f"{max(run.rss.get('stations', 0) for run in r.audio) / 1024:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stations", type=int, default=500)
    parser.add_argument("--size-mb", type=float, default=2.0)
    parser.add_argument("--repeat", type=int, default=1, help="audio pushes per broker")
    parser.add_argument("--text-repeat", type=int, default=3, help="text pushes per broker")
    parser.add_argument("--brokers", default="mosquitto,rabbitmq")
    parser.add_argument("--timeout", type=float, default=600.0,
                        help="seconds to wait for one audio push")
    args = parser.parse_args()
    FSYNC.install()
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-audio-") as tmp:
        folder = Path(tmp)
        recordings = [make_recording(folder / f"tone-{n}.mp3", args.size_mb, n)
                      for n in range(args.repeat * 2)]
        size = recordings[0].stat().st_size
        kinds = args.brokers.split(",")
        for index, kind in enumerate(kinds):
            mine = recordings[index * args.repeat:(index + 1) * args.repeat] \
                if index < 2 else recordings[:args.repeat]
            if kind == "mosquitto":
                broker = Broker(folder / "mosquitto").start()
                try:
                    process = broker._process  # its pid, for its RSS
                    assert process is not None
                    pid = process.pid

                    def mosquitto(pid: int = pid) -> list[int]:
                        return [pid]
                    results.append(run_broker("Mosquitto", folder / "m", broker.url,
                                              broker.url, mosquitto, args, mine))
                finally:
                    broker.stop()
            elif kind == "rabbitmq":
                cluster = RabbitCluster(folder / "rabbit", size=2)
                began = time.perf_counter()
                cluster.start()
                print(f"RabbitMQ two-node cluster started in {time.perf_counter() - began:.0f} s")
                try:
                    one, two = cluster.nodes
                    sessions = [node._process.pid for node in cluster.nodes
                                if node._process is not None]

                    def beams(sessions: list[int] = sessions) -> list[int]:
                        return [pid for session in sessions
                                for pid in session_pids(session, "beam.smp")]
                    results.append(run_broker("RabbitMQ 2 nodes", folder / "r", one.url,
                                              two.url, beams, args, mine))
                finally:
                    cluster.stop()
            else:
                raise SystemExit(f"--brokers: no broker {kind!r} (mosquitto, rabbitmq)")
    FSYNC.uninstall()
    print_table(results, size, args.stations)
    for result in results:
        print(f"{result.name}: the stations' driver loop (this process's MQTT I/O, checks, "
              f"receipts) busy {result.driver_loop_s:.0f} s of the run")
        if result.log_tail:
            print(f"{result.name} collector warnings:\n{result.log_tail[-3000:]}")


if __name__ == "__main__":
    main()
