"""What the station does with an authentic push, and what a receipt says: pure rules.

No clock, no database, no network here: each function takes what it needs (the
envelope, what was seen before from its key, the time) and returns a decision, so the
rules are tested in milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from broadcaster.i18n import N_, _
from broadcaster.model import Level, Outcome, Playlist
from broadcaster.upstream.envelope import MSG_BAD_FIELD, Envelope, Refused

CLOCK_SKEW = timedelta(minutes=5)  # an issue time this far ahead of our clock is still fine
MIN_EMERGENCY_WINDOW = timedelta(minutes=1)  # an emergency due now may start a little late

# Reasons for refusing a push, recorded and sent back in the `rejected` receipt.
MSG_WRONG_TARGET = N_("addressed to station {target!r}, not to this station ({station!r})")
MSG_REPLAYED = N_("message {id} was already received at {when} (a replay or a repeated delivery)")
MSG_OLD_SEQUENCE = N_("sequence {seq} is not after {last}, the last one seen from key {key_id}")
MSG_EXPIRED = N_("expired at {expires} (station time {now})")
MSG_FROM_FUTURE = N_("issued at {issued}, more than {skew} min ahead of station time {now}")
MSG_SLOT_PUSH = N_("a push is a one-off bulletin; a playlist with a slot is sent with "
                   "`broadcaster province slot install FILE`")
MSG_BAD_PLAYLIST = N_("invalid playlist: {problem}")
MSG_REJECTED_BY_OPERATOR = N_("rejected by operator")
MSG_KEY_REVOKED = N_("key {key_id} was revoked on {when} by key {by}: {reason}")


@dataclass(frozen=True)
class Revoked:
    """A key the station refuses from now on: when the revocation was issued (signed, UTC),
    by which key, and why."""

    key_id: str
    revoked_at: datetime
    by_key: str
    reason: str

    def why(self) -> str:
        """The reason for refusing what this key signs, as recorded and sent upstream."""
        return _(MSG_KEY_REVOKED).format(
            key_id=self.key_id, by=self.by_key, reason=self.reason or "-",
            when=self.revoked_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC"))


@dataclass(frozen=True)
class SenderHistory:
    """What the station already knows about a push's message id and its sender key."""

    seen_at: datetime | None = None  # when this message id was received before
    seen_digest: str | None = None  # the hash of that earlier message
    last_seq: int | None = None  # the highest sequence taken from this key


@dataclass(frozen=True)
class Decision:
    """What to do with an authentic, valid push.

    `action` is "inbox" (a normal push waits for the operator), "schedule" (priority,
    queued at once) or "air" (emergency: queued and cut in at once). Times are aware.
    """

    action: str
    level: Level
    due: datetime
    expires: datetime


def check_target(envelope: Envelope, station_id: str) -> None:
    if envelope.target not in ("all", station_id):
        raise Refused(_(MSG_WRONG_TARGET).format(target=envelope.target, station=station_id),
                      envelope.id, envelope.key_id)


def check_not_revoked(envelope: Envelope, revoked: Revoked | None) -> None:
    """Refuses anything signed by a revoked key — a push, or a revocation: a revoked key
    cannot revoke — whether or not the key is still in trusted_keys."""
    if revoked is not None:
        raise Refused(revoked.why(), envelope.id, envelope.key_id)


def check_replay(envelope: Envelope, history: SenderHistory) -> None:
    """Refuses a message id seen before and a sequence not after the key's last one."""
    if history.seen_at is not None:
        raise Refused(_(MSG_REPLAYED).format(id=envelope.id,
                                             when=history.seen_at.isoformat(timespec="seconds")),
                      envelope.id, envelope.key_id)
    if history.last_seq is not None and envelope.seq <= history.last_seq:
        raise Refused(_(MSG_OLD_SEQUENCE).format(seq=envelope.seq, last=history.last_seq,
                                                 key_id=envelope.key_id),
                      envelope.id, envelope.key_id)


def check_time(envelope: Envelope, now: datetime, *, clock_trusted: bool = True) -> None:
    """Refuses an expired push and one issued too far ahead of `now`. When the station's
    clock is not synchronized (a Pi without RTC boots in the past) only expiry is checked:
    the id and sequence still refuse replays, and an emergency must not be lost to a
    wrong clock."""
    if envelope.expires <= now:
        raise Refused(_(MSG_EXPIRED).format(expires=_text(envelope.expires), now=_text(now)),
                      envelope.id, envelope.key_id)
    if clock_trusted and envelope.issued > now + CLOCK_SKEW:
        raise Refused(_(MSG_FROM_FUTURE).format(issued=_text(envelope.issued), now=_text(now),
                                                skew=int(CLOCK_SKEW.total_seconds() // 60)),
                      envelope.id, envelope.key_id)


def decide_push(envelope: Envelope, playlist: Playlist, now: datetime) -> Decision:
    """Levels per SPEC §1: normal waits in the inbox, priority is scheduled, emergency airs
    at once (until the envelope expires). The envelope's level is the one that counts: it
    is signed with the key; the playlist's own `level:` is ignored. A playlist with a
    `valid_from` in the future is due that day. Raises Refused for a slot playlist."""
    if playlist.slot is not None:
        raise Refused(_(MSG_SLOT_PUSH), envelope.id, envelope.key_id)
    level = envelope.level
    if level is None:  # open_envelope requires it of a push: only a revocation lacks it
        raise Refused(_(MSG_BAD_FIELD).format(field="level", problem=_("is missing")),
                      envelope.id, envelope.key_id)
    due = now
    if level is not Level.EMERGENCY:
        due = pushed_due(playlist, now)
    expires = envelope.expires.astimezone(now.tzinfo)
    if level is Level.EMERGENCY:
        return Decision("air", level, due, max(expires, now + MIN_EMERGENCY_WINDOW))
    return Decision("schedule" if level is Level.PRIORITY else "inbox", level, due, expires)


def pushed_due(playlist: Playlist, now: datetime) -> datetime:
    """A push is due now, or from 00:00 of its `valid_from` day (quiet hours then hold
    it in the rundown like any item); it expires with its signed envelope."""
    from broadcaster.schedule.rules import QuietHours, one_off_window

    due, _ = one_off_window(playlist.valid_from, None, Level.NORMAL, now, QuietHours(()))
    return due


def receipt_kind(outcome: Outcome) -> str:
    """The one receipt an as-run outcome sends upstream: `aired` when all of it aired,
    `partial` when some did, otherwise the outcome itself (`failed`, `cut`,
    `interrupted`, `missed`, `cancelled`); the as-run data says why."""
    return outcome.value


def _text(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")
