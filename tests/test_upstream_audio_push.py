"""A recorded bulletin pushed by the province, end to end on real brokers: `district push`
signs it and puts the recording in the depot, the collector serves each station what it
asks for, the stations' link code fetches, checks and keeps it, and only then queues the
push. A broker restart or a station restart in the middle loses nothing and airs
nothing partial."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from broadcaster.model import File, Level
from broadcaster.queued_audio import folder
from broadcaster.store import Store
from broadcaster.upstream.district import Pushed, push
from broadcaster.upstream.files import NEED_WINDOW
from broadcaster.upstream.pushes import Upstream
from tests.support.broker import (  # noqa: F401  # the fixtures
    AnyBroker,
    Broker,
    RabbitCluster,
    RabbitNode,
    any_broker,
    broker,
    forget_sessions,
    rabbitmq_cluster,
    rabbitmq_node,
)
from tests.support.sound import write_tone
from tests.support.upstream import (
    District,
    LinkStation,
    Province,
    collector_state,
    online_station,
)
from tests.support.waiting import wait_until

ONE, TWO = "tan-phong", "an-binh"
PLAYLIST = """\
title: Bản tin ghi âm phòng chống bão
items:
  - chime: default
  - file: ban-tin/bao-so-3.wav
"""


@pytest.fixture
def district(tmp_path: Path) -> District:
    return District(tmp_path / "district")


@pytest.fixture
def province(tmp_path: Path, any_broker: AnyBroker,  # noqa: F811
             district: District) -> Iterator[Province]:
    desk = Province(tmp_path / "province", any_broker, district)
    write_tone(recording(desk), 30.0, rate=22050)
    (desk.root / "ghi-am.yaml").write_text(PLAYLIST, encoding="utf-8")
    desk.start_collector()
    yield desk
    desk.stop_collector()


def recording(province: Province) -> Path:
    path = province.config.audio_dir / "ban-tin" / "bao-so-3.wav"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def queued_files(store: Store, upstream: Upstream) -> list[Path]:
    return [item.path for entry in store.pending() for item in entry.items
            if isinstance(item, File)]


def test_a_recorded_bulletin_reaches_each_station_whole_and_is_queued_only_then(
        tmp_path: Path, any_broker: AnyBroker, district: District,  # noqa: F811
        province: Province) -> None:
    stations = [online_station(tmp_path, name, any_broker, district, province)
                for name in (ONE, TWO)]
    try:
        pushed = push(province.config, province.root / "ghi-am.yaml", target="all",
                      level=Level.PRIORITY, key=district.private_path)
        (manifest,) = pushed.files
        assert len(manifest.chunks) > 16  # more than one window of chunks
        province.wait_answers(pushed.message_id, {ONE: "accepted", TWO: "accepted"},
                              timeout=60)
        source = recording(province).read_bytes()
        for station in stations:
            (path,) = station.run(queued_files)
            assert path.read_bytes() == source  # the station airs the very recording
            assert path.name == f"{hashlib.sha256(source).hexdigest()}.wav"
        assert province.collector is not None
        served = province.collector.depot.published
        assert served == 2 * len(manifest.chunks)  # each chunk once to each station

        again = push(province.config, province.root / "ghi-am.yaml", target="all",
                     level=Level.PRIORITY, key=district.private_path)
        province.wait_answers(again.message_id, {ONE: "accepted", TWO: "accepted"},
                              timeout=30)
        assert province.collector.depot.published == served  # not sent twice
    finally:
        for station in stations:
            station.stop()


def chunks_here(_store: Store, upstream: Upstream) -> int:
    """How many chunks of files still arriving the station has (run on its thread)."""
    assert upstream.files is not None
    return sum(here for here, _all in upstream.files.arriving().values())


@pytest.fixture
def fetching(tmp_path: Path, broker: Broker,  # noqa: F811
             district: District) -> Iterator[tuple[Province, LinkStation, Pushed]]:
    """A 2.6 MB recording (41 chunks, three windows) pushed to one station, which has
    started fetching it."""
    desk = Province(tmp_path / "province", broker, district)
    write_tone(recording(desk), 60.0, rate=22050)
    (desk.root / "ghi-am.yaml").write_text(PLAYLIST, encoding="utf-8")
    desk.start_collector()
    station = online_station(tmp_path, ONE, broker, district, desk)
    try:
        pushed = push(desk.config, desk.root / "ghi-am.yaml", target=ONE,
                      level=Level.PRIORITY, key=district.private_path)
        wait_until(lambda: station.run(chunks_here) > 0, "the first chunks at the station")
        yield desk, station, pushed
    finally:
        station.stop()
        desk.stop_collector()


def test_a_broker_restart_in_the_middle_loses_nothing_and_airs_nothing_partial(
        broker: Broker, fetching: tuple[Province, LinkStation, Pushed]) -> None:  # noqa: F811
    desk, station, pushed = fetching
    broker.kill()  # the broker dies mid-file (no clean goodbye to anyone)
    assert station.run(lambda store, _u: store.pending()) == []  # nothing partial queued
    broker.start()
    desk.wait_answers(pushed.message_id, {ONE: "accepted"}, timeout=90)
    (path,) = station.run(queued_files)
    assert path.read_bytes() == recording(desk).read_bytes()
    incoming = folder(station.config.audio_dir)
    assert not list(incoming.glob(".*"))  # no half file, no .have left


def test_a_station_restarted_in_the_middle_asks_only_for_what_it_lacks(
        fetching: tuple[Province, LinkStation, Pushed]) -> None:
    desk, station, pushed = fetching
    (manifest,) = pushed.files
    desk.stop_collector()  # nothing more comes: the station is somewhere in the file
    here = station.run(chunks_here)  # on disk, fsynced (0 when it is whole already)
    station.stop()  # the power goes
    station.start()
    desk.start_collector()  # a new depot: it counts what it serves from now
    desk.wait_answers(pushed.message_id, {ONE: "accepted"}, timeout=90)
    (path,) = station.run(queued_files)
    assert path.read_bytes() == recording(desk).read_bytes()
    assert desk.collector is not None
    # what was on disk is not asked for again; what was on its way may be
    assert desk.collector.depot.published <= len(manifest.chunks) - here + NEED_WINDOW


def test_station_start_fetches_the_files_of_a_push_still_waiting(
        tmp_path: Path, broker: Broker, district: District) -> None:  # noqa: F811
    """The station was off when the push came: its persistent session keeps the push,
    and the files are fetched once it is back."""
    desk = Province(tmp_path / "province", broker, district)
    write_tone(recording(desk), 10.0, rate=22050)
    (desk.root / "ghi-am.yaml").write_text(PLAYLIST, encoding="utf-8")
    desk.start_collector()
    station = online_station(tmp_path, ONE, broker, district, desk)
    station.stop()
    try:
        pushed = push(desk.config, desk.root / "ghi-am.yaml", target=ONE,
                      level=Level.PRIORITY, key=district.private_path)
        station = LinkStation(tmp_path / ONE, ONE, broker, [district.public_path]).start()
        desk.wait_answers(pushed.message_id, {ONE: "accepted"}, timeout=60)
        (path,) = station.run(queued_files)
        assert path.read_bytes() == recording(desk).read_bytes()
    finally:
        station.stop()
        desk.stop_collector()


def test_a_recorded_bulletin_pushed_to_a_daemon_reaches_the_loudspeakers_sample_for_sample(
        tmp_path: Path, broker: Broker, district: District) -> None:  # noqa: F811
    """What the station reports is what reached the loudspeakers: the recording the
    province pushed, every frame of it, then `aired` at the collector."""
    import numpy as np
    import soundfile

    from broadcaster.model import Outcome
    from tests.support.daemon import running_daemon
    from tests.support.sound import frame_indices, runs, write_indexed
    from tests.test_upstream_daemon import upstream_station

    desk = Province(tmp_path / "province", broker, district)
    frames = 48000 * 4
    write_indexed(recording(desk), frames, first=1)
    (desk.root / "ghi-am.yaml").write_text(
        "title: Bản tin ghi âm\nitems:\n  - file: ban-tin/bao-so-3.wav\n", encoding="utf-8")
    desk.start_collector()
    station = upstream_station(tmp_path / ONE, ONE, broker.url, district.private_path)
    try:
        with running_daemon(station) as daemon:
            wait_until(lambda: collector_state(desk, ONE) == "online", "the daemon online")
            pushed = push(desk.config, desk.root / "ghi-am.yaml", target=ONE,
                          level=Level.PRIORITY, key=district.private_path)
            desk.wait_answers(pushed.message_id, {ONE: "aired"}, timeout=90)
            (line,) = [line for line in daemon.as_run() if line.source == "upstream"]
    finally:
        desk.stop_collector()
    assert line.outcome is Outcome.AIRED
    sha = hashlib.sha256(recording(desk).read_bytes()).hexdigest()
    assert [(part.what, part.source) for part in line.parts] == [("file", f"{sha}.wav")]
    samples, _rate = soundfile.read(str(station.root / "capture.wav"), dtype="int16",
                                    always_2d=True)
    played = runs(frame_indices(samples))
    assert [(first, last) for _at, first, last in played] == [(1, frames)]
    assert np.count_nonzero(samples.any(axis=1)) >= frames  # nothing else but silence


def test_a_recorded_bulletin_crosses_a_two_node_rabbitmq_cluster(
        tmp_path: Path, rabbitmq_cluster: RabbitCluster,  # noqa: F811
        district: District) -> None:
    """The province (sender and collector) on node 1, the communes on node 2: every need
    and every chunk crosses the cluster; no retained message is needed anywhere."""
    near, far = rabbitmq_cluster.nodes
    desk = Province(tmp_path / "province", near, district)
    write_tone(recording(desk), 30.0, rate=22050)
    (desk.root / "ghi-am.yaml").write_text(PLAYLIST, encoding="utf-8")
    desk.start_collector()
    stations = [online_station(tmp_path, name, far, district, desk) for name in (ONE, TWO)]
    try:
        pushed = push(desk.config, desk.root / "ghi-am.yaml", target="all",
                      level=Level.PRIORITY, key=district.private_path)
        desk.wait_answers(pushed.message_id, {ONE: "accepted", TWO: "accepted"}, timeout=90)
        for station in stations:
            (path,) = station.run(queued_files)
            assert path.read_bytes() == recording(desk).read_bytes()
    finally:
        for station in stations:
            station.stop()
        desk.stop_collector()
        forget_sessions(far)
        forget_sessions(near)


def test_a_recording_is_fetched_through_per_station_accounts_on_rabbitmq(
        tmp_path: Path, rabbitmq_node: RabbitNode, district: District) -> None:  # noqa: F811
    """README's province deployment, recorded audio included: the station's account may
    publish only its own `need` and read only its own `chunks`; the province's account
    (sender and collector) reads every `need` and writes the chunks."""
    import secrets

    from broadcaster.config import load_config
    from broadcaster.upstream.link import station_client_id

    node = rabbitmq_node
    if not node.running:
        node.start()
    prefix = "test"
    passwords = {name: secrets.token_hex(12) for name in (ONE, "tinh")}
    station_queue = f"mqtt-subscription-{station_client_id(ONE)}qos[01]"
    # the README names the collector's default client id, broadcaster-collector; the test's is
    province_queues = "mqtt-subscription-(broadcaster-district-|collector-test).*"
    for name, password in passwords.items():
        node.ctl("add_user", name, password)
    try:
        node.ctl("set_permissions", "-p", "/", ONE, f"^{station_queue}$",
                 rf"^(amq\.topic|{station_queue})$", rf"^(amq\.topic|{station_queue})$")
        node.ctl("set_topic_permissions", "-p", "/", ONE, "amq.topic",
                 rf"^{prefix}\.stations\.{{username}}\.(receipts|status|heartbeat|need)$",
                 rf"^{prefix}\.((stations\.{{username}}|all)\.push"
                 rf"|stations\.{{username}}\.chunks\..+)$")
        node.ctl("set_permissions", "-p", "/", "tinh", f"^{province_queues}$",
                 rf"^(amq\.topic|{province_queues})$", rf"^(amq\.topic|{province_queues})$")
        node.ctl("set_topic_permissions", "-p", "/", "tinh", "amq.topic",
                 rf"^{prefix}\.(stations\.[^.]+\.(push|chunks\..+)|all\.push)$",
                 rf"^{prefix}\.(stations\.[^.]+\.(receipts|status|heartbeat|need|push)"
                 rf"|all\.push)$")

        desk = Province(tmp_path / "province", node, district)
        (desk.root / "tinh.password").write_text(passwords["tinh"] + "\n")
        with desk.config_file.open("a", encoding="utf-8") as config:  # [district] is last
            config.write('username = "tinh"\npassword_file = "tinh.password"\n')
        desk.config = load_config(desk.config_file)
        write_tone(recording(desk), 30.0, rate=22050)
        (desk.root / "ghi-am.yaml").write_text(PLAYLIST, encoding="utf-8")
        desk.start_collector()
        (tmp_path / ONE).mkdir()
        (tmp_path / ONE / "broker.password").write_text(passwords[ONE] + "\n")
        station = LinkStation(tmp_path / ONE, ONE, node, [district.public_path])
        with station.config_file.open("a", encoding="utf-8") as config:
            config.write(f'username = "{ONE}"\npassword_file = "broker.password"\n')
        station.config = load_config(station.config_file)
        station.start()
        try:
            wait_until(lambda: collector_state(desk, ONE) == "online", "the station online")
            pushed = push(desk.config, desk.root / "ghi-am.yaml", target=ONE,
                          level=Level.PRIORITY, key=district.private_path)
            desk.wait_answers(pushed.message_id, {ONE: "accepted"}, timeout=60)
            (path,) = station.run(queued_files)
            assert path.read_bytes() == recording(desk).read_bytes()
        finally:
            station.stop()
            desk.stop_collector()
    finally:
        for name in passwords:
            node.ctl("delete_user", name)
        forget_sessions(node)
