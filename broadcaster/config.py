"""The station configuration (`broadcaster.toml`, SPEC §4): schema, defaults, where it is found.

Every mistake in the file is reported as one line `file:line: message`; an unknown key
is answered with the nearest valid key.
"""

from __future__ import annotations

import os
import re
import tomllib
import unicodedata
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal

import msgspec

from broadcaster.i18n import N_, _
from broadcaster.model import OperatorError
from broadcaster.nearest import MSG_DID_YOU_MEAN, did_you_mean, nearest_key

ENV_VAR = "BROADCASTER_CONFIG"
SYSTEM_CONFIG = Path("/etc/broadcaster/broadcaster.toml")
LOCAL_CONFIG = Path("broadcaster.toml")
SYSTEM_RUNTIME_DIR = Path("/run/broadcaster")

# Operator-facing messages of this module, kept together for translation.
MSG_NOT_FOUND = N_("{path}: config file not found; check --config or ${env}")
MSG_UNREADABLE = N_("{path}: cannot read the config file ({reason}); check its permissions")
MSG_CANNOT_READ = N_("{path}: cannot read the config file ({reason})")
MSG_NOT_UTF8 = N_("{path}:{line}: not UTF-8 text (byte {byte}); save the file as UTF-8")
MSG_UTF16 = N_("{path}: saved as UTF-16 (Notepad's \"Unicode\"); save it as UTF-8")
MSG_NO_DATA_DIR = N_("{path}: the station's data folder does not exist and cannot be created "
                     "({reason}); create it (sudo install -d -g broadcaster -m 2770 {path}) "
                     "or set [station] data_dir in the config")
MSG_DATA_DIR_NOT_FOLDER = N_("{path}: the station's data folder is a file, not a folder; "
                             "set [station] data_dir in the config to a folder")
MSG_BAD_TOML = N_("{path}:{line}: not valid TOML ({reason}); fix the syntax on that line")
MSG_UNKNOWN_KEY = N_("{path}:{line}: unknown key '{key}'{section}{hint}")
MSG_BAD_VALUE = N_("{path}:{line}: {key}: {reason}")
MSG_BAD_QUIET_HOURS = N_("quiet hours must look like \"21:30-05:00\", not {value!r}")
MSG_BAD_TIMEZONE = N_("unknown time zone {value!r}; use a name such as \"Asia/Ho_Chi_Minh\"")
MSG_BAD_ENGINE = N_("unknown engine {value!r}; choose from gtts, espeak, command")
MSG_NO_ENGINES = N_("no speech engine listed: notices could never be spoken; "
                    "list at least one, e.g. [\"gtts\", \"espeak\"]")
MSG_WANT_TYPE = N_("must be {kind}, not {got}")
MSG_AT_LEAST = N_("must be at least {limit}")
MSG_AT_MOST = N_("must be at most {limit}")
MSG_MORE_THAN = N_("must be more than {limit}")
MSG_NOT_SECTION = N_("must be a section like [{key}], not a single value")

_HHMM_RANGE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")
_KINDS = {"int": N_("a whole number"), "float": N_("a number"), "str": N_("text in quotes"),
          "bool": N_("true or false"), "array": N_("a list like [\"a\", \"b\"]"),
          "object": N_("a section")}
MSG_OR = N_(" or ")
MSG_BAD_ZONE_NAME = N_("zone name {value!r}: use letters, digits, spaces, '-' or '_' (at most "
                       "40), not 'all'")
MSG_ZONE_PINS = N_("zone {name!r}: give its relay's GPIO pin (0 to 64) or a list of pins, "
                   "e.g. {name} = 17 or {name} = [17, 27]")
MSG_PIN_TWICE = N_("GPIO{pin} is used twice ({first} and {second}); each relay and button "
                   "needs its own pin")
MSG_TEXT = N_("text")
MSG_IN_SECTION = N_(" in [{section}]")
ENGINE_NAMES = ("gtts", "espeak", "command")


class StationSection(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    name: str = "Đài truyền thanh"
    id: str = "station"
    timezone: str = "Asia/Ho_Chi_Minh"
    language: Literal["vi", "en"] = "vi"  # what the operator reads; [tts] language is the voice's
    data_dir: str | None = None
    playlists_dir: str | None = None
    audio_dir: str | None = None
    runtime_dir: str | None = None
    quiet_hours: list[str] = msgspec.field(default_factory=list)


class AudioSection(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    device: str | int | None = None
    sample_rate: Annotated[int, msgspec.Meta(ge=8000, le=192000)] = 48000
    channels: Annotated[int, msgspec.Meta(ge=1, le=8)] = 2
    loudness_lufs: Annotated[float, msgspec.Meta(ge=-40, le=-5)] = -16.0
    speech_filter: bool = False
    # the microphone or line-in that `live` airs (a name or an index, as `device`);
    # None: the system's default input
    input_device: str | int | None = None


class CommandEngineSection(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    argv: list[str] = msgspec.field(default_factory=list)
    voice: str = "command"


class TtsSection(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    engines: list[str] = msgspec.field(default_factory=lambda: ["gtts", "espeak"])
    timeout_s: Annotated[float, msgspec.Meta(gt=0, le=300)] = 15.0
    speed: Annotated[float, msgspec.Meta(ge=0.5, le=2.0)] = 1.0
    language: str = "vi"
    espeak_voice: str = "vi"
    cache_max_mb: Annotated[int, msgspec.Meta(ge=10)] = 500
    max_chars: Annotated[int, msgspec.Meta(ge=100, le=200_000)] = 20_000
    command: CommandEngineSection = msgspec.field(default_factory=CommandEngineSection)


class AmplifierSection(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    gpio_pin: Annotated[int, msgspec.Meta(ge=0, le=64)] | None = None
    active_high: bool = True
    warmup_s: Annotated[float, msgspec.Meta(ge=0, le=30)] = 2.0
    hold_s: Annotated[float, msgspec.Meta(ge=0, le=600)] = 5.0


_PIN = Annotated[int, msgspec.Meta(ge=0, le=64)]


class LiveSection(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    """The operator's microphone: a push-to-talk button, and how long the recordings of
    live sessions (the station's broadcast record) are kept, within a size cap."""

    ptt_pin: _PIN | None = None  # a button to ground (gpiozero Button, pull-up)
    keep_days: Annotated[int, msgspec.Meta(ge=1, le=3650)] = 90
    max_mb: Annotated[int, msgspec.Meta(ge=10, le=100_000)] = 2000


class DistrictSection(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    broker: str | None = None
    username: str | None = None
    password_file: str | None = None
    topic_prefix: str = "broadcaster"
    trusted_keys: list[str] = msgspec.field(default_factory=list)
    # recorded audio in one push, MB (10**6 bytes): the sender refuses to push more, a
    # station to take more
    max_push_mb: Annotated[int, msgspec.Meta(ge=1, le=500)] = 20


MSG_BAD_LISTEN = N_("must look like \"0.0.0.0:8080\" (an address, a colon and a port from "
                    "1 to 65535), not {value!r}")
MSG_TLS_PAIR = N_("give both tls_cert and tls_key (the certificate and its private key), or "
                  "neither for plain HTTP")
_LISTEN = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$")


class WebSection(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    """The LAN web console (`broadcaster web`); TLS when both paths are given (relative to
    the config file; absolute once loaded)."""

    listen: str = "0.0.0.0:8080"
    enabled: bool = True
    tls_cert: str | None = None
    tls_key: str | None = None

    def address(self) -> tuple[str, int]:
        """(host, port) of `listen`; an IPv6 host without its brackets."""
        host, _sep, port = self.listen.rpartition(":")
        return host.strip("[]"), int(port)


def _check_web(web: WebSection) -> None:
    if not _LISTEN.match(web.listen) or not 0 < web.address()[1] < 65536:
        raise _Mistake("web", "listen", _(MSG_BAD_LISTEN).format(value=web.listen))
    if (web.tls_cert is None) != (web.tls_key is None):
        raise _Mistake("web", "tls_cert" if web.tls_cert is None else "tls_key", _(MSG_TLS_PAIR))


class _ConfigFile(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    station: StationSection = msgspec.field(default_factory=StationSection)
    audio: AudioSection = msgspec.field(default_factory=AudioSection)
    tts: TtsSection = msgspec.field(default_factory=TtsSection)
    amplifier: AmplifierSection = msgspec.field(default_factory=AmplifierSection)
    district: DistrictSection = msgspec.field(default_factory=DistrictSection)
    web: WebSection = msgspec.field(default_factory=WebSection)
    live: LiveSection = msgspec.field(default_factory=LiveSection)
    # a zone (cụm loa, one village's loudspeaker line) → its relay's GPIO pin(s)
    # (checked by `_check_pins`, which can name the zone; msgspec's errors cannot)
    zones: dict[str, object] = msgspec.field(default_factory=dict)


class _Mistake(Exception):
    """A value that has the right type but cannot be right: (section, key, message)."""

    def __init__(self, section: str, key: str, message: str) -> None:
        super().__init__(message)
        self.section, self.key, self.message = section, key, message


def _check(parsed: _ConfigFile) -> None:
    """What types cannot say: quiet-hour spans, the time zone, engine names."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    for span in parsed.station.quiet_hours:
        if not _HHMM_RANGE.match(span):
            raise _Mistake("station", "quiet_hours", _(MSG_BAD_QUIET_HOURS).format(value=span))
    try:
        ZoneInfo(parsed.station.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise _Mistake("station", "timezone",
                       _(MSG_BAD_TIMEZONE).format(value=parsed.station.timezone)) from None
    if not parsed.tts.engines:
        raise _Mistake("tts", "engines", _(MSG_NO_ENGINES))
    for name in parsed.tts.engines:
        if name not in ENGINE_NAMES:
            raise _Mistake("tts", "engines", _(MSG_BAD_ENGINE).format(value=name))
    _check_pins(parsed)
    if parsed.district.broker is not None:
        from broadcaster.upstream.broker_url import broker_url_problem, station_id_problem

        if problem := broker_url_problem(parsed.district.broker):
            raise _Mistake("district", "broker", problem)
        if problem := station_id_problem(parsed.station.id):
            raise _Mistake("station", "id", problem)


ZONE_NAME = re.compile(r"^[^\W_][\w \-]{0,39}$")
ALL_ZONES = "all"  # the word for every zone (say --zone all); no zone may be called so


def _check_pins(parsed: _ConfigFile) -> None:
    """Zone names, and every GPIO pin (amplifier, zones, push-to-talk) used once."""
    users: dict[int, str] = {}

    def use(pin: int, who: str, section: str, key: str) -> None:
        if pin in users:
            raise _Mistake(section, key, _(MSG_PIN_TWICE).format(pin=pin, first=users[pin],
                                                                 second=who))
        users[pin] = who

    if parsed.amplifier.gpio_pin is not None:
        use(parsed.amplifier.gpio_pin, "[amplifier] gpio_pin", "amplifier", "gpio_pin")
    for name, pins in parsed.zones.items():
        if not ZONE_NAME.match(name) or name.strip() != name or name.casefold() == ALL_ZONES:
            raise _Mistake("zones", name, _(MSG_BAD_ZONE_NAME).format(value=name))
        for pin in zone_pins(name, pins):
            use(pin, f"[zones] {name}", "zones", name)
    if parsed.live.ptt_pin is not None:
        use(parsed.live.ptt_pin, "[live] ptt_pin", "live", "ptt_pin")


def zone_pins(name: str, pins: object) -> tuple[int, ...]:
    """A zone's value in the config file as its pins; _Mistake when it is not one pin
    number (0 to 64) or a non-empty list of them."""
    listed = pins if isinstance(pins, list) else [pins]
    if not listed or not all(type(pin) is int and 0 <= pin <= 64 for pin in listed):
        raise _Mistake("zones", name, _(MSG_ZONE_PINS).format(name=name))
    return tuple(pin for pin in listed if isinstance(pin, int))


MSG_UNKNOWN_ZONE = N_("unknown zone {name!r}{hint} (this station's zones: {names})")
MSG_NO_ZONES = N_("this station has no zones: add them under [zones] in the config, or leave "
                  "out the zone to air to the whole commune")
MSG_EMERGENCY_ZONES = N_("an emergency always goes to every zone; leave out the zone")


class _AnyZone(Collection[str]):
    """Every zone name, for a playlist read where the zones are not this machine's to
    check: the province signs pushes for stations whose [zones] it does not know (each
    station checks the names against its own), and an emergency goes to every zone."""

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str)

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


ANY_ZONE: Collection[str] = _AnyZone()


def zones_named(names: Iterable[str], known: Iterable[str]) -> tuple[str, ...] | None:
    """The zones an operator named (`--zone`, several or comma-separated), as the config
    spells them (case and accents need not match); None for every zone ("all", or none
    named). OperatorError (one line, with did-you-mean) for a name the config lacks."""
    spelled = {_folded(name): name for name in known}
    plain: dict[str, list[str]] = {}  # typed without accents, on a keyboard that has none
    for name in spelled.values():
        plain.setdefault(_unaccented(name), []).append(name)
    chosen: list[str] = []
    for part in (piece.strip() for name in names for piece in name.split(",")):
        if not part:
            continue
        if _folded(part) in (ALL_ZONES, "tất cả"):
            return None
        if not spelled:
            raise OperatorError(_(MSG_NO_ZONES))
        matches = [spelled[_folded(part)]] if _folded(part) in spelled \
            else plain.get(_unaccented(part), [])
        if len(matches) != 1:
            suggestion = nearest_key(part, list(spelled.values()))
            hint = _(MSG_DID_YOU_MEAN).format(suggestion=suggestion) if suggestion else ""
            raise OperatorError(_(MSG_UNKNOWN_ZONE).format(
                name=part, hint=hint, names=", ".join(spelled.values())))
        if matches[0] not in chosen:
            chosen.append(matches[0])
    return tuple(chosen) or None


def _folded(name: str) -> str:
    """A zone name for matching: NFC, case-folded, single spaces."""
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


def _unaccented(name: str) -> str:
    """"Thôn Đông" → "thon dong"."""
    letters = unicodedata.normalize("NFD", _folded(name).replace("đ", "d"))
    return "".join(c for c in letters if not unicodedata.combining(c))


@dataclass(frozen=True)
class Config:
    """A validated configuration with every directory resolved to an absolute path."""

    station: StationSection
    audio: AudioSection
    tts: TtsSection
    amplifier: AmplifierSection
    district: DistrictSection
    web: WebSection
    source: Path | None  # the file it came from; None for built-in defaults
    data_dir: Path
    playlists_dir: Path
    audio_dir: Path
    runtime_dir: Path  # live status and the control socket: tmpfs, not the SD card
    live: LiveSection = field(default_factory=LiveSection)
    # zone name → the GPIO pins of its relays, in the config's order
    zones: dict[str, tuple[int, ...]] = field(default_factory=dict)

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
        data = path.read_bytes()
    except FileNotFoundError:
        raise OperatorError(_(MSG_NOT_FOUND).format(path=path, env=ENV_VAR)) from None
    except PermissionError as exc:
        raise OperatorError(_(MSG_UNREADABLE).format(path=path, reason=exc.strerror)) from None
    except OSError as exc:  # a folder, an I/O error
        raise OperatorError(_(MSG_CANNOT_READ).format(path=path, reason=exc.strerror)) from None
    return parse_config(_config_text(data, path), path)


def _config_text(data: bytes, path: Path) -> str:
    """The file as UTF-8 text (Notepad's byte-order mark is fine); anything else refused
    in one line saying how to save it."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise OperatorError(_(MSG_UTF16).format(path=path))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise OperatorError(_(MSG_NOT_UTF8).format(path=path, line=line,
                                                   byte=f"0x{data[exc.start]:02x}")) from None


def make_data_dir(path: Path) -> None:
    """Create the station's data folder when it is missing; OperatorError (one line: it
    is missing, how to create it or set another) when it cannot be."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise OperatorError(_(MSG_DATA_DIR_NOT_FOLDER).format(path=path)) from None
    except OSError as exc:
        raise OperatorError(_(MSG_NO_DATA_DIR).format(path=path, reason=exc.strerror)) from None


def parse_config(text: str, path: Path) -> Config:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None) or _line_from_message(str(exc))
        reason = str(getattr(exc, "msg", exc)).split(" (at")[0]
        raise OperatorError(_(MSG_BAD_TOML).format(path=path, line=line, reason=reason)) from None
    try:
        parsed = msgspec.convert(raw, _ConfigFile)
        _check(parsed)
        _check_web(parsed.web)
    except msgspec.ValidationError as exc:
        raise OperatorError(_describe(str(exc), text, path)) from None
    except _Mistake as mistake:
        line = _line_of(text, [mistake.section], mistake.key)
        raise OperatorError(_(MSG_BAD_VALUE).format(
            path=path, line=line, key=f"{mistake.section}.{mistake.key}",
            reason=mistake.message)) from None
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
        web=msgspec.structs.replace(parsed.web, **{
            key: str(_absolute(value, base)) for key in ("tls_cert", "tls_key")
            if (value := getattr(parsed.web, key)) is not None}),
        source=source,
        data_dir=data_dir,
        playlists_dir=_absolute(station.playlists_dir, base) if station.playlists_dir
        else data_dir / "playlists",
        audio_dir=_absolute(station.audio_dir, base) if station.audio_dir
        else data_dir / "audio",
        runtime_dir=_absolute(station.runtime_dir, base) if station.runtime_dir
        else default_runtime_dir(data_dir),
        live=parsed.live,
        zones={name: zone_pins(name, pins) for name, pins in parsed.zones.items()},
    )


def _absolute(text: str, base: Path) -> Path:
    path = Path(text).expanduser()
    return path if path.is_absolute() else (base / path).resolve()


_UNKNOWN = re.compile(r"^Object contains unknown field `(?P<key>[^`]+)`"
                      r"(?: - at `\$(?P<at>[^`]*)`)?$")
_AT = re.compile(r"^(?P<what>.*) - at `\$(?P<at>[^`]*)`$")
_EXPECTED = re.compile(r"^Expected `(?P<want>[^`]+)`(?:, got `(?P<got>[^`]+)`| (?P<op>>=|<=|>|<) "
                       r"(?P<limit>\S+))$")


def _describe(message: str, text: str, path: Path) -> str:
    """msgspec's complaint as one operator line `file:line: message`."""
    if match := _UNKNOWN.match(message):
        section = [part for part in (match["at"] or "").split(".") if part]
        key = match["key"]
        line = _line_of(text, section, key)
        where = _(MSG_IN_SECTION).format(section=".".join(section)) if section else ""
        return _(MSG_UNKNOWN_KEY).format(path=path, line=line, key=key, section=where,
                                         hint=did_you_mean(key, _valid_keys(section)))
    at = _AT.match(message)
    what, place = (at["what"], at["at"]) if at else (message, "")
    parts = [re.sub(r"\[\d+\]$", "", part) for part in place.split(".") if part]
    line = _line_of(text, parts[:-1], parts[-1]) if parts else 1
    return _(MSG_BAD_VALUE).format(path=path, line=line, key=".".join(parts) or "config",
                                   reason=_plain(what, parts[-1] if parts else ""))


def _plain(what: str, key: str) -> str:
    """`Expected `int` >= 8000` → `must be at least 8000`, and the like."""
    match = _EXPECTED.match(what)
    if match is None:
        return what
    if match["got"]:
        want = _(MSG_OR).join(_(_KINDS.get(kind, kind)) for kind in match["want"].split(" | ")
                              if kind != "null")  # TOML has no null: leaving the key out is it
        if match["got"] == "object" or (match["want"] == "object"):
            return _(MSG_NOT_SECTION).format(key=key) if match["want"] == "object" else \
                _(MSG_WANT_TYPE).format(kind=want, got=_(_KINDS["object"]))
        got = {"str": MSG_TEXT}.get(match["got"]) or _KINDS.get(match["got"], match["got"])
        return _(MSG_WANT_TYPE).format(kind=want, got=_(got))
    limit = match["limit"].removesuffix(".0")
    return {">=": _(MSG_AT_LEAST), "<=": _(MSG_AT_MOST), ">": _(MSG_MORE_THAN),
            "<": _(MSG_AT_MOST)}[match["op"]].format(limit=limit)


def _valid_keys(section: list[str]) -> list[str]:
    struct: type[msgspec.Struct] = _ConfigFile
    for name in section:
        default = getattr(struct(), name, None)
        if not isinstance(default, msgspec.Struct):
            break
        struct = type(default)
    return list(struct.__struct_fields__)


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
