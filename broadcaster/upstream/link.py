"""The station's MQTT connection to the district's broker (SPEC §7), in the daemon.

It connects outward (the box is usually behind NAT on 4G) with a fixed client id and a
persistent session, so pushes sent while the box was off wait at the broker; QoS 1
both ways. A push is acknowledged to the broker only once the station thread has
committed it (`ack`), so a power cut between the two gets it delivered again, never
lost. The link decides nothing and owns no database: it posts what arrives to the
station thread — `post("upstream", "push", payload, topic, mid)` and `("upstream",
"connected")` after each (re)connection — and publishes what the station hands it;
`confirmed()` says which receipts the broker has acknowledged.

Topics under `[district] topic_prefix` (P) for station S:
  P/stations/S/push, P/all/push   pushes in (subscribed, QoS 1)
  P/stations/S/chunks/+           chunks of a push's files in (QoS 1), to `on_chunk`
  P/stations/S/need               what the station still lacks of a file (QoS 1, files.py)
  P/stations/S/receipts           receipts out (QoS 1)
  P/stations/S/status             retained status; the last will sets it `offline`
  P/stations/S/heartbeat          retained {"at": …} every minute: "offline since" ≈ it
"""

from __future__ import annotations

import json
import logging
import queue
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any, Literal

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from broadcaster.i18n import N_, _
from broadcaster.model import OperatorError
from broadcaster.upstream.broker_url import parse_broker_url
from broadcaster.upstream.files import Need, need_topic

log = logging.getLogger(__name__)

HEARTBEAT_S = 60.0  # light on a 4G link: one small retained message a minute
KEEPALIVE_S = 60
SESSION_EXPIRY_S = 14 * 86400  # MQTT 5: the broker keeps a silent box's pushes two weeks
RECONNECT_MIN_S, RECONNECT_MAX_S = 1, 120
PROTOCOLS = {"5": MQTTProtocolVersion.MQTTv5, "3.1.1": MQTTProtocolVersion.MQTTv311}

# Operator-facing messages of this module, kept together for translation.
MSG_BAD_BROKER = N_("[district] broker: {reason}")
MSG_NO_ANSWER = N_("the broker closed the connection without answering; if it speaks MQTT "
                   "3.1.1 only (RabbitMQ 3.10), add ?protocol=3.1.1 to [district] broker")
MSG_PASSWORD_UNREADABLE = N_("[district] password_file {path}: cannot read it ({reason})")
MSG_CONNECTED = N_("connected to {where} since {since}")
MSG_NOT_CONNECTED = N_("NOT connected to {where} since {since}{problem}; retrying")
MSG_NOT_CONNECTED_YET = N_("NOT connected to {where} since the daemon started{problem}; "
                           "retrying")


@dataclass(frozen=True)
class BrokerSettings:
    """Where and how to connect: from `[district]` broker URL (broker_url.py: TLS,
    `ca_file`, `protocol=5|3.1.1`), username, password_file."""

    host: str
    port: int
    tls: bool
    ca_file: str | None
    protocol: MQTTProtocolVersion
    username: str | None
    password: str | None
    prefix: str

    @classmethod
    def from_url(cls, url: str, *, username: str | None = None,
                 password_file: str | None = None, prefix: str = "broadcaster",
                 base: Path | None = None) -> BrokerSettings:
        """Raises OperatorError for a URL it cannot use (broker_url.py reads it) or an
        unreadable password file; relative paths are taken from `base` (the config
        file's folder)."""
        try:
            where = parse_broker_url(url)
        except OperatorError as exc:
            raise OperatorError(_(MSG_BAD_BROKER).format(reason=exc)) from None
        ca_file = where.ca_file
        if ca_file and base is not None:
            ca_file = str(base / ca_file)
        password = None
        if password_file:
            path = base / password_file if base is not None else Path(password_file)
            try:
                password = path.read_text(encoding="utf-8").strip()
            except (OSError, UnicodeDecodeError) as exc:
                reason = getattr(exc, "strerror", None) or str(exc)
                raise OperatorError(_(MSG_PASSWORD_UNREADABLE).format(path=path,
                                                                      reason=reason)) from None
        return cls(host=where.host, port=where.port, tls=where.tls, ca_file=ca_file,
                   protocol=PROTOCOLS[where.protocol], username=username or where.username,
                   password=password or where.password, prefix=prefix.strip("/"))

    def client(self, client_id: str, *, persistent: bool,
               manual_ack: bool = False) -> mqtt.Client:
        """A paho client with these credentials and TLS (not connected yet)."""
        v311 = self.protocol is MQTTProtocolVersion.MQTTv311
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id,
                             clean_session=(not persistent) if v311 else None,
                             protocol=self.protocol, manual_ack=manual_ack)
        if self.username:
            client.username_pw_set(self.username, self.password)
        if self.tls:
            client.tls_set(ca_certs=self.ca_file, tls_version=ssl.PROTOCOL_TLS_CLIENT)
        return client

    def connect(self, client: mqtt.Client, *, persistent: bool, blocking: bool) -> None:
        properties = None
        clean_start: bool | Literal[3] = mqtt.MQTT_CLEAN_START_FIRST_ONLY
        if self.protocol is MQTTProtocolVersion.MQTTv5:
            clean_start = not persistent
            if persistent:
                properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]  # paho lacks the hint
                properties.SessionExpiryInterval = SESSION_EXPIRY_S
        if blocking:
            client.connect(self.host, self.port, KEEPALIVE_S, clean_start=clean_start,
                           properties=properties)
        else:
            client.connect_async(self.host, self.port, KEEPALIVE_S, clean_start=clean_start,
                                 properties=properties)

    def topic(self, *parts: str) -> str:
        return "/".join((self.prefix, *parts))

    def describe(self) -> str:
        scheme = "mqtts" if self.tls else "mqtt"
        return f"{scheme}://{self.host}:{self.port}"


def station_client_id(station_id: str) -> str:
    """Fixed per station: the broker keeps its session (subscriptions, queued pushes)."""
    return f"broadcaster-station-{station_id}"


class UpstreamLink:
    """One station's MQTT client, its network thread and its heartbeat.

    `post` is the station's thread-safe inbox. Every public method is safe from any
    thread (paho's publish and ack lock internally)."""

    def __init__(self, settings: BrokerSettings, station_id: str,
                 post: Callable[..., None], *, name: str | None = None,
                 heartbeat_s: float = HEARTBEAT_S, client_id: str | None = None,
                 on_chunk: Callable[[str, bytes], None] | None = None) -> None:
        self.settings = settings
        self._on_chunk = on_chunk
        self.station_id = station_id
        self.name = name
        self._post = post
        self._heartbeat_s = heartbeat_s
        self._client = settings.client(client_id or station_client_id(station_id),
                                       persistent=True, manual_ack=True)
        self._lock = threading.Lock()
        self._receipts: dict[int, int] = {}  # paho's message id → receipt id, until PUBACK
        # PUBACKs, from paho's thread: a queue, not our lock, which paho's own lock would
        # meet the other way round in publish_receipt
        self._acknowledged: queue.SimpleQueue[int] = queue.SimpleQueue()
        self._connected_since: float | None = None
        self._disconnected_since: float | None = time.time()
        self._last_problem = ""
        self._answered = False  # a CONNACK came on this connection
        self._details: dict[str, Any] = {}
        self._stop = threading.Event()
        self._heartbeat: threading.Thread | None = None
        client = self._client
        client.reconnect_delay_set(RECONNECT_MIN_S, RECONNECT_MAX_S)
        client.will_set(self._topic("status"), self._status_body("offline", None), qos=1,
                        retain=True)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_publish = lambda _c, _u, mid, _reason, _props: self._acknowledged.put(mid)

    def _topic(self, leaf: str) -> str:
        return self.settings.topic("stations", self.station_id, leaf)

    @property
    def push_topics(self) -> tuple[str, str]:
        return self._topic("push"), self.settings.topic("all", "push")

    @property
    def chunk_topics(self) -> str:
        return self._topic("chunks/+")

    # --- running ------------------------------------------------------------------------

    def start(self) -> None:
        """Connect in the background and keep reconnecting (1 s, doubling to 2 min)."""
        self.settings.connect(self._client, persistent=True, blocking=False)
        self._client.loop_start()
        self._heartbeat = threading.Thread(target=self._beat, name="upstream-heartbeat",
                                           daemon=True)
        self._heartbeat.start()

    def stop(self, timeout_s: float = 2.0) -> None:
        """Say `offline` (retained) and disconnect cleanly; gives up after `timeout_s`."""
        self._stop.set()
        if self.connected:
            info = self._client.publish(self._topic("status"),
                                        self._status_body("offline", time.time()),
                                        qos=1, retain=True)
            deadline = time.monotonic() + timeout_s
            while not _published(info) and time.monotonic() < deadline and self.connected:
                time.sleep(0.01)
        self._client.disconnect()
        self._client.loop_stop()

    @property
    def connected(self) -> bool:
        return self._connected_since is not None

    def describe(self, zone: tzinfo | None = None) -> str:
        """One line for `broadcaster status`, its times on the station's clock (`zone`,
        like every other time `status` shows)."""
        where = self.settings.describe()

        def clock(moment: float) -> str:
            return datetime.fromtimestamp(moment, zone).strftime("%Y-%m-%d %H:%M:%S")
        if self._connected_since is not None:
            return _(MSG_CONNECTED).format(where=where, since=clock(self._connected_since))
        problem = f" ({self._last_problem})" if self._last_problem else ""
        if self._disconnected_since is None:
            return _(MSG_NOT_CONNECTED_YET).format(where=where, problem=problem)
        return _(MSG_NOT_CONNECTED).format(where=where, since=clock(self._disconnected_since),
                                           problem=problem)

    # --- what the station hands over ----------------------------------------------------

    def ack(self, mid: int) -> None:
        """Tell the broker a push is taken (after the station committed it)."""
        self._client.ack(mid, 1)

    def publish_receipt(self, receipt_id: int, body: str) -> None:
        """Send a receipt (QoS 1). paho keeps it until the broker's PUBACK, resending after
        a reconnection; `confirmed` then names it. A receipt already handed over is not
        sent twice; one handed while disconnected goes out on reconnection."""
        with self._lock:
            if receipt_id in self._receipts.values():
                return
            info = self._client.publish(self._topic("receipts"), body.encode("utf-8"), qos=1)
            self._receipts[info.mid] = receipt_id

    def confirmed(self) -> list[int]:
        """Receipts the broker acknowledged since the last call (the outbox lets them go)."""
        done = []
        while True:
            try:
                mid = self._acknowledged.get_nowait()
            except queue.Empty:
                break
            with self._lock:
                receipt_id = self._receipts.pop(mid, None)
            if receipt_id is not None:
                done.append(receipt_id)
        return done

    def ask(self, need: Need) -> bool:
        """Ask the depot for chunks (QoS 1); False when not connected (asked again on
        reconnection), so a request never waits in paho's queue to come twice."""
        if not self.connected:
            return False
        self._client.publish(need_topic(self.settings.prefix, self.station_id), need.body(),
                             qos=1)
        return True

    def show(self, details: dict[str, Any]) -> None:
        """The station's state for the retained status (on air, last aired, last error);
        published when it changed."""
        if details == self._details:
            return
        self._details = dict(details)
        if self.connected:
            self._publish_status()

    # --- paho's callbacks (its network thread) -------------------------------------------

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: mqtt.ConnectFlags,
                    reason: ReasonCode, properties: Properties | None) -> None:
        self._answered = True
        if reason.is_failure:
            self._last_problem = f"broker refused: {reason}"
            log.warning("upstream broker refused the connection: %s", reason)
            return
        self._connected_since = time.time()
        self._last_problem = ""
        log.info("upstream link connected to %s (session %s)", self.settings.describe(),
                 "resumed" if flags.session_present else "new")
        client.subscribe([(topic, 1) for topic in (*self.push_topics, self.chunk_topics)])
        self._publish_status()
        self._publish_heartbeat()
        self._post("upstream", "connected")

    def _on_disconnect(self, client: mqtt.Client, userdata: Any,
                       flags: mqtt.DisconnectFlags, reason: ReasonCode,
                       properties: Properties | None) -> None:
        if self._connected_since is not None:
            self._disconnected_since = time.time()
        self._connected_since = None
        unanswered, self._answered = not self._answered, False
        if self._stop.is_set():
            return
        if unanswered and self.settings.protocol is MQTTProtocolVersion.MQTTv5:
            # what a 3.1.1-only broker does with an MQTT 5 CONNECT: no CONNACK, a close
            self._last_problem = _(MSG_NO_ANSWER)
            log.warning("upstream broker closed the connection without a CONNACK (MQTT 5 "
                        "asked; a 3.1.1-only broker wants ?protocol=3.1.1); reconnecting")
        else:
            self._last_problem = f"connection lost: {reason}"
            log.warning("upstream link lost: %s; reconnecting", reason)

    def _on_message(self, client: mqtt.Client, userdata: Any,
                    message: mqtt.MQTTMessage) -> None:
        chunks = self.chunk_topics[:-1]
        if message.topic.startswith(chunks):
            # handed over at once (the receiver writes it on its own thread); one lost to a
            # power cut is asked for again, so it is acknowledged now
            if self._on_chunk is not None:
                self._on_chunk(message.topic[len(chunks):], bytes(message.payload))
            if message.qos:
                client.ack(message.mid, message.qos)
            return
        if message.qos == 0:  # nothing to acknowledge; still checked like any push
            self._post("upstream", "push", bytes(message.payload), message.topic, None)
        else:
            self._post("upstream", "push", bytes(message.payload), message.topic, message.mid)

    # --- status and heartbeat ---------------------------------------------------------------

    def _status_body(self, state: str, since: float | None) -> bytes:
        from broadcaster import __version__

        body: dict[str, Any] = {"v": 1, "station": self.station_id, "name": self.name,
                                "state": state, "since": _utc(since) if since else None,
                                "software": __version__}
        if state == "online":
            body.update(self._details)
        return json.dumps(body, ensure_ascii=False).encode("utf-8")

    def _publish_status(self) -> None:
        self._client.publish(self._topic("status"),
                             self._status_body("online", self._connected_since), qos=1,
                             retain=True)

    def _publish_heartbeat(self) -> None:
        body = json.dumps({"station": self.station_id, "at": _utc(time.time())})
        self._client.publish(self._topic("heartbeat"), body, qos=0, retain=True)

    def _beat(self) -> None:
        while not self._stop.wait(self._heartbeat_s):
            if self.connected:
                self._publish_heartbeat()


def _utc(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds") \
        .replace("+00:00", "Z")


def _published(info: mqtt.MQTTMessageInfo) -> bool:
    """Has the broker got it? False also when it never will: paho raises (RuntimeError,
    ValueError) when the connection was lost or its queue was full, which must not stop
    the daemon from stopping."""
    try:
        return info.is_published()
    except (RuntimeError, ValueError):
        return False
