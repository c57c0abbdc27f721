"""The web console in a real browser (issue 10): Debian's Chromium, headless, in a phone-sized
window, against `broadcaster web` and, where something must air, a real station daemon.
Each page is saved as a screenshot in out/screenshots/ (a whole-page PNG per page)."""

from __future__ import annotations

import functools
import gettext
import http.client
import json
import re
import ssl
import string
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from broadcaster.i18n import LOCALE_DIR
from broadcaster.model import File, Level, Outcome
from broadcaster.store import Store
from broadcaster.upstream.pushes import Upstream
from tests.support.daemon import Daemon, daemon_station, queued, running_daemon, station_store
from tests.support.sound import NullSink, null_sink, write_tone  # noqa: F401  # fixture
from tests.support.station import Station
from tests.support.upstream import District
from tests.support.web import (
    PASSWORDS,
    Client,
    Phone,
    WebConsole,
    add_account,
    phone,  # noqa: F401  # fixture
    phone_browser,  # noqa: F401  # fixture
    web_console,
)

NOTICE = "UBND xã thông báo: ngày 5/3 tiêm phòng cho đàn gia cầm lúc 7h30 tại nhà văn hóa."
STORM = "Bão số 3 sắp đổ bộ, bà con khẩn trương chằng chống nhà cửa."
BULLETIN = """\
title: {title}
items:
  - chime: default
  - say: "Sở Nông nghiệp thông báo lịch tiêm phòng gia cầm đợt hai."
"""
SLOT = """\
title: Bản tin buổi sáng
slot: {{days: daily, at: "{at}", until: "{until}"}}
items:
  - chime: default
  - say: "Đài truyền thanh xã xin kính chào bà con."
  - pause: 2s
  - say: "Lịch cắt điện ngày mai: từ 7 giờ đến 11 giờ, thôn Đông và thôn Bắc."
    repeat: 2
    gap: 10s
"""


@pytest.fixture
def district(tmp_path: Path) -> District:
    return District(tmp_path / "district")


@pytest.fixture
def station(tmp_path: Path, district: District) -> Station:
    """A station airing into the test capture device, trusting the district's key, with an
    operator account."""
    made = daemon_station(tmp_path / "station")
    text = made.config_file.read_text(encoding="utf-8")
    made.write_config(text + f'\n[district]\ntrusted_keys = ["{district.public_path}"]\n')
    add_account(made, "vanhanh", "operator")
    return made


@pytest.fixture
def console(station: Station) -> Iterator[WebConsole]:
    with web_console(station) as running:
        yield running


@pytest.fixture
def browser(phone: Phone, console: WebConsole) -> Phone:  # noqa: F811
    phone.base = console.url
    return phone


@pytest.fixture
def daemon(station: Station) -> Iterator[Daemon]:
    with running_daemon(station) as running:
        yield running


def test_an_operator_composes_checks_listens_queues_and_the_notice_airs_into_the_log(
        station: Station, daemon: Daemon, browser: Phone) -> None:
    browser.log_in("vanhanh", PASSWORDS["operator"])
    browser.wait_for_id("on-air")
    assert browser.path == "/"

    browser.open("/compose")
    assert not browser.has("queue")  # queueing comes after the reading is shown
    browser.fill("text", NOTICE)
    browser.fill("title", "Tiêm phòng gia cầm")
    browser.press("check")
    spoken = browser.wait_for_id("spoken")
    assert "ủy ban nhân dân" in spoken and "bảy giờ ba mươi phút" in spoken
    changes = browser.text("changes")
    assert "UBND" in changes and "7h30" in changes  # each rewrite, with why

    browser.press("preview")
    browser.wait_for(lambda: browser.driver.execute_script(
        "const a = document.getElementById('preview-audio');"
        "return a !== null && a.readyState >= 1 && a.duration > 1"), "the preview to load")

    browser.press("queue")
    browser.wait_for_id("queued")
    notice_id = int(browser.driver.find_element("id", "queued").get_attribute("data-id"))
    assert "Expected to start at" in browser.text("expected")

    browser.open("/log")  # open before it airs: the page updates itself
    browser.wait_for(lambda: "aired" in _row(browser, "log", notice_id), f"#{notice_id} aired",
                     timeout=60)
    [line] = daemon.wait_finished(notice_id)
    assert line.outcome is Outcome.AIRED and line.title == "Tiêm phòng gia cầm"
    assert line.source == "operator" and line.level is Level.NORMAL  # as `say` queues it


def test_the_queue_page_updates_itself_when_the_station_changes(station: Station,
                                                               browser: Phone) -> None:
    first = queued(station, "say", "Họp tổ dân phố lúc 19 giờ tối nay.", "--at", "+30m")
    browser.log_in("vanhanh", PASSWORDS["operator"])
    browser.open("/queue")
    browser.wait_for_id(f"cancel-{first}")
    browser.driver.execute_script("window.stillThisPage = true")
    second = queued(station, "say", "Thu tiền điện ngày mai.", "--at", "+40m")  # the CLI
    browser.wait_for(lambda: browser.has(f"cancel-{second}"), f"#{second} on the page")
    assert station.cli("cancel", str(first)).returncode == 0
    browser.wait_for(lambda: not browser.has(f"cancel-{first}"), f"#{first} gone")
    assert browser.driver.execute_script("return window.stillThisPage === true")  # no reload


def test_a_changed_text_is_checked_again_before_it_is_queued(station: Station,
                                                             browser: Phone) -> None:
    browser.log_in("vanhanh", PASSWORDS["operator"])
    browser.open("/compose")
    browser.fill("text", "Họp thôn lúc 19h.")
    browser.press("check")
    browser.wait_for_id("spoken")
    browser.fill("text", "Họp thôn lúc 20h.")
    browser.press("queue")
    assert "then queue it" in browser.wait_for_id("check-first")
    assert "hai mươi giờ" in browser.text("spoken")
    assert _queued(station) == []


def test_a_wrong_password_is_refused_and_the_leader_sees_it_in_the_login_log(
        station: Station, browser: Phone) -> None:
    add_account(station, "lanhdao", "leader")
    browser.log_in("vanhanh", "khong-phai-mat-khau")
    assert browser.wait_for_id("problem") == "Wrong name or password."
    assert browser.path == "/login" and not browser.has("on-air")

    browser.log_in("lanhdao", PASSWORDS["leader"])
    browser.wait_for_id("on-air")
    browser.open("/accounts/log")
    attempts = browser.wait_for_id("attempts")
    assert "vanhanh" in attempts and "wrong password" in attempts
    assert "lanhdao" in attempts and "logged in" in attempts


def test_an_operator_cancels_a_waiting_notice(station: Station, browser: Phone) -> None:
    later = queued(station, "say", "Họp tổ dân phố lúc 19 giờ tối nay.", "--at", "+30m")
    browser.log_in("vanhanh", PASSWORDS["operator"])
    browser.open("/queue")
    browser.wait_for_id(f"cancel-{later}")
    browser.press(f"cancel-{later}")
    assert browser.wait_for_id("flash") == f"#{later} cancelled."
    assert not browser.has(f"cancel-{later}")
    [line] = json.loads(station.cli("log", "--format", "json").stdout)
    assert (line["id"], line["outcome"]) == (later, "cancelled")


def test_an_emergency_asks_for_confirmation_and_then_airs(station: Station, daemon: Daemon,
                                                         browser: Phone) -> None:
    browser.log_in("vanhanh", PASSWORDS["operator"])
    browser.wait_for_id("emergency-button")
    browser.press("emergency-button")
    browser.wait_for_id("emergency-form")
    browser.fill("text", STORM)
    browser.fill("repeat", "1")
    browser.press("continue")
    assert "bão số ba" in browser.wait_for_id("spoken").lower()
    assert daemon.pending() == []  # nothing is queued before the operator confirms

    browser.press("confirm")
    browser.wait_for_id("queued")
    emergency_id = int(browser.driver.find_element("id", "queued").get_attribute("data-id"))
    [line] = daemon.wait_finished(emergency_id, timeout=60)
    assert (line.level, line.outcome) == (Level.EMERGENCY, Outcome.AIRED)


def test_an_operator_accepts_one_upstream_push_and_rejects_another_with_a_reason(
        station: Station, district: District, browser: Phone) -> None:
    first = _push(station, district, "Lịch tiêm phòng gia cầm")
    second = _push(station, district, "Quảng cáo phân bón")
    browser.log_in("vanhanh", PASSWORDS["operator"])
    browser.open("/inbox")
    browser.wait_for_id(f"accept-{first}")
    browser.press(f"accept-{first}")
    flash = browser.wait_for_id("flash")
    [entry] = _queued(station)
    assert flash == f"Push #{first} accepted: queued as #{entry['id']}."
    assert (entry["title"], entry["source"]) == ("Lịch tiêm phòng gia cầm", "upstream")

    browser.press(f"reject-{second}")
    browser.fill("reason", "Không phải thông tin công cộng")
    browser.press("reject")
    assert browser.wait_for_id("flash") == f"Push #{second} rejected; the province is told."
    decided = json.loads(station.cli("inbox", "--all", "--json").stdout)
    assert {(e["id"], e["state"], e["reason"]) for e in decided} == {
        (first, "accepted", ""), (second, "rejected", "Không phải thông tin công cộng")}


def test_a_viewer_reads_the_station_but_cannot_change_anything(
        station: Station, console: WebConsole, browser: Phone) -> None:
    add_account(station, "xem", "viewer")
    waiting = queued(station, "say", "Họp tổ dân phố lúc 19 giờ tối nay.", "--at", "+30m")
    browser.log_in("xem", PASSWORDS["viewer"])
    browser.wait_for_id("on-air")
    assert not browser.has("emergency-button")
    menu = browser.driver.find_element("css selector", "nav.menu").text
    assert "Queue" in menu and "Compose" not in menu and "Upload" not in menu
    browser.open("/queue")
    browser.wait_for_id("queue")
    assert not browser.has(f"cancel-{waiting}")
    browser.open("/compose")
    assert "may not do this" in browser.wait_for_id("problem")

    client = Client(console)  # what the page would not offer: a viewer's POST, token and all
    client.log_in("xem", PASSWORDS["viewer"])
    token = client.csrf("/queue")
    for path, fields in ((f"/queue/{waiting}/cancel", {}),
                         ("/compose/queue", {"text": STORM, "level": "normal"}),
                         ("/emergency", {"text": STORM, "confirm": "yes"})):
        status, page = client.request("POST", path, {"csrf": token, **fields})
        assert status == 403, (path, page)
    assert [entry["id"] for entry in _queued(station)] == [waiting]


def test_a_post_without_its_csrf_token_is_refused(station: Station,
                                                 console: WebConsole) -> None:
    client = Client(console)
    status, _page = client.request("POST", "/login", {"name": "vanhanh",
                                                      "password": PASSWORDS["operator"]})
    assert status == 403
    client.log_in("vanhanh", PASSWORDS["operator"])
    add_account(station, "lanhdao", "leader")
    other = Client(console)  # another person's session: its token is not this one's
    other.log_in("lanhdao", PASSWORDS["leader"])
    form = {"text": "Họp thôn lúc 19 giờ.", "level": "normal"}
    for token in (None, "", "forged-token", other.csrf("/compose")):
        fields = form if token is None else {**form, "csrf": token}
        status, page = client.request("POST", "/compose/queue", fields)
        assert status == 403 and "out of date" in page, (token, page)
    assert _queued(station) == []
    status, _page = client.request("POST", "/compose/queue", {**form, "csrf": client.csrf(
        "/compose")})
    assert status == 200  # the same form with its token: checked, not yet queued


def test_the_log_downloads_as_the_command_line_writes_it(station: Station,
                                                         console: WebConsole) -> None:
    formula = queued(station, "say", "Họp thôn lúc 19 giờ.", "--at", "+30m", "--title",
                     '=HYPERLINK("http://lua.dao")')
    assert station.cli("cancel", str(formula)).returncode == 0
    today = datetime.now(ZoneInfo(station.config().station.timezone)).date()
    since = (today - timedelta(days=6)).isoformat()
    client = Client(console)
    client.log_in("vanhanh", PASSWORDS["operator"])
    status, sheet = client.request("GET", "/log.csv")
    assert status == 200
    assert sheet == station.cli("log", "--format", "csv", "--since", since, "--until",
                                today.isoformat()).stdout  # one writer for both
    assert sheet.startswith("\ufeffid,") and "'=HYPERLINK" in sheet


def test_a_refusal_at_the_console_names_the_forms_fields_not_the_commands_options(
        station: Station, console: WebConsole) -> None:
    client = Client(console)
    client.log_in("vanhanh", PASSWORDS["operator"])
    status, page = client.request("GET", "/log?since=2026-12-03&until=2026-12-01")
    assert status == 400
    assert "the first day 2026-12-03 is after the last day 2026-12-01; swap the two days" in page
    yesterday = (datetime.now(ZoneInfo(station.config().station.timezone)).date()
                 - timedelta(days=1)).isoformat()
    form = {"text": "Họp thôn lúc 19 giờ.", "level": "normal", "day": yesterday,
            "time": "07:00", "repeat": "1", "gap": "30"}
    status, page = client.request("POST", "/compose/check",
                                  {**form, "csrf": client.csrf("/compose")})
    assert status == 200, page
    checked = re.search(r'name="checked" value="([^"]+)"', page)
    assert checked is not None, page
    status, page = client.request("POST", "/compose/queue", {
        **form, "checked": checked.group(1), "csrf": client.csrf("/compose")})
    assert status == 400
    assert "which has passed; choose a later day or time" in page
    assert "--at" not in page and "--expires" not in page
    assert _queued(station) == []
    # the command line still names its own options
    done = station.cli("log", "--since", "2026-12-03", "--until", "2026-12-01")
    assert done.stderr == ("--since 2026-12-03 is after --until 2026-12-01; give the earlier "
                           "day to --since\n")


def test_an_audio_file_uploaded_from_the_phone_is_queued_as_play_queues_it(
        tmp_path: Path, station: Station, browser: Phone) -> None:
    recording = tmp_path / "Bản tin sáng thứ Hai.wav"
    write_tone(recording, 2.0)
    not_audio = tmp_path / "ghi-chu.mp3"
    not_audio.write_text("không phải âm thanh", encoding="utf-8")
    browser.log_in("vanhanh", PASSWORDS["operator"])

    browser.open("/upload")
    browser.driver.find_element("id", "audio").send_keys(str(not_audio))
    browser.press("upload")
    assert "ghi-chu.mp3: not an audio file this station can play" in \
        browser.wait_for_id("problem")

    browser.driver.find_element("id", "audio").send_keys(str(recording))
    assert browser.text("chosen") == recording.name  # the picker says what was picked
    browser.press("upload")
    browser.wait_for_id("queued")
    [entry] = _queued(station)
    assert entry["title"] == "Bản tin sáng thứ Hai.wav"
    with station_store(station) as store:
        [item] = _items(store, entry["id"])
    assert isinstance(item, File) and item.path.parent.name == "queued"
    assert item.path.read_bytes() == recording.read_bytes()  # the copy `play` makes
    assert not (station.root / "data" / "uploads").exists() or \
        not any((station.root / "data" / "uploads").iterdir())  # the upload is not kept


def test_a_leader_adds_an_operator_who_can_then_log_in(station: Station,
                                                      browser: Phone) -> None:
    add_account(station, "lanhdao", "leader")
    browser.log_in("vanhanh", PASSWORDS["operator"])
    browser.wait_for_id("on-air")
    browser.open("/accounts")
    assert "may not do this" in browser.wait_for_id("problem")
    browser.press("logout")
    browser.wait_for_id("login-form")

    browser.log_in("lanhdao", PASSWORDS["leader"])
    browser.wait_for_id("on-air")
    browser.open("/accounts")
    browser.fill("new-name", "Thu.Ha")  # a phone capitalizes the first letter
    browser.fill("new-password", "mat-khau-moi-1")
    browser.fill("new-again", "mat-khau-moi-1")
    browser.press("add")
    assert browser.wait_for_id("flash") == "Added thu.ha (operator)."
    browser.press("logout")
    browser.log_in("thu.ha", "mat-khau-moi-1")
    browser.wait_for_id("emergency-button")  # an operator


def test_logging_out_or_a_new_password_ends_a_session_on_the_server(
        station: Station, console: WebConsole) -> None:
    """A copy of the cookie (another browser, a stolen phone) is worth nothing once its
    session has ended: by logging out, by a new password, or with the account."""
    add_account(station, "lanhdao", "leader")
    mobile, office, copy = Client(console), Client(console), Client(console)
    mobile.log_in("vanhanh", PASSWORDS["operator"])
    office.log_in("vanhanh", PASSWORDS["operator"])
    copy.cookies = dict(mobile.cookies)
    assert copy.request("GET", "/queue")[0] == 200

    status, _page = mobile.request("POST", "/logout", {"csrf": mobile.csrf("/queue")})
    assert status == 303 and "broadcaster_session" not in mobile.cookies
    status, page = copy.request("GET", "/queue")  # the copy: sent to log in
    assert status == 303
    status, page = copy.request("GET", "/login?next=/queue")  # no loop back to /queue
    assert status == 200 and 'id="login-form"' in page
    assert "broadcaster_session" not in copy.cookies  # the dead cookie is cleared
    assert office.request("GET", "/queue")[0] == 200  # the other login goes on

    # `user passwd` at the box ends every session of the account
    assert station.cli("user", "passwd", "vanhanh", stdin="mat-khau-moi-2\n").returncode == 0
    assert office.request("GET", "/queue")[0] == 303
    office.log_in("vanhanh", "mat-khau-moi-2")

    # the leader sets the operator's password: the operator's sessions end; the leader
    # sets their own: their other sessions end, this one goes on
    leader, leader_elsewhere = Client(console), Client(console)
    leader.log_in("lanhdao", PASSWORDS["leader"])
    leader_elsewhere.log_in("lanhdao", PASSWORDS["leader"])
    for name, password in (("vanhanh", "mat-khau-moi-3"), ("LanhDao", "mat-khau-moi-4")):
        status, page = leader.request("POST", "/accounts/password", {
            "csrf": leader.csrf("/accounts"), "name": name, "password": password,
            "again": password})
        assert status == 200, page
    assert office.request("GET", "/queue")[0] == 303
    assert leader_elsewhere.request("GET", "/queue")[0] == 303
    assert leader.request("GET", "/accounts")[0] == 200

    # a removed account's sessions end with it
    office.log_in("vanhanh", "mat-khau-moi-3")
    status, page = leader.request("POST", "/accounts/remove", {
        "csrf": leader.csrf("/accounts"), "name": "vanhanh"})
    assert status == 200, page
    assert office.request("GET", "/queue")[0] == 303
    with station_store(station) as store:
        assert [row[0] for row in store.query("SELECT name FROM sessions")] == ["lanhdao"]


def test_the_schedule_shows_each_slot_and_what_fills_it(station: Station,
                                                       browser: Phone) -> None:
    at, until = _slot_times(station)
    playlist = station.root / "buoi-sang.yaml"
    playlist.write_text(SLOT.format(at=at, until=until), encoding="utf-8")
    done = station.cli("playlist", "apply", str(playlist))
    assert done.returncode == 0, done.stderr
    browser.log_in("vanhanh", PASSWORDS["operator"])
    browser.open("/schedule")
    day = browser.wait_for_id("main")
    assert f"{at}–{until}" in day and "Bản tin buổi sáng" in day
    assert "Lịch cắt điện ngày mai" in day and "(2 times)" in day
    browser.press("week-view")
    week = browser.wait_for(lambda: browser.text("main") if browser.has("day-view") else None,
                            "the week")
    assert week.count("Bản tin buổi sáng") == 7
    browser.open("/schedule?date=2027-02-06")  # Tết Đinh Mùi: the calendar says so
    tet = browser.wait_for_id("main")
    assert "lunar 1/1, year Đinh Mùi" in tet and "public holiday: " in tet, tet


def test_every_page_speaks_vietnamese_and_fits_a_phone_screen(
        station: Station, district: District, phone: Phone) -> None:  # noqa: F811
    """The station's own language, as a station runs it (the daemon too: the live status
    it writes is in its language); a screenshot of every page, and no English on it."""
    vietnamese = gettext.translation("broadcaster", LOCALE_DIR, languages=["vi"], fallback=True)
    daemon = running_daemon(station, {"BROADCASTER_LANG": "vi"})
    with daemon as running:
        _tour_in_vietnamese(station, district, running, phone, vietnamese)


def _tour_in_vietnamese(station: Station, district: District, daemon: Daemon,
                        phone: Phone, vietnamese: gettext.NullTranslations) -> None:  # noqa: F811
    add_account(station, "lanhdao", "leader")
    at, until = _slot_times(station)
    playlist = station.root / "buoi-sang.yaml"
    playlist.write_text(SLOT.format(at=at, until=until), encoding="utf-8")
    assert station.cli("playlist", "apply", str(playlist)).returncode == 0
    aired = queued(station, "say", "Chào buổi sáng bà con.", "--repeat", "1", "--title",
                   "Lời chào")
    daemon.wait_finished(aired)
    queued(station, "say", NOTICE, "--at", "+2h", "--title", "Tiêm phòng gia cầm")
    queued(station, "say", "Họp tổ dân phố lúc 19 giờ tối nay.", "--at", "+3h", "--level",
           "priority")
    pushed = _push(station, district, "Lịch tiêm phòng gia cầm đợt hai")

    with web_console(station, language="vi") as running:
        phone.base = running.url
        phone.open("/login")
        phone.wait_for_id("login-form")
        _look(phone, "dang-nhap")
        phone.log_in("lanhdao", PASSWORDS["leader"])
        phone.wait_for_id("on-air")
        menu = phone.driver.find_element("css selector", "nav.menu").text
        assert vietnamese.gettext("On air") in menu
        tour = [("/", "dang-phat"), ("/queue", "hang-cho"), ("/schedule", "lich-phat"),
                ("/schedule?view=week", "lich-phat-tuan"), ("/log", "nhat-ky-phat"),
                ("/inbox", "hop-thu-cap-tren"), (f"/inbox/{pushed}/reject", "tu-choi"),
                ("/upload", "tai-tep-len"), ("/accounts", "tai-khoan"),
                ("/accounts/log", "nhat-ky-dang-nhap"), ("/emergency", "khan-cap")]
        for path, name in tour:
            phone.open(path)
            phone.wait_for_id("main")
            _look(phone, name)
        phone.open("/compose")
        phone.fill("text", NOTICE + " Liên hệ: 0912 345 678.")
        phone.press("check")
        phone.wait_for_id("spoken")
        _look(phone, "soan-thong-bao")
        phone.press("queue")
        phone.wait_for_id("queued")
        _look(phone, "da-dua-vao-hang-cho")
        phone.open("/khong-co-trang-nay")
        phone.wait_for_id("problem")
        _look(phone, "khong-co-trang")
        phone.open("/emergency")
        phone.fill("text", STORM)
        phone.press("continue")
        phone.wait_for_id("confirm")
        _look(phone, "khan-cap-xac-nhan")


def _look(phone: Phone, name: str) -> None:  # noqa: F811
    """The page is in Vietnamese (no message of ours left in English), fits the phone's
    width, and is saved for a person to see."""
    assert phone.driver.find_element("tag name", "html").get_attribute("lang") == "vi", name
    text = " ".join(phone.page_text().split())
    english = [words for words in _english_phrases() if words in text]
    assert not english, f"{name}: in English: {english}"
    assert not phone.overflows(), f"{name}: wider than the phone's screen"
    phone.screenshot(name)


@functools.cache
def _english_phrases() -> tuple[str, ...]:
    """Runs of three or more words of every message whose Vietnamese differs: one of them
    on a Vietnamese page is a message shown untranslated."""
    from babel.messages.pofile import read_po

    with (LOCALE_DIR / "vi" / "LC_MESSAGES" / "broadcaster.po").open("rb") as source:
        catalog = read_po(source)
    phrases = set()
    for message in catalog:
        if not message.id or not message.string or message.string == message.id:
            continue
        for literal, *_field in string.Formatter().parse(str(message.id)):
            for piece in re.split(r"[():;,.`'\"]", literal):
                if len(piece.split()) >= 3 and piece.isascii():  # not a Vietnamese name
                    phrases.add(" ".join(piece.split()))
    return tuple(sorted(phrases))


def _row(phone: Phone, list_id: str, entry_id: int) -> str:  # noqa: F811
    rows = phone.driver.find_elements("css selector", f'#{list_id} li[data-id="{entry_id}"]')
    return str(rows[0].text) if rows else ""


def _queued(station: Station) -> list[dict[str, object]]:
    done = station.cli("queue", "--json")
    assert done.returncode == 0, done.stderr
    found: list[dict[str, object]] = json.loads(done.stdout)
    return found


def _items(store: Store, entry_id: object) -> tuple[object, ...]:
    entry = store.entry(int(str(entry_id)))
    assert entry is not None
    return entry.items


def _push(station: Station, district: District, title: str) -> int:
    """A `normal` push from the district, taken by the station as its link would: it waits
    in the inbox. Returns its inbox id."""
    config = station.config()
    raw = district.envelope(level=Level.NORMAL, payload=BULLETIN.format(title=title))
    with station_store(station) as store:
        taken = Upstream(config, store, clock_trusted=lambda: True).take(
            raw, datetime.now(ZoneInfo(config.station.timezone)))
    assert taken.inbox_id is not None, taken
    return taken.inbox_id


def _slot_times(station: Station) -> tuple[str, str]:
    """A daily slot two hours from now: today's schedule shows it, nothing airs during the
    test."""
    now = datetime.now(ZoneInfo(station.config().station.timezone))
    start = now + timedelta(hours=2)
    if (start + timedelta(minutes=30)).date() != now.date():
        start = now - timedelta(hours=3)  # today's window has passed instead
    return start.strftime("%H:%M"), (start + timedelta(minutes=30)).strftime("%H:%M")


# --- zones (cụm loa) --------------------------------------------------------------------------

ZONES = '\n[zones]\n"Thôn Đông" = 22\n"Thôn Tây" = [23, 24]\n"Xóm Bãi" = 60\n'  # no GPIO60


def _zoned(station: Station) -> Station:
    """The station with three village lines; Xóm Bãi's relay pin does not exist."""
    station.write_config(station.config_file.read_text(encoding="utf-8") + ZONES)
    return station


def test_an_operator_composes_a_notice_for_one_zone_and_the_queue_says_which(
        station: Station, phone: Phone) -> None:  # noqa: F811
    _zoned(station)
    with web_console(station) as running:
        phone.base = running.url
        phone.log_in("vanhanh", PASSWORDS["operator"])
        phone.wait_for_id("on-air")
        phone.open("/compose")
        assert "every zone" in phone.wait_for_id("zone-hint")  # none ticked: said in words
        phone.fill("text", "Thôn Tây cắt điện từ 7 giờ đến 11 giờ sáng mai.")
        phone.driver.find_element("id", "zone-2").click()  # Thôn Tây
        phone.press("check")
        phone.wait_for_id("spoken")
        ticked = [box.get_attribute("value") for box in phone.driver.find_elements(
            "css selector", "#zone-choice input:checked")]
        assert ticked == ["Thôn Tây"]  # kept through the check
        assert not phone.overflows()
        phone.screenshot("soan-thong-bao-cum-loa")
        phone.press("queue")
        assert phone.wait_for_id("queued-zones") == "Zones: Thôn Tây"
        [entry] = _queued(station)
        notice = int(str(entry["id"]))
        with station_store(station) as store:
            stored = store.entry(notice)
        assert stored is not None and stored.zones == ("Thôn Tây",)

        every = queued(station, "say", "Họp toàn xã lúc 19 giờ.", "--at", "+30m")
        phone.open("/queue")
        assert "Zones: Thôn Tây" in phone.wait_for(lambda: _row(phone, "queue", notice),
                                                   "the notice in the queue")
        assert "Zones: all" in _row(phone, "queue", every)
        phone.open("/emergency")
        assert "every zone" in phone.wait_for_id("every-zone")  # no choosing
        assert not phone.has("zone-choice")


def test_an_audio_file_uploaded_for_two_zones_is_queued_for_them(
        tmp_path: Path, station: Station, phone: Phone) -> None:  # noqa: F811
    _zoned(station)
    recording = tmp_path / "Thông báo thôn.wav"
    write_tone(recording, 1.0)
    with web_console(station) as running:
        phone.base = running.url
        phone.log_in("vanhanh", PASSWORDS["operator"])
        phone.wait_for_id("on-air")
        phone.open("/upload")
        phone.wait_for_id("zone-choice")
        for box in ("zone-1", "zone-3"):  # Thôn Đông, Xóm Bãi
            phone.driver.find_element("id", box).click()
        phone.driver.find_element("id", "audio").send_keys(str(recording))
        phone.press("upload")
        assert phone.wait_for_id("queued-zones") == "Zones: Thôn Đông, Xóm Bãi"
    [entry] = _queued(station)
    with station_store(station) as store:
        stored = store.entry(int(str(entry["id"])))
    assert stored is not None and stored.zones == ("Thôn Đông", "Xóm Bãi")


def test_a_zone_the_station_lacks_is_refused_on_the_form_and_nothing_is_queued(
        station: Station) -> None:
    _zoned(station)
    with web_console(station) as running:
        client = Client(running)
        client.log_in("vanhanh", PASSWORDS["operator"])
        form = {"text": "Họp thôn lúc 19 giờ.", "level": "normal", "repeat": "1", "gap": "30",
                "zone": "Thôn Bắc"}  # what no box of the page sends
        for path in ("/compose/check", "/compose/queue"):
            status, page = client.request("POST", path, {**form, "csrf": client.csrf(
                "/compose")})
            assert status == 400, page
            [problem] = re.findall(r'id="problem">([^<]*)<', page)
            assert problem.startswith("unknown zone &#39;Thôn Bắc&#39;"), problem
            assert "Thôn Đông, Thôn Tây, Xóm Bãi" in problem
        status, page = client.request("POST", "/emergency", {
            "csrf": client.csrf("/emergency"), "text": STORM, "repeat": "1", "gap": "10",
            "confirm": "yes", "zone": "Thôn Tây"})
        assert status == 400 and "an emergency always goes to every zone" in page, page
        assert _queued(station) == []


def test_the_on_air_page_says_each_zone_relay_is_not_switched_while_the_station_is_down(
        station: Station) -> None:
    _zoned(station)
    with web_console(station) as running:
        client = Client(running)
        client.log_in("vanhanh", PASSWORDS["operator"])
        status, page = client.request("GET", "/")
    assert status == 200
    relays = re.findall(r'data-zone="([^"]+)" data-on="">\1 <small>(GPIO[\d,]+)</small>', page)
    assert relays == [("Thôn Đông", "GPIO22"), ("Thôn Tây", "GPIO23,24"), ("Xóm Bãi", "GPIO60")]
    [state] = re.findall(r'id="zones-unknown">([^<]+)<', page)  # said once, as `status` says
    assert state == "not switched (daemon stopped)"


def test_a_station_without_zones_shows_no_zone_controls(station: Station,
                                                        console: WebConsole) -> None:
    queued(station, "say", "Họp tổ dân phố lúc 19 giờ tối nay.", "--at", "+30m")
    client = Client(console)
    client.log_in("vanhanh", PASSWORDS["operator"])
    for path in ("/", "/compose", "/upload", "/emergency", "/queue", "/log"):
        status, page = client.request("GET", path)
        assert status == 200, (path, page)
        assert 'name="zone"' not in page and "Zones" not in page and 'id="zones"' not in page


@pytest.mark.slow
def test_the_on_air_page_shows_which_zones_hear_the_item_on_air(
        tmp_path: Path, null_sink: NullSink, phone: Phone) -> None:  # noqa: F811
    station = _zoned(daemon_station(tmp_path / "station", "nullsink",  # airs in real time
                                    amplifier="gpio_pin = 17\nwarmup_s = 0\nhold_s = 0"))
    add_account(station, "vanhanh", "operator")
    write_tone(station.root / "audio" / "tone.wav", 60.0)  # on air until cancelled
    with running_daemon(station, env={"GPIOZERO_PIN_FACTORY": "mock"}) as daemon, \
            web_console(station) as running:
        phone.base = running.url
        phone.log_in("vanhanh", PASSWORDS["operator"])
        phone.wait_for_id("on-air")
        east = queued(station, "play", "audio/tone.wav", "--zone", "thon dong")
        daemon.wait_on_air(east)
        assert phone.wait_for_id("on-air-zones") == "Zones: Thôn Đông"  # the page updated

        def relays() -> dict[str, tuple[str, str]] | None:
            found = {li.get_attribute("data-zone"): (li.get_attribute("data-on"), li.text)
                     for li in phone.driver.find_elements("css selector", "#zones li")}
            return found if found.get("Thôn Đông", ("",))[0] == "true" else None

        shown = phone.wait_for(relays, "Thôn Đông's relay on")
        assert shown["Thôn Tây"] == ("false", "Thôn Tây GPIO23,24 off")
        assert "GPIO60 cannot be driven" in shown["Xóm Bãi"][1]  # in the problem style
        assert phone.driver.find_element(
            "css selector", '#zones li[data-zone="Xóm Bãi"] .bad').is_displayed()
        assert not phone.overflows()
        phone.screenshot("dang-phat-cum-loa")
        assert station.cli("cancel", str(east)).returncode == 0
        daemon.wait_finished(east)
        phone.open("/log")
        assert "Zones: Thôn Đông" in phone.wait_for(lambda: _row(phone, "log", east),
                                                    "the log line")


def test_with_a_certificate_the_console_speaks_https_and_its_cookies_are_secure(
        tmp_path: Path, station: Station) -> None:
    certificate, key = _self_signed(tmp_path)
    text = station.config_file.read_text(encoding="utf-8")
    station.write_config(text + f'\n[web]\ntls_cert = "{certificate}"\ntls_key = "{key}"\n')
    console = WebConsole(station, scheme="https")
    try:
        console.start()
        context = ssl.create_default_context(cafile=str(certificate))
        context.check_hostname = False  # the certificate names the box, not 127.0.0.1
        connection = http.client.HTTPSConnection("127.0.0.1", console.port, context=context,
                                                 timeout=10)
        connection.request("GET", "/login")
        response = connection.getresponse()
        assert response.status == 200
        cookie = response.headers["Set-Cookie"]
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    finally:
        console.stop()


def test_a_console_turned_off_in_the_config_does_not_start(station: Station) -> None:
    text = station.config_file.read_text(encoding="utf-8")
    station.write_config(text + '\n[web]\nenabled = false\n')
    done = station.cli("web")
    assert done.returncode == 1
    assert done.stderr.strip().endswith("([web] enabled = false); set enabled = true to run it")


@pytest.mark.parametrize(("section", "problem"), [
    ('listen = "8080"', ':13: web.listen: must look like "0.0.0.0:8080"'),
    ('listen = "0.0.0.0:80800"', ':13: web.listen: must look like "0.0.0.0:8080"'),
    ('tls_cert = "web.pem"', ":12: web.tls_key: give both tls_cert and tls_key"),
    ('lisen = "0.0.0.0:8080"', ":13: unknown key 'lisen' in [web]; did you mean 'listen'?"),
])
def test_a_wrong_web_setting_is_refused_with_its_line(station: Station, section: str,
                                                       problem: str) -> None:
    text = station.config_file.read_text(encoding="utf-8").rstrip("\n")
    lines = text.count("\n") + 1
    station.write_config(text + f"\n\n[web]\n{section}\n")
    done = station.cli("web")
    assert done.returncode == 1
    line = problem.split(":")[1]
    expected = problem.replace(f":{line}:", f":{lines + (2 if line == '12' else 3)}:")
    assert f"broadcaster.toml{expected}" in done.stderr, done.stderr


def _self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate and its key, as a technician makes one for the box with openssl."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "dai-xa.local")])
    now = datetime.now(ZoneInfo("UTC"))
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - timedelta(days=1))
                   .not_valid_after(now + timedelta(days=30))
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
                   .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "web.pem", folder / "web.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path
