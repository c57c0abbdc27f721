"""Real brokers for the upstream tests, on 127.0.0.1 only, started and stopped by the tests.

`Broker`: Mosquitto on a free port, its persistence file in the test's folder, so a
restart keeps the stations' sessions (their subscriptions and the pushes queued for them)
as a district's broker does. `RabbitNode`: RabbitMQ 3.10 with its MQTT plugin (MQTT 3.1.1
only: its `url` says so), a node of the tests' own (name, cookie, folders, ports, epmd);
`RabbitCluster`: nodes joined with `rabbitmqctl join_cluster`. Both kinds have `.url`,
`.port`, `.start()`, `.stop()` (SIGTERM: sessions saved), `.restart()` (same port),
`.kill()` (no save).

Fixtures: `broker` is a Mosquitto of the test's own; `any_broker` runs a test on each
(`[mosquitto]`: its own Mosquitto; `[rabbitmq]`: the session's node, its sessions
dropped after the test); a module with its own list (`mosquitto-3.1.1` too) writes its
fixture with `running_broker`. `rabbitmq_node` and `rabbitmq_cluster` are per session
and shared by every module of a worker (a node takes ~12 s to start, a cluster ~25 s).
Test modules import the fixtures they use. Nothing is left running after the session.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
START_TIMEOUT_S = 10.0

CONFIG = """\
listener {port} 127.0.0.1
allow_anonymous true
user {user}
persistence true
persistence_location {folder}/
persistence_file broker.db
autosave_interval 1
max_queued_messages 10000
log_dest file {folder}/broker.log
log_type error
log_type warning
log_type notice
"""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Broker:
    """One Mosquitto process; `url` is what a station's `[district] broker` says."""

    def __init__(self, folder: Path, port: int | None = None,
                 protocol: str | None = None) -> None:
        self.folder = folder
        self.port = port or free_port()
        self.protocol = protocol  # on the URL when given: "3.1.1" (Mosquitto speaks both)
        self.config = folder / "mosquitto.conf"
        self._process: subprocess.Popen[bytes] | None = None
        folder.mkdir(parents=True, exist_ok=True)
        # as root, Mosquitto would switch to user 'mosquitto', which cannot write its
        # persistence file (sessions lost on restart) or log in the test's private folder
        self.config.write_text(CONFIG.format(port=self.port, folder=folder,
                                             user=getpass.getuser()), encoding="utf-8")

    @property
    def url(self) -> str:
        query = f"?protocol={self.protocol}" if self.protocol else ""
        return f"mqtt://127.0.0.1:{self.port}{query}"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> Broker:
        if not Path(MOSQUITTO).exists():
            pytest.skip("mosquitto is not installed: apt-get install mosquitto")
        self._process = subprocess.Popen([MOSQUITTO, "-c", str(self.config)],
                                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise AssertionError(f"mosquitto exited with {self._process.returncode}:\n"
                                     f"{self.log()}")
            with contextlib.suppress(OSError), \
                    socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                return self
            time.sleep(0.02)
        raise AssertionError(f"mosquitto did not listen on {self.port}:\n{self.log()}")

    def stop(self) -> None:
        """SIGTERM: Mosquitto writes its persistence file, then exits."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def kill(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()

    def restart(self) -> Broker:
        self.stop()
        return self.start()

    def log(self) -> str:
        path = self.folder / "broker.log"
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""


# --- RabbitMQ with its MQTT plugin ------------------------------------------------------------

RABBIT_BIN = Path("/usr/lib/rabbitmq/bin")  # Debian's own scripts, not /usr/sbin's `su rabbitmq`
RABBIT_START_TIMEOUT_S = 60.0
RABBIT_CONFIG = """\
listeners.tcp.default = 127.0.0.1:{amqp_port}
mqtt.listeners.tcp.default = 127.0.0.1:{port}
mqtt.allow_anonymous = true
mqtt.subscription_ttl = 1209600000
loopback_users = none
log.console = false
log.file.level = warning
"""


def rabbitmq_installed() -> bool:
    return (RABBIT_BIN / "rabbitmq-server").exists()


class RabbitNode:
    """One RabbitMQ node of the tests' own: its name, cookie, folders (RABBITMQ_BASE,
    MNESIA_BASE, LOG_BASE), ports (AMQP, MQTT, Erlang distribution) and epmd (on a port
    of its own, shared by the nodes of one cluster), all on 127.0.0.1. The same `start`,
    `stop`, `restart`, `kill` and `url` as `Broker`; `url` says MQTT 3.1.1, the only
    version RabbitMQ 3.10 speaks."""

    protocol = "3.1.1"

    def __init__(self, folder: Path, name: str, *, epmd_port: int, cookie: str) -> None:
        self.folder = folder
        self.node = f"{name}@localhost"
        self.port = free_port()  # MQTT
        self.amqp_port = free_port()
        self.dist_port = free_port()
        self.epmd_port = epmd_port
        self._process: subprocess.Popen[bytes] | None = None
        folder.mkdir(parents=True, exist_ok=True)
        cookie_file = folder / ".erlang.cookie"  # $HOME's: the node's and its CLI's
        cookie_file.write_text(cookie, encoding="ascii")
        cookie_file.chmod(0o400)
        (folder / "rabbitmq.conf").write_text(
            RABBIT_CONFIG.format(port=self.port, amqp_port=self.amqp_port), encoding="utf-8")
        (folder / "rabbitmq-env.conf").write_text("", encoding="utf-8")  # not /etc's
        self._plugins_enabled = False

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}?protocol={self.protocol}"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def environment(self) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items()
               if not key.startswith(("RABBITMQ_", "ERL_"))}
        folder = self.folder
        env.update({
            "HOME": str(folder),
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_BASE": str(folder),
            "RABBITMQ_MNESIA_BASE": str(folder / "mnesia"),
            "RABBITMQ_LOG_BASE": str(folder / "log"),
            "RABBITMQ_CONFIG_FILE": str(folder / "rabbitmq.conf"),
            "RABBITMQ_CONF_ENV_FILE": str(folder / "rabbitmq-env.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(folder / "enabled_plugins"),
            "RABBITMQ_PID_FILE": str(folder / "rabbit.pid"),
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.amqp_port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS":
                "-kernel inet_dist_use_interface {127,0,0,1}",
            # the CLI is an Erlang node too, listening while it runs: on loopback as well
            "RABBITMQ_CTL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
            "ERL_EPMD_PORT": str(self.epmd_port),
            "ERL_EPMD_ADDRESS": "127.0.0.1",
        })
        return env

    def ctl(self, *args: str, tool: str = "rabbitmqctl", timeout: float = 180) -> str:
        """`rabbitmqctl ARGS` (or another CLI tool) against this node; its output. Each
        call boots an Erlang VM: on a loaded 2-core box (two test workers, CPU hogs) one
        took over 60 s, hence the long limit (a fixture's start-up, not a measured time)."""
        done = subprocess.run([str(RABBIT_BIN / tool), "-n", self.node, *args],
                              env=self.environment(), cwd=self.folder, capture_output=True,
                              text=True, timeout=timeout, check=False)
        if done.returncode != 0:
            raise AssertionError(f"{tool} {' '.join(args)} failed ({done.returncode}):\n"
                                 f"{done.stdout}{done.stderr}")
        return done.stdout

    def start(self) -> RabbitNode:
        if not rabbitmq_installed():
            pytest.skip("rabbitmq-server is not installed: apt-get install rabbitmq-server")
        if not self._plugins_enabled:
            self.ctl("--offline", "enable", "rabbitmq_mqtt", tool="rabbitmq-plugins")
            self._plugins_enabled = True
        self._process = subprocess.Popen(
            [str(RABBIT_BIN / "rabbitmq-server")], env=self.environment(), cwd=self.folder,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True)
        deadline = time.monotonic() + RABBIT_START_TIMEOUT_S
        while time.monotonic() < deadline:  # the MQTT listener opens last, once booted
            if self._process.poll() is not None:
                raise AssertionError(f"rabbitmq-server exited with "
                                     f"{self._process.returncode}:\n{self.log()}")
            with contextlib.suppress(OSError), \
                    socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                return self
            time.sleep(0.1)
        self.kill()
        raise AssertionError(f"RabbitMQ did not listen on {self.port}:\n{self.log()}")

    def stop(self) -> None:
        """SIGTERM: the node stops cleanly (its queues and sessions on disk), then exits."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def kill(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def restart(self) -> RabbitNode:
        self.stop()
        return self.start()

    def log(self) -> str:
        logs = sorted((self.folder / "log").glob("*.log"))
        return "".join(path.read_text(encoding="utf-8", errors="replace")[-4000:]
                       for path in logs)


def stop_epmd(port: int) -> None:
    """The epmd our nodes started (a daemon of its own): told to go, by its port."""
    epmd = shutil.which("epmd") or "/usr/bin/epmd"
    if Path(epmd).exists():
        subprocess.run([epmd, "-port", str(port), "-kill"], capture_output=True, timeout=10,
                       check=False)


class RabbitCluster:
    """Nodes of one cluster on loopback: one cookie, one epmd port; the second and later
    nodes joined to the first with `rabbitmqctl join_cluster`."""

    def __init__(self, folder: Path, size: int = 2) -> None:
        self.folder = folder
        self.epmd_port = free_port()
        cookie = secrets.token_hex(16)
        tag = secrets.token_hex(3)
        self.nodes = [RabbitNode(folder / f"node{i + 1}", f"test{tag}n{i + 1}",
                                 epmd_port=self.epmd_port, cookie=cookie)
                      for i in range(size)]

    def start(self) -> RabbitCluster:
        first, *others = self.nodes
        try:
            first.start()
            for node in others:
                node.start()
                node.ctl("stop_app")
                node.ctl("join_cluster", first.node)
                node.ctl("start_app")
                node.ctl("await_startup")
            _wait_listening(others)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        for node in reversed(self.nodes):
            node.stop()
        stop_epmd(self.epmd_port)


def _wait_listening(nodes: list[RabbitNode]) -> None:
    """start_app reopens the MQTT listener a moment after it returns."""
    deadline = time.monotonic() + RABBIT_START_TIMEOUT_S
    for node in nodes:
        while True:
            with contextlib.suppress(OSError), \
                    socket.create_connection(("127.0.0.1", node.port), timeout=0.2):
                break
            if time.monotonic() > deadline:
                raise AssertionError(f"{node.node} did not listen again:\n{node.log()}")
            time.sleep(0.1)


def forget_sessions(node: RabbitNode) -> None:
    """Drop every MQTT session a test left at a shared node (its queue, its subscriptions,
    the pushes waiting in it): a clean-session connection with the same client id, as
    MQTT 3.1.1 says. The next test's station of the same id starts afresh."""
    prefix, suffixes = "mqtt-subscription-", ("qos0", "qos1")
    names = node.ctl("list_queues", "name", "--quiet", "--no-table-headers").split()
    client_ids = {name[len(prefix):-len("qos1")] for name in names
                  if name.startswith(prefix) and name.endswith(suffixes)}
    for client_id in client_ids:
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id,
                             clean_session=True)
        client.connect("127.0.0.1", node.port)
        client.loop_start()
        deadline = time.monotonic() + 10
        while not client.is_connected() and time.monotonic() < deadline:
            time.sleep(0.01)
        client.disconnect()
        client.loop_stop()


# --- fixtures ---------------------------------------------------------------------------------

class AnyBroker(Protocol):
    """What a test needs of either broker."""

    @property
    def url(self) -> str: ...
    @property
    def port(self) -> int: ...
    @property
    def running(self) -> bool: ...
    def start(self) -> object: ...
    def stop(self) -> None: ...
    def kill(self) -> None: ...
    def log(self) -> str: ...


# Each test module that imports a session fixture gets its own copy of it from pytest, so
# the clusters are shared here: the first copy starts one, the last one stops it.
_shared: dict[int, tuple[RabbitCluster, int]] = {}  # size → (cluster, copies using it)


def _shared_cluster(factory: pytest.TempPathFactory, size: int) -> Iterator[RabbitCluster]:
    if not rabbitmq_installed():
        pytest.skip("rabbitmq-server is not installed: apt-get install rabbitmq-server")
    if size in _shared:
        cluster, users = _shared[size]
    else:
        name = "rabbitmq" if size == 1 else "rabbitmq-cluster"
        cluster, users = RabbitCluster(factory.mktemp(name), size=size).start(), 0
    _shared[size] = (cluster, users + 1)
    try:
        yield cluster
    finally:
        cluster, users = _shared.pop(size)
        if users > 1:
            _shared[size] = (cluster, users - 1)
        else:
            cluster.stop()


@pytest.fixture(scope="session")
def rabbitmq_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RabbitNode]:
    """One RabbitMQ node for the whole session (it takes ~12 s to start)."""
    for cluster in _shared_cluster(tmp_path_factory, 1):
        yield cluster.nodes[0]


@pytest.fixture(scope="session")
def rabbitmq_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RabbitCluster]:
    """Two RabbitMQ nodes clustered on loopback, for the whole session (~25 s to start)."""
    yield from _shared_cluster(tmp_path_factory, 2)


def _mosquitto(tmp_path: Path, protocol: str | None = None) -> Iterator[Broker]:
    running = Broker(tmp_path / "broker", protocol=protocol).start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    """A running Mosquitto of this test alone, stopped afterwards whatever happened."""
    yield from _mosquitto(tmp_path)


@pytest.fixture(params=["mosquitto", "rabbitmq"])
def any_broker(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[AnyBroker]:
    """The test once on each broker: a Mosquitto of its own, then the session's RabbitMQ
    node. A module using it imports `rabbitmq_node` too."""
    yield from running_broker(request.param, request, tmp_path)


def running_broker(kind: str, request: pytest.FixtureRequest,
                   tmp_path: Path) -> Iterator[AnyBroker]:
    """For a fixture of a module's own params: `mosquitto` (MQTT 5 on its URL),
    `mosquitto-3.1.1`, or `rabbitmq` (the session's node, restarted if a test stopped it,
    the sessions the test left dropped after)."""
    if kind in ("mosquitto", "mosquitto-3.1.1"):
        yield from _mosquitto(tmp_path, "3.1.1" if kind.endswith("3.1.1") else None)
        return
    if kind != "rabbitmq":
        raise ValueError(f"no broker {kind!r}")
    node: RabbitNode = request.getfixturevalue("rabbitmq_node")
    if not node.running:
        node.start()
    try:
        yield node
    finally:
        if not node.running:
            node.start()
        forget_sessions(node)
