"""The zone relays (cụm loa): which village loudspeaker lines the amplifier's output reaches.

Each zone named in `[zones]` has its own relay (or several, one per pin) between the
amplifier and that village's line; the amplifier relay stays as it is. One amplifier airs
one program at a time, so the player routes each item before its first block: the relays
of the item's zones close, the others open. An emergency goes to every zone. The relays
open again once the station goes quiet.

A relay that cannot be driven (no GPIO here, the pin busy, an error while switching) does
not stop the audio: `route` returns what went wrong, in one line per relay, and the player
logs it with the item (its as-run reason) and `status` shows it. The relays use the
amplifier's polarity (`[amplifier] active_high`): one relay board usually carries them all.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from broadcaster.air.amplifier import BrokenSwitch, GpioSwitch, Switch, gpio_switch
from broadcaster.i18n import N_, _
from broadcaster.model import one_line

log = logging.getLogger(__name__)

MSG_ZONE_RELAY_FAILED = N_("zone {zone}: relay on GPIO{pin} did not switch {way}: {reason}")
MSG_CLOSED = N_("on")
MSG_OPEN = N_("off")
MSG_ZONE_CANNOT_DRIVE = N_("zone {zone}: relay on GPIO{pin} cannot be driven: {reason}")


@dataclass(frozen=True)
class ZoneState:
    """One zone's relays as `status` shows them: closed (the line hears the station), and
    why not, when a relay of it cannot be driven or failed to switch."""

    name: str
    pins: tuple[int, ...]
    closed: bool
    problem: str | None = None


@dataclass
class _Relay:
    zone: str
    pin: int
    switch: Switch
    closed: bool = False
    failed: str | None = None  # why switching failed last time


class ZoneRelays:
    """Every zone's relays. `route(zones)` closes exactly those zones' relays (None: all);
    `release()` opens them all. Called from the player's thread only."""

    def __init__(self, relays: Iterable[tuple[str, int, Switch]] = ()) -> None:
        self._relays = [_Relay(zone, pin, switch) for zone, pin, switch in relays]
        self.names = tuple(dict.fromkeys(relay.zone for relay in self._relays))

    @classmethod
    def from_config(cls, zones: dict[str, tuple[int, ...]], active_high: bool) -> ZoneRelays:
        """The configured zones' relays; a relay that cannot be driven here is kept as a
        BrokenSwitch that says why (the others still switch)."""
        relays: list[tuple[str, int, Switch]] = []
        for zone, pins in zones.items():
            for pin in pins:
                relay = gpio_switch(pin, active_high)
                if isinstance(relay, GpioSwitch):
                    relays.append((zone, pin, relay))
                    continue
                broken = BrokenSwitch(_(MSG_ZONE_CANNOT_DRIVE).format(
                    zone=zone, pin=pin, reason=relay[0]), relay[1])
                log.warning("%s", broken.description)
                relays.append((zone, pin, broken))
        return cls(relays)

    def needs_opening(self, zones: tuple[str, ...] | None) -> bool:
        """Would routing to `zones` open a relay that is closed now? Then what is on the
        device must play out first, or its last moments would be cut off that line."""
        return any(relay.closed and not _wanted(relay.zone, zones) for relay in self._relays)

    def route(self, zones: tuple[str, ...] | None) -> list[str]:
        """Close the relays of `zones` (None: every zone) and open the others; returns a
        line for each relay that could not be switched as asked (the audio goes on)."""
        problems = []
        for relay in sorted(self._relays, key=lambda r: _wanted(r.zone, zones)):
            wanted = _wanted(relay.zone, zones)  # opening first: one line at a time less
            problem = self._switch(relay, wanted)
            if problem is not None and wanted:
                problems.append(problem)
        return problems

    def release(self) -> None:
        """Open every relay (the station is quiet)."""
        for relay in self._relays:
            self._switch(relay, False)

    def close(self) -> None:
        for relay in self._relays:
            try:
                relay.switch.close()
            except Exception:  # noqa: S112  # closing a broken pin: nothing left to do
                continue

    def states(self) -> list[ZoneState]:
        """Each zone, closed when all its relays are, with the first problem of its relays."""
        states = []
        for name in self.names:
            relays = [relay for relay in self._relays if relay.zone == name]
            problem = next((relay.switch.problem or relay.failed for relay in relays
                            if relay.switch.problem or relay.failed), None)
            states.append(ZoneState(name, tuple(relay.pin for relay in relays),
                                    all(relay.closed for relay in relays), problem))
        return states

    def _switch(self, relay: _Relay, closed: bool) -> str | None:
        if relay.switch.problem is not None:
            return relay.switch.problem
        if relay.closed == closed and (relay.failed is None or not closed):
            return None  # a relay that failed to close is tried again each time
        try:
            relay.switch.on() if closed else relay.switch.off()
        except Exception as exc:  # a GPIO error: said with the item, shown in status
            relay.failed = _(MSG_ZONE_RELAY_FAILED).format(
                zone=relay.zone, pin=relay.pin, way=_(MSG_CLOSED if closed else MSG_OPEN),
                reason=one_line(exc))
            log.warning("%s", relay.failed)
            relay.closed = False if closed else relay.closed
            return relay.failed
        relay.closed = closed
        if closed:  # it works again: `status` no longer shows the failure
            relay.failed = None
        return None


def _wanted(zone: str, zones: tuple[str, ...] | None) -> bool:
    return zones is None or zone in zones
