"""Logging in and out. Every attempt goes through `Accounts.verify` (rate-limited and
logged there), one at a time on the doorkeeper's thread."""

from __future__ import annotations

from datetime import datetime

from starlette.concurrency import run_in_threadpool
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from broadcaster.clock import zone
from broadcaster.i18n import N_, _
from broadcaster.web.accounts import Account, Accounts
from broadcaster.web.console import (
    CSRF_FIELD,
    MSG_BAD_FORM,
    MSG_FORM_EXPIRED,
    Console,
    Visit,
    page,
)
from broadcaster.web.sessions import SESSION_COOKIE, SESSION_MAX_AGE_S

MSG_WRONG = N_("Wrong name or password.")
MSG_LOCKED = N_("Too many wrong attempts for this name or from this device; try again "
                "after {when}.")
MAX_FIELD = 1024


def _next(value: str | None) -> str:
    """Where to go after logging in: a path of this console only."""
    if value and value.startswith("/") and not value.startswith(("//", "/\\")):
        return value
    return "/"


async def login_page(request: Request) -> Response:
    console: Console = request.app.state.console
    if await run_in_threadpool(console.sessions.visitor, request) is not None:
        return RedirectResponse(_next(request.query_params.get("next")), status_code=303)
    response = _form(console, request, name="", error="", status=200)
    if SESSION_COOKIE in request.cookies:  # a session ended on the server: forget it here
        console.sessions.end(response)
    return response


def _form(console: Console, request: Request, *, name: str, error: str,
          status: int, target: str | None = None) -> Response:
    token, fresh = console.sessions.login_form(request)
    response = console.draw(request, "login.html", visitor=None, status=status, csrf=token,
                            name=name, error=error,
                            next=target or _next(request.query_params.get("next")))
    if fresh is not None:
        console.sessions.set_login_cookie(response, fresh)
    return response


async def log_in(request: Request) -> Response:
    console: Console = request.app.state.console
    try:
        form = await request.form(max_files=0, max_fields=10)
    except MultiPartException:
        return console.refusal(request, _(MSG_BAD_FORM), 400)
    token, name, password, target = (form.get(key) for key in (CSRF_FIELD, "name", "password",
                                                                "next"))
    if not isinstance(token, str) or not console.sessions.login_csrf_ok(request, token):
        return console.refusal(request, _(MSG_FORM_EXPIRED), 403)
    name = name[:MAX_FIELD] if isinstance(name, str) else ""
    password = password[:MAX_FIELD] if isinstance(password, str) else ""
    target = _next(target if isinstance(target, str) else None)
    source = request.client.host if request.client is not None else "unknown"
    def verify(accounts: Accounts) -> tuple[Account, str] | None:
        account = accounts.verify(name, password, source)
        if account is None:
            return None
        return account, accounts.open_session(account.name, source, SESSION_MAX_AGE_S)

    opened = await console.doorkeeper.run(verify)
    if opened is None:
        locked = await console.doorkeeper.run(lambda accounts: accounts.locked_until(name,
                                                                                     source))
        error = _(MSG_WRONG) if locked is None else _(MSG_LOCKED).format(
            when=datetime.fromtimestamp(locked, zone(console.config)).strftime("%H:%M"))
        return _form(console, request, name=name, error=error, status=401, target=target)
    response = RedirectResponse(target, status_code=303)
    console.sessions.start(response, *opened)
    return response


@page("read")
def log_out(visit: Visit) -> Response:
    """End the session on the server too: a copy of the cookie is worth nothing after."""
    import anyio.from_thread

    session = visit.visitor.session
    anyio.from_thread.run(visit.console.doorkeeper.run,
                          lambda accounts: accounts.close_session(session))
    response = visit.go("/login")
    visit.console.sessions.end(response)
    return response


ROUTES = [
    Route("/login", login_page, methods=["GET"]),
    Route("/login", log_in, methods=["POST"]),
    Route("/logout", log_out, methods=["POST"]),
]
