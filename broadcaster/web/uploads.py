"""**Tải tệp lên**: an audio file from the officer's phone or PC, queued as `broadcaster
play` queues it (`desk.queue_file`: the same format check, the same shared copy in the
audio folder, the same cap, the same zones: none ticked is every zone). The upload is
written under the data directory first (not /tmp, which may be RAM on the box) and
removed once queued or refused."""

from __future__ import annotations

import re
import secrets
import shutil
from pathlib import Path
from typing import BinaryIO

from starlette.responses import Response
from starlette.routing import Route

from broadcaster import desk
from broadcaster.i18n import N_, _
from broadcaster.model import OperatorError
from broadcaster.web.console import Visit, page
from broadcaster.web.notices import (
    LEVELS,
    MSG_DAY_WITHOUT_TIME,
    MSG_USE_EMERGENCY,
    ZONE_FIELD,
    chosen_zones,
)

MAX_UPLOAD_MB = 300  # 30 min of 48 kHz stereo WAV; an MP3 of a whole morning's programme
FOLDER = "uploads"
MSG_NO_FILE = N_("Choose an audio file first.")
MSG_SAVE_FAILED = N_("The file could not be saved on the station's box ({reason}).")
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\]+")


@page("upload")
def upload_form(visit: Visit) -> Response:
    return _form(visit)


def _form(visit: Visit, *, error: str = "", status: int = 200) -> Response:
    return visit.show("upload.html", status=status, error=error, levels=LEVELS,
                      max_mb=MAX_UPLOAD_MB, level=visit.field("level", "normal") or "normal",
                      day=visit.field("day"), time=visit.field("time"),
                      zones=visit.values(ZONE_FIELD))


@page("upload")
def upload(visit: Visit) -> Response:
    received = visit.upload("audio")
    level = visit.field("level", "normal") or "normal"
    day, time = visit.field("day"), visit.field("time")
    zones = visit.values(ZONE_FIELD)
    if received is None or not received.filename:
        return _form(visit, error=_(MSG_NO_FILE), status=400)
    if level not in LEVELS:
        return _form(visit, error=_(MSG_USE_EMERGENCY), status=400)
    if day and not time:
        return _form(visit, error=_(MSG_DAY_WITHOUT_TIME), status=400)
    name = file_name(received.filename)
    folder = visit.config.data_dir / FOLDER / secrets.token_hex(8)
    try:
        saved = _save(received.file, folder / name)
        queued = desk.queue_file(visit.config, str(saved), level=level, title=name,
                                 at=f"{day} {time}".strip() if time else "now", zones=zones)
    except OperatorError as refused:  # it names the file as the officer knows it
        return _form(visit, error=refused.on_a_form.replace(str(folder / name), name), status=400)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return visit.show("queued.html", queued=queued, title=name, level=level,
                      zones=chosen_zones(visit, zones))


def file_name(given: str) -> str:
    """The uploaded file's own name (a browser may send a path), without control
    characters or separators, at most 120 characters with its suffix kept."""
    name = _UNSAFE.sub(" ", given.replace("\\", "/").rsplit("/", 1)[-1]).strip(" .")
    stem, dot, suffix = name.rpartition(".")
    if dot and len(suffix) <= 8:
        return f"{stem[:110]}.{suffix}" if stem else f"upload.{suffix}"
    return name[:120] or "upload"


def _save(source: BinaryIO, target: Path) -> Path:
    """Copy the spooled upload to `target`. OperatorError when the box cannot write it."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("wb") as out:
            shutil.copyfileobj(source, out, 1024 * 1024)
    except OSError as exc:
        raise OperatorError(_(MSG_SAVE_FAILED).format(reason=exc.strerror)) from None
    return target


ROUTES = [
    Route("/upload", upload_form, methods=["GET"]),
    Route("/upload", upload, methods=["POST"]),
]
