"""The station's live status: one typed, versioned record, written by the daemon under the
runtime directory (tmpfs) whenever it changes, read by `status`, the upstream link and
(through the link) the district's `district status`. When the daemon is down, `status`
builds the same record from the database (`running` false: what waits, in air order).

`version` changes when a field changes meaning; a reader of another version says so
instead of guessing.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from broadcaster.i18n import N_

if TYPE_CHECKING:
    from broadcaster.config import Config

VERSION = 3  # 3: running, pid and started None when down, last_error_at
MSG_SPEECH_NOT_READY = N_("speech not ready")  # a waiting item's note
STATUS_FILE = "status.json"


class OnAir(msgspec.Struct, frozen=True):
    id: int | None  # None: something the daemon did not queue
    title: str
    level: str
    kind: str  # notice, file, relay, playlist
    since: float  # epoch seconds when this stretch on air began
    offset_s: float  # where in the item that stretch began
    duration_s: float | None
    zones: list[str] | None = None  # the zones it goes out to; None: every zone


class Zone(msgspec.Struct, frozen=True):
    """A zone's relays: `on` when the line hears the station (None: not known, the
    daemon is down); `problem` when a relay of it cannot be driven or failed to switch."""

    name: str
    pins: list[int]
    on: bool | None = None
    problem: str | None = None


class Live(msgspec.Struct, frozen=True):
    """The operator's live microphone session. `state`: waiting (asked for while an
    emergency airs), on_air, interrupted (an emergency cut in: the microphone resumes
    after it) or stopping. `since`: when it first went on air (None: not yet);
    `seconds` of microphone aired; `recording`: its file under `<audio_dir>/live/`. The
    counts say what the way from the microphone dropped or filled (see air/live.py)."""

    id: int
    title: str
    state: str
    since: float | None
    device: str
    recording: str | None
    seconds: float = 0.0
    overruns: int = 0
    underruns: int = 0
    skipped: int = 0


class NextUp(msgspec.Struct, frozen=True):
    """A waiting item in air order, with its expected start (from the rundown); a slot
    occurrence not queued yet has no id, its `slot` names it."""

    id: int | None
    title: str
    level: str
    due: float
    expected: float | None  # None: it would expire before its turn at this rate
    state: str  # waiting, cued, interrupted; "speech not ready" shows in `note`
    note: str = ""
    slot: str | None = None


class LiveStatus(msgspec.Struct, frozen=True, kw_only=True):
    """What `status` shows, and `status --json` prints. Times are epoch seconds (shown in
    the station's time zone); `pid` and `started` are None when the daemon is down."""

    running: bool = True
    pid: int | None = None
    started: float | None = None
    on_air: OnAir | None = None
    next: list[NextUp] = msgspec.field(default_factory=list)
    device: str = "default"
    device_error: str | None = None  # None: it works (or, daemon down: not tried)
    amplifier: str = "unknown"
    zones: list[Zone] = msgspec.field(default_factory=list)  # none configured: empty
    live: Live | None = None  # the live microphone's session, while there is one
    push_to_talk: str | None = None  # the button on [live] ptt_pin (None: none configured)
    upstream: str = "not configured"
    last_error: str | None = None  # cleared once a later item airs whole without a problem
    last_error_at: float | None = None
    clock_synchronized: bool | None = None
    version: int = VERSION


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(LiveStatus)


def status_path(config: Config) -> Path:
    return config.runtime_dir / STATUS_FILE


class StatusWriter:
    """Replaces the status file atomically, and only when its content changed."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._last = b""

    def write(self, status: LiveStatus) -> None:
        data = _encoder.encode(status)
        if data == self._last:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(f".{self.path.name}.tmp")
            tmp.write_bytes(data)
            tmp.replace(self.path)
        except OSError:
            return  # status is a convenience; airing goes on without it
        self._last = data

    def remove(self) -> None:
        with contextlib.suppress(OSError):
            self.path.unlink()


def read_status(config: Config) -> LiveStatus | None:
    """The running daemon's live status, or None when no daemon is running (no file, a
    file of a daemon that died, kill -9 included: its lock went with it) or its file
    cannot be read as this version's."""
    try:
        status = _decoder.decode(status_path(config).read_bytes())
    except (OSError, msgspec.DecodeError, msgspec.ValidationError):
        return None
    from broadcaster.lifecycle import holder

    if status.version != VERSION or holder(config.data_dir) != status.pid:
        return None
    return status


def current_status(config: Config) -> LiveStatus:
    """What `status` shows: the running daemon's live status; else the same record built
    from the database (`station_status.status_from_database`). Cheap while the daemon
    runs: the status file is read, nothing of the air or the rundown is imported."""
    live = read_status(config)
    if live is not None:
        return live
    from broadcaster.station_status import status_from_database

    return status_from_database(config)


def to_builtins(status: LiveStatus) -> dict[str, object]:
    """Plain JSON-ready data (for `status --json`)."""
    data: dict[str, object] = msgspec.to_builtins(status)
    return data
