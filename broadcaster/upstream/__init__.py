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
