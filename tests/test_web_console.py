"""The web console in a real browser (issue 10): Debian's Chromium, headless, in a phone-sized
window, against `broadcaster web` and, where something must air, a real station daemon.
Each page is saved as a screenshot in out/screenshots/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from broadcaster.model import Outcome
from tests.support.daemon import Daemon, daemon_station, running_daemon
from tests.support.station import Station
from tests.support.web import (
    Phone,
    WebConsole,
    add_account,
    phone,  # noqa: F401  # fixture
    phone_browser,  # noqa: F401  # fixture
    web_console,
)

NOTICE = "UBND xã thông báo: ngày 5/3 tiêm phòng cho đàn gia cầm lúc 7h30 tại nhà văn hóa."


@pytest.fixture
def station(tmp_path: Path) -> Station:
    """A station airing into the test capture device, with an operator account."""
    made = daemon_station(tmp_path / "station")
    add_account(made, "vanhanh", "operator")
    return made


@pytest.fixture
def console(station: Station, phone: Phone) -> Iterator[WebConsole]:  # noqa: F811
    with web_console(station) as running:
        phone.base = running.url
        yield running


@pytest.fixture
def daemon(station: Station) -> Iterator[Daemon]:
    with running_daemon(station) as running:
        yield running


def test_an_operator_composes_checks_listens_queues_and_the_notice_airs_into_the_log(
        station: Station, console: WebConsole, daemon: Daemon, phone: Phone) -> None:  # noqa: F811
    phone.log_in("vanhanh", "van-hanh-dai")
    phone.wait_for_id("on-air")
    assert phone.path == "/"
    phone.screenshot("dang-phat")

    phone.open("/compose")
    phone.fill("text", NOTICE)
    phone.fill("title", "Tiêm phòng gia cầm")
    phone.press("check")
    spoken = phone.wait_for_id("spoken")
    assert "ủy ban nhân dân" in spoken and "bảy giờ ba mươi phút" in spoken
    changes = phone.text("changes")
    assert "UBND" in changes and "7h30" in changes  # each rewrite, with why

    phone.press("preview")
    phone.wait_for(lambda: phone.driver.execute_script(
        "const a = document.getElementById('preview-audio');"
        "return a !== null && a.readyState >= 1 && a.duration > 1"), "the preview to load")
    phone.screenshot("soan-thong-bao")

    phone.press("queue")
    phone.wait_for_id("queued")
    notice_id = int(phone.driver.find_element("id", "queued").get_attribute("data-id"))
    assert "Expected to start at" in phone.text("expected")

    phone.open("/log")  # open before it airs: the page updates itself
    phone.wait_for(lambda: "aired" in _log_row(phone, notice_id), f"#{notice_id} aired",
                   timeout=60)
    [line] = daemon.wait_finished(notice_id)
    assert line.outcome is Outcome.AIRED and line.title == "Tiêm phòng gia cầm"
    assert line.source == "operator"  # queued on the web as on the CLI
    phone.screenshot("nhat-ky-phat")


def _log_row(browser: Phone, entry_id: int) -> str:
    rows = browser.driver.find_elements("css selector", f'#log li[data-id="{entry_id}"]')
    return str(rows[0].text) if rows else ""
