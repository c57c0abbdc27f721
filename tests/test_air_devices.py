"""Which sound devices there are, and what the operator reads when one is missing or busy."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from broadcaster.air import air, list_devices
from broadcaster.model import OperatorError
from tests.support.sound import BUSY_ENV, station_config, write_tone


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
