"""Several trusted keys, rotation and signed revocation (SPEC §7): at the station without a
network, then over a real Mosquitto on 127.0.0.1 with the province's own commands."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from broadcaster.asrun import Progress
from broadcaster.config import load_config
from broadcaster.model import Level, OperatorError
from broadcaster.store import Store
from broadcaster.upstream import inbox
from broadcaster.upstream.pushes import Upstream
from tests.support.broker import Broker
from tests.support.daemon import Daemon, daemon_station
from tests.support.upstream import PREFIX, District, LinkStation, Listener, station_config

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
STATION = "tan-phong"


def now() -> datetime:
    return datetime.now(ZONE)


@pytest.fixture
def old(tmp_path: Path) -> District:
    return District(tmp_path / "old")


@pytest.fixture
def new(tmp_path: Path) -> District:
    return District(tmp_path / "new")


@pytest.fixture
def stranger(tmp_path: Path) -> District:
    return District(tmp_path / "stranger")


OpenStation = Callable[..., Upstream]

DAEMON_DISTRICT = """
[district]
broker = "{url}"
topic_prefix = "{prefix}"
trusted_keys = {keys}
"""


@pytest.fixture
def open_station(tmp_path: Path) -> Iterator[OpenStation]:
    """`open_station(*districts)`: the station's upstream side (its database in the same
    folder each time, as after a restart) trusting those districts' keys."""
    stores: list[Store] = []

    def opened(*trusted: District) -> Upstream:
        config = load_config(station_config(tmp_path / "station", STATION,
                                            "mqtt://127.0.0.1:1",
                                            [d.public_path for d in trusted]))
        store = Store(config.data_dir / "station.db")
        stores.append(store)
        return Upstream(config, store, clock_trusted=lambda: True)

    yield opened
    for store in stores:
        store.close()


def receipts(upstream: Upstream, message_id: str | None = None) -> list[dict[str, Any]]:
    return [json.loads(r.body) for r in upstream.records.receipts(message_id)]


def revoked_ids(upstream: Upstream) -> list[str]:
    return [revoked.key_id for revoked in upstream.records.revocations()]


# --- at the station -------------------------------------------------------------------------

def test_a_push_signed_by_any_trusted_key_is_taken_and_a_stranger_is_named(
        open_station: OpenStation, old: District, new: District, stranger: District) -> None:
    station = open_station(old, new)
    assert station.take(old.envelope(), now()).action == "schedule"
    assert station.take(new.envelope(), now()).action == "schedule"  # rotation: both at once
    refused = station.take(stranger.envelope(), now())
    assert refused.action == "refused"
    assert refused.reason == (f"signed by key {stranger.key_id}, which is not in this "
                              f"station's trusted_keys")
    (refusal,) = station.records.refusals()
    assert refusal.key_id == stranger.key_id
    assert len(station.records.store.pending()) == 2


def test_a_revoked_key_is_refused_from_then_on_though_still_trusted(
        open_station: OpenStation, old: District, new: District) -> None:
    station = open_station(old, new)
    issued = datetime(2026, 7, 1, 1, 30, tzinfo=UTC)
    revocation = new.revocation([old.key_id], reason="rotated", issued=issued)
    taken = station.take(revocation, now())
    assert taken.action == "revoke"
    answers = receipts(station, taken.message_id)
    assert [r["receipt"] for r in answers] == ["received", "accepted"]
    assert answers[1]["revoked"] == [old.key_id] and answers[1]["newly_revoked"] == [old.key_id]
    refused = station.take(old.envelope(level=Level.EMERGENCY), now())
    assert refused.reason == (f"key {old.key_id} was revoked on 2026-07-01 01:30 UTC by key "
                              f"{new.key_id}: rotated")
    rejected = receipts(station, refused.message_id)[-1]
    assert (rejected["receipt"], rejected["reason"]) == ("rejected", refused.reason)
    assert station.records.refusals()[-1].reason == refused.reason
    assert station.records.store.pending() == []  # the emergency did not air
    assert station.take(new.envelope(), now()).action == "schedule"


def test_a_push_of_the_revoked_key_still_waiting_in_the_inbox_can_no_longer_be_accepted(
        open_station: OpenStation, old: District, new: District) -> None:
    station = open_station(old, new)
    suspect = station.take(old.envelope(level=Level.NORMAL), now())
    trusted = station.take(new.envelope(level=Level.NORMAL), now())
    revocation = station.take(new.revocation([old.key_id], reason="leaked"), now())
    assert [entry.id for entry in inbox.waiting(station.config)] == [trusted.inbox_id]
    (withdrawn,) = [e for e in inbox.waiting(station.config, every=True)
                    if e.id == suspect.inbox_id]
    assert withdrawn.state == "rejected" and withdrawn.reason is not None
    assert withdrawn.reason.startswith(f"key {old.key_id} was revoked on ")
    with pytest.raises(OperatorError, match="no push #"):
        inbox.accept(station.config, suspect.inbox_id or 0)
    answers = [(r["message_id"], r["receipt"]) for r in receipts(station)][-3:]
    assert answers == [(revocation.message_id, "received"), (suspect.message_id, "rejected"),
                       (revocation.message_id, "accepted")]


def bulletin(title: str, days_ahead: int) -> str:
    """A pushed playlist due `days_ahead` days from now (its valid_from day, 00:00)."""
    day = (now() + timedelta(days=days_ahead)).date().isoformat()
    return f"title: {title}\nvalid_from: {day}\nitems:\n  - say: Họp dân lúc 8 giờ.\n"


def lasting(days: int) -> datetime:
    return datetime.now(UTC) + timedelta(days=days)


def test_a_revocation_cancels_what_the_revoked_key_queued_and_is_not_on_air(
        open_station: OpenStation, old: District, new: District) -> None:
    station = open_station(old, new)
    records, store = station.records, station.records.store
    station.tick(now())  # the daemon's first turn: the as-run log is read from here on
    priority = station.take(old.envelope(level=Level.PRIORITY, expires=lasting(3),
                                         payload=bulletin("Ưu tiên", 2)), now())
    normal = station.take(old.envelope(level=Level.NORMAL, expires=lasting(3),
                                       payload=bulletin("Thông thường", 1)), now())
    _entry, normal_queue = records.accept(normal.inbox_id or 0, now())
    airing = station.take(old.envelope(payload=bulletin("Đang phát", 0)), now())
    resuming = station.take(old.envelope(payload=bulletin("Bị cắt", 0)), now())
    trusted = station.take(new.envelope(level=Level.PRIORITY, expires=lasting(3),
                                        payload=bulletin("Khóa mới", 1)), now())
    assert None not in (priority.queue_id, airing.queue_id, trusted.queue_id)
    store.set_on_air(airing.queue_id or 0, now().timestamp())  # already on air: not cut
    cut_at = now().timestamp()
    store.set_on_air(resuming.queue_id or 0, cut_at)  # an emergency cut it: it waits to
    store.set_progress(resuming.queue_id or 0, Progress(), state="pending")  # resume
    taken = station.take(new.revocation([old.key_id], reason="leaked"), now())
    assert sorted(taken.cancelled) == sorted([priority.queue_id or 0, normal_queue,
                                              resuming.queue_id or 0])
    cancelled = store.as_run()
    assert sorted(line.queue_id or 0 for line in cancelled) == sorted(taken.cancelled)
    for line in cancelled:
        assert line.outcome.value == "cancelled" and line.source == "upstream"
        # the cut one says when it went on air; the others never did
        assert line.started_at == (cut_at if line.queue_id == resuming.queue_id else None)
        assert line.reason is not None
        assert line.reason.startswith(f"its province key was revoked: key {old.key_id} "
                                      f"was revoked on ")
        assert line.reason.endswith(f" by key {new.key_id}: leaked")
    assert sorted(entry.id for entry in store.pending()) == sorted(
        [airing.queue_id or 0, trusted.queue_id or 0])
    assert store.entry(airing.queue_id or 0).state == "on_air"  # type: ignore[union-attr]
    accepted = receipts(station, taken.message_id)[-1]
    assert accepted["receipt"] == "accepted"
    assert sorted(accepted["cancelled"]) == sorted([priority.message_id or "",
                                                    normal.message_id or "",
                                                    resuming.message_id or ""])
    station.tick(now())  # the final receipts come from the as-run log, as `aired` does
    for push in (priority, normal):
        final = receipts(station, push.message_id)[-1]
        assert final["receipt"] == "cancelled"
        assert final["as_run"]["outcome"] == "cancelled"
        assert final["as_run"]["reason"].startswith("its province key was revoked: ")
    assert [r["receipt"] for r in receipts(station, trusted.message_id)] == ["received",
                                                                             "accepted"]
    assert [r["receipt"] for r in receipts(station, airing.message_id)] == ["received",
                                                                            "accepted"]
    listed = broadcaster("queue", "--json", "--config", str(station.config.source))
    assert listed.exit_code == 0, listed.output
    assert sorted(row["id"] for row in json.loads(listed.stdout)) == sorted(
        [airing.queue_id or 0, trusted.queue_id or 0])
    shown = broadcaster("log", "--config", str(station.config.source))
    assert "its province key was revoked" in shown.stdout, shown.output


def test_a_revocation_taken_again_cancels_nothing_more(
        open_station: OpenStation, old: District, new: District) -> None:
    station = open_station(old, new)
    first = station.take(new.revocation([old.key_id]), now())
    assert first.cancelled == ()
    queued = station.take(new.envelope(), now())
    again = station.take(new.revocation([old.key_id]), now())  # a second, new revocation
    assert again.action == "revoke" and again.cancelled == ()
    assert [entry.id for entry in station.records.store.pending()] == [queued.queue_id]
    assert station.records.store.as_run() == []


def test_an_accept_that_read_the_push_before_the_revocation_landed_queues_nothing(
        open_station: OpenStation, old: District, new: District,
        monkeypatch: pytest.MonkeyPatch) -> None:
    station = open_station(old, new)
    suspect = station.take(old.envelope(level=Level.NORMAL), now())
    records = station.records
    read = records._waiting

    def read_then_revoked(inbox_id: int, stamp: float) -> Any:
        entry = read(inbox_id, stamp)
        station.take(new.revocation([old.key_id]), now())  # between the read and the write
        return entry

    monkeypatch.setattr(records, "_waiting", read_then_revoked)
    with pytest.raises(OperatorError, match="no push #"):
        records.accept(suspect.inbox_id or 0, now())
    assert records.store.pending() == []
    assert [r["receipt"] for r in receipts(station, suspect.message_id)] == ["received",
                                                                            "rejected"]


def test_a_key_may_revoke_itself_and_the_other_key_carries_on(
        open_station: OpenStation, old: District, new: District) -> None:
    station = open_station(old, new)
    assert station.take(old.revocation([old.key_id], reason="lost laptop"), now()).action \
        == "revoke"
    assert "was revoked on" in (station.take(old.envelope(), now()).reason or "")
    assert station.take(new.envelope(), now()).action == "schedule"


def test_a_revoked_key_cannot_revoke(open_station: OpenStation, old: District,
                                     new: District) -> None:
    station = open_station(old, new)
    station.take(new.revocation([old.key_id]), now())
    answer = station.take(old.revocation([new.key_id], reason="revenge"), now())
    assert answer.action == "refused" and f"key {old.key_id} was revoked" in (answer.reason or "")
    assert revoked_ids(station) == [old.key_id]
    assert station.take(new.envelope(), now()).action == "schedule"


def test_a_revocation_not_signed_by_a_trusted_key_is_refused_and_recorded(
        open_station: OpenStation, old: District, stranger: District) -> None:
    station = open_station(old)
    answer = station.take(stranger.revocation([old.key_id]), now())
    assert answer.action == "refused" and "not in this station's trusted_keys" in (
        answer.reason or "")
    (refusal,) = station.records.refusals()
    assert (refusal.message_id, refusal.key_id) == (answer.message_id, stranger.key_id)
    assert receipts(station, answer.message_id)[-1]["receipt"] == "rejected"
    assert revoked_ids(station) == []
    assert station.take(old.envelope(), now()).action == "schedule"


def test_a_replayed_or_expired_revocation_is_refused(
        open_station: OpenStation, old: District, new: District) -> None:
    station = open_station(old, new)
    revocation = new.revocation([old.key_id])
    station.take(revocation, now())
    replayed = station.take(revocation, now())
    assert replayed.action == "refused" and "already received" in (replayed.reason or "")
    assert receipts(station, replayed.message_id)[-1]["duplicate"] is True
    past = datetime.now(UTC) - timedelta(hours=2)
    expired = station.take(new.revocation(["cd" * 16], issued=past,
                                          expires=past + timedelta(hours=1)), now())
    assert expired.action == "refused" and "expired at" in (expired.reason or "")
    assert revoked_ids(station) == [old.key_id]
    assert [r.reason for r in station.records.refusals()] == [replayed.reason, expired.reason]


def test_a_revocation_for_another_station_or_with_a_bad_payload_changes_nothing(
        open_station: OpenStation, old: District, new: District) -> None:
    station = open_station(old, new)
    elsewhere = station.take(new.revocation([old.key_id], target="xa-khac"), now())
    assert "not to this station" in (elsewhere.reason or "")
    fields = json.loads(new.revocation([old.key_id]))
    fields["payload"]["keys"] = ["not-a-key"]
    unsigned = station.take(json.dumps(fields).encode(), now())
    assert "signature does not match" in (unsigned.reason or "")
    bad = station.take(new.revocation(["not-a-key"]), now())  # signed, but not a key id
    assert bad.reason == 'invalid revocation: "not-a-key" is not a key id (32 hex digits)'
    assert revoked_ids(station) == []
    assert len(station.records.refusals()) == 3
    assert station.take(old.envelope(), now()).action == "schedule"


def test_a_revoked_key_added_to_trusted_keys_later_is_still_refused(
        open_station: OpenStation, old: District, stranger: District) -> None:
    station = open_station(old)
    station.take(old.revocation([stranger.key_id], reason="leaked before use"), now())
    assert revoked_ids(station) == [stranger.key_id]
    later = open_station(old, stranger)  # the config now lists it; the database remembers
    answer = later.take(stranger.envelope(), now())
    assert answer.reason is not None and answer.reason.startswith(
        f"key {stranger.key_id} was revoked on")
    assert answer.reason.endswith(": leaked before use")


# --- over the broker, with the province's commands ------------------------------------------

@dataclass(frozen=True)
class _Ran:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def broadcaster(*args: str) -> _Ran:
    """`broadcaster ARGS` in its own process, as the province's staff run it."""
    done = subprocess.run([sys.executable, "-m", "broadcaster", *args], capture_output=True,
                          text=True, timeout=60, check=False)
    return _Ran(done.returncode, done.stdout, done.stderr)


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[Broker]:
    running = Broker(tmp_path / "broker").start()
    try:
        yield running
    finally:
        running.stop()


@contextmanager
def running(station: LinkStation, listener: Listener) -> Iterator[LinkStation]:
    station.start()
    try:
        listener.status(station.station_id, "online")
        yield station
    finally:
        station.stop()


def test_the_province_rotates_its_key_and_revokes_the_old_one_over_the_broker(
        tmp_path: Path, mosquitto: Broker, old: District) -> None:
    province = station_config(tmp_path / "province", "tinh", mosquitto.url, [])
    current = tmp_path / "province" / "keys" / "province.key"
    current.parent.mkdir(parents=True)
    current.write_bytes(old.private_path.read_bytes())  # the key stations trust today
    rotated = broadcaster("province", "keygen", "--rotate", "--key", str(current),
                          "--config", str(province))
    assert rotated.exit_code == 0, rotated.output
    fresh = current.with_name(f"province-{datetime.now(UTC).date().isoformat()}.key")
    assert str(fresh) in rotated.stdout and fresh.exists()
    # step 1: every station trusts both keys (the technician's config push)
    listener = Listener(mosquitto)
    station = LinkStation(tmp_path / "station", STATION, mosquitto,
                          [old.public_path, fresh.with_suffix(".pub")])
    bulletin = tmp_path / "bulletin.yaml"
    bulletin.write_text("title: Thông báo\nitems:\n  - say: Họp dân lúc 8 giờ.\n",
                        encoding="utf-8")
    try:
        with running(station, listener):
            # step 2: the sender signs with the new key; the station takes it
            pushed = broadcaster("province", "push", str(bulletin), "--to", STATION,
                                 "--level", "priority", "--key", str(fresh), "--json",
                                 "--config", str(province))
            assert pushed.exit_code == 0, pushed.output
            push_id = json.loads(pushed.stdout)["message_id"]
            assert [r["receipt"] for r in listener.receipts(push_id, 2)] == ["received",
                                                                             "accepted"]
            # step 3: the old key is revoked, by its public key file, with the new key
            revoked = broadcaster("province", "revoke", str(old.public_path), "--reason",
                                  "xoay khóa", "--key", str(fresh), "--config", str(province))
            assert revoked.exit_code == 0, revoked.output
            revocation_id = revoked.stdout.split()[1]
            assert f"key(s) {old.key_id} sent to all stations" in revoked.stdout
            accepted = listener.receipts(revocation_id, 2)[1]
            assert (accepted["receipt"], accepted["revoked"]) == ("accepted", [old.key_id])
            # from then on the old key is refused, though still in trusted_keys
            raw = old.envelope(level=Level.EMERGENCY)
            listener.publish(f"{PREFIX}/all/push", raw)
            (refusal,) = listener.receipts(json.loads(raw)["id"], 1)
            assert refusal["receipt"] == "rejected"
            assert refusal["reason"].startswith(f"key {old.key_id} was revoked on ")
            assert refusal["reason"].endswith(": xoay khóa")
        # the revocation is in the station's database: it holds after a restart
        with running(station, listener):
            raw = old.envelope(level=Level.EMERGENCY)
            listener.publish(f"{PREFIX}/stations/{STATION}/push", raw)
            (again,) = listener.receipts(json.loads(raw)["id"], 1)
            assert "was revoked on" in again["reason"]
            pending = station.run(lambda store, _: store.pending())
            assert [entry.reference for entry in pending] == [push_id]  # the new key's only
    finally:
        listener.close()
    listed = broadcaster("inbox", "--refused", "--json", "--config", str(station.config_file))
    assert listed.exit_code == 0, listed.output
    reasons = [row["reason"] for row in json.loads(listed.stdout)]
    assert len(reasons) == 2 and all(f"key {old.key_id} was revoked" in r for r in reasons)


def test_a_revocation_signed_by_an_untrusted_key_is_refused_over_the_broker(
        tmp_path: Path, mosquitto: Broker, old: District, stranger: District) -> None:
    listener = Listener(mosquitto)
    station = LinkStation(tmp_path / "station", STATION, mosquitto, [old.public_path])
    try:
        with running(station, listener):
            raw = stranger.revocation([old.key_id])
            listener.publish(f"{PREFIX}/all/push", raw)
            (refusal,) = listener.receipts(json.loads(raw)["id"], 1)
            assert refusal["receipt"] == "rejected" and stranger.key_id in refusal["reason"]
            push = old.envelope()
            listener.publish(f"{PREFIX}/all/push", push)
            assert [r["receipt"] for r in listener.receipts(json.loads(push)["id"], 2)] == [
                "received", "accepted"]
    finally:
        listener.close()


@pytest.mark.parametrize("off_between", [False, True], ids=["running", "stopped-between"])
def test_a_daemon_taking_a_revocation_cancels_the_revoked_keys_queued_pushes(
        tmp_path: Path, mosquitto: Broker, old: District, new: District,
        off_between: bool) -> None:
    station = daemon_station(tmp_path / "station")
    text = station.config_file.read_text(encoding="utf-8").replace(
        'id = "thu-nghiem"', f'id = "{STATION}"')
    station.write_config(text + DAEMON_DISTRICT.format(
        url=mosquitto.url, prefix=PREFIX,
        keys=json.dumps([str(old.public_path), str(new.public_path)])))
    topic = f"{PREFIX}/stations/{STATION}/push"
    listener = Listener(mosquitto)

    def pushed(district: District, level: Level, title: str, days: int) -> str:
        raw = district.envelope(level=level, expires=lasting(3),
                                payload=bulletin(title, days))
        listener.publish(topic, raw)
        return str(json.loads(raw)["id"])

    daemon = Daemon(station)
    try:
        daemon.start()
        listener.status(STATION, "online")
        priority = pushed(old, Level.PRIORITY, "Ưu tiên", 2)
        normal = pushed(old, Level.NORMAL, "Thông thường", 1)
        trusted = pushed(new, Level.PRIORITY, "Khóa mới", 1)
        for message_id in (priority, trusted):
            assert [r["receipt"] for r in listener.receipts(message_id, 2)] == [
                "received", "accepted"]
        listener.receipts(normal, 1)
        accepted = station.cli("inbox", "accept", "1")
        assert accepted.returncode == 0, accepted.stderr
        listener.receipts(normal, 2)
        queued = {entry.reference: entry.id for entry in daemon.pending()}
        assert set(queued) == {priority, normal, trusted}
        raw = new.revocation([old.key_id], reason="khóa bị lộ")
        if off_between:  # revoked while the station is off: its persistent session keeps it
            assert daemon.stop() == 0
            listener.publish(f"{PREFIX}/all/push", raw)
            daemon.start()
        else:
            listener.publish(f"{PREFIX}/all/push", raw)
        answers = listener.receipts(json.loads(raw)["id"], 2)
        assert [r["receipt"] for r in answers] == ["received", "accepted"]
        assert sorted(answers[1]["cancelled"]) == sorted([priority, normal])
        for message_id in (priority, normal):
            final = listener.receipts(message_id, 3)[-1]
            assert final["receipt"] == "cancelled", final
            assert final["as_run"]["reason"].startswith(
                f"its province key was revoked: key {old.key_id} was revoked on ")
        assert daemon.stop() == 0
        daemon.start()  # and it holds: nothing of the revoked key comes back
        listed = station.cli("queue", "--json")
        assert listed.returncode == 0, listed.stderr
        assert [row["id"] for row in json.loads(listed.stdout)] == [queued[trusted]]
        lines = daemon.as_run()
        assert sorted(line.queue_id or 0 for line in lines) == sorted(
            [queued[priority], queued[normal]])
        assert all(line.outcome.value == "cancelled" and line.reason is not None
                   and line.reason.endswith(": khóa bị lộ") for line in lines)
    finally:
        daemon.stop()
        daemon.power_cut()
        listener.close()
    untouched = {body["receipt"] for name, body in listener.seen
                 if name.endswith("/receipts") and body["message_id"] == trusted}
    assert untouched == {"received", "accepted"}


# --- the province's commands without a broker ---------------------------------------------------

def test_keygen_rotate_keeps_the_current_key_and_says_what_to_do_next(tmp_path: Path) -> None:
    config = station_config(tmp_path, "tinh", "mqtt://127.0.0.1:1", [])
    key = tmp_path / "keys" / "district.key"
    missing = broadcaster("district", "keygen", "--rotate", "--key", str(key),
                          "--config", str(config))
    assert missing.exit_code == 1 and "no current key to rotate" in missing.stderr
    assert broadcaster("district", "keygen", "--key", str(key),
                       "--config", str(config)).exit_code == 0
    before = key.read_bytes(), key.with_suffix(".pub").read_bytes()
    first = broadcaster("district", "keygen", "--rotate", "--key", str(key),
                        "--config", str(config))
    second = broadcaster("province", "keygen", "--rotate", "--key", str(key),
                         "--config", str(config))
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    assert (key.read_bytes(), key.with_suffix(".pub").read_bytes()) == before
    day = datetime.now(UTC).date().isoformat()
    assert sorted(path.name for path in key.parent.iterdir() if path.suffix != ".seq") == [
        f"district-{day}-2.key", f"district-{day}-2.pub", f"district-{day}.key",
        f"district-{day}.pub", "district.key", "district.pub"]
    assert (key.parent / f"district-{day}.key").stat().st_mode & 0o777 == 0o600
    assert "trusted_keys" in first.stdout and "province revoke" in first.stdout


def test_province_is_the_district_command_under_its_2025_name(tmp_path: Path) -> None:
    helped = broadcaster("--help")
    assert "province" in helped.stdout and "district" in helped.stdout
    province = broadcaster("province", "--help")
    assert "1 July 2025" in province.stdout and "revoke" in province.stdout
    assert "Same as `province`" in broadcaster("district", "--help").stdout
    config = station_config(tmp_path, "tinh", "mqtt://127.0.0.1:1", [])
    made = broadcaster("province", "keygen", "--config", str(config))
    assert made.exit_code == 0 and "key id" in made.stdout, made.output


@pytest.mark.parametrize(("args", "message"), [
    (["zz"], "'zz' is neither a key id"),
    ([os.fsdecode(b"\xff\xfe")], "'\\xff\\xfe' is neither a key id"),  # not UTF-8: shown
    (["ab" * 15], "is neither a key id (32 hex digits"),
    (["ab" * 16, "--reason", "a\nb"], "--reason: one line of at most 200 characters"),
    (["ab" * 16, "--to", "a/b"], "--to 'a/b': give a station id"),
    ([*(f"{n:032x}" for n in range(17))], "one revocation names 1 to 16 keys"),
])
def test_revoke_refuses_what_it_cannot_sign_before_it_connects(
        tmp_path: Path, args: list[str], message: str) -> None:
    config = station_config(tmp_path, "tinh", "mqtt://127.0.0.1:1", [])
    broadcaster("province", "keygen", "--config", str(config))
    refused = broadcaster("province", "revoke", *args, "--config", str(config))
    assert refused.exit_code == 1 and message in refused.stderr, refused.output
    assert "cannot reach the broker" not in refused.output


def test_a_station_database_from_before_revocations_gets_its_table_on_first_use(
        old: District, new: District, open_station: OpenStation) -> None:
    station = open_station(old, new)
    with station.records.store.transaction() as db:  # as a station upgraded from 0.x has it
        db.execute("DROP TABLE upstream_revoked")
    station.records.store.close()
    upgraded = open_station(old, new)
    assert upgraded.take(new.revocation([old.key_id]), now()).action == "revoke"
    assert revoked_ids(upgraded) == [old.key_id]
