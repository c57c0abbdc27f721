"""Recorded audio in a push, at the station: the signed file list, chunks checked one by
one, the file written in place and resumed after a restart, and the push held until its
files are whole (it airs nothing before, nothing at all when they never come right)."""

from __future__ import annotations

import hashlib
import json
import queue
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from broadcaster.config import load_config
from broadcaster.model import Level
from broadcaster.queued_audio import folder, release_unneeded
from broadcaster.store import Store
from broadcaster.upstream.files import (
    NEED_WINDOW,
    FileManifest,
    FilesRefused,
    Need,
    check_chunk,
    decode_chunk,
    describe,
    encode_chunk,
    next_wanted,
    read_manifests,
)
from broadcaster.upstream.pushes import Upstream
from broadcaster.upstream.receiving import FileReceiver
from tests.support.sound import write_tone
from tests.support.upstream import District, station_config
from tests.support.waiting import wait_until, waited_for

STATION = "tan-phong"
CHUNK = 4096
PLAYLIST = """\
title: Bản tin ghi âm của tỉnh
items:
  - chime: default
  - file: ban-tin/bao-so-3.wav
"""


@pytest.fixture
def recording(tmp_path: Path) -> Path:
    """About 90 KB of WAV: 22 chunks of 4 KiB."""
    path = tmp_path / "province" / "ban-tin" / "bao-so-3.wav"
    path.parent.mkdir(parents=True)
    write_tone(path, 2.0, rate=22050)
    return path


@pytest.fixture
def manifest(recording: Path) -> FileManifest:
    return describe(recording, "ban-tin/bao-so-3.wav", CHUNK)


def chunks_of(path: Path, manifest: FileManifest) -> list[bytes]:
    data = path.read_bytes()
    return [data[i * manifest.chunk_bytes:(i + 1) * manifest.chunk_bytes]
            for i in range(len(manifest.chunks))]


# --- the file list in the signed envelope --------------------------------------------------------

def good_entry(manifest: FileManifest) -> dict[str, Any]:
    return manifest.as_json()


@pytest.mark.parametrize(("change", "problem"), [
    (lambda e: "not a list", "must list 1 to 16 files"),
    (lambda e: [], "must list 1 to 16 files"),
    (lambda e: [e] * 17, "must list 1 to 16 files"),
    (lambda e: [{**e, "extra": 1}], "must have exactly name, sha256"),
    (lambda e: [{**e, "name": "../../etc/passwd.wav"}], "must be a path inside the audio"),
    (lambda e: [{**e, "name": "/srv/audio/x.wav"}], "must be a path inside the audio"),
    (lambda e: [{**e, "name": "ban-tin/notes.txt"}], "is not a kind of audio file"),
    (lambda e: [{**e, "size": -1}], "'size' must be a number of bytes"),
    (lambda e: [{**e, "size": True}], "'size' must be a number of bytes"),
    (lambda e: [{**e, "chunk_bytes": 100}], "'chunk_bytes' must be 4096 to 1048576"),
    (lambda e: [{**e, "chunks": e["chunks"][:-1]}], "the list must have one SHA-256 for each"),
    (lambda e: [{**e, "sha256": e["sha256"].upper()}], "64 lower-case hex digits"),
    (lambda e: [e, e], "names a file twice"),
])
def test_a_bad_file_list_is_refused_with_what_is_wrong(
        manifest: FileManifest, change: Callable[[dict[str, Any]], object],
        problem: str) -> None:
    with pytest.raises(FilesRefused, match=problem) as refused:
        read_manifests(change(good_entry(manifest)))
    assert str(refused.value).startswith("envelope field 'files' ")
    assert "\n" not in str(refused.value)


def test_files_over_the_stations_limit_are_refused(manifest: FileManifest) -> None:
    with pytest.raises(FilesRefused, match=r"more than this station's \[district\] "
                                           r"max_push_mb = 0"):
        read_manifests([good_entry(manifest)], max_bytes=manifest.size - 1)
    assert read_manifests([good_entry(manifest)], max_bytes=manifest.size) == (manifest,)


def test_a_file_list_names_each_chunks_hash_and_the_last_chunk_is_shorter(
        recording: Path, manifest: FileManifest) -> None:
    data = recording.read_bytes()
    assert manifest.sha256 == hashlib.sha256(data).hexdigest()
    assert len(manifest.chunks) == -(-len(data) // CHUNK) > NEED_WINDOW
    assert manifest.chunk_size(len(manifest.chunks) - 1) == len(data) - CHUNK * 21 < CHUNK
    for index, chunk in enumerate(chunks_of(recording, manifest)):
        check_chunk(manifest, index, chunk)  # every real chunk passes


def test_a_truncated_a_changed_and_a_stray_chunk_are_each_refused(
        recording: Path, manifest: FileManifest) -> None:
    first = chunks_of(recording, manifest)[0]
    with pytest.raises(FilesRefused, match=r"chunk 0 of file ban-tin/bao-so-3.wav is 4000 "
                                           r"bytes, not 4096 \(truncated\?\)"):
        check_chunk(manifest, 0, first[:4000])
    with pytest.raises(FilesRefused, match="does not match its SHA-256 in the signed push"):
        check_chunk(manifest, 0, bytes([first[0] ^ 1]) + first[1:])
    with pytest.raises(FilesRefused, match="the file has only 22 chunks"):
        check_chunk(manifest, 22, first)
    with pytest.raises(FilesRefused, match="not a file chunk"):
        decode_chunk(b"BCF")
    with pytest.raises(FilesRefused, match="not a file chunk"):
        decode_chunk(b"XXXX\x00\x00\x00\x01data")
    assert decode_chunk(encode_chunk(7, b"abc")) == (7, b"abc")


def test_a_long_recording_travels_in_bigger_chunks_so_its_hashes_fit_the_envelope() -> None:
    from broadcaster.upstream.files import chunk_bytes_for

    assert chunk_bytes_for(2_000_000) == 64 * 1024  # a bulletin: 31 chunks
    assert chunk_bytes_for(8 * 1024 * 1024) == 64 * 1024
    assert chunk_bytes_for(8 * 1024 * 1024 + 1) == 128 * 1024
    assert chunk_bytes_for(500_000_000) == 1024 * 1024  # the most a push may carry
    for size in (10**5, 10**7, 10**8, 5 * 10**8):
        assert -(-size // chunk_bytes_for(size)) <= max(128, -(-size // (1024 * 1024)))


def test_the_station_asks_for_a_window_of_what_is_missing_and_not_on_its_way() -> None:
    assert next_wanted(range(40), window=16) == list(range(16))
    assert next_wanted(range(40), asked=[0, 1, 2], window=16) == list(range(3, 16))
    assert next_wanted([5, 9], asked=[], window=16) == [5, 9]
    assert next_wanted(range(40), asked=list(range(16)), window=16) == []


# --- the receiver: chunks to a whole, verified file ----------------------------------------------

class Depot:
    """Answers a station's need from the sender's file, as the collector's depot does,
    optionally spoiling chunks or holding them back."""

    def __init__(self, source: Path, manifest: FileManifest) -> None:
        self.chunks = chunks_of(source, manifest)
        self.sha = manifest.sha256
        self.asked: list[Need] = []
        self.receiver: FileReceiver | None = None
        self.spoil: set[int] = set()
        self.hold = False
        self.online = True

    def ask(self, need: Need) -> bool:
        if not self.online:
            return False
        self.asked.append(need)
        if not self.hold and self.receiver is not None:
            for index in need.chunks:
                self.send(index)
        return True

    def send(self, index: int) -> None:
        data = self.chunks[index]
        if index in self.spoil:
            data = data[:-1]
        assert self.receiver is not None
        self.receiver.chunk(self.sha, encode_chunk(index, data))


class Posted:
    def __init__(self) -> None:
        self.messages: queue.Queue[tuple[Any, ...]] = queue.Queue()

    def __call__(self, *message: Any) -> None:
        self.messages.put(message[1:])

    def next(self, kind: str, timeout: float = 10.0) -> tuple[Any, ...]:
        while True:
            message = self.messages.get(timeout=timeout)
            if message[0] == kind:
                return message


@pytest.fixture
def receive(tmp_path: Path) -> Iterator[Callable[..., tuple[FileReceiver, Posted]]]:
    made: list[FileReceiver] = []

    def start(depot: Depot, **options: Any) -> tuple[FileReceiver, Posted]:
        posted = Posted()
        receiver = FileReceiver(tmp_path / "audio" / "queued", STATION, ask=depot.ask,
                                post=posted, **options)
        depot.receiver = receiver
        receiver.start()
        made.append(receiver)
        return receiver, posted

    yield start
    for receiver in made:
        receiver.stop()


def test_a_file_arrives_in_windows_checked_and_whole_and_repeats_change_nothing(
        tmp_path: Path, recording: Path, manifest: FileManifest, receive: Any) -> None:
    depot = Depot(recording, manifest)
    receiver, posted = receive(depot)
    depot.hold = True
    receiver.expect(manifest)
    depot.hold = False
    receiver.chunk(manifest.sha256, encode_chunk(0, depot.chunks[0]))
    receiver.chunk(manifest.sha256, encode_chunk(0, depot.chunks[0]))  # QoS 1 repeats
    for need in list(depot.asked):
        for index in need.chunks:
            depot.send(index)
    assert posted.next("file_done") == ("file_done", manifest.sha256)
    stored = tmp_path / "audio" / "queued" / f"{manifest.sha256}.wav"
    assert stored.read_bytes() == recording.read_bytes()
    assert all(len(need.chunks) <= NEED_WINDOW for need in depot.asked)
    assert sorted({i for need in depot.asked for i in need.chunks}) == \
        list(range(len(manifest.chunks)))
    assert not list((tmp_path / "audio" / "queued").glob(".*"))  # no part, no .have left


def test_a_file_already_here_is_not_asked_for_again(
        tmp_path: Path, recording: Path, manifest: FileManifest, receive: Any) -> None:
    depot = Depot(recording, manifest)
    receiver, posted = receive(depot)
    receiver.expect(manifest)
    posted.next("file_done")
    asked = len(depot.asked)
    receiver.expect(manifest)  # the same recording in a second push
    assert posted.next("file_done") == ("file_done", manifest.sha256)
    assert len(depot.asked) == asked


def test_a_file_cut_off_halfway_resumes_after_a_restart_asking_only_what_it_lacks(
        tmp_path: Path, recording: Path, manifest: FileManifest, receive: Any) -> None:
    depot = Depot(recording, manifest)
    depot.hold = True
    receiver, posted = receive(depot)
    receiver.expect(manifest)
    for index in range(10):
        depot.send(index)
    receiver.stop()  # the power goes: ten chunks are on disk
    assert posted.messages.empty()
    depot.hold = False
    depot.asked.clear()
    receiver, posted = receive(depot)
    receiver.expect(manifest)
    posted.next("file_done")
    asked = [index for need in depot.asked for index in need.chunks]
    assert sorted(asked) == list(range(10, len(manifest.chunks)))
    stored = tmp_path / "audio" / "queued" / f"{manifest.sha256}.wav"
    assert stored.read_bytes() == recording.read_bytes()


def test_a_spoiled_chunk_is_refused_and_asked_for_again_and_one_never_right_fails_the_file(
        recording: Path, manifest: FileManifest, receive: Any, tmp_path: Path) -> None:
    depot = Depot(recording, manifest)
    receiver, posted = receive(depot, stall_s=0.2)
    depot.spoil = {3}
    receiver.expect(manifest)
    refused = [posted.next("chunk_refused") for _ in range(3)]
    assert {message[2] for message in refused} == {3}
    assert "chunk 3 of file ban-tin/bao-so-3.wav is 4095 bytes" in refused[0][3]
    failed = posted.next("file_failed")
    assert failed[1] == manifest.sha256
    assert "chunk 3 of file ban-tin/bao-so-3.wav was refused 3 times" in failed[2]
    assert not list((tmp_path / "audio" / "queued").iterdir())  # nothing partial kept


def test_a_chunk_spoiled_once_is_asked_for_again_and_the_file_completes(
        recording: Path, manifest: FileManifest, receive: Any) -> None:
    depot = Depot(recording, manifest)
    receiver, posted = receive(depot, stall_s=0.2)
    depot.spoil = {5}
    receiver.expect(manifest)
    posted.next("chunk_refused")
    depot.spoil = set()  # the stall makes the station ask again; now it comes right
    assert posted.next("file_done")[1] == manifest.sha256


def test_a_file_list_that_lies_about_the_whole_file_fails_it(
        recording: Path, manifest: FileManifest, receive: Any, tmp_path: Path) -> None:
    lying = FileManifest(manifest.name, "0" * 64, manifest.size, manifest.chunk_bytes,
                         manifest.chunks)
    depot = Depot(recording, manifest)
    depot.sha = lying.sha256
    receiver, posted = receive(depot)
    receiver.expect(lying)
    failed = posted.next("file_failed")
    assert "the whole file's SHA-256 is not" in failed[2]
    assert not list((tmp_path / "audio" / "queued").iterdir())


def test_a_file_that_is_not_audio_fails(tmp_path: Path, receive: Any) -> None:
    text = tmp_path / "province" / "not-audio.wav"
    text.parent.mkdir(parents=True)
    text.write_bytes(b"this is a letter, not a recording\n" * 400)
    manifest = describe(text, "not-audio.wav", CHUNK)
    receiver, posted = receive(Depot(text, manifest))
    receiver.expect(manifest)
    assert "it is not audio the station can air" in posted.next("file_failed")[2]


def test_chunks_that_come_before_their_push_are_kept_a_while_then_dropped(
        recording: Path, manifest: FileManifest, receive: Any) -> None:
    moment = [1000.0]
    depot = Depot(recording, manifest)
    depot.hold = True
    receiver, _posted = receive(depot, clock=lambda: moment[0], orphan_s=60.0,
                               orphan_bytes=3 * CHUNK)
    for index in range(5):  # only the last three fit
        receiver.chunk(manifest.sha256, encode_chunk(index, depot.chunks[index]))
    receiver.expect(manifest)
    first_need = waited_for(lambda: depot.asked, "the first need")[0]
    assert first_need.chunks[:2] == (0, 1)  # 0 and 1 were dropped for room
    assert 2 not in first_need.chunks and 4 not in first_need.chunks
    receiver.forget(manifest.sha256)
    receiver.chunk(manifest.sha256, encode_chunk(0, depot.chunks[0]))
    wait_until(lambda: receiver.held_back() == CHUNK, "the early chunk held")
    moment[0] += 61.0  # a push that never comes: its chunks go after the bounded wait
    receiver.chunk("f" * 64, encode_chunk(0, b"x"))  # any work makes it look around
    wait_until(lambda: receiver.held_back() == 1, "only the new one held")
    depot.asked.clear()
    receiver.expect(manifest)
    need = waited_for(lambda: depot.asked, "a need")[0]
    assert need.chunks[0] == 0


def test_a_chunk_of_a_file_already_whole_has_no_effect(
        tmp_path: Path, recording: Path, manifest: FileManifest, receive: Any) -> None:
    """A push already aired (its file here) or a late repeat: the chunk changes nothing
    and is not even held back."""
    depot = Depot(recording, manifest)
    receiver, posted = receive(depot)
    receiver.expect(manifest)
    posted.next("file_done")
    stored = tmp_path / "audio" / "queued" / manifest.stored_name
    before = stored.stat().st_mtime_ns
    receiver.chunk(manifest.sha256, encode_chunk(0, b"not what was signed"))
    receiver.chunk(manifest.sha256, encode_chunk(1, depot.chunks[1]))
    receiver.expect(manifest)  # a marker: the chunks before it have been handled
    assert posted.next("file_done") == ("file_done", manifest.sha256)
    assert posted.messages.empty() and receiver.held_back() == 0
    assert stored.stat().st_mtime_ns == before
    assert stored.read_bytes() == recording.read_bytes()


def test_no_chunk_for_a_while_asks_again_and_a_lost_link_asks_on_reconnection(
        recording: Path, manifest: FileManifest, receive: Any) -> None:
    depot = Depot(recording, manifest)
    depot.hold = True
    receiver, _posted = receive(depot, stall_s=0.3)
    receiver.expect(manifest)
    wait_until(lambda: len(depot.asked) >= 2, "asked again after the stall")
    assert depot.asked[0].chunks == depot.asked[1].chunks
    depot.online = False
    depot.asked.clear()
    receiver.connected()
    depot.online = True
    receiver.connected()
    assert waited_for(lambda: depot.asked, "a need")[0].chunks == tuple(range(NEED_WINDOW))


# --- the station: a push held until its files are whole -------------------------------------------

@pytest.fixture
def station(tmp_path: Path, recording: Path, manifest: FileManifest,
            ) -> Iterator[tuple[Upstream, District, Depot, Posted]]:
    district = District(tmp_path / "district")
    config = load_config(station_config(tmp_path / "station", STATION, "mqtt://127.0.0.1:1",
                                        [district.public_path]))
    store = Store(config.data_dir / "station.db")
    upstream = Upstream(config, store, clock_trusted=lambda: True)
    depot = Depot(recording, manifest)
    depot.hold = True
    posted = Posted()
    upstream.files = FileReceiver(folder(config.audio_dir), STATION, ask=depot.ask,
                                  post=posted)
    depot.receiver = upstream.files
    upstream.files.start()
    yield upstream, district, depot, posted
    upstream.files.stop()
    store.close()


def receipts(upstream: Upstream, message_id: str) -> list[dict[str, Any]]:
    return [json.loads(r.body) for r in upstream.records.receipts(message_id)]


def deliver(upstream: Upstream, posted: Posted, kind: str) -> tuple[Any, ...]:
    message = posted.next(kind)
    upstream.handle(message, datetime.now(UTC))
    return message


def test_a_push_with_audio_waits_for_its_file_then_is_queued_with_the_file_in_place(
        station: Any, manifest: FileManifest, recording: Path) -> None:
    upstream, district, depot, posted = station
    raw = district.envelope(payload=PLAYLIST, files=[manifest.as_json()])
    taken = upstream.take(raw, datetime.now(UTC))
    assert taken.action == "receiving" and taken.queue_id is None
    assert [r["receipt"] for r in receipts(upstream, taken.message_id)] == ["received"]
    assert receipts(upstream, taken.message_id)[0]["files"] == {"missing": 1,
                                                               "bytes": manifest.size}
    assert receipts(upstream, taken.message_id)[0]["reason"] == \
        "fetching its recorded audio from the province: 1 file(s), 0.1 MB"
    assert not upstream.records.store.pending()  # nothing airs before the file is whole
    assert "1 push(es) waiting for their recorded audio" in upstream.describe()
    for need in list(depot.asked):
        for index in need.chunks:
            depot.send(index)
    depot.hold = False
    for need in list(depot.asked):
        for index in need.chunks:
            depot.send(index)
    deliver(upstream, posted, "file_done")
    assert [r["receipt"] for r in receipts(upstream, taken.message_id)] == \
        ["received", "accepted"]
    (entry,) = upstream.records.store.pending()
    stored = folder(upstream.config.audio_dir) / manifest.stored_name
    assert [getattr(item, "path", None) for item in entry.items][1] == stored
    assert stored.read_bytes() == recording.read_bytes()
    assert not upstream.records.receiving()


def test_a_second_push_of_the_same_recording_is_queued_at_once(
        station: Any, manifest: FileManifest) -> None:
    upstream, district, depot, posted = station
    depot.hold = False
    first = upstream.take(district.envelope(payload=PLAYLIST, files=[manifest.as_json()]),
                          datetime.now(UTC))
    deliver(upstream, posted, "file_done")
    asked = len(depot.asked)
    second = upstream.take(district.envelope(payload=PLAYLIST, files=[manifest.as_json()]),
                           datetime.now(UTC))
    assert first.action == "receiving" and second.action == "schedule"
    assert len(depot.asked) == asked  # not sent twice to a station that has it


def test_a_push_whose_files_do_not_come_before_it_expires_is_missed_and_nothing_airs(
        station: Any, manifest: FileManifest) -> None:
    upstream, district, _depot, _posted = station
    now = datetime.now(UTC)
    taken = upstream.take(district.envelope(payload=PLAYLIST, files=[manifest.as_json()],
                                            expires=now + timedelta(minutes=1)), now)
    upstream.tick(now + timedelta(seconds=30))
    assert upstream.records.receiving()
    upstream.tick(now + timedelta(minutes=2))
    last = receipts(upstream, taken.message_id)[-1]
    assert last["receipt"] == "missed"
    assert "did not arrive before it expired (0 of 22 chunks here)" in last["reason"]
    assert not upstream.records.receiving() and not upstream.records.store.pending()


def test_a_file_that_cannot_come_right_rejects_its_push(
        station: Any, manifest: FileManifest) -> None:
    upstream, district, _depot, posted = station
    taken = upstream.take(district.envelope(payload=PLAYLIST, files=[manifest.as_json()]),
                          datetime.now(UTC))
    upstream.handle(("chunk_refused", manifest.sha256, 3, "chunk 3 … truncated?"),
                    datetime.now(UTC))
    upstream.handle(("file_failed", manifest.sha256, "chunk 3 was refused 3 times"),
                    datetime.now(UTC))
    kinds = [(r["receipt"], r.get("chunk")) for r in receipts(upstream, taken.message_id)]
    assert kinds == [("received", None),
                     ("rejected", {"sha256": manifest.sha256, "index": 3}),
                     ("rejected", None)]
    assert [r.reason for r in upstream.records.refusals()] == ["chunk 3 … truncated?"]
    assert not upstream.records.receiving() and not upstream.records.store.pending()
    del posted


def test_a_push_with_files_over_the_limit_or_a_bad_list_is_rejected_at_once(
        station: Any, manifest: FileManifest) -> None:
    upstream, district, depot, _posted = station
    big = {**manifest.as_json(), "size": 30_000_000, "chunk_bytes": 1024 * 1024,
           "chunks": ["0" * 64] * (-(-30_000_000 // (1024 * 1024)))}
    taken = upstream.take(district.envelope(payload=PLAYLIST, files=[big]), datetime.now(UTC))
    assert taken.action == "refused"
    assert "more than this station's [district] max_push_mb = 20" in (taken.reason or "")
    bad = upstream.take(district.envelope(payload=PLAYLIST, files=[{"name": "x.wav"}]),
                        datetime.now(UTC))
    assert "envelope field 'files' file 1: must have exactly" in (bad.reason or "")
    assert not depot.asked and not upstream.records.receiving()


def test_a_revocation_takes_out_a_push_still_waiting_for_its_files(
        station: Any, manifest: FileManifest) -> None:
    upstream, district, depot, _posted = station
    taken = upstream.take(district.envelope(payload=PLAYLIST, files=[manifest.as_json()]),
                          datetime.now(UTC))
    upstream.take(district.revocation([district.key_id]), datetime.now(UTC))
    last = receipts(upstream, taken.message_id)[-1]
    assert last["receipt"] == "rejected" and "was revoked" in last["reason"]
    assert not upstream.records.receiving()
    wait_until(lambda: not upstream.files.arriving(), "the fetch stopped")
    del depot


def test_a_file_of_a_push_waiting_in_the_inbox_is_not_let_go(
        station: Any, manifest: FileManifest) -> None:
    upstream, district, depot, posted = station
    depot.hold = False
    upstream.take(district.envelope(payload=PLAYLIST, files=[manifest.as_json()],
                                    level=Level.NORMAL), datetime.now(UTC))
    deliver(upstream, posted, "file_done")
    assert len(upstream.records.inbox()) == 1
    stored = folder(upstream.config.audio_dir) / manifest.stored_name
    assert release_unneeded(upstream.config.audio_dir, upstream.records.store) == []
    assert stored.exists()


SLOT_PLAYLIST = """\
title: Thời sự của tỉnh
slot: {days: daily, at: "18:00", until: "18:15"}
items:
  - file: ban-tin/bao-so-3.wav
"""


def slot_order(district: District, name: str, manifest: FileManifest) -> bytes:
    from broadcaster.upstream.envelope import seal_slot

    now = datetime.now(UTC)
    district.seq += 1
    return seal_slot(district.key, seq=district.seq, issued=now,
                     expires=now + timedelta(days=14), target="all", action="install",
                     name=name, playlist=SLOT_PLAYLIST, files=[manifest.as_json()])


def test_a_slot_order_with_audio_is_installed_once_its_file_is_whole(
        station: Any, manifest: FileManifest) -> None:
    upstream, district, depot, posted = station
    depot.hold = False
    taken = upstream.take(slot_order(district, "thoi-su", manifest), datetime.now(UTC))
    assert taken.action == "receiving"
    assert upstream.records.store.installed_slot("thoi-su") is None  # not before
    deliver(upstream, posted, "file_done")
    installed = upstream.records.store.installed_slot("thoi-su")
    assert installed is not None and installed.from_province
    kinds = [r["receipt"] for r in receipts(upstream, taken.message_id or "")]
    assert kinds == ["received", "accepted"]  # `received` once, when it came


def test_a_slot_order_that_could_never_be_done_is_refused_before_any_download(
        station: Any, manifest: FileManifest) -> None:
    from broadcaster.store import playlist_to_json

    upstream, district, depot, _posted = station
    own = parse_slot(upstream)
    upstream.records.store.install_slot("thoi-su", playlist_to_json(own), 0.0)
    taken = upstream.take(slot_order(district, "thoi-su", manifest), datetime.now(UTC))
    assert taken.action == "refused"
    assert "the station's operator already has a slot named thoi-su" in (taken.reason or "")
    assert not depot.asked and not upstream.records.receiving()


def parse_slot(upstream: Upstream) -> Any:
    from broadcaster.playlist import parse_playlist

    text = SLOT_PLAYLIST.replace("  - file: ban-tin/bao-so-3.wav\n", "  - chime: default\n")
    return parse_playlist(text, Path("own.yaml"), upstream.config.audio_dir)


def test_the_operators_inbox_says_what_is_still_fetching_its_audio(
        station: Any, manifest: FileManifest) -> None:
    import subprocess
    import sys

    upstream, district, _depot, _posted = station
    upstream.take(district.envelope(payload=PLAYLIST, files=[manifest.as_json()],
                                    level=Level.NORMAL), datetime.now(UTC))
    shown = subprocess.run([sys.executable, "-m", "broadcaster", "inbox", "--config",
                            str(upstream.config.source)], capture_output=True, text=True,
                           timeout=60, check=False)
    assert shown.returncode == 0, shown.stderr
    assert "and 1 push(es) still fetching their recorded audio from the province" \
        in shown.stdout
