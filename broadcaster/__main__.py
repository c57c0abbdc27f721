"""`python -m broadcaster` runs the same command line as the `broadcaster` script.

The daemon as systemd starts it (`broadcaster run`, alone or with `--config FILE`) runs
without Typer: a process that takes no further commands would otherwise keep Typer, its
Click, every command's module and the web console's accounts (~1.6 MB of the airing
process's memory). Every other command line, `run --help` included, is broadcaster.cli's.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from broadcaster.i18n import N_, _
from broadcaster.model import OperatorError, one_line

MSG_UNEXPECTED = N_("unexpected error ({kind}: {detail}); "
                    "run again with BROADCASTER_DEBUG=1 and report it")


def main() -> None:
    """Console entry point: the daemon, or the command line (broadcaster.cli.main)."""
    daemon = _daemon_config(sys.argv[1:])
    if daemon is None:
        from broadcaster.cli import main as command_line

        command_line()
        return
    from broadcaster.i18n import startup_language

    startup_language(sys.argv)  # what the command line does before any command
    with one_line_errors():
        run_daemon(daemon.config)


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
        if os.environ.get("BROADCASTER_DEBUG"):
            raise
        print(_(MSG_UNEXPECTED).format(kind=type(exc).__name__, detail=one_line(exc)),
              file=sys.stderr)
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
