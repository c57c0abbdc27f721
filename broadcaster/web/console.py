"""What every page of the console shares: the station it runs, who is asking and whether
they may, the CSRF check of every form, and how a page is drawn or refused.

A page is a plain function `body(visit) -> Response`, wrapped by `page(action)`: the
wrapper sends a stranger to the login page, refuses (403) a POST without its CSRF token
and an account whose role may not do `action`, then runs the body in a worker thread (the
station's functions block: SQLite, the render worker). An OperatorError from the body is
the one-line refusal the CLI would print, shown on the page.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import MultiPartException
from starlette.responses import HTMLResponse, RedirectResponse, Response

from broadcaster.clock import zone
from broadcaster.i18n import N_, _, language
from broadcaster.model import OperatorError
from broadcaster.web.previews import Previews
from broadcaster.web.security import SECRET_FILE, new_secret
from broadcaster.web.sessions import Doorkeeper, Sessions, Visitor
from broadcaster.web.templates import ROLES, environment
from broadcaster.web.watch import StationWatch

if TYPE_CHECKING:
    from starlette.requests import Request

    from broadcaster.config import Config

log = logging.getLogger("broadcaster.web")

MSG_NOT_ALLOWED = N_("Your account ({role}) may not do this; ask the station's leader.")
MSG_FORM_EXPIRED = N_("This form is out of date (it belongs to an earlier login); go back, "
                      "reload the page and try again.")
MSG_LOG_IN_AGAIN = N_("Your session has ended; log in again.")
MSG_BAD_FORM = N_("The form could not be read; reload the page and try again.")

CSRF_FIELD = "csrf"
MAX_FIELDS = 40  # a form's own fields; one more per zone (a box each)

Endpoint = Callable[["Request"], Awaitable[Response]]


@dataclass(frozen=True)
class NavItem:
    path: str
    label: str
    action: str


# The console's menu, in the order an officer needs it; `action` decides who sees it.
NAV = (
    NavItem("/", N_("On air"), "read"),
    NavItem("/compose", N_("Compose"), "queue"),
    NavItem("/queue", N_("Queue"), "read"),
    NavItem("/schedule", N_("Schedule"), "read"),
    NavItem("/log", N_("As-run log"), "read"),
    NavItem("/inbox", N_("Upstream inbox"), "read"),
    NavItem("/upload", N_("Upload"), "upload"),
    NavItem("/accounts", N_("Accounts"), "accounts"),
)


class Console:
    """One console process: its station, clock, secret key, templates and helpers."""

    def __init__(self, config: Config, clock: Callable[[], datetime]) -> None:
        self.config = config
        self.clock = clock
        self.tls = config.web.tls_cert is not None
        secret = new_secret(config.data_dir / SECRET_FILE)
        self.sessions = Sessions(config, secret, self.epoch, secure=self.tls)
        self.doorkeeper = Doorkeeper(config, self.epoch)
        self.watch = StationWatch(config)
        self.previews = Previews()
        self.templates = environment(zone(config), lambda: self.clock().date())

    def epoch(self) -> float:
        return self.clock().timestamp()

    def draw(self, request: Request, template: str, *, visitor: Visitor | None,
             status: int = 200, version: int = 0, **context: object) -> HTMLResponse:
        """A whole page from `template` (which extends base.html). Every page knows the
        station's zones (`station_zones`, config order; empty: it has none)."""
        now = self.clock()
        offset = now.utcoffset()
        html = self.templates.get_template(template).render(
            request=request, visitor=visitor, station=self.config.station.name,
            lang=language(), now=now, version=version,
            offset_min=int(offset.total_seconds() // 60) if offset is not None else 0,
            nav=[(item.path, _(item.label)) for item in NAV
                 if visitor is not None and visitor.may(item.action)],
            here=request.url.path, station_zones=list(self.config.zones),
            **{"csrf": visitor.csrf if visitor else "", **context})
        return HTMLResponse(html, status_code=status)

    def refusal(self, request: Request, message: str, status: int,
                visitor: Visitor | None = None) -> HTMLResponse:
        return self.draw(request, "refused.html", visitor=visitor, status=status,
                         message=message)

    def close(self) -> None:
        self.watch.close()
        self.doorkeeper.close()


@dataclass(frozen=True)
class Visit:
    """One request to a page, for its body: who asks, what the form says."""

    console: Console
    request: Request
    visitor: Visitor
    form: FormData | None
    version: int
    query: dict[str, str] = field(default_factory=dict)

    @property
    def config(self) -> Config:
        return self.console.config

    def field(self, name: str, default: str = "") -> str:
        """A text field of the form (or of the query string for a GET); `default` when it
        is missing or a file."""
        value = self.form.get(name) if self.form is not None else self.query.get(name)
        return value.strip() if isinstance(value, str) else default

    def values(self, name: str) -> list[str]:
        """Every value of a field the form repeats (ticked boxes), in the form's order;
        files and empty values left out."""
        given = (self.form.getlist(name) if self.form is not None
                 else self.request.query_params.getlist(name))
        return [value.strip() for value in given if isinstance(value, str) and value.strip()]

    def upload(self, name: str) -> UploadFile | None:
        value = self.form.get(name) if self.form is not None else None
        return value if isinstance(value, UploadFile) else None

    def show(self, template: str, status: int = 200, **context: object) -> HTMLResponse:
        return self.console.draw(self.request, template, visitor=self.visitor, status=status,
                                 version=self.version, **context)

    def refuse(self, message: str, status: int = 400) -> HTMLResponse:
        return self.console.refusal(self.request, message, status, self.visitor)

    def go(self, path: str) -> RedirectResponse:
        """After a change: to the page that shows it (303, so a reload does not repeat it)."""
        return RedirectResponse(path, status_code=303)


def page(action: str) -> Callable[[Callable[[Visit], Response]], Endpoint]:
    """Make `body` an endpoint that only a visitor allowed `action` reaches (see module)."""

    def wrap(body: Callable[[Visit], Response]) -> Endpoint:
        async def endpoint(request: Request) -> Response:
            console: Console = request.app.state.console
            visitor = await run_in_threadpool(console.sessions.visitor, request)
            if visitor is None:
                if request.method == "GET":
                    target = request.url.path + (f"?{request.url.query}"
                                                 if request.url.query else "")
                    return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
                return console.refusal(request, _(MSG_LOG_IN_AGAIN), 403)
            if not visitor.may(action):
                return console.refusal(request, _(MSG_NOT_ALLOWED).format(
                    role=_(ROLES[visitor.role.value])), 403, visitor)
            form = None
            if request.method == "POST":
                try:
                    form = await request.form(
                        max_files=1, max_fields=MAX_FIELDS + len(console.config.zones))
                except MultiPartException:
                    return console.refusal(request, _(MSG_BAD_FORM), 400, visitor)
                token = form.get(CSRF_FIELD)
                if not isinstance(token, str) or not console.sessions.csrf_ok(visitor, token):
                    await form.close()
                    return console.refusal(request, _(MSG_FORM_EXPIRED), 403, visitor)
            visit = Visit(console, request, visitor, form, console.watch.version(),
                          dict(request.query_params))
            try:
                return await run_in_threadpool(_answer, body, visit)
            finally:
                if form is not None:
                    await form.close()

        endpoint.__name__ = body.__name__
        endpoint.__doc__ = body.__doc__
        return endpoint

    return wrap


def _answer(body: Callable[[Visit], Response], visit: Visit) -> Response:
    """The body's page, or the refusal it raised as the CLI would print it."""
    try:
        return body(visit)
    except OperatorError as refused:
        return visit.refuse(refused.on_a_form)
