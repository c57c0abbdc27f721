"""The idle daemon stays small (SPEC §9): what it has not needed, it has not imported.

A real `broadcaster run` (as `python -m broadcaster run`) with Python's import log
(PYTHONPROFILEIMPORTTIME, as `-X importtime`) airs one notice and goes idle: the command
line's parser, the reading-form rules, the audio analysis, OpenSSL and the upstream side
(a station without `[district]`) are never in its memory; the worker renders and looks
the speech cache up (its keys are SHA-256s).
"""

from __future__ import annotations

import re
from pathlib import Path

from broadcaster.model import Outcome
from broadcaster.store import Store
from broadcaster.upstream import needed_by_daemon
from broadcaster.upstream.records import UpstreamRecords
from tests.support.daemon import daemon_station, queued, running_daemon

NOT_WHEN_IDLE = {
    "broadcaster.speech.normalize": "the reading-form rules (the worker's)",
    "broadcaster.speech.loudness": "the audio analysis (the worker's)",
    "pydub": "whole-file audio",
    "scipy": "the filters (iir.py needs none)",
    "broadcaster.upstream.pushes": "the upstream side, without [district]",
    "broadcaster.upstream.envelope": "signatures, without [district]",
    "paho": "the MQTT client, without [district]",
    "broadcaster.web.app": "the web console (`broadcaster web`, its own process)",
    "typer": "the command line's parser (`broadcaster run` takes no commands)",
    "broadcaster.cli": "the command tree (`broadcaster run` starts without it)",
    "broadcaster.web.accounts": "the console's accounts, a command of the command line",
    "hashlib": "OpenSSL's library, ~3 MB (cache keys are the worker's)",
    "_hashlib": "OpenSSL's library, ~3 MB (cache keys are the worker's)",
}
_IMPORTED = re.compile(r"^import time:\s+\d+ \|\s+\d+ \|\s*(\S+)$")


def imported_by(stderr: Path) -> set[str]:
    """Every module a process imported, from its import log (a line per module)."""
    text = stderr.read_text(encoding="utf-8", errors="replace")
    return {found.group(1) for line in text.splitlines() if (found := _IMPORTED.match(line))}


def test_an_idle_daemon_that_aired_a_notice_holds_no_speech_rules_nor_upstream(
        tmp_path: Path) -> None:
    station = daemon_station(tmp_path / "station")
    with running_daemon(station, {"PYTHONPROFILEIMPORTTIME": "1"}) as daemon:
        entry_id = queued(station, "say", "Xin chào bà con.", "--repeat", "1")
        (line,) = daemon.wait_finished(entry_id, timeout=60)
        assert line.outcome is Outcome.AIRED, line
        assert line.engine == "espeak"
        modules = imported_by(station.root / "daemon.stderr")  # where Daemon sends stderr
    assert "broadcaster.station" in modules  # the log is the daemon's
    held = {name: why for name, why in NOT_WHEN_IDLE.items()
            if any(module == name or module.startswith(name + ".") for module in modules)}
    assert held == {}


def test_the_upstream_side_runs_when_configured_or_when_the_database_holds_its_work(
        tmp_path: Path) -> None:
    station = daemon_station(tmp_path / "station")
    store = Store(tmp_path / "station.db")
    try:
        assert not needed_by_daemon(station.config(), store)  # never had a link
        records = UpstreamRecords(store, "thu-nghiem")
        assert not needed_by_daemon(station.config(), store)  # its tables, empty
        with store.transaction() as db:  # a receipt from when a broker was configured
            records.add_receipt(db, "push-1", "aired", 1_700_000_000.0)
        assert needed_by_daemon(station.config(), store)
    finally:
        store.close()
    with_broker = tmp_path / "district"
    district = daemon_station(with_broker)
    district.write_config(district.config_file.read_text(encoding="utf-8")
                          + '\n[district]\nbroker = "mqtt://127.0.0.1:1883"\n')
    fresh = Store(tmp_path / "fresh.db")
    try:
        assert needed_by_daemon(district.config(), fresh)
    finally:
        fresh.close()
