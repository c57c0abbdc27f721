"""Which sound devices there are, and what the operator reads when one is missing or busy."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile

from broadcaster.air import OutputFormat, SoundOutput, air, list_devices
from broadcaster.air.devices import listed_alsa_name
from broadcaster.model import OperatorError
from tests.support.sound import (
    BUSY_ENV,
    CAPTURE_ENV,
    NullSink,
    station_config,
    write_tone,
)
from tests.support.waiting import wait_until


@pytest.fixture
def busy_device(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The `busy` device, listed but held by something else (it fails to open)."""
    import sounddevice  # noqa: F401  # list the devices while `busy` still opens

    monkeypatch.setenv(BUSY_ENV, "hw:9,0")
    yield "busy"


def test_devices_lists_outputs_and_marks_the_configured_one(tmp_path: Path) -> None:
    devices = list_devices(station_config(tmp_path, "capture"))
    names = [device.name for device in devices]
    assert "capture" in names
    assert [device.name for device in devices if device.configured] == ["capture"]
    capture = next(device for device in devices if device.name == "capture")
    assert capture.host_api == "ALSA"
    assert capture.channels >= 2


def test_a_device_can_be_named_by_its_number(tmp_path: Path, capture: Path) -> None:
    index = next(d.index for d in list_devices(station_config(tmp_path, "capture"))
                 if d.name == "capture")
    write_tone(tmp_path / "news.wav", 0.1)
    config = station_config(tmp_path / "by-number", str(index))
    assert [d.name for d in list_devices(config) if d.configured] == ["capture"]
    air(config, tmp_path / "news.wav")
    assert capture.stat().st_size > 9000


def test_a_missing_device_is_refused_with_the_list_of_devices(tmp_path: Path) -> None:
    write_tone(tmp_path / "news.wav", 0.1)
    config = station_config(tmp_path, "USB Audio CODEC")

    with pytest.raises(OperatorError) as refused:
        air(config, tmp_path / "news.wav")

    message = str(refused.value)
    assert "'USB Audio CODEC' not found" in message
    assert '"capture"' in message
    assert "\n" not in message
    assert not any(d.configured for d in list_devices(config))


def test_a_busy_device_is_refused_with_the_list_of_devices(tmp_path: Path,
                                                           busy_device: str) -> None:
    write_tone(tmp_path / "news.wav", 0.1)
    config = station_config(tmp_path, busy_device)

    with pytest.raises(OperatorError) as refused:
        air(config, tmp_path / "news.wav")

    message = str(refused.value)
    assert "'busy' cannot be opened at 48000 Hz, 2 ch" in message
    assert "may be busy" in message
    assert '"capture"' in message
    assert "\n" not in message


def test_a_card_listed_by_portaudio_opens_through_alsas_plug() -> None:
    assert listed_alsa_name("bcm2835 Headphones: - (hw:0,0)") == "plughw:0,0"
    assert listed_alsa_name("USB Audio CODEC: Audio (hw:2,0)") == "plughw:2,0"
    assert listed_alsa_name("capture") == "capture"


def test_a_missing_card_is_refused_in_words_an_operator_reads(tmp_path: Path) -> None:
    write_tone(tmp_path / "news.wav", 0.1)
    config = station_config(tmp_path, "hw:9,0")

    with pytest.raises(OperatorError) as refused:
        air(config, tmp_path / "news.wav")

    assert "'hw:9,0' cannot be opened at 48000 Hz, 2 ch (no such sound card or device)" \
        in str(refused.value)
    assert '"capture"' in str(refused.value)


AIR_AND_TELL = """
import sys
from pathlib import Path
from broadcaster.air import air
from tests.support.sound import station_config
air(station_config(Path(sys.argv[1]), sys.argv[2]), Path(sys.argv[3]))
print(" ".join(sorted(name for name in ("sounddevice", "_sounddevice") if name in sys.modules)))
"""


def test_airing_to_an_alsa_name_leaves_portaudio_unloaded(tmp_path: Path) -> None:
    """PortAudio opens every PCM ALSA defines when it starts (about 17 MB with the usual
    plugins); airing to a name ALSA knows opens that one only."""
    write_tone(tmp_path / "news.wav", 0.2)
    capture = tmp_path / "capture.wav"
    done = subprocess.run(
        [sys.executable, "-c", AIR_AND_TELL, str(tmp_path / "station"), "capture",
         str(tmp_path / "news.wav")],
        env={**os.environ, CAPTURE_ENV: str(capture)}, capture_output=True, text=True,
        check=True, timeout=60)

    assert done.stdout.strip() == ""
    assert done.stderr == ""  # and nothing of ALSA's own chatter
    assert soundfile.info(str(capture)).frames == round(0.2 * 48000)


@pytest.mark.slow
def test_a_starved_device_counts_the_underflow_and_plays_on(tmp_path: Path,
                                                            null_sink: NullSink) -> None:
    output = SoundOutput("nullsink", OutputFormat(48000, 2), latency=0.05)
    tone = np.full((1024, 2), 8000, dtype=np.int16)
    with output:
        output.open()
        for _ in range(4):
            output.write(tone)
        # all of it played and nothing came after: the device ran dry (a gap on air)
        wait_until(lambda: _device_empty(output), "the device to run dry", timeout=5)
        output.write(tone)
        output.drain()

    assert output.underflows == 1
    assert output.frames_written == 5 * 1024


def _device_empty(output: SoundOutput) -> bool:
    pcm = output._pcm
    return pcm is not None and pcm.room() == pcm.buffer_frames
