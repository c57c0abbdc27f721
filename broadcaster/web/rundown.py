"""**Hàng chờ** (the queue, in the order the station will air it, with cancel) and **Lịch
phát** (a day's or a week's slots and what fills them): `desk.pending`, `desk.cancel` and
`programme.day_schedule`, as `broadcaster queue`, `cancel` and `schedule` use them."""

from __future__ import annotations

from datetime import date, timedelta

from starlette.responses import Response
from starlette.routing import Route

from broadcaster import desk, programme
from broadcaster.i18n import N_, _
from broadcaster.model import Chime, File, OperatorError, Pause, PlaylistItem, Relay, Say
from broadcaster.status import read_status
from broadcaster.web.console import Visit, page

MSG_CHIME = N_("chime")
MSG_SAY = N_("notice")
MSG_FILE = N_("audio file")
MSG_RELAY = N_("relay")
MSG_PAUSE = N_("pause")
MSG_TIMES = N_("{count} times")
SAID_CHARS = 120


@page("read")
def queue(visit: Visit) -> Response:
    entry, waiting = desk.pending(visit.config)
    return visit.show("queue.html", entry=entry, waiting=waiting,
                      live=read_status(visit.config), cancelled=visit.field("cancelled"))


@page("cancel")
def cancel(visit: Visit) -> Response:
    entry = desk.cancel(visit.config, visit.request.path_params["id"])
    return visit.go(f"/queue?cancelled={entry.id}")


@page("read")
def schedule(visit: Visit) -> Response:
    day = desk.parse_day(visit.field("date") or None, visit.config)
    if not date.min + timedelta(days=14) < day < date.max - timedelta(days=14):
        raise OperatorError(_(desk.MSG_BAD_DATE).format(value=visit.field("date")))
    week = visit.field("view") == "week"
    first = day - timedelta(days=day.weekday()) if week else day
    days = [first + timedelta(days=n) for n in range(7 if week else 1)]
    plan = [(one, programme.day_schedule(visit.config, one),
             programme.day_calendar(visit.config, one).lines(dated=False)) for one in days]
    step = timedelta(days=7 if week else 1)
    return visit.show("schedule.html", plan=plan, day=day, week=week,
                      earlier=(first - step).isoformat(), later=(first + step).isoformat(),
                      today=_today(visit), describe=describe)


def _today(visit: Visit) -> date:
    return visit.console.clock().date()


def describe(item: PlaylistItem) -> tuple[str, str]:
    """What one item of a playlist is, in a few words: (kind, detail)."""
    match item:
        case Say(text=text, repeat=repeat):
            said = text if len(text) <= SAID_CHARS else text[:SAID_CHARS].rstrip() + " …"
            times = f" ({_(MSG_TIMES).format(count=repeat)})" if repeat > 1 else ""
            return _(MSG_SAY), said + times
        case File(path=path):
            return _(MSG_FILE), path.name
        case Relay(url=url, duration_s=seconds):
            return _(MSG_RELAY), f"{url} · {seconds / 60:.0f} min"
        case Pause(duration_s=seconds):
            return _(MSG_PAUSE), f"{seconds:.0f} s"
        case Chime(source=source):
            return _(MSG_CHIME), "" if source == "default" else source
    return "", ""


ROUTES = [
    Route("/queue", queue, methods=["GET"]),
    Route("/queue/{id:int}/cancel", cancel, methods=["POST"]),
    Route("/schedule", schedule, methods=["GET"]),
]
