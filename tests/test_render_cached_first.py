"""A notice already in the speech cache is ready at once, whichever engine of the chain spoke
it: after a restart with the 4G link down, the espeak-ng copy made while the link was down
airs without waiting for gTTS to time out first. espeak-ng and the cache are real; gTTS runs
its real code with only HTTP intercepted (`responses`), the network down."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import responses

from broadcaster.model import OperatorError
from broadcaster.speech.render import Notice, render_notice
from tests.support.station import Station, make_station

GTTS_URL = re.compile(r"https://translate\.google\.com/_/TranslateWebserverUi/data/batchexecute")
NOTICE = Notice("Ủy ban nhân dân xã thông báo lịch họp tổ dân phố tối nay.", repeat=2,
                gap_s=1.0)


@pytest.fixture
def station(tmp_path: Path) -> Station:
    """gTTS first, espeak-ng as the fallback: the station's default chain."""
    return make_station(tmp_path / "station", engines='["gtts", "espeak"]')


@pytest.fixture
def network_down() -> Iterator[responses.RequestsMock]:
    """Every request to Google's speech service fails as an unreachable network does."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as intercept:
        intercept.post(GTTS_URL, body=requests.ConnectionError("network unreachable"))
        yield intercept


def test_the_fallbacks_cached_copy_is_ready_without_trying_gtts(
        station: Station, network_down: responses.RequestsMock) -> None:
    spoken = render_notice(station.config(), NOTICE, engine="espeak")  # the link was down
    assert len(network_down.calls) == 0
    again = render_notice(station.config(), NOTICE)  # `auto`, a fresh config: a restart
    assert len(network_down.calls) == 0  # gTTS was not asked, so nothing waited for its timeout
    assert again.engine == "espeak"  # the voice that airs is the one reported
    assert (again.path, again.duration_s) == (spoken.path, spoken.duration_s)


def test_a_notice_in_no_cache_still_tries_gtts_first(
        station: Station, network_down: responses.RequestsMock) -> None:
    program = render_notice(station.config(), NOTICE)
    assert len(network_down.calls) >= 1
    assert program.engine == "espeak"
    assert render_notice(station.config(), NOTICE).path == program.path
    assert len(network_down.calls) == 1  # the second time, the cached copy answered


def test_asking_gtts_by_name_still_goes_to_the_network(
        station: Station, network_down: responses.RequestsMock) -> None:
    """The daemon asks the first engine by name for a notice the fallback spoke: the cached
    fallback copy does not answer for it."""
    render_notice(station.config(), NOTICE, engine="espeak")
    with pytest.raises(OperatorError, match="gtts: "):
        render_notice(station.config(), NOTICE, engine="gtts")
    assert len(network_down.calls) >= 1
