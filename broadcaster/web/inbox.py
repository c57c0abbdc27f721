"""**Hộp thư cấp trên**: upstream `normal` pushes waiting for the commune's decision:
accept (queued now) or reject with a reason (the province gets it in the receipt). The
same functions as `broadcaster inbox accept|reject` (broadcaster.upstream.inbox)."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from broadcaster.upstream import inbox as upstream_inbox
from broadcaster.upstream.records import InboxEntry
from broadcaster.web.console import Visit, page
from broadcaster.web.rundown import describe

MAX_REASON = 200


@page("read")
def inbox(visit: Visit) -> Response:
    waiting = upstream_inbox.waiting(visit.config)
    decided = [entry for entry in upstream_inbox.waiting(visit.config, every=True)
               if entry.state != "waiting"][-10:]
    decided.reverse()
    return visit.show("inbox.html", waiting=waiting, decided=decided, describe=describe,
                      accepted=visit.field("accepted"), queued=visit.field("queued"),
                      rejected=visit.field("rejected"))


@page("inbox")
def accept(visit: Visit) -> Response:
    entry, queue_id = upstream_inbox.accept(visit.config, visit.request.path_params["id"])
    return visit.go(f"/inbox?accepted={entry.id}&queued={queue_id}")


@page("inbox")
def reject(visit: Visit) -> Response:
    """GET: the form asking why; POST: the rejection, with that reason."""
    push_id = visit.request.path_params["id"]
    if visit.request.method == "GET":
        return visit.show("inbox_reject.html", entry=_waiting(visit, push_id))
    reason = " ".join(visit.field("reason").split())[:MAX_REASON] or None
    entry = upstream_inbox.reject(visit.config, push_id, reason)
    return visit.go(f"/inbox?rejected={entry.id}")


def _waiting(visit: Visit, push_id: int) -> InboxEntry | None:
    return next((entry for entry in upstream_inbox.waiting(visit.config)
                 if entry.id == push_id), None)


ROUTES = [
    Route("/inbox", inbox, methods=["GET"]),
    Route("/inbox/{id:int}/accept", accept, methods=["POST"]),
    Route("/inbox/{id:int}/reject", reject, methods=["GET", "POST"]),
]
