"""Slot orders: the province installs, replaces or removes a slot playlist (SPEC §7).

A slot order is an authentic envelope of kind "slot" (envelope.py). `read_slot_order`
reads what it asks (its times, its payload, the playlist text parsed as SPEC §5, which
must have a `slot:`); `check_slot_order` decides it against the slot of that name at the
station, a pure rule: the province installs, replaces and removes only its own slots —
never the station operator's, which the operator keeps. `take_slot_order` does it inside
the caller's transaction and queues the `received` and `accepted` receipts. Every refusal
is envelope.Refused, recorded and answered `rejected` by the caller (pushes.py).

A province slot's occurrences carry the order's message id as their queue reference, so
each day's airing answers that order (`aired`, `missed`) like a push's.
"""

from __future__ import annotations

import sqlite3
import unicodedata
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from broadcaster.i18n import N_, _
from broadcaster.model import Playlist
from broadcaster.store import PROVINCE, Entry, InstalledSlot, playlist_to_json
from broadcaster.upstream.decisions import MSG_BAD_PLAYLIST, check_time
from broadcaster.upstream.envelope import SLOT, Envelope, Refused
from broadcaster.upstream.records import UpstreamRecords

INSTALL, REMOVE = "install", "remove"
MAX_NAME_CHARS = 64
PAYLOAD_NAME = Path("slot")  # how a slot order's playlist is named in its problems

# Reasons for refusing a slot order, recorded and sent back in the `rejected` receipt.
MSG_BAD_SLOT_ORDER = N_("invalid slot order: {problem}")
MSG_ORDER_KEYS = N_("the payload must have exactly {keys}")
MSG_ORDER_ACTION = N_("'action' must be install or remove, not {value}")
MSG_ORDER_NAME = N_("'name' {value} is not a slot name: 1 to {count} letters, digits, - "
                    "or _ (composed Unicode, NFC)")
MSG_ORDER_PLAYLIST = N_("'playlist' must be the playlist's text")
MSG_NOT_A_SLOT = N_("playlist for slot {name} has no 'slot:' (a slot order installs a daily "
                    "or weekly slot; send a one-off bulletin as a push)")
MSG_NO_SUCH_SLOT = N_("no slot {name} from the province is installed at this station; "
                      "nothing to remove")
MSG_OPERATOR_SLOT = N_("slot {name} is the station operator's own; the province cannot "
                       "remove it")
MSG_OPERATOR_NAME = N_("the station's operator already has a slot named {name}; install "
                       "the province's under another name")
# The as-run reason of an occurrence cancelled because the province removed its slot.
MSG_REMOVED_BY_PROVINCE = N_("removed by the province")


@dataclass(frozen=True)
class SlotOrder:
    """What a slot order asks: `action` INSTALL (with the playlist text and the playlist
    it parsed to) or REMOVE, of the slot playlist `name`."""

    action: str
    name: str
    playlist_text: str | None = None
    playlist: Playlist | None = None


@dataclass(frozen=True)
class SlotTaken:
    """A slot order done: installed (`replaced` an earlier one of the province's) or
    removed (`cancelled`: its occurrences queued and not started, now logged cancelled;
    `left`: those on air or cut and resuming, which end as they will)."""

    action: str
    name: str
    replaced: bool = False
    cancelled: tuple[Entry, ...] = ()
    left: tuple[Entry, ...] = ()


def is_slot_name(name: object) -> bool:
    """A name a slot order may give: 1 to 64 letters (Vietnamese ones included), digits,
    - and _, in composed form (NFC), so it reads and is typed as one name."""
    return isinstance(name, str) and 1 <= len(name) <= MAX_NAME_CHARS \
        and unicodedata.normalize("NFC", name) == name \
        and all(ch in "-_0123456789" or unicodedata.category(ch).startswith("L")
                for ch in name)


def read_slot_order(envelope: Envelope, now: datetime, *, audio_dir: Path,
                    max_text_chars: int, clock_trusted: bool = True,
                    provided: Mapping[str, Path] | None = None,
                    zones: Collection[str] = ()) -> SlotOrder:
    """What the authentic slot order `envelope` asks: its times checked (decisions.
    check_time), its payload's keys exact, its name a slot name, an install's playlist
    text parsed (files inside `audio_dir`, or among `provided`: playlist file name →
    where the station keeps the order's recorded audio) and with a `slot:`. Raises
    Refused; a bad playlist's reason is the playlist's own `slot:line: message`, a zone
    not among the station's `zones` included."""
    from broadcaster.playlist import PlaylistError, parse_playlist

    def refuse(reason: str) -> Refused:
        return Refused(reason, envelope.id, envelope.key_id)

    if envelope.kind != SLOT:
        raise refuse(_(MSG_BAD_SLOT_ORDER).format(problem=envelope.kind))
    check_time(envelope, now, clock_trusted=clock_trusted)
    payload = envelope.payload
    if not isinstance(payload, dict):  # open_envelope requires a mapping of a slot order
        raise refuse(_(MSG_BAD_SLOT_ORDER).format(
            problem=_(MSG_ORDER_KEYS).format(keys="action, name")))
    action = payload.get("action")
    if action not in (INSTALL, REMOVE):
        raise refuse(_(MSG_BAD_SLOT_ORDER).format(
            problem=_(MSG_ORDER_ACTION).format(value=_shown(action))))
    keys = {"action", "name", "playlist"} if action == INSTALL else {"action", "name"}
    if set(payload) != keys:
        raise refuse(_(MSG_BAD_SLOT_ORDER).format(problem=_(MSG_ORDER_KEYS).format(
            keys=", ".join(sorted(keys)))))
    name = payload["name"]
    if not is_slot_name(name):
        raise refuse(_(MSG_BAD_SLOT_ORDER).format(problem=_(MSG_ORDER_NAME).format(
            value=_shown(name), count=MAX_NAME_CHARS)))
    if action == REMOVE:
        return SlotOrder(REMOVE, name)
    text = payload["playlist"]
    if not isinstance(text, str):
        raise refuse(_(MSG_BAD_SLOT_ORDER).format(problem=_(MSG_ORDER_PLAYLIST)))
    try:
        playlist = parse_playlist(text, PAYLOAD_NAME, audio_dir,
                                  max_text_chars=max_text_chars, provided=provided,
                                  zones=zones)
    except PlaylistError as error:
        raise refuse(_(MSG_BAD_PLAYLIST).format(problem=error)) from None
    if playlist.slot is None:
        raise refuse(_(MSG_NOT_A_SLOT).format(name=name))
    return SlotOrder(INSTALL, name, text, playlist)


def check_slot_order(envelope: Envelope, order: SlotOrder,
                     installed: InstalledSlot | None) -> None:
    """The order against the slot of its name at the station (`installed`, or None): the
    province removes only a slot of its own, and never installs over or removes one of
    the station operator's. Raises Refused."""
    def refuse(reason: str) -> Refused:
        return Refused(reason, envelope.id, envelope.key_id)

    if installed is None:
        if order.action == REMOVE:
            raise refuse(_(MSG_NO_SUCH_SLOT).format(name=order.name))
        return
    if installed.from_province:
        return
    if order.action == REMOVE:
        raise refuse(_(MSG_OPERATOR_SLOT).format(name=order.name))
    raise refuse(_(MSG_OPERATOR_NAME).format(name=order.name))


def take_slot_order(records: UpstreamRecords, db: sqlite3.Connection, envelope: Envelope,
                    order: SlotOrder, now: datetime, *, first: bool = True) -> SlotTaken:
    """Do the slot order inside the caller's transaction `db` (its write lock held, so
    the operator cannot install the same name meanwhile): checked against the slot of
    that name (check_slot_order), the envelope marked seen, `received` queued, the slot
    installed or replaced (origin province, with the order's message id and key) or
    removed (its occurrences queued and not started cancelled, "removed by the
    province"), then `accepted` (with {"slot": name, "action": …}). Raises Refused
    before changing anything. The caller lets go of the cancelled entries' audio copies
    after the commit (as for a revocation). Without `first` (an order that waited for its
    files) it was marked seen and `received` went when it came."""
    store = records.store
    before = store.installed_slot(order.name, connection=db)
    check_slot_order(envelope, order, before)
    if order.action == INSTALL and order.playlist is None:  # read_slot_order parses it
        raise Refused(_(MSG_BAD_SLOT_ORDER).format(problem=_(MSG_ORDER_PLAYLIST)),
                      envelope.id, envelope.key_id)
    stamp = now.timestamp()
    title = order.playlist.title if order.playlist is not None else None
    if first:
        records.mark_seen(db, message_id=envelope.id, key_id=envelope.key_id,
                          seq=envelope.seq, digest=envelope.digest, now=stamp)
        records.add_receipt(db, envelope.id, "received", stamp, slot=order.name,
                            action=order.action, title=title)
    if order.playlist is not None:
        replaced = before is not None
        store.install_slot(order.name, playlist_to_json(order.playlist), stamp,
                           origin=PROVINCE, message_id=envelope.id, key_id=envelope.key_id,
                           connection=db)
        records.add_receipt(db, envelope.id, "accepted", stamp, slot=order.name,
                            action=INSTALL, replaced=replaced)
        return SlotTaken(INSTALL, order.name, replaced=replaced)
    removed = store.remove_slot(order.name, stamp, _(MSG_REMOVED_BY_PROVINCE),
                                origin=PROVINCE, connection=db)
    cancelled, left = removed if removed is not None else ([], [])
    records.add_receipt(db, envelope.id, "accepted", stamp, slot=order.name, action=REMOVE,
                        cancelled=[entry.id for entry in cancelled] or None)
    return SlotTaken(REMOVE, order.name, cancelled=tuple(cancelled), left=tuple(left))


def _shown(value: object) -> str:
    """A value from the payload in a reason: short, one line."""
    text = repr(value)
    return text if len(text) <= 40 else text[:39] + "…"
