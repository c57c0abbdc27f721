"""Relays of live radio: a stream from a local HTTP server that drops mid-way."""

from __future__ import annotations

import http.server
import struct
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from broadcaster.air import (
    AirEvent,
    EventKind,
    OutputFormat,
    PauseSource,
    Player,
    RelaySource,
    SoundOutput,
)
from broadcaster.model import Outcome
from tests.support.sound import NullSink, peak_frequency, write_tone

RATE = 48000
RELAY_S = 3.5  # the stream for 0.6 s, the fallback through the gap (~1.5 s), the stream again


def wav_header(rate: int, channels: int) -> bytes:
    """A WAV header for a stream of unknown length, as live servers send it."""
    size = 0xFFFFFFFF
    return (b"RIFF" + struct.pack("<I", size) + b"WAVEfmt "
            + struct.pack("<IHHIIHH", 16, 1, channels, rate, rate * channels * 2,
                          channels * 2, 16)
            + b"data" + struct.pack("<I", size))


class RadioStation:
    """A live 440 Hz 'radio' on 127.0.0.1, paced in real time; the first listener is
    cut off after `drop_after_s`, later ones get the stream until the test ends."""

    def __init__(self, drop_after_s: float) -> None:
        self.drop_after_s = drop_after_s
        self.connections = 0
        self.stopped = threading.Event()
        radio = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                radio.connections += 1
                limit = radio.drop_after_s if radio.connections == 1 else 60.0
                self.send_response(200)
                self.send_header("Content-Type", "audio/wav")
                self.end_headers()
                self.wfile.write(wav_header(RATE, 1))
                sent, began, chunk = 0, time.monotonic(), RATE // 20
                while sent < limit * RATE and not radio.stopped.is_set():
                    t = np.arange(sent, sent + chunk) / RATE
                    tone = (0.5 * 32767 * np.sin(2 * np.pi * 440 * t)).astype("<i2")
                    try:
                        self.wfile.write(tone.tobytes())
                    except OSError:
                        return
                    sent += chunk
                    ahead = sent / RATE - (time.monotonic() - began) - 0.3
                    if ahead > 0:
                        time.sleep(ahead)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/vov1"
        # shutdown() waits for serve_forever to look again: every 50 ms, not 0.5 s
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> RadioStation:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def radio() -> Iterator[RadioStation]:
    with RadioStation(drop_after_s=0.6) as station:
        yield station


@pytest.mark.slow
def test_a_dropped_relay_is_filled_with_the_fallback_and_rejoined(
        tmp_path: Path, null_sink: NullSink, radio: RadioStation) -> None:
    write_tone(tmp_path / "fallback.wav", 0.5, hz=1000)
    relay = RelaySource(radio.url, RELAY_S, fallback=[tmp_path / "fallback.wav"], title="VOV1",
                        backoff_s=(0.5,), stall_s=0.5)
    events: list[AirEvent] = []
    output = SoundOutput("nullsink", OutputFormat(RATE, 2), latency=0.05)

    with null_sink.recording(tmp_path / "air.raw") as recording, \
            Player(output, on_event=events.append) as player:
        player.start()
        player.play(PauseSource(0.3))
        player.play(relay)
        assert player.wait_idle(timeout=15)

    relay_events = [e for e in events if e.title == "VOV1"]
    kinds = [e.kind for e in relay_events]
    assert kinds == [EventKind.STARTED, EventKind.STREAM_LOST, EventKind.GAP, EventKind.ENDED]
    assert relay_events[-1].outcome is Outcome.AIRED
    assert relay_events[-1].position_s == pytest.approx(RELAY_S)
    gap = relay_events[2]
    assert gap.gap_s is not None and 0.2 < gap.gap_s < 3.0
    assert "filled with the fallback" in gap.detail
    assert radio.connections >= 2

    # what the loudspeakers got, 0.1 s at a time, from the relay's first sound to its end:
    # the stream, the fallback through the gap, the stream again, and no dead air
    audio = null_sink.read(recording).astype(np.float64) / 32768
    sounding = np.flatnonzero(np.abs(audio).sum(axis=1) > 0.01)
    windows = np.array_split(audio[sounding[0]:sounding[-1]],
                             (sounding[-1] - sounding[0]) // (RATE // 10))
    heard = [round(peak_frequency(w, RATE), -1) if np.abs(w).max() > 0.01 else "silence"
             for w in windows]
    assert "silence" not in heard
    runs = [label for i, label in enumerate(heard)
            if label in (440, 1000) and (i == 0 or heard[i - 1] != label)]
    assert runs == [440, 1000, 440]
    assert heard.count(1000) / 10 == pytest.approx(gap.gap_s, abs=0.3)
