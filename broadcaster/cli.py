"""The operator's command line (SPEC §3): thin commands that parse, call one function, print.

Heavy modules (audio, TTS, pydantic) are imported inside the commands so that
`broadcaster --help` and the queue commands start fast.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from broadcaster.model import OperatorError

if TYPE_CHECKING:
    from broadcaster.config import Config

# Operator-facing messages of this module, kept together for translation.
MSG_NO_TEXT = "no text given; pass the text as an argument or on standard input"
MSG_UNEXPECTED = ("unexpected error ({kind}: {detail}); "
                  "run again with BROADCASTER_DEBUG=1 and report it")
MSG_SPOKEN = "spoken by {engine}: {out} ({seconds:.1f} s)"
MSG_AIRED_NOTICE = "aired the notice spoken by {engine} ({seconds:.1f} s)"
MSG_AIRED_FILE = "aired {file}"

app = typer.Typer(
    name="broadcaster",
    help="Runs a Vietnamese commune loudspeaker station (đài truyền thanh cơ sở).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

ConfigOption = Annotated[
    Optional[Path],  # noqa: UP045 - Typer reads the annotation at runtime on 3.11
    typer.Option("--config", help="Station config file (else $BROADCASTER_CONFIG, "
                 "./broadcaster.toml, /etc/broadcaster/broadcaster.toml, built-in defaults)."),
]
TextArgument = Annotated[
    Optional[str],  # noqa: UP045
    typer.Argument(help="The text; '-' or nothing reads standard input."),
]


def _config(path: Path | None) -> Config:
    from broadcaster.config import load_config

    return load_config(path)


def _text(value: str | None) -> str:
    if value is None or value == "-":
        if sys.stdin is None or sys.stdin.isatty():
            raise OperatorError(MSG_NO_TEXT)
        value = sys.stdin.read()
    return value


@app.command()
def normalize(text: TextArgument = None, config: ConfigOption = None) -> None:
    """Print the Vietnamese reading form of TEXT: numbers, dates, abbreviations in words."""
    from broadcaster.speech.render import reading_form

    typer.echo(reading_form(_config(config), _text(text)))


@app.command()
def tts(
    text: TextArgument = None,
    output: Annotated[Path, typer.Option("-o", "--output", help="Output file: .wav or .mp3.")]
    = Path("notice.wav"),
    engine: Annotated[str, typer.Option(help="auto (the configured order), gtts, espeak "
                                        "or command.")] = "auto",
    repeat: Annotated[int, typer.Option(min=1, max=10, help="How many times to read it.")] = 1,
    gap: Annotated[str, typer.Option(help="Pause between repeats, e.g. 20s.")] = "3s",
    chime: Annotated[bool, typer.Option(help="Ring the station chime before each "
                                        "reading.")] = False,
    config: ConfigOption = None,
) -> None:
    """Render TEXT to speech in OUTPUT without airing it; prints the engine that spoke."""
    from broadcaster.clock import parse_duration
    from broadcaster.speech.render import Notice, check_output_path, export, render_notice

    check_output_path(output)
    notice = Notice(_text(text), repeat=repeat, gap_s=parse_duration(gap),
                    chime="default" if chime else None)
    program = render_notice(_config(config), notice, engine)
    export(program, output)
    typer.echo(MSG_SPOKEN.format(engine=program.engine, out=output, seconds=program.duration_s))


@app.command()
def air(
    file: Annotated[Optional[Path], typer.Argument(  # noqa: UP045
        help="An audio file to play (WAV, FLAC, OGG, MP3, or anything ffmpeg reads).")] = None,
    text: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--text", help="A notice to read aloud instead of a file (with the chime).")] = None,
    engine: Annotated[str, typer.Option(help="For --text: auto, gtts, espeak or "
                                        "command.")] = "auto",
    config: ConfigOption = None,
) -> None:
    """Play FILE or --text now through the configured output, amplifier included; exits
    when done. For testing the chain and for manual use: the daemon is not involved."""
    if (file is None) == (text is None):
        raise typer.BadParameter("give either FILE or --text, not both or neither")
    from broadcaster.air import air as air_now

    station = _config(config)
    if text is not None:
        from broadcaster.speech.render import Notice, render_notice

        program = render_notice(station, Notice(_text(text), chime="default"), engine)
        air_now(station, program)
        typer.echo(MSG_AIRED_NOTICE.format(engine=program.engine, seconds=program.duration_s))
    elif file is not None:
        air_now(station, file)
        typer.echo(MSG_AIRED_FILE.format(file=file))


@app.command()
def devices(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    config: ConfigOption = None,
) -> None:
    """List the sound output devices; the configured one is marked with *."""
    from broadcaster.air import list_devices

    found = list_devices(_config(config))
    if as_json:
        import dataclasses
        import json

        typer.echo(json.dumps([dataclasses.asdict(d) for d in found], ensure_ascii=False))
        return
    for device in found:
        mark = "*" if device.configured else " "
        typer.echo(f"{mark} {device.index:>3}  {device.name}  ({device.host_api}, "
                   f"{device.channels} ch, {device.default_rate} Hz)")


def main() -> None:
    """Console entry point: operator errors become one line on stderr and exit status 1."""
    try:
        app()
    except OperatorError as exc:
        typer.echo(str(exc), err=True)
        raise SystemExit(1) from None
    except KeyboardInterrupt:
        raise SystemExit(130) from None
    except Exception as exc:
        if os.environ.get("BROADCASTER_DEBUG"):
            raise
        first = str(exc).strip().splitlines()
        typer.echo(MSG_UNEXPECTED.format(kind=type(exc).__name__,
                                         detail=first[0] if first else ""), err=True)
        raise SystemExit(1) from None
