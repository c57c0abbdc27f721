"""The upstream link over real brokers on 127.0.0.1, each test on Mosquitto (MQTT 5 and
3.1.1) and on RabbitMQ's MQTT plugin (3.1.1): pushes reach the station, receipts reach
the district in order, nothing is lost while the station or the broker is down; a
two-node RabbitMQ cluster, a station's account and its topic ACLs."""

from __future__ import annotations

import concurrent.futures
import json
import secrets
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from broadcaster.config import load_config
from broadcaster.model import Level, Outcome
from broadcaster.store import Store
from broadcaster.upstream import inbox
from broadcaster.upstream.link import BrokerSettings, UpstreamLink, station_client_id
from broadcaster.upstream.pushes import Upstream
from tests.support.broker import (  # noqa: F401  # the fixtures
    AnyBroker,
    Broker,
    RabbitCluster,
    RabbitNode,
    forget_sessions,
    rabbitmq_cluster,
    rabbitmq_node,
    running_broker,
)
from tests.support.upstream import PREFIX, District, LinkStation, Listener, station_config
from tests.support.waiting import wait_until

STATION = "tan-phong"
PUSH_ALL = f"{PREFIX}/all/push"
PUSH_ONE = f"{PREFIX}/stations/{STATION}/push"


@pytest.fixture(params=["mosquitto", "mosquitto-3.1.1", "rabbitmq"])
def broker(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[AnyBroker]:
    """Every test here runs on Mosquitto (MQTT 5, then 3.1.1 on the URL) and RabbitMQ."""
    yield from running_broker(request.param, request, tmp_path)


@pytest.fixture
def district(tmp_path: Path) -> District:
    return District(tmp_path / "district")


@pytest.fixture
def listener(broker: AnyBroker) -> Iterator[Listener]:
    ear = Listener(broker)
    yield ear
    ear.close()


@pytest.fixture
def station(tmp_path: Path, broker: AnyBroker, district: District,
            listener: Listener) -> Iterator[LinkStation]:
    running = LinkStation(tmp_path / "station", STATION, broker, [district.public_path])
    running.start()
    listener.status(STATION, "online")
    yield running
    running.stop()


def air_everything(store: Store, upstream: Upstream) -> int:
    """What the player would do: air every pending entry (as-run line `aired`)."""
    entries = store.pending()
    for entry in entries:
        store.finish(entry, Outcome.AIRED, started_at=entry.due_at, ended_at=entry.due_at + 30,
                     engine="espeak")
    return len(entries)


def all_sent(station: LinkStation) -> bool:
    """Whether the outbox is empty: the broker acknowledged every receipt."""
    return not station.run(lambda _, upstream: upstream.records.unsent())


def kinds(receipts: list[dict[str, object]]) -> list[object]:
    return [receipt["receipt"] for receipt in receipts]


def test_a_priority_push_is_queued_aired_and_its_receipts_arrive_in_order(
        station: LinkStation, district: District, listener: Listener) -> None:
    raw = district.envelope(level=Level.PRIORITY)
    message_id = json.loads(raw)["id"]
    listener.publish(PUSH_ALL, raw)
    assert kinds(listener.receipts(message_id, 2)) == ["received", "accepted"]
    (entry,) = station.run(lambda store, _: store.pending())
    assert (entry.source, entry.reference, entry.level) == ("upstream", message_id,
                                                            Level.PRIORITY)
    assert station.run(air_everything) == 1
    receipts = listener.receipts(message_id, 3)
    assert kinds(receipts) == ["received", "accepted", "aired"]
    assert receipts[2]["as_run"]["engine"] == "espeak"
    wait_until(lambda: all_sent(station), "the broker to acknowledge every receipt", 5.0)


def test_a_normal_push_waits_for_the_operator_who_accepts_it(
        station: LinkStation, district: District, listener: Listener) -> None:
    raw = district.envelope(level=Level.NORMAL, target=STATION)
    message_id = json.loads(raw)["id"]
    listener.publish(PUSH_ONE, raw)
    assert kinds(listener.receipts(message_id, 1)) == ["received"]
    (waiting,) = inbox.waiting(station.config)
    assert station.run(lambda store, _: store.pending()) == []
    inbox.accept(station.config, waiting.id)  # the operator's CLI: another connection
    assert kinds(listener.receipts(message_id, 2)) == ["received", "accepted"]


def test_a_tampered_push_is_answered_rejected_over_the_wire(
        station: LinkStation, district: District, listener: Listener) -> None:
    fields = json.loads(district.envelope(level=Level.EMERGENCY))
    fields["payload"] = fields["payload"].replace("chằng chống", "sơ tán")
    listener.publish(PUSH_ALL, json.dumps(fields).encode())
    (receipt,) = listener.receipts(fields["id"], 1)
    assert receipt["receipt"] == "rejected" and "signature" in receipt["reason"]
    assert station.run(lambda store, _: store.pending()) == []


def test_a_station_that_was_off_gets_the_push_when_it_comes_back(
        tmp_path: Path, broker: AnyBroker, district: District,
        listener: Listener) -> None:
    station = LinkStation(tmp_path / "station", STATION, broker, [district.public_path])
    station.start()
    listener.status(STATION, "online")
    station.stop()  # the box is switched off: its session stays at the broker
    listener.status(STATION, "offline")
    raw = district.envelope(level=Level.EMERGENCY, target=STATION)
    message_id = json.loads(raw)["id"]
    listener.publish(PUSH_ONE, raw)
    station.start()
    try:
        assert kinds(listener.receipts(message_id, 2)) == ["received", "accepted"]
        (entry,) = station.run(lambda store, _: store.pending())
        assert entry.level is Level.EMERGENCY and entry.reference == message_id
    finally:
        station.stop()


def test_the_broker_restarts_and_no_receipt_is_lost(
        station: LinkStation, broker: AnyBroker, district: District,
        listener: Listener) -> None:
    pushes = [district.envelope(level=Level.PRIORITY) for _ in range(3)]
    ids = [json.loads(raw)["id"] for raw in pushes]
    for raw in pushes:
        listener.publish(PUSH_ALL, raw)
    for message_id in ids:
        listener.receipts(message_id, 2)
    broker.stop()
    assert station.run(air_everything) == 3  # aired while the broker is down
    unsent = station.run(lambda _, upstream: upstream.records.unsent())
    assert [json.loads(r.body)["receipt"] for r in unsent] == ["aired"] * 3
    broker.start()
    for message_id in ids:
        assert kinds(listener.receipts(message_id, 3, timeout=30)) == [
            "received", "accepted", "aired"]
    listener.status(STATION, "online")
    wait_until(lambda: all_sent(station), "the broker to acknowledge every receipt", 5.0)


def test_receipts_made_while_the_station_is_off_are_sent_when_it_starts(
        station: LinkStation, district: District, listener: Listener) -> None:
    raw = district.envelope(level=Level.NORMAL)
    message_id = json.loads(raw)["id"]
    listener.publish(PUSH_ALL, raw)
    listener.receipts(message_id, 1)
    station.stop()
    (waiting,) = inbox.waiting(station.config)
    inbox.reject(station.config, waiting.id, "không phù hợp với xã")  # daemon down
    station.start()
    rejected = listener.receipts(message_id, 2)[1]
    assert (rejected["receipt"], rejected["reason"]) == ("rejected", "không phù hợp với xã")


@dataclass(frozen=True)
class _Ran:
    exit_code: int
    output: str  # standard output: receipts, tables
    error: str  # the one-line refusal, if any


def _district(args: list[str]) -> _Ran:
    """`broadcaster district ARGS` as the district's operator runs it: its own process."""
    done = subprocess.run([sys.executable, "-m", "broadcaster", "district", *args],
                          capture_output=True, text=True, timeout=60, check=False)
    return _Ran(done.returncode, done.stdout, done.stderr)


def test_the_district_pushes_a_file_and_sees_every_station(
        tmp_path: Path, broker: AnyBroker, station: LinkStation,
        district: District) -> None:
    other = LinkStation(tmp_path / "other", "xa-ben-canh", broker, [district.public_path])
    other.start()
    config = station_config(tmp_path / "district-side", "huyen", broker.url, [])
    key = tmp_path / "district-side" / "keys" / "district.key"
    made = _district(["keygen", "--key", str(key), "--config", str(config)])
    assert made.exit_code == 0, made.output
    # the stations trust the old key only: a push signed with the new one is refused
    bulletin = tmp_path / "bulletin.yaml"
    bulletin.write_text("title: Thông báo\nitems:\n  - say: Họp dân lúc 8 giờ.\n",
                        encoding="utf-8")
    pushed = _district(["push", str(bulletin), "--to", "all", "--level",
                                          "priority", "--key", str(key), "--wait",
                                          "--timeout", "5", "--config", str(config)])
    assert pushed.exit_code == 1 and "trusted_keys" in pushed.output
    # `push --to all --wait` and `district status` learn who is online from the retained
    # statuses (a wildcard subscription): RabbitMQ sends no retained message to a wildcard,
    # so there `--wait` stops at the first station's answer and `status` sees no station
    retained_to_wildcards = isinstance(broker, Broker)
    assert pushed.output.count("rejected") == (2 if retained_to_wildcards else 1)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pushing = pool.submit(_district, [
            "push", str(bulletin), "--to", STATION, "--level", "priority",
            "--key", str(district.private_path), "--wait", "--timeout", "30",
            "--config", str(config)])
        # the station airs it as its player would: `aired`, the last receipt waited for
        wait_until(lambda: station.run(air_everything), "the push queued at the station")
        pushed = pushing.result(timeout=60)
    assert pushed.exit_code == 0, pushed.output
    assert f"{STATION}  received" in pushed.output and f"{STATION}  accepted" in pushed.output
    assert f"{STATION}  aired" in pushed.output
    other.stop()
    if not retained_to_wildcards:
        return
    status = _district(["status", "--json", "--config", str(config)])
    assert status.exit_code == 0, status.output
    states = {row["station"]: row for row in json.loads(status.output)}
    assert states[STATION]["state"] == "online" and states[STATION]["name"]
    assert states["xa-ben-canh"]["state"] == "offline" and states["xa-ben-canh"]["since"]


def test_a_push_crosses_a_two_node_rabbitmq_cluster(
        tmp_path: Path, rabbitmq_cluster: RabbitCluster,  # noqa: F811
        district: District) -> None:
    """The province's sender on node 1, its communes on node 2: the push and every
    receipt cross the cluster; nothing depends on a retained message crossing nodes."""
    near, far = rabbitmq_cluster.nodes
    ear = Listener(near, client_id="province-listener")
    stations = [LinkStation(tmp_path / name, name, far, [district.public_path])
                for name in (STATION, "xa-ben-canh")]
    try:
        for station in stations:
            station.start()
            ear.status(station.station_id, "online")  # live, from node 2 to node 1
        raw = district.envelope(level=Level.PRIORITY)
        message_id = json.loads(raw)["id"]
        ear.publish(PUSH_ALL, raw)
        receipts = ear.receipts(message_id, 4)
        assert sorted((r["station"], r["receipt"]) for r in receipts) == [
            (STATION, "accepted"), (STATION, "received"),
            ("xa-ben-canh", "accepted"), ("xa-ben-canh", "received")]
        assert stations[0].run(air_everything) == 1
        # the district's own command, connected to node 1, waits for the aired receipt
        config = station_config(tmp_path / "province", "tinh", near.url, [])
        bulletin = tmp_path / "bulletin.yaml"
        bulletin.write_text("title: Thông báo\nitems:\n  - say: Họp dân lúc 8 giờ.\n",
                            encoding="utf-8")
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            pushing = pool.submit(_district, [
                "push", str(bulletin), "--to", STATION, "--level", "priority",
                "--key", str(district.private_path), "--wait", "--timeout", "30",
                "--config", str(config)])
            wait_until(lambda: stations[0].run(air_everything),
                       "the district's push queued at the station")
            pushed = pushing.result(timeout=60)
        assert pushed.exit_code == 0, pushed.output + pushed.error
        for receipt in ("received", "accepted", "aired"):
            assert f"{STATION}  {receipt}" in pushed.output
    finally:
        for station in stations:
            station.stop()
        ear.close()
        forget_sessions(far)


def test_a_station_account_speaks_only_for_itself_on_rabbitmq(
        tmp_path: Path, rabbitmq_node: RabbitNode, district: District) -> None:  # noqa: F811
    """README's province deployment: one account per station, its topic ACLs. The station
    connects with its `username` and `password_file`, takes its pushes and answers; the
    same account cannot speak for another station, nor connect with a wrong password."""
    node = rabbitmq_node
    if not node.running:
        node.start()
    password = secrets.token_hex(12)
    session = f"mqtt-subscription-{station_client_id(STATION)}qos[01]"
    node.ctl("add_user", STATION, password)
    try:
        node.ctl("set_permissions", "-p", "/", STATION, f"^{session}$",
                 rf"^(amq\.topic|{session})$", rf"^(amq\.topic|{session})$")
        node.ctl("set_topic_permissions", "-p", "/", STATION, "amq.topic",
                 rf"^{PREFIX}\.stations\.{{username}}\.(receipts|status|heartbeat|need)$",
                 rf"^{PREFIX}\.((stations\.{{username}}|all)\.push"
                 rf"|stations\.{{username}}\.chunks\..+)$")
        (tmp_path / "station").mkdir()
        (tmp_path / "station" / "broker.password").write_text(password + "\n")
        station = LinkStation(tmp_path / "station", STATION, node, [district.public_path])
        with station.config_file.open("a", encoding="utf-8") as config:  # [district] is last
            config.write(f'username = "{STATION}"\npassword_file = "broker.password"\n')
        station.config = load_config(station.config_file)
        ear = Listener(node)
        station.start()
        try:
            ear.status(STATION, "online")
            raw = district.envelope(level=Level.PRIORITY)
            ear.publish(PUSH_ALL, raw)
            assert kinds(ear.receipts(json.loads(raw)["id"], 2)) == ["received", "accepted"]
        finally:
            station.stop()
            ear.close()
        settings = BrokerSettings.from_url(node.url, username=STATION,
                                           password_file=str(tmp_path / "station" /
                                                             "broker.password"))
        intruder = settings.client("intruder", persistent=False)
        lost = threading.Event()
        intruder.on_disconnect = lambda *_: lost.set()
        settings.connect(intruder, persistent=False, blocking=True)
        intruder.loop_start()
        try:
            intruder.publish(f"{PREFIX}/stations/an-binh/receipts", b"{}", qos=1)
            assert lost.wait(10), "the broker let tan-phong speak for an-binh"
        finally:
            intruder.loop_stop()
        wrong = BrokerSettings.from_url(node.url.replace("mqtt://", "mqtt://tan-phong:x@"))
        refused: list[str] = []
        client = wrong.client("wrong-password", persistent=False)
        client.on_connect = lambda _c, _u, _f, reason, _p: refused.append(str(reason))
        wrong.connect(client, persistent=False, blocking=True)
        client.loop_start()
        try:
            wait_until(lambda: refused, "the broker's answer to a wrong password")
            assert refused == ["Bad user name or password"]
        finally:
            client.loop_stop()
    finally:
        node.ctl("delete_user", STATION)
        forget_sessions(node)


def test_a_station_speaking_mqtt_5_to_rabbitmq_is_told_to_write_the_version(
        rabbitmq_node: RabbitNode) -> None:  # noqa: F811
    """RabbitMQ 3.10 closes an MQTT 5 connection without a word: the station's status
    says what to write instead of 'connection lost'."""
    node = rabbitmq_node
    if not node.running:
        node.start()
    settings = BrokerSettings.from_url(node.url.split("?")[0], prefix=PREFIX)  # MQTT 5
    link = UpstreamLink(settings, "mqtt-5-station", lambda *_: None)
    link.start()
    try:
        wait_until(lambda: "protocol=3.1.1" in link.describe(), "the hint in the status")
        assert not link.connected
        assert link.describe().endswith(
            "(the broker closed the connection without answering; if it speaks MQTT 3.1.1 "
            "only (RabbitMQ 3.10), add ?protocol=3.1.1 to [district] broker); retrying")
    finally:
        link.stop()


def test_a_publish_the_broker_will_never_get_reads_as_not_published() -> None:
    """paho raises from `is_published()` when the connection was lost (or its queue was
    full) before the message left: stopping the link must not raise with it."""
    from paho.mqtt.client import MQTTMessageInfo
    from paho.mqtt.enums import MQTTErrorCode

    from broadcaster.upstream.link import _published

    for code in (MQTTErrorCode.MQTT_ERR_NO_CONN, MQTTErrorCode.MQTT_ERR_QUEUE_SIZE,
                 MQTTErrorCode.MQTT_ERR_CONN_LOST):
        info = MQTTMessageInfo(1)
        info.rc = code
        assert _published(info) is False
    sent = MQTTMessageInfo(2)
    sent._set_as_published()
    assert _published(sent) is True
