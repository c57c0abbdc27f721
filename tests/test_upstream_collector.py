"""The receipt collector (issue 11): real brokers on 127.0.0.1 (Mosquitto and RabbitMQ's
MQTT plugin), real stations' link code (LinkStation), the collector on its own thread or
as `broadcaster district collect`, and `district report` / `district status` as the
province's staff run them."""

from __future__ import annotations

import csv
import io
import json
import os
import queue
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from broadcaster.config import load_config
from broadcaster.model import Level, OperatorError, Outcome
from broadcaster.store import Store
from broadcaster.upstream.collector import (
    MAX_MESSAGE_BYTES,
    Collector,
    CollectorKeys,
    collector_keys,
    open_collector,
)
from broadcaster.upstream.collector_db import CollectorDB, collector_db_path
from broadcaster.upstream.collector_report import report, station_states
from broadcaster.upstream.pushes import Upstream
from tests.support.broker import (  # noqa: F401  # the fixtures
    AnyBroker,
    any_broker,
    rabbitmq_node,
)
from tests.support.upstream import (
    BULLETIN,
    PREFIX,
    District,
    LinkStation,
    Province,
    collector_state,
    online_station,
    station_config,
)
from tests.support.waiting import wait_until

ONE, TWO, SILENT = "tan-phong", "an-binh", "ben-canh"


# --- the province's side -------------------------------------------------------------------------

@pytest.fixture
def broker(any_broker: AnyBroker) -> AnyBroker:  # noqa: F811
    """Mosquitto and RabbitMQ: the collector keeps station state from live messages, so
    RabbitMQ's retained messages (per node, none to a wildcard) change nothing."""
    return any_broker


@pytest.fixture
def district(tmp_path: Path) -> District:
    return District(tmp_path / "district")


@pytest.fixture
def province(tmp_path: Path, broker: AnyBroker,
             district: District) -> Iterator[Province]:
    desk = Province(tmp_path / "province", broker, district)
    desk.start_collector()
    yield desk
    desk.stop_collector()


def air_everything(store: Store, upstream: Upstream) -> int:
    """What the player would do: air every pending entry (as-run line `aired`)."""
    entries = store.pending()
    for entry in entries:
        store.finish(entry, Outcome.AIRED, started_at=entry.due_at, ended_at=entry.due_at + 30,
                     engine="espeak")
    return len(entries)


def publish(broker: AnyBroker, messages: list[tuple[str, bytes]]) -> None:
    """Publish raw messages (QoS 1) as any client of the broker may."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="province-test-sender")
    host, port = broker.url.split("//")[1].split("?")[0].split(":")
    client.connect(host, int(port))
    client.loop_start()
    try:
        for topic, payload in messages:
            client.publish(topic, payload, qos=1).wait_for_publish(10)
    finally:
        client.disconnect()
        client.loop_stop()


def ok(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, done.stderr + done.stdout
    return done.stdout


# --- with a broker --------------------------------------------------------------------------------

def test_a_push_to_a_station_that_never_answers_says_so_when_the_wait_is_over(
        province: Province, district: District) -> None:
    done = province.cli("push", str(province.bulletin), "--to", "xa-khong-co", "--level",
                        "priority", "--wait", "--timeout", "2",
                        "--key", str(district.private_path))
    assert done.returncode == 0, done.stderr
    assert "no receipt from xa-khong-co within 2 s; `broadcaster province status` lists " \
        "the stations and when each was last heard" in done.stderr.splitlines()


def test_push_to_all_waits_for_every_station_the_collector_has_online(
        tmp_path: Path, broker: AnyBroker, district: District,
        province: Province) -> None:
    """On RabbitMQ no retained status reaches a wildcard subscription, so `--wait` learns
    who is online from the collector: it stops when both stations aired, not after the
    first one's answer."""
    one = online_station(tmp_path, ONE, broker, district, province)
    two = online_station(tmp_path, TWO, broker, district, province)
    release = threading.Event()
    # two's station thread is busy (a slow SD card, a long render): it has not even said
    # `received` when one has aired, though its link is up and the collector has it online
    two.post("call", lambda _store, _up: release.wait(60), queue.Queue())
    try:
        waiting = subprocess.Popen(
            [sys.executable, "-m", "broadcaster", "district", "push", str(province.bulletin),
             "--to", "all", "--level", "priority", "--wait", "--timeout", "60", "--key",
             str(district.private_path), "--config", str(province.config_file)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            wait_until(lambda: one.run(air_everything) == 1, "the push queued at one")
            message_id = one.run(
                lambda _store, up: json.loads(up.records.receipts()[0].body)["message_id"])
            province.wait_answers(message_id, {ONE: "aired", TWO: "no answer"})
            with pytest.raises(subprocess.TimeoutExpired):  # still waiting for two
                waiting.communicate(timeout=2)
            release.set()
            wait_until(lambda: two.run(air_everything) == 1, "the push queued at two")
            out, err = waiting.communicate(timeout=30)
        finally:
            release.set()
            waiting.kill()
        assert waiting.returncode == 0, err
        aired = [line for line in out.splitlines() if "aired" in line]
        assert {ONE, TWO} <= {word for line in aired for word in line.split()}, out
    finally:
        one.stop()
        two.stop()


def test_two_stations_air_a_push_and_the_report_shows_them_and_the_one_that_never_answered(
        tmp_path: Path, broker: AnyBroker, district: District,
        province: Province) -> None:
    one = online_station(tmp_path, ONE, broker, district, province)
    two = online_station(tmp_path, TWO, broker, district, province)
    silent = online_station(tmp_path, SILENT, broker, district, province)
    silent.stop()  # heard from once, then off for the rest of the day
    wait_until(lambda: collector_state(province, SILENT) == "offline", "the silent station offline")
    pushed = province.cli("push", str(province.bulletin), "--to", "all", "--level",
                          "priority", "--key", str(district.private_path))
    out = ok(pushed)
    message_id = out.split()[1]
    assert f"broadcaster province report {message_id}" in out  # how to follow it
    province.wait_answers(message_id, {ONE: "accepted", TWO: "accepted",
                                       SILENT: "no answer"})
    assert one.run(air_everything) == 1 and two.run(air_everything) == 1
    province.wait_answers(message_id, {ONE: "aired", TWO: "aired", SILENT: "no answer"})
    one.stop()
    two.stop()

    table = ok(province.cli("report", message_id))
    lines = table.splitlines()
    assert lines[0].startswith(f"push {message_id} to all stations (priority), sent ")
    assert lines[1] == ("3 targeted, 2 answered, 2 accepted, 0 rejected, 2 aired, "
                        "0 not aired, 0 not aired yet, 1 no answer yet")
    rows = {line.split()[0]: line for line in lines[3:]}
    assert rows.keys() == {"station", ONE, TWO, SILENT}
    for name in (ONE, TWO):
        assert rows[name].split()[1] == "aired" and "espeak" in rows[name], table
    assert "no answer yet" in rows[SILENT]

    sheet = ok(province.cli("report", message_id, "--format", "csv"))
    assert sheet.startswith("\ufeffstation,name,answer,received,decided,started,ended,"
                            "engine,reason\n")
    by_station = {row["station"]: row for row in csv.DictReader(io.StringIO(sheet[1:]))}
    assert by_station[ONE]["answer"] == "aired" and by_station[ONE]["engine"] == "espeak"
    assert by_station[ONE]["name"] == f"Đài truyền thanh xã {ONE}"
    assert by_station[SILENT]["answer"] == "no answer" and by_station[SILENT]["received"] == ""

    data = json.loads(ok(province.cli("report", message_id, "--json")))
    assert (data["message_id"], data["target"], data["level"]) == (message_id, "all",
                                                                   "priority")
    assert data["totals"] == {"targeted": 3, "answered": 2, "accepted": 2, "rejected": 0,
                              "aired": 2, "not aired": 0, "waiting": 0, "no answer": 1}
    aired = {row["station"]: row for row in data["stations"]}[TWO]
    assert aired["received"] and aired["decided"] and aired["started"] < aired["ended"]
    # each receipt stored once, whatever the broker redelivered
    with sqlite3.connect(province.db_path) as db:
        counts = db.execute("SELECT station, count(*) FROM receipts WHERE message_id = ?"
                            " GROUP BY station", (message_id,)).fetchall()
    assert dict(counts) == {ONE: 3, TWO: 3}


def test_a_rejected_push_shows_its_reason(
        tmp_path: Path, broker: AnyBroker, district: District,
        province: Province) -> None:
    station = online_station(tmp_path, ONE, broker, district, province)
    stranger = District(tmp_path / "stranger")  # a key no station trusts
    message_id = province.push(ONE, key=stranger.private_path)
    province.wait_answers(message_id, {ONE: "rejected"})
    station.stop()
    data = json.loads(ok(province.cli("report", message_id, "--json")))
    (row,) = data["stations"]
    assert row["answer"] == "rejected" and "trusted_keys" in row["reason"]
    assert data["totals"]["rejected"] == 1 and data["totals"]["accepted"] == 0
    assert data["target"] is None  # signed by a key the province does not trust either
    table = ok(province.cli("report", message_id))
    assert "1 rejected" in table and "trusted_keys" in table
    assert "did not see the push itself" in table


def test_a_push_to_one_station_that_never_answers_is_no_answer_yet(
        tmp_path: Path, broker: AnyBroker, district: District,
        province: Province) -> None:
    message_id = province.push("xa-chua-lap")  # a station the province has never heard of
    wait_until(lambda: province.answers(message_id) == {"xa-chua-lap": "no answer"},
               "the push seen by the collector")
    table = ok(province.cli("report", message_id))
    assert "1 targeted, 0 answered" in table and "no answer yet" in table


def test_an_unknown_push_id_is_refused_in_one_line(province: Province) -> None:
    done = province.cli("report", "no-such-push")
    assert done.returncode == 1
    assert "no push no-such-push" in done.stderr and "Traceback" not in done.stderr


def test_a_report_without_a_collector_says_how_to_start_one(tmp_path: Path) -> None:
    config_file = station_config(tmp_path / "province", "tinh", "mqtt://127.0.0.1:9", [])
    done = subprocess.run([sys.executable, "-m", "broadcaster", "district", "report", "x",
                           "--config", str(config_file)], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 1 and len(done.stderr.strip().splitlines()) == 1
    assert "collector.db: no receipt collector's database here; run `broadcaster district " \
           "collect`" in done.stderr
    bad = subprocess.run([sys.executable, "-m", "broadcaster", "district", "report", "x",
                          "--format", "xlsx", "--config", str(config_file)],
                         capture_output=True, text=True, timeout=60, check=False)
    assert bad.returncode == 2 and "choose table, csv or json" in bad.stderr


def test_the_collector_killed_and_restarted_keeps_what_it_had_and_gets_what_came_meanwhile(
        tmp_path: Path, broker: AnyBroker, district: District) -> None:
    desk = Province(tmp_path / "province", broker, district)

    def collect() -> subprocess.Popen[str]:
        process = subprocess.Popen(
            [sys.executable, "-m", "broadcaster", "district", "collect", "--client-id",
             "collector-test", "--config", str(desk.config_file)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        wait_until(lambda: desk.db_path.exists() or process.poll() is not None,
                   "the collector's database")
        assert process.poll() is None, process.communicate()
        return process

    first = collect()
    station = None
    try:
        try:
            station = LinkStation(tmp_path / ONE, ONE, broker, [district.public_path]).start()
            # the station's live status at its connection, heard: the collector's
            # subscriptions are in place (its database file exists a moment before them)
            wait_until(lambda: _heard(desk, ONE) is not None, "the collector to hear it")
            second = desk.cli("collect", "--client-id", "collector-test")  # a second shell
            assert second.returncode == 1
            assert second.stderr.strip().splitlines() == [
                f"a receipt collector already runs on {desk.db_path} (pid {first.pid}); stop "
                "it first (sudo systemctl stop broadcaster-collector)"]
            message_id = desk.push(ONE)
            desk.wait_answers(message_id, {ONE: "accepted"})
        finally:
            first.kill()  # a power cut: no clean disconnect, nothing flushed on the way out
            first.communicate(timeout=10)
        # while it is down: the first push airs, a second push goes out and is accepted
        assert station.run(air_everything) == 1
        second_id = desk.push(ONE)
        wait_until(lambda: not station.run(lambda _, up: up.records.unsent()),
                   "the broker to take every receipt")
        with sqlite3.connect(desk.db_path) as db:
            assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        again = collect()
        try:
            desk.wait_answers(message_id, {ONE: "aired"})
            desk.wait_answers(second_id, {ONE: "accepted"})
        finally:
            again.send_signal(signal.SIGTERM)
            _, err = again.communicate(timeout=10)
    finally:
        if station is not None:  # never left linked: the next test's station has its id
            station.stop()
    assert again.returncode == 0, err
    assert "collecting receipts and statuses from mqtt" in err
    with sqlite3.connect(desk.db_path) as db:
        kinds = [kind for (kind,) in db.execute(
            "SELECT kind FROM receipts WHERE message_id = ? ORDER BY id", (message_id,))]
    assert kinds == ["received", "accepted", "aired"]


def test_offline_since_is_when_the_link_died_not_a_heartbeat_before(
        tmp_path: Path, broker: AnyBroker, district: District,
        province: Province) -> None:
    station = online_station(tmp_path, ONE, broker, district, province)
    link = station.upstream.link if station.upstream else None
    assert link is not None
    wait_until(lambda: _heard(province, ONE) is not None, "a heartbeat")
    # the box loses power: its link stops mid-air, the broker sends its last will
    client = link._client  # the link's socket, cut as a power cut cuts it
    client.loop_stop()
    died = time.time()
    sock = client.socket()
    assert sock is not None
    sock.close()
    wait_until(lambda: collector_state(province, ONE) == "offline",
               "the last will at the collector")
    noticed = time.time()
    db = CollectorDB(province.db_path)
    try:
        (state,) = station_states(db)
    finally:
        db.close()
    assert state.since is not None and state.last_heard is not None
    assert died <= state.since <= noticed  # not the last heartbeat's time
    assert state.last_heard <= state.since  # the last message from the station itself
    assert state.software and state.amplifier == "unknown"
    status = json.loads(ok(province.cli("status", "--json")))
    (row,) = status
    assert row["state"] == "offline" and row["on_air"] is None
    assert row["software"] == state.software
    table = ok(province.cli("status"))
    assert "offline" in table.splitlines()[1] and state.software in table
    station.run(lambda _, upstream: setattr(upstream, "link", None))  # nothing left to stop
    station.stop()


def _heard(province: Province, name: str) -> float | None:
    db = CollectorDB(province.db_path)
    try:
        rows = {s.station: s for s in station_states(db)}
    finally:
        db.close()
    return rows[name].last_heard if name in rows else None


def test_garbage_on_the_topics_is_skipped_and_the_collector_goes_on(
        tmp_path: Path, broker: AnyBroker, district: District,
        province: Province) -> None:
    station = online_station(tmp_path, ONE, broker, district, province)
    receipts, status = f"{PREFIX}/stations/{ONE}/receipts", f"{PREFIX}/stations/{ONE}/status"
    publish(broker, [
        (receipts, b"not json at all"),
        (receipts, b"\xff\xfe\x00 not utf-8"),
        (receipts, b"[" * 100_000),
        (receipts, b'["a", "list"]'),
        (receipts, b'{"receipt": 5}'),
        (receipts, b'{"station": "other", "receipt": "aired"}'),
        (status, b'{"state": "exploded"}'),
        (f"{PREFIX}/stations/{ONE}/heartbeat", b"{}}"),
        (f"{PREFIX}/all/push", b'{"v": 1, "id": 7}'),
        (receipts, b"x" * (MAX_MESSAGE_BYTES + 1))])
    message_id = province.push(ONE)  # after the garbage: still collected, in order
    province.wait_answers(message_id, {ONE: "accepted"})
    station.stop()
    assert province.collecting
    # "exploded" changed nothing; the clean stop after it did
    wait_until(lambda: collector_state(province, ONE) == "offline", "the station's stop collected")
    with sqlite3.connect(province.db_path) as db:
        assert db.execute("SELECT count(*) FROM receipts WHERE station != ?",
                          (ONE,)).fetchone() == (0,)
        # the station refused the garbage push too, and said so: its receipt is kept
        assert db.execute("SELECT kind, reason FROM receipts WHERE message_id IS NULL"
                          ).fetchall() == [("rejected", "envelope field 'id' must be str")]
        assert db.execute("SELECT count(*) FROM pushes").fetchone() == (1,)


# --- without a broker: what each message does to the database ------------------------------------

@pytest.fixture
def collector(tmp_path: Path, district: District) -> Iterator[Collector]:
    taken = open_collector(tmp_path / "collector.db", PREFIX,
                           CollectorKeys([district.public_path]))
    yield taken
    taken.db.close()


def _body(**fields: object) -> bytes:
    return json.dumps(fields).encode("utf-8")


def test_a_redelivered_receipt_is_stored_once_and_a_duplicate_rejection_is_not_an_answer(
        collector: Collector, district: District) -> None:
    raw = district.envelope(target=ONE)
    message_id = json.loads(raw)["id"]
    topic = f"{PREFIX}/stations/{ONE}/receipts"
    assert collector.take(f"{PREFIX}/stations/{ONE}/push", raw, 100.0) == "stored"
    accepted = _body(v=1, station=ONE, message_id=message_id, receipt="accepted",
                     at="2026-12-02T08:00:00.000Z")
    assert collector.take(topic, accepted, 101.0) == "stored"
    assert collector.take(topic, accepted, 102.0) == "repeated"  # QoS 1 said it twice
    again = _body(v=1, station=ONE, message_id=message_id, receipt="rejected",
                  reason="already taken", duplicate=True, at="2026-12-02T08:01:00.000Z")
    assert collector.take(topic, again, 103.0) == "stored"
    (answer,) = report(collector.db, message_id).stations
    assert answer.answer == "accepted" and answer.reason is None


def test_a_retained_status_fills_in_an_unknown_station_but_never_overrides_a_live_one(
        collector: Collector) -> None:
    topic = f"{PREFIX}/stations/{ONE}/status"
    old = _body(station=ONE, state="online", since="2026-12-01T00:00:00Z", software="0.0.9")
    assert collector.take(topic, old, 50.0, retained=True) == "stored"
    (state,) = station_states(collector.db)
    assert (state.state, state.software) == ("online", "0.0.9")
    will = _body(v=1, station=ONE, name=None, state="offline", since=None)
    assert collector.take(topic, will, 200.0) == "stored"
    assert collector.take(topic, old, 300.0, retained=True) == "kept"  # re-subscribed
    (state,) = station_states(collector.db)
    assert (state.state, state.since) == ("offline", 200.0)  # the will's arrival


def test_retained_messages_in_any_order_say_what_the_broker_kept_and_no_more(
        collector: Collector) -> None:
    beat = _body(station=TWO, at="2026-12-01T09:00:00Z")
    will = _body(v=1, station=TWO, name=None, state="offline", since=None)
    # the broker's burst on subscribing: the dead station's last heartbeat, then its will
    assert collector.take(f"{PREFIX}/stations/{TWO}/heartbeat", beat, 500.0,
                          retained=True) == "stored"
    assert collector.take(f"{PREFIX}/stations/{TWO}/status", will, 500.0,
                          retained=True) == "stored"
    (state,) = station_states(collector.db)
    assert state.state == "offline"  # a heartbeat alone never says online
    assert (state.since, state.last_heard) == (None, 1796115600.0)  # when: unknown
    receipt = _body(station=TWO, message_id="m-1", receipt="aired")
    assert collector.take(f"{PREFIX}/stations/{TWO}/receipts", receipt, 501.0,
                          retained=True) == "stored"  # a receipt is a receipt


def test_unexpected_topics_and_bodies_are_skipped_with_the_reason(
        collector: Collector) -> None:
    for topic, payload, why in [
            (f"{PREFIX}/stations/{ONE}/weird", b"{}", "not a topic"),
            (f"{PREFIX}/stations/a/b/receipts", b"{}", "not a topic"),
            ("elsewhere/stations/x/receipts", b"{}", "prefix"),
            (f"{PREFIX}/stations/xa.ben/status", b"{}", "not a topic"),  # RabbitMQ splits it
            (f"{PREFIX}/stations/{ONE}/receipts", b'{"receipt": "aired", "message_id": 3}',
             "not text"),
            (f"{PREFIX}/all/push", b"{}", "not an envelope")]:
        result = collector.take(topic, payload, 1.0)
        assert result.startswith("skipped") and why in result, (topic, result)
    assert station_states(collector.db) == []


def test_an_empty_collector_database_says_so_in_status(tmp_path: Path) -> None:
    config_file = station_config(tmp_path / "province", "tinh", "mqtt://127.0.0.1:9", [])
    config = load_config(config_file)
    CollectorDB(collector_db_path(config), writer=True).close()
    done = subprocess.run([sys.executable, "-m", "broadcaster", "district", "status",
                           "--config", str(config_file)], capture_output=True, text=True,
                          timeout=60, check=False, env={**os.environ, "BROADCASTER_LANG": "en"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "the collector has not heard from any station yet"


def test_the_report_speaks_the_staffs_language_and_csv_and_json_keep_english(
        tmp_path: Path, district: District) -> None:
    config_file = station_config(tmp_path / "province", "tinh", "mqtt://127.0.0.1:9", [])
    db_path = collector_db_path(load_config(config_file))
    raw = district.envelope(target=ONE)
    message_id = json.loads(raw)["id"]
    writer = open_collector(db_path, PREFIX, CollectorKeys([district.public_path]))
    try:
        writer.take(f"{PREFIX}/stations/{ONE}/push", raw, 1.0)
        for kind in ("received", "accepted"):
            writer.take(f"{PREFIX}/stations/{ONE}/receipts",
                        _body(station=ONE, message_id=message_id, receipt=kind,
                              at="2026-12-02T08:00:00.000Z"), 2.0)
        writer.take(f"{PREFIX}/stations/{ONE}/receipts", _body(
            station=ONE, message_id=message_id, receipt="aired", at="2026-12-02T08:01:00Z",
            as_run={"started": "2026-12-02T08:00:30Z", "ended": "2026-12-02T08:01:00Z",
                    "engine": "espeak", "title": "Bão số 3"}), 3.0)
    finally:
        writer.db.close()
    environment = {key: value for key, value in os.environ.items()
                   if key not in ("BROADCASTER_LANG", "BROADCASTER_CONFIG")}

    def report_in_vietnamese(*args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "broadcaster", "district", "report",
                               message_id, *args, "--config", str(config_file)],
                              capture_output=True, text=True, timeout=60, check=False,
                              env=environment)
        return ok(done)

    table = report_in_vietnamese()
    heading, row = table.splitlines()[3:5]
    assert heading.startswith("đài ") and "bộ đọc" in heading
    assert row.split()[:3] == [ONE, "đã", "phát"]  # the answer in the staff's words
    assert "15:00:30" in row  # 08:00:30 UTC on the station's clock (Asia/Ho_Chi_Minh)
    sheet = report_in_vietnamese("--format", "csv")
    assert f"\n{ONE},,aired," in sheet
    data = json.loads(report_in_vietnamese("--json"))
    assert data["stations"][0]["answer"] == "aired"


@pytest.mark.parametrize("any_broker", ["mosquitto"], indirect=True)  # a restart in 0.02 s
def test_the_collector_reconnects_after_a_broker_restart_and_misses_nothing(
        tmp_path: Path, broker: AnyBroker, district: District, province: Province) -> None:
    station = online_station(tmp_path, ONE, broker, district, province)
    first = province.push(ONE)
    province.wait_answers(first, {ONE: "accepted"})
    broker.stop()  # SIGTERM: Mosquitto saves the sessions, the collector's among them
    broker.start()
    second = province.push(ONE)  # the station and the collector may still be reconnecting
    province.wait_answers(second, {ONE: "accepted"}, timeout=30)
    assert station.run(air_everything) == 2
    province.wait_answers(first, {ONE: "aired"}, timeout=30)
    province.wait_answers(second, {ONE: "aired"}, timeout=30)
    station.stop()
    assert province.collecting


def test_status_shows_on_air_faults_an_unsynchronized_clock_and_the_software(
        tmp_path: Path) -> None:
    config_file = station_config(tmp_path / "province", "tinh", "mqtt://127.0.0.1:9", [])
    writer = open_collector(collector_db_path(load_config(config_file)), PREFIX,
                            CollectorKeys([]))
    try:
        writer.take(f"{PREFIX}/stations/{ONE}/status", _body(
            v=1, station=ONE, name="Đài xã Tân Phong", state="online",
            since="2026-12-02T00:00:00Z", software="0.1.0",
            on_air={"title": "Bão số 3", "level": "emergency", "kind": "notice"},
            last_aired={"title": "Tin sáng", "level": "normal", "ended": "2026-12-01T23:30:00Z"},
            device_error="no sound card 'hw:1'", amplifier="GPIO 17: on",
            clock_synchronized=False, last_error=None, inbox=2), 100.0)
    finally:
        writer.db.close()

    def status(*args: str) -> str:
        return ok(subprocess.run([sys.executable, "-m", "broadcaster", "district", "status",
                                  *args, "--config", str(config_file)], capture_output=True,
                                 text=True, timeout=60, check=False))

    (row,) = status().splitlines()[1:]
    assert row.startswith(f"{ONE}  online  2026-12-02 07:00:00")  # its since, our clock
    for shown in ("Bão số 3 (emergency)", "2026-12-02 06:30:00 Tin sáng",
                  "no sound card 'hw:1'", "GPIO 17: on", "unsynchronized", "0.1.0"):
        assert shown in row, shown
    (data,) = json.loads(status("--json"))
    assert (data["clock_synchronized"], data["device_error"], data["inbox"]) == (
        False, "no sound card 'hw:1'", 2)
    assert data["on_air"]["title"] == "Bão số 3" and data["software"] == "0.1.0"


def test_a_revocation_is_reported_like_a_push_so_the_province_sees_who_took_it(
        tmp_path: Path, broker: AnyBroker, district: District, province: Province) -> None:
    one = online_station(tmp_path, ONE, broker, district, province)
    two = online_station(tmp_path, TWO, broker, district, province)
    old_key = District(tmp_path / "old-key")
    raw = district.revocation([old_key.key_id], reason="khóa cũ đã thay")
    message_id = json.loads(raw)["id"]
    publish(broker, [(f"{PREFIX}/all/push", raw)])  # as `province revoke` does
    province.wait_answers(message_id, {ONE: "accepted", TWO: "accepted"})
    one.stop()
    two.stop()
    table = ok(province.cli("report", message_id))
    assert table.startswith(f"revocation {message_id} to all stations, sent ")
    assert "2 targeted, 2 answered, 2 accepted" in table
    data = json.loads(ok(province.cli("report", message_id, "--json")))
    assert (data["kind"], data["level"]) == ("revoke", None)


# --- only validly signed pushes are recorded ----------------------------------------------------

def _forged(district: District, message_id: str, target: str) -> bytes:
    """The district's own signed envelope for `target`, under `message_id`, with its
    target changed afterwards: the district's key id, a signature that no longer matches."""
    fields = json.loads(district.envelope(target=ONE, message_id=message_id))
    fields["target"] = target
    return json.dumps(fields).encode("utf-8")


def test_a_forged_push_under_a_real_pushs_id_published_first_does_not_change_the_report(
        tmp_path: Path, broker: AnyBroker, district: District, province: Province) -> None:
    stranger = District(tmp_path / "stranger")  # anyone who may publish on the broker
    real = district.envelope(target=ONE)
    message_id = json.loads(real)["id"]
    unsigned = json.loads(stranger.envelope(target=TWO, message_id=message_id))
    del unsigned["sig"]
    publish(broker, [  # one topic, one sender: the broker keeps this order
        (f"{PREFIX}/all/push", stranger.envelope(target=TWO, message_id=message_id)),
        (f"{PREFIX}/all/push", _forged(district, message_id, TWO)),
        (f"{PREFIX}/all/push", json.dumps(unsigned).encode("utf-8")),
        (f"{PREFIX}/all/push", real)])
    province.wait_answers(message_id, {ONE: "no answer"})
    found = province.report(message_id)
    assert found.push is not None and found.push.target == ONE
    assert found.push.key_id == district.key_id
    data = json.loads(ok(province.cli("report", message_id, "--json")))
    assert data["target"] == ONE and [row["station"] for row in data["stations"]] == [ONE]
    with sqlite3.connect(province.db_path) as db:
        assert db.execute("SELECT count(*) FROM pushes").fetchone() == (1,)


def test_a_push_from_an_unknown_key_a_bad_signature_or_none_is_skipped_but_its_receipts_kept(
        tmp_path: Path, collector: Collector, district: District,
        caplog: pytest.LogCaptureFixture) -> None:
    stranger = District(tmp_path / "stranger")
    raw = stranger.envelope(target=TWO)
    message_id = json.loads(raw)["id"]
    unsigned = json.loads(district.envelope(target=TWO))
    del unsigned["sig"]
    with caplog.at_level("DEBUG", logger="broadcaster.upstream.collector"):
        unknown = collector.take(f"{PREFIX}/all/push", raw, 1.0)
        forged = collector.take(f"{PREFIX}/stations/{TWO}/push",
                                _forged(district, message_id, TWO), 2.0)
        bare = collector.take(f"{PREFIX}/all/push", json.dumps(unsigned).encode(), 3.0)
    assert unknown.startswith("skipped") and stranger.key_id in unknown
    assert "not in this station's trusted_keys" in unknown  # the station's own words
    assert forged.startswith("skipped") and "signature does not match" in forged
    assert bare.startswith("skipped") and "'sig' is missing" in bare
    assert collector.db.counts()[0] == 0
    skipped = [r for r in caplog.records if "skipped a message" in r.getMessage()]
    assert len(skipped) == 3 and stranger.key_id in skipped[0].getMessage()
    # the station refused it and said so: the receipt is kept, the push was not seen
    rejected = _body(station=TWO, message_id=message_id, receipt="rejected",
                     reason=f"signed by key {stranger.key_id}, which is not in this station's "
                            "trusted_keys")
    assert collector.take(f"{PREFIX}/stations/{TWO}/receipts", rejected, 4.0) == "stored"
    found = report(collector.db, message_id)
    assert found.push is None
    assert [(a.station, a.answer) for a in found.stations] == [(TWO, "rejected")]


def test_the_collector_trusts_the_provinces_key_folder_and_a_key_rotated_while_it_runs(
        tmp_path: Path) -> None:
    from broadcaster.upstream.district import keygen, rotate

    config_file = station_config(tmp_path / "province", "tinh", "mqtt://127.0.0.1:9", [])
    config = load_config(config_file)
    current = keygen(config)  # <data_dir>/district/district.key and .pub
    writer = open_collector(collector_db_path(config), PREFIX, collector_keys(config))
    try:
        assert writer.take(f"{PREFIX}/all/push", _signed_by(current.private), 1.0) == "stored"
        _, fresh = rotate(config)  # while the collector runs
        raw = _signed_by(fresh.private)
        assert writer.take(f"{PREFIX}/all/push", raw, 2.0) == "stored"
        stored = writer.db.push(json.loads(raw)["id"])
        assert stored is not None and stored.key_id == fresh.key_id
    finally:
        writer.db.close()


def _signed_by(private: Path) -> bytes:
    from datetime import UTC, datetime, timedelta

    from broadcaster.upstream.envelope import load_private_key, seal

    now = datetime.now(UTC)
    return seal(load_private_key(private), seq=1, issued=now, expires=now + timedelta(hours=1),
                target=ONE, level=Level.NORMAL, payload=BULLETIN)


def test_collect_without_any_key_to_check_pushes_is_refused_in_one_line(tmp_path: Path) -> None:
    config_file = station_config(tmp_path / "province", "tinh", "mqtt://127.0.0.1:9", [])
    done = subprocess.run([sys.executable, "-m", "broadcaster", "district", "collect",
                           "--config", str(config_file)], capture_output=True, text=True,
                          timeout=60, check=False, env={**os.environ, "BROADCASTER_LANG": "en"})
    assert done.returncode == 1, done.stderr
    assert "no key to check pushes with" in done.stderr and "Traceback" not in done.stderr
    assert not collector_db_path(load_config(config_file)).exists()  # nothing made
    broken = tmp_path / "broken.pub"
    broken.write_text("not a key", encoding="utf-8")
    config_file = station_config(tmp_path / "other", "tinh", "mqtt://127.0.0.1:9", [broken])
    with pytest.raises(OperatorError, match=r"broken\.pub: not an Ed25519 public key"):
        collector_keys(load_config(config_file))


# --- station ids: the config's one rule -----------------------------------------------------------

@pytest.mark.parametrize(("value", "ok_"), [
    ("tan-phong", True), ("xa_12", True), ("XaBen2", True), ("xã-bến", True),
    ("xa.ben", False), ("a/b", False), ("a+b", False), ("a#", False), ("a b", False),
    ("", False), ("x" * 200, True)])
def test_a_station_id_is_the_configs_rule_everywhere(
        tmp_path: Path, district: District, collector: Collector, value: str,
        ok_: bool) -> None:
    from broadcaster.upstream.broker_url import is_station_id, station_id_problem
    from broadcaster.upstream.district import sign_push

    assert is_station_id(value) is ok_
    assert (station_id_problem(value) is None) is ok_  # what the config refuses
    if value and "/" not in value and "+" not in value and "#" not in value:
        status = _body(station=value, state="online", since="2026-12-02T00:00:00Z")
        taken = collector.take(f"{PREFIX}/stations/{value}/status", status, 1.0)
        assert taken == "stored" if ok_ else taken.startswith("skipped: not a topic"), taken
    config = load_config(station_config(tmp_path / "tinh", "tinh", "mqtt://127.0.0.1:9", []))
    bulletin = tmp_path / "bulletin.yaml"
    bulletin.write_text(BULLETIN, encoding="utf-8")
    if ok_:
        signed = sign_push(config, bulletin, target=value, level=Level.NORMAL,
                           key=district.private_path)
        assert json.loads(signed.envelope)["target"] == value
    else:
        with pytest.raises(OperatorError, match="give a station id"):
            sign_push(config, bulletin, target=value, level=Level.NORMAL,
                      key=district.private_path)


# --- a flood of garbage is not a flood of warnings ------------------------------------------------

def test_skip_warnings_are_one_per_topic_kind_a_minute_with_the_count_of_the_rest(
        tmp_path: Path, district: District, caplog: pytest.LogCaptureFixture) -> None:
    clock = [1000.0]
    collector = Collector(CollectorDB(tmp_path / "collector.db", writer=True), PREFIX,
                          CollectorKeys([district.public_path]), clock=lambda: clock[0])
    receipts, status = f"{PREFIX}/stations/{ONE}/receipts", f"{PREFIX}/stations/{ONE}/status"
    stranger = District(tmp_path / "stranger")

    def warnings() -> list[str]:
        return [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]

    try:
        with caplog.at_level("INFO", logger="broadcaster.upstream.collector"):
            for _ in range(500):
                assert collector.take(receipts, b"garbage", 1.0).startswith("skipped")
            for _ in range(3):
                collector.take(status, b'{"state": "exploded"}', 1.0)
                collector.take(f"{PREFIX}/all/push", stranger.envelope(), 1.0)
            collector.take(f"{PREFIX}/elsewhere", b"{}", 1.0)
            assert len(warnings()) == 4  # receipts, status, push, other: one each
            clock[0] += 59.0
            collector.take(receipts, b"garbage", 1.0)
            assert len(warnings()) == 4  # still within the minute
            clock[0] += 1.0
            collector.take(receipts, b"still garbage", 1.0)
            collector.take(receipts, b"and more", 1.0)
            assert len(warnings()) == 5
            assert warnings()[-1].endswith(
                "(500 more skipped on receipts topics since the last warning)")
            clock[0] += 60.0
            collector.take(status, b'{"state": "exploded"}', 1.0)
            assert warnings()[-1].endswith(
                "(2 more skipped on status topics since the last warning)")
            clock[0] += 60.0
            collector.take(status, b'{"state": "exploded"}', 1.0)
            assert "more skipped" not in warnings()[-1]  # nothing since the last one
    finally:
        collector.db.close()
