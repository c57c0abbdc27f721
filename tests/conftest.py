"""Fixtures shared by the whole suite."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.station import Station, make_station


@pytest.fixture
def station(tmp_path: Path) -> Station:
    """An offline station (espeak-ng only) in a temporary folder."""
    return make_station(tmp_path / "station")
