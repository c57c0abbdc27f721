"""Speech rendered ahead: a notice the preferred engine could not speak at first (the
network was down) is rendered again by it before air time, and that is what airs."""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

from broadcaster.model import RenderedProgram
from broadcaster.speech.render import Notice, cached_notice
from tests.support.daemon import daemon_station, queued, running_daemon

FLAKY_VOICE = """\
#!/bin/sh
# fails the first time (as gTTS does when the 4G link is down), speaks from then on
count_file="{count}"
count=$(cat "$count_file" 2>/dev/null || echo 0)
echo $((count + 1)) > "$count_file"
[ "$count" -gt 0 ] || exit 1
exec "{espeak}" -v vi -w "$1" -f "$2"
"""
TEXT = "Ủy ban nhân dân xã thông báo lịch họp tổ dân phố tối nay."


def test_a_fallback_notice_is_rendered_again_by_the_first_engine(tmp_path: Path) -> None:
    espeak = shutil.which("espeak-ng")
    assert espeak
    voice = tmp_path / "flaky-voice"
    voice.write_text(FLAKY_VOICE.format(count=tmp_path / "calls", espeak=espeak),
                     encoding="utf-8")
    voice.chmod(voice.stat().st_mode | stat.S_IXUSR)
    station = daemon_station(tmp_path / "station")
    station.write_config(station.config_file.read_text().replace(
        'engines = ["espeak"]', 'engines = ["command", "espeak"]')
        + f'\n[tts.command]\nargv = ["{voice}", "{{out}}", "{{text_file}}"]\n')
    notice = Notice(TEXT, repeat=1, gap_s=30.0)  # `say` gives a 30 s gap by default

    def by_first_engine() -> RenderedProgram | None:
        found = cached_notice(station.config(), notice)
        return found if found is not None and found.engine == "command" else None

    with running_daemon(station) as daemon:
        entry_id = queued(station, "say", TEXT, "--repeat", "1", "--at", "+5m")
        program = daemon.wait_for(by_first_engine, "the second render by the first engine",
                                  timeout=30)
        assert station.cli("cancel", str(entry_id)).returncode == 0
    assert program.engine == "command"
    assert int((tmp_path / "calls").read_text()) >= 2  # failed once, then spoke
