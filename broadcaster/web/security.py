"""The console's session cookie and CSRF tokens: pure functions of a secret key and a clock.

The key is 32 random bytes in a file of the data directory (mode 0600), made once and
reused, so a restart of `broadcaster web` keeps everyone logged in. A session token is
itsdangerous' URLSafeTimedSerializer of (name, role, session id) with the time it was
issued; the session id is checked against the database's open sessions. A CSRF
token is an HMAC of the session token, so it is good only with the session it was made for.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import os
import secrets
import stat
from pathlib import Path
from typing import NamedTuple

from itsdangerous import BadSignature, TimestampSigner, URLSafeTimedSerializer

from broadcaster.i18n import N_, _
from broadcaster.model import OperatorError
from broadcaster.web.accounts import Role

MSG_SECRET_UNREADABLE = N_("{path}: cannot read or write the console's secret key ({reason})")

SECRET_FILE = "web-secret.key"  # noqa: S105 - a file name in the data_dir, not a secret
SECRET_BYTES = 32
_SESSION_SALT = "broadcaster.web.session"
_CSRF_KEY = b"broadcaster.web.csrf"  # derives the CSRF key from the secret: one key, one use


def new_secret(path: Path) -> bytes:
    """The console's secret key kept at `path`: made (random, mode 0600) the first time,
    read back after. A file of another size, or one that others could read, is replaced:
    sessions signed with the old key end, nothing else does. OperatorError when the folder
    cannot be written or the file read."""
    try:
        found = path.lstat()
        if (stat.S_ISREG(found.st_mode) and found.st_mode & 0o077 == 0
                and found.st_size == SECRET_BYTES):
            return path.read_bytes()
        path.unlink()
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise OperatorError(_(MSG_SECRET_UNREADABLE).format(path=path,
                                                            reason=exc.strerror)) from None
    return _create(path)


def _create(path: Path) -> bytes:
    """Write a new key beside `path` and link it into place: a process starting at the
    same moment either links its own first or reads the whole of ours, never half."""
    secret = secrets.token_bytes(SECRET_BYTES)
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(draft, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        try:
            os.write(descriptor, secret)
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        try:
            os.link(draft, path)
        except FileExistsError:
            return path.read_bytes()
        return secret
    except OSError as exc:
        raise OperatorError(_(MSG_SECRET_UNREADABLE).format(path=path,
                                                            reason=exc.strerror)) from None
    finally:
        with contextlib.suppress(OSError):
            draft.unlink()


class Claim(NamedTuple):
    """What a session token says: who, with which role when it was issued, which session."""

    name: str
    role: Role
    session: str


def sign_session(secret: bytes, name: str, role: Role, issued_at: float, session: str) -> str:
    """The session token (for a signed, HttpOnly, SameSite cookie) of `name` logged in with
    `role` at `issued_at` (epoch seconds), in the session `session`: a random id, which
    makes every login's token (and so its CSRF token) its own, and which the server can end
    (`Accounts.open_session`)."""
    return _serializer(secret, issued_at).dumps([name, Role(role).value, session])


def read_session(secret: bytes, token: str, max_age_s: float, now: float) -> Claim | None:
    """What a token `sign_session` made says, or None when it is forged, altered, older
    than `max_age_s` at `now` or issued after `now` (the clock went back)."""
    try:
        name, role, session = _serializer(secret, now).loads(token, max_age=int(max_age_s))
        return Claim(str(name), Role(role), str(session))
    except (BadSignature, ValueError, TypeError):
        return None  # SignatureExpired is a BadSignature; ValueError: not 3 parts, no role


def csrf_token(secret: bytes, session_token: str) -> str:
    """The token every form of this session carries."""
    key = hmac.new(secret, _CSRF_KEY, hashlib.sha256).digest()
    mac = hmac.new(key, session_token.encode("utf-8", "surrogateescape"), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode("ascii")


def csrf_ok(secret: bytes, session_token: str, token: str) -> bool:
    """Is `token` the CSRF token of this session? (compared in constant time)"""
    expected = csrf_token(secret, session_token).encode("ascii")
    return hmac.compare_digest(expected, token.encode("utf-8", "surrogateescape"))


def _serializer(secret: bytes, now: float) -> URLSafeTimedSerializer:
    """The serializer with its clock set to `now` (itsdangerous reads time.time())."""

    class SignerAt(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(now)

    return URLSafeTimedSerializer(secret, salt=_SESSION_SALT, signer=SignerAt,
                                  signer_kwargs={"digest_method": hashlib.sha256})
