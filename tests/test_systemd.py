"""The systemd units are valid as systemd itself reads them, and ask for what the daemon and
the web console need."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

UNIT = Path(__file__).resolve().parent.parent / "systemd" / "broadcaster.service"
WEB_UNIT = UNIT.with_name("broadcaster-web.service")
COLLECTOR_UNIT = UNIT.with_name("broadcaster-collector.service")


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd is not installed")
@pytest.mark.parametrize("source", [UNIT, WEB_UNIT, COLLECTOR_UNIT], ids=lambda path: path.name)
def test_unit_passes_systemd_analyze_verify(tmp_path: Path, source: Path) -> None:
    # the unit names the installed path; point it at this checkout's script to verify
    script = Path(sys.executable).parent / "broadcaster"
    unit = tmp_path / source.name
    unit.write_text(source.read_text(encoding="utf-8").replace(
        "/opt/broadcaster/.venv/bin/broadcaster", str(script)), encoding="utf-8")
    done = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == ""


def test_unit_is_a_watched_hardened_notify_service() -> None:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keep key case
    parser.read_string(UNIT.read_text(encoding="utf-8"))
    service = parser["Service"]
    assert service["Type"] == "notify"
    assert service["Restart"] == "always"
    assert int(service["WatchdogSec"]) > 0
    assert service["User"] == "broadcaster"
    assert "audio" in service["SupplementaryGroups"].split()
    assert service["ProtectSystem"] == "strict"
    assert service["NoNewPrivileges"] == "yes"
    assert "/var/lib/broadcaster" in service["ReadWritePaths"]
    assert service["ExecStart"].endswith("broadcaster run --config "
                                         "/etc/broadcaster/broadcaster.toml")


def test_the_web_console_unit_is_hardened_like_the_daemon_and_leaves_its_run_folder_alone(
        ) -> None:
    daemon, web = _service(UNIT), _service(WEB_UNIT)
    assert web["ExecStart"].endswith("broadcaster web --config /etc/broadcaster/broadcaster.toml")
    assert (web["User"], web["Group"]) == (daemon["User"], daemon["Group"])
    for key in ("NoNewPrivileges", "ProtectSystem", "ProtectHome", "PrivateTmp",
                "ProtectKernelTunables", "ProtectKernelModules", "ProtectKernelLogs",
                "ProtectControlGroups", "ProtectClock", "ProtectHostname", "RestrictNamespaces",
                "RestrictSUIDSGID", "LockPersonality", "SystemCallArchitectures",
                "CapabilityBoundingSet", "DevicePolicy", "ReadWritePaths", "UMask"):
        assert web[key] == daemon[key], key
    assert web["PrivateDevices"] == "yes" and "DeviceAllow" not in web  # no sound, no GPIO
    assert web["MemoryDenyWriteExecute"] == "yes" and web["RestrictRealtime"] == "yes"
    # systemd removes a unit's RuntimeDirectory when the unit stops: /run/broadcaster (the
    # daemon's status and socket) must not go with the console
    assert "RuntimeDirectory" not in web
    assert web["Restart"] == "on-failure"


def test_the_collector_unit_is_hardened_like_the_web_console_and_always_restarts() -> None:
    daemon, web, collector = _service(UNIT), _service(WEB_UNIT), _service(COLLECTOR_UNIT)
    assert collector["ExecStart"].endswith("broadcaster district collect --config "
                                           "/etc/broadcaster/broadcaster.toml")
    assert (collector["User"], collector["Group"]) == (daemon["User"], daemon["Group"])
    for key in ("NoNewPrivileges", "ProtectSystem", "ProtectHome", "PrivateTmp",
                "PrivateDevices", "ProtectKernelTunables", "ProtectKernelModules",
                "ProtectKernelLogs", "ProtectControlGroups", "ProtectClock", "ProtectHostname",
                "RestrictNamespaces", "RestrictRealtime", "RestrictSUIDSGID", "LockPersonality",
                "MemoryDenyWriteExecute", "SystemCallArchitectures", "SystemCallFilter",
                "CapabilityBoundingSet", "DevicePolicy", "ReadWritePaths", "UMask",
                "RestrictAddressFamilies"):
        assert collector[key] == web[key], key
    assert "DeviceAllow" not in collector and "SupplementaryGroups" not in collector
    assert "RuntimeDirectory" not in collector  # /run/broadcaster is a station daemon's
    assert collector["Restart"] == "always"  # the broker keeps its session meanwhile


def _service(path: Path) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keep key case
    parser.read_string(path.read_text(encoding="utf-8"))
    return parser["Service"]
