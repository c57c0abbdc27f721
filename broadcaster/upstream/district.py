"""The upstream side (district or province): its key, signed pushes, the stations' status.

Run from the district's own machine with a config whose `[district]` section names the
broker (the same keys a station uses: broker, username, password_file, topic_prefix).
The private key lives at `--key PATH`, else `<data_dir>/district/district.key`; beside
it, `district.key.seq` keeps the last sequence number, so every push's sequence is
higher than the last one's, across runs (it is also never below the time in ms, so a
lost state file cannot make stations refuse new pushes as old).

Keys rotate: `rotate` writes the next pair beside the current one (named by the date) and
leaves the current one signing until the sender is switched; `revoke` signs a revocation
with the key given (the current one) and publishes it on the push topic, counted in that
key's sequence like a push.

A push may carry recorded audio: every file its playlist names (`file:` items and a
`chime:` other than the built-in `default`) is described in the signed envelope
(files.py: name, SHA-256, size, each chunk's SHA-256) and copied into the province's
file depot (depot.py: `<data_dir>/district/files`, by content). The stations fetch the
files from there through the receipt collector (`district collect`), which serves that
folder: **for pushes with audio the collector must run with the same data_dir** as the
sender (the same machine and config), or no station ever gets the files. Files are
named as the playlist writes them, relative to `[station] audio_dir`, and together at
most `[district] max_push_mb` (every station refuses more than its own limit).
"""

from __future__ import annotations

import fcntl
import json
import os
import queue
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from broadcaster.i18n import N_, _
from broadcaster.model import Level, OperatorError
from broadcaster.upstream import files
from broadcaster.upstream.broker_url import is_station_id
from broadcaster.upstream.collector_db import FINAL_RECEIPTS, receipt_kind
from broadcaster.upstream.decisions import MSG_SLOT_PUSH
from broadcaster.upstream.envelope import (
    MAX_BYTES,
    MAX_REASON_CHARS,
    MAX_REVOKED,
    is_key_id,
    key_id,
    load_private_key,
    load_public_key,
    seal,
    seal_revocation,
    write_keypair,
)

if TYPE_CHECKING:
    import paho.mqtt.client as mqtt

    from broadcaster.config import Config
    from broadcaster.model import Playlist
    from broadcaster.upstream.link import BrokerSettings

# Operator-facing messages of this module, kept together for translation.
MSG_NO_BROKER = N_("no broker configured; set [district] broker = \"mqtt://HOST:1883\" in "
                   "the config file")
MSG_NO_KEY = N_("{path}: no province key here; make one with `broadcaster province keygen`")
MSG_BAD_TARGET = N_("--to {value!r}: give a station id (letters, digits, - and _) or 'all'")
MSG_TOO_BIG = N_("{path}: the signed push would be {size} bytes, more than the {limit} allowed")
MSG_CANNOT_CONNECT = N_("cannot reach the broker at {where} ({reason}); check [district] broker")
MSG_NOT_DELIVERED = N_("the broker at {where} did not confirm the push within {seconds:.0f} s")
MSG_NOTHING_TO_ROTATE = N_("{path}: no current key to rotate; make the first one with "
                           "`broadcaster province keygen`")
MSG_BAD_REVOKED = N_("'{value}' is neither a key id (32 hex digits, as keygen printed it) nor "
                     "a public key file")
MSG_BAD_REASON = N_("--reason: one line of at most {count} characters")
MSG_TOO_MANY_REVOKED = N_("one revocation names 1 to {count} keys")
MSG_PUSH_FILE_NAME = N_("{path}: item {n} names {value}; a pushed playlist names its audio "
                       "files relative to the audio folder ({audio_dir}), since each station "
                       "keeps them under its own")
MSG_PUSH_FILES_TOO_BIG = N_("{path}: its audio files are {size} MB together, more than "
                            "[district] max_push_mb = {limit}; push shorter or more "
                            "compressed recordings")
MSG_SEQ_UNREADABLE = N_("{path}: the sequence file is damaged; move it away (the next push "
                        "then counts from the time)")

EXPIRY = {Level.NORMAL: timedelta(hours=24), Level.PRIORITY: timedelta(hours=6),
          Level.EMERGENCY: timedelta(hours=1)}  # an hour-old storm warning is no warning
REVOCATION_EXPIRY = timedelta(days=14)  # as long as the broker keeps an offline box's pushes
STATUS_QUIET_S = 0.5  # retained statuses come in a burst right after subscribing


def default_key_path(config: Config) -> Path:
    return config.data_dir / "district" / "district.key"


def public_key_path(private_path: Path) -> Path:
    return private_path.with_suffix(".pub")


@dataclass(frozen=True)
class KeyFiles:
    private: Path
    public: Path
    key_id: str


def keygen(config: Config, key: Path | None = None) -> KeyFiles:
    """Write a new key pair (private mode 0600, public `.pub` beside it); never overwrites."""
    private = key or default_key_path(config)
    public = public_key_path(private)
    return KeyFiles(private, public, write_keypair(private, public))


def rotate(config: Config, key: Path | None = None,
           today: date | None = None) -> tuple[KeyFiles, KeyFiles]:
    """A new key pair beside the current one, named by the date (`district-2026-07-01.key`,
    then `-2`, `-3` the same day); the current key is left as it is and still signs.
    Returns (current, new). Raises OperatorError when there is no current key."""
    current = key or default_key_path(config)
    if not current.exists():
        raise OperatorError(_(MSG_NOTHING_TO_ROTATE).format(path=current))
    current_id = key_id(load_private_key(current).public_key())
    stem = f"{current.stem}-{(today or datetime.now(UTC).date()).isoformat()}"
    number = 1
    while True:
        private = current.with_name(f"{stem}{f'-{number}' if number > 1 else ''}"
                                    f"{current.suffix or '.key'}")
        if not private.exists() and not public_key_path(private).exists():
            break
        number += 1
    fresh = KeyFiles(private, public_key_path(private),
                     write_keypair(private, public_key_path(private)))
    return KeyFiles(current, public_key_path(current), current_id), fresh


# --- revocation -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Revocation:
    message_id: str
    topic: str
    seq: int
    keys: list[str]
    signed_by: str


def revoked_key_id(what: str) -> str:
    """The key id named by `what`: a key id as `keygen` printed it, or a public key file.
    Raises OperatorError."""
    path = Path(what).expanduser()
    if path.is_file():
        return key_id(load_public_key(path))
    if is_key_id(what):
        return what.lower()
    shown = os.fsencode(what).decode("utf-8", "backslashreplace")  # bytes as \xNN
    raise OperatorError(_(MSG_BAD_REVOKED).format(value=shown))


def sign_revocation(config: Config, what: list[str], *, target: str, reason: str = "",
                    key: Path | None = None, expires: timedelta | None = None,
                    now: datetime | None = None) -> tuple[str, int, list[str], bytes]:
    """Sign the revocation of the keys `what` names (key ids or public key files) for
    `target` with the current key. Returns (message id, sequence, key ids, envelope
    bytes). Raises OperatorError and changes nothing then."""
    if target != "all" and not is_station_id(target):
        raise OperatorError(_(MSG_BAD_TARGET).format(value=target))
    if "\n" in reason or len(reason) > MAX_REASON_CHARS:
        raise OperatorError(_(MSG_BAD_REASON).format(count=MAX_REASON_CHARS))
    keys = list(dict.fromkeys(revoked_key_id(name) for name in what))
    if not 1 <= len(keys) <= MAX_REVOKED:
        raise OperatorError(_(MSG_TOO_MANY_REVOKED).format(count=MAX_REVOKED))
    key_path = key or default_key_path(config)
    if not key_path.exists():
        raise OperatorError(_(MSG_NO_KEY).format(path=key_path))
    private = load_private_key(key_path)
    moment = now or datetime.now(UTC)
    message_id = str(uuid.uuid4())
    seq = next_sequence(key_path, moment.timestamp())
    envelope = seal_revocation(private, seq=seq, issued=moment,
                               expires=moment + (expires or REVOCATION_EXPIRY), target=target,
                               keys=keys, reason=reason.strip(), message_id=message_id)
    return message_id, seq, keys, envelope


def _publish(client: mqtt.Client, settings: BrokerSettings, topic: str,
             envelope: bytes) -> None:
    """Publish `envelope` (QoS 1) and wait until the broker has it; OperatorError when it
    does not within 10 s or the connection is lost meanwhile (paho then raises)."""
    info = client.publish(topic, envelope, qos=1)
    try:
        info.wait_for_publish(timeout=10)
        delivered = info.is_published()
    except (RuntimeError, ValueError):  # the connection was lost, or the queue is full
        delivered = False
    if not delivered:
        raise OperatorError(_(MSG_NOT_DELIVERED).format(where=settings.describe(), seconds=10))


def revoke(config: Config, what: list[str], *, target: str = "all", reason: str = "",
           key: Path | None = None, expires: timedelta | None = None) -> Revocation:
    """Sign a revocation with the current key and publish it (QoS 1) on the push topic;
    returns once the broker has it. Stations answer with receipts as for a push."""
    settings = settings_of(config)
    message_id, seq, keys, envelope = sign_revocation(config, what, target=target,
                                                      reason=reason, key=key, expires=expires)
    topic = push_topic(settings, target)
    client = _connected_client(settings, queue.Queue())
    try:
        _publish(client, settings, topic, envelope)
    finally:
        client.disconnect()
        client.loop_stop()
    signer = key_id(load_private_key(key or default_key_path(config)).public_key())
    return Revocation(message_id, topic, seq, keys, signer)


def settings_of(config: Config) -> BrokerSettings:
    from broadcaster.upstream.link import BrokerSettings

    district = config.district
    if not district.broker:
        raise OperatorError(_(MSG_NO_BROKER))
    return BrokerSettings.from_url(district.broker, username=district.username,
                                   password_file=district.password_file,
                                   prefix=district.topic_prefix,
                                   base=config.source.parent if config.source else None)


# --- the sequence ---------------------------------------------------------------------------

@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """One push at a time per key, even from two shells."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.with_name(path.name + ".lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def next_sequence(key: Path, now: float | None = None) -> int:
    """The next sequence number for `key`, written to disk (fsynced) before it is used."""
    state = key.with_name(key.name + ".seq")
    with _locked(state):
        last = 0
        if state.exists():
            try:
                last = int(json.loads(state.read_text(encoding="utf-8"))["seq"])
            except (OSError, ValueError, KeyError, TypeError):
                raise OperatorError(_(MSG_SEQ_UNREADABLE).format(path=state)) from None
        seq = max(last + 1, int((now if now is not None else time.time()) * 1000))
        tmp = state.with_name(f".{state.name}.tmp")
        with tmp.open("w", encoding="utf-8") as handle:
            json.dump({"seq": seq}, handle)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(state)
    return seq


# --- push -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class SignedPush:
    message_id: str
    seq: int
    envelope: bytes
    files: tuple[files.FileManifest, ...]  # the recorded audio it carries, in the depot


@dataclass(frozen=True)
class Pushed:
    message_id: str
    topic: str
    seq: int
    receipts: list[dict[str, Any]]
    files: tuple[files.FileManifest, ...] = ()  # fetched by each station from the collector

    @property
    def files_bytes(self) -> int:
        return sum(manifest.size for manifest in self.files)

    @property
    def refused_by(self) -> set[str]:
        return refused_by(self.receipts)


def refused_by(receipts: Iterable[dict[str, Any]]) -> set[str]:
    """The stations whose answer among `receipts` is `rejected` (a duplicate delivery or
    a chunk refused and asked again is not an answer)."""
    return {str(receipt.get("station")) for receipt in receipts
            if receipt_kind(receipt) == "rejected" and not receipt.get("duplicate")}


def push_topic(settings: BrokerSettings, target: str) -> str:
    if target == "all":
        return settings.topic("all", "push")
    return settings.topic("stations", target, "push")


def sign_push(config: Config, file: Path, *, target: str, level: Level,
              key: Path | None = None, expires: timedelta | None = None,
              now: datetime | None = None) -> SignedPush:
    """Validate the playlist FILE as a station would, and sign it for `target` ("all" or
    a station id), with the audio files it names described in the envelope and copied
    into the file depot (depot.py). Raises OperatorError (a PlaylistError names
    file:line) and then nothing is signed or published; the depot may keep a file copied
    before the refusal (it is named by its content: harmless)."""
    from broadcaster.playlist import load_playlist

    if target != "all" and not is_station_id(target):
        raise OperatorError(_(MSG_BAD_TARGET).format(value=target))
    from broadcaster.config import ANY_ZONE

    # zone names are each station's own: every station checks them against its [zones]
    playlist = load_playlist(file, config.audio_dir, max_text_chars=config.tts.max_chars,
                             zones=ANY_ZONE)
    if playlist.slot is not None:
        raise OperatorError(f"{file}: {_(MSG_SLOT_PUSH)}")
    text = file.read_text(encoding="utf-8-sig")
    recordings = Recordings.of(config, file, text, playlist)
    key_path = key or default_key_path(config)
    if not key_path.exists():
        raise OperatorError(_(MSG_NO_KEY).format(path=key_path))
    private = load_private_key(key_path)
    manifests = recordings.manifests
    moment = now or datetime.now(UTC)
    message_id = str(uuid.uuid4())
    seq = next_sequence(key_path, moment.timestamp())
    envelope = seal(private, seq=seq, issued=moment, expires=moment + (expires or EXPIRY[level]),
                    target=target, level=level, payload=text, message_id=message_id,
                    files=[manifest.as_json() for manifest in manifests])
    if len(envelope) > MAX_BYTES:
        raise OperatorError(_(MSG_TOO_BIG).format(path=file, size=len(envelope), limit=MAX_BYTES))
    recordings.into_depot(config)
    return SignedPush(message_id, seq, envelope, manifests)


@dataclass(frozen=True)
class Recordings:
    """The recorded audio a playlist brings: each file's manifest and where it is here."""

    manifests: tuple[files.FileManifest, ...]
    paths: tuple[Path, ...]

    @classmethod
    def of(cls, config: Config, file: Path, text: str, playlist: Playlist) -> Recordings:
        """Described (hashed) and checked as every station checks them, within
        `[district] max_push_mb`. Raises OperatorError naming the playlist `file`."""
        named = audio_of(file, text, playlist, config.audio_dir)
        limit = config.district.max_push_mb
        try:
            total = sum(path.stat().st_size for path in named.values())
            if total > limit * 1_000_000:  # files.py counts MB as a station does: 10**6
                raise OperatorError(_(MSG_PUSH_FILES_TOO_BIG).format(
                    path=file, size=f"{total / 1e6:.2f}", limit=limit))
            manifests = tuple(files.describe(path, name) for name, path in named.items())
        except OSError as exc:  # moved or deleted since the playlist was checked
            raise OperatorError(f"{file}: {exc.filename}: {exc.strerror}") from None
        if manifests:
            try:  # what every station checks, checked before anything is signed
                files.read_manifests([manifest.as_json() for manifest in manifests])
            except files.FilesRefused as refused:
                raise OperatorError(f"{file}: {refused}") from None
        return cls(manifests, tuple(named.values()))

    def into_depot(self, config: Config) -> None:
        """Copy them into the depot the collector serves them from (depot.py)."""
        from broadcaster.upstream.depot import depot_folder, put

        for manifest, path in zip(self.manifests, self.paths, strict=True):
            put(depot_folder(config), path, manifest.sha256)


def audio_of(file: Path, text: str, playlist: Playlist, audio_dir: Path) -> dict[str, Path]:
    """The audio files a checked playlist brings: each distinct name as the playlist
    writes it (files.normal_name: how a station finds it among the push's files) → the
    file in `audio_dir`. `file:` items and `chime:` items other than the built-in
    `default`. Raises OperatorError for a name a station could not match: an absolute
    path, or one through `..`."""
    from broadcaster.model import Chime, File
    from broadcaster.playlist.audio_files import normal_name
    from broadcaster.playlist.items import DEFAULT_CHIME

    named: dict[str, Path] = {}
    values = _item_values(text)
    for number, (item, value) in enumerate(zip(playlist.items, values, strict=True), 1):
        if isinstance(item, File):
            path = item.path
        elif isinstance(item, Chime) and item.source != DEFAULT_CHIME:
            path = Path(item.source)
        else:
            continue
        name = normal_name(value or "")
        if name.startswith(("/", "..")):
            raise OperatorError(_(MSG_PUSH_FILE_NAME).format(path=file, n=number, value=value,
                                                             audio_dir=audio_dir))
        named.setdefault(name, path)
    return named


def _item_values(text: str) -> list[str | None]:
    """Each item's `file:` or `chime:` value as written (None for other items), from a
    playlist already checked: the model keeps the resolved path, a station the name."""
    from broadcaster.playlist.problems import Findings
    from broadcaster.playlist.yaml_text import compose, entries, is_mapping, is_scalar

    root = compose(text)
    if root is None or not is_mapping(root):
        return []
    found = entries(root, Findings()).get("items")
    values: list[str | None] = []
    for node in found[1].value if found is not None else []:
        fields = entries(node, Findings()) if is_mapping(node) else {}
        value = next((fields[kind][1] for kind in ("file", "chime") if kind in fields), None)
        values.append(str(value.value).strip() if value is not None and is_scalar(value)
                      else None)
    return values


def push(config: Config, file: Path, *, target: str, level: Level, key: Path | None = None,
         expires: timedelta | None = None, wait_s: float = 0.0,
         on_receipt: Callable[[dict[str, Any]], None] | None = None) -> Pushed:
    """Sign and publish (QoS 1) a push; returns once the broker has it. With `wait_s`,
    receipts for it are passed to `on_receipt` as they come, until every station that
    answered (and, for a single station, that one) gave a final receipt (rejected,
    aired, missed) or `wait_s` is over."""
    settings_of(config)  # no broker: said before a sequence number is spent
    signed = sign_push(config, file, target=target, level=level, key=key, expires=expires)
    topic, receipts = send(config, signed.envelope, signed.message_id, target,
                           wait_s=wait_s, on_receipt=on_receipt)
    return Pushed(signed.message_id, topic, signed.seq, receipts, signed.files)


def send(config: Config, envelope: bytes, message_id: str, target: str, *,
         wait_s: float = 0.0, on_receipt: Callable[[dict[str, Any]], None] | None = None,
         final: tuple[str, ...] = FINAL_RECEIPTS) -> tuple[str, list[dict[str, Any]]]:
    """Publish a signed envelope (QoS 1) on `target`'s push topic; returns once the broker
    has it, with its topic. With `wait_s`, its receipts go to `on_receipt` as they come
    until every station expected gave one of the `final` kinds or `wait_s` is over."""
    settings = settings_of(config)
    topic = push_topic(settings, target)
    arrived: queue.Queue[tuple[str, bytes]] = queue.Queue()
    client = _connected_client(settings, arrived)
    try:
        if wait_s > 0:
            _subscribe(client, [settings.topic("stations", "+", "receipts"),
                                settings.topic("stations", "+", "status")])
        _publish(client, settings, topic, envelope)
        known = collector_online(config) if wait_s > 0 and target == "all" else set()
        receipts = _collect(arrived, message_id, target, wait_s, on_receipt,
                            known=known, final=final) if wait_s > 0 else []
    finally:
        client.disconnect()
        client.loop_stop()
    return topic, receipts


def collector_online(config: Config) -> set[str]:
    """The stations the receipt collector (on this machine, same data_dir) has online now;
    empty without a collector database. A clustered broker (RabbitMQ) sends no retained
    status to a wildcard subscription, so `--wait` could not learn them from the broker."""
    from broadcaster.upstream.collector_db import CollectorDB, collector_db_path
    from broadcaster.upstream.collector_report import station_states

    path = collector_db_path(config)
    if not path.exists():
        return set()
    db = CollectorDB(path)
    try:
        return {state.station for state in station_states(db) if state.state == "online"}
    finally:
        db.close()


def _collect(arrived: queue.Queue[tuple[str, bytes]], message_id: str, target: str,
             wait_s: float, on_receipt: Callable[[dict[str, Any]], None] | None, *,
             known: set[str] | frozenset[str] = frozenset(),
             final: tuple[str, ...] = FINAL_RECEIPTS) -> list[dict[str, Any]]:
    """Receipts for `message_id` until every station expected gave a final one: for
    `all`, those online (the collector's `known`, and retained statuses seen) and those
    that answered."""
    deadline = time.monotonic() + wait_s
    online: set[str] = set()
    answered: dict[str, bool] = {}  # station → a final receipt came
    receipts: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        try:
            topic, payload = arrived.get(timeout=min(0.2, max(0.0, deadline - time.monotonic())))
        except queue.Empty:
            continue
        body = _json(payload)
        if body is None:
            continue
        station = str(body.get("station", topic.split("/")[-2]))
        if topic.endswith("/status"):
            if body.get("state") == "online":
                online.add(station)
            continue
        if body.get("message_id") != message_id or body in receipts:
            continue  # QoS 1 is at least once: a receipt may come twice, it is shown once
        receipts.append(body)
        if on_receipt is not None:
            on_receipt(body)
        done = receipt_kind(body) in final and not body.get("duplicate")
        answered[station] = answered.get(station, False) or done
        expected = {target} if target != "all" else online | known | set(answered)
        if expected and all(answered.get(name) for name in expected):
            break
    return receipts


# --- status ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class StationStatus:
    station: str
    state: str  # online, offline
    since: str | None  # when it came online or went offline (≈ the last heartbeat)
    name: str | None
    on_air: dict[str, Any] | None
    last_aired: dict[str, Any] | None
    last_error: str | None
    inbox: int | None
    heartbeat: str | None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def station_statuses(config: Config, wait_s: float = 3.0) -> list[StationStatus]:
    """Every station's retained status (and heartbeat) at the broker, by station id."""
    settings = settings_of(config)
    arrived: queue.Queue[tuple[str, bytes]] = queue.Queue()
    client = _connected_client(settings, arrived)
    statuses: dict[str, dict[str, Any]] = {}
    beats: dict[str, str] = {}
    try:
        _subscribe(client, [settings.topic("stations", "+", "status"),
                            settings.topic("stations", "+", "heartbeat")])
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            try:
                topic, payload = arrived.get(timeout=STATUS_QUIET_S)
            except queue.Empty:
                break  # the retained burst is over
            body = _json(payload)
            station = topic.split("/")[-2]
            if body is None:
                continue
            if topic.endswith("/heartbeat"):
                beats[station] = str(body.get("at"))
            else:
                statuses[station] = body
    finally:
        client.disconnect()
        client.loop_stop()
    result = []
    for station in sorted(statuses):
        body = statuses[station]
        state = str(body.get("state", "unknown"))
        since = body.get("since") or (beats.get(station) if state == "offline" else None)
        result.append(StationStatus(
            station=station, state=state, since=since, name=body.get("name"),
            on_air=body.get("on_air"), last_aired=body.get("last_aired"),
            last_error=body.get("last_error"), inbox=body.get("inbox"),
            heartbeat=beats.get(station)))
    return result


# --- the district's MQTT client ---------------------------------------------------------------

def _connected_client(settings: BrokerSettings,
                      arrived: queue.Queue[tuple[str, bytes]]) -> mqtt.Client:
    """A throw-away (clean session) client, connected, its network thread running."""
    client = settings.client(f"broadcaster-district-{uuid.uuid4().hex[:12]}",
                             persistent=False)
    client.on_message = lambda _c, _u, message: arrived.put((message.topic,
                                                             bytes(message.payload)))
    try:
        settings.connect(client, persistent=False, blocking=True)
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise OperatorError(_(MSG_CANNOT_CONNECT).format(where=settings.describe(),
                                                         reason=reason)) from None
    client.loop_start()
    deadline = time.monotonic() + 10
    while not client.is_connected() and time.monotonic() < deadline:
        time.sleep(0.01)
    if not client.is_connected():
        client.loop_stop()
        raise OperatorError(_(MSG_CANNOT_CONNECT).format(where=settings.describe(),
                                                         reason=_("no answer, or refused")))
    return client


def _subscribe(client: mqtt.Client, topics: list[str]) -> None:
    """Subscribe (QoS 1) and wait for the broker's SUBACK, so nothing sent after is missed."""
    import threading

    done = threading.Event()
    client.on_subscribe = lambda *_args: done.set()
    client.subscribe([(topic, 1) for topic in topics])
    done.wait(10)


def _json(payload: bytes) -> dict[str, Any] | None:
    try:
        body = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return body if isinstance(body, dict) else None
