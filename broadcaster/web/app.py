"""The console as one Starlette application (`create_app`) and the server that runs it
(`serve`, what `broadcaster web` calls): uvicorn on `[web] listen`, TLS when the config
names a certificate and its key.

A separate process from the daemon: the daemon stays small, and the console reaches the
station only through the functions the command line uses (the database, the live status
file, a poke on the daemon's local socket); nothing of the daemon listens on the LAN.
Every response carries headers that keep the pages to themselves (no framing, no other
origin's scripts); a request body larger than a form or an upload needs is refused before
it is read; an error never shows the browser a traceback (it goes to the journal).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from broadcaster.clock import station_now
from broadcaster.i18n import N_, _
from broadcaster.web import as_run, inbox, login, notices, on_air, people, rundown, uploads
from broadcaster.web.console import Console

if TYPE_CHECKING:
    from broadcaster.config import Config

log = logging.getLogger("broadcaster.web")

STATIC = Path(__file__).parent / "static"
MAX_FORM_BYTES = 4 * 1024 * 1024  # the longest notice (200,000 characters) form-encoded
UPLOAD_SLACK = 64 * 1024  # the multipart wrapping around the file
MSG_NOT_FOUND = N_("There is no such page.")
MSG_TOO_LARGE = N_("That is more than the console takes at once (at most {most} MB).")
MSG_LENGTH_REQUIRED = N_("The browser did not say how much it sends; try another browser.")
MSG_UNEXPECTED = N_("Something went wrong on the station's box ({kind}); the station goes on "
                    "airing. Try again; if it happens again, tell the technician "
                    "(journalctl -u broadcaster-web).")
MSG_METHOD = N_("This page does not take that request.")
HEADERS = [
    (b"content-security-policy",
     b"default-src 'self'; img-src 'self' data:; media-src 'self'; object-src 'none'; "
     b"base-uri 'none'; form-action 'self'; frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
]


def create_app(config: Config, clock: Callable[[], datetime] | None = None) -> Starlette:
    """The console of the station `config` describes; `clock` gives the station's time
    (aware), by default the system clock in the station's zone."""
    console = Console(config, clock or (lambda: station_now(config)))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            console.close()

    routes = [*login.ROUTES, *on_air.ROUTES, *notices.ROUTES, *uploads.ROUTES,
              *rundown.ROUTES, *as_run.ROUTES, *inbox.ROUTES, *people.ROUTES,
              Mount("/static", StaticFiles(directory=STATIC), name="static")]
    app = Starlette(routes=routes, lifespan=lifespan,
                    middleware=[Middleware(Guard, console=console)],
                    exception_handlers={HTTPException: _http_error, Exception: _unexpected})
    app.state.console = console
    return app


class Guard:
    """Around every request: the security headers on every answer, and a body larger than
    the route takes refused (413) before any of it is read."""

    def __init__(self, app: ASGIApp, console: Console) -> None:
        self.app = app
        self.console = console

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [pair for pair in message.get("headers", [])
                           if pair[0] not in {name for name, _value in HEADERS}]
                if not scope["path"].startswith("/static/"):
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers + HEADERS}
            await send(message)

        refusal = self._too_large(scope)
        if refusal is not None:
            await refusal(scope, receive, send_with_headers)
            return
        await self.app(scope, receive, send_with_headers)

    def _too_large(self, scope: Scope) -> Response | None:
        if scope["method"] not in ("POST", "PUT", "PATCH"):
            return None
        most = (uploads.MAX_UPLOAD_MB * 1024 * 1024 + UPLOAD_SLACK
                if scope["path"] == "/upload" else MAX_FORM_BYTES)
        length = dict(scope["headers"]).get(b"content-length")
        request = Request(scope)
        if length is None or not length.isdigit():
            return self.console.refusal(request, _(MSG_LENGTH_REQUIRED), 411)
        if int(length) > most:
            return self.console.refusal(request, _(MSG_TOO_LARGE).format(
                most=round(most / 1024 / 1024)), 413)
        return None


async def _http_error(request: Request, exc: Exception) -> Response:
    console: Console = request.app.state.console
    status = getattr(exc, "status_code", 500)
    message = _(MSG_NOT_FOUND) if status == 404 else _(MSG_METHOD)
    return console.refusal(request, message, status)


async def _unexpected(request: Request, exc: Exception) -> Response:
    """One line for the browser; the traceback goes to the journal (uvicorn logs it when
    Starlette raises the exception again). Sent from outside Guard: its headers here."""
    log.error("%s %s failed: %s", request.method, request.url.path, type(exc).__name__)
    console: Console = request.app.state.console
    response = console.refusal(request, _(MSG_UNEXPECTED).format(kind=type(exc).__name__), 500)
    response.headers.update({name.decode(): value.decode() for name, value in HEADERS})
    return response


def serve(config: Config) -> None:
    """Run the console until SIGTERM or Ctrl-C (what `broadcaster web` does)."""
    import uvicorn

    host, port = config.web.address()
    server = uvicorn.Server(uvicorn.Config(
        create_app(config), host=host, port=port, ssl_certfile=config.web.tls_cert,
        ssl_keyfile=config.web.tls_key, proxy_headers=False, server_header=False,
        access_log=False, log_level="info", lifespan="on", timeout_graceful_shutdown=5))
    server.run()
