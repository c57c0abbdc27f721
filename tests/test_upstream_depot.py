"""The province's file depot (depot.py): recordings a push carries, kept by their SHA-256
and served chunk by chunk to the stations that ask, through the receipt collector; and
`district push` describing and storing them. Real brokers on 127.0.0.1 (Mosquitto, and
RabbitMQ's MQTT plugin where the transfer itself is the point), real SQLite, real files.

The serving thread's unit tests give the Depot a Wire as its publish function (the edge
it publishes through), so a test decides when the broker "acknowledges" and can count."""

from __future__ import annotations

import hashlib
import json
import logging
import queue
import secrets
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from broadcaster.config import Config, load_config
from broadcaster.model import Level, OperatorError
from broadcaster.upstream import files
from broadcaster.upstream.collector import Collector, CollectorKeys, open_collector
from broadcaster.upstream.collector_report import report
from broadcaster.upstream.depot import Depot, chunk_span, depot_folder, put
from broadcaster.upstream.district import Pushed, sign_push
from broadcaster.upstream.link import BrokerSettings
from tests.support.broker import (  # noqa: F401  # the fixtures
    AnyBroker,
    any_broker,
    broker,
    rabbitmq_node,
)
from tests.support.upstream import PREFIX, District, Province, station_config
from tests.support.waiting import wait_until

ONE, TWO = "tan-phong", "an-binh"
SMALL = files.MIN_CHUNK_BYTES  # many chunks from a small file


def recording(size: int) -> bytes:
    """`size` bytes a playlist takes for audio: a WAV header, then noise."""
    head = b"RIFF" + (size - 8).to_bytes(4, "little") + b"WAVE"
    return head + secrets.token_bytes(size - len(head))


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


# --- the store ---------------------------------------------------------------------------------

def test_put_stores_a_file_under_its_hash_once_and_leaves_nothing_half_written(
        tmp_path: Path) -> None:
    data = recording(150_000)
    source = write(tmp_path / "audio" / "bao.wav", data)
    folder = tmp_path / "files"
    sha = put(folder, source)
    assert sha == hashlib.sha256(data).hexdigest()
    stored = folder / sha
    assert stored.read_bytes() == data
    inode = stored.stat().st_ino
    assert put(folder, source, sha) == sha  # already there: not copied again
    assert stored.stat().st_ino == inode
    assert sorted(p.name for p in folder.iterdir()) == [sha]


def test_put_refuses_a_file_that_is_not_what_the_manifest_says_and_keeps_nothing(
        tmp_path: Path) -> None:
    source = write(tmp_path / "bao.wav", recording(10_000))
    folder = tmp_path / "files"
    manifest = files.describe(source, "bao.wav")
    source.write_bytes(recording(10_000))  # rewritten between describe and put
    with pytest.raises(OperatorError, match="changed while it was copied") as refused:
        put(folder, source, manifest.sha256)
    assert "\n" not in str(refused.value)
    assert list(folder.iterdir()) == []
    with pytest.raises(OperatorError, match="cannot copy it into the file depot"):
        put(folder, tmp_path / "gone.wav")


def test_chunk_spans_cover_the_file_and_an_empty_file_is_one_empty_chunk() -> None:
    assert chunk_span(10_000, 4096, 0) == (0, 4096)
    assert chunk_span(10_000, 4096, 2) == (8192, 1808)
    assert chunk_span(10_000, 4096, 3) is None
    assert chunk_span(8192, 4096, 2) is None
    assert chunk_span(0, 4096, 0) == (0, 0)
    assert chunk_span(0, 4096, 1) is None


# --- serving (the Depot's own thread; a Wire for the broker) -----------------------------------

class Wire:
    """The depot's publish function: records what it sends; the test acknowledges."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes, int]] = []
        self._lock = threading.Lock()
        self._mid = 0
        self.depot: Depot | None = None

    def __call__(self, topic: str, payload: bytes) -> int:
        with self._lock:
            self._mid += 1
            self.sent.append((topic, payload, self._mid))
            return self._mid

    def acknowledge(self, count: int) -> None:
        """The broker acknowledges the `count` oldest messages not yet acknowledged."""
        assert self.depot is not None
        for _topic, _payload, mid in self.sent[:count]:
            self.depot.acknowledged(mid)

    def acknowledge_until(self, total: int) -> None:
        """Acknowledge what was sent, one more each time, until `total` were sent."""
        while (count := len(self.sent)) < total:
            self.acknowledge(count)
            wait_until(lambda: len(self.sent) > count, f"chunk {count + 1} of {total}")

    def chunks(self, station: str, sha: str) -> list[tuple[int, bytes]]:
        topic = files.chunk_topic(PREFIX, station, sha)
        return [files.decode_chunk(payload) for sent, payload, _mid in list(self.sent)
                if sent == topic]

    def order(self) -> list[str]:
        return [topic.split("/")[2] for topic, _payload, _mid in list(self.sent)]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "district" / "files"


@pytest.fixture
def wire(folder: Path) -> Iterator[Wire]:
    taken = Wire()
    yield taken
    if taken.depot is not None:
        taken.depot.stop()


def serving(wire: Wire, folder: Path, max_inflight: int = 64) -> Depot:
    depot = Depot(folder, wire, PREFIX, max_inflight=max_inflight).start()
    wire.depot = depot
    depot.link_up()
    return depot


def stored(tmp_path: Path, folder: Path, size: int, chunk_bytes: int = files.CHUNK_BYTES,
           name: str = "ban-tin/bao.wav") -> tuple[files.FileManifest, bytes]:
    data = recording(size)
    source = write(tmp_path / "audio" / name, data)
    manifest = files.describe(source, name, chunk_bytes)
    put(folder, source, manifest.sha256)
    return manifest, data


def test_a_need_is_answered_with_the_chunks_the_signed_manifest_accepts(
        tmp_path: Path, folder: Path, wire: Wire) -> None:
    manifest, data = stored(tmp_path, folder, 3 * files.CHUNK_BYTES + 123)
    depot = serving(wire, folder)
    depot.ask(files.Need(ONE, manifest.sha256, manifest.chunk_bytes, (3, 0, 2, 1)))
    wait_until(lambda: len(wire.sent) == 4, "four chunks sent")
    chunks = wire.chunks(ONE, manifest.sha256)
    assert [index for index, _data in chunks] == [3, 0, 2, 1]  # as asked
    for index, chunk in chunks:
        files.check_chunk(manifest, index, chunk)  # raises if wrong
    assert b"".join(chunk for _i, chunk in sorted(chunks)) == data


def test_an_unknown_file_or_a_chunk_past_the_end_is_skipped_and_logged(
        tmp_path: Path, folder: Path, wire: Wire, caplog: pytest.LogCaptureFixture) -> None:
    manifest, _data = stored(tmp_path, folder, 2 * SMALL, SMALL)
    depot = serving(wire, folder)
    with caplog.at_level(logging.WARNING):
        depot.ask(files.Need(ONE, "a" * 64, SMALL, (0,)))
        depot.ask(files.Need(ONE, manifest.sha256, SMALL, (1, 2, 7)))
        wait_until(lambda: len(wire.sent) == 1, "the one chunk there is")
    assert [index for index, _data in wire.chunks(ONE, manifest.sha256)] == [1]
    assert depot.published == 1
    warned = [r.getMessage() for r in caplog.records if "skipped" in r.getMessage()]
    assert "a file the depot does not have" in warned[0]
    assert f"{PREFIX}/stations/{ONE}/need" in warned[0]


def test_stations_take_turns_so_one_asking_many_chunks_does_not_keep_another_waiting(
        tmp_path: Path, folder: Path, wire: Wire) -> None:
    big, _big = stored(tmp_path, folder, 40 * SMALL, SMALL, "dai.wav")
    small, _small = stored(tmp_path, folder, 100, SMALL, "ngan.wav")
    depot = serving(wire, folder, max_inflight=2)
    depot.ask(files.Need(ONE, big.sha256, SMALL, tuple(range(40))))
    wait_until(lambda: len(wire.sent) == 2, "the first two of the 40 chunks")
    depot.ask(files.Need(TWO, small.sha256, SMALL, (0,)))
    wait_until(lambda: depot.waiting == 39, "the second station's request queued")
    wire.acknowledge_until(41)
    order = wire.order()
    assert order.index(TWO) <= 3, order  # its turn came at once, not after ONE's 40
    assert order.count(ONE) == 40 and order.count(TWO) == 1


def test_a_chunk_asked_twice_while_waiting_is_sent_once(
        tmp_path: Path, folder: Path, wire: Wire) -> None:
    manifest, _data = stored(tmp_path, folder, 10 * SMALL, SMALL)
    depot = serving(wire, folder, max_inflight=1)
    depot.ask(files.Need(ONE, manifest.sha256, SMALL, (0, 1, 2)))
    wait_until(lambda: len(wire.sent) == 1, "the first chunk")
    depot.ask(files.Need(ONE, manifest.sha256, SMALL, (1, 2, 3)))  # asked again: timed out
    wait_until(lambda: depot.waiting == 3, "1, 2 and 3 waiting once each")
    wire.acknowledge_until(4)
    assert [index for index, _data in wire.chunks(ONE, manifest.sha256)] == [0, 1, 2, 3]


def test_no_more_chunks_are_in_flight_than_the_bound_until_the_broker_acknowledges(
        tmp_path: Path, folder: Path, wire: Wire) -> None:
    manifest, _data = stored(tmp_path, folder, 40 * SMALL, SMALL)
    depot = serving(wire, folder, max_inflight=4)
    depot.ask(files.Need(ONE, manifest.sha256, SMALL, tuple(range(40))))
    wait_until(lambda: len(wire.sent) == 4, "the first four chunks")
    # another request taken by the serving thread: it had its chance to send and did not
    depot.ask(files.Need(TWO, manifest.sha256, SMALL, (0,)))
    wait_until(lambda: depot.waiting == 37, "the next request queued")
    assert len(wire.sent) == 4 and depot.inflight == 4
    wire.acknowledge(1)
    wait_until(lambda: len(wire.sent) == 5, "one more for the one acknowledged")
    wire.acknowledge_until(41)
    assert depot.peak_inflight == 4 and depot.published == 41


def test_a_need_from_a_malformed_id_or_hash_reaches_no_file(
        tmp_path: Path, folder: Path, wire: Wire) -> None:
    manifest, _data = stored(tmp_path, folder, 100, SMALL)
    (folder.parent / "secret").write_bytes(b"not for stations")
    depot = serving(wire, folder)
    depot.ask(files.Need("../x", manifest.sha256, SMALL, (0,)))
    depot.ask(files.Need(ONE, "../secret", SMALL, (0,)))
    depot.ask(files.Need(ONE, manifest.sha256, SMALL, (0,)))
    wait_until(lambda: len(wire.sent) == 1, "the one good request answered")
    assert wire.order() == [ONE]


# --- through the collector and a real broker ------------------------------------------------------

class FakeStation:
    """A station's side of the transfer only: asks on its need topic, at most NEED_WINDOW
    chunks at a time, and gathers what comes on its chunks topic."""

    def __init__(self, broker: AnyBroker, station: str) -> None:  # noqa: F811
        self.station = station
        self.arrived: queue.Queue[tuple[str, bytes]] = queue.Queue()
        settings = BrokerSettings.from_url(broker.url)
        self._client = settings.client(f"fake-station-{station}", persistent=False)
        subscribed = threading.Event()
        self._client.on_subscribe = lambda *_: subscribed.set()
        self._client.on_message = lambda _c, _u, m: self.arrived.put((m.topic,
                                                                      bytes(m.payload)))
        settings.connect(self._client, persistent=False, blocking=True)
        self._client.loop_start()
        self._client.subscribe(f"{PREFIX}/stations/{station}/chunks/#", qos=1)
        assert subscribed.wait(10), "the station could not subscribe"

    def ask(self, manifest: files.FileManifest, chunks: list[int]) -> None:
        need = files.Need(self.station, manifest.sha256, manifest.chunk_bytes, tuple(chunks))
        self._client.publish(files.need_topic(PREFIX, self.station), need.body(),
                             qos=1).wait_for_publish(10)

    def fetch(self, manifest: files.FileManifest, have: dict[int, bytes] | None = None,
              stop_after: int | None = None, timeout: float = 20.0) -> dict[int, bytes]:
        """The file's chunks, checked against the manifest as they come (asking again
        after 2 s of silence); stops early after `stop_after` chunks."""
        have = dict(have or {})
        topic = files.chunk_topic(PREFIX, self.station, manifest.sha256)
        rounds = int(timeout / 2)
        for _round in range(rounds):
            missing = [i for i in range(len(manifest.chunks)) if i not in have]
            if not missing or (stop_after is not None and len(have) >= stop_after):
                return have
            wanted = missing[:files.NEED_WINDOW]
            self.ask(manifest, wanted)
            while any(i not in have for i in wanted):
                try:
                    got, payload = self.arrived.get(timeout=2)
                except queue.Empty:
                    break  # lost (the collector restarted): ask again
                if got != topic:
                    continue
                index, data = files.decode_chunk(payload)
                files.check_chunk(manifest, index, data)
                have[index] = data
        raise AssertionError(f"{len(have)} of {len(manifest.chunks)} chunks came")

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()


@pytest.fixture
def district(tmp_path: Path) -> District:
    return District(tmp_path / "district")


def test_a_station_asks_the_collector_and_gets_the_whole_file_back(
        tmp_path: Path, any_broker: AnyBroker, district: District) -> None:  # noqa: F811
    desk = Province(tmp_path / "province", any_broker, district)
    manifest, data = stored(tmp_path, depot_folder(desk.config),
                            5 * files.CHUNK_BYTES // 2 + files.NEED_WINDOW * SMALL, SMALL)
    assert len(manifest.chunks) > files.NEED_WINDOW  # more than one window
    desk.start_collector()
    station = FakeStation(any_broker, ONE)
    try:
        chunks = station.fetch(manifest)
    finally:
        station.close()
        desk.stop_collector()
    whole = b"".join(chunks[i] for i in range(len(manifest.chunks)))
    assert whole == data and hashlib.sha256(whole).hexdigest() == manifest.sha256


def test_a_collector_restarted_while_serving_serves_again_when_asked(
        tmp_path: Path, broker: AnyBroker, district: District) -> None:  # noqa: F811
    desk = Province(tmp_path / "province", broker, district)
    manifest, data = stored(tmp_path, depot_folder(desk.config), 60 * SMALL, SMALL)
    desk.start_collector()
    station = FakeStation(broker, ONE)
    try:
        station.ask(manifest, list(range(files.NEED_WINDOW)))
        station.arrived.get(timeout=10)  # it is serving
        desk.stop_collector()  # mid-file: raises if the collector failed
        drained: dict[int, bytes] = {}
        while not station.arrived.empty():  # what came before it stopped is kept
            index, chunk = files.decode_chunk(station.arrived.get()[1])
            drained[index] = chunk
        desk.start_collector()
        chunks = station.fetch(manifest, drained)
    finally:
        station.close()
        desk.stop_collector()
    assert b"".join(chunks[i] for i in range(len(manifest.chunks))) == data


def test_what_district_push_sends_the_collector_serves_on_the_same_machine(
        tmp_path: Path, broker: AnyBroker, district: District) -> None:  # noqa: F811
    from broadcaster.upstream.district import push

    desk = Province(tmp_path / "province", broker, district)
    data = write(desk.config.audio_dir / "ban-tin" / "bao.wav", recording(300_000)).read_bytes()
    playlist = write(tmp_path / "ghi-am.yaml",
                     b"title: x\nitems:\n  - file: ban-tin/bao.wav\n")
    desk.start_collector()
    station = FakeStation(broker, ONE)
    try:
        pushed = push(desk.config, playlist, target=ONE, level=Level.PRIORITY,
                      key=district.private_path)
        (manifest,) = pushed.files
        assert (manifest.name, pushed.files_bytes) == ("ban-tin/bao.wav", 300_000)
        chunks = station.fetch(manifest)
    finally:
        station.close()
        desk.stop_collector()
    assert b"".join(chunks[i] for i in range(len(manifest.chunks))) == data


# --- the sender: district push --------------------------------------------------------------------

PLAYLIST = """\
title: Bản tin ghi âm
items:
  - chime: nhac/hieu.wav
  - file: ./ban-tin//bao.wav
  - chime: default
  - file: ban-tin/bao.wav
"""


@pytest.fixture
def sender(tmp_path: Path, district: District) -> Config:
    return load_config(station_config(tmp_path / "tinh", "tinh", "mqtt://127.0.0.1:9",
                                      [district.public_path]))


def test_a_push_with_recordings_signs_their_manifests_and_puts_them_in_the_depot(
        tmp_path: Path, sender: Config, district: District) -> None:
    bulletin = write(sender.audio_dir / "ban-tin" / "bao.wav", recording(200_000))
    chime = write(sender.audio_dir / "nhac" / "hieu.wav", recording(5_000))
    playlist = write(tmp_path / "ghi-am.yaml", PLAYLIST.encode("utf-8"))
    signed = sign_push(sender, playlist, target="all", level=Level.PRIORITY,
                       key=district.private_path)
    body = json.loads(signed.envelope)
    manifests = files.read_manifests(body["files"], max_bytes=20_000_000)
    assert manifests == signed.files
    assert [m.name for m in manifests] == ["nhac/hieu.wav", "ban-tin/bao.wav"]  # once each
    for manifest, source in zip(manifests, (chime, bulletin), strict=True):
        data = source.read_bytes()
        assert manifest.sha256 == hashlib.sha256(data).hexdigest()
        for index, chunk_hash in enumerate(manifest.chunks):
            chunk = data[index * manifest.chunk_bytes:(index + 1) * manifest.chunk_bytes]
            assert hashlib.sha256(chunk).hexdigest() == chunk_hash
        assert (depot_folder(sender) / manifest.sha256).read_bytes() == data
    pushed = Pushed(signed.message_id, "t", signed.seq, [], signed.files)
    assert pushed.files_bytes == 205_000


def test_a_push_without_recordings_carries_no_file_list(
        tmp_path: Path, sender: Config, district: District) -> None:
    playlist = write(tmp_path / "noi.yaml", b"title: x\nitems:\n  - chime: default\n"
                                            b"  - say: \"B\xc3\xa3o s\xe1\xbb\x91 3\"\n")
    signed = sign_push(sender, playlist, target="all", level=Level.NORMAL,
                       key=district.private_path)
    assert "files" not in json.loads(signed.envelope) and signed.files == ()
    assert not depot_folder(sender).exists()


def test_recordings_over_max_push_mb_are_refused_and_nothing_changes(
        tmp_path: Path, district: District) -> None:
    config_file = station_config(tmp_path / "tinh", "tinh", "mqtt://127.0.0.1:9",
                                 [district.public_path])
    with config_file.open("a", encoding="utf-8") as config:
        config.write("max_push_mb = 1\n")  # [district] is the file's last section
    sender = load_config(config_file)
    assert sender.district.max_push_mb == 1
    write(sender.audio_dir / "ban-tin" / "bao.wav", recording(700_000))
    write(sender.audio_dir / "nhac" / "hieu.wav", recording(400_000))
    playlist = write(tmp_path / "ghi-am.yaml", PLAYLIST.encode("utf-8"))
    seq_file = district.private_path.with_name("district.key.seq")
    before = seq_file.read_bytes() if seq_file.exists() else None
    with pytest.raises(OperatorError) as refused:
        sign_push(sender, playlist, target="all", level=Level.PRIORITY,
                  key=district.private_path)
    assert str(refused.value) == (f"{playlist}: its audio files are 1.10 MB together, more "
                                  "than [district] max_push_mb = 1; push shorter or more "
                                  "compressed recordings")
    assert not depot_folder(sender).exists()
    assert (seq_file.read_bytes() if seq_file.exists() else None) == before


def test_max_push_mb_is_checked_with_the_config(tmp_path: Path) -> None:
    config_file = station_config(tmp_path, "tinh", "mqtt://127.0.0.1:9", [])
    with config_file.open("a", encoding="utf-8") as config:
        config.write("max_push_mb = 501\n")
    with pytest.raises(OperatorError, match="max_push_mb"):
        load_config(config_file)


def test_a_recording_named_by_an_absolute_path_is_refused_for_a_push(
        tmp_path: Path, sender: Config, district: District) -> None:
    source = write(sender.audio_dir / "bao.wav", recording(1_000))
    playlist = write(tmp_path / "tuyet-doi.yaml",
                     f"title: x\nitems:\n  - file: {source}\n".encode())
    with pytest.raises(OperatorError, match=r"item 1 names .*relative to the audio folder"):
        sign_push(sender, playlist, target="all", level=Level.NORMAL,
                  key=district.private_path)


# --- receipts: a chunk refused is not the station's answer ----------------------------------------

@pytest.fixture
def collector(tmp_path: Path, district: District) -> Iterator[Collector]:
    taken = open_collector(tmp_path / "collector.db", PREFIX,
                           CollectorKeys([district.public_path]))
    yield taken
    taken.db.close()


def _receipt(**fields: object) -> bytes:
    return json.dumps({"station": ONE, "at": "2026-12-02T01:00:00Z", **fields}).encode()


def test_a_refused_chunk_is_a_note_in_the_report_not_the_stations_answer(
        collector: Collector, district: District) -> None:
    raw = district.envelope(target=ONE)
    message_id = json.loads(raw)["id"]
    collector.take(f"{PREFIX}/stations/{ONE}/push", raw, 1.0)
    topic = f"{PREFIX}/stations/{ONE}/receipts"
    collector.take(topic, _receipt(receipt="received", message_id=message_id), 2.0)
    for index in (3, 4):
        refusal = _receipt(receipt="rejected", message_id=message_id,
                           chunk={"sha256": "b" * 64, "index": index},
                           reason=f"chunk {index} of file bao.wav does not match")
        assert collector.take(topic, refusal, 3.0) == "stored"
    (answer,) = report(collector.db, message_id).stations
    assert answer.answer == "received" and answer.chunks_refused == 2
    assert answer.reason == ("refused 2 chunk(s) of the push's files and asked again; the "
                             "last: chunk 4 of file bao.wav does not match")
    found = report(collector.db, message_id)
    assert found.totals["rejected"] == 0 and found.totals["waiting"] == 1
    collector.take(topic, _receipt(receipt="aired", message_id=message_id,
                                   as_run={"started": "2026-12-02T01:05:00Z",
                                           "ended": "2026-12-02T01:06:00Z"}), 4.0)
    (answer,) = report(collector.db, message_id).stations
    assert answer.answer == "aired" and answer.reason is None
    pushed = Pushed(message_id, topic, 1, [json.loads(refusal)])
    assert pushed.refused_by == set()  # `district push --wait` does not count it either


def test_a_station_still_fetching_the_recording_says_so_in_the_report(
        collector: Collector, district: District) -> None:
    raw = district.envelope(target=ONE)
    message_id = json.loads(raw)["id"]
    collector.take(f"{PREFIX}/stations/{ONE}/push", raw, 1.0)
    fetching = "fetching its recorded audio from the province: 1 file(s), 2.0 MB"
    collector.take(f"{PREFIX}/stations/{ONE}/receipts",
                   _receipt(receipt="received", message_id=message_id, reason=fetching), 2.0)
    (answer,) = report(collector.db, message_id).stations
    assert (answer.answer, answer.reason) == ("received", fetching)


def test_the_collector_subscribes_to_needs_and_its_depot_is_beside_its_database(
        tmp_path: Path, broker: AnyBroker, district: District) -> None:  # noqa: F811
    from broadcaster.upstream.collector import CollectorClient, read_need_message
    from broadcaster.upstream.district import settings_of

    desk = Province(tmp_path / "province", broker, district)
    settings = settings_of(desk.config)
    collector = open_collector(desk.db_path, settings.prefix,
                               CollectorKeys([district.public_path]))
    try:
        client = CollectorClient(settings, collector, "collector-test")
        assert f"{PREFIX}/stations/+/need" in client.topics
        assert client.depot.folder == depot_folder(desk.config)
        assert depot_folder(desk.config) == desk.config.data_dir / "district" / "files"
    finally:
        collector.db.close()
    need = files.Need(ONE, "c" * 64, SMALL, (0, 1))
    assert read_need_message(PREFIX, f"{PREFIX}/stations/{ONE}/need", need.body()) == need
    assert not isinstance(read_need_message(PREFIX, f"{PREFIX}/stations/a.b/need",
                                            need.body()), files.Need)
    assert not isinstance(read_need_message(PREFIX, f"{PREFIX}/stations/{ONE}/need",
                                            b"{}"), files.Need)

