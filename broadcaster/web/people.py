"""The leader's pages: the console's accounts (add, change role, set a password, remove:
what `broadcaster user` does) and the login log. Password work runs on the doorkeeper's
thread, one hash at a time, as logins do."""

from __future__ import annotations

from collections.abc import Callable

from starlette.responses import Response
from starlette.routing import Route

from broadcaster.i18n import N_, _
from broadcaster.model import OperatorError
from broadcaster.store import open_store
from broadcaster.web.accounts import Accounts, Role
from broadcaster.web.console import Visit, page
from broadcaster.web.templates import ROLES

MSG_ADDED = N_("Added {name} ({role}).")
MSG_ROLE_SET = N_("{name} is now {role}.")
MSG_PASSWORD_SET = N_("The password of {name} is changed.")
MSG_REMOVED = N_("Removed {name}.")
MSG_PASSWORDS_DIFFER = N_("The two passwords differ; type the same password twice.")
MSG_BAD_ROLE = N_("Choose a role: viewer, operator or leader.")
MSG_NO_SUCH_CHANGE = N_("There is no such change to an account.")
LOG_SHOWN = 200
OUTCOMES = {"ok": N_("logged in"), "failed": N_("wrong password"),
            "locked": N_("refused: too many attempts")}


def _accounts_in_thread(visit: Visit, work: Callable[[Accounts], object]) -> object:
    """`work` on the doorkeeper's thread, waited for from this worker thread."""
    import anyio.from_thread

    return anyio.from_thread.run(visit.console.doorkeeper.run, work)


@page("accounts")
def accounts_page(visit: Visit) -> Response:
    return _page(visit)


def _page(visit: Visit, *, done: str = "", error: str = "", status: int = 200) -> Response:
    store = open_store(visit.config)
    try:
        everyone = Accounts(store).list()
    finally:
        store.close()
    return visit.show("accounts.html", status=status, accounts=everyone, roles=list(Role),
                      done=done, error=error)


@page("accounts")
def change(visit: Visit) -> Response:
    """One change to the accounts: add, role, password or remove (`what` in the path)."""
    what = visit.request.path_params["what"]
    name = visit.field("name")
    password = visit.form.get("password") if visit.form is not None else None
    again = visit.form.get("again") if visit.form is not None else None
    try:
        if what in ("add", "password") and password != again:
            raise OperatorError(_(MSG_PASSWORDS_DIFFER))
        secret = password if isinstance(password, str) else ""
        if what == "add":
            role = _role(visit.field("role"))
            made = _accounts_in_thread(visit, lambda accounts: accounts.add(name, role, secret))
            done = _(MSG_ADDED).format(name=getattr(made, "name", name),
                                       role=_(ROLES[role.value]))
        elif what == "role":
            role = _role(visit.field("role"))
            _accounts_in_thread(visit, lambda accounts: accounts.set_role(name, role))
            done = _(MSG_ROLE_SET).format(name=name, role=_(ROLES[role.value]))
        elif what == "password":
            # the leader's own password: the other sessions end, this one goes on
            mine = visit.visitor.session if name.strip().lower() == visit.visitor.name else None
            _accounts_in_thread(visit, lambda accounts: accounts.set_password(
                name, secret, keep_session=mine))
            done = _(MSG_PASSWORD_SET).format(name=name)
        elif what == "remove":
            _accounts_in_thread(visit, lambda accounts: accounts.remove(name))
            done = _(MSG_REMOVED).format(name=name)
        else:
            return visit.refuse(_(MSG_NO_SUCH_CHANGE), 404)
    except OperatorError as refused:
        return _page(visit, error=refused.on_a_form, status=400)
    return _page(visit, done=done)


def _role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise OperatorError(_(MSG_BAD_ROLE)) from None


@page("login_log")
def login_log(visit: Visit) -> Response:
    store = open_store(visit.config)
    try:
        attempts = Accounts(store).login_log(LOG_SHOWN)
    finally:
        store.close()
    return visit.show("login_log.html", attempts=attempts, outcomes=OUTCOMES)


ROUTES = [
    Route("/accounts", accounts_page, methods=["GET"]),
    Route("/accounts/log", login_log, methods=["GET"]),
    Route("/accounts/{what:str}", change, methods=["POST"]),
]
