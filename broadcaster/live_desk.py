"""The live microphone at the desk: a live session is a queue entry of source `live` (no
parts: the microphone is its audio), queued by `live start` or the push-to-talk button and
ended by `live stop` or letting go of the button. The daemon airs it (it cuts in below an
emergency, SPEC §6) and writes its one as-run line when it ends: who started it (in its
title), start, end, any emergency that cut it, and the recording's file name (its part).

Nothing here touches a sound device; the CLI and the daemon's button handler call these
with the station's database.
"""

from __future__ import annotations

import getpass
import os
from datetime import datetime

from broadcaster.asrun import PartResult
from broadcaster.i18n import N_, _
from broadcaster.model import Level, OperatorError
from broadcaster.store import Entry, Store

LIVE = "live"  # the queue's and the as-run log's source of a live session
LIVE_WAIT_S = 300.0  # a session asked for while an emergency airs waits this long for it
MSG_LIVE_TITLE = N_("live microphone, started by {who}")
MSG_BY_BUTTON = N_("the push-to-talk button")
MSG_ALREADY_LIVE = N_("already live since {since} ({title}); `broadcaster live stop` ends it")
MSG_ALREADY_ASKED = N_("live was asked for at {since} ({title}) and waits to go on air; "
                       "`broadcaster live stop` cancels it")
MSG_NOT_LIVE = N_("nothing is live; `broadcaster live start` puts the microphone on air")
PART = "live"  # the kind of its one part, which names the recording


def who_started() -> str:
    """The operator at the terminal: the one behind `sudo`, else the login name."""
    try:
        return os.environ.get("SUDO_USER") or getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container): its number
        return str(os.getuid())


def live_title(who: str) -> str:
    return _(MSG_LIVE_TITLE).format(who=who)


def sessions(store: Store) -> list[Entry]:
    """Live sessions not yet ended (queued, on air, cut by an emergency, or stopping)."""
    return [entry for entry in store.pending() if entry.source == LIVE]


def start(store: Store, who: str, now: float, zone: datetime | None = None, *,
          zones: tuple[str, ...] | None = None) -> int:
    """Queue a live session started by `who` for `zones` (None: every zone), due now;
    returns its id. Refused (one line, nothing queued) while another one is queued or on
    air. `zone`: any aware moment in the station's zone, for the time the refusal names."""
    with store.transaction() as db:
        for entry in sessions(store):
            if entry.state == "cancel":
                continue  # being stopped: a new one may follow it at once
            since = entry.started_at or entry.due_at
            clock = datetime.fromtimestamp(since, zone.tzinfo if zone else None)
            message = MSG_ALREADY_LIVE if entry.started_at else MSG_ALREADY_ASKED
            raise OperatorError(_(message).format(since=clock.strftime("%H:%M"),
                                                  title=entry.title))
        return store.enqueue(title=live_title(who), level=Level.PRIORITY, source=LIVE,
                             items=(), due_at=now, now=now, expires_at=now + LIVE_WAIT_S,
                             zones=zones, connection=db)


def stop(store: Store, now: float, entry_id: int | None = None) -> Entry:
    """End the live session (`entry_id`, else the one there is): one on air is faded out
    by the daemon and logged aired; one still waiting is cancelled. Raises OperatorError
    when nothing is live."""
    for entry in sessions(store):
        if entry_id is None or entry.id == entry_id:
            return store.cancel(entry.id, now)
    raise OperatorError(_(MSG_NOT_LIVE))


def recording_part(name: str, aired: bool = False) -> PartResult:
    """A live session's one part: the microphone, named by its recording's file."""
    return PartResult(1, PART, aired=aired, source=name)
