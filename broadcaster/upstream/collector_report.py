"""What the collector's database says about one push (`district report`) and about the
stations (`district status`): pure readings of collector_db.py's rows, no printing.

Which stations a push targeted: the named one, or for `all` every station the collector
has ever heard from (and any that answered). Per station, its answer is the furthest it
got: no answer yet → received → accepted or rejected → aired, or the outcome that says it
did not (missed, failed, partial, cut, interrupted, cancelled). A `rejected` flagged
`duplicate` (a repeated delivery of a push the station had already taken) is not an
answer: it says nothing about the push the station took. Nor is a chunk of a push's file
refused (CHUNK_REJECTED: the station asks for it again); until the station's final
answer, when it gave no other reason, its reason column counts them and says the last
one's why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from broadcaster.i18n import N_, _
from broadcaster.model import OperatorError
from broadcaster.upstream.collector_db import (
    CHUNK_REJECTED,
    FINAL_RECEIPTS,
    CollectorDB,
    Push,
    Receipt,
    StationRow,
    utc_moment,
)

MSG_UNKNOWN_PUSH = N_("the collector has seen no push {message_id} and no receipt for it "
                      "(is `broadcaster province collect` running? the id is what "
                      "`province push` printed)")
MSG_CHUNKS_REFUSED = N_("refused {count} chunk(s) of the push's files and asked again; "
                        "the last: {reason}")

NO_ANSWER = "no answer"
NOT_AIRED = tuple(kind for kind in FINAL_RECEIPTS if kind not in ("aired", "rejected"))
TOTALS = ("targeted", "answered", "accepted", "rejected", "aired", "not aired", "waiting",
          "no answer")


@dataclass(frozen=True)
class StationAnswer:
    station: str
    name: str | None
    answer: str  # NO_ANSWER, received, accepted, rejected, aired, missed, …
    received: float | None  # when the station took it in (its clock)
    decided: float | None  # when it accepted or rejected it
    started: float | None  # on air from … (the as-run line)
    ended: float | None  # … to
    engine: str | None
    reason: str | None  # why rejected, or why not (all) aired
    chunks_refused: int = 0  # chunks of the push's files the station found bad


@dataclass(frozen=True)
class PushReport:
    message_id: str
    push: Push | None  # None: the collector saw receipts but not the push itself
    stations: list[StationAnswer]
    totals: dict[str, int] = field(default_factory=dict)


def report(db: CollectorDB, message_id: str) -> PushReport:
    """The report of one push; OperatorError when the collector knows nothing of it."""
    push = db.push(message_id)
    receipts = [r for r in db.receipts(message_id) if not r.duplicate]
    if push is None and not receipts:
        raise OperatorError(_(MSG_UNKNOWN_PUSH).format(message_id=message_id))
    known = {row.station: row for row in db.stations()}
    by_station: dict[str, list[Receipt]] = {}
    for receipt in receipts:
        by_station.setdefault(receipt.station, []).append(receipt)
    targeted = set(by_station)
    if push is not None and push.target != "all":
        targeted.add(push.target)
    else:
        targeted.update(known)
    answers = [answer_of(name, known.get(name), by_station.get(name, []))
               for name in sorted(targeted)]
    return PushReport(message_id, push, answers, totals_of(answers))


def answer_of(station: str, row: StationRow | None, receipts: list[Receipt]) -> StationAnswer:
    """One station's answer from its receipts for a push, in the order they came."""
    received = decision = final = refused = None
    refused_count = 0
    for receipt in receipts:
        if receipt.kind == CHUNK_REJECTED:
            refused, refused_count = receipt, refused_count + 1
        elif receipt.kind == "received" and received is None:
            received = receipt
        elif receipt.kind in ("accepted", "rejected"):
            decision = receipt
        if receipt.kind in FINAL_RECEIPTS and receipt.kind != "rejected":
            final = receipt
    furthest = final or decision or received
    reason = None
    if decision is not None and decision.kind == "rejected":
        reason = decision.reason
    if final is not None:
        reason = final.reason
    if reason is None and final is None and refused is not None:  # why it is taking long
        reason = _(MSG_CHUNKS_REFUSED).format(count=refused_count, reason=refused.reason or "")
    if reason is None and furthest is received and received is not None:
        reason = received.reason  # e.g. still fetching the push's recorded audio
    return StationAnswer(
        station=station, name=row.name if row else None,
        answer=furthest.kind if furthest else NO_ANSWER,
        received=received.sent_at if received else None,
        decided=decision.sent_at if decision else None,
        started=final.started if final else None, ended=final.ended if final else None,
        engine=final.engine if final else None, reason=reason,
        chunks_refused=refused_count)


def totals_of(answers: list[StationAnswer]) -> dict[str, int]:
    totals = dict.fromkeys(TOTALS, 0)
    for answer in answers:
        totals["targeted"] += 1
        kind = answer.answer
        if kind == NO_ANSWER:
            totals["no answer"] += 1
            continue
        totals["answered"] += 1
        if kind == "rejected":
            totals["rejected"] += 1
            continue
        if answer.decided is not None or kind != "received":
            totals["accepted"] += 1  # whatever came after, it took the push
        if kind == "aired":
            totals["aired"] += 1
        elif kind in NOT_AIRED:
            totals["not aired"] += 1
        else:
            totals["waiting"] += 1  # received or accepted, not on air yet
    return totals


# --- the stations -------------------------------------------------------------------------------

@dataclass(frozen=True)
class LastAired:
    ended: float | None
    title: str | None


@dataclass(frozen=True)
class StationState:
    station: str
    name: str | None
    state: str  # online, offline, unknown
    since: float | None  # online since / offline since (the last will's arrival, exact)
    last_heard: float | None  # the last message from the station itself
    on_air: dict[str, Any] | None
    last_aired: LastAired | None
    device_error: str | None
    amplifier: str | None
    clock_synchronized: bool | None
    software: str | None
    last_error: str | None
    inbox: int | None


def station_states(db: CollectorDB) -> list[StationState]:
    """Every station the collector has heard from, by id. What the status said about the
    station's air (on air, faults, clock) is its last `online` status; offline, nothing is
    on air."""
    aired = db.last_aired()
    states = []
    for row in db.stations():
        status = row.status
        online = row.state == "online"
        said = _mapping(status.get("last_aired")) or {}
        last_aired = LastAired(utc_moment(said.get("ended")), _string(said.get("title"))) \
            if said else None
        if row.station in aired:  # a receipt newer than the last status wins
            receipt = LastAired(*aired[row.station])
            if last_aired is None or (receipt.ended or 0) > (last_aired.ended or 0):
                last_aired = receipt
        states.append(StationState(
            station=row.station, name=row.name, state=row.state or "unknown", since=row.since,
            last_heard=row.last_heard,
            on_air=_mapping(status.get("on_air")) if online else None,
            last_aired=last_aired, device_error=_string(status.get("device_error")),
            amplifier=_string(status.get("amplifier")),
            clock_synchronized=status.get("clock_synchronized")
            if isinstance(status.get("clock_synchronized"), bool) else None,
            software=_string(status.get("software")), last_error=_string(status.get("last_error")),
            inbox=status.get("inbox") if isinstance(status.get("inbox"), int) else None))
    return states


def _mapping(value: object) -> dict[str, Any] | None:
    return value if isinstance(value, dict) else None


def _string(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
