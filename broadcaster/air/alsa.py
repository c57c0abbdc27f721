"""The sound card through libasound itself: open one PCM by its ALSA name, write to it.

Why not PortAudio for airing: when it starts, PortAudio opens every PCM the ALSA
configuration defines, to learn what each can do. With the usual plugins installed
that loads libavcodec (the a52 plugin), JACK, speex and PulseAudio's client into the
airing process, about 20 MB of a Pi's memory, and opens the station's own card
once for nothing. Opening only the configured PCM, as aplay does, costs about 1 MB.
PortAudio still lists the devices (`broadcaster devices`, the tail of every device
error); that is a one-off, not the process that airs for hours.

The binding is cffi's ABI mode (cffi is already here for soundfile): no compiler on
the Pi, and the calls release the GIL, so a blocking write lets the other threads run.
"""

from __future__ import annotations

import errno
import threading
from typing import Any

from broadcaster.i18n import N_, _
from broadcaster.model import OperatorError

MSG_NO_LIBASOUND = N_("cannot use the sound system: the ALSA library is missing; "
                      "install the Debian package 'libasound2'")

_DECLARATIONS = """
typedef struct _snd_pcm snd_pcm_t;
typedef struct _snd_config snd_config_t;
typedef long snd_pcm_sframes_t;
typedef unsigned long snd_pcm_uframes_t;
int snd_pcm_open(snd_pcm_t **pcm, const char *name, int stream, int mode);
int snd_pcm_set_params(snd_pcm_t *pcm, int format, int access, unsigned int channels,
                       unsigned int rate, int soft_resample, unsigned int latency);
int snd_pcm_get_params(snd_pcm_t *pcm, snd_pcm_uframes_t *buffer_size,
                       snd_pcm_uframes_t *period_size);
snd_pcm_sframes_t snd_pcm_writei(snd_pcm_t *pcm, const void *buffer, snd_pcm_uframes_t size);
snd_pcm_sframes_t snd_pcm_avail(snd_pcm_t *pcm);
int snd_pcm_recover(snd_pcm_t *pcm, int err, int silent);
int snd_pcm_prepare(snd_pcm_t *pcm);
int snd_pcm_drain(snd_pcm_t *pcm);
int snd_pcm_drop(snd_pcm_t *pcm);
int snd_pcm_close(snd_pcm_t *pcm);
const char *snd_strerror(int errnum);
int snd_config_update_ref(snd_config_t **top);
void snd_config_unref(snd_config_t *top);
int snd_config_search(snd_config_t *config, const char *key, snd_config_t **result);
typedef void (*snd_lib_error_handler_t)(const char *file, int line, const char *function,
                                        int err, const char *fmt, ...);
int snd_lib_error_set_handler(snd_lib_error_handler_t handler);
"""
_STREAM_PLAYBACK = 0
_FORMAT_S16_LE = 2
_ACCESS_RW_INTERLEAVED = 3
_SOFT_RESAMPLE = 1  # a card that cannot take the station's rate gets it converted by ALSA

_lock = threading.Lock()
_binding: tuple[Any, Any] | None = None
_quiet: Any = None  # the handler that keeps ALSA's own messages off stderr (kept alive here)


# what the usual failures mean to whoever stands by the box (ALSA's own words otherwise)
MSG_NO_SUCH_DEVICE = N_("no such sound card or device")
MSG_BUSY = N_("another program is using it")
MSG_NO_SERVER = N_("the sound server is not running")
MSG_UNPLUGGED = N_("it was unplugged")
MSG_STOPPED = N_("it stopped answering (unplugged, or its sound server stopped)")
MSG_NO_PERMISSION = N_("no permission: add the station's user to the 'audio' group")
MSG_UNSUPPORTED = N_("it does not take this rate or number of channels")
_REASONS = {errno.ENOENT: MSG_NO_SUCH_DEVICE, errno.ENXIO: MSG_NO_SUCH_DEVICE,
            errno.EBUSY: MSG_BUSY,
            errno.ECONNREFUSED: MSG_NO_SERVER, errno.ENODEV: MSG_UNPLUGGED, errno.EIO: MSG_STOPPED,
            errno.EACCES: MSG_NO_PERMISSION, errno.EPERM: MSG_NO_PERMISSION,
            errno.EINVAL: MSG_UNSUPPORTED}


class AlsaError(Exception):
    """A libasound call failed; `code` is the negative errno it returned, the message
    what it means to an operator (translated), or ALSA's own words."""

    def __init__(self, code: int, reason: str) -> None:
        known = _REASONS.get(-code)
        super().__init__(_(known) if known else reason)
        self.code = code


def _alsa() -> tuple[Any, Any]:
    """(ffi, lib): libasound, loaded once; OperatorError naming the package when missing."""
    global _binding
    with _lock:
        if _binding is None:
            from cffi import FFI

            ffi = FFI()
            ffi.cdef(_DECLARATIONS)
            try:
                lib = ffi.dlopen("libasound.so.2")
            except OSError:
                raise OperatorError(_(MSG_NO_LIBASOUND)) from None
            _binding = ffi, lib
            _keep_quiet(ffi, lib)
        return _binding


def _keep_quiet(ffi: Any, lib: Any) -> None:
    """Keep libasound's own lines ("ALSA lib pcm.c:2666:(snd_pcm_open_noupdate) Unknown
    PCM ...") off stderr: the operator reads one line from us, with ALSA's reason in it.

    The handler is variadic in C; cffi cannot make a variadic callback, so it takes the
    named arguments only, which the x86-64 and arm64 calling conventions allow. Where
    callbacks cannot be made (a hardened kernel), ALSA keeps talking.
    """
    global _quiet
    def ignore(file: Any, line: int, function: Any, err: int, fmt: Any) -> None:
        return None

    try:
        _quiet = ffi.callback("void(const char *, int, const char *, int, const char *)",
                              ignore)
    except (MemoryError, RuntimeError):
        return
    lib.snd_lib_error_set_handler(ffi.cast("snd_lib_error_handler_t", _quiet))


def _failed(lib: Any, ffi: Any, code: int) -> AlsaError:
    return AlsaError(code, ffi.string(lib.snd_strerror(code)).decode("utf-8", "replace"))


def is_defined(name: str) -> bool:
    """Whether the ALSA configuration defines a PCM called `name` ("default", "hw:0,0",
    "capture"; what comes after ':' is its arguments). Opens nothing."""
    ffi, lib = _alsa()
    top = ffi.new("snd_config_t **")
    if lib.snd_config_update_ref(top) < 0:
        return False
    try:
        found = ffi.new("snd_config_t **")
        base = name.split(":", 1)[0].strip()
        return bool(base) and lib.snd_config_search(top[0], f"pcm.{base}".encode(), found) == 0
    finally:
        lib.snd_config_unref(top[0])


class Pcm:
    """One open playback PCM taking interleaved 16-bit frames.

    `write` blocks while the device's buffer is full; an underrun (the buffer ran dry:
    a click) is counted in `underruns` and recovered from. Every failure raises
    AlsaError with ALSA's own reason.
    """

    def __init__(self, name: str, rate: int, channels: int, latency_s: float) -> None:
        self._ffi, self._lib = _alsa()
        self.name = name
        self.channels = channels
        self.underruns = 0
        handle = self._ffi.new("snd_pcm_t **")
        self._check(self._lib.snd_pcm_open(handle, name.encode(), _STREAM_PLAYBACK, 0))
        self._pcm: Any = handle[0]
        try:
            self._check(self._lib.snd_pcm_set_params(
                self._pcm, _FORMAT_S16_LE, _ACCESS_RW_INTERLEAVED, channels, rate,
                _SOFT_RESAMPLE, round(latency_s * 1_000_000)))
            buffer, period = (self._ffi.new("snd_pcm_uframes_t *") for _ in range(2))
            self._check(self._lib.snd_pcm_get_params(self._pcm, buffer, period))
        except AlsaError:
            self._lib.snd_pcm_close(self._pcm)
            raise
        self.buffer_frames = int(buffer[0])
        self.period_frames = int(period[0])
        self._bytes = 2 * channels  # a frame's

    def _check(self, code: int) -> int:
        if code < 0:
            raise _failed(self._lib, self._ffi, code)
        return code

    def write(self, samples: Any) -> None:
        """Write a C-contiguous int16 array of (frames, channels), all of it."""
        frames = len(samples)
        buffer = self._ffi.from_buffer(samples)
        done = 0
        while done < frames:  # all at once, but for a signal or an underrun on the way
            at = buffer if not done else self._ffi.cast("char *", buffer) + done * self._bytes
            written = self._lib.snd_pcm_writei(self._pcm, at, frames - done)
            if written >= 0:
                done += written
            elif written in (-errno.EPIPE, -errno.ESTRPIPE, -errno.EINTR):
                if written == -errno.EPIPE:
                    self.underruns += 1
                self._check(self._lib.snd_pcm_recover(self._pcm, written, 1))
            else:
                raise _failed(self._lib, self._ffi, written)

    def room(self) -> int:
        """Frames that fit in the buffer now; the buffer's whole size after an underrun
        (the next write recovers from it)."""
        avail = self._lib.snd_pcm_avail(self._pcm)
        if avail == -errno.EPIPE:
            return self.buffer_frames
        return int(self._check(avail))

    def drain(self) -> None:
        """Wait until every frame written has been played, then stop; `prepare` before
        writing again."""
        self._check(self._lib.snd_pcm_drain(self._pcm))

    def prepare(self) -> None:
        """Ready to write again after `drain`."""
        self._check(self._lib.snd_pcm_prepare(self._pcm))

    def close(self) -> None:
        """Stop at once (what the buffer holds is dropped) and let the device go."""
        if self._pcm is not None:
            pcm, self._pcm = self._pcm, None
            self._lib.snd_pcm_drop(pcm)
            self._lib.snd_pcm_close(pcm)
