"""Imported first by the command line: the operator's language is set before any help
text or message is built (see `broadcaster.i18n`), and what Typer and the Click it carries
write themselves (section names, `default:`, the usage line, the help option, usage
errors) is in that language too.

Typer 0.29 converts every value it parses through a pydantic TypeAdapter, and importing
pydantic to build them costs more than the rest of a `queue` (a Raspberry Pi waits a third
of a second for it). The plain values the commands take (a text, a whole number within its
limits, a path, a list of texts) are converted here as pydantic would; anything else, and
every value pydantic would refuse, still goes through Typer's adapter, so a usage error
carries pydantic's facts as before.

Typer asks gettext for its section names; its Click writes "Usage:", "Show this message
and exit." and every usage error as plain English literals. The command classes here
write the first two through the catalog, and `usage_error` turns a usage error into the
operator's one line (SPEC §8) from the exception's own facts (which option, which
parameter, what value, what pydantic found wrong), not from Click's English sentence.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer.core
from typer import _coercion
from typer._param_types import coerce_cli_path
from typer.core import TyperArgument, TyperCommand, TyperGroup
from typer.models import DefaultPlaceholder

from broadcaster.i18n import N_, _, startup_language

if TYPE_CHECKING:
    from typer._click.core import Context
    from typer._click.exceptions import UsageError
    from typer._click.formatting import HelpFormatter
    from typer.core import _TyperParameter

# What Typer itself writes on a help page or a usage error (typer/core.py asks gettext).
TYPER_WORDS = (N_("Arguments"), N_("Options"), N_("Commands"), N_("default: {default}"),
               N_("required"), N_("Missing command."), N_("No such command {name!r}."),
               N_("Aborted!"), N_("(dynamic)"), N_("env var: {var}"))

MSG_USAGE = N_("Usage: ")
MSG_HELP_OPTION = N_("Show this message and exit.")
MSG_USAGE_ERROR = N_("{problem}; see `{command} --help`")
MSG_NO_SUCH_OPTION = N_("there is no option {option}")
MSG_DID_YOU_MEAN = N_("there is no option {option} (did you mean {choices}?)")
MSG_NEEDS_VALUE = N_("the option {option} needs a value after it")
MSG_TAKES_NO_VALUE = N_("the option {option} takes no value")
MSG_MISSING_ARGUMENT = N_("{name} is missing")
MSG_MISSING_OPTION = N_("the option {name} is required")
MSG_EXTRA_ARGUMENTS = N_("too many arguments ({extra}); put a text with spaces in quotes")
MSG_WHOLE_NUMBER = N_("{name} must be a whole number, not {value}")
MSG_NUMBER = N_("{name} must be a number, not {value}")
MSG_AT_LEAST = N_("{name} must be at least {limit}, not {value}")
MSG_AT_MOST = N_("{name} must be at most {limit}, not {value}")
MSG_ONE_OF = N_("{name} must be one of {choices}, not {value}")
MSG_BAD_VALUE = N_("{name}: {value} is not a valid value ({detail})")
MSG_STOPPED = N_("stopped; nothing was changed")

startup_language(sys.argv)
# Typer imports gettext.gettext as `_` (a module global, not exported): the catalog answers
# instead, so the system LANG does not choose the language of a help page.
typer.core._ = _  # type: ignore[attr-defined]

_WHOLE_NUMBER = re.compile(r"0|[1-9][0-9]{0,17}")  # what int() and pydantic read alike
_DECIMAL = re.compile(r"(0|[1-9][0-9]{0,17})(\.[0-9]{1,17})?")
_UNSURE = object()  # a value left to Typer's pydantic adapter


class _PlainValue(_coercion.RuntimeParam):
    """A parameter's value converted without pydantic when it is plainly valid; else as
    Typer converts it (pydantic imported then), refusals and their facts included. (Not
    a dataclass of its own: making one costs most of a millisecond at every start.)"""

    descriptor: _coercion.TypeDescriptor

    def __init__(self, descriptor: _coercion.TypeDescriptor) -> None:
        super().__init__(annotation=descriptor.annotation,
                         parameter_info=descriptor.parameter_info)
        object.__setattr__(self, "descriptor", descriptor)  # frozen, as Typer's are

    def _coerce_value(self, value: Any, param: _TyperParameter, ctx: Context) -> Any:
        many = isinstance(value, (list, tuple)) and self.descriptor.is_list
        if many:
            kind = self.annotation.__args__[0]
            plain = [_plain(kind, self.parameter_info, one, param, ctx) for one in value]
            if _UNSURE not in plain:
                return plain
        elif not self.descriptor.is_list:
            plain_value = _plain(self.annotation, self.parameter_info, value, param, ctx)
            if plain_value is not _UNSURE:
                return plain_value
        return _coercion.build_runtime_param(self.descriptor)._coerce_value(
            value, param=param, ctx=ctx)


def _plain(kind: Any, info: Any, value: Any, param: _TyperParameter | None,
           ctx: Context | None) -> Any:
    """`value` as Typer's adapter would give it for a parameter of type `kind`, or
    _UNSURE when only the adapter can say (or refuse it)."""
    if kind is str:
        return value if isinstance(value, str) else _UNSURE
    if kind is bool:  # a flag's (Typer converts neither, but asks for its converter)
        return value if isinstance(value, bool) else _UNSURE
    if kind is int or kind is float:
        if type(value) is str and (_WHOLE_NUMBER if kind is int else _DECIMAL).fullmatch(value):
            value = kind(value)
        elif type(value) is not kind:
            return _UNSURE
        inside = (info.min is None or value >= info.min) and \
            (info.max is None or value <= info.max)
        return value if inside else _UNSURE
    if kind is Path and info.path_type is None:
        if isinstance(value, str) and value and "\0" not in value:
            value = Path(value)
        if not isinstance(value, Path):
            return _UNSURE
        # exists, dir_okay, … checked as Typer does (its refusals are its own, not pydantic's)
        return coerce_cli_path(value, info, path_type=Path, param=param, ctx=ctx)
    return _UNSURE


def _runtime_param(descriptor: _coercion.TypeDescriptor) -> _coercion.RuntimeParam:
    info = descriptor.parameter_info
    kinds = descriptor.annotation.__args__ if descriptor.is_list else (descriptor.annotation,)
    if descriptor.file_annotation is None and info.parser is None and not info.clamp \
            and len(kinds) == 1 and kinds[0] in (str, bool, int, float, Path):
        return _PlainValue(descriptor)
    return _coercion.build_runtime_param(descriptor)


# Typer's parameters build their converter with this on first use (typer/core.py); it is
# imported there, not exported (pyproject.toml pins the Typer line this was read from).
typer.core.build_runtime_param = _runtime_param  # type: ignore[attr-defined]


class _OperatorWords:
    """The usage line's prefix and the help option's text in the operator's language."""

    def format_usage(self, ctx: Context, formatter: HelpFormatter) -> None:
        pieces = self.collect_usage_pieces(ctx)  # type: ignore[attr-defined]
        formatter.write_usage(ctx.command_path, " ".join(pieces), prefix=_(MSG_USAGE))

    def get_help_option(self, ctx: Context) -> Any:
        option = super().get_help_option(ctx)  # type: ignore[misc]
        if option is not None:
            option.help = _(MSG_HELP_OPTION)
        return option


class OperatorCommand(_OperatorWords, TyperCommand):
    """A command whose own words are in the operator's language."""


class OperatorGroup(_OperatorWords, TyperGroup):
    """A group of commands whose own words are in the operator's language."""


def in_operator_words(commands: typer.Typer, command_class: type[TyperCommand]) -> None:
    """Every command of `commands` and of its groups uses `command_class` (a subclass of
    OperatorCommand) unless it chose its own, and every group OperatorGroup."""
    if commands.info.cls in (None, TyperGroup) or isinstance(commands.info.cls,
                                                                DefaultPlaceholder):
        commands.info.cls = OperatorGroup
    for command in commands.registered_commands:
        if command.cls in (None, TyperCommand):  # Typer's default; a chosen class stays
            command.cls = command_class
    for group in commands.registered_groups:
        if group.typer_instance is not None:
            in_operator_words(group.typer_instance, command_class)


def usage_error(exc: UsageError) -> str:
    """The one line that tells the operator what was wrong with the command they typed."""
    problem = _problem(exc).rstrip(".")
    if exc.ctx is None:  # the parser's own errors do not say which command it was
        return problem
    return _(MSG_USAGE_ERROR).format(problem=problem, command=exc.ctx.command_path)


def _problem(exc: UsageError) -> str:
    from typer._click import exceptions as click

    if isinstance(exc, click.NoSuchOption):
        if exc.possibilities:
            return _(MSG_DID_YOU_MEAN).format(option=exc.option_name,
                                              choices=", ".join(sorted(exc.possibilities)))
        return _(MSG_NO_SUCH_OPTION).format(option=exc.option_name)
    if isinstance(exc, click.BadOptionUsage):
        if "does not take a value" in exc.message:
            return _(MSG_TAKES_NO_VALUE).format(option=exc.option_name)
        if " requires " in exc.message:
            return _(MSG_NEEDS_VALUE).format(option=exc.option_name)
        return exc.message
    if isinstance(exc, click.MissingParameter) and exc.param is not None:
        if isinstance(exc.param, TyperArgument):
            return _(MSG_MISSING_ARGUMENT).format(name=_argument_name(exc.param))
        return _(MSG_MISSING_OPTION).format(name=" / ".join(exc.param.opts))
    if isinstance(exc, click.BadParameter) and exc.param is not None:
        return _bad_value(exc)
    prefix = "Got unexpected extra argument(s) ("
    if exc.message.startswith(prefix) and exc.message.endswith(")"):
        return _(MSG_EXTRA_ARGUMENTS).format(extra=exc.message[len(prefix):-1])
    return exc.message  # ours, already in the operator's language, or Typer's (gettext)


def _argument_name(param: Any) -> str:
    return str(param.metavar or (param.name or "").upper())


def _bad_value(exc: Any) -> str:
    """A value pydantic refused for an option or argument, said from its error's type."""
    param = exc.param
    name = _argument_name(param) if isinstance(param, TyperArgument) else param.opts[0]
    cause = exc.__cause__
    errors = cause.errors() if cause is not None and hasattr(cause, "errors") else []
    if not errors:  # a message of ours (a callback's), or one Typer wrote itself
        return f"{name}: {exc.message}"
    error = errors[0]
    kind, value, context = error["type"], repr(error.get("input")), error.get("ctx") or {}
    if kind.startswith("int_"):
        return _(MSG_WHOLE_NUMBER).format(name=name, value=value)
    if kind.startswith("float_") or kind.startswith("decimal_"):
        return _(MSG_NUMBER).format(name=name, value=value)
    if kind in ("greater_than_equal", "greater_than"):
        limit = context.get("ge", context.get("gt"))
        return _(MSG_AT_LEAST).format(name=name, limit=limit, value=value)
    if kind in ("less_than_equal", "less_than"):
        limit = context.get("le", context.get("lt"))
        return _(MSG_AT_MOST).format(name=name, limit=limit, value=value)
    if kind in ("enum", "literal_error"):
        return _(MSG_ONE_OF).format(name=name, choices=context.get("expected", "?"),
                                    value=value)
    said = str(context.get("error", ""))
    if kind == "value_error" and " is not one of " in said:  # Typer's choice of an Enum
        return _(MSG_ONE_OF).format(name=name, value=value,
                                    choices=said.split(" is not one of ", 1)[1].rstrip("."))
    return _(MSG_BAD_VALUE).format(name=name, value=value, detail=exc.message)
