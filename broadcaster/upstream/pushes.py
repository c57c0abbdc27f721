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

A push that carries recorded audio (files.py) whose files the station does not have yet
is taken as far as `received` and waits, its message kept, while the receiver
(receiving.py) fetches them; once every file is here and whole, it goes on exactly as a
push without files would, its time and playlist checked again then. A push whose files
do not arrive before it expires is answered `missed`; one whose file cannot come right
`rejected`; neither airs any of it.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from broadcaster.i18n import N_, _
from broadcaster.model import Level, OperatorError, Outcome, Playlist
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
    SLOT,
    Envelope,
    Refused,
    TrustedKeys,
    open_envelope,
    revocation_of,
)
from broadcaster.upstream.files import FileManifest, FilesRefused, read_manifests
from broadcaster.upstream.records import Receiving, UpstreamRecords, as_run_data
from broadcaster.upstream.slots import (
    SlotOrder,
    check_slot_order,
    read_slot_order,
    take_slot_order,
)

if TYPE_CHECKING:
    from broadcaster.config import Config
    from broadcaster.status import LiveStatus
    from broadcaster.upstream.link import UpstreamLink
    from broadcaster.upstream.receiving import FileReceiver

log = logging.getLogger(__name__)

PAYLOAD_NAME = Path("payload")  # how a push's playlist is named in its problems

MSG_KEYS_UNUSABLE = N_("trusted_keys unusable ({reason}); every push is refused")
MSG_INBOX_WAITING = N_("; inbox: {count} waiting")
MSG_NOT_STARTED = N_("NOT started: {problem}")
MSG_NOT_CONFIGURED = N_("not configured")
MSG_FETCHING = N_("fetching its recorded audio from the province: {count} file(s), {size} MB")
MSG_FILES_LATE = N_("its recorded audio did not arrive before it expired ({got} of {total} "
                    "chunks here)")
MSG_RECEIVING = N_("; {count} push(es) waiting for their recorded audio: {got} of {total} "
                   "chunks here")


@dataclass(frozen=True)
class Taken:
    """What became of one push: `action` is inbox, schedule, air or refused (or revoke, a
    revocation taken: `cancelled` are the queue ids of its keys' pushes it cancelled; or
    receiving, a push waiting for its files)."""

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
            clock_trusted: bool = True, provided: dict[str, Path] | None = None,
            zones: Collection[str] = ()) -> tuple[Playlist, Decision]:
    """The remaining checks of an authentic push — its times, its playlist (SPEC §5) —
    and what to do with it. Raises Refused; the reason for a bad playlist is the
    playlist's own `payload:line: message`. `provided`: the push's files (name → where
    the station keeps them), see `push_files`. `zones`: the station's zone names, the
    only ones a push may name; an emergency goes to every zone whatever it names."""
    from broadcaster.config import ANY_ZONE
    from broadcaster.playlist import PlaylistError, parse_playlist

    check_time(envelope, now, clock_trusted=clock_trusted)
    emergency = envelope.level is Level.EMERGENCY
    try:
        playlist = parse_playlist(envelope.playlist_text(), PAYLOAD_NAME, audio_dir,
                                  max_text_chars=max_text_chars, provided=provided,
                                  zones=ANY_ZONE if emergency else zones)
    except PlaylistError as error:
        raise Refused(_(MSG_BAD_PLAYLIST).format(problem=error), envelope.id,
                      envelope.key_id) from None
    if emergency:
        playlist = replace(playlist, zones=None)
    return playlist, decide_push(envelope, playlist, now)


NO_LIMIT = 2**62  # a kept push's files were held to the limit when it came


@dataclass(frozen=True)
class Waiting:
    """A push waiting for its files, as kept: its row, its message, its files."""

    row: Receiving
    envelope: Envelope
    manifests: tuple[FileManifest, ...]
    provided: dict[str, Path]


def push_files(envelope: Envelope, audio_dir: Path,
               max_bytes: int) -> tuple[tuple[FileManifest, ...], dict[str, Path]]:
    """The files an authentic push carries and where the station keeps each (in
    queued_audio's folder, by content). Raises Refused for a bad file list or files over
    `max_bytes` together."""
    from broadcaster.queued_audio import folder

    if envelope.files is None:
        return (), {}
    try:
        manifests = read_manifests(envelope.files, max_bytes=max_bytes)
    except FilesRefused as refusal:
        raise Refused(str(refusal), envelope.id, envelope.key_id) from None
    into = folder(audio_dir)
    return manifests, {manifest.name: into / manifest.stored_name for manifest in manifests}


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
        self.files: FileReceiver | None = None
        self._next_expiry = self._receiving_expiry()

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
        from broadcaster.queued_audio import folder
        from broadcaster.upstream.receiving import FileReceiver

        self.files = FileReceiver(folder(self.config.audio_dir), self.station_id,
                                  ask=lambda need: self.link is not None and self.link.ask(need),
                                  post=post)
        self.link = UpstreamLink(settings, self.station_id, post,
                                 name=self.config.station.name,
                                 heartbeat_s=heartbeat_s or HEARTBEAT_S,
                                 on_chunk=self.files.chunk)
        self.files.start()
        self._fetch_waiting()
        self.link.start()

    def close(self) -> None:
        if self.link is not None:
            self.link.stop()
            self.link = None
        if self.files is not None:
            self.files.stop()
            self.files = None

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
            # a slot order changed the slots: the daemon looks again (its own writes do not
            # move the database's data_version)
            return taken.queue_id is not None or bool(taken.cancelled) or taken.action == SLOT
        if kind == "connected":
            if self.files is not None:
                self.files.connected()
            self.flush()
        if kind == "file_done":
            changed = self._files_arrived(now)
            self.flush()
            return changed
        if kind in ("file_failed", "chunk_refused"):
            self._file_trouble(message[1], message[-1], now,
                               index=message[2] if kind == "chunk_refused" else None)
            self.flush()
        return False

    def take(self, raw: bytes, now: datetime, *, topic: str | None = None) -> Taken:
        """Check one push (or revocation, or slot order) and record what became of it, in
        one transaction; one whose recorded audio is still to come waits for it."""
        records = self.records
        stamp = now.timestamp()
        trusted = self._clock_trusted() is not False  # unknown counts as trusted
        envelope: Envelope | None = None
        try:
            envelope = authenticate(raw, keys=self._keys, station_id=self.station_id,
                                    history=records.history, revoked=records.revoked)
            if envelope.kind == REVOKE:
                return self._revoke(envelope, raw, now, topic, clock_trusted=trusted)
            manifests, provided = push_files(envelope, self.config.audio_dir,
                                             self.config.district.max_push_mb * 1_000_000)
            missing = [manifest for manifest in manifests
                       if not provided[manifest.name].exists()]
            if envelope.kind == SLOT:
                order = read_slot_order(envelope, now, audio_dir=self.config.audio_dir,
                                        max_text_chars=self.config.tts.max_chars,
                                        clock_trusted=trusted, provided=provided,
                                        zones=self.config.zones)
                if missing:  # refused now if it could never be done, not after the download
                    check_slot_order(envelope, order, records.store.installed_slot(order.name))
                    return self._receive(envelope, raw, missing, stamp, title=order.name)
                return self._slot(envelope, order, raw, now, topic, first=True)
            playlist, decision = examine(envelope, now, audio_dir=self.config.audio_dir,
                                         max_text_chars=self.config.tts.max_chars,
                                         clock_trusted=trusted, provided=provided,
                                         zones=self.config.zones)
        except Refused as refusal:
            self._refuse(refusal, raw, envelope, stamp, topic)
            return Taken("refused", refusal.message_id, reason=refusal.reason)
        if missing:
            return self._receive(envelope, raw, missing, stamp, title=playlist.title,
                                 level=decision.level.value)
        return self._admit(envelope, playlist, decision, stamp, first=True)

    def _slot(self, envelope: Envelope, order: SlotOrder, raw: bytes, now: datetime,
              topic: str | None, *, first: bool) -> Taken:
        """An authentic, new slot order, checked against the station's slot of that name
        and done in one transaction (slots.py); else refused, recorded, `rejected`.
        Without `first` it waited for its files and leaves that list in the same
        transaction."""
        try:
            with self.records.store.transaction() as db:
                if not first and not self.records.done_receiving(db, envelope.id):
                    return Taken("refused", envelope.id, reason="no longer waiting")
                taken = take_slot_order(self.records, db, envelope, order, now, first=first)
        except Refused as refusal:
            if first:
                self._refuse(refusal, raw, envelope, now.timestamp(), topic)
            else:
                self._give_up(envelope.id, "rejected", refusal.reason, now.timestamp())
            return Taken("refused", refusal.message_id, reason=refusal.reason)
        self._release_audio(list(taken.cancelled))
        log.info("upstream slot order %s: %s slot %s", envelope.id, taken.action, taken.name)
        return Taken(SLOT, envelope.id, cancelled=tuple(entry.id for entry in taken.cancelled))

    def _admit(self, envelope: Envelope, playlist: Playlist, decision: Decision,
               stamp: float, *, first: bool) -> Taken:
        """Into the inbox or the queue, `accepted` for the latter, in one transaction; with
        `first`, the push is marked seen and `received` too (else that was done when it
        came and it waited for its files: it leaves that list in the same transaction)."""
        records = self.records
        queue_id = inbox_id = None
        with records.store.transaction() as db:
            if first:
                records.mark_seen(db, message_id=envelope.id, key_id=envelope.key_id,
                                  seq=envelope.seq, digest=envelope.digest, now=stamp)
                records.add_receipt(db, envelope.id, "received", stamp,
                                    level=decision.level.value, title=playlist.title)
            elif not records.done_receiving(db, envelope.id):
                return Taken("refused", envelope.id, reason="no longer waiting")
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
                    reference=envelope.id, zones=playlist.zones, connection=db)
                records.add_receipt(db, envelope.id, "accepted", stamp, queue_id=queue_id)
        log.info("upstream push %s (%s) %s: %s", envelope.id, decision.level.value,
                 decision.action, playlist.title)
        return Taken(decision.action, envelope.id, queue_id=queue_id, inbox_id=inbox_id)

    # --- pushes waiting for their files ------------------------------------------------------

    def _receive(self, envelope: Envelope, raw: bytes, missing: list[FileManifest],
                 stamp: float, *, title: str, level: str | None = None) -> Taken:
        """Seen, `received` (with what is still to come), kept until its files are here."""
        records = self.records
        with records.store.transaction() as db:
            records.mark_seen(db, message_id=envelope.id, key_id=envelope.key_id,
                              seq=envelope.seq, digest=envelope.digest, now=stamp)
            records.add_receipt(db, envelope.id, "received", stamp, level=level, title=title,
                                reason=_(MSG_FETCHING).format(
                                    count=len(missing),
                                    size=f"{sum(m.size for m in missing) / 1e6:.1f}"),
                                files={"missing": len(missing),
                                       "bytes": sum(manifest.size for manifest in missing)})
            records.add_receiving(db, message_id=envelope.id, key_id=envelope.key_id, raw=raw,
                                  now=stamp, expires_at=envelope.expires.timestamp())
        self._next_expiry = self._receiving_expiry()
        if self.files is not None:
            for manifest in missing:
                self.files.expect(manifest)
        log.info("upstream %s %s waits for %d file(s), %d bytes: %s", envelope.kind,
                 envelope.id, len(missing), sum(m.size for m in missing), title)
        return Taken("receiving", envelope.id)

    def _waiting_for_files(self) -> list[Waiting]:
        """The pushes waiting for their files, read again from the messages kept."""
        waiting = []
        for row in self.records.receiving():
            try:
                envelope = open_envelope(row.envelope, MAX_BYTES)
                manifests, provided = push_files(envelope, self.config.audio_dir, NO_LIMIT)
            except Refused:
                continue  # it passed these checks when it came
            waiting.append(Waiting(row, envelope, manifests, provided))
        return waiting

    def _fetch_waiting(self) -> None:
        """At start: fetch the files of pushes still waiting; let go of half-received
        files no push needs any more."""
        from broadcaster.queued_audio import folder

        wanted: set[str] = set()
        for push in self._waiting_for_files():
            for manifest in push.manifests:
                wanted.add(manifest.sha256)
                if self.files is not None and not push.provided[manifest.name].exists():
                    self.files.expect(manifest)
        into = folder(self.config.audio_dir)
        if into.is_dir():
            for path in into.glob(".*.incoming"):
                if path.name[1:65] not in wanted:
                    path.unlink(missing_ok=True)
                    path.with_name(path.name.replace(".incoming", ".have")).unlink(
                        missing_ok=True)

    def _files_arrived(self, now: datetime) -> bool:
        """A file is here: the pushes that now have all theirs go on. True when the queue
        changed."""
        changed = False
        trusted = self._clock_trusted() is not False
        for push in self._waiting_for_files():
            if not all(path.exists() for path in push.provided.values()):
                continue
            if push.envelope.kind == SLOT:
                try:
                    order = read_slot_order(push.envelope, now,
                                            audio_dir=self.config.audio_dir,
                                            max_text_chars=self.config.tts.max_chars,
                                            clock_trusted=trusted, provided=push.provided,
                                            zones=self.config.zones)
                except Refused as refusal:
                    self._give_up(push.row.message_id, "rejected", refusal.reason, now.timestamp())
                    continue
                taken = self._slot(push.envelope, order, push.row.envelope, now, None,
                                   first=False)
                changed = changed or taken.action == SLOT
                continue
            try:
                playlist, decision = examine(push.envelope, now,
                                             audio_dir=self.config.audio_dir,
                                             max_text_chars=self.config.tts.max_chars,
                                             clock_trusted=trusted, provided=push.provided,
                                             zones=self.config.zones)
            except Refused as refusal:
                self._give_up(push.row.message_id, "rejected", refusal.reason, now.timestamp())
                continue
            taken = self._admit(push.envelope, playlist, decision, now.timestamp(),
                                first=False)
            changed = changed or taken.queue_id is not None
        self._next_expiry = self._receiving_expiry()
        return changed

    def _file_trouble(self, sha: str, reason: str, now: datetime, *,
                      index: int | None) -> None:
        """A chunk refused (recorded, `rejected` naming the chunk: it is asked for again)
        or a file that cannot come right (its pushes `rejected`)."""
        stamp = now.timestamp()
        for push in self._waiting_for_files():
            if not any(manifest.sha256 == sha for manifest in push.manifests):
                continue
            if index is None:
                self._give_up(push.row.message_id, "rejected", reason, stamp)
                continue
            with self.records.store.transaction() as db:
                self.records.refuse(db, reason=reason, message_id=push.row.message_id,
                                    key_id=push.row.key_id, size=0, topic=None, now=stamp,
                                    chunk={"sha256": sha, "index": index})
        self._next_expiry = self._receiving_expiry()

    def _give_up(self, message_id: str, kind: str, reason: str, stamp: float) -> None:
        """A push waiting for its files will not air: `kind` (rejected, missed) goes
        upstream; files only it needed are let go."""
        with self.records.store.transaction() as db:
            if not self.records.done_receiving(db, message_id):
                return
            self.records.add_receipt(db, message_id, kind, stamp, reason=reason)
        log.warning("upstream push %s will not air: %s", message_id, reason)
        self._let_go_of_files()

    def _let_go_of_files(self) -> None:
        """Stop fetching files no waiting push names any more."""
        if self.files is None:
            return
        wanted = {manifest.sha256 for push in self._waiting_for_files()
                  for manifest in push.manifests}
        for sha in self.files.expected() - wanted:
            self.files.forget(sha)

    def _receiving_expiry(self) -> float | None:
        rows = self.records.store.query("SELECT min(expires_at) FROM upstream_receiving")
        return float(rows[0][0]) if rows and rows[0][0] is not None else None

    def _expire_receiving(self, now: datetime) -> None:
        stamp = now.timestamp()
        arriving = self.files.arriving() if self.files is not None else {}
        for push in self._waiting_for_files():
            if push.row.expires_at > stamp:
                continue
            got = total = 0
            for manifest in push.manifests:
                here, count = arriving.get(manifest.sha256, (0, len(manifest.chunks)))
                got, total = got + here, total + count
            self._give_up(push.row.message_id, "missed",
                          _(MSG_FILES_LATE).format(got=got, total=total), stamp)
        self._next_expiry = self._receiving_expiry()

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
        self._let_go_of_files()
        self._next_expiry = self._receiving_expiry()
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
        if self._next_expiry is not None and self._next_expiry <= now.timestamp():
            self._expire_receiving(now)
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
        if self._next_expiry is not None:  # some push waits for its files
            arriving = self.files.arriving() if self.files is not None else {}
            inbox += _(MSG_RECEIVING).format(
                count=len(self.records.receiving()),
                got=sum(here for here, _total in arriving.values()),
                total=sum(total for _here, total in arriving.values()))
        if self.link is None:
            state = _(MSG_NOT_STARTED).format(problem=self._link_problem) \
                if self._link_problem else _(MSG_NOT_CONFIGURED)
            return state + inbox + problem
        zone = ZoneInfo(self.config.station.timezone)
        return self.link.describe(zone) + inbox + problem
