"""`broadcaster live start | stop` (SPEC §3): the operator's microphone to air.

Mounted in cli.py (`app.add_typer(live_app, name="live")`). `start` queues a live session
(broadcaster.live_desk), pokes the daemon and waits, a few seconds at most, for the live
status to say the microphone is on air; `stop` ends it and says how long it was on air
and where its recording is. Sound devices are touched only to check that the configured
input device exists; the daemon opens it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Optional, TypeVar

import typer

from broadcaster.i18n import N_, _
from broadcaster.terminal import ConfigOption, load

if TYPE_CHECKING:
    from broadcaster.config import Config
    from broadcaster.status import Live
    from broadcaster.store import AsRunEntry, Store

T = TypeVar("T")
WAIT_S = 3.0  # how long `live start` and `live stop` wait for the daemon to carry it out
POLL_S = 0.02
MSG_LIVE_HELP = N_("The operator's microphone to air: before any item (it fades out and "
                   "resumes after), below an emergency.")
MSG_DAEMON_DOWN = N_("the station daemon is not running, and it is what puts the microphone "
                     "on air; start it with `sudo systemctl start broadcaster`, then "
                     "`broadcaster live start` again")
MSG_ON_AIR = N_("live: the microphone ({device}) is on air since {since} (#{id}); "
                "`broadcaster live stop` ends it")
MSG_BEHIND_EMERGENCY = N_("an emergency is on air: the microphone goes on air right after "
                          "it (#{id}); `broadcaster live stop` cancels it")
MSG_NOT_ON_AIR = N_("the daemon did not put the microphone on air within {seconds:.0f} s, "
                    "so nothing is live; see `broadcaster status`, then try again")
MSG_FAILED = N_("the microphone could not go on air: {reason}")
MSG_ENDED = N_("live ended: {length} on air, from {start} to {end}; recording: {path}")
MSG_ENDED_NO_RECORDING = N_("live ended: {length} on air, from {start} to {end}; "
                            "nothing was recorded")
MSG_CANCELLED = N_("live cancelled: the microphone had not gone on air yet")
MSG_STOPPING = N_("asked the daemon to end live (#{id}); `broadcaster log` shows it once "
                  "it has ended")
MSG_UNKNOWN_ZONE = N_("{zone!r} is not a zone of this station{hint}")
MSG_NO_ZONES = N_("this station has no zones; leave out --zone (or add [zones] to the config)")

live_app = typer.Typer(no_args_is_help=True)  # its help is where cli.py mounts it

ZoneOption = Annotated[Optional[list[str]], typer.Option(  # noqa: UP045
    "--zone", help=_("A zone (cụm loa) to speak to; repeat for several (default: every "
                     "zone)."))]


@live_app.command("start", help=_("Put the microphone on air now: the item on air fades out "
                                  "and resumes after live ends."))
def live_start(zone: ZoneOption = None, config: ConfigOption = None) -> None:
    from broadcaster import live_desk
    from broadcaster.air.devices import resolve_input_device
    from broadcaster.clock import station_now
    from broadcaster.model import OperatorError
    from broadcaster.runtime import poke_daemon
    from broadcaster.status import read_status
    from broadcaster.store import open_store

    station = load(config)
    zones = _zones(station, zone)
    if read_status(station) is None:
        raise OperatorError(_(MSG_DAEMON_DOWN))
    resolve_input_device(station.audio.input_device)  # missing: refused, naming the inputs
    store = open_store(station)
    try:
        now = station_now(station)
        entry_id = live_desk.start(store, live_desk.who_started(), now.timestamp(), now,
                                   zones=zones)
        poke_daemon(station)
        live = _wait_on_air(station, store, entry_id)
        if live is not None and live.since is not None:
            typer.echo(_(MSG_ON_AIR).format(device=live.device, since=_clock(live.since, station),
                                            id=entry_id))
            return
        status = read_status(station)
        if status is not None and status.on_air is not None \
                and status.on_air.level == "emergency":
            typer.echo(_(MSG_BEHIND_EMERGENCY).format(id=entry_id))
            return
        line = _as_run_line(store, entry_id)
        if line is not None:  # the daemon ended it: the device is busy or went away
            raise OperatorError(_(MSG_FAILED).format(reason=line.reason or line.outcome.value))
        live_desk.stop(store, time.time(), entry_id)
        poke_daemon(station)
        raise OperatorError(_(MSG_NOT_ON_AIR).format(seconds=WAIT_S))
    finally:
        store.close()


@live_app.command("stop", help=_("Take the microphone off air (it fades out); prints how long "
                                 "it was on air and where its recording is."))
def live_stop(config: ConfigOption = None) -> None:
    from broadcaster import live_desk
    from broadcaster.live_record import recordings_folder
    from broadcaster.model import Outcome
    from broadcaster.runtime import poke_daemon
    from broadcaster.store import open_store

    station = load(config)
    store = open_store(station)
    try:
        entry = live_desk.stop(store, time.time())
        poke_daemon(station)
        line = _wait(lambda: _as_run_line(store, entry.id))
        if line is None:
            typer.echo(_(MSG_STOPPING).format(id=entry.id))
            return
        if line.outcome is Outcome.CANCELLED or line.started_at is None:
            typer.echo(_(MSG_CANCELLED))
            return
        length = _length(line.ended_at - line.started_at)
        start, end = _clock(line.started_at, station), _clock(line.ended_at, station)
        names = [part.source for part in line.parts if part.source]
        path = recordings_folder(station) / names[0] if names else None
        if path is not None and path.is_file():
            typer.echo(_(MSG_ENDED).format(length=length, start=start, end=end, path=path))
        else:
            typer.echo(_(MSG_ENDED_NO_RECORDING).format(length=length, start=start, end=end))
    finally:
        store.close()


def _zones(station: Config, names: list[str] | None) -> tuple[str, ...] | None:
    """The zones named with --zone (None: every zone); an unknown one refused in one line,
    with the nearest zone's name."""
    from broadcaster.model import OperatorError
    from broadcaster.nearest import did_you_mean

    if not names:
        return None
    if not station.zones:
        raise OperatorError(_(MSG_NO_ZONES))
    for name in names:
        if name not in station.zones:
            raise OperatorError(_(MSG_UNKNOWN_ZONE).format(
                zone=name, hint=did_you_mean(name, list(station.zones))))
    return tuple(dict.fromkeys(names))


def _wait_on_air(station: Config, store: Store, entry_id: int) -> Live | None:
    """The live status once the daemon says the session is on air (None: it did not within
    WAIT_S, or it ended: the caller looks at why)."""
    from broadcaster.status import read_status

    def on_air() -> Live | None:
        status = read_status(station)
        live = status.live if status is not None else None
        if live is not None and live.id == entry_id and live.since is not None:
            return live
        if store.is_done(entry_id):
            raise _Ended
        return None

    try:
        return _wait(on_air)
    except _Ended:
        return None


class _Ended(Exception):
    """The session ended while `live start` waited for it."""


def _wait(check: Callable[[], T | None]) -> T | None:
    deadline = time.monotonic() + WAIT_S
    while True:
        found = check()
        if found is not None or time.monotonic() > deadline:
            return found
        time.sleep(POLL_S)


def _as_run_line(store: Store, entry_id: int) -> AsRunEntry | None:
    from broadcaster.store import as_run_entry

    if not store.is_done(entry_id):
        return None
    rows = store.query("SELECT * FROM as_run WHERE queue_id = ? ORDER BY id DESC LIMIT 1",
                       (entry_id,))
    return as_run_entry(rows[0]) if rows else None


def _clock(timestamp: float, station: Config) -> str:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return datetime.fromtimestamp(timestamp, ZoneInfo(station.station.timezone)).strftime(
        "%H:%M:%S")


def _length(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s" if minutes else f"{rest} s"
