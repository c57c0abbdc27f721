"""The amplifier relay: power on `warmup_s` before the first audio, off `hold_s` after the last.

The relay hangs on a GPIO pin through gpiozero. Where there is no pin configured (or no
GPIO at all, e.g. a test machine) a switch that does nothing stands in, and says so
for `status`. Whatever happens, `Amplifier` used as a context manager leaves it off.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from types import TracebackType
from typing import Protocol

from broadcaster.config import AmplifierSection
from broadcaster.model import one_line

log = logging.getLogger(__name__)


class Switch(Protocol):
    """Something that powers the amplifier."""

    description: str

    def on(self) -> None: ...

    def off(self) -> None: ...

    def close(self) -> None: ...


class NoSwitch:
    """No relay: the amplifier is always powered, or switched by hand."""

    def __init__(self, description: str = "no amplifier relay configured") -> None:
        self.description = description

    def on(self) -> None:
        pass

    def off(self) -> None:
        pass

    def close(self) -> None:
        pass


class GpioSwitch:
    """A relay on a GPIO pin (BCM numbering), via gpiozero's OutputDevice."""

    def __init__(self, pin: int, active_high: bool) -> None:
        from gpiozero import OutputDevice

        self._device = OutputDevice(pin, active_high=active_high, initial_value=False)
        polarity = "active high" if active_high else "active low"
        self.description = f"relay on GPIO{pin} ({polarity})"

    def on(self) -> None:
        self._device.on()

    def off(self) -> None:
        self._device.off()

    def close(self) -> None:
        self._device.off()
        self._device.close()


def switch_from_config(section: AmplifierSection) -> Switch:
    """The configured relay, or a NoSwitch (with the reason) when it cannot be had."""
    if section.gpio_pin is None:
        return NoSwitch()
    try:
        return GpioSwitch(section.gpio_pin, section.active_high)
    except ImportError:
        reason = "gpiozero is not installed (pip install gpiozero)"
    except Exception as exc:  # gpiozero raises many kinds when no GPIO chip exists
        reason = one_line(exc)
    log.warning("amplifier relay on GPIO%s unavailable: %s", section.gpio_pin, reason)
    return NoSwitch(f"relay on GPIO{section.gpio_pin} unavailable: {reason}")


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
        self.switch.on()
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
