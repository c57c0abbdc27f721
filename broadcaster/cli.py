"""The operator's command line (SPEC §3): thin commands that parse, call one function, print.

Heavy modules (audio, TTS, pydantic) are imported inside the commands so that
`broadcaster --help` and the queue commands start fast.
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer
import typer.main
from typer.core import TyperArgument

import broadcaster.command_language  # noqa: F401 - first: sets the language for help texts
from broadcaster.__main__ import tell
from broadcaster.cli_live import MSG_LIVE_HELP, live_app
from broadcaster.cli_upstream import (
    DISTRICT_HELP,
    INBOX_HELP,
    PROVINCE_HELP,
    FormatOption,
    district_app,
    inbox,
    plain_option,
    plain_options,
    text_option,
)
from broadcaster.cli_web import user_app, web
from broadcaster.command_language import (
    MSG_STOPPED,
    OperatorCommand,
    in_operator_words,
    usage_error,
)
from broadcaster.i18n import N_, Phrase, _
from broadcaster.model import SAY_GAP, SAY_REPEAT, OperatorError
from broadcaster.terminal import (
    ConfigOption,
    JsonOption,
    load,
    print_json,
    print_rows,
    when,
    word,
)

if TYPE_CHECKING:
    from typer._click.core import Context as ClickContext  # the Click that Typer carries


# Operator-facing messages of this module, kept together for translation.
MSG_CHANGES_HEADER = N_("Changes (written → read: why):")
MSG_NO_CHANGES = N_("No changes: every word is read as written.")
MSG_CHANGE = N_("  {written} → {reading}: {why}")
MSG_NOT_READ = N_("(not read)")
MSG_NO_TEXT = N_("no text given; pass the text as an argument or on standard input")
MSG_SPOKEN = N_("spoken by {engine}: {out} ({seconds:.1f} s)")
MSG_AIRED_NOTICE = N_("aired the notice spoken by {engine} ({seconds:.1f} s)")
MSG_AIRED_FILE = N_("aired {file}")
MSG_AIR_WARNING = N_("warning: {problem}")
MSG_QUEUE_EMPTY = N_("nothing is queued")
MSG_CANCELLED = N_("#{id} {title}: {state}")
MSG_NOT_RUNNING = N_("daemon: NOT RUNNING - nothing will air; start it with "
                     "`sudo systemctl start broadcaster` (or `broadcaster run`)")
MSG_NOTHING_SCHEDULED = N_("nothing is scheduled that day")
MSG_PLAYLISTS_OK = N_("{count} playlist file(s) OK")
MSG_INSTALLED = N_("installed slot {name!r}: {title} at {at} on {days}")
MSG_QUEUED = N_("queued #{id}: {title}")
MSG_SLOT_OPEN_NOW = N_("its window is open now: it airs at once and still ends at its 'until'")
MSG_EXPIRES_WAITING = N_("expires waiting")
MSG_LOG_EMPTY = N_("the as-run log has nothing in that period")
MSG_ON_AIR_NOW = N_("on air")
MSG_STOPPING = N_("stopping")
MSG_SLOT_NAME = N_("slot {name}")
MSG_RUNNING = N_("daemon: running (pid {pid}) since {since}")
MSG_ON_AIR = N_("on air: #{id} {title} ({level}), {position:.0f} s{length}")
MSG_ON_AIR_LENGTH = N_(" of {seconds:.0f} s")
MSG_ON_AIR_NOTHING = N_("on air: nothing")
MSG_NEXT = N_("next:   {name} {expected} {level} {title}{note}")
MSG_DEVICE_OK = N_("device: {device} - ok")
MSG_DEVICE_ERROR = N_("device: {device} - ERROR: {error}")
MSG_AMPLIFIER = N_("amplifier: {amplifier}")
MSG_EVERY_ZONE = N_("every zone")
MSG_LIVE = N_("live: {title}, {state} since {since}, {seconds:.0f} s of microphone; "
              "recording {recording}; {overruns} overruns, {underruns} underruns")
MSG_PUSH_TO_TALK = N_("push-to-talk: {button}")
MSG_ZONE_LINE = N_("zone {name} (GPIO{pins}): {state}")
MSG_ZONE_STATE = {True: N_("on"), False: N_("off"), None: N_("not switched (daemon stopped)")}
MSG_ON_AIR_ZONES = N_("        for zones: {zones}")
MSG_UPSTREAM = N_("upstream: {upstream}")
MSG_CLOCK = {True: N_("clock: synchronized (NTP)"), False: N_("clock: NOT synchronized"),
             None: N_("clock: unknown")}
MSG_LAST_ERROR = N_("last error: {error}")
MSG_NO_ERROR = N_("none")
MSG_LAST_ERROR_AT = N_("last error: {when}: {error}")
MSG_STARTING = N_("daemon: starting or stopping (pid {pid})")
MSG_DEVICE_CONFIGURED = N_("device: {device} (tried once the daemon runs)")
MSG_FILE_OR_TEXT = N_("give either FILE or --text, not both or neither")
MSG_DEVICE_LINE = N_("{mark} {index:>3}  {name}  ({host_api}, {channels} ch, {rate} Hz)")
MSG_NO_SLOTS = N_("no slot playlist is installed")
MSG_PROVINCE_SLOT_NAME = N_("{name} (from the province, {day})")
MSG_REMOVED = N_("removed slot '{name}': {title}")
MSG_REMOVED_CANCELLED = N_("cancelled #{id} (due {due}), which it had queued")
MSG_REMOVED_LEFT = N_("#{id}, which it had queued, has started: it airs to its end "
                      "(`broadcaster cancel {id}` stops it)")

app = typer.Typer(
    name="broadcaster",
    help=_("Runs a Vietnamese commune loudspeaker station (đài truyền thanh cơ sở)."),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)



def _print_version(value: bool) -> None:
    if value:
        from broadcaster import __version__

        typer.echo(f"broadcaster {__version__}")
        raise typer.Exit()


@app.callback()
def _station(version: Annotated[bool, typer.Option(
        "--version", callback=_print_version, is_eager=True,
        help=_("Print the software's version (for the technician) and exit."))] = False,
        ) -> None:
    """The commands' group: only `--version` of its own."""


TextArgument = Annotated[
    Optional[str],  # noqa: UP045
    typer.Argument(help=_("The text; '-' or nothing reads standard input."),
                   callback=text_option),
]


def _text(value: str | None) -> str:
    """The notice's text: the argument (already read by `text_option`), or standard input
    when it is '-' or absent, read by broadcaster.text_in (UTF-8, UTF-16, Windows-1258;
    anything else refused in one line)."""
    if value is not None and value != "-":
        return value
    if sys.stdin is None or sys.stdin.isatty():
        raise OperatorError(_(MSG_NO_TEXT))
    from broadcaster.text_in import decode

    return decode(sys.stdin.buffer.read())


@app.command(help=_("Print the Vietnamese reading form of TEXT. Numbers, dates and "
                    "abbreviations are written out in words."))
def normalize(
    text: TextArgument = None,
    explain: Annotated[bool, typer.Option(help=_("Also list each change: what was written, "
                                                 "how it is read, and which rule or "
                                                 "dictionary entry decided it."))] = False,
    config: ConfigOption = None,
) -> None:
    from broadcaster.speech.changes import collecting, unique
    from broadcaster.speech.render import reading_form

    with collecting() as changes:
        spoken = reading_form(load(config), _text(text))
    typer.echo(spoken)
    if explain:
        typer.echo("\n" + (_(MSG_CHANGES_HEADER) if changes else _(MSG_NO_CHANGES)))
        for change in unique(changes):
            typer.echo(_(MSG_CHANGE).format(written=change.written,
                                            reading=change.reading or _(MSG_NOT_READ),
                                            why=_(change.why)))


@app.command(help=_("Render TEXT to a speech file without airing it. Prints the engine "
                    "that spoke."))
def tts(
    text: TextArgument = None,
    output: Annotated[Path, typer.Option("-o", "--output",
                                         help=_("Output file: .wav or .mp3."))]
    = Path("notice.wav"),
    engine: Annotated[str, typer.Option(help=_("auto (the configured order), gtts, espeak "
                                               "or command."),
                                        callback=plain_option)] = "auto",
    repeat: Annotated[int, typer.Option(min=1, max=10,
                                        help=_("How many times to read it."))] = 1,
    gap: Annotated[str, typer.Option(help=_("Pause between repeats, e.g. 20s."),
                                     callback=plain_option)] = "3s",
    chime: Annotated[bool, typer.Option(help=_("Ring the station chime before each "
                                               "reading."))] = False,
    config: ConfigOption = None,
) -> None:
    from broadcaster.clock import parse_duration
    from broadcaster.speech.export import check_output_path, export
    from broadcaster.speech.render import Notice, render_notice

    check_output_path(output)
    notice = Notice(_text(text), repeat=repeat, gap_s=parse_duration(gap),
                    chime="default" if chime else None)
    program = render_notice(load(config), notice, engine)
    export(program, output)
    typer.echo(_(MSG_SPOKEN).format(engine=program.engine, out=output,
                                    seconds=program.duration_s))


@app.command(help=_("Play FILE or --text now, without the daemon. Through the configured "
                    "output, amplifier included; exits when done. For testing the chain while "
                    "the daemon is stopped (queue with `play` or `say` while it runs); not in "
                    "the as-run log."))
def air(
    file: Annotated[Optional[Path], typer.Argument(  # noqa: UP045
        help=_("An audio file to play (WAV, FLAC, OGG, MP3, or anything ffmpeg "
               "reads)."))] = None,
    text: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--text", help=_("A notice to read aloud instead of a file (with the chime)."),
        callback=text_option)] = None,
    engine: Annotated[str, typer.Option(help=_("For --text: auto, gtts, espeak or "
                                               "command."),
                                        callback=plain_option)] = "auto",
    config: ConfigOption = None,
) -> None:
    """Play FILE or --text now through the configured output, amplifier included; exits
    when done. For testing the chain while the daemon is stopped: refused while it runs
    (it owns the output; queue with `play` or `say` instead). Not in the as-run log."""
    if (file is None) == (text is None):
        raise typer.BadParameter(_(MSG_FILE_OR_TEXT))
    import logging

    from broadcaster.air import AirEvent, EventKind
    from broadcaster.air import air as air_now
    from broadcaster.lifecycle import AIR, StationLock

    # what the daemon would log (the amplifier relay) reaches this operator as the
    # command's own one-line warning below, not twice
    logging.getLogger("broadcaster").addHandler(logging.NullHandler())
    station = load(config)
    output = StationLock(station.data_dir, AIR)
    output.acquire()  # refused at once while the daemon (or another `air`) has the output
    events: list[AirEvent] = []
    try:
        if text is not None:
            from broadcaster.speech.render import Notice, render_notice

            program = render_notice(station, Notice(_text(text), chime="default"), engine)
            events = air_now(station, program)
            typer.echo(_(MSG_AIRED_NOTICE).format(engine=program.engine,
                                                  seconds=program.duration_s))
        elif file is not None:
            events = air_now(station, file)
            typer.echo(_(MSG_AIRED_FILE).format(file=file))
    finally:
        output.release()
    for event in events:  # it aired, but not as it should have (the amplifier relay)
        if event.kind is EventKind.FAILED and event.outcome is None:
            typer.echo(_(MSG_AIR_WARNING).format(problem=event.detail), err=True)


@app.command(help=_("List the sound output devices. The configured one is marked with *."))
def devices(
    as_json: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    from broadcaster.air import list_devices

    found = list_devices(load(config))
    if as_json:
        import dataclasses
        import json

        typer.echo(json.dumps([dataclasses.asdict(d) for d in found], ensure_ascii=False))
        return
    for device in found:
        mark = "*" if device.configured else " "
        typer.echo(_(MSG_DEVICE_LINE).format(mark=mark, index=device.index, name=device.name,
                                             host_api=device.host_api,
                                             channels=device.channels,
                                             rate=device.default_rate))


# --- the station's queue ----------------------------------------------------------------

AtOption = Annotated[str, typer.Option(
    "--at", help=_("When: HH:MM (today, or tomorrow if past), 'YYYY-MM-DD HH:MM', now, "
                   "+90s, +10m."), callback=plain_option)]
LevelOption = Annotated[str, typer.Option(
    "--level", help=_("normal, priority (before waiting normal items) or emergency "
                      "(cuts in at once)."), callback=plain_option)]


ZoneOption = Annotated[list[str], typer.Option(
    "--zone", help=_("A zone (cụm loa) from the config's [zones] to air it to; repeat it, "
                     "or separate names with commas. Default: every zone."),
    callback=plain_options)]
ExpiresOption = Annotated[Optional[str], typer.Option(  # noqa: UP045
    "--expires", help=_("The latest it may still start, like --at (default: by level; "
                        "normal ends with the broadcasting day)."), callback=plain_option)]


@app.command(help=_("Queue a spoken notice (with the chime). Prints its id and when it "
                    "should start."))
def say(
    text: TextArgument = None,
    at: AtOption = "now",
    repeat: Annotated[int, typer.Option(min=1, max=10,
                                        help=_("How many times to read it."))] = SAY_REPEAT,
    gap: Annotated[str, typer.Option(help=_("Pause between readings, e.g. 30s."),
                                     callback=plain_option)] = SAY_GAP,
    level: LevelOption = "normal",
    title: Annotated[Optional[str], typer.Option(  # noqa: UP045
        help=_("A short title for the queue and the log (default: its first words)."),
        callback=text_option)] = None,
    expires: ExpiresOption = None,
    zone: ZoneOption = [],  # noqa: B006  # Typer reads the default; it is never changed
    config: ConfigOption = None,
) -> None:
    from broadcaster.clock import parse_duration
    from broadcaster.desk import queue_notice

    tell(queue_notice(load(config), _text(text), at=at, repeat=repeat,
                       gap_s=parse_duration(gap), level=level, title=title, expires=expires,
                       zones=zone))


@app.command(help=_("Queue an audio file. Prints its id and when it should start."))
def play(
    # a str, not a Path: Path("") is ".", and `play ""` must say that no file was given
    file: Annotated[str, typer.Argument(metavar="FILE", help=_("The audio file to air."))],
    at: AtOption = "now",
    level: LevelOption = "normal",
    title: Annotated[Optional[str], typer.Option(  # noqa: UP045
        help=_("A short title for the queue and the log (default: the file's name)."),
        callback=text_option)] = None,
    expires: ExpiresOption = None,
    zone: ZoneOption = [],  # noqa: B006  # Typer reads the default; it is never changed
    config: ConfigOption = None,
) -> None:
    from broadcaster.desk import queue_file

    tell(queue_file(load(config), file, at=at, level=level, expires=expires, title=title,
                     zones=zone))


@app.command(help=_("Pending items in air order. Each with the time it is expected to "
                    "start."))
def queue(as_json: JsonOption = False, config: ConfigOption = None) -> None:
    from broadcaster.desk import pending

    station = load(config)
    on_air, waiting = pending(station)
    rows = [{"id": e.id, "expected": Phrase(MSG_ON_AIR_NOW if e.state == "on_air"
                                            else MSG_STOPPING),
             "due": when(e.due_at, station), "level": e.level.value, "source": e.source,
             "title": e.title} for e in ([on_air] if on_air is not None else [])]
    rows += [{"id": e.id if e.id > 0 else Phrase(MSG_SLOT_NAME, name=e.occurrence),
              "expected": when(p.start, station) if p.start is not None
              else Phrase(MSG_EXPIRES_WAITING), "due": when(e.due_at, station),
              "level": e.level.value, "source": e.source, "title": e.title}
             for e, p in waiting]
    columns = ["id", "expected", "due", "level", "source", "title"]
    if station.zones:  # which villages hear each item
        for row, entry in zip(rows, [*([on_air] if on_air else []), *(e for e, _p in waiting)],
                              strict=True):
            row["zones"] = ", ".join(entry.zones) if entry.zones else Phrase(MSG_EVERY_ZONE)
        columns.insert(-1, "zones")
    print_rows(rows, columns, as_json, _(MSG_QUEUE_EMPTY))


@app.command(help=_("Remove a pending item, or stop it if it is on air."))
def cancel(
    item_id: Annotated[int, typer.Argument(metavar="ID",
                                           help=_("The id `say`/`queue` showed."))],
    config: ConfigOption = None,
) -> None:
    from broadcaster.desk import cancel as cancel_entry

    entry = cancel_entry(load(config), item_id)
    typer.echo(_(MSG_CANCELLED).format(id=entry.id, title=entry.title,
                                       state=word("stopping" if entry.state != "pending"
                                                  else "cancelled")))


@app.command(help=_("Is the station running, what is on air and next. Also the output "
                    "device, amplifier, upstream link, clock and last error."))
def status(as_json: JsonOption = False, config: ConfigOption = None) -> None:
    import time

    from broadcaster.status import current_status, to_builtins

    station = load(config)
    live = current_status(station)  # the daemon's, or built from the database when down
    if as_json:
        print_json(to_builtins(live))
        return
    if not live.running:
        typer.echo(_(MSG_NOT_RUNNING))
    elif live.started is None:
        typer.echo(_(MSG_STARTING).format(pid=live.pid))
    else:
        typer.echo(_(MSG_RUNNING).format(pid=live.pid, since=when(live.started, station)))
    on_air = live.on_air
    if on_air is not None:
        length = _(MSG_ON_AIR_LENGTH).format(seconds=on_air.duration_s) \
            if on_air.duration_s else ""
        position = on_air.offset_s + time.time() - on_air.since  # where in the item
        typer.echo(_(MSG_ON_AIR).format(id=on_air.id, title=on_air.title,
                                        level=word(on_air.level), position=position,
                                        length=length))
        if on_air.zones:
            typer.echo(_(MSG_ON_AIR_ZONES).format(zones=", ".join(on_air.zones)))
    elif live.running:
        typer.echo(_(MSG_ON_AIR_NOTHING))
    for up in live.next:
        expected = when(up.expected, station) if up.expected else _(MSG_EXPIRES_WAITING)
        note = f" ({_(up.note)})" if up.note else ""  # "speech not ready" is a key
        name = f"#{up.id}" if up.id is not None else _(MSG_SLOT_NAME).format(name=up.slot)
        typer.echo(_(MSG_NEXT).format(name=name, expected=expected, level=word(up.level),
                                      title=up.title, note=note))
    if not live.running:
        typer.echo(_(MSG_DEVICE_CONFIGURED).format(device=live.device))
    elif live.device_error:
        typer.echo(_(MSG_DEVICE_ERROR).format(device=live.device, error=live.device_error))
    else:
        typer.echo(_(MSG_DEVICE_OK).format(device=live.device))
    typer.echo(_(MSG_AMPLIFIER).format(amplifier=live.amplifier))
    if live.live is not None:
        typer.echo(_(MSG_LIVE).format(title=live.live.title, state=word(live.live.state),
                                      since=when(live.live.since, station),
                                      seconds=live.live.seconds,
                                      recording=live.live.recording or "-",
                                      overruns=live.live.overruns,
                                      underruns=live.live.underruns))
    if live.push_to_talk is not None:
        typer.echo(_(MSG_PUSH_TO_TALK).format(button=live.push_to_talk))
    for zone in live.zones:
        typer.echo(_(MSG_ZONE_LINE).format(name=zone.name, pins=",".join(map(str, zone.pins)),
                                           state=zone.problem or _(MSG_ZONE_STATE[zone.on])))
    typer.echo(_(MSG_UPSTREAM).format(upstream=live.upstream))
    typer.echo(_(MSG_CLOCK[live.clock_synchronized]))
    if live.last_error and live.last_error_at:
        typer.echo(_(MSG_LAST_ERROR_AT).format(when=when(live.last_error_at, station),
                                               error=live.last_error))
    elif live.running:
        typer.echo(_(MSG_LAST_ERROR).format(error=live.last_error or _(MSG_NO_ERROR)))


@app.command(help=_("The day's slots and what fills them."))
def schedule(
    day: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--date", help=_("YYYY-MM-DD (default today)."), callback=plain_option)] = None,
    as_json: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    from broadcaster.desk import parse_day
    from broadcaster.programme import day_calendar, day_schedule, slot_plan

    station = load(config)
    chosen = parse_day(day, station)
    lines = day_schedule(station, chosen)
    if not as_json:  # JSON stays the list of lines; the calendar heads the table
        for line in day_calendar(station, chosen).lines():
            typer.echo(line)
    rows = [{"start": line.start.strftime("%H:%M"),
             "until": line.end.strftime("%H:%M") if line.end else "",
             "level": line.level.value, "what": line.what, "items": line.items,
             "title": line.title, "origin": line.origin} for line in lines]
    print_rows(rows, ["start", "until", "level", "what", "items", "title"], as_json,
               _(MSG_NOTHING_SCHEDULED))
    if not as_json:  # under the table: each slot's items, when they should start
        for slot_line in lines:
            for text in slot_plan(slot_line):
                typer.echo(text)


playlist_app = typer.Typer(help=_("Check or install playlist files (YAML)."),
                           no_args_is_help=True)
app.add_typer(playlist_app, name="playlist")


@playlist_app.command("check", help=_("Validate playlists. Every error as file:line: "
                                       "message; a slot that repeats or overlaps another "
                                       "is warned about."))
def playlist_check(
    files: Annotated[list[Path], typer.Argument(metavar="FILE",
                                                help=_("Playlist files to check."))],
    config: ConfigOption = None,
) -> None:
    from broadcaster.playlist import check_playlists
    from broadcaster.programme import slot_warnings

    station = load(config)
    problems = check_playlists(files, station.audio_dir, max_text_chars=station.tts.max_chars,
                               zones=station.zones)
    for problem in problems:
        typer.echo(problem, err=True)
    for warning in slot_warnings(station, files):
        typer.echo(warning, err=True)
    if problems:
        raise SystemExit(1)
    typer.echo(_(MSG_PLAYLISTS_OK).format(count=len(files)))


@playlist_app.command("apply", help=_("Validate, then install or queue a playlist. A slot "
                                       "playlist is installed, a one-off is queued, "
                                       "atomically."))
def playlist_apply(
    file: Annotated[Path, typer.Argument(metavar="FILE", help=_("The playlist file."))],
    config: ConfigOption = None,
) -> None:
    from broadcaster.playlist.clashes import days_shown
    from broadcaster.programme import apply_playlist

    applied = apply_playlist(load(config), file)
    playlist = applied.playlist
    if playlist.slot is not None:
        typer.echo(_(MSG_INSTALLED).format(name=file.stem, title=playlist.title,
                                           at=playlist.slot.at.strftime("%H:%M"),
                                           days=days_shown(playlist.slot)))
        if applied.open_now:
            typer.echo(_(MSG_SLOT_OPEN_NOW))
        for warning in applied.warnings:
            typer.echo(warning, err=True)
    elif applied.queued is not None:
        typer.echo(_(MSG_QUEUED).format(id=applied.queued.id, title=playlist.title))
        tell(applied.queued)


@playlist_app.command("list", help=_("The installed slot playlists: name, title, start, "
                                     "days, end and number of items."))
def playlist_list(as_json: JsonOption = False, config: ConfigOption = None) -> None:
    from broadcaster.playlist.clashes import days_shown, days_text, skip_text
    from broadcaster.programme import installed_day, installed_slots

    station = load(config)
    rows = []
    for installed in installed_slots(station):
        playlist, slot = installed.playlist, installed.playlist.slot
        if slot is None:
            continue
        name: str = installed.name
        if installed.from_province and not as_json:  # the table marks it; JSON has origin
            name = Phrase(MSG_PROVINCE_SLOT_NAME, name=name,
                          day=installed_day(station, installed.installed_at))
        rows.append({
            "name": name, "title": playlist.title, "level": playlist.level.value,
            "at": slot.at.strftime("%H:%M"),
            "days": days_text(slot) if as_json else days_shown(slot),
            "skip": skip_text(slot),
            "until": slot.until.strftime("%H:%M") if slot.until else "",
            "items": len(playlist.items),
            "origin": "province" if installed.from_province else "operator",
            "installed": when(installed.installed_at, station),
            "message_id": installed.message_id})
    print_rows(rows, ["name", "title", "level", "at", "days", "until", "items"], as_json,
               _(MSG_NO_SLOTS))


@playlist_app.command("remove", help=_("Uninstall a slot playlist. What it queued and has "
                                       "not started is cancelled (and logged); what is on "
                                       "air ends as it would."))
def playlist_remove(
    name: Annotated[str, typer.Argument(metavar="NAME", callback=text_option,
                                        help=_("Its name, as `playlist list` shows it (the "
                                               "file name without .yaml)."))],
    config: ConfigOption = None,
) -> None:
    from broadcaster.programme import remove_slot

    station = load(config)
    removed = remove_slot(station, name)
    typer.echo(_(MSG_REMOVED).format(name=removed.name, title=removed.playlist.title))
    for entry in removed.cancelled:
        typer.echo(_(MSG_REMOVED_CANCELLED).format(id=entry.id,
                                                   due=when(entry.due_at, station)[:16]))
    for entry in removed.left:
        typer.echo(_(MSG_REMOVED_LEFT).format(id=entry.id))


@app.command("log", help=_("The as-run log: what aired and what did not. Aired, cut, "
                           "interrupted, missed, failed or cancelled, with the reason."))
def as_run_log(
    since: Annotated[Optional[str], typer.Option(  # noqa: UP045
        help=_("First day, YYYY-MM-DD."), callback=plain_option)] = None,
    until: Annotated[Optional[str], typer.Option(  # noqa: UP045
        help=_("Last day, YYYY-MM-DD."), callback=plain_option)] = None,
    output_format: FormatOption = "table",
    as_json: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    from broadcaster.as_run_sheet import COLUMNS, as_run_rows, write_csv
    from broadcaster.desk import as_run

    output_format = "json" if as_json else output_format  # as every listing takes --json
    station = load(config)
    lines = as_run(station, since, until)
    rows = as_run_rows(lines, station)
    if output_format == "json":
        for row, line in zip(rows, lines, strict=True):
            row["parts"] = [part.to_dict() for part in line.parts]
            row["interruptions"] = [
                {"cut_at": when(cut.cut_at, station), "why": cut.why,
                 "resumed_at": when(cut.resumed_at, station)} for cut in line.interruptions]
        print_json(rows)
    elif output_format == "csv":
        write_csv(rows, COLUMNS, sys.stdout)
    else:  # which villages heard it, where the station has zones
        shown = COLUMNS if station.zones else [c for c in COLUMNS if c != "zones"]
        print_rows(rows, shown, False, _(MSG_LOG_EMPTY))


app.command(help=_(INBOX_HELP))(inbox)
app.add_typer(district_app, name="province", help=_(PROVINCE_HELP))
app.add_typer(district_app, name="district", help=_(DISTRICT_HELP))  # before July 2025
app.add_typer(live_app, name="live", help=_(MSG_LIVE_HELP))
app.add_typer(user_app, name="user", help=_("The web console's accounts and their roles."))
app.command("web", help=_("The LAN web console: run the station from a phone, in Vietnamese."))(web)


@app.command(help=_("The station daemon (what systemd starts). Airs the slots and the "
                    "queue."))
def run(config: ConfigOption = None) -> None:
    from broadcaster.__main__ import run_daemon  # also run without Typer: see there

    run_daemon(config)


class SpecUsage(OperatorCommand):
    """A command whose usage line names its arguments as SPEC §3 writes them: `play FILE`,
    `cancel ID`, `normalize [TEXT]`, `playlist check FILE...` (Typer's own reads `{file}`)."""

    def collect_usage_pieces(self, ctx: ClickContext) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if not isinstance(param, TyperArgument):
                pieces.extend(param.get_usage_pieces(ctx))
                continue
            name = param.metavar or (param.name or "").upper()
            name = name if param.required else f"[{name}]"
            pieces.append(name + ("..." if param.nargs != 1 else ""))
        return pieces


def only_the_command(commands: typer.Typer, argv: list[str]) -> typer.Typer:
    """`commands` with only the command (or group of commands) that `argv` names: Typer
    builds every command it has, parameters and help included, before it parses (~60 ms
    for this command line, a third of a `queue`). All of them when `argv` names none it
    knows, or starts with an option: `--help` lists them, a mistyped name is told the
    names there are."""
    name = argv[0] if argv else ""
    if not name or name.startswith("-"):
        return commands
    chosen = copy.copy(commands)  # the callback and settings stay; the lists are new
    chosen.registered_commands = [
        command for command in commands.registered_commands
        if (command.name or typer.main.get_command_name(command.callback.__name__
                                                         if command.callback else "")) == name]
    chosen.registered_groups = [group for group in commands.registered_groups
                                if group.name == name]
    if not chosen.registered_commands and not chosen.registered_groups:
        return commands
    return chosen


def main() -> None:
    """Console entry point: operator errors become one line on stderr and exit status 1,
    usage errors one line and exit status 2."""
    from typer._click.exceptions import ClickException, UsageError

    from broadcaster.__main__ import one_line_errors

    in_operator_words(app, SpecUsage)
    with one_line_errors():  # an OperatorError, or one unexpected
        try:
            code = only_the_command(app, sys.argv[1:])(standalone_mode=False,
                                                       prog_name="broadcaster")
        except UsageError as exc:
            typer.echo(usage_error(exc), err=True)
            raise SystemExit(exc.exit_code) from None
        except ClickException as exc:
            typer.echo(exc.format_message(), err=True)
            raise SystemExit(exc.exit_code) from None
        except (KeyboardInterrupt, typer.Abort):
            typer.echo(_(MSG_STOPPED), err=True)
            raise SystemExit(130) from None
    # a command's `typer.Exit(code)` (and `--help`) come back as the exit status
    raise SystemExit(code if isinstance(code, int) else 0)
