"""The web console's commands (SPEC §3): `web` and the accounts' `user`.

Mounted in cli.py (`app.add_typer(user_app, name="user")`). Only Typer and the roles are
imported here; the accounts (argon2) and the console inside each command, so
`broadcaster --help` stays fast.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from broadcaster.i18n import N_, _
from broadcaster.terminal import ConfigOption, JsonOption, load, print_rows, when, word
from broadcaster.web.accounts import Role

if TYPE_CHECKING:
    from broadcaster.config import Config
    from broadcaster.web.accounts import Accounts

# --- accounts: `broadcaster user ...` -------------------------------------------------------

MSG_PASSWORD = N_("Password")
MSG_PASSWORD_AGAIN = N_("The same password again")
MSG_PASSWORDS_DIFFER = N_("the two passwords differ; type the password again, twice")
MSG_NO_PASSWORD = N_("no password on standard input; type it when asked, or pipe one line")
MSG_PASSWORD_NOT_UTF8 = N_("the password on standard input is not UTF-8 text")
MSG_ADDED = N_("added {role} '{name}'")
MSG_PASSWORD_CHANGED = N_("changed the password of '{name}'")
MSG_REMOVED = N_("removed '{name}'")
MSG_NO_ACCOUNTS = N_("no accounts yet; add a leader: broadcaster user add NAME --role leader")

user_app = typer.Typer(no_args_is_help=True)  # its help is where cli.py mounts it

NameArgument = Annotated[str, typer.Argument(
    metavar="NAME", help=_("The account's name: letters a-z, digits, '.', '_' or '-'."))]


@user_app.command("add", help=_("Add an account; the password is asked twice, or read from "
                                "standard input (one line)."))
def user_add(
    name: NameArgument,
    role: Annotated[Role, typer.Option(
        "--role", case_sensitive=False,
        help=_("viewer (reads), operator (queues, cancels, emergencies, inbox, uploads) or "
               "leader (also manages the accounts and sees the login log)."))],
    config: ConfigOption = None,
) -> None:
    accounts = _accounts(config)
    account = accounts.add(name, role, _password())
    typer.echo(_(MSG_ADDED).format(role=word(account.role.value), name=account.name))


@user_app.command("passwd", help=_("Change an account's password (asked twice, or read from "
                                   "standard input)."))
def user_passwd(name: NameArgument, config: ConfigOption = None) -> None:
    from broadcaster.model import OperatorError
    from broadcaster.web.accounts import MSG_NO_ACCOUNT

    accounts = _accounts(config)
    if accounts.get(name) is None:  # said before the password is asked for, twice
        raise OperatorError(_(MSG_NO_ACCOUNT).format(name=name.strip().lower()))
    accounts.set_password(name, _password())
    typer.echo(_(MSG_PASSWORD_CHANGED).format(name=name.strip().lower()))


@user_app.command("remove", help=_("Remove an account (not the last leader)."))
def user_remove(name: NameArgument, config: ConfigOption = None) -> None:
    _accounts(config).remove(name)
    typer.echo(_(MSG_REMOVED).format(name=name.strip().lower()))


@user_app.command("list", help=_("The accounts, with their roles."))
def user_list(as_json: JsonOption = False, config: ConfigOption = None) -> None:
    station = load(config)
    rows = [{"name": a.name, "role": a.role.value, "created": when(a.created_at, station)}
            for a in _accounts_of(station).list()]
    print_rows(rows, ["name", "role", "created"], as_json, _(MSG_NO_ACCOUNTS))


def _accounts(config: ConfigOption) -> Accounts:
    return _accounts_of(load(config))


def _accounts_of(station: Config) -> Accounts:
    from broadcaster.store import open_store
    from broadcaster.web.accounts import Accounts

    return Accounts(open_store(station))


def _password() -> str:
    """The new password: asked twice on a terminal, else one line of standard input."""
    from broadcaster.model import OperatorError

    if sys.stdin is not None and sys.stdin.isatty():
        while True:  # Click's own confirmation prompt complains in English
            first = str(typer.prompt(_(MSG_PASSWORD), hide_input=True))
            if first == str(typer.prompt(_(MSG_PASSWORD_AGAIN), hide_input=True)):
                return first
            typer.echo(_(MSG_PASSWORDS_DIFFER), err=True)
    line = sys.stdin.buffer.readline().rstrip(b"\r\n") if sys.stdin is not None else b""
    if not line:
        raise OperatorError(_(MSG_NO_PASSWORD))
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        raise OperatorError(_(MSG_PASSWORD_NOT_UTF8)) from None


# --- the console: `broadcaster web` ----------------------------------------------------------

MSG_WEB_DISABLED = N_("the web console is turned off in {path} ([web] enabled = false); set "
                      "enabled = true to run it")
MSG_LISTENING = N_("the web console answers on {url} (Ctrl-C stops it)")


def web(config: ConfigOption = None) -> None:
    """The LAN web console (Vietnamese, phone first): a separate process from the daemon,
    listening on [web] listen; TLS when [web] tls_cert and tls_key are given."""
    from broadcaster.model import OperatorError
    from broadcaster.web.app import serve

    station = load(config)
    if not station.web.enabled:
        raise OperatorError(_(MSG_WEB_DISABLED).format(path=station.source or "broadcaster.toml"))
    if not _has_accounts(station):
        typer.echo(_(MSG_NO_ACCOUNTS), err=True)
    host, port = station.web.address()
    scheme = "https" if station.web.tls_cert else "http"
    shown = f"[{host}]" if ":" in host else host
    typer.echo(_(MSG_LISTENING).format(url=f"{scheme}://{shown}:{port}"), err=True)
    serve(station)


def _has_accounts(station: Config) -> bool:
    from broadcaster.store import open_store
    from broadcaster.web.accounts import Accounts

    store = open_store(station)
    try:
        return bool(Accounts(store).list())
    finally:
        store.close()
