"""The sound output at the edge: list devices, find the configured one, write blocks to it.

Blocks go to ALSA directly (`air.alsa`); sounddevice (PortAudio) lists the devices and
is imported only when needed, so the CLI starts fast, the airing process stays small
and tests can point ALSA at their own configuration first.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType, TracebackType
from typing import TYPE_CHECKING, Any, cast

from broadcaster.air.sources import as_pcm16
from broadcaster.i18n import N_, _
from broadcaster.model import OperatorError, one_line

if TYPE_CHECKING:
    from broadcaster.air.alsa import Pcm
    from broadcaster.air.sources import OutputFormat, Samples

MSG_NO_PORTAUDIO = N_("cannot use the sound system: the PortAudio library is missing; "
                      "install the Debian package 'libportaudio2'")
MSG_NOT_FOUND = N_("sound device {spec} not found; {available}; set [audio] device in the config")
MSG_AMBIGUOUS = N_("sound device {spec} matches several devices; {available}; give its number")
MSG_NO_DEFAULT = N_("no default sound output; {available}; set [audio] device in the config")
MSG_CANNOT_OPEN = N_("sound device {spec} cannot be opened at {rate} Hz, {channels} ch ({reason}); "
                     "it may be busy or unplugged; {available}")
MSG_WRITE_FAILED = N_("sound device {spec} failed while playing ({reason}); {available}")
MSG_AVAILABLE = N_("available output devices: {devices}")
MSG_NONE_AVAILABLE = N_("no output devices are available")
# the same for the live microphone's input ([audio] input_device)
MSG_INPUT_NOT_FOUND = N_("input device {spec} not found; {available}; "
                         "set [audio] input_device in the config")
MSG_INPUT_AMBIGUOUS = N_("input device {spec} matches several devices; {available}; "
                         "give its number")
MSG_NO_DEFAULT_INPUT = N_("no default sound input; {available}; "
                          "set [audio] input_device in the config")
MSG_INPUT_CANNOT_OPEN = N_("input device {spec} cannot be opened at {rate} Hz, {channels} ch "
                           "({reason}); it may be busy or unplugged; {available}")
MSG_INPUTS_AVAILABLE = N_("available input devices: {devices}")
MSG_NO_INPUTS = N_("no input devices are available")
# how PortAudio names a card's device: "bcm2835 Headphones: - (hw:0,0)"
_CARD_DEVICE = re.compile(r"\(hw:(\d+,\d+)\)$")


@dataclass(frozen=True)
class SoundDevice:
    """One output device as PortAudio sees it."""

    index: int
    name: str
    host_api: str
    channels: int
    default_rate: int
    configured: bool  # the one [audio] device names (or the default, when none is named)


def sounddevice_module() -> ModuleType:
    """sounddevice, or an OperatorError naming the Debian package to install."""
    try:
        import sounddevice
    except OSError:
        raise OperatorError(_(MSG_NO_PORTAUDIO)) from None
    return cast(ModuleType, sounddevice)


def output_devices(configured: str | int | None = None) -> list[SoundDevice]:
    """Every device that can play, the configured one marked (if it resolves)."""
    sd = sounddevice_module()
    try:
        chosen = resolve_device(configured)
    except OperatorError:
        chosen = None
    apis = [api["name"] for api in sd.query_hostapis()]
    return [
        SoundDevice(index=info["index"], name=info["name"], host_api=apis[info["hostapi"]],
                    channels=info["max_output_channels"],
                    default_rate=int(info["default_samplerate"]),
                    configured=info["index"] == chosen)
        for info in _outputs(sd)
    ]


def _outputs(sd: ModuleType) -> list[dict[str, Any]]:
    return [dict(info) for info in sd.query_devices() if info["max_output_channels"] > 0]


def _inputs(sd: ModuleType) -> list[dict[str, Any]]:
    return [dict(info) for info in sd.query_devices() if info["max_input_channels"] > 0]


@dataclass(frozen=True)
class _Direction:
    """Outputs or inputs: where to look and what to say."""

    devices: Callable[[ModuleType], list[dict[str, Any]]]
    default: int  # which of sounddevice's default.device pair
    not_found: str
    ambiguous: str
    no_default: str
    available: str
    none_available: str


_OUT = _Direction(_outputs, 1, MSG_NOT_FOUND, MSG_AMBIGUOUS, MSG_NO_DEFAULT, MSG_AVAILABLE,
                  MSG_NONE_AVAILABLE)
_IN = _Direction(_inputs, 0, MSG_INPUT_NOT_FOUND, MSG_INPUT_AMBIGUOUS, MSG_NO_DEFAULT_INPUT,
                 MSG_INPUTS_AVAILABLE, MSG_NO_INPUTS)


def available_text(direction: _Direction = _OUT) -> str:
    """'available output devices: 0 "x", 1 "y"' — the tail of every device error."""
    try:
        found = direction.devices(sounddevice_module())
    except OperatorError as exc:
        return str(exc)
    if not found:
        return _(direction.none_available)
    return _(direction.available).format(
        devices=", ".join(f'{info["index"]} "{info["name"]}"' for info in found))


def available_inputs_text() -> str:
    """'available input devices: 0 "x", 1 "y"' — the tail of every microphone error."""
    return available_text(_IN)


def resolve_device(spec: str | int | None, direction: _Direction = _OUT) -> int:
    """The PortAudio index of `spec`: a number, an exact name, or a unique part of a name.

    None means the system's default output. Raises OperatorError listing the devices.
    """
    sd = sounddevice_module()
    found = direction.devices(sd)
    if spec is None:
        default = sd.default.device[direction.default]
        if any(info["index"] == default for info in found):
            return int(default)
        raise OperatorError(_(direction.no_default).format(available=available_text(direction)))
    if isinstance(spec, int) or spec.strip().isdigit():
        index = int(spec)
        if any(info["index"] == index for info in found):
            return index
        raise OperatorError(_(direction.not_found).format(
            spec=index, available=available_text(direction)))
    exact = [info["index"] for info in found if info["name"] == spec]
    if exact:
        return int(exact[0])
    partial = [info["index"] for info in found if spec.lower() in info["name"].lower()]
    if len(partial) == 1:
        return int(partial[0])
    message = _(direction.ambiguous) if partial else _(direction.not_found)
    raise OperatorError(message.format(spec=repr(spec), available=available_text(direction)))


def resolve_input_device(spec: str | int | None) -> tuple[int, int]:
    """The PortAudio index of the input `spec` (as `resolve_device`; None: the system's
    default input) and how many channels it records. Raises OperatorError listing the
    input devices."""
    sd = sounddevice_module()
    index = resolve_device(spec, _IN)
    return index, int(sd.query_devices(index)["max_input_channels"])


class SoundOutput:
    """The output: blocking writes of 16-bit blocks to one ALSA PCM, float ones converted
    here (round, clip: no dither), 16-bit ones (a 16-bit file at the output's rate) as
    they are.

    The device is opened through libasound by its ALSA name (`air.alsa`); PortAudio is
    asked only to make sense of a name ALSA does not define (a number or a name as
    `broadcaster devices` lists it) and to list the devices when something is wrong.
    """

    def __init__(self, spec: str | int | None, fmt: OutputFormat, *, block_frames: int = 1024,
                 latency: float = 0.1) -> None:
        self.spec = spec
        self.fmt = fmt
        self.block_frames = block_frames
        self.latency = latency
        self._pcm: Pcm | None = None
        self._drained = False  # stopped after playing out: prepare before the next write
        self.frames_written = 0
        self.underflows = 0  # writes that found the device's buffer run dry (a click)

    @property
    def name(self) -> str:
        return "default" if self.spec is None else str(self.spec)

    def open(self) -> None:
        """Open the device, or ready it again after `drain`; raises OperatorError listing
        the devices.

        A device that was missing or went away (unplugged, sound server restarted) is
        used once it is back: each `open` after a failure looks for it afresh.
        """
        from broadcaster.air.alsa import AlsaError

        if self._pcm is not None:
            if not self._drained:
                return
            try:
                self._pcm.prepare()
                self._drained = False
                return
            except AlsaError:
                self.close()  # the device went away since: open it afresh
        try:
            self._pcm = self._open_pcm()
        except OperatorError as first:
            if "sounddevice" not in sys.modules:
                raise
            _rescan(sounddevice_module())  # PortAudio lists what is there now
            try:
                self._pcm = self._open_pcm()
            except OperatorError:
                raise first from None  # what was wrong before looking again says most
        self._drained = False

    def _open_pcm(self) -> Pcm:
        from broadcaster.air.alsa import AlsaError, Pcm

        name = alsa_name(self.spec)
        try:
            return Pcm(name, self.fmt.sample_rate, self.fmt.channels, self.latency)
        except AlsaError as exc:
            raise OperatorError(_(MSG_CANNOT_OPEN).format(
                spec=repr(self.name), rate=self.fmt.sample_rate, channels=self.fmt.channels,
                reason=one_line(exc), available=available_text())) from None

    def write(self, block: Samples) -> None:
        """Hand one block (frames, channels) to the device; blocks while its buffer is
        full. Raises OperatorError when the device fails (it is closed then)."""
        from broadcaster.air.alsa import AlsaError

        if block.ndim != 2 or block.shape[1] != self.fmt.channels:
            raise ValueError(f"a block of {block.shape} for {self.fmt.channels} channels")
        samples = block if block.dtype.kind == "i" else as_pcm16(block)
        if not samples.flags.c_contiguous:
            samples = samples.copy()
        pcm = self._pcm
        if pcm is None:
            raise OperatorError(_(MSG_WRITE_FAILED).format(
                spec=repr(self.name), reason="not open", available=available_text()))
        before = pcm.underruns
        try:
            pcm.write(samples)
        except AlsaError as exc:
            self.close()
            raise OperatorError(_(MSG_WRITE_FAILED).format(
                spec=repr(self.name), reason=one_line(exc), available=available_text())) from None
        self.frames_written += len(block)
        self.underflows += pcm.underruns - before

    def seconds_until_room(self, frames: int) -> float:
        """How long until `frames` fit in the device's buffer: 0 when they fit now (or
        the device cannot tell: the write will)."""
        from broadcaster.air.alsa import AlsaError

        pcm = self._pcm
        if pcm is None:
            return 0.0
        try:
            missing = min(frames, pcm.buffer_frames) - pcm.room()
        except AlsaError:  # the write that follows says what is wrong
            return 0.0
        return missing / self.fmt.sample_rate if missing > 0 else 0.0

    def retune(self, block_frames: int, latency: float) -> None:
        """Air from now on in blocks of `block_frames` through `latency` seconds of device
        buffer (the live microphone's short one, or back to the usual). An open device
        first plays out what it holds, then opens again at once at the new settings;
        raises OperatorError as `open` does."""
        if (block_frames, latency) == (self.block_frames, self.latency):
            return
        reopen = self._pcm is not None
        if reopen:
            self.drain()  # what is in the buffer (a fade's tail) is heard, not cut
            self.close()
        self.block_frames, self.latency = block_frames, latency
        if reopen:
            self.open()

    def drain(self) -> None:
        """Let what was written play out, then stop (the device stays open; `open`
        readies it again). A device that went away meanwhile is closed (the next `open`
        looks for it again)."""
        from broadcaster.air.alsa import AlsaError

        if self._pcm is not None and not self._drained:
            try:
                self._pcm.drain()
                self._drained = True
            except AlsaError:  # nothing is left to play out
                self.close()

    def close(self) -> None:
        """Stop at once and let the device go; quietly, when it is gone already."""
        if self._pcm is not None:
            pcm, self._pcm = self._pcm, None
            pcm.close()

    def __enter__(self) -> SoundOutput:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()


def alsa_name(spec: str | int | None) -> str:
    """The ALSA PCM to open for `spec`: an ALSA name as it is ("default", "hw:0,0",
    "plughw:CARD=Headphones"); a number or a name as PortAudio lists it looked up there
    (a card's "bcm2835 Headphones: - (hw:0,0)" opens as "plughw:0,0", so a rate the
    card cannot take is converted). None is ALSA's default. Raises OperatorError
    listing the devices when nothing matches."""
    from broadcaster.air.alsa import is_defined

    if spec is None:
        return "default"
    text = str(spec).strip()
    if not text.isdigit() and is_defined(text):
        return text
    index = resolve_device(spec)
    return listed_alsa_name(str(sounddevice_module().query_devices(index)["name"]))


def listed_alsa_name(listed: str) -> str:
    """The ALSA PCM behind a device's name as PortAudio lists it: a card's device
    ("bcm2835 Headphones: - (hw:0,0)") through ALSA's plug ("plughw:0,0"), which
    converts only what the card cannot take; a PCM the ALSA configuration defines
    ("capture", "dmix") by its own name."""
    card = _CARD_DEVICE.search(listed)
    return f"plughw:{card.group(1)}" if card else listed


def _rescan(sd: ModuleType) -> None:
    """Make PortAudio list the devices again (it reads them once, when initialised).
    Only while no stream of ours is open: re-initialising closes every stream."""
    sd._terminate()
    sd._initialize()
