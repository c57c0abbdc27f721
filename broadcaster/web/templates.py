"""The console's pages as Jinja2 templates (autoescaped) and what they may call: `_` (the
operator's language), the words for levels, outcomes and sources, the zones (cụm loa) an
item is for and a zone relay's state, and the station's clock.

Template text is marked `{{ _("...") }}`; `scripts/i18n extract` finds it through the
`[jinja2: ...]` line of babel.cfg.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2

from broadcaster.i18n import N_, Phrase, _, language
from broadcaster.status import MSG_SPEECH_NOT_READY

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

TEMPLATES = Path(__file__).parent / "templates"

# The same words `broadcaster queue` and `log` show in their tables (terminal.WORDS), so
# the catalog has one translation of each.
WORDS = {
    "normal": N_("normal"), "priority": N_("priority"), "emergency": N_("emergency"),
    "aired": N_("aired"), "partial": N_("partial"), "cut": N_("cut"),
    "interrupted": N_("interrupted"), "missed": N_("missed"), "failed": N_("failed"),
    "cancelled": N_("cancelled"), "operator": N_("operator"), "slot": N_("slot"),
    "upstream": N_("upstream"), "live": N_("live"), "waiting": N_("waiting"),
    "cued": N_("cued"), "on_air": N_("on air"), "accepted": N_("accepted"),
    "rejected": N_("rejected"), "expired": N_("expired"),
}
ROLES = {"viewer": N_("viewer"), "operator": N_("operator"), "leader": N_("leader")}
MSG_ALL_ZONES = N_("all")  # "Zones: all", as the operator may type it (say --zone all)
# a zone relay's state as `broadcaster status` says it (cli.py), so the catalog has one of each
ZONE_STATES = {True: N_("on"), False: N_("off"), None: N_("not switched (daemon stopped)")}
WEEKDAYS = (N_("Monday"), N_("Tuesday"), N_("Wednesday"), N_("Thursday"), N_("Friday"),
            N_("Saturday"), N_("Sunday"))


def word(value: object) -> str:
    """A level, outcome, source or state (English, as stored) in the operator's language."""
    text = str(getattr(value, "value", value))
    return _(WORDS[text]) if text in WORDS else text


def status_note(note: str) -> str:
    """A waiting item's note in the live status: "speech not ready" is kept in English (a
    key `desk` compares); the daemon writes other notes in the station's language."""
    return _(MSG_SPEECH_NOT_READY) if note == MSG_SPEECH_NOT_READY else note


def zones_shown(zones: Collection[str] | None, every: Collection[str] = ()) -> str:
    """The zones an item is for (or went out to), as the operator reads them: "all" for
    None (every zone) or for all of the station's zones `every`, else their names."""
    if not zones or (every and set(every) <= set(zones)):
        return _(MSG_ALL_ZONES)
    return ", ".join(zones)


def zone_state(on: bool | None) -> str:
    """A zone relay's state in the live status: on, off, or not known (daemon down)."""
    return _(ZONE_STATES[on])


def shown(value: object) -> str:
    """A message as the operator reads it: a Phrase translated, anything else as it is."""
    return value.shown() if isinstance(value, Phrase) else str(value)


def environment(tz: ZoneInfo, today: Callable[[], date]) -> jinja2.Environment:
    """The templates, with the operator's language and the station's time zone; `today`
    is the station's date (a time today is shown without its day)."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             trim_blocks=True, lstrip_blocks=True, auto_reload=False,
                             undefined=jinja2.StrictUndefined)

    def moment(timestamp: float | None, shape: str = "%H:%M") -> str:
        if timestamp is None:
            return ""
        return datetime.fromtimestamp(timestamp, tz).strftime(shape)

    def when(timestamp: float | None) -> str:
        """HH:MM today; dd/mm HH:MM another day."""
        if timestamp is None:
            return ""
        moment_ = datetime.fromtimestamp(timestamp, tz)
        return moment_.strftime("%H:%M" if moment_.date() == today() else "%d/%m %H:%M")

    def day_name(day: object) -> str:
        return _(WEEKDAYS[day.weekday()]) if hasattr(day, "weekday") else str(day)

    def duration(seconds: float | None) -> str:
        if seconds is None:
            return ""
        whole = round(seconds)
        hours, rest = divmod(whole, 3600)
        return (f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours
                else f"{rest // 60}:{rest % 60:02d}")

    env.globals.update(_=_, word=word, shown=shown, language=language, status_note=status_note,
                       zones_shown=zones_shown, zone_state=zone_state,
                       role_name=lambda role: _(ROLES.get(str(getattr(role, "value", role)),
                                                          str(role))))
    env.filters.update(moment=moment, when=when, day_name=day_name, duration=duration)
    return env
