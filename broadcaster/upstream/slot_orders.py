"""The province's slot orders: `province slot install FILE` and `province slot remove NAME`.

A slot order installs, replaces or removes a slot playlist at the stations (slots.py is
the station's side). It is signed with the province key and counted in that key's
sequence like a push (district.py's key, sequence and MQTT client), published on the push
topics, and lives 14 days: as long as the broker keeps an offline station's messages,
like a revocation. An install's playlist is checked as a station checks it (with a
`slot:`); the recorded audio it names travels as a push's does (district.audio_of,
files.py, the depot). Its message id is what `province report` follows.
"""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from broadcaster.i18n import N_, _
from broadcaster.model import OperatorError
from broadcaster.upstream import files
from broadcaster.upstream.broker_url import is_station_id
from broadcaster.upstream.district import (
    MSG_BAD_TARGET,
    MSG_NO_KEY,
    MSG_TOO_BIG,
    Recordings,
    default_key_path,
    next_sequence,
    send,
    settings_of,
)
from broadcaster.upstream.envelope import MAX_BYTES, load_private_key, seal_slot
from broadcaster.upstream.slots import INSTALL, MAX_NAME_CHARS, REMOVE, is_slot_name

if TYPE_CHECKING:
    from broadcaster.config import Config

SLOT_ORDER_EXPIRY = timedelta(days=14)  # as long as the broker keeps an offline box's pushes

# Operator-facing messages of this module, kept together for translation.
MSG_BAD_SLOT_NAME = N_("slot name {value!r}: use 1 to {count} letters, digits, - or _ (give "
                       "one with --name)")
MSG_NOT_A_SLOT_FILE = N_("{path}: has no 'slot:'; a slot order installs a daily or weekly "
                         "slot (send a one-off bulletin with `province push`)")


@dataclass(frozen=True)
class SlotOrderSent:
    """A slot order the broker has: its message id (for `province report`), topic and
    sequence, what it asks, and the recorded audio it carries (in the depot)."""

    message_id: str
    topic: str
    seq: int
    action: str
    name: str
    title: str | None = None
    files: tuple[files.FileManifest, ...] = ()
    receipts: tuple[dict[str, Any], ...] = ()  # with `wait_s`: the stations' answers


@dataclass(frozen=True)
class SignedSlotOrder:
    message_id: str
    seq: int
    envelope: bytes
    name: str
    title: str | None = None
    files: tuple[files.FileManifest, ...] = ()


def slot_name(value: str) -> str:
    """The slot name as sent (NFC, as a station reads it). Raises OperatorError."""
    name = unicodedata.normalize("NFC", value.strip())
    if not is_slot_name(name):
        raise OperatorError(_(MSG_BAD_SLOT_NAME).format(value=value, count=MAX_NAME_CHARS))
    return name


def sign_slot_install(config: Config, file: Path, *, target: str, name: str | None = None,
                      key: Path | None = None, expires: timedelta | None = None,
                      now: datetime | None = None) -> SignedSlotOrder:
    """Check the slot playlist FILE as a station would and sign an order installing it
    (or replacing the province's slot of that name) as `name` (default: the file's stem)
    for `target`. Its audio files are described in the envelope and copied into the
    depot, as for a push. Raises OperatorError and then nothing is signed."""
    from broadcaster.playlist import load_playlist

    _check_target(target)
    chosen = slot_name(name if name is not None else file.stem)
    from broadcaster.config import ANY_ZONE

    playlist = load_playlist(file, config.audio_dir, max_text_chars=config.tts.max_chars,
                             zones=ANY_ZONE)  # each station checks the names it knows
    if playlist.slot is None:
        raise OperatorError(_(MSG_NOT_A_SLOT_FILE).format(path=file))
    text = file.read_text(encoding="utf-8-sig")
    recordings = Recordings.of(config, file, text, playlist)
    signed = _sign(config, INSTALL, chosen, text, target=target, key=key, expires=expires,
                   now=now, manifests=recordings.manifests, source=file)
    recordings.into_depot(config)
    return SignedSlotOrder(signed.message_id, signed.seq, signed.envelope, chosen,
                           playlist.title, recordings.manifests)


def sign_slot_removal(config: Config, name: str, *, target: str, key: Path | None = None,
                      expires: timedelta | None = None,
                      now: datetime | None = None) -> SignedSlotOrder:
    """Sign an order removing the province's slot `name` at `target`. Raises
    OperatorError and then nothing is signed."""
    _check_target(target)
    return _sign(config, REMOVE, slot_name(name), None, target=target, key=key,
                 expires=expires, now=now)


def install(config: Config, file: Path, *, target: str = "all", name: str | None = None,
            key: Path | None = None, expires: timedelta | None = None, wait_s: float = 0.0,
            on_receipt: Callable[[dict[str, Any]], None] | None = None) -> SlotOrderSent:
    """Sign and publish (QoS 1) an order installing the slot playlist FILE; returns once
    the broker has it (with `wait_s`, once every station expected took or refused it,
    or `wait_s` is over). Stations answer with receipts as for a push."""
    settings_of(config)  # no broker: said before a sequence number is spent
    signed = sign_slot_install(config, file, target=target, name=name, key=key,
                               expires=expires)
    topic, receipts = _send(config, signed, target, wait_s, on_receipt)
    return SlotOrderSent(signed.message_id, topic, signed.seq, INSTALL, signed.name,
                         signed.title, signed.files, tuple(receipts))


def remove(config: Config, name: str, *, target: str = "all", key: Path | None = None,
           expires: timedelta | None = None, wait_s: float = 0.0,
           on_receipt: Callable[[dict[str, Any]], None] | None = None) -> SlotOrderSent:
    """Sign and publish (QoS 1) an order removing the province's slot `name`; returns
    once the broker has it (with `wait_s`, as `install`)."""
    settings_of(config)  # no broker: said before a sequence number is spent
    signed = sign_slot_removal(config, name, target=target, key=key, expires=expires)
    topic, receipts = _send(config, signed, target, wait_s, on_receipt)
    return SlotOrderSent(signed.message_id, topic, signed.seq, REMOVE, signed.name,
                         receipts=tuple(receipts))


def _check_target(target: str) -> None:
    if target != "all" and not is_station_id(target):
        raise OperatorError(_(MSG_BAD_TARGET).format(value=target))


def _sign(config: Config, action: str, name: str, text: str | None, *, target: str,
          key: Path | None, expires: timedelta | None, now: datetime | None,
          manifests: tuple[files.FileManifest, ...] = (),
          source: Path | None = None) -> SignedSlotOrder:
    key_path = key or default_key_path(config)
    if not key_path.exists():
        raise OperatorError(_(MSG_NO_KEY).format(path=key_path))
    private = load_private_key(key_path)
    moment = now or datetime.now(UTC)
    message_id = str(uuid.uuid4())
    seq = next_sequence(key_path, moment.timestamp())
    envelope = seal_slot(private, seq=seq, issued=moment,
                         expires=moment + (expires or SLOT_ORDER_EXPIRY), target=target,
                         action=action, name=name, playlist=text, message_id=message_id,
                         files=[manifest.as_json() for manifest in manifests] or None)
    if len(envelope) > MAX_BYTES:
        raise OperatorError(_(MSG_TOO_BIG).format(path=source or name, size=len(envelope),
                                                  limit=MAX_BYTES))
    return SignedSlotOrder(message_id, seq, envelope, name, files=manifests)


# A slot order's answer: taken or refused (its airings answer it each day after).
ORDER_ANSWERS = ("accepted", "rejected")


def _send(config: Config, signed: SignedSlotOrder, target: str, wait_s: float,
          on_receipt: Callable[[dict[str, Any]], None] | None,
          ) -> tuple[str, list[dict[str, Any]]]:
    """Publish the signed order on the push topic of `target`: its topic, and with
    `wait_s` the stations' receipts until each took or refused it."""
    return send(config, signed.envelope, signed.message_id, target, wait_s=wait_s,
                on_receipt=on_receipt, final=ORDER_ANSWERS)
