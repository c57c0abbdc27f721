"""A relay of a live HTTP/Icecast stream (national or provincial radio) for a set duration.

ffmpeg pulls the stream in a background thread and decodes it to the output format;
the player takes what has arrived, a block at a time, and never waits on the network.
When the stream drops or stalls, the relay fills the gap with the station's fallback
(chime, a file, looped) instead of dead air, reconnects with growing back-off, and
reports the gap when the stream is back (or the relay ends). Its length is counted
in frames aired, so it keeps the device's time, not the wall clock's.
"""

from __future__ import annotations

import collections
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from broadcaster.air.sources import (
    Emit,
    FfmpegDecoder,
    Looped,
    OutputFormat,
    Source,
    _ignore,
)
from broadcaster.i18n import N_, _
from broadcaster.model import OperatorError

if TYPE_CHECKING:
    from broadcaster.air.sources import Block, Samples

BACKOFF_S = (1.0, 2.0, 4.0, 8.0, 15.0, 30.0)
MSG_LOST = N_("relay {url}: stream lost ({reason}); airing the fallback and reconnecting")
MSG_GAP = N_("relay {url}: {seconds:.1f} s of stream missing, filled with the fallback")
MSG_NEVER = N_("relay {url}: stream not reached ({reason}); airing the fallback and retrying")


class _Pump:
    """Background thread: ffmpeg → a bounded buffer of blocks, reconnecting on loss."""

    def __init__(self, url: str, fmt: OutputFormat, backoff_s: Sequence[float],
                 stall_s: float, max_buffer_s: float) -> None:
        self._url = url
        self._fmt = fmt
        self._backoff = list(backoff_s) or [1.0]
        self._stall_s = stall_s
        self._max_frames = fmt.frames(max_buffer_s)
        self._lock = threading.Lock()
        self._blocks: collections.deque[Block] = collections.deque()
        self.buffered = 0
        self.connected = False
        self.last_error = _("not connected yet")
        self.attempts = 0
        self._stop = threading.Event()
        self._decoder: FfmpegDecoder | None = None
        self._thread = threading.Thread(target=self._run, name="relay-pump", daemon=True)
        self._thread.start()

    def take(self, frames: int) -> Block:
        """Up to `frames` frames of what has arrived, oldest first."""
        import numpy as np

        parts: list[Block] = []
        got = 0
        with self._lock:
            while self._blocks and got < frames:
                block = self._blocks.popleft()
                if got + len(block) > frames:
                    cut = frames - got
                    self._blocks.appendleft(block[cut:])
                    block = block[:cut]
                parts.append(block)
                got += len(block)
            self.buffered -= got
        if not parts:
            return np.zeros((0, self._fmt.channels), dtype=np.float32)
        return np.concatenate(parts)

    def drop_buffer(self) -> None:
        with self._lock:
            self._blocks.clear()
            self.buffered = 0

    def stop(self) -> None:
        self._stop.set()
        decoder = self._decoder
        if decoder is not None:
            decoder.close()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            self.attempts += 1
            received = self._connect_once()
            if self._stop.is_set():
                break
            failures = 0 if received else failures + 1
            delay = self._backoff[min(failures, len(self._backoff) - 1)] if failures else 0.2
            self._stop.wait(delay)

    def _connect_once(self) -> bool:
        """One connection; True if it delivered audio before it ended."""
        received = False
        timeout_us = str(int(self._stall_s * 1_000_000))
        try:
            self._decoder = FfmpegDecoder(
                ["-rw_timeout", timeout_us, "-i", self._url], self._fmt, self._url)
            block_frames = max(256, self._fmt.frames(0.02))
            while not self._stop.is_set():
                block = self._decoder.read(block_frames)
                if len(block) == 0:
                    self.last_error = _("the stream ended")
                    break
                received = True
                self.connected = True
                with self._lock:
                    self._blocks.append(block)
                    self.buffered += len(block)
                    while self.buffered > self._max_frames:  # fell behind live: drop oldest
                        self.buffered -= len(self._blocks.popleft())
        except OperatorError as exc:
            self.last_error = str(exc).split(" (", 1)[-1].rstrip(")") or str(exc)
        except (OSError, ValueError) as exc:
            self.last_error = str(exc)
        finally:
            self.connected = False
            if self._decoder is not None:
                self._decoder.close()
                self._decoder = None
        return received


class RelaySource(Source):
    """Live radio for `duration_s`; gaps filled with `fallback` files, played in a loop."""

    kind = "relay"

    def __init__(self, url: str, duration_s: float, *, fallback: Sequence[Path] = (),
                 title: str | None = None, backoff_s: Sequence[float] = BACKOFF_S,
                 stall_s: float = 3.0, connect_s: float = 5.0, prebuffer_s: float = 0.3,
                 max_buffer_s: float = 3.0) -> None:
        super().__init__()
        self.url = url
        self.seconds = duration_s
        self.fallback = list(fallback)
        self.title = title or url
        self._backoff_s = tuple(backoff_s)
        self._stall_s = stall_s
        self._connect_s = connect_s
        self._prebuffer_s = prebuffer_s
        self._max_buffer_s = max_buffer_s
        self._emit: Emit = _ignore
        self._pump: _Pump | None = None
        self._fill: Looped | None = None
        self._total = 0
        self._state = "starting"  # starting → live ⇄ lost
        self._starving = 0
        self._gap_from = 0

    def open(self, fmt: OutputFormat, emit: Emit = _ignore) -> None:
        self.fmt = fmt
        self._emit = emit
        self._total = fmt.frames(self.seconds)
        self._fill = Looped(self.fallback, fmt, lambda why: emit("failed", why))
        self._pump = _Pump(self.url, fmt, self._backoff_s, self._stall_s, self._max_buffer_s)

    @property
    def live(self) -> bool:
        """True while the stream itself is on air (not the fallback)."""
        return self._state == "live"

    def read(self, frames: int) -> Samples:
        import numpy as np

        if self._pump is None or self._fill is None:
            raise RuntimeError("read() before open()")
        count = max(0, min(frames, self._total - self.position))
        if count == 0:
            return np.zeros((0, self.fmt.channels), dtype=np.float32)
        pump = self._pump
        block: Samples
        if self._state != "live" and pump.buffered >= self.fmt.frames(self._prebuffer_s):
            if self._state == "lost":
                self._report_gap()
            self._state = "live"
            self._starving = 0
        if self._state == "live":
            block = pump.take(count)
            if len(block) == count:
                self._starving = 0
            else:
                self._starving += count - len(block)
                if not pump.connected or self._starving >= self.fmt.frames(self._stall_s):
                    self._lose(_(MSG_LOST).format(url=self.url, reason=pump.last_error))
                silence = np.zeros((count - len(block), self.fmt.channels), dtype=np.float32)
                block = np.concatenate([block, silence])
        elif self._state == "starting":
            self._starving += count  # silence while connecting, then the fallback
            if self._starving >= self.fmt.frames(self._connect_s):
                self._lose(_(MSG_NEVER).format(url=self.url, reason=pump.last_error))
            block = np.zeros((count, self.fmt.channels), dtype=np.float32)
        else:
            block = self._fill.read(count)
        self.position += count
        return block

    def _lose(self, message: str) -> None:
        self._state = "lost"
        self._gap_from = self.position
        if self._pump is not None:
            self._pump.drop_buffer()
        self._emit("stream-lost", message)

    def _report_gap(self) -> None:
        seconds = (self.position - self._gap_from) / self.fmt.sample_rate
        self._emit("gap", _(MSG_GAP).format(url=self.url, seconds=seconds), seconds)

    def close(self) -> None:
        if self._state == "lost":
            self._report_gap()
            self._state = "closed"
        if self._pump is not None:
            self._pump.stop()
            self._pump = None
        if self._fill is not None:
            self._fill.close()
            self._fill = None

    @property
    def duration_s(self) -> float | None:
        return self.seconds

    def resumed(self, at_frame: int, away_frames: int) -> Source:
        left = self.seconds - (at_frame + away_frames) / self.fmt.sample_rate
        return RelaySource(self.url, max(0.0, left), fallback=self.fallback, title=self.title,
                           backoff_s=self._backoff_s, stall_s=self._stall_s,
                           connect_s=self._connect_s, prebuffer_s=self._prebuffer_s,
                           max_buffer_s=self._max_buffer_s)
