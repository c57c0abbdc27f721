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

if TYPE_CHECKING:
    from broadcaster.config import Config

ConfigOption = Annotated[
    Optional[Path],  # noqa: UP045 - Typer reads the annotation at runtime on 3.11
    typer.Option("--config", help="Station config file (else $BROADCASTER_CONFIG, "
                 "./broadcaster.toml, /etc/broadcaster/broadcaster.toml, built-in defaults)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


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
    widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in columns}
    typer.echo("  ".join(c.ljust(widths[c]) for c in columns).rstrip())
    for row in rows:
        typer.echo("  ".join(str(row[c]).ljust(widths[c]) for c in columns).rstrip())


def print_rows(rows: Sequence[Mapping[str, object]], columns: list[str], as_json: bool,
               empty: str) -> None:
    """JSON, or a table, or the sentence saying there is nothing."""
    if as_json:
        print_json(rows)
    elif not rows:
        typer.echo(empty)
    else:
        print_table(rows, columns)
