"""**Soạn thông báo** (compose a notice) and **KHẨN CẤP** (emergency).

Before a notice is queued the operator sees its reading form and every rewrite the
normalizer made, with why (what `broadcaster normalize --explain` prints): queueing a text
that was not checked, or changed since, shows the check instead. **Nghe thử** renders the
notice once, after the chime, in the render worker the daemon uses, and plays it in the
browser. Queueing calls `desk.queue_notice`, as `broadcaster say` does, for the zones
(cụm loa) ticked: none ticked is every zone, as `say` without `--zone`.

An emergency cuts into what is on air, so it takes a second, explicit step: the operator
sees the text as it will be read and confirms.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from broadcaster import desk
from broadcaster.config import zones_named
from broadcaster.i18n import N_, _
from broadcaster.model import OperatorError
from broadcaster.speech.changes import Change
from broadcaster.web.console import Console, Visit, page

MSG_NO_TEXT = N_("Write the notice first.")
MSG_NOT_A_NUMBER = N_("{field}: write a whole number from {least} to {most}.")
MSG_DAY_WITHOUT_TIME = N_("Give a time for that day too (or clear the day to air it now).")
MSG_USE_EMERGENCY = N_("An emergency goes through the EMERGENCY button, which asks you to "
                       "confirm.")
MSG_CHECK_FIRST = N_("Read how the notice will be read (below), then queue it.")
MSG_REPEATS = N_("Readings")
MSG_GAP = N_("Gap between readings (seconds)")
MAX_REPEAT = 10
LEVELS = ("normal", "priority")
ZONE_FIELD = "zone"  # one box per zone; the ticked ones come back, each its own value


@dataclass(frozen=True)
class Draft:
    """The compose form as the operator filled it in; `zones` as ticked (none: every
    zone), checked against the station's own by `for_zones`."""

    text: str
    title: str
    level: str
    day: str
    time: str
    repeat: int
    gap_s: int
    checked: str
    zones: tuple[str, ...] = ()

    @classmethod
    def read(cls, visit: Visit, *, repeat: int = 2, gap_s: int = 30) -> Draft:
        """The form's fields (defaults for a fresh form); numbers are checked by `numbers`."""
        return cls(text=visit.field("text"), title=visit.field("title"),
                   level=visit.field("level", "normal") or "normal",
                   day=visit.field("day"), time=visit.field("time"),
                   repeat=_number(visit.field("repeat", str(repeat)), repeat),
                   gap_s=_number(visit.field("gap", str(gap_s)), gap_s),
                   checked=visit.field("checked"), zones=tuple(visit.values(ZONE_FIELD)))

    def check_numbers(self) -> None:
        if not 1 <= self.repeat <= MAX_REPEAT:
            raise OperatorError(_(MSG_NOT_A_NUMBER).format(field=_(MSG_REPEATS), least=1,
                                                           most=MAX_REPEAT))
        if not 0 <= self.gap_s <= desk.MAX_GAP_S:
            raise OperatorError(_(MSG_NOT_A_NUMBER).format(field=_(MSG_GAP), least=0,
                                                           most=int(desk.MAX_GAP_S)))

    def at(self) -> str:
        """The `--at` this form means: now, HH:MM (today, or tomorrow when past) or a day
        and a time."""
        if not self.time:
            if self.day:
                raise OperatorError(_(MSG_DAY_WITHOUT_TIME))
            return "now"
        return f"{self.day} {self.time}" if self.day else self.time

    def for_zones(self, visit: Visit) -> Draft:
        """This draft with its zones as the config spells them (none: every zone).
        OperatorError: a zone the station lacks (a crafted form), as `say --zone` says."""
        return replace(self, zones=chosen_zones(visit, self.zones) or ())

    @property
    def digest(self) -> str:
        """Names the text that was checked: queueing another text shows the check again."""
        return hashlib.sha256(self.text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def chosen_zones(visit: Visit, names: Sequence[str]) -> tuple[str, ...] | None:
    """The zones ticked, as the config names them; None: every zone (none ticked, or
    the station has no zones). OperatorError for a name the station lacks."""
    return zones_named(names, visit.config.zones)


def _number(value: str, default: int) -> int:
    try:
        return int(value) if value else default
    except ValueError:
        return -1  # refused by check_numbers with the field's name


def reading(visit: Visit, text: str) -> tuple[str, list[Change]]:
    """The reading form of `text` and the rewrites behind it. OperatorError: unreadable."""
    from broadcaster.speech.changes import collecting, unique
    from broadcaster.speech.render import reading_form

    if not text:
        raise OperatorError(_(MSG_NO_TEXT))
    with collecting() as changes:
        spoken = reading_form(visit.config, text)
    return spoken, unique(changes)


def _compose(visit: Visit, draft: Draft, *, status: int = 200, error: str = "",
             note: str = "", checked: tuple[str, list[Change]] | None = None,
             preview: str = "") -> Response:
    return visit.show("compose.html", status=status, draft=draft, error=error, note=note,
                      spoken=checked[0] if checked else None,
                      changes=checked[1] if checked else [], preview=preview,
                      levels=LEVELS, max_repeat=MAX_REPEAT, max_gap=int(desk.MAX_GAP_S))


@page("queue")
def compose(visit: Visit) -> Response:
    return _compose(visit, Draft.read(visit))


@page("queue")
def check(visit: Visit) -> Response:
    draft = Draft.read(visit)
    try:
        draft = draft.for_zones(visit)
        checked = reading(visit, draft.text)
    except OperatorError as refused:
        return _compose(visit, draft, status=400, error=refused.on_a_form)
    return _compose(visit, _checked(draft), checked=checked)


@page("queue")
def preview(visit: Visit) -> Response:
    from broadcaster.speech.render import Notice
    from broadcaster.speech.worker import render_in_worker

    draft = Draft.read(visit)
    try:
        draft = draft.for_zones(visit)
        checked = reading(visit, draft.text)
        program = render_in_worker(visit.config, Notice(draft.text, chime="default"))
    except OperatorError as refused:
        return _compose(visit, draft, status=400, error=refused.on_a_form)
    token = visit.console.previews.add(program.path)
    return _compose(visit, _checked(draft), checked=checked, preview=token)


@page("queue")
def queue(visit: Visit) -> Response:
    draft = Draft.read(visit)
    try:
        if draft.level not in LEVELS:
            raise OperatorError(_(MSG_USE_EMERGENCY))
        draft.check_numbers()
        draft = draft.for_zones(visit)
        checked = reading(visit, draft.text)
        if draft.checked != draft.digest:
            return _compose(visit, _checked(draft), checked=checked, note=_(MSG_CHECK_FIRST))
        queued = desk.queue_notice(visit.config, draft.text, at=draft.at(),
                                   repeat=draft.repeat, gap_s=float(draft.gap_s),
                                   level=draft.level, title=draft.title or None,
                                   zones=draft.zones)
    except OperatorError as refused:
        return _compose(visit, draft, status=400, error=refused.on_a_form)
    return visit.show("queued.html", queued=queued, title=draft.title or draft.text,
                      level=draft.level, zones=draft.zones or None)


def _checked(draft: Draft) -> Draft:
    return replace(draft, checked=draft.digest)


async def preview_audio(request: Request) -> Response:
    """The WAV of a preview this console rendered (a token it gave out), for <audio>."""
    console: Console = request.app.state.console
    if console.sessions.signed_in(request) is None:
        return Response(status_code=401)
    path = console.previews.get(request.path_params["token"])
    if path is None or not path.is_file():
        return Response(status_code=404)
    return FileResponse(path, media_type="audio/wav", headers={"Cache-Control": "private"})


# --- the emergency --------------------------------------------------------------------------

@page("emergency")
def emergency(visit: Visit) -> Response:
    """The emergency notice: written, then shown as it will be read, then confirmed."""
    draft = Draft.read(visit, repeat=3, gap_s=10)
    if visit.request.method == "GET" or visit.field("step") == "write":
        return visit.show("emergency.html", draft=draft, step="write", error="")
    try:
        draft.check_numbers()
        checked = reading(visit, draft.text)
        if visit.field("confirm") != "yes":
            return visit.show("emergency.html", draft=draft, step="confirm", error="",
                              spoken=checked[0])
        # the page offers no zones (it goes to every zone): desk refuses a crafted one
        queued = desk.queue_notice(visit.config, draft.text, level="emergency",
                                   repeat=draft.repeat, gap_s=float(draft.gap_s),
                                   title=draft.title or None, zones=draft.zones)
    except OperatorError as refused:
        return visit.show("emergency.html", status=400, draft=draft, step="write",
                          error=refused.on_a_form)
    return visit.show("queued.html", queued=queued, title=draft.title or draft.text,
                      level="emergency", zones=None)


ROUTES = [
    Route("/compose", compose, methods=["GET"]),
    Route("/compose/check", check, methods=["POST"]),
    Route("/compose/preview", preview, methods=["POST"]),
    Route("/compose/queue", queue, methods=["POST"]),
    Route("/preview/{token}", preview_audio, methods=["GET"]),
    Route("/emergency", emergency, methods=["GET", "POST"]),
]
