"""The systemd unit is valid as systemd itself reads it, and asks for what the daemon needs."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

UNIT = Path(__file__).resolve().parent.parent / "systemd" / "broadcaster.service"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd is not installed")
def test_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    # the unit names the installed path; point it at this checkout's script to verify
    script = Path(sys.executable).parent / "broadcaster"
    unit = tmp_path / "broadcaster.service"
    unit.write_text(UNIT.read_text(encoding="utf-8").replace(
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
