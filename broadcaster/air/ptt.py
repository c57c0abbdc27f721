"""The push-to-talk button on `[live] ptt_pin`: a button to ground (gpiozero Button, the
pin pulled up, debounced). Pressed, the microphone goes on air; released, it goes off.

gpiozero calls back from its own thread: the daemon only posts itself a message there.
A pin that cannot be used (no GPIO driver on this machine, the pin busy) is a button
that never presses, whose `problem` `status` shows; the daemon runs on without it.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
from typing import Any

from broadcaster.i18n import N_, _
from broadcaster.model import one_line

log = logging.getLogger(__name__)

BOUNCE_S = 0.05  # a contact that chatters for up to 50 ms is one press
MSG_PTT = N_("push-to-talk on GPIO{pin}")
MSG_PTT_PRESSED = N_("push-to-talk on GPIO{pin}, pressed")
MSG_PTT_RELEASED = N_("push-to-talk on GPIO{pin}, released")
MSG_PTT_BROKEN = N_("push-to-talk on GPIO{pin} cannot be used: {reason}; "
                    "`broadcaster live start` still works")
MSG_PTT_ADVICE = N_("on a Raspberry Pi install lgpio (pip install lgpio, or the Debian "
                    "package python3-lgpio), elsewhere remove [live] ptt_pin")
MSG_NO_PTT = N_("no push-to-talk button configured")


class PushToTalk:
    """The button on `pin` (BCM numbering). `on_press`/`on_release` are called from
    gpiozero's thread; `problem` is None while the pin works."""

    def __init__(self, pin: int, on_press: Callable[[], None],
                 on_release: Callable[[], None]) -> None:
        self.pin = pin
        self.problem: str | None = None
        self._button: Any = None
        with warnings.catch_warnings(record=True) as fallbacks:
            warnings.simplefilter("always")  # gpiozero tells why each pin driver failed so
            try:
                from gpiozero import Button

                self._button = Button(pin, pull_up=True, bounce_time=BOUNCE_S)
            except ModuleNotFoundError as exc:
                from broadcaster.air.amplifier import MSG_NO_GPIOZERO

                self.problem = _(MSG_NO_GPIOZERO) if exc.name == "gpiozero" else one_line(exc)
            except Exception as exc:  # gpiozero raises many kinds when no GPIO chip exists
                from broadcaster.air.amplifier import _gpio_reason

                reason, advice = _gpio_reason(exc, [str(w.message) for w in fallbacks])
                self.problem = f"{reason}; {_(MSG_PTT_ADVICE)}" if advice else reason
        if self._button is None:
            log.warning("%s", self.describe())
            return
        self._button.when_pressed = lambda *_args: on_press()
        self._button.when_released = lambda *_args: on_release()

    @property
    def pressed(self) -> bool:
        return bool(self._button is not None and self._button.is_pressed)

    def describe(self) -> str:
        """The button and its state, or why it cannot be used, for `status`."""
        if self.problem is not None:
            return _(MSG_PTT_BROKEN).format(pin=self.pin, reason=self.problem)
        return _(MSG_PTT_PRESSED if self.pressed else MSG_PTT_RELEASED).format(pin=self.pin)

    def close(self) -> None:
        if self._button is not None:
            button, self._button = self._button, None
            button.close()


def describe_button(pin: int | None) -> str:
    """The configured button in words, without touching GPIO (`status`, daemon down)."""
    return _(MSG_NO_PTT) if pin is None else _(MSG_PTT).format(pin=pin)
