"""Pushed slot programs (issue 11): the province installs, replaces and removes a slot
playlist by a signed slot order; the station shows it as the province's, the operator
cannot change it, each day's airing answers the order; and every bad order is refused,
recorded and answered `rejected`, with nothing changed."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from broadcaster.config import Config, load_config
from broadcaster.model import Outcome
from broadcaster.schedule.slot_queue import SlotQueue
from broadcaster.store import InstalledSlot, Store
from broadcaster.upstream.decisions import Revoked, SenderHistory
from broadcaster.upstream.envelope import (
    Envelope,
    Refused,
    TrustedKeys,
    _signed,
    key_id,
    load_public_key,
    seal_slot,
)
from broadcaster.upstream.pushes import Upstream, authenticate
from broadcaster.upstream.slots import (
    INSTALL,
    REMOVE,
    SlotOrder,
    check_slot_order,
    is_slot_name,
    read_slot_order,
)
from tests.support.broker import Broker, broker  # noqa: F401  # the fixture
from tests.support.station import Station, make_station, open_slot_window
from tests.support.upstream import District

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
STATION_ID = "thu-nghiem"  # make_station's

WEEKLY = """\
title: Chương trình thời sự của tỉnh
slot: {{days: {days}, at: "{at}", until: "{until}"}}
items:
  - say: "Đài Phát thanh tỉnh xin kính chào bà con."
"""
ONE_OFF = """\
title: Lịch tiêm phòng
items:
  - say: "Sáng mai tiêm phòng cho đàn gia cầm."
"""
OPERATOR_SLOT = """\
title: Bản tin của xã
slot: {days: daily, at: "17:00", until: "17:30"}
items:
  - say: "Đài truyền thanh xã xin kính chào bà con."
"""


def weekly(at: str = "05:30", until: str = "06:00", days: str = "daily") -> str:
    return WEEKLY.format(at=at, until=until, days=days)


def slot_order(district: District, action: str = INSTALL, name: str = "thoi-su-tinh", *,
               playlist: str | None = None, payload: dict[str, Any] | None = None,
               target: str = "all", issued: datetime | None = None,
               expires: datetime | None = None) -> bytes:
    """A slot order signed with `district`'s key (the next sequence); `payload`, when
    given, replaces the one seal_slot builds (to send what a good sender never would)."""
    moment = issued or datetime.now(UTC)
    district.seq += 1
    if action == INSTALL and playlist is None and payload is None:
        playlist = weekly()
    raw = seal_slot(district.key, seq=district.seq, issued=moment,
                    expires=expires or moment + timedelta(days=14), target=target,
                    action=action, name=name, playlist=playlist)
    if payload is None:
        return raw
    fields = {key: value for key, value in json.loads(raw).items() if key != "sig"}
    fields["payload"] = payload
    return _signed(district.key, fields)  # signed again: authentic, but bad


def trusting(district: District) -> TrustedKeys:
    return TrustedKeys({district.key_id: load_public_key(district.public_path)})


def opened(raw: bytes, district: District) -> Envelope:
    """The order as a station trusting `district` (and seeing it the first time) reads
    it."""
    return authenticate(raw, keys=trusting(district), station_id=STATION_ID,
                        history=lambda *_: SenderHistory())


def read(raw: bytes, district: District, audio_dir: Path) -> SlotOrder:
    return read_slot_order(opened(raw, district), datetime.now(ZONE), audio_dir=audio_dir,
                           max_text_chars=20_000)


@pytest.fixture
def district(tmp_path: Path) -> District:
    return District(tmp_path / "province")


# --- reading a slot order (pure) -------------------------------------------------------------

def test_a_slot_name_is_letters_digits_dash_and_underscore() -> None:
    for good in ("thoi-su-tinh", "VOV1_sáng", "bản_tin_đêm", "a" * 64, "7"):
        assert is_slot_name(good), good
    for bad in ("", "a" * 65, "thời sự", "../etc", "a/b", "sáng@2026-07-01", "tin.tối",
                "a\nb", None, 7):
        assert not is_slot_name(bad), bad
    assert not is_slot_name(unicodedata.normalize("NFD", "sáng"))  # as some keyboards type


@pytest.mark.parametrize(("payload", "reason"), [
    ({"action": "install", "name": "tin"},
     "invalid slot order: the payload must have exactly action, name, playlist"),
    ({"action": "remove", "name": "tin", "playlist": "x"},
     "invalid slot order: the payload must have exactly action, name"),
    ({"action": "replace", "name": "tin"},
     "invalid slot order: 'action' must be install or remove, not 'replace'"),
    ({"action": "remove", "name": "thời sự"},
     "invalid slot order: 'name' 'thời sự' is not a slot name"),
    ({"action": "remove", "name": ""}, "invalid slot order: 'name' '' is not a slot name"),
    ({"action": "install", "name": "tin", "playlist": {"title": "x"}},
     "invalid slot order: 'playlist' must be the playlist's text"),
    ({"action": "install", "name": "tin", "playlist": ONE_OFF},
     "playlist for slot tin has no 'slot:' (a slot order installs a daily or weekly slot; "
     "send a one-off bulletin as a push)"),
    ({"action": "install", "name": "tin", "playlist": "title: [unclosed\n"},
     "invalid playlist: slot:"),
])
def test_a_bad_slot_order_is_refused_with_its_reason(district: District, tmp_path: Path,
                                                     payload: dict[str, Any],
                                                     reason: str) -> None:
    raw = slot_order(district, payload=payload)
    with pytest.raises(Refused) as refused:
        read(raw, district, tmp_path)
    assert refused.value.reason.startswith(reason), refused.value.reason
    assert refused.value.message_id == json.loads(raw)["id"]
    assert refused.value.key_id == district.key_id


def test_an_expired_slot_order_is_refused(district: District, tmp_path: Path) -> None:
    long_ago = datetime(2026, 1, 1, tzinfo=UTC)
    raw = slot_order(district, issued=long_ago, expires=long_ago + timedelta(days=14))
    with pytest.raises(Refused, match=r"^expired at 2026-01-15"):
        read(raw, district, tmp_path)


def test_a_good_install_and_removal_read_as_what_they_ask(district: District,
                                                          tmp_path: Path) -> None:
    install = read(slot_order(district, name="thời-sự"), district, tmp_path)
    assert (install.action, install.name, install.playlist_text) == (INSTALL, "thời-sự",
                                                                     weekly())
    assert install.playlist is not None and install.playlist.slot is not None
    removal = read(slot_order(district, REMOVE, name="thời-sự"), district, tmp_path)
    assert removal == SlotOrder(REMOVE, "thời-sự")


def test_a_slot_order_from_an_untrusted_or_revoked_key_is_refused(
        district: District, tmp_path: Path) -> None:
    stranger = District(tmp_path / "stranger")
    with pytest.raises(Refused, match=f"signed by key {stranger.key_id}, which is not in"):
        opened(slot_order(stranger), district)
    revoked = Revoked(district.key_id, datetime(2026, 7, 1, 1, 30, tzinfo=UTC),
                      stranger.key_id, "lộ khóa")
    with pytest.raises(Refused, match=f"key {district.key_id} was revoked on 2026-07-01"):
        authenticate(slot_order(district), keys=trusting(district), station_id=STATION_ID,
                     history=lambda *_: SenderHistory(),
                     revoked=lambda _key: revoked)


def test_the_province_touches_only_its_own_slots(district: District, tmp_path: Path) -> None:
    envelope = opened(slot_order(district), district)
    install, removal = SlotOrder(INSTALL, "tin"), SlotOrder(REMOVE, "tin")
    operators = InstalledSlot("tin", "{}", 1.0)
    provinces = InstalledSlot("tin", "{}", 1.0, "province", "m-1", district.key_id)
    with pytest.raises(Refused, match=r"^no slot tin from the province is installed at this "
                                      r"station; nothing to remove$"):
        check_slot_order(envelope, removal, None)
    with pytest.raises(Refused, match=r"^slot tin is the station operator's own; the province "
                                      r"cannot remove it$"):
        check_slot_order(envelope, removal, operators)
    with pytest.raises(Refused, match=r"^the station's operator already has a slot named tin; "
                                      r"install the province's under another name$"):
        check_slot_order(envelope, install, operators)
    check_slot_order(envelope, install, None)  # a new slot
    check_slot_order(envelope, install, provinces)  # replaced
    check_slot_order(envelope, removal, provinces)


# --- at the station -------------------------------------------------------------------------

@dataclass
class ProvinceStation:
    """A station (its folder, config and database) whose upstream side trusts `province`;
    `order(raw)` takes a slot order as pushes.take will (see `take`)."""

    station: Station
    config: Config
    store: Store
    upstream: Upstream
    province: District

    def order(self, raw: bytes, when: datetime | None = None) -> dict[str, Any]:
        return take(self.upstream, raw, when or datetime.now(ZONE))

    def receipts(self, message_id: str) -> list[dict[str, Any]]:
        return [json.loads(r.body) for r in self.upstream.records.receipts(message_id)]

    def slot(self, name: str) -> InstalledSlot | None:
        return self.store.installed_slot(name)


def take(upstream: Upstream, raw: bytes, now: datetime) -> dict[str, Any]:
    """What Upstream.take does with a slot order: {"action": install|remove|refused,
    "reason": …, "replaced": …, "cancelled": [queue ids]}."""
    taken = upstream.take(raw, now)
    if taken.action == "refused":
        return {"action": "refused", "reason": taken.reason}
    assert taken.message_id is not None
    accepted = json.loads(upstream.records.receipts(taken.message_id)[-1].body)
    assert accepted["receipt"] == "accepted"
    return {"action": accepted["action"], "replaced": accepted.get("replaced", False),
            "cancelled": list(taken.cancelled)}


@pytest.fixture
def here(tmp_path: Path, district: District) -> Iterator[ProvinceStation]:
    station = make_station(tmp_path / "station")
    station.write_config(station.config_file.read_text(encoding="utf-8") + (
        f'\n[district]\ntrusted_keys = ["{district.public_path}"]\n'))
    config = load_config(station.config_file)
    config.data_dir.mkdir(parents=True, exist_ok=True)
    store = Store(config.data_dir / "station.db")
    upstream = Upstream(config, store, clock_trusted=lambda: True)
    yield ProvinceStation(station, config, store, upstream, district)
    store.close()


def test_a_bad_slot_order_is_recorded_and_answered_rejected(here: ProvinceStation) -> None:
    raw = slot_order(here.province, REMOVE, name="khong-co")
    message_id = json.loads(raw)["id"]
    taken = here.order(raw)
    assert taken["reason"] == ("no slot khong-co from the province is installed at this "
                               "station; nothing to remove")
    (refusal,) = here.upstream.records.refusals()
    assert (refusal.message_id, refusal.reason) == (message_id, taken["reason"])
    assert [(r["receipt"], r["reason"]) for r in here.receipts(message_id)] == [
        ("rejected", taken["reason"])]
    assert here.order(raw)["reason"].startswith(f"message {message_id} was already received")
    stranger = District(here.station.root.parent / "stranger")
    refused = here.order(slot_order(stranger))
    assert refused["reason"].startswith(f"signed by key {stranger.key_id}")
    assert here.store.installed_slots() == []


def test_a_province_slot_is_installed_and_shown_as_the_provinces(
        here: ProvinceStation) -> None:
    raw = slot_order(here.province, name="thoi-su-tinh", playlist=weekly("05:30", "06:00"))
    message_id = json.loads(raw)["id"]
    assert here.order(raw) == {"action": "install", "replaced": False, "cancelled": []}
    assert [(r["receipt"], r.get("slot"), r.get("action")) for r in here.receipts(message_id)] \
        == [("received", "thoi-su-tinh", "install"), ("accepted", "thoi-su-tinh", "install")]
    slot = here.slot("thoi-su-tinh")
    assert slot is not None and slot.from_province
    assert (slot.message_id, slot.key_id) == (message_id, here.province.key_id)
    day = datetime.fromtimestamp(slot.installed_at, ZONE).date().isoformat()

    table = here.station.cli("playlist", "list")
    assert table.returncode == 0, table.stderr
    assert re.search(rf"^thoi-su-tinh \(from the province, {day}\)\s+Chương trình thời sự "
                     r"của tỉnh\s+normal\s+05:30\s+daily\s+06:00\s+1$", table.stdout,
                     re.MULTILINE), table.stdout
    (row,) = json.loads(here.station.cli("playlist", "list", "--json").stdout)
    assert (row["name"], row["origin"], row["message_id"]) == ("thoi-su-tinh", "province",
                                                               message_id)
    assert row["installed"].startswith(day)

    schedule = here.station.cli("schedule")
    assert schedule.returncode == 0, schedule.stderr
    assert f"slot thoi-su-tinh (from the province, {day})" in schedule.stdout
    (line,) = json.loads(here.station.cli("schedule", "--json").stdout)
    assert (line["start"], line["until"], line["origin"]) == ("05:30", "06:00", "province")


def test_the_province_replaces_its_slot_and_the_new_order_is_the_reference(
        here: ProvinceStation) -> None:
    here.order(slot_order(here.province, name="vov", playlist=weekly("05:30", "06:00")))
    raw = slot_order(here.province, name="vov", playlist=weekly("06:00", "06:30", "weekdays"))
    assert here.order(raw)["replaced"] is True
    slot = here.slot("vov")
    assert slot is not None and slot.message_id == json.loads(raw)["id"]
    assert json.loads(slot.playlist)["slot"] == {"days": ["mon", "tue", "wed", "thu", "fri"],
                                                 "at": "06:00",
                                                 "until": "06:30"}
    assert here.receipts(json.loads(raw)["id"])[-1]["replaced"] is True
    assert [s.name for s in here.store.installed_slots()] == ["vov"]


def queue_what_is_owed(store: Store) -> list[int]:
    """The daemon's step: queue the occurrences owed now; their queue ids."""
    slots = SlotQueue(ZONE)
    slots.installed(store.slots())
    now = datetime.now(ZONE).timestamp()
    slots.queue_owed(store, now, now)
    return [entry.id for entry in store.pending()]


def test_an_occurrence_of_a_province_slot_carries_its_order(here: ProvinceStation) -> None:
    raw = slot_order(here.province, name="vov", playlist=weekly(*open_slot_window()))
    here.order(raw)
    (queued,) = queue_what_is_owed(here.store)
    entry = here.store.entry(queued)
    assert entry is not None
    assert (entry.source, entry.reference) == ("slot", json.loads(raw)["id"])


def test_the_province_removes_its_slot_and_what_it_queued_is_cancelled(
        here: ProvinceStation) -> None:
    install = slot_order(here.province, name="vov", playlist=weekly(*open_slot_window()))
    here.order(install)
    (queued,) = queue_what_is_owed(here.store)
    removal = slot_order(here.province, REMOVE, name="vov")
    taken = here.order(removal)
    assert taken == {"action": "remove", "replaced": False, "cancelled": [queued]}
    assert here.slot("vov") is None and here.store.pending() == []
    (line,) = here.store.as_run()
    assert (line.queue_id, line.outcome, line.reason) == (queued, Outcome.CANCELLED,
                                                          "removed by the province")
    accepted = here.receipts(json.loads(removal)["id"])[-1]
    assert (accepted["receipt"], accepted["slot"], accepted["action"], accepted["cancelled"]) \
        == ("accepted", "vov", "remove", [queued])
    again = here.order(slot_order(here.province, REMOVE, name="vov"))
    assert again["reason"].startswith("no slot vov from the province is installed")


def test_a_revoked_key_s_slot_goes_with_what_it_queued(here: ProvinceStation) -> None:
    install = slot_order(here.province, name="vov", playlist=weekly(*open_slot_window()))
    here.order(install)
    (queued,) = queue_what_is_owed(here.store)
    assert here.upstream.take(here.province.revocation([here.province.key_id]),
                              datetime.now(ZONE)).action == "revoke"
    assert here.slot("vov") is None and here.store.pending() == []
    (line,) = here.store.as_run()
    assert line.queue_id == queued and line.outcome is Outcome.CANCELLED
    assert (line.reason or "").startswith("its province key was revoked")


def test_the_province_cannot_install_over_or_remove_the_operators_slot(
        here: ProvinceStation) -> None:
    mine = here.station.root / "tin-xa.yaml"
    mine.write_text(OPERATOR_SLOT, encoding="utf-8")
    assert here.station.cli("playlist", "apply", str(mine)).returncode == 0
    before = here.slot("tin-xa")
    over = here.order(slot_order(here.province, name="tin-xa"))
    assert over["reason"] == ("the station's operator already has a slot named tin-xa; "
                              "install the province's under another name")
    removal = here.order(slot_order(here.province, REMOVE, name="tin-xa"))
    assert removal["reason"] == ("slot tin-xa is the station operator's own; the province "
                                 "cannot remove it")
    assert before is not None and not before.from_province
    assert here.slot("tin-xa") == before
    assert len(here.upstream.records.refusals()) == 2


def _one_line(done: Any, text: str) -> None:
    assert done.returncode == 1, done.stdout
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.strip() == text, done.stderr


def test_the_operator_cannot_change_or_remove_a_province_slot(here: ProvinceStation) -> None:
    raw = slot_order(here.province, name="vov", playlist=weekly("05:30", "06:00"))
    here.order(raw)
    slot = here.slot("vov")
    assert slot is not None
    day = datetime.fromtimestamp(slot.installed_at, ZONE).date().isoformat()
    mine = here.station.root / "vov.yaml"
    mine.write_text(OPERATOR_SLOT, encoding="utf-8")
    _one_line(here.station.cli("playlist", "apply", str(mine)),
              f"slot vov was installed by the province on {day}; it can be changed only by "
              f"the province; save your playlist under another name")
    _one_line(here.station.cli("playlist", "remove", "vov"),
              f"slot vov was installed by the province on {day}; it can be removed only by "
              f"the province")
    assert here.store.installed_slots() == [slot]
    elsewhere = here.station.root / "tin-xa.yaml"
    elsewhere.write_text(OPERATOR_SLOT, encoding="utf-8")  # under another name it is fine
    assert here.station.cli("playlist", "apply", str(elsewhere)).returncode == 0


def test_a_province_slot_that_airs_answers_its_order_aired(here: ProvinceStation) -> None:
    raw = slot_order(here.province, name="vov", playlist=weekly(*open_slot_window()))
    message_id = json.loads(raw)["id"]
    here.order(raw)
    here.upstream.tick(datetime.now(ZONE))  # the first look sets the as-run mark
    (queued,) = queue_what_is_owed(here.store)
    entry = here.store.entry(queued)
    assert entry is not None
    here.store.finish(entry, Outcome.AIRED, started_at=entry.due_at,
                      ended_at=entry.due_at + 30, engine="espeak")
    here.upstream.tick(datetime.now(ZONE))
    aired = here.receipts(message_id)[-1]
    assert (aired["receipt"], aired["message_id"]) == ("aired", message_id)
    assert (aired["as_run"]["queue_id"], aired["as_run"]["outcome"]) == (queued, "aired")


# --- the province's side ----------------------------------------------------------------------

PROVINCE_CONFIG = """\
[station]
id = "tinh"
data_dir = "data"
audio_dir = "audio"

[district]
broker = "{url}"
topic_prefix = "test"
"""


def province_desk(root: Path, url: str = "mqtt://127.0.0.1:1") -> tuple[Config, Path]:
    """The province's machine: its config (a broker nothing listens on, unless given)
    and its key."""
    from broadcaster.upstream.district import keygen

    (root / "audio").mkdir(parents=True, exist_ok=True)
    (root / "broadcaster.toml").write_text(PROVINCE_CONFIG.format(url=url), encoding="utf-8")
    config = load_config(root / "broadcaster.toml")
    return config, keygen(config).private


def test_the_province_signs_slot_orders_a_station_reads(tmp_path: Path) -> None:
    from broadcaster.upstream.slot_orders import sign_slot_install, sign_slot_removal

    config, key = province_desk(tmp_path / "province")
    file = tmp_path / "thoi-su.yaml"
    file.write_text(weekly(), encoding="utf-8")
    public = load_public_key(key.with_suffix(".pub"))
    keys = TrustedKeys({key_id(public): public})

    def station_reads(raw: bytes) -> SlotOrder:
        envelope = authenticate(raw, keys=keys, station_id=STATION_ID,
                                history=lambda *_: SenderHistory())
        assert envelope.expires - envelope.issued == timedelta(days=14)
        return read_slot_order(envelope, datetime.now(ZONE), audio_dir=tmp_path,
                               max_text_chars=20_000)

    signed = sign_slot_install(config, file, target="all")
    order = station_reads(signed.envelope)
    assert (order.action, order.name, order.playlist_text) == (INSTALL, "thoi-su", weekly())
    named = sign_slot_install(config, file, target=STATION_ID,
                              name=unicodedata.normalize("NFD", "thời-sự"))
    assert station_reads(named.envelope).name == "thời-sự"  # sent composed (NFC)
    removal = sign_slot_removal(config, "thời-sự", target="all")
    assert station_reads(removal.envelope) == SlotOrder(REMOVE, "thời-sự")


def test_the_province_is_told_what_is_wrong_before_anything_is_signed(tmp_path: Path) -> None:
    _config, key = province_desk(tmp_path / "province")
    one_off = tmp_path / "tiem-phong.yaml"
    one_off.write_text(ONE_OFF, encoding="utf-8")
    slot_file = tmp_path / "thoi-su.yaml"
    slot_file.write_text(weekly(), encoding="utf-8")
    desk = Station(tmp_path / "province", tmp_path / "province" / "broadcaster.toml")
    _one_line(desk.cli("province", "slot", "install", str(one_off)),
              f"{one_off}: has no 'slot:'; a slot order installs a daily or weekly slot "
              f"(send a one-off bulletin with `province push`)")
    _one_line(desk.cli("province", "slot", "install", str(slot_file), "--name", "thời sự"),
              "slot name 'thời sự': use 1 to 64 letters, digits, - or _ (give one with --name)")
    _one_line(desk.cli("province", "slot", "remove", "vov", "--to", "xa.tan"),
              "--to 'xa.tan': give a station id (letters, digits, - and _) or 'all'")
    for usage in (("replace", "vov"), ("remove", "vov", "--name", "khac")):
        wrong = desk.cli("province", "slot", *usage)
        assert wrong.returncode == 2, wrong.stderr
    assert not key.with_name(key.name + ".seq").exists()  # no sequence number spent


def test_a_slot_order_sent_with_the_cli_is_installed_over_mosquitto(
        tmp_path: Path, broker: Broker) -> None:  # noqa: F811
    from tests.support.upstream import LinkStation, Listener

    _config, key = province_desk(tmp_path / "province", broker.url)
    desk = Station(tmp_path / "province", tmp_path / "province" / "broadcaster.toml")
    listener = Listener(broker)
    station = LinkStation(tmp_path / "station", "tan-phong", broker,
                          [key.with_suffix(".pub")]).start()
    try:
        listener.status("tan-phong", "online")
        file = tmp_path / "thoi-su.yaml"
        file.write_text(weekly(), encoding="utf-8")
        sent = desk.cli("province", "slot", "install", str(file), "--to", "tan-phong",
                        "--json")
        assert sent.returncode == 0, sent.stderr
        message_id = json.loads(sent.stdout)["message_id"]
        answers = listener.receipts(message_id, 2)
        assert [a["receipt"] for a in answers] == ["received", "accepted"]
        slot = station.run(lambda store, _: store.installed_slot("thoi-su"))
        assert slot is not None and slot.from_province and slot.message_id == message_id
        removed = desk.cli("province", "slot", "remove", "thoi-su", "--to", "tan-phong",
                           "--wait", "--timeout", "30")
        assert removed.returncode == 0, removed.stderr
        kinds = [line.split("  ")[2] for line in removed.stdout.splitlines()
                 if "  tan-phong  " in line]
        assert kinds == ["received", "accepted"], removed.stdout  # it stops at the answer
        assert station.run(lambda store, _: store.installed_slot("thoi-su")) is None
        again = desk.cli("province", "slot", "remove", "thoi-su", "--to", "tan-phong",
                         "--wait", "--timeout", "30")
        assert again.returncode == 1  # refused: the station has no such slot any more
        assert "tan-phong  rejected  no slot thoi-su from the province is installed" \
            in again.stdout, again.stdout
        assert again.stderr.strip().splitlines()[-1] == "1 station(s) rejected the push"
    finally:
        station.stop()
        listener.close()
