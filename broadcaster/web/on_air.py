"""**Đang phát**: what is on air, what comes next in the rundown's order with its expected
start, the output device, the amplifier, the upstream link and the clock (the typed live
status `broadcaster status` shows: the daemon's, or built from the database while it is
down); and the poll that tells a page the station changed."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from broadcaster.status import current_status
from broadcaster.upstream import inbox
from broadcaster.web.console import Console, Visit, page

NEXT_SHOWN = 6


@page("read")
def on_air(visit: Visit) -> Response:
    config = visit.config
    live = current_status(config)
    return visit.show("on_air.html", live=live, waiting=live.next[:NEXT_SHOWN],
                      inbox_waiting=len(inbox.waiting(config)))


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
