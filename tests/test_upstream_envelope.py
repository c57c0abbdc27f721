"""Signed pushes at the station: what is refused (and how it is recorded and answered), what
is taken at each level, and the receipts — the station's side without any network."""

from __future__ import annotations

import base64
import json
import re
import stat
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from broadcaster.config import load_config
from broadcaster.model import Level, OperatorError, Outcome
from broadcaster.store import Store
from broadcaster.upstream import inbox
from broadcaster.upstream.decisions import Revoked, check_not_revoked
from broadcaster.upstream.district import keygen, next_sequence
from broadcaster.upstream.envelope import (
    REVOKE,
    Refused,
    Revocation,
    TrustedKeys,
    open_envelope,
    revocation_of,
)
from broadcaster.upstream.pushes import Upstream
from tests.support.upstream import BULLETIN, District, station_config

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
STATION = "tan-phong"


@pytest.fixture
def district(tmp_path: Path) -> District:
    return District(tmp_path / "district")


@pytest.fixture
def station(tmp_path: Path, district: District) -> Iterator[Upstream]:
    config_file = station_config(tmp_path / "station", STATION, "mqtt://127.0.0.1:1",
                                 [district.public_path])
    config = load_config(config_file)
    store = Store(config.data_dir / "station.db")
    yield Upstream(config, store, clock_trusted=lambda: True)
    store.close()


def now() -> datetime:
    return datetime.now(ZONE)


def receipts(upstream: Upstream) -> list[dict[str, Any]]:
    return [json.loads(receipt.body) for receipt in upstream.records.receipts()]


def tampered(raw: bytes, **changes: Any) -> bytes:
    fields = json.loads(raw)
    fields.update(changes)
    return json.dumps(fields, ensure_ascii=False).encode("utf-8")


def other_district(tmp_path: Path) -> District:
    return District(tmp_path / "stranger")


# Each case: what arrives, and a piece of the reason the station records and sends back.
def _unknown_key(d: District, tmp: Path) -> bytes:
    return other_district(tmp).envelope()


def _bad_signature(d: District, tmp: Path) -> bytes:
    forged = base64.b64encode(bytes(64)).decode()
    return tampered(d.envelope(), sig=forged)


def _payload_changed(d: District, tmp: Path) -> bytes:
    return tampered(d.envelope(), payload=BULLETIN.replace("Bão số 3", "Bão số 9"))


def _level_changed(d: District, tmp: Path) -> bytes:
    return tampered(d.envelope(level=Level.NORMAL), level="emergency")


def _expired(d: District, tmp: Path) -> bytes:
    past = datetime.now(UTC) - timedelta(hours=2)
    return d.envelope(issued=past, expires=past + timedelta(hours=1))


def _from_the_future(d: District, tmp: Path) -> bytes:
    later = datetime.now(UTC) + timedelta(hours=3)
    return d.envelope(issued=later, expires=later + timedelta(hours=1))


def _oversized(d: District, tmp: Path) -> bytes:
    return d.envelope(payload=BULLETIN + "#" + "x" * 300_000 + "\n")


def _malformed(d: District, tmp: Path) -> bytes:
    return b'{"v": 1, "id": "3f1c'


def _not_utf8(d: District, tmp: Path) -> bytes:
    return b"\xff\xfe{}"


def _missing_field(d: District, tmp: Path) -> bytes:
    fields = json.loads(d.envelope())
    del fields["expires"]
    return json.dumps(fields).encode()


def _invalid_playlist(d: District, tmp: Path) -> bytes:
    return d.envelope(payload="title: Tin\nitems:\n  - say: \"\"\n")


def _slot_playlist(d: District, tmp: Path) -> bytes:
    return d.envelope(payload="title: Tin\nslot: {at: '05:30'}\nitems:\n  - say: Chào\n")


def _wrong_target(d: District, tmp: Path) -> bytes:
    return d.envelope(target="xa-ben-canh")


REFUSALS = {
    "unknown key": (_unknown_key, "not in this station's trusted_keys"),
    "bad signature": (_bad_signature, "signature does not match"),
    "payload changed after signing": (_payload_changed, "signature does not match"),
    "level raised after signing": (_level_changed, "signature does not match"),
    "expired": (_expired, "expired at"),
    "issued in the future": (_from_the_future, "ahead of station time"),
    "oversized": (_oversized, "more than the 262144 allowed"),
    "malformed JSON": (_malformed, "not a JSON envelope"),
    "not UTF-8": (_not_utf8, "not a JSON envelope"),
    "missing field": (_missing_field, "'expires' is missing"),
    "invalid playlist": (_invalid_playlist, "invalid playlist: payload:3:"),
    "slot playlist": (_slot_playlist, "one-off bulletin"),
    "wrong target": (_wrong_target, "not to this station"),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_a_bad_push_is_refused_recorded_and_answered(case: str, station: Upstream,
                                                    district: District,
                                                    tmp_path: Path) -> None:
    make, reason = REFUSALS[case]
    raw = make(district, tmp_path)
    taken = station.take(raw, now(), topic="test/all/push")
    assert taken.action == "refused"
    assert reason in (taken.reason or "")
    assert station.records.store.pending() == []
    assert station.records.inbox() == []
    (refusal,) = station.records.refusals()
    assert refusal.reason == taken.reason and refusal.size == len(raw)
    (receipt,) = receipts(station)
    assert (receipt["receipt"], receipt["reason"], receipt["station"]) == (
        "rejected", taken.reason, STATION)


def test_a_replayed_message_is_refused_as_a_repeat(station: Upstream,
                                                   district: District) -> None:
    raw = district.envelope(level=Level.PRIORITY)
    assert station.take(raw, now()).action == "schedule"
    again = station.take(raw, now())
    assert again.action == "refused" and "already received" in (again.reason or "")
    assert len(station.records.store.pending()) == 1  # queued once, not twice
    rejected = receipts(station)[-1]
    assert rejected["receipt"] == "rejected" and rejected["duplicate"] is True


def test_a_new_message_reusing_an_id_is_refused(station: Upstream, district: District) -> None:
    first = district.envelope(message_id="0b7d6a44-7c1e-4e43-9a55-3c8a7d1b2f10")
    station.take(first, now())
    second = district.envelope(message_id="0b7d6a44-7c1e-4e43-9a55-3c8a7d1b2f10")
    taken = station.take(second, now())
    assert "already received" in (taken.reason or "")
    assert "duplicate" not in receipts(station)[-1]


def test_an_older_sequence_is_refused(station: Upstream, district: District) -> None:
    assert station.take(district.envelope(seq=50), now()).action == "schedule"
    taken = station.take(district.envelope(seq=49), now())
    assert taken.action == "refused" and "sequence 49 is not after 50" in (taken.reason or "")
    assert station.take(district.envelope(seq=50), now()).action == "refused"
    assert station.take(district.envelope(seq=51), now()).action == "schedule"


def test_an_authentic_push_refused_for_its_playlist_still_spends_its_sequence(
        station: Upstream, district: District) -> None:
    station.take(district.envelope(seq=7, payload="title: x\nitems: []\n"), now())
    assert "not after 7" in (station.take(district.envelope(seq=6), now()).reason or "")


def test_an_unsynchronized_clock_does_not_refuse_a_push_from_its_future(
        tmp_path: Path, district: District) -> None:
    config = load_config(station_config(tmp_path / "s", STATION, "mqtt://127.0.0.1:1",
                                        [district.public_path]))
    store = Store(config.data_dir / "station.db")
    upstream = Upstream(config, store, clock_trusted=lambda: False)
    later = datetime.now(UTC) + timedelta(hours=3)
    raw = district.envelope(level=Level.EMERGENCY, issued=later,
                            expires=later + timedelta(hours=1))
    assert upstream.take(raw, now()).action == "air"
    store.close()


def test_normal_waits_in_the_inbox_priority_is_queued_emergency_airs(
        station: Upstream, district: District) -> None:
    normal = station.take(district.envelope(level=Level.NORMAL), now())
    priority = station.take(district.envelope(level=Level.PRIORITY), now())
    emergency = station.take(district.envelope(level=Level.EMERGENCY), now())
    assert (normal.action, priority.action, emergency.action) == ("inbox", "schedule", "air")
    assert normal.queue_id is None and normal.inbox_id is not None
    queued = {entry.id: entry for entry in station.records.store.pending()}
    assert set(queued) == {priority.queue_id, emergency.queue_id}
    for taken in (priority, emergency):
        assert taken.queue_id is not None
        entry = queued[taken.queue_id]
        assert (entry.source, entry.reference, entry.title) == (
            "upstream", taken.message_id, "Bản tin phòng chống bão số 3")
    assert queued[emergency.queue_id or 0].level is Level.EMERGENCY
    assert queued[emergency.queue_id or 0].expires_at is not None
    kinds = [(r["message_id"], r["receipt"]) for r in receipts(station)]
    assert kinds == [(normal.message_id, "received"),
                     (priority.message_id, "received"), (priority.message_id, "accepted"),
                     (emergency.message_id, "received"), (emergency.message_id, "accepted")]


def test_the_operator_accepts_one_push_and_rejects_another(
        station: Upstream, district: District) -> None:
    config = station.config
    first = station.take(district.envelope(level=Level.NORMAL), now())
    second = station.take(district.envelope(level=Level.NORMAL), now())
    assert [e.id for e in inbox.waiting(config)] == [first.inbox_id, second.inbox_id]
    _, queue_id = inbox.accept(config, first.inbox_id or 0)
    inbox.reject(config, second.inbox_id or 0)
    assert inbox.waiting(config) == []
    (queued,) = station.records.store.pending()
    assert (queued.id, queued.reference, queued.level) == (queue_id, first.message_id,
                                                           Level.NORMAL)
    answers = [(r["message_id"], r["receipt"], r.get("reason")) for r in receipts(station)]
    assert answers[-2:] == [(first.message_id, "accepted", None),
                            (second.message_id, "rejected", "rejected by operator")]
    with pytest.raises(OperatorError, match="no push #"):
        inbox.accept(config, second.inbox_id or 0)


def test_a_push_that_expired_in_the_inbox_cannot_be_accepted(
        station: Upstream, district: District) -> None:
    issued = datetime.now(UTC)
    taken = station.take(district.envelope(level=Level.NORMAL, issued=issued,
                                           expires=issued + timedelta(seconds=1)), now())
    with pytest.raises(OperatorError, match="expired"):
        station.records.accept(taken.inbox_id or 0, now() + timedelta(seconds=5))
    assert station.records.store.pending() == []
    assert receipts(station)[-1]["receipt"] == "rejected"


def test_airing_sends_aired_with_the_as_run_data(station: Upstream,
                                                 district: District) -> None:
    station.tick(now())  # the first look sets the mark: older lines are not news
    taken = station.take(district.envelope(level=Level.PRIORITY), now())
    store = station.records.store
    (entry,) = store.pending()
    started = now().timestamp()
    store.finish(entry, Outcome.AIRED, started_at=started, ended_at=started + 42,
                 engine="espeak")
    station.tick(now())
    aired = receipts(station)[-1]
    assert (aired["message_id"], aired["receipt"]) == (taken.message_id, "aired")
    assert aired["as_run"]["outcome"] == "aired" and aired["as_run"]["engine"] == "espeak"
    assert aired["as_run"]["started"] and aired["as_run"]["ended"]
    station.tick(now())
    assert len(receipts(station)) == 3  # received, accepted, aired: once


@pytest.mark.parametrize(("outcome", "receipt"), [
    (Outcome.CUT, "cut"), (Outcome.PARTIAL, "partial"), (Outcome.MISSED, "missed"),
    (Outcome.FAILED, "failed"), (Outcome.INTERRUPTED, "interrupted"),
    (Outcome.CANCELLED, "cancelled")])
def test_every_end_of_an_upstream_item_is_reported(outcome: Outcome, receipt: str,
                                                   station: Upstream,
                                                   district: District) -> None:
    station.tick(now())
    station.take(district.envelope(level=Level.PRIORITY), now())
    store = station.records.store
    (entry,) = store.pending()
    store.finish(entry, outcome, ended_at=now().timestamp(), reason="why")
    station.tick(now())
    last = receipts(station)[-1]
    assert (last["receipt"], last["as_run"]["outcome"]) == (receipt, outcome.value)


def test_keygen_writes_a_private_key_only_its_owner_reads_and_never_overwrites(
        tmp_path: Path) -> None:
    config_file = station_config(tmp_path / "d", "district", "mqtt://127.0.0.1:1", [])
    config = load_config(config_file)
    files = keygen(config, tmp_path / "keys" / "district.key")
    assert stat.S_IMODE(files.private.stat().st_mode) == 0o600
    assert files.public.read_text().startswith("-----BEGIN PUBLIC KEY-----")
    before = files.private.read_bytes()
    with pytest.raises(OperatorError, match="already exists"):
        keygen(config, tmp_path / "keys" / "district.key")
    assert files.private.read_bytes() == before


def test_the_sequence_keeps_rising_across_runs_even_if_the_clock_goes_back(
        tmp_path: Path) -> None:
    key = tmp_path / "district.key"
    first = next_sequence(key, now=2_000_000_000.0)
    second = next_sequence(key, now=1_000_000_000.0)  # the clock jumped back
    assert second == first + 1
    (tmp_path / "district.key.seq").unlink()
    assert next_sequence(key, now=2_000_000_001.0) > second  # a lost file: the time carries on


# --- revocations: the envelope and its rules ----------------------------------------------------

def test_a_revocation_reads_as_its_own_kind_without_a_level(district: District) -> None:
    other = "AB" * 16
    opened = open_envelope(district.revocation([other, other.lower()], reason="  bị lộ  "))
    assert (opened.kind, opened.level) == (REVOKE, None)
    assert revocation_of(opened) == Revocation((other.lower(),), "bị lộ")
    assert open_envelope(district.envelope()).kind == "push"  # a push carries no `kind`


def test_a_pushs_signature_does_not_make_a_revocation(district: District) -> None:
    fields = json.loads(district.envelope())
    del fields["level"]
    forged = tampered(json.dumps(fields).encode(), kind=REVOKE,
                      payload={"keys": [district.key_id], "reason": "x"})
    with pytest.raises(Refused, match="signature does not match"):
        TrustedKeys({district.key_id: district.key.public_key()}).verify(open_envelope(forged))


@pytest.mark.parametrize(("changes", "reason"), [
    ({"kind": "announce"}, "envelope kind 'announce' is not known to this station"),
    ({"kind": 7}, "envelope field 'kind' must be str"),
    ({"level": "emergency"}, "envelope field 'level' has no place in a revocation"),
    ({"payload": "keys: [x]"}, "invalid revocation: the payload must be a mapping"),
])
def test_an_envelope_of_an_unknown_kind_or_a_malformed_revocation_is_refused(
        district: District, changes: dict[str, Any], reason: str) -> None:
    with pytest.raises(Refused, match=reason):
        open_envelope(tampered(district.revocation(["ab" * 16]), **changes))


@pytest.mark.parametrize(("payload", "reason"), [
    ({"keys": ["ab" * 16]}, "exactly 'keys' and 'reason'"),
    ({"keys": ["ab" * 16], "reason": "", "also": 1}, "exactly 'keys' and 'reason'"),
    ({"keys": [], "reason": ""}, "'keys' must list 1 to 16 key ids"),
    ({"keys": "ab" * 16, "reason": ""}, "'keys' must list 1 to 16 key ids"),
    ({"keys": [f"{n:032x}" for n in range(17)], "reason": ""}, "1 to 16 key ids"),
    ({"keys": ["xyz"], "reason": ""}, '"xyz" is not a key id'),
    ({"keys": [12], "reason": ""}, "12 is not a key id"),
    ({"keys": ["ab" * 16], "reason": "one\ntwo"}, "'reason' must be one line"),
    ({"keys": ["ab" * 16], "reason": "x" * 201}, "at most 200 characters"),
    ({"keys": ["ab" * 16], "reason": None}, "'reason' must be one line"),
])
def test_a_revocation_names_its_keys_and_says_why_in_one_line(
        district: District, payload: dict[str, Any], reason: str) -> None:
    opened = open_envelope(tampered(district.revocation(["ab" * 16]), payload=payload))
    with pytest.raises(Refused, match=f"invalid revocation: .*{re.escape(reason)}"):
        revocation_of(opened)


def test_anything_signed_by_a_revoked_key_is_refused_with_when_by_whom_and_why(
        district: District) -> None:
    opened = open_envelope(district.envelope())
    check_not_revoked(opened, None)
    revoked = Revoked(district.key_id, datetime(2026, 7, 1, 1, 30, tzinfo=UTC), "ab" * 16,
                      "khóa bị lộ")
    with pytest.raises(Refused) as refused:
        check_not_revoked(opened, revoked)
    assert refused.value.reason == (f"key {district.key_id} was revoked on 2026-07-01 01:30 "
                                    f"UTC by key {'ab' * 16}: khóa bị lộ")
    assert (refused.value.message_id, refused.value.key_id) == (opened.id, district.key_id)


def test_a_station_older_than_revocations_refuses_one_cleanly(
        district: District, monkeypatch: pytest.MonkeyPatch) -> None:
    from broadcaster.upstream import envelope

    # the envelope fields before revocations: everything but `kind`
    monkeypatch.setattr(envelope, "_FIELDS", tuple(f for f in envelope._FIELDS if f != "kind"))
    assert open_envelope(district.envelope()).kind == "push"  # pushes read as before
    with pytest.raises(Refused, match=r"^envelope has unknown field\(s\): kind$") as refused:
        open_envelope(district.revocation(["ab" * 16]))
    assert refused.value.key_id == district.key_id  # recorded with the sender's key


def test_the_province_signs_a_push_for_zones_it_does_not_have_itself(tmp_path: Path) -> None:
    """Zone names are each station's own: the province's config has none to check them."""
    from broadcaster.upstream.district import sign_push

    config = load_config(station_config(tmp_path / "province", "province",
                                        "mqtt://127.0.0.1:1", []))
    keygen(config)
    file = tmp_path / "hop.yaml"
    file.write_text(BULLETIN + "zones: [Thôn Đông]\n", encoding="utf-8")
    signed = sign_push(config, file, target="all", level=Level.PRIORITY)
    assert "zones: [Thôn Đông]" in json.loads(signed.envelope)["payload"]


def test_a_push_for_some_zones_is_queued_for_them_and_one_naming_unknown_zones_refused(
        tmp_path: Path, district: District) -> None:
    config_file = station_config(tmp_path / "zoned", STATION, "mqtt://127.0.0.1:1",
                                 [district.public_path])
    config_file.write_text(config_file.read_text(encoding="utf-8")
                           + '\n[zones]\n"Thôn Đông" = 22\n"Thôn Tây" = 23\n', encoding="utf-8")
    config = load_config(config_file)
    store = Store(config.data_dir / "station.db")
    upstream = Upstream(config, store, clock_trusted=lambda: True)

    def for_zones(*names: str) -> str:
        return BULLETIN + f"zones: [{', '.join(names)}]\n"

    east = upstream.take(district.envelope(payload=for_zones("Thôn Đông")), now())
    unknown = upstream.take(district.envelope(payload=for_zones("Thôn Bắc")), now())
    storm = upstream.take(district.envelope(level=Level.EMERGENCY,
                                            payload=for_zones("Thôn Bắc")), now())
    waiting = upstream.take(district.envelope(level=Level.NORMAL,
                                              payload=for_zones("Thôn Tây")), now())
    assert (east.action, unknown.action, storm.action, waiting.action) == (
        "schedule", "refused", "air", "inbox")
    assert "unknown zone 'Thôn Bắc'" in (unknown.reason or "")
    assert waiting.inbox_id is not None
    _entry, accepted = upstream.records.accept(waiting.inbox_id, now())
    zones = {entry.id: entry.zones for entry in store.pending()}
    assert zones == {east.queue_id: ("Thôn Đông",), storm.queue_id: None,  # every zone
                     accepted: ("Thôn Tây",)}
    store.close()
