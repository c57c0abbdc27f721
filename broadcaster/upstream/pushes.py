"""The station thread's side of the upstream link: pushes in, receipts out.

`Upstream` runs on the station thread and uses the station's Store; the link's network
thread only posts to it. A push is checked in this order — size, JSON, fields, revoked
key, trusted key, signature, target, replay (id and sequence), time, playlist — and
then, in one transaction, either refused (recorded, `rejected` queued) or taken (seen,
into the inbox or the queue, `received` and `accepted` queued). A revocation (an
envelope of kind "revoke", on the same topics) passes the same checks up to the time,
then its keys are recorded as revoked in the same one transaction, which also rejects their
pushes waiting in the inbox and cancels those queued and off air, a bulletin an emergency
cut included (what is on air is not cut). Receipts wait in the outbox until the broker
acknowledges them; `aired`, `missed`, `cancelled` and the other final ones come from the
as-run log.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from broadcaster.i18n import N_, _
from broadcaster.model import OperatorError, Outcome, Playlist
from broadcaster.store import AsRunEntry, Entry, Store
from broadcaster.upstream.decisions import (
    MSG_BAD_PLAYLIST,
    Decision,
    Revoked,
    SenderHistory,
    check_not_revoked,
    check_replay,
    check_target,
    check_time,
    decide_push,
    receipt_kind,
)
from broadcaster.upstream.envelope import (
    MAX_BYTES,
    REVOKE,
    Envelope,
    Refused,
    TrustedKeys,
    open_envelope,
    revocation_of,
)
from broadcaster.upstream.records import UpstreamRecords, as_run_data

if TYPE_CHECKING:
    from broadcaster.config import Config
    from broadcaster.status import LiveStatus
    from broadcaster.upstream.link import UpstreamLink

log = logging.getLogger(__name__)

PAYLOAD_NAME = Path("payload")  # how a push's playlist is named in its problems

MSG_KEYS_UNUSABLE = N_("trusted_keys unusable ({reason}); every push is refused")
MSG_INBOX_WAITING = N_("; inbox: {count} waiting")
MSG_NOT_STARTED = N_("NOT started: {problem}")
MSG_NOT_CONFIGURED = N_("not configured")


@dataclass(frozen=True)
class Taken:
    """What became of one push: `action` is inbox, schedule, air or refused (or revoke, a
    revocation taken: `cancelled` are the queue ids of its keys' pushes it cancelled)."""

    action: str
    message_id: str | None
    reason: str | None = None
    queue_id: int | None = None
    inbox_id: int | None = None
    cancelled: tuple[int, ...] = ()


def trusted_keys(config: Config) -> TrustedKeys:
    """The keys in `[district] trusted_keys`, relative paths from the config file's folder.
    Raises OperatorError naming an unreadable or wrong key file."""
    base = config.source.parent if config.source else Path.cwd()
    return TrustedKeys.load([base / Path(name).expanduser()
                             for name in config.district.trusted_keys])


def authenticate(raw: bytes, *, keys: TrustedKeys, station_id: str,
                 history: Callable[[str, str], SenderHistory],
                 revoked: Callable[[str], Revoked | None] = lambda _key_id: None) -> Envelope:
    """The first checks: size, JSON, fields, revoked key, trusted key, signature, target,
    replay (id, then sequence). Raises Refused. What passes is authentic, for this
    station and new: its id and sequence are spent, whatever `examine` then says."""
    envelope = open_envelope(raw, MAX_BYTES)
    check_not_revoked(envelope, revoked(envelope.key_id))
    keys.verify(envelope)
    check_target(envelope, station_id)
    check_replay(envelope, history(envelope.id, envelope.key_id))
    return envelope


def examine(envelope: Envelope, now: datetime, *, audio_dir: Path, max_text_chars: int,
            clock_trusted: bool = True) -> tuple[Playlist, Decision]:
    """The remaining checks of an authentic push — its times, its playlist (SPEC §5) —
    and what to do with it. Raises Refused; the reason for a bad playlist is the
    playlist's own `payload:line: message`."""
    from broadcaster.playlist import PlaylistError, parse_playlist

    check_time(envelope, now, clock_trusted=clock_trusted)
    try:
        playlist = parse_playlist(envelope.playlist_text(), PAYLOAD_NAME, audio_dir,
                                  max_text_chars=max_text_chars)
    except PlaylistError as error:
        raise Refused(_(MSG_BAD_PLAYLIST).format(problem=error), envelope.id,
                      envelope.key_id) from None
    return playlist, decide_push(envelope, playlist, now)


class Upstream:
    """Pushes, inbox and receipts for the station thread. Without `[district] broker` it
    runs no link but still answers the operator's inbox (receipts wait in the outbox)."""

    def __init__(self, config: Config, store: Store, *,
                 clock_trusted: Callable[[], bool | None] | None = None) -> None:
        from broadcaster.runtime import clock_synchronized

        self.config = config
        self.station_id = config.station.id
        self.records = UpstreamRecords(store, self.station_id)
        self.link: UpstreamLink | None = None
        self._clock_trusted = clock_trusted or clock_synchronized
        self._keys_problem = ""
        self._link_problem = ""
        try:
            self._keys = trusted_keys(config)
        except OperatorError as exc:
            self._keys, self._keys_problem = TrustedKeys({}), _(MSG_KEYS_UNUSABLE).format(
                reason=exc)
            log.error("%s", self._keys_problem)
        self._last_aired: dict[str, Any] | None = None

    @property
    def configured(self) -> bool:
        return bool(self.config.district.broker)

    def start(self, post: Callable[..., None], *, heartbeat_s: float | None = None) -> None:
        """Start the link (if a broker is configured); `post` is the station's inbox. A
        broker setting it cannot use is logged and shown in `describe`: the station airs
        on without the link."""
        if not self.configured or self.link is not None:
            return  # paho (and ssl) stay unimported on a station without a district
        from broadcaster.upstream.link import HEARTBEAT_S, BrokerSettings, UpstreamLink

        district = self.config.district
        try:
            settings = BrokerSettings.from_url(
                district.broker or "", username=district.username,
                password_file=district.password_file, prefix=district.topic_prefix,
                base=self.config.source.parent if self.config.source else None)
        except OperatorError as exc:
            self._link_problem = str(exc)
            log.error("upstream link not started: %s", exc)
            return
        self.link = UpstreamLink(settings, self.station_id, post,
                                 name=self.config.station.name,
                                 heartbeat_s=heartbeat_s or HEARTBEAT_S)
        self.link.start()

    def close(self) -> None:
        if self.link is not None:
            self.link.stop()
            self.link = None

    # --- messages from the link -----------------------------------------------------------

    def handle(self, message: tuple[Any, ...], now: datetime) -> bool:
        """A ("upstream", …) message's tail from the link. True when the queue changed
        (the station then syncs: an emergency goes to the player at once)."""
        kind = message[0]
        if kind == "push":
            raw, topic, mid = message[1], message[2], message[3]
            try:
                taken = self.take(raw, now, topic=topic)
            finally:
                if mid is not None and self.link is not None:
                    self.link.ack(mid)  # recorded either way: the broker may let it go
            self.flush()
            return taken.queue_id is not None or bool(taken.cancelled)
        if kind == "connected":
            self.flush()
        return False

    def take(self, raw: bytes, now: datetime, *, topic: str | None = None) -> Taken:
        """Check one push (or revocation) and record what became of it, in one
        transaction."""
        records = self.records
        stamp = now.timestamp()
        trusted = self._clock_trusted() is not False  # unknown counts as trusted
        envelope: Envelope | None = None
        try:
            envelope = authenticate(raw, keys=self._keys, station_id=self.station_id,
                                    history=records.history, revoked=records.revoked)
            if envelope.kind == REVOKE:
                return self._revoke(envelope, raw, now, topic, clock_trusted=trusted)
            playlist, decision = examine(envelope, now, audio_dir=self.config.audio_dir,
                                         max_text_chars=self.config.tts.max_chars,
                                         clock_trusted=trusted)
        except Refused as refusal:
            self._refuse(refusal, raw, envelope, stamp, topic)
            return Taken("refused", refusal.message_id, reason=refusal.reason)
        queue_id = inbox_id = None
        with records.store.transaction() as db:
            records.mark_seen(db, message_id=envelope.id, key_id=envelope.key_id,
                              seq=envelope.seq, digest=envelope.digest, now=stamp)
            records.add_receipt(db, envelope.id, "received", stamp, level=decision.level.value,
                                title=playlist.title)
            if decision.action == "inbox":
                inbox_id = records.add_to_inbox(
                    db, message_id=envelope.id, key_id=envelope.key_id,
                    target=envelope.target, playlist=playlist, level=decision.level,
                    now=stamp, expires_at=envelope.expires.timestamp())
            else:
                queue_id = records.store.enqueue(
                    title=playlist.title, level=decision.level, source="upstream",
                    items=playlist.items, due_at=decision.due.timestamp(), now=stamp,
                    expires_at=decision.expires.timestamp(),
                    reference=envelope.id, connection=db)
                records.add_receipt(db, envelope.id, "accepted", stamp, queue_id=queue_id)
        log.info("upstream push %s (%s) %s: %s", envelope.id, decision.level.value,
                 decision.action, playlist.title)
        return Taken(decision.action, envelope.id, queue_id=queue_id, inbox_id=inbox_id)

    def _revoke(self, envelope: Envelope, raw: bytes, now: datetime, topic: str | None, *,
                clock_trusted: bool) -> Taken:
        """An authentic, new revocation: its times and payload checked, its keys recorded
        as revoked (their pushes still waiting in the inbox rejected, those queued and not
        started cancelled), `received` and `accepted` queued, all in one transaction (a
        key not in trusted_keys is recorded too: it stays refused if it is added later).
        The cancelled pushes' `cancelled` receipts follow from the as-run log (`tick`)."""
        stamp = now.timestamp()
        try:
            check_time(envelope, now, clock_trusted=clock_trusted)
            revocation = revocation_of(envelope)
        except Refused as refusal:
            self._refuse(refusal, raw, envelope, stamp, topic)
            return Taken("refused", refusal.message_id, reason=refusal.reason)
        records = self.records
        with records.store.transaction() as db:
            records.mark_seen(db, message_id=envelope.id, key_id=envelope.key_id,
                              seq=envelope.seq, digest=envelope.digest, now=stamp)
            records.add_receipt(db, envelope.id, "received", stamp,
                                revoked=list(revocation.keys))
            fresh, cancelled = records.revoke(db, keys=revocation.keys,
                                              revoked_at=envelope.issued.timestamp(),
                                              by_key=envelope.key_id,
                                              reason=revocation.reason,
                                              message_id=envelope.id, now=stamp)
            records.add_receipt(db, envelope.id, "accepted", stamp,
                                revoked=list(revocation.keys), newly_revoked=fresh,
                                cancelled=[entry.reference for entry in cancelled] or None)
        self._release_audio(cancelled)
        log.warning("upstream revocation %s by key %s: key(s) %s refused from now on (%s)",
                    envelope.id, envelope.key_id, ", ".join(revocation.keys),
                    revocation.reason)
        return Taken(REVOKE, envelope.id, cancelled=tuple(entry.id for entry in cancelled))

    def _release_audio(self, cancelled: list[Entry]) -> None:
        """Copies of played files that only the cancelled entries needed go (queued_audio)."""
        from broadcaster import queued_audio

        if any(queued_audio.needs_release(entry.items, self.config.audio_dir)
               for entry in cancelled):
            queued_audio.release_unneeded(self.config.audio_dir, self.records.store)

    def _refuse(self, refusal: Refused, raw: bytes, spent: Envelope | None, stamp: float,
                topic: str | None) -> None:
        """Record the refusal and queue `rejected`. A push that was authentic and new
        (`spent`) is marked seen, so the same id or an older sequence is refused too. A
        repeated delivery of a push already taken is flagged `duplicate` in the receipt."""
        records = self.records
        reason = refusal.reason
        if self._keys_problem and refusal.key_id and reason.startswith("signed by key"):
            reason = f"{reason}; {self._keys_problem}"
        duplicate = False
        if spent is None and refusal.message_id is not None and refusal.key_id is not None:
            before = records.history(refusal.message_id, refusal.key_id)
            duplicate = before.seen_digest == hashlib.sha256(raw).hexdigest()
        with records.store.transaction() as db:
            if spent is not None:
                records.mark_seen(db, message_id=spent.id, key_id=spent.key_id, seq=spent.seq,
                                  digest=spent.digest, now=stamp)
            records.refuse(db, reason=reason, message_id=refusal.message_id,
                           key_id=refusal.key_id, size=len(raw), topic=topic, now=stamp,
                           duplicate=duplicate)
        log.warning("upstream push refused: %s", reason)

    # --- every turn of the station loop -----------------------------------------------------

    def tick(self, now: datetime) -> None:
        """Turn new as-run lines of upstream items into `aired`/`missed` receipts, let go
        of receipts the broker acknowledged, hand new ones to the link. Cheap: two
        indexed reads when nothing happened."""
        lines = self.records.new_as_run()
        if lines:
            self._report(lines, now)
        if self.link is not None:
            confirmed = self.link.confirmed()
            if confirmed:
                self.records.mark_sent(confirmed, now.timestamp())
        self.flush()

    def _report(self, lines: list[tuple[AsRunEntry, str | None]], now: datetime) -> None:
        with self.records.store.transaction() as db:
            for line, message_id in lines:
                if line.outcome is Outcome.AIRED:
                    self._last_aired = {"title": line.title, "level": line.level.value,
                                        "ended": as_run_data(line)["ended"]}
                kind = receipt_kind(line.outcome)
                if message_id is not None:
                    self.records.add_receipt(db, message_id, kind, now.timestamp(),
                                             as_run=as_run_data(line))
                self.records.looked_at(db, line.id)

    def flush(self) -> None:
        """Hand the link every unacknowledged receipt it does not hold yet, oldest first
        (the link skips those already on their way)."""
        if self.link is None:
            return
        for receipt in self.records.unsent():
            self.link.publish_receipt(receipt.id, receipt.body)

    # --- status ----------------------------------------------------------------------------

    def show(self, status: LiveStatus) -> None:
        """The station's live status: what the district sees in `district status`."""
        if self.link is None:
            return
        on_air = status.on_air
        self.link.show({
            "on_air": {"title": on_air.title, "level": on_air.level, "kind": on_air.kind}
            if on_air else None,
            "last_aired": self._last_aired,
            "last_error": status.last_error,
            "inbox": self.records.waiting_count(),
            # the collector's `district status`: faults and the clock, as `status` shows them
            "device_error": status.device_error,
            "amplifier": status.amplifier,
            "clock_synchronized": status.clock_synchronized,
        })

    def describe(self) -> str:
        """One line for `broadcaster status`."""
        waiting = self.records.waiting_count()
        inbox = _(MSG_INBOX_WAITING).format(count=waiting) if waiting else ""
        problem = f"; {self._keys_problem}" if self._keys_problem else ""
        if self.link is None:
            state = _(MSG_NOT_STARTED).format(problem=self._link_problem) \
                if self._link_problem else _(MSG_NOT_CONFIGURED)
            return state + inbox + problem
        zone = ZoneInfo(self.config.station.timezone)
        return self.link.describe(zone) + inbox + problem
