"""A throw-away station on disk and the command line run as an operator runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from broadcaster.config import Config, load_config

OFFLINE_CONFIG = """\
[station]
name = "Đài truyền thanh xã Thử Nghiệm"
id = "thu-nghiem"
data_dir = "data"
audio_dir = "audio"

[audio]
sample_rate = {rate}
channels = {channels}
loudness_lufs = {lufs}

[tts]
engines = {engines}
timeout_s = 5
"""


@dataclass(frozen=True)
class Station:
    root: Path
    config_file: Path

    def config(self) -> Config:
        return load_config(self.config_file)

    def write_config(self, text: str) -> None:
        self.config_file.write_text(text, encoding="utf-8")

    def cli(self, *args: str, stdin: str | None = None,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        """`broadcaster ARGS` in a subprocess with this station's config, as typed."""
        full_env = {**os.environ, "BROADCASTER_CONFIG": str(self.config_file), **(env or {})}
        return subprocess.run([sys.executable, "-m", "broadcaster", *args], input=stdin,
                              capture_output=True, text=True, cwd=self.root, env=full_env,
                              timeout=120, check=False)

    def files(self) -> set[Path]:
        """Every file under the station's folder, to show that a refusal changed nothing."""
        return {path for path in self.root.rglob("*") if path.is_file()}


def make_station(root: Path, *, engines: str = '["espeak"]', rate: int = 48000,
                 channels: int = 2, lufs: float = -16.0) -> Station:
    """A station whose engines never reach the network unless a test says otherwise."""
    (root / "audio").mkdir(parents=True, exist_ok=True)
    config_file = root / "broadcaster.toml"
    config_file.write_text(OFFLINE_CONFIG.format(rate=rate, channels=channels, lufs=lufs,
                                                 engines=engines), encoding="utf-8")
    return Station(root, config_file)


def open_slot_window(minutes_left: int = 10) -> tuple[str, str]:
    """A slot window open now at the stations' default zone (started a minute ago,
    "HH:MM" to "HH:MM"), or skip the test in the few minutes before midnight: a slot
    window does not cross it (SPEC §5)."""
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    import pytest

    now = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh"))
    start, end = now - timedelta(minutes=1), now + timedelta(minutes=minutes_left)
    if start.date() != now.date() or end.date() != now.date():
        pytest.skip("a slot window cannot cross midnight")
    return start.strftime("%H:%M"), end.strftime("%H:%M")
