"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator

# Tests assert the English texts; Vietnamese is asserted where it is the point (test_i18n).
os.environ["BROADCASTER_LANG"] = "en"

# The test sound devices: ALSA must see them before anything imports sounddevice.
from tests.support.sound import use_test_sound_devices

use_test_sound_devices()

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from tests.support.sound import capture, null_sink  # noqa: E402, F401  # fixtures
from tests.support.station import Station, make_station  # noqa: E402


@pytest.fixture
def station(tmp_path: Path) -> Station:
    """An offline station (espeak-ng only) in a temporary folder."""
    return make_station(tmp_path / "station")


@pytest.fixture(autouse=True)
def _no_link_station_left_running() -> Iterator[None]:
    """A test that failed before stopping its upstream LinkStation: stopped here, so it
    cannot take the client id of the next test's station on a shared broker."""
    yield
    if "tests.support.upstream" in sys.modules:  # only where a test used it
        from tests.support.upstream import stop_left_running

        stop_left_running()
