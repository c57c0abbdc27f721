"""Speech engines: gTTS (online), espeak-ng (offline), and any offline voice run as a command.

Each engine turns one chunk of reading-form text into mono PCM. Engines raise
EngineFailure with a one-line reason; the chain in `speak.py` falls back on it.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from broadcaster.i18n import N_, _
from broadcaster.model import one_line

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from broadcaster.config import TtsSection

ENGINE_NAMES = ("gtts", "espeak", "command")

# Operator-facing messages of this module, kept together for translation.
MSG_MISSING_PROGRAM = N_("{program} is not installed; "
                         "install the Debian package {package} (sudo apt-get install {package})")
MSG_TIMED_OUT = N_("no answer within {seconds:g} s")
MSG_NETWORK = N_("cannot reach the speech service ({reason})")
MSG_HTTP = N_("the speech service answered HTTP {status}")
MSG_EXIT = N_("{program} failed with exit status {status}: {detail}")
MSG_NO_AUDIO = N_("{program} produced no audio")
MSG_NO_COMMAND = N_("no command configured; set [tts.command] argv in the config")
MSG_BAD_AUDIO = N_("could not decode the audio it produced ({reason})")


class EngineFailure(Exception):
    """One engine could not speak one chunk; str() is a one-line reason."""


@dataclass(frozen=True)
class Pcm:
    """Mono float32 samples in [-1, 1] at `rate` Hz."""

    samples: npt.NDArray[np.float32]
    rate: int


class SpeechEngine(Protocol):
    name: str
    local: bool  # runs on this box (may run several at once), not a network service

    @property
    def identity(self) -> str:
        """What changes its output besides the text (voice, speed): part of the cache key."""
        ...

    def synthesize(self, text: str) -> Pcm: ...


def build_engine(name: str, tts: TtsSection) -> SpeechEngine:
    if name == "gtts":
        return GttsEngine(tts.language, tts.timeout_s, tts.speed)
    if name == "espeak":
        return EspeakEngine(tts.espeak_voice, tts.timeout_s, tts.speed)
    if name == "command":
        return CommandEngine(tuple(tts.command.argv), tts.command.voice, tts.timeout_s)
    raise ValueError(f"unknown engine {name!r}")


def require_program(program: str, package: str) -> str:
    """Absolute path of a system program, or EngineFailure naming the Debian package."""
    found = shutil.which(program)
    if found is None:
        raise EngineFailure(_(MSG_MISSING_PROGRAM).format(program=program, package=package))
    return found


def decode_audio(data: bytes | Path, *, tempo: float = 1.0) -> Pcm:
    """Decode any format ffmpeg knows (through pydub) to mono float32."""
    import numpy as np

    require_program("ffmpeg", "ffmpeg")
    from pydub import AudioSegment

    parameters = ["-af", f"atempo={tempo:.3f}"] if abs(tempo - 1.0) > 1e-3 else None
    source = io.BytesIO(data) if isinstance(data, bytes) else str(data)
    try:
        segment = AudioSegment.from_file(source, parameters=parameters).set_channels(1)
    except Exception as exc:  # pydub raises CouldntDecodeError or ffmpeg's errors
        raise EngineFailure(_(MSG_BAD_AUDIO).format(reason=one_line(exc))) from exc
    ints = np.frombuffer(segment.raw_data, dtype=f"<i{segment.sample_width}")
    scale = float(1 << (8 * segment.sample_width - 1))
    return Pcm((ints / scale).astype(np.float32), segment.frame_rate)


class GttsEngine:
    """Google's voice through gTTS. Needs the network; always with a timeout."""

    name = "gtts"
    local = False

    def __init__(self, language: str, timeout_s: float, speed: float) -> None:
        self.language = language
        self.timeout_s = timeout_s
        self.speed = speed

    @property
    def identity(self) -> str:
        return f"gtts:{self.language}:{self.speed:.2f}"

    def synthesize(self, text: str) -> Pcm:
        import requests
        from gtts import gTTS, gTTSError
        from gtts.tokenizer import pre_processors

        # gTTS's default pre-processors expand English abbreviations; ours are done already.
        tts = gTTS(
            text,
            lang=self.language,
            timeout=self.timeout_s,
            lang_check=False,
            pre_processor_funcs=[pre_processors.tone_marks, pre_processors.end_of_line],
        )
        buffer = io.BytesIO()
        try:
            tts.write_to_fp(buffer)
        except gTTSError as exc:
            raise EngineFailure(_gtts_reason(exc, self.timeout_s)) from exc
        except requests.RequestException as exc:
            raise EngineFailure(_requests_reason(exc, self.timeout_s)) from exc
        if not buffer.getvalue():
            raise EngineFailure(_(MSG_NO_AUDIO).format(program="gTTS"))
        return decode_audio(buffer.getvalue(), tempo=self.speed)


class EspeakEngine:
    """espeak-ng's Vietnamese voice: offline, robotic but always there."""

    name = "espeak"
    local = True
    base_wpm = 160  # a little under espeak's 175: horn loudspeakers echo

    def __init__(self, voice: str, timeout_s: float, speed: float) -> None:
        self.voice = voice
        self.timeout_s = timeout_s
        self.speed = speed

    @property
    def identity(self) -> str:
        return f"espeak:{self.voice}:{self.wpm}"

    @property
    def wpm(self) -> int:
        return round(self.base_wpm * self.speed)

    def synthesize(self, text: str) -> Pcm:
        program = require_program("espeak-ng", "espeak-ng")
        with tempfile.TemporaryDirectory(prefix="broadcaster-espeak-") as tmp:
            text_file = Path(tmp) / "text.txt"
            out = Path(tmp) / "speech.wav"
            text_file.write_text(text, encoding="utf-8")
            argv = [program, "-v", self.voice, "-s", str(self.wpm), "-w", str(out),
                    "-f", str(text_file)]
            _run(argv, "espeak-ng", _budget(self.timeout_s, text))
            return _read_output(out, "espeak-ng")


class CommandEngine:
    """Any offline voice run as a command, e.g. Piper: argv with {out} and {text_file}.

    The text is also given on standard input, for programs that read it there.
    """

    name = "command"
    local = True

    def __init__(self, argv: tuple[str, ...], voice: str, timeout_s: float) -> None:
        self.argv = argv
        self.voice = voice
        self.timeout_s = timeout_s

    @property
    def identity(self) -> str:
        return f"command:{self.voice}:{' '.join(self.argv)}"

    def synthesize(self, text: str) -> Pcm:
        if not self.argv:
            raise EngineFailure(_(MSG_NO_COMMAND))
        program = self.argv[0]
        if shutil.which(program) is None:
            raise EngineFailure(f"{program}: program not found; check [tts.command] argv")
        with tempfile.TemporaryDirectory(prefix="broadcaster-command-") as tmp:
            text_file = Path(tmp) / "text.txt"
            out = Path(tmp) / "speech.wav"
            text_file.write_text(text, encoding="utf-8")
            argv = [arg.replace("{out}", str(out)).replace("{text_file}", str(text_file))
                    for arg in self.argv]
            _run(argv, Path(program).name, _budget(self.timeout_s, text), stdin=text)
            return _read_output(out, Path(program).name)


def _budget(timeout_s: float, text: str) -> float:
    """Offline engines get the configured timeout plus time in proportion to the text."""
    return timeout_s + len(text) / 200


def _run(argv: list[str], label: str, timeout: float, stdin: str = "") -> None:
    try:
        done = subprocess.run(argv, input=stdin.encode(), capture_output=True,
                              timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise EngineFailure(f"{label}: " + _(MSG_TIMED_OUT).format(seconds=timeout)) from exc
    except OSError as exc:
        raise EngineFailure(f"{label}: {exc.strerror}") from exc
    if done.returncode != 0:
        detail = _first_line(done.stderr.decode(errors="replace")) or _("no message")
        raise EngineFailure(_(MSG_EXIT).format(program=label, status=done.returncode,
                                               detail=detail))


def _read_output(out: Path, label: str) -> Pcm:
    if not out.exists() or out.stat().st_size <= 44:
        raise EngineFailure(_(MSG_NO_AUDIO).format(program=label))
    import numpy as np
    import soundfile

    try:
        samples, rate = soundfile.read(str(out), dtype="float32", always_2d=True)
    except RuntimeError:  # not a format libsndfile knows: let ffmpeg try
        return decode_audio(out)
    return Pcm(np.ascontiguousarray(samples.mean(axis=1, dtype=np.float32)), int(rate))


def _gtts_reason(exc: Exception, timeout_s: float) -> str:
    cause = exc.__cause__ or exc.__context__
    import requests

    if isinstance(cause, requests.RequestException):
        return _requests_reason(cause, timeout_s)
    status = getattr(getattr(exc, "rsp", None), "status_code", None)
    if status is not None:
        return _(MSG_HTTP).format(status=status)
    return one_line(exc)


def _requests_reason(exc: Exception, timeout_s: float) -> str:
    import requests

    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        return _(MSG_HTTP).format(status=exc.response.status_code)
    if isinstance(exc, requests.Timeout):
        return _(MSG_TIMED_OUT).format(seconds=timeout_s)
    if isinstance(exc, requests.ConnectionError):
        return _(MSG_NETWORK).format(reason=_("no connection"))
    return _(MSG_NETWORK).format(reason=one_line(exc))


def _first_line(text: str) -> str:
    """The first line of a program's stderr, at most 200 characters; '' for none."""
    text = text.strip()
    return text.splitlines()[0][:200] if text else ""
