"""The web console under test: `broadcaster web` as a real process on 127.0.0.1 (a free
port), its accounts made with `broadcaster user add`, and Debian's Chromium driven headless
by Selenium in a phone-sized window.

- `WebConsole(station).start()` / `.stop()`; `web_console(station)` leaves no process
  behind. `language="vi"` runs it as a station runs it (Vietnamese); otherwise it speaks
  English, as the rest of the suite does.
- `Phone`: the browser, with what a test does with it (open a page, log in, fill a form,
  press a button, wait for a fact on the page, save a screenshot to out/screenshots/).
- `Client`: a plain HTTP client for what a browser would not send (a POST without its
  CSRF token).
"""

from __future__ import annotations

import contextlib
import http.client
import http.cookies
import os
import re
import shutil
import signal
import ssl
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from tests.support.broker import free_port
from tests.support.station import Station

T = TypeVar("T")

START_TIMEOUT_S = 20.0
WAIT_S = 20.0
PHONE = (390, 844)  # an iPhone 12-14 / a common Android phone, in CSS pixels
SCREENSHOTS = Path(__file__).resolve().parents[2] / "out" / "screenshots"
PASSWORDS = {"viewer": "xem-thoi-nhe", "operator": "van-hanh-dai", "leader": "lanh-dao-xa"}
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


def add_account(station: Station, name: str, role: str) -> str:
    """`broadcaster user add NAME --role ROLE` with the password on standard input;
    returns the password (PASSWORDS[role])."""
    password = PASSWORDS[role]
    done = station.cli("user", "add", name, "--role", role, stdin=password + "\n")
    assert done.returncode == 0, done.stderr
    return password


def listen_on(station: Station, port: int) -> None:
    """`[web] listen` on 127.0.0.1:PORT, in the config's [web] section if it has one."""
    text = station.config_file.read_text(encoding="utf-8")
    listen = f'listen = "127.0.0.1:{port}"\n'
    station.write_config(text.replace("[web]\n", f"[web]\n{listen}", 1) if "[web]\n" in text
                         else text + f"\n[web]\n{listen}")


class WebConsole:
    """One `broadcaster web` process serving `station`."""

    def __init__(self, station: Station, *, language: str = "en", scheme: str = "http") -> None:
        self.station = station
        self.port = free_port()
        self.scheme = scheme
        self.url = f"{scheme}://127.0.0.1:{self.port}"
        listen_on(station, self.port)
        environment = {key: value for key, value in os.environ.items()
                       if key != "BROADCASTER_LANG"}
        self.env = {**environment, "BROADCASTER_CONFIG": str(station.config_file),
                    **({"BROADCASTER_LANG": "en"} if language == "en" else {})}
        self._log = station.root / "web.log"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> WebConsole:
        with self._log.open("ab") as log:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "broadcaster", "web"], cwd=self.station.root,
                env=self.env, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self._answers():
            if self._process.poll() is not None:
                raise AssertionError(f"broadcaster web exited ({self._process.returncode})\n"
                                     f"{self.log()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"broadcaster web did not answer\n{self.log()}")
            time.sleep(0.05)
        return self

    def _answers(self) -> bool:
        try:
            if self.scheme == "http":
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
            else:  # whether it answers; the test checks the certificate itself
                context = ssl.create_default_context()
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
                connection = http.client.HTTPSConnection("127.0.0.1", self.port, timeout=2,
                                                         context=context)
            connection.request("GET", "/login")
            return connection.getresponse().status == 200
        except OSError:
            return False

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise AssertionError(f"broadcaster web ignored SIGTERM\n{self.log()}") from None

    def log(self) -> str:
        try:
            return self._log.read_text(encoding="utf-8", errors="replace")[-4000:]
        except OSError:
            return ""


@contextlib.contextmanager
def web_console(station: Station, *, language: str = "en") -> Iterator[WebConsole]:
    console = WebConsole(station, language=language)
    try:
        yield console.start()
    finally:
        console.stop()


class Phone:
    """Headless Chromium in a phone-sized window, pointed at one console."""

    def __init__(self, driver: Any) -> None:
        self.driver = driver
        self.base = ""

    def open(self, path: str) -> None:
        self.driver.get(self.base + path)

    def log_in(self, name: str, password: str) -> None:
        self.open("/login")
        self.fill("name", name)
        self.fill("password", password)
        self.press("log-in")

    def fill(self, element_id: str, text: str) -> None:
        field = self.driver.find_element("id", element_id)
        field.clear()
        if text:
            field.send_keys(text)

    def set_value(self, element_id: str, value: str) -> None:
        """For inputs a phone fills with a picker (time, date): set it as the picker does."""
        self.driver.execute_script("document.getElementById(arguments[0]).value = arguments[1]",
                                   element_id, value)

    def press(self, element_id: str) -> None:
        """Click a button or link and wait for the page it leads to (every button of the
        console submits a form or opens a page). A button in a live part of the page may be
        replaced by a fresh copy as it is found: then the fresh one is clicked."""
        from selenium.webdriver.support.ui import WebDriverWait

        old_page = self.driver.find_element("tag name", "html")

        def click() -> bool | None:
            self.driver.find_element("id", element_id).click()
            return True

        def left(_driver: Any) -> bool:
            try:
                old_page.is_enabled()
            except Exception as exc:
                if replaced(exc):
                    return True
                raise
            return False

        self.wait_for(click, f"#{element_id} to click")
        WebDriverWait(self.driver, WAIT_S).until(left)
        self.wait_for(lambda: self.driver.execute_script(
            "return document.readyState === 'complete'"), "the page to load")

    def has(self, element_id: str) -> bool:
        return bool(self.driver.find_elements("id", element_id))

    def text(self, element_id: str) -> str:
        return str(self.driver.find_element("id", element_id).text)

    def page_text(self) -> str:
        return str(self.driver.find_element("tag name", "body").text)

    @property
    def path(self) -> str:
        return urllib.parse.urlsplit(str(self.driver.current_url)).path

    def wait_for(self, fact: Callable[[], T | None], what: str, timeout: float = WAIT_S) -> T:
        """Wait until `fact()` is truthy (a fact on the page); fail naming `what`."""
        from selenium.common.exceptions import TimeoutException
        from selenium.webdriver.support.ui import WebDriverWait

        def check(_driver: Any) -> T | None:
            try:
                return fact()
            except Exception as exc:
                if replaced(exc):
                    return None  # htmx replaced the part while we read it
                raise

        try:
            found = WebDriverWait(self.driver, timeout, poll_frequency=0.1).until(check)
        except TimeoutException:
            raise AssertionError(f"waited {timeout:.0f} s for {what}; the page says:\n"
                                 f"{self.page_text()}") from None
        assert found is not None  # `until` returns only a truthy value
        return found

    def wait_for_id(self, element_id: str, timeout: float = WAIT_S) -> str:
        """Wait for the element `element_id` to be on the page; its text."""
        return self.wait_for(lambda: self.text(element_id) if self.has(element_id) else None,
                             f"#{element_id}", timeout)

    def screenshot(self, name: str, *, whole: bool = True) -> Path:
        """The page as the phone shows it, saved as out/screenshots/NAME.png; `whole`: the
        whole page, not only what fits on the screen."""
        import base64

        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        if not whole:
            self.driver.save_screenshot(str(path))
            return path
        height = self.driver.execute_script("return document.documentElement.scrollHeight")
        shot = self.driver.execute_cdp_cmd("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": PHONE[0], "height": int(height), "scale": 1}})
        path.write_bytes(base64.b64decode(shot["data"]))
        return path

    def overflows(self) -> bool:
        """Whether the page is wider than the phone's screen (it would scroll sideways)."""
        return bool(self.driver.execute_script(
            "return document.documentElement.scrollWidth > window.innerWidth"))

    def forget(self) -> None:
        """Log out the hard way: the browser forgets its cookies."""
        self.driver.delete_all_cookies()


def replaced(exc: BaseException) -> bool:
    """Whether Selenium failed because the element it held was replaced (htmx swapped the
    live part of the page): Chromium says it in two ways."""
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException

    return isinstance(exc, StaleElementReferenceException) or (
        isinstance(exc, WebDriverException) and "does not belong to the document" in str(exc))


def chromium_missing() -> str:
    if not Path(CHROMIUM).exists() or not Path(CHROMEDRIVER).exists():
        return "chromium and chromium-driver are not installed (apt-get install chromium " \
               "chromium-driver; scripts/setup does)"
    return ""


@pytest.fixture(scope="module")
def phone_browser() -> Iterator[Any]:
    """One headless Chromium per test module (a console per test points it elsewhere)."""
    missing = chromium_missing()
    if missing:
        pytest.skip(missing)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     "--disable-gpu", "--disable-extensions", "--no-first-run",
                     "--lang=vi-VN", f"--window-size={PHONE[0]},{PHONE[1]}"):
        options.add_argument(argument)
    # a desktop window is at least 500 px wide: emulate the phone's screen instead
    options.add_experimental_option("mobileEmulation", {"deviceMetrics": {
        "width": PHONE[0], "height": PHONE[1], "pixelRatio": 1.0, "touch": True}})
    options.add_experimental_option("prefs", {"intl.accept_languages": "vi-VN,vi"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def phone(phone_browser: Any) -> Iterator[Phone]:
    """The browser for one test: no cookies left from the one before."""
    phone_browser.delete_all_cookies()
    yield Phone(phone_browser)
    phone_browser.delete_all_cookies()


class Client:
    """A cookie-keeping HTTP client, for requests a browser would not make (and for the
    benchmark). `console`: a WebConsole, or the port a console listens on."""

    def __init__(self, console: WebConsole | int) -> None:
        self.port = console if isinstance(console, int) else console.port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, fields: dict[str, str] | None = None
                ) -> tuple[int, str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        body = urllib.parse.urlencode(fields or {}) if method == "POST" else None
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        for header in response.headers.get_all("Set-Cookie") or []:
            jar: http.cookies.SimpleCookie = http.cookies.SimpleCookie(header)
            for name, morsel in jar.items():
                if morsel["max-age"] == "0" or not morsel.value.strip('"'):
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return response.status, response.read().decode("utf-8", "replace")

    def csrf(self, path: str) -> str:
        """The CSRF token of the form on page `path`."""
        status, page = self.request("GET", path)
        assert status == 200, page
        found = re.search(r'name="csrf" value="([^"]+)"', page)
        assert found is not None, page
        return found.group(1)

    def log_in(self, name: str, password: str) -> None:
        token = self.csrf("/login")
        status, page = self.request("POST", "/login", {"csrf": token, "name": name,
                                                       "password": password})
        assert status == 303, page
