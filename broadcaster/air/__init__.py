"""Air: the player (one owner of the sound output), its sources, the amplifier relay.

`air()` and `list_devices()` are what the `air` and `devices` commands call; the
daemon builds a `Player` and feeds it. Heavy modules (numpy, soundfile, the sound
output) are imported only when audio is actually handled, and the names below only when
first asked for: importing `broadcaster.air.amplifier` alone loads no player.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from broadcaster.model import Level, OperatorError

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from broadcaster.air.amplifier import Amplifier
    from broadcaster.air.devices import SoundDevice, SoundOutput
    from broadcaster.air.events import AirEvent, EventKind, NowPlaying
    from broadcaster.air.player import Player
    from broadcaster.air.program import program_source, source_for
    from broadcaster.air.relay import RelaySource
    from broadcaster.air.sources import (
        FileSource,
        OutputFormat,
        PauseSource,
        ProgramSource,
        Source,
    )
    from broadcaster.config import Config
    from broadcaster.model import RenderedProgram

__all__ = [
    "AirEvent", "Amplifier", "EventKind", "FileSource", "NowPlaying", "OutputFormat",
    "PauseSource", "Player", "ProgramSource", "RelaySource", "SoundDevice", "SoundOutput",
    "Source", "air", "list_devices", "output_format", "program_source", "source_for",
    "station_player",
]
# The module of each name exported from a submodule: imported when first asked for, so
# that `status` (the relays' descriptions in air.amplifier and air.ptt) loads no player.
_EXPORTED = {
    "Amplifier": "amplifier", "SoundDevice": "devices", "SoundOutput": "devices",
    "AirEvent": "events", "EventKind": "events", "NowPlaying": "events", "Player": "player",
    "program_source": "program", "source_for": "program", "RelaySource": "relay",
    "FileSource": "sources", "OutputFormat": "sources", "PauseSource": "sources",
    "ProgramSource": "sources", "Source": "sources",
}


def __getattr__(name: str) -> Any:
    """`broadcaster.air.Player` and the other names of `__all__`, from their submodule."""
    if name not in _EXPORTED:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{_EXPORTED[name]}"), name)
    globals()[name] = value  # asked once
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


BLOCK_FRAMES = 1024  # 21 ms at 48 kHz: an emergency waits at most one block to start fading
LATENCY_S = 0.1


def output_format(config: Config) -> OutputFormat:
    from broadcaster.air.sources import OutputFormat

    return OutputFormat(config.audio.sample_rate, config.audio.channels)


def air(config: Config, what: Path | RenderedProgram | Source, *, level: Level = Level.NORMAL,
        on_event: Callable[[AirEvent], None] | None = None,
        block_frames: int = BLOCK_FRAMES, latency_s: float = LATENCY_S) -> list[AirEvent]:
    """Play one thing now, in this thread, through the configured device and amplifier.

    Returns when it has played out and the amplifier's hold time has passed (the
    amplifier is off by then, also on errors and Ctrl-C). It goes out to every zone.
    Returns the events it caused. Raises OperatorError (one line) when the device is
    missing or busy (the message lists the devices) or the item cannot be played.
    """
    from broadcaster.air.amplifier import Amplifier
    from broadcaster.air.devices import SoundOutput
    from broadcaster.air.events import EventKind
    from broadcaster.air.player import Player
    from broadcaster.air.program import source_for

    source = source_for(what)
    output = SoundOutput(config.audio.device, output_format(config),
                         block_frames=block_frames, latency=latency_s)
    events: list[AirEvent] = []

    def record(event: AirEvent) -> None:
        events.append(event)
        if on_event is not None:
            on_event(event)

    with output:
        output.open()  # a missing or busy device is refused before the amplifier is on
        from broadcaster.air.zones import ZoneRelays

        zones = ZoneRelays.from_config(config.zones, config.amplifier.active_high)
        with Amplifier.from_config(config.amplifier) as amplifier, \
                Player(output, amplifier, on_event=record, zones=zones) as player:
            player.play(source, level)
            player.run_until_idle()
    for event in events:
        if event.kind is EventKind.FAILED and event.outcome is not None:
            raise OperatorError(event.detail)
    return events


def station_player(config: Config, on_event: Callable[[AirEvent], None]) -> Player:
    """The daemon's player: the configured device, amplifier relay and zone relays."""
    from broadcaster.air.amplifier import Amplifier
    from broadcaster.air.devices import SoundOutput
    from broadcaster.air.player import Player
    from broadcaster.air.zones import ZoneRelays

    output = SoundOutput(config.audio.device, output_format(config))
    zones = ZoneRelays.from_config(config.zones, config.amplifier.active_high)
    return Player(output, Amplifier.from_config(config.amplifier), on_event=on_event,
                  zones=zones)


def list_devices(config: Config) -> list[SoundDevice]:
    """Every sound output, the configured one marked `configured`."""
    from broadcaster.air.devices import output_devices

    return output_devices(config.audio.device)
