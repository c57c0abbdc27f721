"""Who is at the console: the session cookie, the CSRF token every form carries, and the one
thread that checks passwords.

The session cookie is signed (broadcaster.web.security), HttpOnly, SameSite=Strict, and
Secure when the console speaks TLS. Its role is only a hint: each request reads the account
and the session again, so a removed account, a changed role, a new password (which ends
the account's other sessions) or logging out counts at once. Before logging in, a random
cookie of its own binds the login form's CSRF token.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from broadcaster.store import open_store
from broadcaster.web.accounts import Account, Accounts, Role, allowed
from broadcaster.web.security import csrf_ok, csrf_token, read_session, sign_session

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

    from broadcaster.config import Config
    from broadcaster.store import Store

T = TypeVar("T")

SESSION_COOKIE = "broadcaster_session"
LOGIN_COOKIE = "broadcaster_login"
SESSION_MAX_AGE_S = 12 * 3600  # an officer's working day; then the password again
LOGIN_FORM_MAX_AGE_S = 3600


@dataclass(frozen=True)
class Visitor:
    """A logged-in person: their account's name and role now, their session token, and
    the CSRF token of their forms."""

    name: str
    role: Role
    token: str
    csrf: str
    session: str

    def may(self, action: str) -> bool:
        return allowed(self.role, action)


class Sessions:
    """Session cookies signed with the console's `secret`; `now` gives epoch seconds."""

    def __init__(self, config: Config, secret: bytes, now: Callable[[], float], *,
                 secure: bool) -> None:
        self._config = config
        self._secret = secret
        self._now = now
        self._secure = secure

    def signed_in(self, request: Request) -> tuple[str, str] | None:
        """(name, session token) when the cookie's signature is good; no database read, so
        a session ended on the server still passes (only for what says nothing: whether
        the station changed, a preview's sound)."""
        token = request.cookies.get(SESSION_COOKIE, "")
        found = read_session(self._secret, token, SESSION_MAX_AGE_S, self._now()) if token \
            else None
        return (found.name, token) if found is not None else None

    def visitor(self, request: Request) -> Visitor | None:
        """Who sent `request`: None without a good cookie, when its session was ended or
        the account is gone. Reads the database: call it from a worker thread."""
        token = request.cookies.get(SESSION_COOKIE, "")
        claim = read_session(self._secret, token, SESSION_MAX_AGE_S, self._now()) if token \
            else None
        if claim is None:
            return None
        store = open_store(self._config)
        try:
            account = Accounts(store).in_session(claim.name, claim.session)
        finally:
            store.close()
        if account is None:
            return None
        return Visitor(account.name, account.role, token, csrf_token(self._secret, token),
                       claim.session)

    def csrf_ok(self, visitor: Visitor, token: str) -> bool:
        return csrf_ok(self._secret, visitor.token, token)

    def start(self, response: Response, account: Account, session: str) -> None:
        """Give the browser the cookie of `session` (from `Accounts.open_session`)."""
        token = sign_session(self._secret, account.name, account.role, self._now(), session)
        self._set(response, SESSION_COOKIE, token, SESSION_MAX_AGE_S)
        response.delete_cookie(LOGIN_COOKIE, path="/")

    def end(self, response: Response) -> None:
        response.delete_cookie(SESSION_COOKIE, path="/", secure=self._secure, httponly=True,
                               samesite="strict")

    def login_form(self, request: Request) -> tuple[str, str | None]:
        """The login form's CSRF token, and the new pre-login cookie to set (None: the
        browser's own is still good)."""
        nonce = request.cookies.get(LOGIN_COOKIE, "")
        fresh = None
        if len(nonce) < 20:
            nonce = fresh = secrets.token_urlsafe(24)
        return csrf_token(self._secret, f"login:{nonce}"), fresh

    def login_csrf_ok(self, request: Request, token: str) -> bool:
        nonce = request.cookies.get(LOGIN_COOKIE, "")
        return len(nonce) >= 20 and csrf_ok(self._secret, f"login:{nonce}", token)

    def set_login_cookie(self, response: Response, nonce: str) -> None:
        self._set(response, LOGIN_COOKIE, nonce, LOGIN_FORM_MAX_AGE_S)

    def _set(self, response: Response, name: str, value: str, max_age: float) -> None:
        response.set_cookie(name, value, max_age=int(max_age), path="/", secure=self._secure,
                            httponly=True, samesite="strict")


class Doorkeeper:
    """The one thread that checks and sets passwords. An argon2 hash takes 64 MiB and about
    0.15 s (more on a Pi): logins wait their turn rather than twenty of them taking the
    box's memory at once. Owns its own connection to the station database."""

    def __init__(self, config: Config, now: Callable[[], float]) -> None:
        self._config = config
        self._now = now
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="doorkeeper")
        self._store: Store | None = None
        self._accounts: Accounts | None = None

    async def run(self, work: Callable[[Accounts], T]) -> T:
        """`work(accounts)` on the doorkeeper's thread; its result or its exception."""
        return await asyncio.wrap_future(self._pool.submit(self._call, work))

    def _call(self, work: Callable[[Accounts], T]) -> T:
        if self._accounts is None:
            self._store = open_store(self._config)
            self._accounts = Accounts(self._store, self._now)
        return work(self._accounts)

    def close(self) -> None:
        self._pool.submit(self._close).result()
        self._pool.shutdown()

    def _close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = self._accounts = None
