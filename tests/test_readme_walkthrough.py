"""The README's walk-through (issue 11, "done when"): one province, two communes, on one
machine — run from README.md itself, block by block, on Mosquitto and on RabbitMQ.

The blocks are read between `<!-- walkthrough -->` and `<!-- /walkthrough -->`, so the
test cannot drift from what an operator pastes. Only what must differ here is
substituted, each substitution checked to find its text in the README:

- the broker's port (1884 → a free one); on RabbitMQ the broker URL becomes the
  session's node's (`?protocol=3.1.1`) and the block starting Mosquitto is skipped, since
  the fixture runs the node;
- the sound card (`device = "default"`) → the tests' `capture` device (there is no sound
  card here; ALSA_CONFIG_PATH is set by conftest.py), each daemon's capture file its own;
- the slot's days and times (`[mon, wed, fri]`, 18:00–18:15) → today, from the current
  minute to ten minutes later: a slot installed inside today's window airs at once, so
  its order answers `aired` within the test. After 23:50 (the window would cross
  midnight) the slot is not made to air: only its install and removal are checked.

Between blocks the test waits for what an operator would see before the next one (the
collector connected, both stations online, each push `aired` in `province report
--json`, the slot listed or gone), by polling, never by sleeping a fixed time.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import pytest

from tests.support.broker import rabbitmq_node, running_broker  # noqa: F401  # the fixture
from tests.support.waiting import wait_until
from tests.support.walkthrough import (
    Ran,
    Terminal,
    substituted,
    terminal,
    walkthrough_blocks,
)

T = TypeVar("T")
README = Path(__file__).resolve().parent.parent / "README.md"
STATIONS = ("an-binh", "tan-phong")
PROVINCE = "tinh/broadcaster.toml"
ZONE = ZoneInfo("Asia/Ho_Chi_Minh")  # the stations' (the default [station] timezone)
README_PORT = "1884"
README_URL = '"mqtt://127.0.0.1:1884"'
README_SLOT = 'days: [mon, wed, fri], at: "18:00", until: "18:15"'
RECORDED_TITLE = "Bản tin phòng chống bão số 3"
RECORDING = "tinh/ghi-am/bao-so-3.mp3"
SLOT = "thoi-su-tinh"
PUSH_ID = re.compile(r"[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}")
# each block of the README's walk-through, in order, by what it does
STEPS = ("mosquitto -c", "province keygen", "broadcaster run", "province status",
         "tiem-phong.yaml --to all", "bao-so-3.yaml --to all", "province report",
         "slot install", "playlist list", "province report", "slot remove", "playlist list",
         "kill")


@dataclass(frozen=True)
class Broker:
    """Where the walk-through's broker is: None for the README's own Mosquitto."""

    kind: str
    url: str | None


@pytest.fixture(params=["mosquitto", "rabbitmq"])
def walk_broker(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Broker]:
    if request.param == "mosquitto":
        yield Broker("mosquitto", None)  # the README's block starts it
        return
    for node in running_broker("rabbitmq", request, tmp_path):
        yield Broker("rabbitmq", node.url)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
    except OSError:
        return False
    return True


def slot_window(now: datetime) -> str | None:
    """The README's slot moved to today, now until ten minutes on (None after 23:50)."""
    if (now.hour, now.minute) >= (23, 50):
        return None
    day = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[now.weekday()]
    until = now + timedelta(minutes=10)
    return f'days: [{day}], at: "{now:%H:%M}", until: "{until:%H:%M}"'


class Walk:
    """The walk-through's folder, its terminal, and the operator's checks between blocks."""

    def __init__(self, folder: Path, shell: Terminal, env: dict[str, str]) -> None:
        self.folder = folder
        self.shell = shell
        self.env = env

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "broadcaster", *args], cwd=self.folder,
                              env=self.env, capture_output=True, text=True, timeout=60,
                              check=False)

    def json_of(self, *args: str) -> Any:
        done = self.cli(*args, "--json")
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    def run(self, block: str) -> Ran:
        ran = self.shell.run(block)
        assert ran.status == 0, ran.output
        return ran

    def states(self) -> dict[str, str]:
        done = self.cli("province", "status", "--json", "--config", PROVINCE)
        if done.returncode != 0:
            return {}
        return {row["station"]: row["state"] for row in json.loads(done.stdout)}

    def answers(self, message_id: str) -> dict[str, str]:
        """Each station's answer in `province report --json` ({} while not reported)."""
        done = self.cli("province", "report", message_id, "--json", "--config", PROVINCE)
        if done.returncode != 0:
            return {}
        return {row["station"]: row["answer"] for row in json.loads(done.stdout)["stations"]}

    def wait_answers(self, message_id: str, answer: str, timeout: float = 60.0) -> None:
        self.wait_for(lambda: self.answers(message_id), dict.fromkeys(STATIONS, answer),
                      f"the report of {message_id}", timeout)

    def wait_for(self, look: Callable[[], T], expected: T, what: str,
                 timeout: float = 30.0) -> None:
        """Poll `look()` until it returns `expected`; else fail with what it last said
        and the daemons' and collector's logs."""
        last: list[T] = []

        def seen() -> bool:
            last[:] = [look()]
            return last[0] == expected
        try:
            wait_until(seen, what, timeout, every=0.2)
        except AssertionError as failed:
            raise AssertionError(f"{failed}: wanted {expected}, last {last}\n"
                                 f"{self.logs()}") from None

    def slots(self) -> dict[str, list[tuple[str, str]]]:
        """Each station's installed slot playlists: (name, origin)."""
        return {station: [(slot["name"], slot["origin"]) for slot in self.json_of(
            "playlist", "list", "--config", f"{station}/broadcaster.toml")]
            for station in STATIONS}

    def wait_slots(self, expected: list[tuple[str, str]]) -> None:
        self.wait_for(self.slots, dict.fromkeys(STATIONS, expected), "the stations' slots")

    def logs(self) -> str:
        """The daemons' and the collector's logs, for a failure message."""
        return "\n".join(f"--- {path.relative_to(self.folder)}:\n"
                         f"{path.read_text(encoding='utf-8', errors='replace')[-3000:]}"
                         for path in sorted(self.folder.glob("*/*.log")))


def message_id(text: str) -> str:
    found = PUSH_ID.search(text)
    assert found, f"no push id in {text!r}"
    return found.group(0)


def station_lines(table: str) -> dict[str, str]:
    """A report table's line of each station, by station id."""
    return {line.split()[0]: line for line in table.splitlines()
            if line.split()[:1] and line.split()[0] in STATIONS}


def receipts_of(printed: str) -> dict[str, list[str]]:
    """What `push --wait` printed: each station's receipts (`DAY TIME  STATION  KIND  …`,
    on the station's clock)."""
    found: dict[str, list[str]] = {}
    for line in printed.splitlines():
        fields = line.split("  ")
        if len(fields) >= 3 and fields[1] in STATIONS:
            found.setdefault(fields[1], []).append(fields[2])
    return found


@pytest.mark.slow
def test_the_readme_walk_through_works_as_written(tmp_path: Path,
                                                  walk_broker: Broker) -> None:
    blocks = walkthrough_blocks(README)
    assert len(blocks) == len(STEPS), blocks
    for block, step in zip(blocks, STEPS, strict=True):
        assert step in block, f"the walk-through's blocks changed: {step!r} not in\n{block}"
    (start_broker, province, stations, status, text_push, recorded_push, report,
     slot_install, slot_listed, slot_report, slot_remove, slot_gone, stop) = blocks

    port = free_port()
    url = f'"{walk_broker.url or f"mqtt://127.0.0.1:{port}"}"'
    province = substituted(province, README_URL, url)
    stations = substituted(stations, README_URL, url)
    stations = substituted(stations, 'device = "default"', 'device = "capture"')
    stations = substituted(stations, "broadcaster run --config",
                           'BROADCASTER_TEST_CAPTURE="$PWD/$xa/on-air.wav" '
                           "broadcaster run --config")
    window = slot_window(datetime.now(ZONE))
    if window is not None:
        slot_install = substituted(slot_install, README_SLOT, window)

    folder = tmp_path / "walk"
    folder.mkdir()
    env = {key: value for key, value in os.environ.items() if key != "BROADCASTER_CONFIG"}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    with terminal(folder, env) as shell:
        walk = Walk(folder, shell, env)
        if walk_broker.url is None:
            start_broker = substituted(start_broker, f"listener {README_PORT} ",
                                       f"listener {port} ")
            walk.run(start_broker)
            walk.wait_for(lambda: listening(port), True, f"mosquitto on {port}")

        made = walk.run(province)
        assert "tinh/data/district/district.pub" in made.output, made.output
        walk.wait_for(lambda: "collector connected" in walk.logs(), True,
                      "the collector connected")

        walk.run(stations)
        walk.wait_for(walk.states, dict.fromkeys(STATIONS, "online"), "both stations online",
                      timeout=30)
        shown = station_lines(walk.run(status).stdout)
        assert sorted(shown) == sorted(STATIONS), shown
        assert all(line.split()[1] == "online" for line in shown.values()), shown

        said = walk.run(text_push)
        aired = {station for station, kinds in receipts_of(said.stdout).items()
                 if "aired" in kinds}
        # on both brokers: on RabbitMQ --wait learns who is online from the collector
        assert aired == set(STATIONS), said.stdout
        walk.wait_answers(message_id(said.stderr), "aired")

        pushed = walk.run(recorded_push)
        assert "1 file(s)" in pushed.stdout, pushed.stdout
        recorded = message_id(pushed.stdout)
        walk.wait_answers(recorded, "aired")
        reported = walk.run(report).stdout
        lines = station_lines(reported)
        assert sorted(lines) == sorted(STATIONS), reported
        assert all(line.split()[1] == "aired" for line in lines.values()), reported
        assert RECORDED_TITLE in reported  # tan-phong's as-run log, after the report
        digest = hashlib.sha256((folder / RECORDING).read_bytes()).hexdigest()
        for station in STATIONS:
            log = json.loads(walk.cli("log", "--json", "--config",
                                      f"{station}/broadcaster.toml").stdout)
            (line,) = [entry for entry in log if entry["title"] == RECORDED_TITLE]
            assert (line["outcome"], line["source"]) == ("aired", "upstream"), line
            # the log names what aired: the recording by its content
            assert [(part["what"], part["aired"], part.get("source"))
                    for part in line["parts"]] == \
                [("chime", True, "default"), ("file", True, f"{digest}.mp3")], line

        order = message_id(walk.run(slot_install).stdout)
        walk.wait_slots([(SLOT, "province")])
        listed = walk.run(slot_listed).stdout
        assert f"{SLOT} (from the province, " in listed, listed
        walk.wait_answers(order, "aired" if window is not None else "accepted")
        ordered = station_lines(walk.run(slot_report).stdout)
        assert sorted(ordered) == sorted(STATIONS), ordered
        assert all(line.split()[1] == ("aired" if window is not None else "accepted")
                   for line in ordered.values()), ordered

        walk.run(slot_remove)
        walk.wait_slots([])
        assert SLOT not in walk.run(slot_gone).stdout

        walk.run(stop)
        assert shell.leftover() == [], "the walk-through's last block left processes running"
