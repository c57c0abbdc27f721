"""The upstream link (SPEC §7): signed pushes from the district or province over MQTT,
the operator's inbox, receipts and status.

  envelope.py   the signed envelope (a push, a key revocation) and the keys (Ed25519)
  decisions.py  pure rules: revoked key, target, replay, time, level → inbox / schedule / air
  records.py    the upstream tables in the station database: inbox, seen ids, revoked keys,
                outbox
  pushes.py     the station thread's side: a push in, receipts out
  link.py       the MQTT client in the daemon (paho-mqtt)
  broker_url.py the `[district] broker` URL (host, TLS, MQTT 5 or 3.1.1) and which
                station ids can name topics; read by every client and the config's check
  inbox.py      what `broadcaster inbox` does
  district.py   the district's side: keygen (and rotation), push, revocation, status
  collector.py  the receipt collector (`district collect`): MQTT in, its database out
  collector_db.py      the collector's database: pushes, receipts, stations
  collector_report.py  what it says of one push (`district report`) and of the stations

Their commands (`broadcaster inbox`, `broadcaster district …`) are in cli_upstream.py,
beside cli.py: nothing here imports Typer or prints to a terminal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from broadcaster.config import Config
    from broadcaster.store import Store

# what a station that never had a link holds none of: pushes seen or refused (their
# receipts may wait in the outbox), pushes waiting for the operator or for their files
_HISTORY = {
    "upstream_seen": "SELECT EXISTS (SELECT 1 FROM upstream_seen)",
    "upstream_outbox": "SELECT EXISTS (SELECT 1 FROM upstream_outbox)",
    "upstream_inbox": "SELECT EXISTS (SELECT 1 FROM upstream_inbox)",
    "upstream_receiving": "SELECT EXISTS (SELECT 1 FROM upstream_receiving)",
}


def needed_by_daemon(config: Config, store: Store) -> bool:
    """Whether the daemon runs the upstream side (pushes.py and what it imports): a
    `[district]` broker or trusted keys are configured, or the database holds upstream
    work from a link configured before (receipts still to send, an inbox, files
    arriving). A station without any keeps paho, the signature code and the playlist
    reader out of its memory."""
    district = config.district
    if district.broker or district.trusted_keys:
        return True
    present = {row[0] for row in store.query(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'upstream_%'")}
    return any(store.query(query)[0][0] for table, query in _HISTORY.items()
               if table in present)
