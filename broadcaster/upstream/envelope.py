"""The signed envelope every upstream push travels in (SPEC §7), and the keys that sign it.

An envelope is one JSON object: {v, id, seq, issued, expires, key_id, target, level,
payload, sig}, and `kind` for anything but a push. `sig` is Ed25519 over the canonical
encoding of every other field (JSON, keys sorted, no spaces, UTF-8, prefixed by a domain
tag), so a payload changed after signing — by a broker, a proxy, anyone — no longer
verifies. Times are UTC, written
`2026-05-01T05:30:00Z`. The payload is the playlist (SPEC §5) as YAML text, or as a
JSON mapping of the same keys.

A revocation is an envelope of `kind: "revoke"` (no `level`) whose payload is
{"keys": [key ids], "reason": text}: it travels on the push topics, signed by a trusted
key. A push has no `kind` field, so a station built before revocations refuses one
cleanly ("unknown field(s): kind"), records it and answers `rejected`; a station
refuses a kind it does not know the same way, by name.

A slot order is an envelope of `kind: "slot"` (no `level`) whose payload is
{"action": "install", "name": NAME, "playlist": TEXT} (install or replace the slot
playlist NAME) or {"action": "remove", "name": NAME}.

A push or slot order that carries recorded audio lists its files in `files` (files.py:
name, SHA-256, size, each chunk's SHA-256); the field is absent otherwise, so a text
push reads the same to a station built before audio pushes.

Keys are PEM files: the district's private key (PKCS#8, mode 0600) and its public key,
which stations list in `[district] trusted_keys`. A key's id is its fingerprint.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from broadcaster.i18n import N_, _
from broadcaster.model import Level, OperatorError, one_line

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )

VERSION = 1
MAX_BYTES = 256 * 1024  # refused before parsing: a push is a bulletin, not an archive
_DOMAIN = b"broadcaster-push-v1\n"  # a signature over a push is never valid for anything else
_FIELDS = ("v", "id", "seq", "issued", "expires", "key_id", "kind", "target", "level",
           "payload", "files", "sig")
# The kinds this station reads; a push has no `kind` field. A slot order installs,
# replaces or removes a slot playlist (the province's weekly program).
PUSH, REVOKE, SLOT = "push", "revoke", "slot"
KEY_ID_CHARS = 32  # hex digits of a key id
MAX_REVOKED = 16  # key ids in one revocation
MAX_REASON_CHARS = 200

# Reasons for refusing a push, recorded and sent back in the `rejected` receipt.
MSG_TOO_BIG = N_("message is {size} bytes, more than the {limit} allowed")
MSG_NOT_JSON = N_("not a JSON envelope ({reason})")
MSG_BAD_FIELD = N_("envelope field '{field}' {problem}")
MSG_UNKNOWN_FIELDS = N_("envelope has unknown field(s): {fields}")
MSG_UNKNOWN_KEY = N_("signed by key {key_id}, which is not in this station's trusted_keys")
MSG_BAD_SIGNATURE = N_("the signature does not match the content (changed after signing?)")
MSG_UNSUPPORTED = N_("envelope version {v} is not supported (this station reads version 1)")
MSG_UNKNOWN_KIND = N_("envelope kind {kind!r} is not known to this station (it reads pushes "
                      "and revocations); update the station's software")
MSG_BAD_REVOCATION = N_("invalid revocation: {problem}")

# Operator-facing messages about key files.
MSG_KEY_UNREADABLE = N_("{path}: cannot read the key file ({reason})")
MSG_KEY_INVALID = N_("{path}: not an Ed25519 {kind} key in PEM form; make one with "
                     "`broadcaster district keygen`")
MSG_KEY_EXISTS = N_("{path} already exists; refusing to overwrite a key (move it away first)")


class Refused(Exception):
    """A push the station will not take; str() is the one-line reason it records and sends
    back. `message_id` and `key_id` are what the message claimed, when it could be read."""

    def __init__(self, reason: str, message_id: str | None = None,
                 key_id: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.message_id = message_id
        self.key_id = key_id


@dataclass(frozen=True)
class Envelope:
    """A push as read from the wire; `verify` says whether it is authentic."""

    v: int
    id: str
    seq: int
    issued: datetime
    expires: datetime
    key_id: str
    target: str  # "all" or a station id
    level: Level | None  # a push's level; a revocation has none
    payload: str | dict[str, Any]
    sig: bytes
    signed: bytes  # the canonical bytes the signature covers
    digest: str  # sha256 of the raw message: tells a repeated delivery from a new message
    kind: str = PUSH  # PUSH, REVOKE or SLOT
    files: object = None  # the `files` field as sent (files.read_manifests checks it)

    def playlist_text(self) -> str:
        """The payload as playlist text: YAML as sent, or the mapping as JSON (which YAML
        reads), one key per line so a problem still has a line number."""
        if isinstance(self.payload, str):
            return self.payload
        return json.dumps(self.payload, ensure_ascii=False, indent=1)


def canonical(fields: dict[str, Any]) -> bytes:
    """The bytes a signature covers: every field except `sig`, in one fixed encoding."""
    body = {key: value for key, value in fields.items() if key != "sig"}
    return _DOMAIN + json.dumps(body, sort_keys=True, separators=(",", ":"),
                                ensure_ascii=False, allow_nan=False).encode("utf-8")


def utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def seal(private_key: Ed25519PrivateKey, *, seq: int, issued: datetime, expires: datetime,
         target: str, level: Level, payload: str | dict[str, Any],
         message_id: str | None = None, files: list[dict[str, Any]] | None = None) -> bytes:
    """A signed push, ready to publish (UTF-8 JSON bytes); `files` describes the recorded
    audio it carries (files.FileManifest.as_json of each)."""
    fields: dict[str, Any] = {
        "v": VERSION, "id": message_id or str(uuid.uuid4()), "seq": seq,
        "issued": utc_text(issued), "expires": utc_text(expires),
        "key_id": key_id(private_key.public_key()), "target": target, "level": level.value,
        "payload": payload,
    }
    if files:
        fields["files"] = files
    return _signed(private_key, fields)


def seal_slot(private_key: Ed25519PrivateKey, *, seq: int, issued: datetime,
              expires: datetime, target: str, action: str, name: str,
              playlist: str | None = None, message_id: str | None = None,
              files: list[dict[str, Any]] | None = None) -> bytes:
    """A signed slot order (`action` "install" with the playlist text, or "remove")."""
    payload: dict[str, Any] = {"action": action, "name": name}
    if playlist is not None:
        payload["playlist"] = playlist
    fields: dict[str, Any] = {
        "v": VERSION, "id": message_id or str(uuid.uuid4()), "seq": seq,
        "issued": utc_text(issued), "expires": utc_text(expires),
        "key_id": key_id(private_key.public_key()), "kind": SLOT, "target": target,
        "payload": payload,
    }
    if files:
        fields["files"] = files
    return _signed(private_key, fields)


def seal_revocation(private_key: Ed25519PrivateKey, *, seq: int, issued: datetime,
                    expires: datetime, target: str, keys: list[str], reason: str,
                    message_id: str | None = None) -> bytes:
    """A signed revocation of the key ids `keys`, ready to publish on the push topics."""
    return _signed(private_key, {
        "v": VERSION, "id": message_id or str(uuid.uuid4()), "seq": seq,
        "issued": utc_text(issued), "expires": utc_text(expires),
        "key_id": key_id(private_key.public_key()), "kind": REVOKE, "target": target,
        "payload": {"keys": keys, "reason": reason},
    })


def _signed(private_key: Ed25519PrivateKey, fields: dict[str, Any]) -> bytes:
    fields["sig"] = base64.b64encode(private_key.sign(canonical(fields))).decode("ascii")
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def open_envelope(raw: bytes, max_bytes: int = MAX_BYTES) -> Envelope:
    """Read an envelope: size, JSON and every field's type. Raises Refused. Does not say
    whether it is authentic: that is `verify`."""
    if len(raw) > max_bytes:
        raise Refused(_(MSG_TOO_BIG).format(size=len(raw), limit=max_bytes))
    try:
        fields = json.loads(raw.decode("utf-8"), parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError) as exc:
        raise Refused(_(MSG_NOT_JSON).format(reason=one_line(exc))) from None
    if not isinstance(fields, dict):
        raise Refused(_(MSG_NOT_JSON).format(reason=_("not a JSON object")))
    claimed_id = fields.get("id") if isinstance(fields.get("id"), str) else None
    claimed_key = fields.get("key_id") if isinstance(fields.get("key_id"), str) else None
    try:
        return _envelope(fields, raw)
    except Refused as refusal:
        raise Refused(refusal.reason, claimed_id, claimed_key) from None


def _envelope(fields: dict[str, Any], raw: bytes) -> Envelope:
    unknown = sorted(set(fields) - set(_FIELDS))
    if unknown:
        raise Refused(_(MSG_UNKNOWN_FIELDS).format(fields=", ".join(unknown)))
    version = _field(fields, "v", int)
    if version != VERSION:
        raise Refused(_(MSG_UNSUPPORTED).format(v=version))
    kind = _field(fields, "kind", str) if "kind" in fields else PUSH
    if kind not in (PUSH, REVOKE, SLOT):
        raise Refused(_(MSG_UNKNOWN_KIND).format(kind=kind))
    message_id = _field(fields, "id", str)
    try:
        uuid.UUID(message_id)
    except ValueError:
        raise Refused(_(MSG_BAD_FIELD).format(field="id", problem=_("is not a UUID"))) from None
    seq = _field(fields, "seq", int)
    if seq < 0:
        raise Refused(_(MSG_BAD_FIELD).format(field="seq", problem=_("is negative")))
    level = _level(fields) if kind == PUSH else None
    if kind == REVOKE and ("level" in fields or "files" in fields):
        raise Refused(_(MSG_BAD_FIELD).format(field="level" if "level" in fields else "files",
                                              problem=_("has no place in a revocation")))
    if kind == SLOT and "level" in fields:
        raise Refused(_(MSG_BAD_FIELD).format(field="level",
                                              problem=_("has no place in a slot order")))
    payload = fields.get("payload")
    if kind == SLOT and not isinstance(payload, dict):
        raise Refused(_(MSG_BAD_FIELD).format(
            field="payload", problem=_("must be a mapping of action, name and playlist")))
    if kind == REVOKE and not isinstance(payload, dict):
        raise Refused(_(MSG_BAD_REVOCATION).format(
            problem=_("the payload must be a mapping of keys and reason")))
    if not isinstance(payload, str | dict):
        raise Refused(_(MSG_BAD_FIELD).format(field="payload",
                                              problem=_("must be playlist text or a mapping")))
    try:
        sig = base64.b64decode(_field(fields, "sig", str), validate=True)
    except binascii.Error:
        raise Refused(_(MSG_BAD_FIELD).format(field="sig", problem=_("is not base64"))) from None
    return Envelope(v=version, id=message_id, seq=seq, issued=_time(fields, "issued"),
                    expires=_time(fields, "expires"), key_id=_field(fields, "key_id", str),
                    target=_field(fields, "target", str), level=level, payload=payload,
                    sig=sig, signed=canonical(fields), digest=hashlib.sha256(raw).hexdigest(),
                    kind=kind, files=fields.get("files"))


def _level(fields: dict[str, Any]) -> Level:
    try:
        return Level(_field(fields, "level", str))
    except ValueError:
        raise Refused(_(MSG_BAD_FIELD).format(
            field="level", problem=_("must be normal, priority or emergency"))) from None


def _field(fields: dict[str, Any], name: str, kind: type[Any]) -> Any:
    value = fields.get(name)
    if name not in fields:
        raise Refused(_(MSG_BAD_FIELD).format(field=name, problem=_("is missing")))
    if not isinstance(value, kind) or isinstance(value, bool):
        raise Refused(_(MSG_BAD_FIELD).format(
            field=name, problem=_("must be {kind}").format(kind=kind.__name__)))
    return value


def _time(fields: dict[str, Any], name: str) -> datetime:
    text = _field(fields, name, str)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise Refused(_(MSG_BAD_FIELD).format(
            field=name, problem=_("must be a UTC time like 2026-05-01T05:30:00Z")))
    return moment


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


# --- revocations ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Revocation:
    """What a revocation says: the key ids refused from now on, and why."""

    keys: tuple[str, ...]
    reason: str


def revocation_of(envelope: Envelope) -> Revocation:
    """The revocation an envelope of kind REVOKE carries (`keys`: 1 to 16 key ids of 32 hex
    digits; `reason`: one line of at most 200 characters). Raises Refused."""
    payload = envelope.payload
    problem = None
    if not isinstance(payload, dict) or set(payload) != {"keys", "reason"}:
        problem = _("the payload must have exactly 'keys' and 'reason'")
    elif not isinstance(payload["keys"], list) \
            or not 1 <= len(payload["keys"]) <= MAX_REVOKED:
        problem = _("'keys' must list 1 to {count} key ids").format(count=MAX_REVOKED)
    elif not all(is_key_id(key) for key in payload["keys"]):
        bad = next(key for key in payload["keys"] if not is_key_id(key))
        problem = _("{value} is not a key id (32 hex digits)").format(value=json.dumps(bad))
    elif not isinstance(payload["reason"], str) or "\n" in payload["reason"] \
            or len(payload["reason"]) > MAX_REASON_CHARS:
        problem = _("'reason' must be one line of at most {count} characters").format(
            count=MAX_REASON_CHARS)
    if problem is not None or not isinstance(payload, dict):
        raise Refused(_(MSG_BAD_REVOCATION).format(problem=problem), envelope.id,
                      envelope.key_id)
    keys = tuple(dict.fromkeys(key.lower() for key in payload["keys"]))
    return Revocation(keys, payload["reason"].strip())


def is_key_id(value: object) -> bool:
    """Whether `value` reads as a key id: 32 hex digits (either case)."""
    return isinstance(value, str) and len(value) == KEY_ID_CHARS \
        and all(ch in "0123456789abcdefABCDEF" for ch in value)



# --- keys ----------------------------------------------------------------------------------

def key_id(public_key: Ed25519PublicKey) -> str:
    """A key's fingerprint: the first 16 bytes of SHA-256 over its raw 32 bytes, in hex."""
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    raw = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:32]


class TrustedKeys:
    """The public keys a station accepts pushes from, by key id."""

    def __init__(self, keys: dict[str, Ed25519PublicKey]) -> None:
        self.keys = keys

    @classmethod
    def load(cls, paths: list[Path]) -> TrustedKeys:
        """Every key file in `paths` (a folder stands for the `*.pub`/`*.pem` files in it).
        Raises OperatorError naming the file that is missing or not a public key."""
        keys: dict[str, Ed25519PublicKey] = {}
        for path in paths:
            files = sorted([*path.glob("*.pub"), *path.glob("*.pem")]) if path.is_dir() \
                else [path]
            for file in files:
                public = load_public_key(file)
                keys[key_id(public)] = public
        return cls(keys)

    def verify(self, envelope: Envelope) -> None:
        """Raises Refused unless `envelope` is signed by one of these keys."""
        from cryptography.exceptions import InvalidSignature

        public = self.keys.get(envelope.key_id)
        if public is None:
            raise Refused(_(MSG_UNKNOWN_KEY).format(key_id=envelope.key_id), envelope.id,
                          envelope.key_id)
        try:
            public.verify(envelope.sig, envelope.signed)
        except InvalidSignature:
            raise Refused(_(MSG_BAD_SIGNATURE), envelope.id, envelope.key_id) from None


def load_public_key(path: Path) -> Ed25519PublicKey:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    data = _read_key(path)
    try:
        public = load_pem_public_key(data)
    except ValueError:
        public = None
    if not isinstance(public, Ed25519PublicKey):
        raise OperatorError(_(MSG_KEY_INVALID).format(path=path, kind="public"))
    return public


def load_private_key(path: Path) -> Ed25519PrivateKey:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    data = _read_key(path)
    try:
        private = load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        private = None
    if not isinstance(private, Ed25519PrivateKey):
        raise OperatorError(_(MSG_KEY_INVALID).format(path=path, kind="private"))
    return private


def _read_key(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise OperatorError(_(MSG_KEY_UNREADABLE).format(path=path, reason=exc.strerror)) from None


def write_keypair(private_path: Path, public_path: Path) -> str:
    """A new Ed25519 key pair: the private key with mode 0600 (created so, never wider),
    the public key beside it. Refuses to overwrite either. Returns the key id."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        NoEncryption,
        PrivateFormat,
        PublicFormat,
    )

    for path in (private_path, public_path):
        if path.exists():
            raise OperatorError(_(MSG_KEY_EXISTS).format(path=path))
    private = Ed25519PrivateKey.generate()
    private_pem = private.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    public_pem = private.public_key().public_bytes(Encoding.PEM,
                                                   PublicFormat.SubjectPublicKeyInfo)
    private_path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(private_pem)
    private_path.chmod(0o600)  # whatever the umask
    public_path.write_bytes(public_pem)
    return key_id(private.public_key())
