"""**Đang phát**: what is on air, what comes next in the rundown's order with its expected
start, the output device, the amplifier, the upstream link and the clock; and the poll
that tells a page the station changed."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from broadcaster import desk
from broadcaster.status import read_status
from broadcaster.upstream import inbox
from broadcaster.web.console import Console, Visit, page

NEXT_SHOWN = 6


@page("read")
def on_air(visit: Visit) -> Response:
    config = visit.config
    live = read_status(config)
    entry, waiting = desk.pending(config)
    return visit.show("on_air.html", live=live, entry=entry, waiting=waiting[:NEXT_SHOWN],
                      more=max(0, len(waiting) - NEXT_SHOWN),
                      inbox_waiting=len(inbox.waiting(config)), queued=visit.field("queued"))


async def changes(request: Request) -> Response:
    """204 while the station is as the page saw it (`?v=`); else 200 with the htmx event
    `station-changed`, on which the page fetches its live part again."""
    console: Console = request.app.state.console
    if console.sessions.signed_in(request) is None:
        return Response(status_code=401)
    version = console.watch.version()
    if request.query_params.get("v") == str(version):
        return Response(status_code=204)
    return Response(status_code=200, headers={"HX-Trigger": "station-changed"})


ROUTES = [
    Route("/", on_air, methods=["GET"]),
    Route("/changes", changes, methods=["GET"]),
]
