"""`python -m broadcaster` runs the same command line as the `broadcaster` script.

Two command lines run without Typer, because a hurry or a long life makes its weight
count; every other one, `--help` of these included, is broadcaster.cli's:

- the daemon as systemd starts it (`broadcaster run`, alone or with `--config FILE`): a
  process that takes no further commands would otherwise keep Typer, its Click, every
  command's module and the web console's accounts (~1.6 MB of the airing process);
- an emergency typed at the box (`broadcaster say --level emergency TEXT`, with
  `--title` and `--config`): Typer and the command tree are ~40 ms of the storm warning's
  way to the loudspeakers (SPEC §9: ≤ 350 ms). It calls what `say` calls, with `say`'s
  defaults, and prints what `say` prints; anything else on the line goes to Typer.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from broadcaster.i18n import N_, _
from broadcaster.model import SAY_GAP, SAY_REPEAT, OperatorError, one_line

if TYPE_CHECKING:
    from broadcaster.desk import Queued

MSG_UNEXPECTED = N_("unexpected error ({kind}: {detail}); "
                    "run again with BROADCASTER_DEBUG=1 and report it")


MSG_DATABASE_BUSY = N_("the station database refused the change ({reason}): another program "
                       "holds it (a `sqlite3` shell, a backup) or the disk is full; nothing "
                       "was changed, try again once it is closed")
MSG_EXPECTED = N_("#{id} expected to start at {when}")
MSG_WOULD_EXPIRE = N_("#{id} would expire before its turn at the rate items air now")
MSG_NOTE = N_("note: {note}")


def main() -> None:
    """Console entry point: the daemon, an emergency, or the command line
    (broadcaster.cli.main)."""
    argv = sys.argv[1:]
    daemon = _daemon_config(argv)
    emergency = None if daemon is not None else _emergency(argv)
    if daemon is None and emergency is None:
        from broadcaster.cli import main as command_line

        command_line()
        return
    from broadcaster.i18n import startup_language

    startup_language(sys.argv)  # what the command line does before any command
    with one_line_errors():
        if daemon is not None:
            run_daemon(daemon.config)
        elif emergency is not None:
            say_emergency(emergency)


class _Daemon:
    """`broadcaster run` with its config file (None: where SPEC §3 looks)."""

    def __init__(self, config: Path | None) -> None:
        self.config = config


def _daemon_config(argv: list[str]) -> _Daemon | None:
    """The daemon's config file, when `argv` starts the daemon as systemd does; None for
    anything else (left to Typer, which explains a mistake)."""
    match argv:
        case ["run"]:
            return _Daemon(None)
        case ["run", "--config", str(path)] if path and not path.startswith("-"):
            return _Daemon(Path(path))
        case ["run", str(option)] if option.startswith("--config=") and len(option) > 9:
            return _Daemon(Path(option.removeprefix("--config=")))
    return None


class _Emergency:
    """`say --level emergency TEXT` as typed: its text, title, readings and config file."""

    def __init__(self, text: str, title: str | None, repeat: int, config: Path | None) -> None:
        self.text, self.title, self.repeat, self.config = text, title, repeat, config


_EMERGENCY_OPTIONS = ("--level", "--title", "--repeat", "--config")


def _emergency(argv: list[str]) -> _Emergency | None:
    """The emergency `say`, when `argv` is exactly that: `say`, `--level emergency`, one
    text, and at most `--title T`, `--repeat 1`…`10` and `--config F` (`--opt value` or
    `--opt=value`, any order), every value valid UTF-8. None for anything else: Typer
    reads it (the text on standard input, another level, an option more, a mistake it
    explains)."""
    if argv[:1] != ["say"]:
        return None
    values: dict[str, str] = {}
    texts: list[str] = []
    rest = argv[1:]
    while rest:
        word, rest = rest[0], rest[1:]
        name, equals, value = word.partition("=")
        if name in _EMERGENCY_OPTIONS and name not in values:
            if not equals:
                if not rest:
                    return None
                value, rest = rest[0], rest[1:]
            values[name] = value
        elif word.startswith("-"):
            return None  # another option, '-' (standard input), '--', a help flag
        else:
            texts.append(word)
    if values.get("--level") != "emergency" or len(texts) != 1 or not texts[0].strip():
        return None
    if not all(is_utf8(value) for value in (*values.values(), texts[0])):
        return None  # Typer's callbacks read Windows-1258 or refuse in one line
    repeat = values.get("--repeat", str(SAY_REPEAT))
    if repeat not in [str(times) for times in range(1, 11)]:
        return None  # Typer says what it takes
    config = values.get("--config")
    return _Emergency(texts[0], values.get("--title"), int(repeat),
                      Path(config) if config else None)


def _database_refused(exc: Exception) -> bool:
    """A locked, full or failing database (sqlite3 is imported only by commands that
    use it: its name says it)."""
    return (type(exc).__name__ == "OperationalError" and type(exc).__module__ == "sqlite3"
            and any(word in str(exc) for word in ("locked", "full", "I/O", "readonly")))


def is_utf8(value: str) -> bool:
    """Whether a command-line value was valid UTF-8 (Python hands other bytes over as
    surrogates)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # bytes that were not UTF-8, handed over as surrogates
        return False
    return True


def say_emergency(emergency: _Emergency) -> None:
    """Queue the emergency as `broadcaster say` would and print what it prints; raises
    OperatorError as it does."""
    from broadcaster.clock import parse_duration
    from broadcaster.config import load_config
    from broadcaster.desk import queue_notice
    from broadcaster.i18n import set_language

    config = load_config(emergency.config)
    set_language(config.station.language)
    tell(queue_notice(config, emergency.text, repeat=emergency.repeat,
                      gap_s=parse_duration(SAY_GAP), level="emergency", title=emergency.title))


def tell(queued: Queued) -> None:
    """What `say`, `play` and `playlist apply` print: the id alone on the first line (for
    scripts), then when it should start; notes on standard error."""
    print(queued.id, flush=True)
    if queued.expected is not None:
        print(_(MSG_EXPECTED).format(id=queued.id,
                                     when=queued.expected.strftime("%Y-%m-%d %H:%M:%S")))
    else:
        print(_(MSG_WOULD_EXPIRE).format(id=queued.id))
    for note in queued.notes:
        print(_(MSG_NOTE).format(note=note), file=sys.stderr)


def run_daemon(config_file: Path | None) -> None:
    """The station daemon (`broadcaster run`), in this thread until SIGTERM or Ctrl-C.

    Raises OperatorError when the config is wrong or another daemon holds the data
    directory, SystemExit with Station.run's status when that is not 0.
    """
    import logging
    import signal
    import threading

    from broadcaster.config import load_config
    from broadcaster.i18n import set_language
    from broadcaster.station import Station

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    config = load_config(config_file)
    set_language(config.station.language)  # from here on, the station's language
    status = Station(config).run(stop)
    if status:
        raise SystemExit(status)


@contextlib.contextmanager
def one_line_errors() -> Iterator[None]:
    """An OperatorError becomes its line on stderr and exit status 1; any other error a
    line saying how to report it (its traceback with BROADCASTER_DEBUG=1), exit status 1."""
    try:
        yield
    except OperatorError as exc:
        print(str(exc), file=sys.stderr)
        raise SystemExit(1) from None
    except Exception as exc:
        if _database_refused(exc):  # waited the busy timeout for another program's lock
            print(_(MSG_DATABASE_BUSY).format(reason=one_line(exc)), file=sys.stderr)
            raise SystemExit(1) from None
        if os.environ.get("BROADCASTER_DEBUG"):
            raise
        print(_(MSG_UNEXPECTED).format(kind=type(exc).__name__, detail=one_line(exc)),
              file=sys.stderr)
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
