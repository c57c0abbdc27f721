"""**Nhật ký phát**: the as-run log between two days (the last week unless asked), newest
first, and the same lines as CSV for a spreadsheet, written by the CLI's own writer
(broadcaster.as_run_sheet: a byte-order mark, no formula cells)."""

from __future__ import annotations

import io
from datetime import timedelta

from starlette.responses import Response
from starlette.routing import Route

from broadcaster import desk
from broadcaster.as_run_sheet import COLUMNS, as_run_rows, interruption_text, write_csv
from broadcaster.model import OperatorError
from broadcaster.web.console import Visit, page

DEFAULT_DAYS = 7


def _period(visit: Visit) -> tuple[str, str]:
    """(since, until) as YYYY-MM-DD: the form's, else the last DEFAULT_DAYS days."""
    today = visit.console.clock().date()
    since = visit.field("since") or (today - timedelta(days=DEFAULT_DAYS - 1)).isoformat()
    until = visit.field("until") or today.isoformat()
    return since, until


@page("read")
def as_run_log(visit: Visit) -> Response:
    since, until = _period(visit)
    try:
        lines = desk.as_run(visit.config, since, until)
    except OperatorError as refused:  # a day that is not a date, or the days reversed
        return visit.show("log.html", status=400, lines=[], since=since, until=until,
                          error=refused.on_a_form, cuts=lambda line: [])
    lines.reverse()  # newest first: what the officer looks for
    return visit.show("log.html", lines=lines, since=since, until=until, error="",
                      cuts=lambda line: [interruption_text(cut, visit.config)
                                         for cut in line.interruptions])


@page("read")
def as_run_csv(visit: Visit) -> Response:
    since, until = _period(visit)
    lines = desk.as_run(visit.config, since, until)
    out = io.StringIO()
    write_csv(as_run_rows(lines, visit.config), COLUMNS, out)
    name = f"nhat-ky-phat-{since}-{until}.csv"
    return Response(out.getvalue().encode("utf-8"), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


ROUTES = [
    Route("/log", as_run_log, methods=["GET"]),
    Route("/log.csv", as_run_csv, methods=["GET"]),
]
