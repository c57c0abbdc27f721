"""The web console's accounts, its login limits and its signed sessions: real SQLite, real
argon2 (at its cheapest cost, except where the cost is the point), real command line."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import pytest
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST

from broadcaster.model import OperatorError
from broadcaster.store import Store
from broadcaster.web.accounts import (
    ACTIONS,
    KEEP_LOGIN_LOG_S,
    LOCK_WINDOW_S,
    Account,
    Accounts,
    LoginAttempt,
    Role,
    allowed,
)
from broadcaster.web.security import (
    SECRET_BYTES,
    csrf_ok,
    csrf_token,
    new_secret,
    read_session,
    sign_session,
)
from tests.support.station import Station

PASSWORD = "mưa-bão-2026"  # noqa: S105 - a test account
OFFICE = "192.168.1.20"


class Clock:
    """The station's clock, moved by hand."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class CountingHasher(PasswordHasher):
    """argon2's own hasher that counts the hashes it checks."""

    checked = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        self.checked += 1
        return super().verify(hash, password)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store(tmp_path / "station.db")
    yield opened
    opened.close()


@pytest.fixture
def accounts(store: Store, clock: Clock) -> Accounts:
    return Accounts(store, clock, hasher=PasswordHasher.from_parameters(CHEAPEST))


# --- accounts --------------------------------------------------------------------------------

def test_an_officer_added_logs_in_with_the_password_and_only_with_it(
        accounts: Accounts, clock: Clock) -> None:
    added = accounts.add("Lan", Role.OPERATOR, PASSWORD)
    assert added == Account("lan", Role.OPERATOR, clock.now)
    assert accounts.verify("lan", PASSWORD, OFFICE) == added
    assert accounts.verify("LAN ", PASSWORD, OFFICE) == added  # a phone's capital letter
    assert accounts.verify("lan", PASSWORD.upper(), OFFICE) is None
    assert accounts.verify("hoa", PASSWORD, OFFICE) is None
    assert accounts.list() == [added]
    assert accounts.get("Lan") == added
    assert accounts.get("hoa") is None


def test_a_password_typed_decomposed_is_the_same_password(accounts: Accounts) -> None:
    """Unikey's "Unicode tổ hợp" writes ư as u + a combining horn."""
    accounts.add("lan", Role.VIEWER, PASSWORD)
    decomposed = unicodedata.normalize("NFD", PASSWORD)
    assert decomposed != PASSWORD
    assert accounts.verify("lan", decomposed, OFFICE) is not None


def test_a_name_without_an_account_costs_one_argon2_check_like_a_real_one(
        store: Store, clock: Clock) -> None:
    hasher = CountingHasher.from_parameters(CHEAPEST)
    assert isinstance(hasher, CountingHasher)
    accounts = Accounts(store, clock, hasher=hasher)
    accounts.add("lan", Role.VIEWER, PASSWORD)
    accounts.verify("lan", "wrong password", OFFICE)
    assert hasher.checked == 1
    accounts.verify("nobody", PASSWORD, OFFICE)
    assert hasher.checked == 2


@pytest.mark.parametrize(("name", "password", "says"), [
    ("lan", "short", "the password has 5 characters; use at least 8"),
    ("lan", "x" * 1025, "the password has 1025 characters; use at most 1024"),
    ("longname", "LongName", "the password must not be the user name"),
    ("nguyễn lan", PASSWORD, "user name 'nguyễn lan': use 1 to 32 letters a-z"),
    ("", PASSWORD, "user name '': use 1 to 32"),
    ("a" * 33, PASSWORD, "use 1 to 32 letters"),
    ("-lan", PASSWORD, "use 1 to 32 letters"),
])
def test_a_bad_name_or_a_weak_password_is_refused_in_one_line(
        accounts: Accounts, name: str, password: str, says: str) -> None:
    with pytest.raises(OperatorError) as refused:
        accounts.add(name, Role.OPERATOR, password)
    assert says in str(refused.value)
    assert "\n" not in str(refused.value)
    assert accounts.list() == []


def test_a_name_is_taken_once(accounts: Accounts) -> None:
    accounts.add("lan", Role.OPERATOR, PASSWORD)
    with pytest.raises(OperatorError, match="already an account named 'lan'"):
        accounts.add("Lan", Role.LEADER, "another-password")
    assert [(a.name, a.role) for a in accounts.list()] == [("lan", Role.OPERATOR)]
    assert accounts.verify("lan", PASSWORD, OFFICE) is not None


def test_a_new_password_replaces_the_old(accounts: Accounts) -> None:
    accounts.add("lan", Role.OPERATOR, PASSWORD)
    accounts.set_password("Lan", "gió-mùa-đông-bắc")
    assert accounts.verify("lan", PASSWORD, OFFICE) is None
    assert accounts.verify("lan", "gió-mùa-đông-bắc", OFFICE) is not None
    with pytest.raises(OperatorError, match="has 3 characters"):
        accounts.set_password("lan", "abc")
    with pytest.raises(OperatorError, match="no account named 'hoa'"):
        accounts.set_password("hoa", PASSWORD)


def test_the_last_leader_stays(accounts: Accounts) -> None:
    accounts.add("chu-tich", Role.LEADER, PASSWORD)
    accounts.add("lan", Role.OPERATOR, PASSWORD)
    with pytest.raises(OperatorError, match="'chu-tich' is the station's last leader"):
        accounts.remove("chu-tich")
    with pytest.raises(OperatorError, match="last leader"):
        accounts.set_role("chu-tich", Role.OPERATOR)
    accounts.set_role("lan", Role.LEADER)
    accounts.remove("chu-tich")
    assert [(a.name, a.role) for a in accounts.list()] == [("lan", Role.LEADER)]
    with pytest.raises(OperatorError, match="no account named 'chu-tich'"):
        accounts.remove("chu-tich")


def test_a_hash_made_with_other_parameters_is_redone_at_the_next_login(
        store: Store, clock: Clock) -> None:
    Accounts(store, clock, hasher=PasswordHasher.from_parameters(CHEAPEST)).add(
        "lan", Role.OPERATOR, PASSWORD)
    (old,) = store.query("SELECT hash FROM accounts")
    stronger = PasswordHasher(time_cost=2, memory_cost=1024, parallelism=1)
    assert stronger.check_needs_rehash(old[0])
    accounts = Accounts(store, clock, hasher=stronger)
    assert accounts.verify("lan", "wrong password", OFFICE) is None
    assert store.query("SELECT hash FROM accounts") == [old]  # only a right password
    assert accounts.verify("lan", PASSWORD, OFFICE) is not None
    ((new,),) = store.query("SELECT hash FROM accounts")
    assert new != old[0]
    assert new.startswith("$argon2id$v=19$m=1024,t=2,p=1$")
    assert not stronger.check_needs_rehash(new)
    assert accounts.verify("lan", PASSWORD, OFFICE) is not None


def test_the_default_cost_is_argon2id_at_rfc_9106_low_memory(store: Store) -> None:
    accounts = Accounts(store)
    accounts.add("lan", Role.OPERATOR, PASSWORD)
    ((stored,),) = store.query("SELECT hash FROM accounts")
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert accounts.verify("lan", PASSWORD, OFFICE) is not None


# --- logging in: the log and the limits --------------------------------------------------------

def test_every_attempt_is_logged_newest_first(accounts: Accounts, clock: Clock) -> None:
    accounts.add("lan", Role.OPERATOR, PASSWORD)
    accounts.verify("lan", "wrong password", OFFICE)
    clock.now += 1
    accounts.verify("Lan", PASSWORD, "192.168.1.21")
    clock.now += 1
    accounts.verify("kẻ\x1b[2Jlạ", PASSWORD, OFFICE)  # a name no account has, as typed
    assert accounts.login_log() == [
        LoginAttempt(clock.now, "kẻ?[2jlạ", OFFICE, "failed"),
        LoginAttempt(clock.now - 1, "lan", "192.168.1.21", "ok"),
        LoginAttempt(clock.now - 2, "lan", OFFICE, "failed"),
    ]
    assert [a.outcome for a in accounts.login_log(limit=1)] == ["failed"]


def test_five_failures_lock_the_name_until_the_window_passes(
        accounts: Accounts, clock: Clock) -> None:
    accounts.add("lan", Role.OPERATOR, PASSWORD)
    first = clock.now
    for attempt in range(5):
        clock.now = first + attempt * 60
        assert accounts.verify("lan", f"guess {attempt}", f"10.0.0.{attempt}") is None
    assert accounts.locked_until("lan", OFFICE) == first + LOCK_WINDOW_S
    clock.now += 1
    assert accounts.verify("lan", PASSWORD, OFFICE) is None  # the right one, refused unchecked
    assert accounts.login_log(1)[0].outcome == "locked"
    assert accounts.verify("hoa", "anything else", OFFICE) is None  # another name still tries
    assert accounts.login_log(1)[0].outcome == "failed"
    clock.now = first + LOCK_WINDOW_S + 1  # the first failure has left the window
    assert accounts.locked_until("lan", OFFICE) is None
    assert accounts.verify("lan", PASSWORD, OFFICE) is not None
    assert accounts.login_log(1)[0].outcome == "ok"


def test_five_failures_from_one_address_lock_that_address_for_every_name(
        accounts: Accounts, clock: Clock) -> None:
    accounts.add("lan", Role.OPERATOR, PASSWORD)
    for name in ("admin", "root", "chu-tich", "hoa", "minh"):
        assert accounts.verify(name, "123456789", "192.168.1.66") is None
        clock.now += 10
    assert accounts.verify("lan", PASSWORD, "192.168.1.66") is None
    assert accounts.login_log(1)[0] == LoginAttempt(clock.now, "lan", "192.168.1.66", "locked")
    assert accounts.verify("lan", PASSWORD, OFFICE) is not None  # the officer's own PC
    clock.now += LOCK_WINDOW_S
    assert accounts.verify("lan", PASSWORD, "192.168.1.66") is not None


def test_locked_attempts_do_not_prolong_the_lock(accounts: Accounts, clock: Clock) -> None:
    accounts.add("lan", Role.OPERATOR, PASSWORD)
    start = clock.now
    for _ in range(5):
        accounts.verify("lan", "wrong password", OFFICE)
    for _ in range(20):
        clock.now += 30
        assert accounts.verify("lan", PASSWORD, OFFICE) is None
    clock.now = start + LOCK_WINDOW_S + 1
    assert accounts.verify("lan", PASSWORD, OFFICE) is not None


def test_a_good_login_starts_the_names_count_again(accounts: Accounts, clock: Clock) -> None:
    accounts.add("lan", Role.OPERATOR, PASSWORD)
    for _ in range(4):
        accounts.verify("lan", "typo password", f"10.0.0.{clock.now % 250:.0f}")
        clock.now += 1
    assert accounts.verify("lan", PASSWORD, "10.0.1.1") is not None
    clock.now += 1
    for _ in range(4):
        assert accounts.verify("lan", "typo again", "10.0.2.2") is None
        clock.now += 1
    assert accounts.verify("lan", PASSWORD, "10.0.3.3") is not None


def test_attempts_made_at_once_count_every_one(store: Store, tmp_path: Path,
                                               clock: Clock) -> None:
    """Eight guesses sent together from eight connections (the console serving requests in
    parallel): five are checked, three are locked, and so is the next; each is logged as a
    failure before it is checked, so those checked at the same time count."""
    Accounts(store, clock, hasher=PasswordHasher.from_parameters(CHEAPEST)).add(
        "lan", Role.OPERATOR, PASSWORD)
    start = threading.Barrier(8)

    def guess(number: int) -> None:
        own = Store(tmp_path / "station.db")
        accounts = Accounts(own, clock, hasher=PasswordHasher())  # slow: they overlap
        start.wait()
        accounts.verify("lan", f"guess {number}", OFFICE)
        own.close()

    guessers = [threading.Thread(target=guess, args=(n,)) for n in range(8)]
    for guesser in guessers:
        guesser.start()
    for guesser in guessers:
        guesser.join()
    accounts = Accounts(store, clock, hasher=PasswordHasher.from_parameters(CHEAPEST))
    assert accounts.verify("lan", PASSWORD, OFFICE) is None
    outcomes = [a.outcome for a in accounts.login_log()]
    assert (outcomes.count("failed"), outcomes.count("locked")) == (5, 4)


def test_the_login_log_keeps_a_year(accounts: Accounts, clock: Clock) -> None:
    accounts.verify("lan", "wrong password", OFFICE)
    clock.now += KEEP_LOGIN_LOG_S - 1
    accounts.verify("lan", "wrong password", OFFICE)
    assert len(accounts.login_log()) == 2
    clock.now += 2
    accounts.verify("lan", "wrong password", OFFICE)
    assert len(accounts.login_log()) == 2


# --- roles -------------------------------------------------------------------------------------

def test_a_viewer_reads_an_operator_runs_the_day_a_leader_also_manages() -> None:
    table = {role: {action for action in ACTIONS if allowed(role, action)} for role in Role}
    assert table == {
        Role.VIEWER: {"read"},
        Role.OPERATOR: {"read", "queue", "cancel", "emergency", "inbox", "upload"},
        Role.LEADER: {"read", "queue", "cancel", "emergency", "inbox", "upload", "accounts",
                      "login_log"},
    }
    assert [role.value for role in Role] == ["viewer", "operator", "leader"]


def test_a_misspelt_action_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown action 'emergancy'"):
        allowed(Role.LEADER, "emergancy")


# --- the secret key, sessions and CSRF tokens ---------------------------------------------------

def test_the_secret_is_made_once_private_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "data" / "web-secret.key"
    secret = new_secret(path)
    assert len(secret) == SECRET_BYTES
    assert path.stat().st_mode & 0o777 == 0o600
    assert new_secret(path) == secret
    assert [p.name for p in path.parent.iterdir()] == ["web-secret.key"]
    assert new_secret(tmp_path / "other.key") != secret


def test_a_secret_others_could_read_is_replaced(tmp_path: Path) -> None:
    path = tmp_path / "web-secret.key"
    secret = new_secret(path)
    path.chmod(0o644)
    replaced = new_secret(path)
    assert replaced != secret
    assert path.stat().st_mode & 0o777 == 0o600
    path.write_bytes(b"short")
    path.chmod(0o600)
    assert len(new_secret(path)) == SECRET_BYTES


def test_processes_starting_together_share_one_secret(tmp_path: Path) -> None:
    path, go = tmp_path / "web-secret.key", tmp_path / "go"
    maker = ("import sys, time; from pathlib import Path\n"
             "from broadcaster.web.security import new_secret\n"
             "while not Path(sys.argv[2]).exists(): time.sleep(0.001)\n"
             "print(new_secret(Path(sys.argv[1])).hex())")
    makers = [subprocess.Popen([sys.executable, "-c", maker, str(path), str(go)],
                               stdout=subprocess.PIPE, text=True) for _ in range(4)]
    go.touch()
    secrets = {maker.communicate(timeout=60)[0].strip() for maker in makers}
    assert secrets == {path.read_bytes().hex()}


def test_the_secret_folder_must_be_writable(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(OperatorError, match="cannot read or write the console's secret key"):
        new_secret(tmp_path / "file" / "web-secret.key")


def test_a_session_reads_back_until_it_is_too_old(tmp_path: Path) -> None:
    secret = new_secret(tmp_path / "web-secret.key")
    token = sign_session(secret, "lan", Role.OPERATOR, issued_at=1_800_000_000.0, session="s1")
    claim = ("lan", Role.OPERATOR, "s1")
    assert read_session(secret, token, 3600, now=1_800_000_000.0) == claim
    assert read_session(secret, token, 3600, now=1_800_003_600.0) == claim
    assert read_session(secret, token, 3600, now=1_800_003_601.0) is None
    assert read_session(secret, token, 3600, now=1_799_999_990.0) is None  # the clock went back


def test_a_session_altered_or_signed_elsewhere_is_refused(tmp_path: Path) -> None:
    secret = new_secret(tmp_path / "web-secret.key")
    token = sign_session(secret, "lan", Role.VIEWER, issued_at=1_800_000_000.0, session="s1")
    payload, issued, signature = token.split(".")
    forged = sign_session(new_secret(tmp_path / "other.key"), "lan", Role.LEADER,
                          issued_at=1_800_000_000.0, session="s1")
    as_leader = forged.split(".")[0]
    for bad in (f"{as_leader}.{issued}.{signature}", f"{payload}.{issued}.{signature[::-1]}",
                forged, token[:-1], "", "not a token", "é.é.é"):
        assert read_session(secret, bad, 3600, now=1_800_000_001.0) is None, bad


def test_a_csrf_token_is_good_only_with_its_own_session(tmp_path: Path) -> None:
    secret = new_secret(tmp_path / "web-secret.key")
    lan = sign_session(secret, "lan", Role.OPERATOR, issued_at=1_800_000_000.0, session="s1")
    hoa = sign_session(secret, "hoa", Role.OPERATOR, issued_at=1_800_000_000.0, session="s2")
    token = csrf_token(secret, lan)
    assert csrf_token(secret, lan) == token
    assert csrf_ok(secret, lan, token)
    assert not csrf_ok(secret, hoa, token)
    assert not csrf_ok(new_secret(tmp_path / "other.key"), lan, token)
    for bad in ("", token[:-1], token + "A", "đ" * len(token)):
        assert not csrf_ok(secret, lan, bad)


# --- the command line ---------------------------------------------------------------------------

def test_user_commands_as_an_officer_types_them(station: Station) -> None:
    added = station.cli("user", "add", "Lan", "--role", "leader", stdin=PASSWORD + "\n")
    assert (added.returncode, added.stdout) == (0, "added leader 'lan'\n"), added.stderr
    assert station.cli("user", "add", "hoa", "--role", "VIEWER",
                       stdin="xem-thôi-nhé\n").returncode == 0
    listed = station.cli("user", "list", "--json")
    assert [(row["name"], row["role"]) for row in json.loads(listed.stdout)] == [
        ("hoa", "viewer"), ("lan", "leader")]
    assert "lan   leader" in station.cli("user", "list").stdout

    changed = station.cli("user", "passwd", "lan", stdin="gió-mùa-đông-bắc\r\n")
    assert (changed.returncode, changed.stdout) == (0, "changed the password of 'lan'\n")
    store = Store(station.config().data_dir / "station.db")
    accounts = Accounts(store)
    assert accounts.verify("lan", PASSWORD, OFFICE) is None
    assert accounts.verify("lan", "gió-mùa-đông-bắc", OFFICE) is not None
    store.close()

    removed = station.cli("user", "remove", "hoa")
    assert (removed.returncode, removed.stdout) == (0, "removed 'hoa'\n")
    assert "hoa" not in station.cli("user", "list").stdout


@pytest.mark.parametrize(("args", "stdin", "says"), [
    (("user", "add", "lan", "--role", "operator"), "ngan\n", "the password has 4 characters"),
    (("user", "add", "lan", "--role", "operator"), "", "no password on standard input"),
    (("user", "add", "lan", "--role", "operator"), "\n", "no password on standard input"),
    (("user", "add", "chu-tich", "--role", "operator"), PASSWORD, "already an account"),
    (("user", "add", "Lê Lan", "--role", "operator"), PASSWORD, "user name 'lê lan'"),
    (("user", "passwd", "hoa"), PASSWORD, "there is no account named 'hoa'"),
    (("user", "remove", "chu-tich"), None, "'chu-tich' is the station's last leader"),
])
def test_user_refusals_are_one_line_and_change_nothing(
        station: Station, args: tuple[str, ...], stdin: str | None, says: str) -> None:
    assert station.cli("user", "add", "chu-tich", "--role", "leader",
                       stdin=PASSWORD).returncode == 0
    before = station.cli("user", "list", "--json").stdout
    refused = station.cli(*args, stdin=stdin)
    assert refused.returncode == 1, refused.stderr
    assert says in refused.stderr
    assert refused.stderr.count("\n") == 1
    assert refused.stdout == ""
    assert station.cli("user", "list", "--json").stdout == before


def test_at_a_terminal_the_password_is_asked_twice_and_not_shown(station: Station) -> None:
    """Two different entries are asked again (in the operator's words, not Click's)."""
    import os
    import pty
    import select

    pid, terminal = pty.fork()
    if pid == 0:  # the officer's shell: stdin, stdout and the controlling tty are the pty
        try:
            os.environ["BROADCASTER_CONFIG"] = str(station.config_file)
            os.execv(sys.executable, [sys.executable, "-m", "broadcaster",  # noqa: S606
                                      "user", "add", "lan", "--role", "operator"])
        finally:
            os._exit(127)  # never back into pytest
    shown = b""
    seen = 0  # what the prompts waited for so far ends here: a prompt asked again is new

    def read_until(wanted: bytes) -> None:
        nonlocal shown, seen
        while wanted not in shown[seen:]:
            ready, _, _ = select.select([terminal], [], [], 60)
            assert ready, shown
            try:
                shown += os.read(terminal, 1024)
            except OSError:  # the command ended (EIO)
                break
        seen = shown.index(wanted, seen) + len(wanted)

    read_until(b"Password: ")
    os.write(terminal, PASSWORD.encode() + b"\n")
    read_until(b"The same password again: ")
    os.write(terminal, b"a slip of the finger\n")  # not the same: asked again, twice
    read_until(b"the two passwords differ; type the password again, twice")
    read_until(b"Password: ")
    os.write(terminal, PASSWORD.encode() + b"\n")
    read_until(b"The same password again: ")
    os.write(terminal, PASSWORD.encode() + b"\n")
    read_until(b"added operator 'lan'")
    _, status = os.waitpid(pid, 0)
    os.close(terminal)
    assert os.waitstatus_to_exitcode(status) == 0, shown
    assert PASSWORD.encode() not in shown  # not echoed
    assert "lan" in station.cli("user", "list").stdout


def test_an_unknown_role_is_a_usage_error(station: Station) -> None:
    refused = station.cli("user", "add", "lan", "--role", "admin", stdin=PASSWORD)
    assert refused.returncode == 2
    assert "viewer" in refused.stderr and "leader" in refused.stderr


def test_the_commands_help_does_not_load_argon2() -> None:
    probe = ("import sys\n"
             "sys.argv = ['broadcaster', '--help']\n"
             "from broadcaster.cli import app\n"
             "try:\n    app()\nexcept SystemExit:\n    pass\n"
             "print('argon2' in sys.modules, 'itsdangerous' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=60, check=True)
    assert "user" in done.stdout
    assert done.stdout.splitlines()[-1] == "False False"


def test_two_logins_in_the_same_second_get_their_own_sessions(accounts: Accounts) -> None:
    accounts.add("lanhdao", Role.LEADER, PASSWORD)
    first, second = (accounts.open_session("lanhdao", OFFICE, 3600) for _ in range(2))
    assert first != second
    secret = b"k" * 32
    one, other = (sign_session(secret, "lanhdao", Role.LEADER, 1_800_000_000.0, session)
                  for session in (first, second))
    assert one != other and csrf_token(secret, one) != csrf_token(secret, other)
    assert read_session(secret, one, 3600, 1_800_000_001.0) == ("lanhdao", Role.LEADER, first)
    accounts.close_session(first)  # logging out of one ends that one only
    assert accounts.in_session("lanhdao", first) is None
    assert accounts.in_session("LanhDao", second) == accounts.get("lanhdao")
    assert accounts.in_session("vanhanh", second) is None  # not another's session


def test_sessions_older_than_a_working_day_are_forgotten(accounts: Accounts,
                                                         clock: Clock) -> None:
    accounts.add("lanhdao", Role.LEADER, PASSWORD)
    old = accounts.open_session("lanhdao", OFFICE, 3600)
    clock.now += 3601
    new = accounts.open_session("lanhdao", OFFICE, 3600)
    assert accounts.in_session("lanhdao", old) is None
    assert accounts.in_session("lanhdao", new) is not None
