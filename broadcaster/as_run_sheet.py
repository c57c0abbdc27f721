"""The as-run log as rows the operator reads: `broadcaster log` (table, JSON, CSV) and the
web console's log page and CSV download use these, so both say the same thing.

CSV is for a spreadsheet: a UTF-8 byte-order mark first (Excel otherwise reads Vietnamese
as mojibake) and no cell a spreadsheet would run as a formula (SPEC §8).
"""

from __future__ import annotations

import csv
from datetime import datetime
from typing import TYPE_CHECKING, TextIO

from broadcaster.clock import zone
from broadcaster.i18n import N_, Phrase, joined

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from broadcaster.asrun import Interruption
    from broadcaster.config import Config
    from broadcaster.store import AsRunEntry

COLUMNS = ["id", "due", "started", "ended", "outcome", "level", "source", "engine",
           "title", "reason", "interruptions", "zones"]
BOM = "\ufeff"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MSG_CUT = N_("cut {at} ({why}){back}")
MSG_RESUMED = N_(", resumed {at}")


def wall_time(timestamp: float | None, config: Config) -> str:
    """An epoch time as the station's wall clock reads it ("YYYY-MM-DD HH:MM:SS"); ''
    for none."""
    if timestamp is None:
        return ""
    return datetime.fromtimestamp(timestamp, zone(config)).strftime("%Y-%m-%d %H:%M:%S")


def as_run_rows(lines: Iterable[AsRunEntry], config: Config) -> list[dict[str, object]]:
    """One row per as-run line, keyed by COLUMNS, times on the station's wall clock."""
    return [
        {"id": line.queue_id, "due": wall_time(line.due_at, config),
         "started": wall_time(line.started_at, config),
         "ended": wall_time(line.ended_at, config), "outcome": line.outcome.value,
         "level": line.level.value, "source": line.source, "engine": line.engine or "",
         "title": line.title, "reason": line.reason or "",
         "interruptions": joined("; ", [interruption_text(cut, config)
                                        for cut in line.interruptions]),
         "zones": ", ".join(line.zones) if line.zones is not None else ""}
        for line in lines]


def interruption_text(cut: Interruption, config: Config) -> Phrase:
    """`cut 05:41:10 (emergency #12), resumed 05:43:02` (a Phrase: the table and the
    console show it in the operator's language, CSV and JSON in English)."""
    at = wall_time(cut.cut_at, config)[11:] if cut.cut_at is not None else "?"
    back = Phrase(MSG_RESUMED, at=wall_time(cut.resumed_at, config)[11:]) if cut.resumed_at \
        else ""
    return Phrase(MSG_CUT, at=at, why=cut.why, back=back)


def csv_cell(value: object) -> object:
    """A CSV cell a spreadsheet will not run as a formula."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def write_csv(rows: Iterable[Mapping[str, object]], columns: list[str], out: TextIO) -> None:
    """`rows` as CSV on `out`: the byte-order mark, the header, every cell made safe."""
    out.write(BOM)
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n",
                            extrasaction="ignore")
    writer.writeheader()
    writer.writerows({key: csv_cell(value) for key, value in row.items()} for row in rows)
