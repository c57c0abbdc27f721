"""Who may use the web console, and how well they proved it (issue 10).

Accounts and their open sessions live in the station database (tables built by
`broadcaster.store`, schema v4 and v5).
Their SQL is here rather than in store.py, as the upstream link's tables are in
upstream/records.py: the store owns the connection and the schema, the concept that
owns the rows reads and writes them through `store.query()` and `store.transaction()`.

Passwords are hashed with argon2id (argon2-cffi's PasswordHasher, RFC 9106's low-memory
profile by default: 64 MiB, about 0.15 s on a 2-core x86 box). argon2 is imported inside
the functions that hash, so the command line's help does not pay for it.

Names are kept in lower case (a phone capitalizes the first letter of a login field).
Passwords are compared in Unicode's composed form (NFC): a Vietnamese password typed with
Unikey's "Unicode tổ hợp" (decomposed) is the same password typed on a phone.
"""

from __future__ import annotations

import builtins  # `Accounts.list` hides the built-in in the class body
import enum
import re
import time
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from broadcaster.i18n import N_, _
from broadcaster.model import OperatorError

if TYPE_CHECKING:
    import sqlite3

    from argon2 import PasswordHasher

    from broadcaster.store import Store

MSG_BAD_NAME = N_("user name '{name}': use 1 to 32 letters a-z, digits, '.', '_' or '-' "
                  "(no spaces, no accents)")
MSG_NAME_TAKEN = N_("there is already an account named '{name}'; choose another name or "
                    "change its password with `broadcaster user passwd {name}`")
MSG_NO_ACCOUNT = N_("there is no account named '{name}'; see `broadcaster user list`")
MSG_PASSWORD_SHORT = N_("the password has {count} characters; use at least {minimum}")
MSG_PASSWORD_LONG = N_("the password has {count} characters; use at most {maximum}")
MSG_PASSWORD_IS_NAME = N_("the password must not be the user name")
MSG_LAST_LEADER = N_("'{name}' is the station's last leader; make another account a leader "
                     "first, or nobody can manage the accounts")

MIN_PASSWORD = 8
MAX_PASSWORD = 1024  # a bound on what is hashed; argon2's work does not grow with it
LOCK_AFTER = 5  # failures for a name, or from a source, within the window
LOCK_WINDOW_S = 15 * 60.0
KEEP_LOGIN_LOG_S = 366 * 86400.0  # a year, like the as-run log
_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,31}")
_LOGGED_CHARS = 64  # of a name or address typed by a stranger


class Role(enum.StrEnum):
    """What an account may do (`allowed`)."""

    VIEWER = "viewer"      # reads
    OPERATOR = "operator"  # everything a station's day needs
    LEADER = "leader"      # also manages accounts and sees the login log


ACTIONS = frozenset({"read", "queue", "cancel", "emergency", "inbox", "upload", "accounts",
                     "login_log"})
PERMISSIONS: Mapping[Role, frozenset[str]] = {
    Role.VIEWER: frozenset({"read"}),
    Role.OPERATOR: frozenset({"read", "queue", "cancel", "emergency", "inbox", "upload"}),
    Role.LEADER: ACTIONS,
}


def allowed(role: Role, action: str) -> bool:
    """May `role` do `action`? An action not in ACTIONS is a programming error (ValueError),
    so a misspelt check in the console fails loudly instead of refusing everyone."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}; one of {sorted(ACTIONS)}")
    return action in PERMISSIONS[role]


@dataclass(frozen=True)
class Account:
    name: str
    role: Role
    created_at: float  # UTC epoch seconds


@dataclass(frozen=True)
class LoginAttempt:
    at: float  # UTC epoch seconds
    name: str  # as typed (lower case), also a name that has no account
    source: str  # the client's address
    outcome: str  # "ok" | "failed" | "locked"


class Accounts:
    """The console's accounts in the station database. One per process, used from the
    thread that opened `store` (a Store is not shared between threads).

    `hasher` is argon2-cffi's PasswordHasher with the cost to use for new hashes (default:
    RFC 9106's low-memory profile, argon2id t=3 m=64 MiB p=4); a stored hash made with
    other parameters is rehashed at its next successful login. Tests pass a cheap one.
    """

    def __init__(self, store: Store, clock: Callable[[], float] = time.time, *,
                 hasher: PasswordHasher | None = None) -> None:
        self._store = store
        self._clock = clock
        self._given_hasher = hasher
        self._dummy: str | None = None

    @property
    def _hasher(self) -> PasswordHasher:
        if self._given_hasher is None:  # pinned: a new argon2-cffi does not change it unasked
            from argon2 import PasswordHasher
            from argon2.profiles import RFC_9106_LOW_MEMORY

            self._given_hasher = PasswordHasher.from_parameters(RFC_9106_LOW_MEMORY)
        return self._given_hasher

    # --- managing accounts (the CLI's `user` and the leader's page) ------------------------

    def add(self, name: str, role: Role, password: str) -> Account:
        """A new account. OperatorError (one line) when the name is taken or not a valid
        name, or the password is too weak; nothing is changed then."""
        name = _valid_name(name)
        _check_password(name, password)
        hashed = self._hasher.hash(_composed(password))
        account = Account(name, Role(role), self._clock())
        with self._store.transaction() as db:
            if db.execute("SELECT 1 FROM accounts WHERE name = ?", (name,)).fetchone():
                raise OperatorError(_(MSG_NAME_TAKEN).format(name=name))
            db.execute("INSERT INTO accounts (name, role, hash, created_at) VALUES (?,?,?,?)",
                       (name, account.role.value, hashed, account.created_at))
        return account

    def set_password(self, name: str, password: str, *, keep_session: str | None = None) -> None:
        """Replace an account's password (OperatorError: no such account, weak password).
        Every session of the account ends, but `keep_session` (the leader changing their
        own password at the console stays logged in there)."""
        name = _key(name)
        _check_password(name, password)
        hashed = self._hasher.hash(_composed(password))
        with self._store.transaction() as db:
            if not db.execute("UPDATE accounts SET hash = ? WHERE name = ?",
                              (hashed, name)).rowcount:
                raise OperatorError(_(MSG_NO_ACCOUNT).format(name=name))
            db.execute("DELETE FROM sessions WHERE name = ? AND id IS NOT ?",
                       (name, keep_session))

    def set_role(self, name: str, role: Role) -> Account:
        """Give an account another role; the last leader stays a leader."""
        name = _key(name)
        with self._store.transaction() as db:
            account = _account(db, name)
            if account.role is Role.LEADER and role is not Role.LEADER:
                _refuse_last_leader(db, name)
            db.execute("UPDATE accounts SET role = ? WHERE name = ?", (Role(role).value, name))
        return Account(account.name, Role(role), account.created_at)

    def remove(self, name: str) -> None:
        """Delete an account; refuses (OperatorError) to remove the last leader."""
        name = _key(name)
        with self._store.transaction() as db:
            if _account(db, name).role is Role.LEADER:
                _refuse_last_leader(db, name)
            db.execute("DELETE FROM accounts WHERE name = ?", (name,))
            db.execute("DELETE FROM sessions WHERE name = ?", (name,))

    def list(self) -> list[Account]:
        """Every account, by name."""
        rows = self._store.query("SELECT name, role, created_at FROM accounts ORDER BY name")
        return [Account(str(n), Role(r), float(c)) for n, r, c in rows]

    def get(self, name: str) -> Account | None:
        """The account named `name` now (None if there is none): the console checks a
        session against it, so a removed account or a changed role counts at once."""
        rows = self._store.query("SELECT name, role, created_at FROM accounts WHERE name = ?",
                                 (_key(name),))
        return Account(str(rows[0][0]), Role(rows[0][1]), float(rows[0][2])) if rows else None

    # --- sessions ------------------------------------------------------------------------

    def open_session(self, name: str, source: str, max_age_s: float) -> str:
        """A new session of the account `name` (logged in from `source`): its id, the random
        part of the session cookie. Sessions older than `max_age_s` are forgotten."""
        import secrets

        session, now = secrets.token_urlsafe(16), self._clock()
        with self._store.transaction() as db:
            db.execute("DELETE FROM sessions WHERE started_at < ?", (now - max_age_s,))
            db.execute("INSERT INTO sessions (id, name, started_at, source) VALUES (?,?,?,?)",
                       (session, _key(name), now, _printable(source)[:_LOGGED_CHARS]))
        return session

    def in_session(self, name: str, session: str) -> Account | None:
        """The account `name` now, if `session` is one of its open sessions: logging out, a
        new password or the account's removal ended it otherwise."""
        rows = self._store.query(
            "SELECT a.name, a.role, a.created_at FROM sessions s JOIN accounts a"
            " ON a.name = s.name WHERE s.id = ? AND s.name = ?", (session, _key(name)))
        return Account(str(rows[0][0]), Role(rows[0][1]), float(rows[0][2])) if rows else None

    def close_session(self, session: str) -> None:
        """End one session (logging out)."""
        with self._store.transaction() as db:
            db.execute("DELETE FROM sessions WHERE id = ?", (session,))

    # --- logging in ----------------------------------------------------------------------

    def verify(self, name: str, password: str, source: str) -> Account | None:
        """The account if `password` is its password, else None. Every attempt is logged
        with `source` (the client's address). After LOCK_AFTER failures for the name, or from
        the source, within LOCK_WINDOW_S, attempts are refused unchecked (logged "locked")
        until the window has passed; a successful login starts the name's count again.
        A name without an account costs the same work as one with (a dummy hash)."""
        hasher, dummy, password = self._hasher, self._dummy_hash(), _composed(password)
        key, source = _key(name), _printable(source)[:_LOGGED_CHARS]
        now = self._clock()
        with self._store.transaction() as db:
            db.execute("DELETE FROM login_attempts WHERE at < ?", (now - KEEP_LOGIN_LOG_S,))
            if any(len(times) >= LOCK_AFTER for times in self._failures(key, source, now)):
                db.execute("INSERT INTO login_attempts (at, name, source, outcome)"
                           " VALUES (?,?,?,'locked')", (now, key, source))
                return None
            # Logged failed until proven otherwise, so attempts made in parallel count too.
            attempt = db.execute("INSERT INTO login_attempts (at, name, source, outcome)"
                                 " VALUES (?,?,?,'failed')", (now, key, source)).lastrowid
            row = db.execute("SELECT role, hash, created_at FROM accounts WHERE name = ?",
                             (key,)).fetchone()
        stored = str(row[1]) if row else dummy
        if not _matches(hasher, stored, password) or row is None:
            return None
        rehashed = hasher.hash(password) if hasher.check_needs_rehash(stored) else None
        with self._store.transaction() as db:
            db.execute("UPDATE login_attempts SET outcome = 'ok' WHERE rowid = ?", (attempt,))
            if rehashed is not None:
                db.execute("UPDATE accounts SET hash = ? WHERE name = ? AND hash = ?",
                           (rehashed, key, stored))
        return Account(key, Role(row[0]), float(row[2]))

    def locked_until(self, name: str, source: str) -> float | None:
        """When attempts for `name` from `source` will be checked again (epoch seconds), or
        None when they are not locked now: for the login page to say how long to wait."""
        now = self._clock()
        failures = self._failures(_key(name), _printable(source)[:_LOGGED_CHARS], now)
        ends = [_lock_end(times) for times in failures]
        return max((end for end in ends if end is not None and end > now), default=None)

    def login_log(self, limit: int = 100) -> builtins.list[LoginAttempt]:
        """The latest `limit` attempts, newest first."""
        rows = self._store.query("SELECT at, name, source, outcome FROM login_attempts"
                                 " ORDER BY at DESC, rowid DESC LIMIT ?", (limit,))
        return [LoginAttempt(float(a), str(n), str(s), str(o)) for a, n, s, o in rows]

    def _failures(self, key: str, source: str,
                  now: float) -> tuple[builtins.list[float], builtins.list[float]]:
        """The times of the failures that count: for the name since the window's start or
        its last good login, and from the source since the window's start."""
        window = now - LOCK_WINDOW_S
        ((last_ok,),) = self._store.query(
            "SELECT max(at) FROM login_attempts WHERE name = ? AND outcome = 'ok' AND at > ?",
            (key, window))
        by_name = self._store.query(
            "SELECT at FROM login_attempts WHERE name = ? AND outcome = 'failed' AND at > ?",
            (key, window if last_ok is None else max(window, float(last_ok))))
        by_source = self._store.query(
            "SELECT at FROM login_attempts WHERE source = ? AND outcome = 'failed' AND at > ?",
            (source, window))
        return [float(at) for (at,) in by_name], [float(at) for (at,) in by_source]

    def _dummy_hash(self) -> str:
        """A hash of nothing anyone knows, checked when the name has no account. Made at the
        first attempt, whatever its name, so that one's extra work says nothing either."""
        if self._dummy is None:
            import secrets  # here: hashlib's OpenSSL costs every command 5 ms to import

            self._dummy = self._hasher.hash(secrets.token_urlsafe(16))
        return self._dummy


def _matches(hasher: PasswordHasher, stored: str, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def _lock_end(failures: list[float]) -> float | None:
    """When a lock made of these failures ends: the moment fewer than LOCK_AFTER of them
    are left in the window (None: they do not make a lock)."""
    if len(failures) < LOCK_AFTER:
        return None
    return sorted(failures)[-LOCK_AFTER] + LOCK_WINDOW_S


def _account(db: sqlite3.Connection, name: str) -> Account:
    row = db.execute("SELECT role, created_at FROM accounts WHERE name = ?", (name,)).fetchone()
    if row is None:
        raise OperatorError(_(MSG_NO_ACCOUNT).format(name=name))
    return Account(name, Role(row[0]), float(row[1]))


def _refuse_last_leader(db: sqlite3.Connection, name: str) -> None:
    (leaders,) = db.execute("SELECT count(*) FROM accounts WHERE role = ?",
                            (Role.LEADER.value,)).fetchone()
    if leaders <= 1:
        raise OperatorError(_(MSG_LAST_LEADER).format(name=name))


def _key(name: str) -> str:
    """A name as accounts and the login log keep it: lower case, printable, bounded."""
    return _printable(name.strip().lower())[:_LOGGED_CHARS]


def _printable(text: str) -> str:
    """Text a stranger typed, safe to keep and show: control characters become '?'."""
    return "".join(c if c.isprintable() else "?" for c in text)


def _valid_name(name: str) -> str:
    key = _key(name)
    if not _NAME.fullmatch(key):
        raise OperatorError(_(MSG_BAD_NAME).format(name=key))
    return key


def _composed(password: str) -> str:
    return unicodedata.normalize("NFC", password)


def _check_password(name: str, password: str) -> None:
    password = _composed(password)
    if len(password) < MIN_PASSWORD:
        raise OperatorError(_(MSG_PASSWORD_SHORT).format(count=len(password),
                                                         minimum=MIN_PASSWORD))
    if len(password) > MAX_PASSWORD:
        raise OperatorError(_(MSG_PASSWORD_LONG).format(count=len(password),
                                                        maximum=MAX_PASSWORD))
    if password.strip().lower() == name:
        raise OperatorError(_(MSG_PASSWORD_IS_NAME))
