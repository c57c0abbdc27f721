"""What `broadcaster inbox` does: the upstream `normal` pushes waiting for the operator.

Like the other operator commands it works whether or not the daemon runs: the inbox is
in the station database; a running daemon is poked to queue an accepted push at once
and to send the receipt (which waits in the outbox otherwise).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from broadcaster.clock import station_now as now_in
from broadcaster.config import Config
from broadcaster.i18n import _
from broadcaster.runtime import poke_daemon
from broadcaster.store import open_store
from broadcaster.upstream.decisions import MSG_REJECTED_BY_OPERATOR
from broadcaster.upstream.records import InboxEntry, Receiving, Refusal, UpstreamRecords

T = TypeVar("T")


@contextmanager
def _records(config: Config) -> Iterator[UpstreamRecords]:
    store = open_store(config)
    try:
        yield UpstreamRecords(store, config.station.id)
    finally:
        store.close()


def _read(config: Config, read: Callable[[UpstreamRecords], T]) -> T:
    with _records(config) as records:
        return read(records)


def waiting(config: Config, *, every: bool = False) -> list[InboxEntry]:
    """Pushes waiting for the operator (with `every`, the decided ones too)."""
    return _read(config, lambda records: records.inbox(every=every))


def fetching(config: Config) -> list[Receiving]:
    """Pushes taken whose recorded audio is still arriving (they reach the inbox or the
    queue once it is whole)."""
    return _read(config, lambda records: records.receiving())


def refusals(config: Config) -> list[Refusal]:
    """Every push the station refused, with its reason, oldest first."""
    return _read(config, lambda records: records.refusals())


def accept(config: Config, inbox_id: int) -> tuple[InboxEntry, int]:
    """Queue push `inbox_id` now; returns it and its queue id. Raises OperatorError."""
    with _records(config) as records:
        result = records.accept(inbox_id, now_in(config))
    poke_daemon(config)
    return result


def reject(config: Config, inbox_id: int, reason: str | None = None) -> InboxEntry:
    """Refuse push `inbox_id`; the district gets `rejected` with `reason`."""
    with _records(config) as records:
        entry = records.reject(inbox_id, now_in(config).timestamp(),
                               reason or _(MSG_REJECTED_BY_OPERATOR))
    poke_daemon(config)
    return entry
