"""The receipt collector (`broadcaster district collect`): a long-running MQTT client at
the district or province that stores every push, receipt and station status in its own
database (collector_db.py), so `district report` and `district status` answer after the
fact which stations aired a push, when, and why not.

It connects with a fixed client id and a persistent session (what stations send while it
is down waits at the broker), subscribes with QoS 1 to, under the topic prefix P:

  P/all/push, P/stations/+/push    pushes and revocations (the target a report needs)
  P/stations/+/receipts            receipts
  P/stations/+/status              status, and the last will's `offline`
  P/stations/+/heartbeat           heartbeats
  P/stations/+/need                stations asking for chunks of a push's files

and acknowledges each message to the broker only once it is committed (a request for
chunks: once it is queued). The requests go to the file depot beside its database
(depot.py: `<data_dir>/district/files`, where `district push` puts the files), which
answers each on P/stations/S/chunks/SHA from a thread of its own. A push is recorded
only when its Ed25519 signature verifies against a key the province trusts (CollectorKeys:
`[district] trusted_keys` and the public keys in its own key folder): anyone who can
publish on the broker could otherwise pre-empt a push's id with a false target, and the
report would list the wrong stations. Receipts are stored whatever the push: a report
of an id whose push was never validly seen says so. A `rejected` receipt that names a
`chunk` refuses one chunk of a file, not the push (the station asks for it again): it is
stored as CHUNK_REJECTED, a note a report counts, never the station's answer. Station state
comes from live messages: a retained one (sent on subscribing, and by some brokers not
at all to a wildcard subscription) only fills in a station it knows nothing of yet.
Anything it cannot use (not JSON, an unexpected topic, a body that is not what the topic
carries, a message over MAX_MESSAGE_BYTES, a push not validly signed) is skipped, never
fatal, and logged: at most one warning per topic kind (push, receipts, status, heartbeat,
need, other) a minute, which counts what was skipped since the last one.

`read_message` decides what a message is (pure); `Collector.take` stores it; `run` is
the network loop (paho's, on the calling thread, reconnecting 1 s doubling to 2 min).
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from broadcaster.i18n import N_, _
from broadcaster.model import OperatorError
from broadcaster.upstream.broker_url import is_station_id
from broadcaster.upstream.collector_db import (
    CollectorDB,
    Push,
    Receipt,
    StationRow,
    receipt_kind,
    utc_moment,
)
from broadcaster.upstream.envelope import MAX_BYTES, Envelope, TrustedKeys
from broadcaster.upstream.files import Need, read_need

if TYPE_CHECKING:
    import paho.mqtt.client as mqtt
    from paho.mqtt.properties import Properties
    from paho.mqtt.reasoncodes import ReasonCode

    from broadcaster.config import Config
    from broadcaster.upstream.link import BrokerSettings

log = logging.getLogger(__name__)

CLIENT_ID = "broadcaster-collector"
MAX_MESSAGE_BYTES = MAX_BYTES + 4096  # a push at its largest; receipts are far smaller
_TEXT_MAX = 2000  # a reason or title longer than this is cut (the body keeps it whole)
SKIP_WARNING_EVERY_S = 60.0  # per topic kind: a flood of garbage is not a flood of log lines
TOPIC_KINDS = ("push", "receipts", "status", "heartbeat", "need")  # and "other"

MSG_ALREADY_COLLECTING = N_("a receipt collector already runs on {path} (pid {pid}); stop it "
                           "first (sudo systemctl stop broadcaster-collector)")
MSG_NO_KEYS = N_("no key to check pushes with: list the province's public keys in "
                 "[district] trusted_keys, or make its key with `broadcaster province "
                 "keygen` (its public half goes to {folder})")


# --- the keys a push must be signed with ---------------------------------------------------------

class CollectorKeys:
    """The keys a push must be signed with to be recorded: the files (or folders of
    `*.pub`, `*.pem`) of `[district] trusted_keys`, and every `*.pub` in the province's
    own key folder (where keygen and rotate write). Read again when a push names a key
    not among them and those files changed (a key rotated while the collector runs)."""

    def __init__(self, paths: list[Path], folder: Path | None = None) -> None:
        """Raises OperatorError naming a key file that is missing or not a public key."""
        self._paths = paths
        self._folder = folder
        self._files = self._listing()
        self.keys = TrustedKeys.load([Path(name) for name, _stamp in self._files])

    def verify(self, envelope: Envelope) -> None:
        """Raises Refused unless `envelope` is signed by one of these keys."""
        if envelope.key_id not in self.keys.keys:
            self._reread()
        self.keys.verify(envelope)

    def _listing(self) -> tuple[tuple[str, float], ...]:
        files: list[Path] = []
        for path in self._paths:
            files += sorted([*path.glob("*.pub"), *path.glob("*.pem")]) if path.is_dir() \
                else [path]
        if self._folder is not None and self._folder.is_dir():
            files += sorted(self._folder.glob("*.pub"))
        return tuple((str(file), _stamp(file)) for file in dict.fromkeys(files))

    def _reread(self) -> None:
        listing = self._listing()
        if listing == self._files:
            return
        self._files = listing
        try:
            self.keys = TrustedKeys.load([Path(name) for name, _stamp in listing])
        except OperatorError as exc:
            log.warning("could not read the keys again (%s); pushes are checked with the "
                        "%d read before", exc, len(self.keys.keys))
            return
        log.info("keys read again: %d", len(self.keys.keys))


def _stamp(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return -1.0


def collector_keys(config: Config) -> CollectorKeys:
    """The keys of `config`'s province: `[district] trusted_keys` (relative to the config
    file's folder) and `<data_dir>/district/*.pub`. Raises OperatorError when a file is
    unreadable or there is no key at all (every push would be skipped)."""
    from broadcaster.upstream.district import default_key_path

    base = config.source.parent if config.source else Path.cwd()
    folder = default_key_path(config).parent
    keys = CollectorKeys([base / Path(name).expanduser()
                          for name in config.district.trusted_keys], folder)
    if not keys.keys.keys:
        raise OperatorError(_(MSG_NO_KEYS).format(folder=folder))
    return keys


# --- what a message is (pure) -----------------------------------------------------------------

@dataclass(frozen=True)
class Skipped:
    why: str


@dataclass(frozen=True)
class StatusMessage:
    station: str
    state: str  # online, offline
    since: float | None  # the station's own "since" (None in the last will)
    name: str | None
    body: dict[str, Any]


@dataclass(frozen=True)
class HeartbeatMessage:
    station: str
    at: float | None


Message = Push | Receipt | StatusMessage | HeartbeatMessage | Skipped


def read_message(prefix: str, topic: str, payload: bytes, now: float,
                 keys: CollectorKeys) -> Message:
    """What a message on `topic` is, or why it is skipped (a push: unless `keys` verify
    its signature). Never raises."""
    if len(payload) > MAX_MESSAGE_BYTES:
        return Skipped(f"{len(payload)} bytes, more than {MAX_MESSAGE_BYTES}")
    rest = _under(prefix, topic)
    if rest is None:
        return Skipped("not under the topic prefix")
    if rest == ["all", "push"]:
        return _push(payload, now, keys)
    if len(rest) != 3 or rest[0] != "stations" or not is_station_id(rest[1]):
        return Skipped("not a topic the collector reads")
    station, leaf = rest[1], rest[2]
    if leaf == "push":
        return _push(payload, now, keys)
    body = _json(payload)
    if body is None:
        return Skipped("not a JSON object")
    named = body.get("station")
    if named is not None and named != station:  # the topic is the station's (broker ACLs)
        return Skipped(f"says station {str(named)[:64]!r} on {station}'s topic")
    if leaf == "receipts":
        return _receipt(station, body, now)
    if leaf == "status":
        state = body.get("state")
        if state not in ("online", "offline"):
            return Skipped("a status that is neither online nor offline")
        name = body.get("name")
        return StatusMessage(station, state, utc_moment(body.get("since")),
                             name[:_TEXT_MAX] if isinstance(name, str) else None, body)
    if leaf == "heartbeat":
        return HeartbeatMessage(station, utc_moment(body.get("at")))
    return Skipped("not a topic the collector reads")


def _under(prefix: str, topic: str) -> list[str] | None:
    """The levels of `topic` after the prefix; None when it is not under it."""
    parts = topic.split("/")
    head = prefix.strip("/").split("/") if prefix.strip("/") else []
    return parts[len(head):] if parts[:len(head)] == head else None


def _push(payload: bytes, now: float, keys: CollectorKeys) -> Message:
    from broadcaster.upstream.envelope import Refused, open_envelope

    try:
        envelope = open_envelope(payload, MAX_MESSAGE_BYTES)
    except Refused as refused:
        return Skipped(f"a push that is not an envelope ({refused.reason})")
    try:
        keys.verify(envelope)
    except Refused as refused:
        return Skipped(f"push {envelope.id[:64]!r} not recorded: {refused.reason}")
    kind = getattr(envelope, "kind", "push")
    if kind not in ("push", "revoke", "slot"):
        return Skipped(f"an envelope of kind {str(kind)[:32]!r}")
    level = getattr(envelope.level, "value", None)
    return Push(message_id=envelope.id, target=envelope.target, level=level, kind=kind,
                key_id=envelope.key_id, issued=envelope.issued.timestamp(),
                expires=envelope.expires.timestamp(), seen_at=now)


def _receipt(station: str, body: dict[str, Any], now: float) -> Message:
    kind = body.get("receipt")
    message_id = body.get("message_id")
    if not isinstance(kind, str) or not kind or len(kind) > 32:
        return Skipped("a receipt without its kind")
    kind = str(receipt_kind(body))  # a chunk refused is a note, not the push refused
    if message_id is not None and not isinstance(message_id, str):
        return Skipped("a receipt whose message_id is not text")
    found = body.get("as_run")
    as_run: dict[str, Any] = found if isinstance(found, dict) else {}
    reason = body.get("reason") or as_run.get("reason")
    title = body.get("title") or as_run.get("title")
    engine = as_run.get("engine")
    return Receipt(station=station, message_id=message_id[:200] if message_id else None,
                   kind=kind, reason=_text(reason), title=_text(title),
                   started=utc_moment(as_run.get("started")),
                   ended=utc_moment(as_run.get("ended")),
                   engine=_text(engine), duplicate=body.get("duplicate") is True,
                   sent_at=utc_moment(body.get("at")), received_at=now)


def _json(payload: bytes) -> dict[str, Any] | None:
    try:
        body = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    return body if isinstance(body, dict) else None


def _text(value: object) -> str | None:
    return value[:_TEXT_MAX] if isinstance(value, str) and value else None


# --- storing it --------------------------------------------------------------------------------

class Collector:
    """The collector's database and what each message changes in it."""

    def __init__(self, db: CollectorDB, prefix: str, keys: CollectorKeys,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.db = db
        self.prefix = prefix
        self.keys = keys
        self.skips = SkipWarnings(clock)

    def take(self, topic: str, payload: bytes, now: float, *, retained: bool = False) -> str:
        """Store one message in one transaction; returns what became of it ("stored",
        "repeated", "kept" for a retained message that changed nothing, or "skipped: …")."""
        message = read_message(self.prefix, topic, payload, now, self.keys)
        if isinstance(message, Skipped):
            self.skips.skipped(topic_kind(topic), topic, len(payload), message.why)
            return f"skipped: {message.why}"
        with self.db.transaction() as db:
            if isinstance(message, Push):
                self.db.add_push(db, message)
                return "stored"
            heard = self.db.station(db, message.station) or StationRow(
                station=message.station, name=None, state=None, since=None, last_heard=None,
                first_heard=now, status={}, heartbeat=None)
            if isinstance(message, Receipt):
                digest = hashlib.sha256(topic.encode("utf-8") + b"\0" + payload).hexdigest()
                if not self.db.add_receipt(db, message, digest, payload.decode("utf-8")):
                    return "repeated"
                self.db.put_station(db, replace(heard, last_heard=now))
                return "stored"
            after = _retained_after(heard, message) if retained \
                else _station_after(heard, message, now)
            if after == heard:
                return "kept"
            self.db.put_station(db, after)
        return "stored"


class SkipWarnings:
    """At most one warning per topic kind per SKIP_WARNING_EVERY_S; the next one says how
    many were skipped quietly (logged at debug) since. `clock`: monotonic seconds."""

    def __init__(self, clock: Callable[[], float] = time.monotonic,
                 every_s: float = SKIP_WARNING_EVERY_S) -> None:
        self._clock = clock
        self._every_s = every_s
        self._warned: dict[str, float] = {}
        self._quiet: dict[str, int] = {}

    def skipped(self, kind: str, topic: str, size: int | None, why: str) -> None:
        """Log one skipped message (`size`: its bytes, None for a request in part)."""
        now = self._clock()
        last = self._warned.get(kind)
        what = f"a message on {topic[:200]!r}" + (f" ({size} bytes)" if size is not None
                                                 else "")
        if last is not None and now - last < self._every_s:
            self._quiet[kind] = self._quiet.get(kind, 0) + 1
            log.debug("skipped %s: %s", what, why)
            return
        self._warned[kind] = now
        quiet = self._quiet.pop(kind, 0)
        more = f" ({quiet} more skipped on {kind} topics since the last warning)" \
            if quiet else ""
        log.warning("skipped %s: %s%s", what, why, more)


def topic_kind(topic: str) -> str:
    """push, receipts, status, heartbeat, need (a topic's last level), or other."""
    leaf = topic.rsplit("/", 1)[-1]
    return leaf if leaf in TOPIC_KINDS else "other"


def _station_after(row: StationRow, message: StatusMessage | HeartbeatMessage,
                   now: float) -> StationRow:
    """A station's row after a live status or heartbeat. Online since the station's own
    connection time; offline since the station said so (a clean stop) or, for the last
    will (no time in it: the broker sends it when the link died), since it arrived."""
    if isinstance(message, HeartbeatMessage):
        return replace(row, state=row.state or "online", last_heard=now,
                       heartbeat=message.at)
    if message.state == "online":
        return replace(row, name=message.name or row.name, state="online",
                       since=message.since or now, status=message.body, last_heard=now)
    will = message.since is None  # sent by the broker, not the station: not "heard"
    return replace(row, name=message.name or row.name, state="offline",
                   since=message.since if message.since is not None else now,
                   last_heard=row.last_heard if will else now)


def _retained_after(row: StationRow, message: StatusMessage | HeartbeatMessage,
                    ) -> StationRow:
    """What a retained message (kept by the broker, of unknown age) may add: a state for a
    station that has none yet, and a last-heard time where there is none. Never more."""
    if isinstance(message, HeartbeatMessage):
        if row.last_heard is not None or message.at is None:
            return row
        return replace(row, last_heard=message.at, heartbeat=message.at)
    if row.state is not None:
        return row  # live messages since are newer than what the broker kept
    status = message.body if message.state == "online" else row.status
    return replace(row, name=message.name or row.name, state=message.state,
                   since=message.since, status=status,
                   last_heard=row.last_heard if row.last_heard is not None else message.since)


# --- the network loop ---------------------------------------------------------------------------

class CollectorClient:
    """The collector's MQTT client: fixed id, persistent session, QoS 1, manual acks; and
    the file depot that answers the stations' requests for chunks through it (its folder:
    `files`, else depot.py's beside the collector's database)."""

    def __init__(self, settings: BrokerSettings, collector: Collector,
                 client_id: str = CLIENT_ID, *, files: Path | None = None,
                 max_inflight: int | None = None) -> None:
        from broadcaster.upstream.depot import MAX_INFLIGHT, Depot, beside
        from broadcaster.upstream.link import RECONNECT_MAX_S, RECONNECT_MIN_S

        self.settings = settings
        self.collector = collector
        self.connected = threading.Event()
        self.subscribed = threading.Event()
        self._stopping = threading.Event()
        client = settings.client(client_id, persistent=True, manual_ack=True)
        client.reconnect_delay_set(RECONNECT_MIN_S, RECONNECT_MAX_S)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_subscribe = lambda *_args: self.subscribed.set()
        client.on_message = self._on_message
        self._client = client
        inflight = max_inflight or MAX_INFLIGHT
        # paho's own bound (20 by default) as the depot's (chunks are all the collector
        # publishes): what the depot counts as in flight is at the broker, not inside paho
        client.max_inflight_messages_set(inflight)
        self.depot = Depot(files or beside(collector.db.path), self._publish_chunk,
                           settings.prefix, max_inflight=inflight)
        client.on_publish = lambda _c, _u, mid, _reason, _props: self.depot.acknowledged(mid)

    @property
    def topics(self) -> list[str]:
        topic = self.settings.topic
        return [topic("all", "push"), topic("stations", "+", "push"),
                topic("stations", "+", "receipts"), topic("stations", "+", "status"),
                topic("stations", "+", "heartbeat"), topic("stations", "+", "need")]

    def run(self) -> None:
        """Connect and collect (and serve files) until `stop()` (from a signal handler or
        another thread)."""
        self.depot.start()
        try:
            self.settings.connect(self._client, persistent=True, blocking=False)
            self._client.loop_forever(retry_first_connection=True)
        finally:
            self.depot.stop()

    def _publish_chunk(self, topic: str, payload: bytes) -> int:
        return self._client.publish(topic, payload, qos=1).mid

    def stop(self) -> None:
        self._stopping.set()
        self._client.disconnect()

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: mqtt.ConnectFlags,
                    reason: ReasonCode, properties: Properties | None) -> None:
        if reason.is_failure:
            log.warning("the broker refused the collector: %s", reason)
            return
        log.info("collector connected to %s (session %s)", self.settings.describe(),
                 "resumed" if flags.session_present else "new")
        client.subscribe([(topic, 1) for topic in self.topics])
        self.depot.link_up()
        self.connected.set()

    def _on_disconnect(self, client: mqtt.Client, userdata: Any, flags: mqtt.DisconnectFlags,
                       reason: ReasonCode, properties: Properties | None) -> None:
        self.connected.clear()
        self.subscribed.clear()
        self.depot.link_down()
        if not self._stopping.is_set():
            log.warning("collector lost the broker: %s; reconnecting", reason)

    def _on_message(self, client: mqtt.Client, userdata: Any,
                    message: mqtt.MQTTMessage) -> None:
        if topic_kind(message.topic) == "need":
            self._take_need(message.topic, bytes(message.payload))
            if message.qos > 0:
                client.ack(message.mid, message.qos)  # queued: the station asks again if lost
            return
        try:
            self.collector.take(message.topic, bytes(message.payload), time.time(),
                                retained=bool(message.retain))
        except sqlite3.Error:  # not acknowledged: the broker sends it again
            log.exception("could not store a message on %r", message.topic[:200])
            return
        except Exception:  # a message nobody foresaw: skipped like any bad input
            log.exception("skipped a message on %r", message.topic[:200])
        if message.qos > 0:
            client.ack(message.mid, message.qos)


    def _take_need(self, topic: str, payload: bytes) -> None:
        need = read_need_message(self.settings.prefix, topic, payload)
        if isinstance(need, Skipped):
            self.collector.skips.skipped("need", topic, len(payload), need.why)
            return
        self.depot.ask(need)


def read_need_message(prefix: str, topic: str, payload: bytes) -> Need | Skipped:
    """A station's request for chunks on P/stations/S/need (pure), or why it is skipped."""
    rest = _under(prefix, topic) or []
    if len(rest) != 3 or rest[0] != "stations" or rest[2] != "need" \
            or not is_station_id(rest[1]):
        return Skipped("not a station's need topic")
    need = read_need(rest[1], payload)
    if need is None:
        return Skipped("not a request for chunks (sha256, chunk_bytes, chunks)")
    return need


@contextmanager
def only_collector(db_path: Path) -> Iterator[None]:
    """Held while a collector runs on `db_path`: a second one on the same database (the
    same client id, whose sessions would take each other's place at the broker every few
    seconds) is refused with OperatorError, naming the first one's pid."""
    import fcntl
    import os

    db_path.parent.mkdir(parents=True, exist_ok=True)
    lock = db_path.with_name(db_path.name + ".lock")
    with lock.open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            raise OperatorError(_(MSG_ALREADY_COLLECTING).format(
                path=db_path, pid=handle.read().strip() or "?")) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def open_collector(path: Path, prefix: str, keys: CollectorKeys) -> Collector:
    return Collector(CollectorDB(path, writer=True), prefix, keys)
