"""The `[district] broker` URL (SPEC §7), read in one place for every client: the station's
link, the district's commands, and the config's check when it is loaded.

  mqtt://host[:1883]                   plain TCP
  mqtts://host[:8883]                  TLS with the system's CAs (ssl:// too)
  …?ca_file=PATH                       TLS with that CA (relative: to the config's folder)
  …?protocol=3.1.1                     the MQTT version: 5 (the default) or 3.1.1
                                       (RabbitMQ 3.10's MQTT plugin speaks 3.1.1 only)

A user and password may ride in the URL (mqtt://user:pass@host), but `[district]
username` and `password_file` are where they belong. Nothing here imports paho: the
config's check runs on stations without a district too.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from broadcaster.i18n import N_, _
from broadcaster.model import OperatorError

PROTOCOLS = ("5", "3.1.1")
DEFAULT_PROTOCOL = "5"
SCHEMES = {"mqtt": False, "tcp": False, "mqtts": True, "ssl": True}  # scheme → TLS
SETTINGS = ("protocol", "ca_file")

# Operator-facing messages of this module, kept together for translation.
MSG_NOT_A_BROKER = N_("{url!r} is not a broker URL; write it like mqtt://broker.example:1883, "
                      "mqtts://broker.example:8883?ca_file=ca.pem or "
                      "mqtt://broker.example:1883?protocol=3.1.1")
MSG_PROTOCOL = N_("the broker URL asks for MQTT version {value!r}; write protocol=5 or "
                  "protocol=3.1.1 (RabbitMQ 3.10 speaks 3.1.1 only)")
MSG_STATION_ID = N_("station id {value!r} cannot name the station's MQTT topics; use letters, "
                    "digits, - and _ (a '.' splits a topic on RabbitMQ, '/', '+' and '#' on "
                    "every broker)")
MSG_SETTING = N_("the broker URL has {key!r}, which is not a setting of it; it may carry "
                 "protocol=5|3.1.1 and ca_file=PATH")


@dataclass(frozen=True)
class BrokerURL:
    host: str
    port: int
    tls: bool
    ca_file: str | None  # as written; the caller resolves a relative path
    protocol: str  # one of PROTOCOLS
    username: str | None
    password: str | None

    def describe(self) -> str:
        """For messages: scheme, host and port, never the password."""
        return f"{'mqtts' if self.tls else 'mqtt'}://{self.host}:{self.port}"


def parse_broker_url(url: str) -> BrokerURL:
    """Raises OperatorError (one line, without the `[district] broker` it is about)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in SCHEMES or not parts.hostname:
        raise OperatorError(_(MSG_NOT_A_BROKER).format(url=url))
    try:
        query = parse_qs(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query))
        port = parts.port
    except ValueError:
        raise OperatorError(_(MSG_NOT_A_BROKER).format(url=url)) from None
    for key in query:
        if key not in SETTINGS:
            raise OperatorError(_(MSG_SETTING).format(key=key))
    settings = {key: values[-1] for key, values in query.items()}
    protocol = settings.get("protocol", DEFAULT_PROTOCOL)
    if protocol not in PROTOCOLS:
        raise OperatorError(_(MSG_PROTOCOL).format(value=protocol))
    ca_file = settings.get("ca_file") or None
    tls = SCHEMES[parts.scheme] or ca_file is not None
    return BrokerURL(host=parts.hostname, port=port or (8883 if SCHEMES[parts.scheme] else 1883),
                     tls=tls,
                     ca_file=ca_file, protocol=protocol, username=parts.username,
                     password=parts.password)


def broker_url_problem(url: str) -> str | None:
    """What is wrong with `url` in one line, or None: the config's check."""
    try:
        parse_broker_url(url)
    except OperatorError as exc:
        return str(exc)
    return None


def is_station_id(value: str) -> bool:
    """Whether `value` can be a station id, one topic level under every broker: letters,
    digits, `-` and `_`. RabbitMQ's MQTT plugin turns `/` into `.` for its routing keys,
    so a `.` in an id splits the level in two and `stations/+/receipts` no longer matches
    it. The one rule: the config's check, `district push --to`, the collector."""
    return bool(value) and all(ch.isalnum() or ch in "-_" for ch in value)


def station_id_problem(station_id: str) -> str | None:
    """Why `station_id` cannot be a topic level under every broker, or None."""
    if is_station_id(station_id):
        return None
    return _(MSG_STATION_ID).format(value=station_id)
