"""The upstream commands (SPEC §3): the operator's `inbox` and the district's `district`.

The command-line side of broadcaster/upstream/, which knows nothing of terminals.
Mounted in cli.py with `app.command()(inbox)` and `app.add_typer(district_app,
name="district")`. Only Typer is imported here; the rest inside each command, so
`broadcaster --help` stays fast. Also the reading of text options that both command
modules share (`text_option`, `plain_option`): cli.py imports this module, not the reverse.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from broadcaster.__main__ import is_utf8
from broadcaster.i18n import N_, _
from broadcaster.terminal import (
    ConfigOption,
    JsonOption,
    load,
    print_json,
    print_rows,
    print_table,
    when,
    word,
)

if TYPE_CHECKING:
    from datetime import timedelta

    from broadcaster.config import Config
    from broadcaster.upstream.slot_orders import SlotOrderSent

MSG_INBOX_EMPTY = N_("no upstream push is waiting")
MSG_NO_REFUSALS = N_("no push has been refused")
MSG_ACCEPTED = N_("accepted #{id}: {title} - queued as #{queue_id}")
MSG_REJECTED = N_("rejected #{id}: {title}")
MSG_WHICH = N_("give the push's number: `broadcaster inbox {action} ID` (see `broadcaster inbox`)")
MSG_KEY_WRITTEN = N_("private key {private} (mode 0600, keep it secret)\n"
                     "public key  {public} - copy it to every station and list it in "
                     "[district] trusted_keys\nkey id      {key_id}")
MSG_KEY_ROTATED = N_(
    "new private key {private} (mode 0600, keep it secret)\n"
    "new public key  {public}\n"
    "new key id      {key_id}\n"
    "The current key {current} ({current_id}) is kept and still signs. Next:\n"
    "  1. add {public} to every station's [district] trusted_keys, beside the current key "
    "(the technician pushes that config);\n"
    "  2. once every station trusts both, sign with the new key: --key {private}, or move "
    "the old key away and the new one to {current};\n"
    "  3. revoke the old key: broadcaster province revoke {current_id} --key {private} "
    "--reason \"rotated\";\n"
    "  4. later, remove the old public key from trusted_keys.")
MSG_REVOKED = N_("revocation {message_id} of key(s) {keys} sent to {target}, signed by key "
                 "{signer}, on {topic}")
MSG_PUSHED = N_("pushed {message_id} to {target} ({level}, sequence {seq}) on {topic}")
MSG_INBOX_FETCHING = N_("and {count} push(es) still fetching their recorded audio from the "
                        "province (they come here, or on air, once it is whole; the first "
                        "expires {until}); `broadcaster status` shows how far")
MSG_NO_ANSWER_IN_TIME = N_("no receipt from {who} within {seconds} s; `broadcaster province "
                           "status` lists the stations and when each was last heard")
MSG_PUSHED_FILES = N_("{count} file(s), {size} MB, fetched by each station from the collector")
MSG_SLOT_INSTALL_SENT = N_("slot order {message_id} to {target}: install slot {name} "
                           "({title}), sequence {seq}, on {topic}")
MSG_SLOT_REMOVE_SENT = N_("slot order {message_id} to {target}: remove slot {name}, "
                          "sequence {seq}, on {topic}")
MSG_FOLLOW = N_("follow it with: broadcaster province report {message_id}")
MSG_COLLECTING = N_("collecting receipts and statuses from {where} into {path}")
MSG_REPORT_HEAD = N_("push {message_id} to {target} ({level}), sent {sent}")
MSG_REPORT_REVOCATION = N_("revocation {message_id} to {target}, sent {sent}")
MSG_REPORT_SLOT_ORDER = N_("slot order {message_id} to {target}, sent {sent}; a slot answers "
                           "each day it airs")
MSG_REPORT_UNSEEN = N_("push {message_id}: the collector did not see the push itself, only "
                       "receipts; every station it knows is listed")
MSG_REPORT_TOTALS = N_("{targeted} targeted, {answered} answered, {accepted} accepted, "
                       "{rejected} rejected, {aired} aired, {not_aired} not aired, "
                       "{waiting} not aired yet, {no_answer} no answer yet")
MSG_NO_STATIONS_COLLECTED = N_("the collector has not heard from any station yet")
MSG_CLOCK_UNSYNCED = N_("unsynchronized")
MSG_CLOCK_SYNCED = N_("synchronized")
MSG_REFUSED_BY = N_("{count} station(s) rejected the push")
MSG_NO_STATIONS = N_("no station has reported to this broker yet")
MSG_DUPLICATE = N_("(repeated delivery, ignored) ")
MSG_CHOOSE_ACTION = N_("choose accept or reject")
INBOX_HELP = N_("Upstream pushes awaiting the operator. List them, accept ID or reject ID "
                "(normal pushes; priority and emergency are scheduled at once).")

MSG_OPTION_NOT_UTF8 = N_("{option} {value} is not UTF-8; type it again in plain letters and "
                         "digits (see --help)")


# --- text from the command line ---------------------------------------------------------------

def text_option(value: str | None, param: typer.CallbackParam) -> str | None:
    """Typer callback for a free-text argument or option (a notice, a title, a reason, a
    name): one that was not UTF-8 (Python hands its bytes over as surrogates) is read by
    broadcaster.text_in as the notice's text is (Windows-1258 read; TCVN3, VNI and other
    bytes refused in one line that names the option). Other values come back as they are."""
    if value is None or is_utf8(value):
        return value
    from broadcaster.model import OperatorError
    from broadcaster.text_in import decode

    try:
        return decode(os.fsencode(value))
    except OperatorError as refused:
        raise OperatorError(f"{_name(param)}: {refused}") from None


def plain_option(value: str | None, param: typer.CallbackParam) -> str | None:
    """Typer callback for an option that is not prose (a time, a duration, a level, a date,
    a choice): one that was not UTF-8 is refused in one line that shows its bytes as \\xNN,
    never as the surrogates Python hands over."""
    if value is None or is_utf8(value):
        return value
    from broadcaster.model import OperatorError

    shown = os.fsencode(value).decode("utf-8", "backslashreplace")
    raise OperatorError(_(MSG_OPTION_NOT_UTF8).format(option=_name(param), value=f"'{shown}'"))


def plain_options(values: list[str], param: typer.CallbackParam) -> list[str]:
    """`plain_option` for an option given several times."""
    return [plain_option(value, param) or "" for value in values]


def output_format(value: str, param: typer.CallbackParam) -> str:
    """Typer callback of `--format`: table, csv or json, in any case ("CSV" as the help
    writes it is fine); anything else is a usage error."""
    value = (plain_option(value, param) or "").strip().lower()
    if value not in ("table", "csv", "json"):
        raise typer.BadParameter(_("choose table, csv or json"), param_hint="--format")
    return value


FormatOption = Annotated[str, typer.Option("--format", help=_("table, csv or json."),
                                           callback=output_format)]


def _name(param: typer.CallbackParam) -> str:
    """The option as typed (--title), or the argument's name (TEXT)."""
    return param.opts[0] if param.param_type_name == "option" else str(param.name).upper()


KeyOption = Annotated[
    Optional[Path],  # noqa: UP045
    typer.Option("--key", help=_("The province's private key (default: "
                                 "<data_dir>/district/district.key).")),
]


# --- the operator's inbox ----------------------------------------------------------------------

def inbox(
    action: Annotated[Optional[str], typer.Argument(  # noqa: UP045
        metavar="[accept|reject]", help=_("accept (schedule it now) or reject (tell the "
                                          "district) a waiting push."),
        callback=plain_option)] = None,
    push_id: Annotated[Optional[int], typer.Argument(  # noqa: UP045
        metavar="ID", help=_("The push's number in the inbox list."))] = None,
    reason: Annotated[Optional[str], typer.Option(  # noqa: UP045
        help=_("With reject: the reason sent to the province."),
        callback=text_option)] = None,
    refused: Annotated[bool, typer.Option(
        "--refused", help=_("List the pushes the station refused, with the reason."))] = False,
    every: Annotated[bool, typer.Option(
        "--all", help=_("List decided pushes too (accepted, rejected, expired)."))] = False,
    as_json: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """Upstream `normal` pushes awaiting the operator: list, accept ID, reject ID (its help
    is INBOX_HELP, translated where cli.py mounts it)."""
    from broadcaster.upstream import inbox as desk

    station = load(config)
    if action is None:
        if refused:
            _list_refusals(station, as_json)
        else:
            _list_inbox(station, every, as_json)
        return
    if action not in ("accept", "reject"):
        raise typer.BadParameter(_(MSG_CHOOSE_ACTION), param_hint="ACTION")
    if push_id is None:
        raise typer.BadParameter(_(MSG_WHICH).format(action=action), param_hint="ID")
    if action == "accept":
        entry, queue_id = desk.accept(station, push_id)
        typer.echo(_(MSG_ACCEPTED).format(id=entry.id, title=entry.title, queue_id=queue_id))
    else:
        entry = desk.reject(station, push_id, reason)
        typer.echo(_(MSG_REJECTED).format(id=entry.id, title=entry.title))


def _list_inbox(station: Config, every: bool, as_json: bool) -> None:
    from broadcaster.upstream import inbox as desk

    rows = [{"id": e.id, "received": when(e.received_at, station), "level": e.level.value,
             "state": e.state, "expires": when(e.expires_at, station),
             "items": len(e.playlist.items), "title": e.title, "message_id": e.message_id,
             "reason": e.reason or ""}
            for e in desk.waiting(station, every=every)]
    print_rows(rows, ["id", "received", "level", "state", "expires", "items", "title"], as_json,
               _(MSG_INBOX_EMPTY))
    arriving = desk.fetching(station)
    if arriving and not as_json:
        typer.echo(_(MSG_INBOX_FETCHING).format(count=len(arriving), until=min(
            when(push.expires_at, station) for push in arriving)))


def _list_refusals(station: Config, as_json: bool) -> None:
    from broadcaster.upstream import inbox as desk

    rows = [{"when": when(r.received_at, station), "message_id": r.message_id or "",
             "key_id": r.key_id or "", "bytes": r.size, "reason": r.reason}
            for r in desk.refusals(station)]
    print_rows(rows, ["when", "message_id", "bytes", "reason"], as_json, _(MSG_NO_REFUSALS))


# --- the district ------------------------------------------------------------------------------

PROVINCE_HELP = N_("The upstream side: keys, signed pushes and revocations, the stations' "
                   "status. Since 1 July 2025 the upstream is the province (the district "
                   "level is gone); `district` is the same command, kept for compatibility.")
DISTRICT_HELP = N_("Same as `province`: its name before the 2025 change, kept for "
                   "compatibility.")
district_app = typer.Typer(help=_(PROVINCE_HELP), no_args_is_help=True)


@district_app.command("keygen", help=_("Make the signing key pair. Refuses to overwrite one; "
                                       "--rotate makes the next key beside the current one."))
def district_keygen(
    key: KeyOption = None,
    rotate: Annotated[bool, typer.Option(
        "--rotate", help=_("Keep the current key (it still signs) and write a new pair beside "
                           "it, named by the date; prints the steps to roll it out."))] = False,
    config: ConfigOption = None,
) -> None:
    from broadcaster.upstream import district

    if not rotate:
        files = district.keygen(load(config), key)
        typer.echo(_(MSG_KEY_WRITTEN).format(private=files.private, public=files.public,
                                             key_id=files.key_id))
        return
    current, fresh = district.rotate(load(config), key)
    typer.echo(_(MSG_KEY_ROTATED).format(private=fresh.private, public=fresh.public,
                                         key_id=fresh.key_id, current=current.private,
                                         current_id=current.key_id))


@district_app.command("revoke", help=_("Sign a revocation of KEY (its id, or its public key "
                                        "file) with the current key and publish it: stations "
                                        "refuse that key from then on. Prints its message id."))
def district_revoke(
    keys: Annotated[list[str], typer.Argument(
        metavar="KEY_ID_OR_PUBLIC_KEY_FILE...", help=_("The key(s) to revoke."))],
    reason: Annotated[str, typer.Option(
        "--reason", help=_("Why, in one line: stations record it and show it with every "
                           "refusal."), callback=text_option)] = "",
    to: Annotated[str, typer.Option("--to", help=_("A station id, or 'all'."),
                                    callback=text_option)] = "all",
    expires: Annotated[Optional[str], typer.Option(  # noqa: UP045
        help=_("How long stations may still take it (default 14 days, as long as the broker "
               "keeps an offline station's messages)."), callback=plain_option)] = None,
    key: KeyOption = None,
    as_json: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    from broadcaster.upstream.district import revoke

    lifetime = _lifetime(expires)
    sent = revoke(load(config), keys, target=to, reason=reason, key=key, expires=lifetime)
    if as_json:
        print_json({"message_id": sent.message_id, "seq": sent.seq, "topic": sent.topic,
                    "revoked": sent.keys, "signed_by": sent.signed_by})
        return
    typer.echo(_(MSG_REVOKED).format(message_id=sent.message_id, keys=", ".join(sent.keys),
                                     target=word(to), signer=sent.signed_by, topic=sent.topic))


# --- slot orders: the province's slot programs at the stations ---------------------------

MSG_SLOT_CHOOSE = N_("choose install FILE or remove NAME")
MSG_SLOT_NAME_ONLY_INSTALL = N_("--name goes with install (a removal names the slot itself)")


@district_app.command("slot", help=_(
    "Install, replace or remove a slot playlist (a daily or weekly program) at the "
    "stations: `slot install FILE` signs an order installing the slot playlist FILE (or "
    "replacing the province's slot of that name), `slot remove NAME` one removing the "
    "province's slot NAME (what it queued and has not started is cancelled). The "
    "stations show it as the province's; their operators cannot change it. Prints the "
    "order's message id."))
def district_slot(
    action: Annotated[str, typer.Argument(metavar="install|remove",
                                          help=_("install or remove."),
                                          callback=plain_option)],
    what: Annotated[str, typer.Argument(
        metavar="FILE|NAME", help=_("install: a slot playlist (YAML with slot:, SPEC §5); "
                                    "remove: the slot's name, as it was installed."),
        callback=text_option)],
    to: Annotated[str, typer.Option("--to", help=_("A station id, or 'all'."),
                                    callback=text_option)] = "all",
    name: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--name", help=_("With install: the slot's name at the stations (default: the file "
                         "name without .yaml)."), callback=text_option)] = None,
    expires: Annotated[Optional[str], typer.Option(  # noqa: UP045
        help=_("How long stations may still take it (default 14 days, as long as the broker "
               "keeps an offline station's messages)."), callback=plain_option)] = None,
    key: KeyOption = None,
    wait: Annotated[bool, typer.Option(
        "--wait", help=_("Print the stations' receipts as they come, until each took or "
                         "refused the order."))] = False,
    timeout: Annotated[float, typer.Option(
        "--timeout", min=1, help=_("With --wait: the longest to wait, in seconds."))] = 60.0,
    as_json: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    from broadcaster.upstream import slot_orders

    if action not in ("install", "remove"):
        raise typer.BadParameter(_(MSG_SLOT_CHOOSE), param_hint="ACTION")
    if action == "remove" and name is not None:
        raise typer.BadParameter(_(MSG_SLOT_NAME_ONLY_INSTALL), param_hint="--name")
    station = load(config)

    def show(receipt: dict[str, Any]) -> None:
        typer.echo(json.dumps(receipt, ensure_ascii=False) if as_json
                   else _receipt_line(receipt, station))

    wait_s = timeout if wait else 0.0
    if action == "install":
        sent = slot_orders.install(station, Path(what), target=to, name=name, key=key,
                                   expires=_lifetime(expires), wait_s=wait_s, on_receipt=show)
    else:
        sent = slot_orders.remove(station, what, target=to, key=key,
                                  expires=_lifetime(expires), wait_s=wait_s, on_receipt=show)
    if wait and not as_json:
        _said_nothing(sent.receipts, to, timeout)
    if as_json:
        print_json(_slot_order_json(sent))
        _fail_if_refused(sent.receipts)
        return
    if action == "install":
        typer.echo(_(MSG_SLOT_INSTALL_SENT).format(message_id=sent.message_id, target=word(to),
                                                   name=sent.name, title=sent.title,
                                                   seq=sent.seq, topic=sent.topic))
    else:
        typer.echo(_(MSG_SLOT_REMOVE_SENT).format(message_id=sent.message_id, target=word(to),
                                                  name=sent.name, seq=sent.seq,
                                                  topic=sent.topic))
    typer.echo(_(MSG_FOLLOW).format(message_id=sent.message_id))
    _fail_if_refused(sent.receipts)


def _fail_if_refused(receipts: tuple[dict[str, Any], ...] | list[dict[str, Any]]) -> None:
    """Exit 1 when a station refused what --wait heard the answers of."""
    from broadcaster.model import OperatorError
    from broadcaster.upstream.district import refused_by

    rejected = refused_by(receipts)
    if rejected:
        raise OperatorError(_(MSG_REFUSED_BY).format(count=len(rejected)))


def _lifetime(expires: str | None) -> timedelta | None:
    from datetime import timedelta

    from broadcaster.clock import parse_duration

    return timedelta(seconds=parse_duration(expires)) if expires else None


def _slot_order_json(sent: SlotOrderSent) -> dict[str, Any]:
    return {"message_id": sent.message_id, "action": sent.action, "slot": sent.name,
            "seq": sent.seq, "topic": sent.topic,
            "report": f"broadcaster province report {sent.message_id}"}


@district_app.command("push", help=_("Validate FILE, sign it and publish it. Signed with "
                                      "the province key; prints its message id."))
def district_push(
    file: Annotated[Path, typer.Argument(help=_("A one-off playlist (YAML, SPEC §5)."))],
    to: Annotated[str, typer.Option("--to", help=_("A station id, or 'all'."),
                                    callback=text_option)],
    level: Annotated[str, typer.Option(
        "--level", help=_("normal (the station's operator decides), priority (scheduled "
                          "at once) or emergency (cuts in at once)."),
        callback=plain_option)] = "normal",
    wait: Annotated[bool, typer.Option(
        "--wait", help=_("Print the stations' receipts as they come."))] = False,
    timeout: Annotated[float, typer.Option(
        "--timeout", min=1, help=_("With --wait: the longest to wait, in seconds."))] = 60.0,
    expires: Annotated[Optional[str], typer.Option(  # noqa: UP045
        help=_("How long stations may still take it, e.g. 30m, 6h (default by level: "
               "normal 24h, priority 6h, emergency 1h)."), callback=plain_option)] = None,
    key: KeyOption = None,
    as_json: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    from broadcaster.desk import parse_level
    from broadcaster.upstream.district import push

    lifetime = _lifetime(expires)
    chosen = parse_level(level)

    station = load(config)

    def show(receipt: dict[str, Any]) -> None:
        typer.echo(json.dumps(receipt, ensure_ascii=False) if as_json
                   else _receipt_line(receipt, station))

    pushed = push(station, file, target=to, level=chosen, key=key, expires=lifetime,
                  wait_s=timeout if wait else 0.0, on_receipt=show)
    if wait and not as_json:
        _said_nothing(pushed.receipts, to, timeout)
    if not as_json:
        typer.echo(_(MSG_PUSHED).format(message_id=pushed.message_id, target=word(to),
                                        level=word(chosen.value), seq=pushed.seq,
                                        topic=pushed.topic),
                   err=wait)
        if pushed.files:
            typer.echo(_(MSG_PUSHED_FILES).format(count=len(pushed.files),
                                                  size=f"{pushed.files_bytes / 1e6:.1f}"),
                       err=wait)
        typer.echo(_(MSG_FOLLOW).format(message_id=pushed.message_id), err=wait)
    else:
        print_json({"message_id": pushed.message_id, "seq": pushed.seq, "topic": pushed.topic,
                     "receipts": len(pushed.receipts),
                     "files": [manifest.as_json() for manifest in pushed.files],
                     "report": f"broadcaster province report {pushed.message_id}"})
    _fail_if_refused(pushed.receipts)


def _said_nothing(receipts: list[dict[str, Any]] | tuple[dict[str, Any], ...], to: str,
                  timeout: float) -> None:
    """After --wait: one line when the station (or, for all, every station) never
    answered."""
    answered = {receipt.get("station") for receipt in receipts}
    if to not in answered if to != "all" else not answered:
        typer.echo(_(MSG_NO_ANSWER_IN_TIME).format(who=word(to), seconds=f"{timeout:.0f}"),
                   err=True)


def _receipt_line(receipt: dict[str, Any], station: Config) -> str:
    """A receipt as `push --wait` prints it, its times on the station's clock (like
    `report`, `status` and `log`)."""
    from datetime import datetime

    def local(value: object) -> str:
        if not value:
            return ""
        try:
            return when(datetime.fromisoformat(str(value)).timestamp(), station)
        except ValueError:
            return str(value or "")

    kind = str(receipt.get("receipt"))
    detail = receipt.get("reason") or ""
    as_run = receipt.get("as_run")
    if isinstance(as_run, dict):
        detail = f"{word(str(as_run.get('outcome')))} {local(as_run.get('started'))} → " \
                 f"{local(as_run.get('ended'))}" + (f" ({as_run['engine']})"
                                                     if as_run.get("engine") else "")
        if as_run.get("reason"):
            detail += f": {as_run['reason']}"
    if receipt.get("duplicate"):
        detail = _(MSG_DUPLICATE) + detail
    return f"{local(receipt.get('at'))}  {receipt.get('station')}  {word(kind)}  " \
        f"{detail}".rstrip()


@district_app.command("status", help=_(
    "Every station: online or offline since when, on air, last aired, faults, clock and "
    "software version, from the receipt collector's database when there is one; else from "
    "the broker's retained statuses (on air, last aired, inbox and last error)."))
def district_status(
    as_json: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    from broadcaster.upstream.collector_db import collector_db_path
    from broadcaster.upstream.district import station_statuses

    station = load(config)
    if collector_db_path(station).exists():
        _collected_status(station, as_json)
        return
    statuses = station_statuses(station)
    if as_json:
        print_json([status.as_dict() for status in statuses])
        return
    if not statuses:
        typer.echo(_(MSG_NO_STATIONS))
        return
    rows = []
    for status in statuses:
        on_air = status.on_air or {}
        aired = status.last_aired or {}
        rows.append({
            "station": status.station, "state": status.state, "since": status.since or "",
            "on air": f"{on_air.get('title')} ({word(str(on_air.get('level')))})"
            if on_air else "",
            "last aired": f"{aired.get('ended', '')} {aired.get('title', '')}".strip(),
            "inbox": status.inbox if status.inbox is not None else "",
            "last error": status.last_error or ""})
    print_table(rows, ["station", "state", "since", "on air", "last aired", "inbox", "last error"])


# --- the receipt collector ---------------------------------------------------------------------

@district_app.command("collect", help=_(
    "Run the receipt collector: store every push, receipt and station status in "
    "<data_dir>/district/collector.db until stopped (systemd: broadcaster-collector.service)."))
def district_collect(
    client_id: Annotated[str, typer.Option(
        "--client-id", help=_("The collector's fixed MQTT client id (its session at the "
                              "broker)."), callback=plain_option)] = "broadcaster-collector",
    config: ConfigOption = None,
) -> None:
    import logging
    import signal

    from broadcaster.upstream.collector import (
        CollectorClient,
        collector_keys,
        only_collector,
        open_collector,
    )
    from broadcaster.upstream.collector_db import collector_db_path
    from broadcaster.upstream.district import settings_of

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    station = load(config)
    settings = settings_of(station)
    path = collector_db_path(station)
    keys = collector_keys(station)  # before the database: no key, nothing made
    with only_collector(path):
        collector = open_collector(path, settings.prefix, keys)
        client = CollectorClient(settings, collector, client_id)
        signal.signal(signal.SIGTERM, lambda *_: client.stop())
        signal.signal(signal.SIGINT, lambda *_: client.stop())
        typer.echo(_(MSG_COLLECTING).format(where=settings.describe(), path=path), err=True)
        try:
            client.run()
        finally:
            collector.db.close()


REPORT_COLUMNS = ["station", "answer", "received", "decided", "started", "ended", "engine",
                  "reason"]


@district_app.command("report", help=_(
    "What became of one push at every station it targeted: received, accepted or "
    "rejected (why), aired (start, end, engine) or not (why), or no answer yet. From the "
    "receipt collector's database."))
def district_report(
    message_id: Annotated[str, typer.Argument(
        metavar="PUSH_ID", help=_("The push's message id, as `province push` printed it."),
        callback=plain_option)],
    output_format: FormatOption = "table",
    as_json: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    import sys

    from broadcaster.as_run_sheet import write_csv
    from broadcaster.upstream.collector_db import CollectorDB, collector_db_path
    from broadcaster.upstream.collector_report import report

    output_format = "json" if as_json else output_format
    station = load(config)
    db = CollectorDB(collector_db_path(station))
    try:
        found = report(db, message_id.strip())
    finally:
        db.close()
    rows = [{"station": a.station, "name": a.name or "", "answer": a.answer,
             "received": when(a.received, station), "decided": when(a.decided, station),
             "started": when(a.started, station), "ended": when(a.ended, station),
             "engine": a.engine or "", "reason": a.reason or ""} for a in found.stations]
    push = found.push
    if output_format == "json":
        print_json({"message_id": found.message_id,
                    "kind": push.kind if push else None,
                    "target": push.target if push else None,
                    "level": push.level if push else None,
                    "sent": when(push.issued, station) if push else None,
                    "totals": found.totals, "stations": rows})
    elif output_format == "csv":
        write_csv(rows, ["station", "name", *REPORT_COLUMNS[1:]], sys.stdout)
    else:
        if push is not None and push.kind in ("revoke", "slot"):
            head = MSG_REPORT_REVOCATION if push.kind == "revoke" else MSG_REPORT_SLOT_ORDER
            typer.echo(_(head).format(message_id=found.message_id, target=word(push.target),
                                      sent=when(push.issued, station)))
        elif push is not None:
            typer.echo(_(MSG_REPORT_HEAD).format(
                message_id=found.message_id, target=word(push.target),
                level=word(push.level or ""), sent=when(push.issued, station)))
        else:
            typer.echo(_(MSG_REPORT_UNSEEN).format(message_id=found.message_id))
        typer.echo(_(MSG_REPORT_TOTALS).format(
            **{key.replace(" ", "_"): value for key, value in found.totals.items()}))
        if rows:
            typer.echo("")
            print_table(rows, REPORT_COLUMNS)


def _collected_status(station: Config, as_json: bool) -> None:
    """`district status` from the collector's database: what live messages said."""
    from broadcaster.upstream.collector_db import CollectorDB, collector_db_path
    from broadcaster.upstream.collector_report import station_states

    db = CollectorDB(collector_db_path(station))
    try:
        states = station_states(db)
    finally:
        db.close()
    if as_json:  # None where nothing is known; times on the config's clock
        print_json([{
            "station": state.station, "name": state.name, "state": state.state,
            "since": when(state.since, station) or None,
            "last_heard": when(state.last_heard, station) or None, "on_air": state.on_air,
            "last_aired": {"title": state.last_aired.title,
                           "ended": when(state.last_aired.ended, station) or None}
            if state.last_aired else None,
            "device_error": state.device_error, "amplifier": state.amplifier,
            "clock_synchronized": state.clock_synchronized, "software": state.software,
            "last_error": state.last_error, "inbox": state.inbox} for state in states])
        return
    rows = []
    for state in states:
        aired, on_air = state.last_aired, state.on_air
        clock = "" if state.clock_synchronized is None else \
            _(MSG_CLOCK_SYNCED) if state.clock_synchronized else _(MSG_CLOCK_UNSYNCED)
        rows.append({
            "station": state.station, "state": state.state, "since": when(state.since, station),
            "last heard": when(state.last_heard, station),
            "on air": f"{on_air.get('title')} ({word(str(on_air.get('level')))})"
            if on_air else "",
            "last aired": f"{when(aired.ended, station)} {aired.title or ''}".strip()
            if aired else "",
            "faults": "; ".join(text for text in (state.device_error, state.last_error) if text),
            "amplifier": state.amplifier or "", "clock": clock,
            "software": state.software or ""})
    print_rows(rows, ["station", "state", "since", "last heard", "on air", "last aired",
                      "faults", "amplifier", "clock", "software"], False,
               _(MSG_NO_STATIONS_COLLECTED))
