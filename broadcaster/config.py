"""The station configuration (`broadcaster.toml`, SPEC §4): schema, defaults, where it is found.

Every mistake in the file is reported as one line `file:line: message`; an unknown key
is answered with the nearest valid key.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from broadcaster.model import OperatorError

ENV_VAR = "BROADCASTER_CONFIG"
SYSTEM_CONFIG = Path("/etc/broadcaster/broadcaster.toml")
LOCAL_CONFIG = Path("broadcaster.toml")
SYSTEM_RUNTIME_DIR = Path("/run/broadcaster")

# Operator-facing messages of this module, kept together for translation.
MSG_NOT_FOUND = "{path}: config file not found; check --config or ${env}"
MSG_UNREADABLE = "{path}: cannot read the config file ({reason}); check its permissions"
MSG_BAD_TOML = "{path}:{line}: not valid TOML ({reason}); fix the syntax on that line"
MSG_UNKNOWN_KEY = "{path}:{line}: unknown key '{key}'{section}{hint}"
MSG_DID_YOU_MEAN = "; did you mean '{suggestion}'?"
MSG_VALID_KEYS = "; valid keys: {keys}"
MSG_BAD_VALUE = "{path}:{line}: {key}: {reason}"
MSG_BAD_QUIET_HOURS = "quiet hours must look like \"21:30-05:00\", not {value!r}"
MSG_BAD_TIMEZONE = "unknown time zone {value!r}; use a name such as \"Asia/Ho_Chi_Minh\""
MSG_BAD_ENGINE = "unknown engine {value!r}; choose from gtts, espeak, command"
MSG_COMMAND_MISSING = "the 'command' engine needs [tts.command] argv with an {{out}} placeholder"

_HHMM_RANGE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")
EngineName = Literal["gtts", "espeak", "command"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StationSection(_Section):
    name: str = "Đài truyền thanh"
    id: str = "station"
    timezone: str = "Asia/Ho_Chi_Minh"
    data_dir: Path | None = None
    playlists_dir: Path | None = None
    audio_dir: Path | None = None
    runtime_dir: Path | None = None
    quiet_hours: list[str] = []

    @field_validator("quiet_hours")
    @classmethod
    def _quiet_hours(cls, value: list[str]) -> list[str]:
        for span in value:
            if not _HHMM_RANGE.match(span):
                raise ValueError(MSG_BAD_QUIET_HOURS.format(value=span))
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(MSG_BAD_TIMEZONE.format(value=value)) from None
        return value


class AudioSection(_Section):
    device: str | int | None = None
    sample_rate: Annotated[int, Field(ge=8000, le=192000)] = 48000
    channels: Annotated[int, Field(ge=1, le=8)] = 2
    loudness_lufs: Annotated[float, Field(ge=-40, le=-5)] = -16.0
    speech_filter: bool = False


class CommandEngineSection(_Section):
    argv: list[str] = []
    voice: str = "command"


class TtsSection(_Section):
    engines: list[EngineName] = ["gtts", "espeak"]
    timeout_s: Annotated[float, Field(gt=0, le=300)] = 15.0
    speed: Annotated[float, Field(ge=0.5, le=2.0)] = 1.0
    language: str = "vi"
    espeak_voice: str = "vi"
    cache_max_mb: Annotated[int, Field(ge=10)] = 500
    max_chars: Annotated[int, Field(ge=100, le=200_000)] = 20_000
    command: CommandEngineSection = CommandEngineSection()

    @field_validator("engines", mode="before")
    @classmethod
    def _engines(cls, value: Any) -> Any:
        if isinstance(value, list):
            for name in value:
                if name not in ("gtts", "espeak", "command"):
                    raise ValueError(MSG_BAD_ENGINE.format(value=name))
        return value


class AmplifierSection(_Section):
    gpio_pin: int | None = None
    active_high: bool = True
    warmup_s: Annotated[float, Field(ge=0, le=30)] = 2.0
    hold_s: Annotated[float, Field(ge=0, le=600)] = 5.0


class DistrictSection(_Section):
    broker: str | None = None
    username: str | None = None
    password_file: Path | None = None
    topic_prefix: str = "broadcaster"
    trusted_keys: list[Path] = []


class _ConfigFile(_Section):
    station: StationSection = StationSection()
    audio: AudioSection = AudioSection()
    tts: TtsSection = TtsSection()
    amplifier: AmplifierSection = AmplifierSection()
    district: DistrictSection = DistrictSection()


@dataclass(frozen=True)
class Config:
    """A validated configuration with every directory resolved to an absolute path."""

    station: StationSection
    audio: AudioSection
    tts: TtsSection
    amplifier: AmplifierSection
    district: DistrictSection
    source: Path | None  # the file it came from; None for built-in defaults
    data_dir: Path
    playlists_dir: Path
    audio_dir: Path
    runtime_dir: Path  # live status and the control socket: tmpfs, not the SD card

    @property
    def cache_dir(self) -> Path:
        return self.data_dir / "cache"

    @property
    def abbreviations_file(self) -> Path | None:
        """The station's own abbreviations, beside its config file."""
        return self.source.parent / "abbreviations.toml" if self.source else None


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "broadcaster"


def default_runtime_dir(data_dir: Path) -> Path:
    """systemd's RuntimeDirectory, else /run/broadcaster when it exists (the daemon's, which
    operators in the group may enter but not write), else under the data directory."""
    if env := os.environ.get("RUNTIME_DIRECTORY"):
        return Path(env.split(":")[0])
    if SYSTEM_RUNTIME_DIR.is_dir():
        return SYSTEM_RUNTIME_DIR
    return data_dir / "run"


def find_config_file(explicit: Path | None) -> Path | None:
    """The config file SPEC §3 names: --config, $BROADCASTER_CONFIG, ./, /etc/, else None."""
    if explicit is not None:
        return explicit
    if env := os.environ.get(ENV_VAR):
        return Path(env)
    for candidate in (LOCAL_CONFIG, SYSTEM_CONFIG):
        if candidate.is_file():
            return candidate
    return None


def load_config(explicit: Path | None = None) -> Config:
    """Find, read and validate the configuration; raises OperatorError with one line."""
    path = find_config_file(explicit)
    if path is None:
        return _resolve(_ConfigFile(), None)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise OperatorError(MSG_NOT_FOUND.format(path=path, env=ENV_VAR)) from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise OperatorError(MSG_UNREADABLE.format(path=path, reason=reason)) from None
    return parse_config(text, path)


def parse_config(text: str, path: Path) -> Config:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None) or _line_from_message(str(exc))
        reason = str(getattr(exc, "msg", exc)).split(" (at")[0]
        raise OperatorError(MSG_BAD_TOML.format(path=path, line=line, reason=reason)) from None
    try:
        parsed = _ConfigFile.model_validate(raw)
    except ValidationError as exc:
        raise OperatorError(_describe(exc, text, path)) from None
    return _resolve(parsed, path.resolve())


def _resolve(parsed: _ConfigFile, source: Path | None) -> Config:
    base = source.parent if source else Path.cwd()
    station = parsed.station
    data_dir = _absolute(station.data_dir, base) if station.data_dir else default_data_dir()
    return Config(
        station=station,
        audio=parsed.audio,
        tts=parsed.tts,
        amplifier=parsed.amplifier,
        district=parsed.district,
        source=source,
        data_dir=data_dir,
        playlists_dir=_absolute(station.playlists_dir, base) if station.playlists_dir
        else data_dir / "playlists",
        audio_dir=_absolute(station.audio_dir, base) if station.audio_dir
        else data_dir / "audio",
        runtime_dir=_absolute(station.runtime_dir, base) if station.runtime_dir
        else default_runtime_dir(data_dir),
    )


def _absolute(path: Path, base: Path) -> Path:
    path = path.expanduser()
    return path if path.is_absolute() else (base / path).resolve()


def _describe(exc: ValidationError, text: str, path: Path) -> str:
    """The first validation error as one `file:line: message` line."""
    error = exc.errors()[0]
    loc = [str(part) for part in error["loc"] if not isinstance(part, int)]
    key = loc[-1] if loc else "?"
    section = loc[:-1]
    line = _line_of(text, section, key)
    if error["type"] == "extra_forbidden":
        valid = _valid_keys(section)
        close = difflib.get_close_matches(key, valid, n=1, cutoff=0.5)
        if close:
            hint = MSG_DID_YOU_MEAN.format(suggestion=close[0])
        else:
            hint = MSG_VALID_KEYS.format(keys=", ".join(valid))
        where = f" in [{'.'.join(section)}]" if section else ""
        return MSG_UNKNOWN_KEY.format(path=path, line=line, key=key, section=where, hint=hint)
    reason = str(error["msg"]).removeprefix("Value error, ")
    return MSG_BAD_VALUE.format(path=path, line=line, key=".".join(loc), reason=reason)


def _valid_keys(section: list[str]) -> list[str]:
    model: type[BaseModel] = _ConfigFile
    for name in section:
        annotation = model.model_fields[name].annotation
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            break
        model = annotation
    return list(model.model_fields)


def _line_of(text: str, section: list[str], key: str) -> int:
    """Line number of `key` inside `[section]`; the section header, else 1, when not found."""
    header = re.compile(r"^\s*\[+\s*([^\]]+?)\s*\]+")
    key_re = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
    wanted = ".".join(section)
    current = ""
    header_line = 1
    for number, line in enumerate(text.splitlines(), start=1):
        if match := header.match(line):
            current = match.group(1)
            if current == wanted:
                header_line = number
            if not section and current == key:
                return number
            continue
        if current == wanted and key_re.match(line):
            return number
    return header_line


def _line_from_message(message: str) -> int:
    match = re.search(r"line (\d+)", message)
    return int(match.group(1)) if match else 1
