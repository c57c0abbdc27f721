"""The amplifier relay: power on `warmup_s` before the first audio, off `hold_s` after the last.

The relay hangs on a GPIO pin through gpiozero. Where no pin is configured a switch that
does nothing stands in (the amplifier is powered, or switched, by hand). A configured
relay that cannot be driven (no GPIO driver on this machine, the pin busy) is a
`BrokenSwitch`: the audio still goes to the sound device, and the amplifier's `problem`
says why the loudspeakers may have stayed silent (the player reports it with each item).
Whatever happens, `Amplifier` used as a context manager leaves it off.
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Callable
from types import TracebackType
from typing import Protocol

from broadcaster.config import AmplifierSection
from broadcaster.i18n import N_, _
from broadcaster.model import one_line

log = logging.getLogger(__name__)

MSG_NO_RELAY = N_("no relay configured")
MSG_RELAY = N_("relay on GPIO{pin} ({polarity})")
MSG_ACTIVE_HIGH = N_("active high")
MSG_ACTIVE_LOW = N_("active low")
MSG_RELAY_ON = N_("{relay}, on")
MSG_RELAY_OFF = N_("{relay}, off")
MSG_CANNOT_DRIVE = N_("relay on GPIO{pin} cannot be driven: {reason}")
MSG_NO_GPIOZERO = N_("gpiozero is not installed (pip install gpiozero)")
MSG_NO_GPIO_DRIVER = N_("no GPIO driver works on this machine ({reasons})")
MSG_GPIO_ADVICE = N_("on a Raspberry Pi install lgpio (pip install lgpio, or the Debian "
                     "package python3-lgpio), elsewhere remove [amplifier] gpio_pin")
MSG_PROBLEM_ADVICE = N_("{problem}; {advice}")
MSG_SWITCH_FAILED = N_("relay on GPIO{pin} did not switch on: {reason}")


class Switch(Protocol):
    """Something that powers the amplifier; `problem` says why it cannot (None: it can)."""

    description: str
    problem: str | None

    def on(self) -> None: ...

    def off(self) -> None: ...

    def close(self) -> None: ...


class NoSwitch:
    """No relay: the amplifier is always powered, or switched by hand."""

    problem: str | None = None

    def __init__(self, description: str | None = None) -> None:
        self.description = description or _(MSG_NO_RELAY)

    def on(self) -> None:
        pass

    def off(self) -> None:
        pass

    def close(self) -> None:
        pass


class BrokenSwitch(NoSwitch):
    """A relay is configured but cannot be driven: `problem` says why (for each item's
    as-run line), `description` also what to do (for `status` and the journal)."""

    def __init__(self, problem: str, advice: str | None = None) -> None:
        super().__init__(_(MSG_PROBLEM_ADVICE).format(problem=problem, advice=advice)
                         if advice else problem)
        self.problem = problem


class GpioSwitch:
    """A relay on a GPIO pin (BCM numbering), via gpiozero's OutputDevice."""

    problem: str | None = None

    def __init__(self, pin: int, active_high: bool) -> None:
        from gpiozero import OutputDevice

        self.pin = pin
        self._device = OutputDevice(pin, active_high=active_high, initial_value=False)
        self.description = _(MSG_RELAY).format(pin=pin, polarity=_(
            MSG_ACTIVE_HIGH if active_high else MSG_ACTIVE_LOW))

    def on(self) -> None:
        self._device.on()

    def off(self) -> None:
        self._device.off()

    def close(self) -> None:
        self._device.off()
        self._device.close()


def describe_relay(section: AmplifierSection) -> str:
    """The configured relay in words, without touching GPIO (`status` with the daemon down)."""
    if section.gpio_pin is None:
        return _(MSG_NO_RELAY)
    return _(MSG_RELAY).format(pin=section.gpio_pin, polarity=_(
        MSG_ACTIVE_HIGH if section.active_high else MSG_ACTIVE_LOW))


def switch_from_config(section: AmplifierSection) -> Switch:
    """The configured relay; a NoSwitch when none is configured, a BrokenSwitch (saying
    the real cause, in one line) when it cannot be driven here."""
    if section.gpio_pin is None:
        return NoSwitch()
    relay = gpio_switch(section.gpio_pin, section.active_high)
    if isinstance(relay, GpioSwitch):
        return relay
    reason, advice = relay
    switch = BrokenSwitch(_(MSG_CANNOT_DRIVE).format(pin=section.gpio_pin, reason=reason),
                          advice)
    log.warning("amplifier %s", switch.description)
    return switch


def gpio_switch(pin: int, active_high: bool) -> GpioSwitch | tuple[str, str | None]:
    """A relay on `pin` (BCM), or why it cannot be driven here and what to do (None: the
    reason says it), each in one line."""
    with warnings.catch_warnings(record=True) as fallbacks:
        warnings.simplefilter("always")  # gpiozero tells why each pin driver failed this way
        try:
            return GpioSwitch(pin, active_high)
        except ModuleNotFoundError as exc:
            return (_(MSG_NO_GPIOZERO) if exc.name == "gpiozero" else one_line(exc)), None
        except Exception as exc:  # gpiozero raises many kinds when no GPIO chip exists
            return _gpio_reason(exc, [str(warning.message) for warning in fallbacks])


def _gpio_reason(exc: Exception, fallbacks: list[str]) -> tuple[str, str | None]:
    """Why, and what to do. gpiozero's "Unable to load any default pin factory!" (a kind
    of ImportError) means every pin driver failed: the reasons are in its fallback
    warnings; the telling one (e.g. "native: unable to locate Pi revision") is shown, the
    missing modules only when there is nothing else."""
    from gpiozero.exc import BadPinFactory

    if not isinstance(exc, BadPinFactory) or not fallbacks:
        return one_line(exc), None
    reasons = [text.removeprefix("Falling back from ") for text in fallbacks]
    telling = [text for text in reasons if "No module named" not in text]
    return (_(MSG_NO_GPIO_DRIVER).format(reasons="; ".join(telling or reasons)),
            _(MSG_GPIO_ADVICE))


class Amplifier:
    """Timing around a Switch: warm up before audio, hold after it, off on every exit.

    `clock` and `sleep` are injected (seconds) so tests need not wait in real time.
    """

    def __init__(self, switch: Switch, *, warmup_s: float = 0.0, hold_s: float = 0.0,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.switch = switch
        self.warmup_s = warmup_s
        self.hold_s = hold_s
        self._clock = clock
        self._sleep = sleep
        self.is_on = False
        self._last_audio: float | None = None
        self._failed: str | None = None  # why switching on failed last time

    @property
    def problem(self) -> str | None:
        """Why the relay could not be switched on for the audio now playing (None: it was,
        or there is none to switch)."""
        return self.switch.problem or self._failed

    def describe(self) -> str:
        """The relay and whether it is on, for `status` (a relay that cannot be driven or
        none at all: just that, no on or off)."""
        if isinstance(self.switch, NoSwitch):
            return self.switch.description
        if self._failed is not None:
            return self._failed
        return _(MSG_RELAY_ON if self.is_on else MSG_RELAY_OFF).format(
            relay=self.switch.description)

    @classmethod
    def from_config(cls, section: AmplifierSection, *,
                    clock: Callable[[], float] = time.monotonic,
                    sleep: Callable[[float], None] = time.sleep) -> Amplifier:
        return cls(switch_from_config(section), warmup_s=section.warmup_s,
                   hold_s=section.hold_s, clock=clock, sleep=sleep)

    def before_audio(self) -> None:
        """Power on if off, and wait out the warm-up; no wait when already on."""
        self._last_audio = None
        if self.is_on:
            return
        try:
            self.switch.on()
            self._failed = None
        except Exception as exc:  # a GPIO error: the audio still goes out, reported
            self._failed = _(MSG_SWITCH_FAILED).format(pin=getattr(self.switch, "pin", "?"),
                                                        reason=one_line(exc))
            log.warning("amplifier %s", self._failed)
        self.is_on = True
        if self.warmup_s > 0:
            self._sleep(self.warmup_s)

    def after_audio(self) -> None:
        """The last block has been played: start counting the hold time."""
        self._last_audio = self._clock()

    def seconds_to_off(self) -> float | None:
        """How long until the hold runs out; None when nothing is pending."""
        if not self.is_on or self._last_audio is None:
            return None
        return max(0.0, self._last_audio + self.hold_s - self._clock())

    def poll(self) -> None:
        """Switch off if the hold time has passed since the last audio."""
        left = self.seconds_to_off()
        if left is not None and left <= 0:
            self.off()

    def off(self) -> None:
        self._last_audio = None
        if self.is_on:
            self.is_on = False
            self.switch.off()

    def close(self) -> None:
        try:
            self.off()
        finally:
            self.is_on = False
            self.switch.close()

    def __enter__(self) -> Amplifier:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()
