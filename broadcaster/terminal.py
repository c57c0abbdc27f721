"""What every command shares: the `--config` and `--json` options, reading the config,
and how lists are printed (a table, JSON, or the sentence saying there is nothing).

Only Typer is imported at module level: commands start fast.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from broadcaster.i18n import N_, Phrase, _

if TYPE_CHECKING:
    from broadcaster.config import Config

ConfigOption = Annotated[
    Optional[Path],  # noqa: UP045 - Typer reads the annotation at runtime on 3.11
    typer.Option("--config", help=_("Station config file (else $BROADCASTER_CONFIG, "
                                    "./broadcaster.toml, /etc/broadcaster/broadcaster.toml, "
                                    "built-in defaults)."),
                 # load_config says what is wrong with the file in one line (exit 1);
                 # Click's own check would print a usage error and exit 2
                 readable=False),
]
JsonOption = Annotated[bool, typer.Option("--json", help=_("Print JSON."))]

# A table's column names and the words in its level, outcome, source and state columns, as
# the operator reads them; JSON and CSV keep the English keys and values (for programs and
# spreadsheets that read them whatever the station's language).
HEADINGS = {
    "id": N_("id"), "expected": N_("expected"), "due": N_("due"), "level": N_("level"),
    "source": N_("source"), "title": N_("title"), "start": N_("start"), "until": N_("until"),
    "what": N_("what"), "items": N_("items"), "started": N_("started"), "ended": N_("ended"),
    "outcome": N_("outcome"), "engine": N_("engine"), "reason": N_("reason"),
    "interruptions": N_("interruptions"), "received": N_("received"), "state": N_("state"),
    "expires": N_("expires"), "when": N_("when"), "message_id": N_("message id"),
    "bytes": N_("bytes"), "station": N_("station"), "since": N_("since"),
    "on air": N_("on air"), "last aired": N_("last aired"), "inbox": N_("inbox"),
    "last error": N_("last error"), "name": N_("name"), "role": N_("role"),
    "created": N_("created"),
    "answer": N_("answer"), "decided": N_("decided"), "last heard": N_("last heard"),
    "faults": N_("faults"), "amplifier": N_("amplifier"), "clock": N_("clock"),
    "software": N_("software"), "at": N_("at"), "days": N_("days"), "zones": N_("zones"),
}
WORDS = {
    "normal": N_("normal"), "priority": N_("priority"), "emergency": N_("emergency"),
    "aired": N_("aired"), "partial": N_("partial"), "cut": N_("cut"),
    "interrupted": N_("interrupted"), "missed": N_("missed"), "failed": N_("failed"),
    "cancelled": N_("cancelled"), "operator": N_("operator"), "slot": N_("slot"),
    "upstream": N_("upstream"), "live": N_("live"), "waiting": N_("waiting"),
    "cued": N_("cued"), "on_air": N_("on air"), "on air": N_("on air"),
    "stopping": N_("stopping"), "accepted": N_("accepted"), "rejected": N_("rejected"),
    "expired": N_("expired"), "online": N_("online"), "offline": N_("offline"),
    "received": N_("received"), "mon": N_("mon"), "tue": N_("tue"), "wed": N_("wed"),
    "thu": N_("thu"), "fri": N_("fri"), "sat": N_("sat"), "sun": N_("sun"),
    "viewer": N_("viewer"), "leader": N_("leader"),  # roles ("operator" is above)
    "no answer": N_("no answer yet"), "unknown": N_("unknown"),  # district report, status
    "all": N_("all stations"),  # a push's target
}
WORD_COLUMNS = frozenset({"level", "outcome", "source", "state", "role", "answer"})


def word(value: str) -> str:
    """A level, outcome, source, state or role (an English value) as the operator reads it."""
    return _(WORDS[value]) if value in WORDS else value


def shown(value: object, column: str = "") -> str:
    """A table cell as the operator reads it: a Phrase translated, a word of a word column
    translated, anything else as it is."""
    if isinstance(value, Phrase):
        return _(value)
    return word(str(value)) if column in WORD_COLUMNS else str(value)


def load(path: Path | None) -> Config:
    """The config; from here on the command speaks its `[station] language`."""
    from broadcaster.config import load_config
    from broadcaster.i18n import set_language

    config = load_config(path)
    set_language(config.station.language)
    return config


def when(timestamp: float | None, config: Config) -> str:
    """An epoch time as the station's wall clock reads it; '' for none."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    if timestamp is None:
        return ""
    zone = ZoneInfo(config.station.timezone)
    return datetime.fromtimestamp(timestamp, zone).strftime("%Y-%m-%d %H:%M:%S")


def print_json(data: object) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=1))


def print_table(rows: Sequence[Mapping[str, object]], columns: list[str]) -> None:
    """Rows under their column names, in the operator's language."""
    heads = {c: _(HEADINGS.get(c, c)) for c in columns}
    cells = [{c: shown(row[c], c) for c in columns} for row in rows]
    widths = {c: max(len(heads[c]), *(len(cell[c]) for cell in cells)) for c in columns}
    typer.echo("  ".join(heads[c].ljust(widths[c]) for c in columns).rstrip())
    for cell in cells:
        typer.echo("  ".join(cell[c].ljust(widths[c]) for c in columns).rstrip())


def print_rows(rows: Sequence[Mapping[str, object]], columns: list[str], as_json: bool,
               empty: str) -> None:
    """JSON, or a table, or the sentence saying there is nothing."""
    if as_json:
        print_json(rows)
    elif not rows:
        typer.echo(empty)
    else:
        print_table(rows, columns)
