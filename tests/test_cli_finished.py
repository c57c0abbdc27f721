"""The command line finished (issue 10): what a new operator found confusing or wrong, tried
again as they would, through the real `broadcaster` command and, where an item must end,
a real daemon: installed slot playlists listed, removed, not installed twice, overlaps
told; played files kept once per content, deleted when no item needs them, capped; `play
--title`, `play ""`, `cancel` of what already ended, usage lines, `log` dates and format.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import stat
import subprocess
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from broadcaster.model import Outcome
from broadcaster.queued_audio import MAX_BYTES
from broadcaster.schedule.slot_queue import SlotQueue
from tests.support.daemon import daemon_station, queued, running_daemon, station_store
from tests.support.sound import NullSink, write_tone
from tests.support.station import Station, open_slot_window

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")  # the stations' zone (the default)

MORNING = """\
title: Bản tin buổi sáng
slot: {{days: {days}, at: "{at}", until: "{until}"}}
level: {level}
items:
  - say: "{text}"
"""


def slot_file(folder: Path, name: str, *, at: str = "05:30", until: str = "06:30",
              days: str = "daily", level: str = "normal",
              text: str = "Đài truyền thanh xã xin kính chào bà con.") -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(MORNING.format(at=at, until=until, days=days, level=level, text=text),
                    encoding="utf-8")
    return path


def one_line_refusal(done: subprocess.CompletedProcess[str], *expected: str) -> str:
    """The refusal's line, after checking it is one line on stderr with exit status 1."""
    assert done.returncode == 1, done.stdout
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
    for text in expected:
        assert text in done.stderr, done.stderr
    return done.stderr.strip()


def copies(station: Station) -> list[str]:
    """The copies `play` keeps, by name."""
    folder = station.root / "audio" / "queued"
    return sorted(path.name for path in folder.iterdir()) if folder.is_dir() else []


# --- playlist list / remove ----------------------------------------------------------------


def test_playlist_list_shows_the_installed_slots(station: Station) -> None:
    empty = station.cli("playlist", "list")
    assert empty.returncode == 0 and empty.stdout.strip() == "no slot playlist is installed"
    assert station.cli("playlist", "apply",
                       str(slot_file(station.root, "sang"))).returncode == 0
    noon = slot_file(station.root, "trua", at="11:00", until="11:30", days="[mon, wed]",
                     level="priority", text="Bản tin trưa.")
    assert station.cli("playlist", "apply", str(noon)).returncode == 0
    table = station.cli("playlist", "list")
    assert table.returncode == 0, table.stderr
    assert table.stdout.splitlines()[0].split() == ["name", "title", "level", "at", "days",
                                                    "until", "items"]
    assert re.search(r"^sang\s+Bản tin buổi sáng\s+normal\s+05:30\s+daily\s+06:30\s+1$",
                     table.stdout, re.MULTILINE), table.stdout
    assert re.search(r"^trua\s+.*priority\s+11:00\s+mon,wed\s+11:30\s+1$", table.stdout,
                     re.MULTILINE), table.stdout
    listed = json.loads(station.cli("playlist", "list", "--json").stdout)
    assert [(row["name"], row["at"], row["days"], row["until"], row["items"])
            for row in listed] == [("sang", "05:30", "daily", "06:30", 1),
                                   ("trua", "11:00", "mon,wed", "11:30", 1)]


def test_removing_an_unknown_slot_suggests_the_nearest_name(station: Station) -> None:
    one_line_refusal(station.cli("playlist", "remove", "sang"),
                     "no slot playlist named 'sang' is installed; none is")
    assert station.cli("playlist", "apply",
                       str(slot_file(station.root, "sang"))).returncode == 0
    before = station.files()
    one_line_refusal(station.cli("playlist", "remove", "snag"), "did you mean 'sang'?")
    one_line_refusal(station.cli("playlist", "remove", "tin-toi"), "installed: sang")
    assert station.files() == before
    done = station.cli("playlist", "remove", "playlists/sang.yaml")  # the file's name works
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "removed slot 'sang': Bản tin buổi sáng"
    assert json.loads(station.cli("playlist", "list", "--json").stdout) == []


def test_removing_a_slot_cancels_what_it_had_queued_and_logs_it(tmp_path: Path) -> None:
    station = daemon_station(tmp_path / "station")
    at, until = open_slot_window()
    assert station.cli("playlist", "apply",
                       str(slot_file(station.root, "sang", at=at, until=until))).returncode == 0
    with station_store(station) as store:  # the daemon's own step, while it is stopped
        slots = SlotQueue(HANOI)
        slots.installed(store.slots())
        now = datetime.now(HANOI).timestamp()
        assert slots.queue_owed(store, now, now)
        (occurrence,) = store.pending()
    done = station.cli("playlist", "remove", "sang")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[1].startswith(f"cancelled #{occurrence.id} (due ")
    (line,) = json.loads(station.cli("log", "--format", "json").stdout)
    assert (line["id"], line["outcome"], line["source"], line["reason"]) == (
        occurrence.id, "cancelled", "slot", "its slot playlist 'sang' was removed")
    assert json.loads(station.cli("queue", "--json").stdout) == []


def test_a_slot_removed_as_the_daemon_queues_it_is_not_queued(tmp_path: Path) -> None:
    """The daemon read the slots a moment before `playlist remove` committed: its next
    step must not queue an occurrence of a slot that is gone."""
    station = daemon_station(tmp_path / "station")
    at, until = open_slot_window()
    assert station.cli("playlist", "apply",
                       str(slot_file(station.root, "sang", at=at, until=until))).returncode == 0
    with station_store(station) as store:
        slots = SlotQueue(HANOI)
        slots.installed(store.slots())  # what the daemon knows
    assert station.cli("playlist", "remove", "sang").returncode == 0
    with station_store(station) as store:
        now = datetime.now(HANOI).timestamp()
        assert not slots.queue_owed(store, now, now)
        assert store.pending() == []


@pytest.mark.slow
def test_a_slot_removed_while_on_air_airs_to_its_end(tmp_path: Path,
                                                     null_sink: NullSink) -> None:
    station = daemon_station(tmp_path / "station", "nullsink")  # airs in real time
    write_tone(station.root / "audio" / "nhac-hieu.wav", 3.0)
    at, until = open_slot_window()
    playlist = station.root / "sang.yaml"
    playlist.write_text(f'title: Nhạc hiệu\nslot: {{at: "{at}", until: "{until}"}}\n'
                        "items:\n  - file: nhac-hieu.wav\n", encoding="utf-8")
    with running_daemon(station) as daemon:
        assert station.cli("playlist", "apply", str(playlist)).returncode == 0
        on_air = daemon.wait_for(lambda: [e.id for e in daemon.pending()
                                          if e.state == "on_air"], "the slot on air")
        done = station.cli("playlist", "remove", "sang")
        assert done.returncode == 0, done.stderr
        assert done.stdout.splitlines()[1] == (
            f"#{on_air[0]}, which it had queued, has started: it airs to its end "
            f"(`broadcaster cancel {on_air[0]}` stops it)")
        (line,) = daemon.wait_finished(on_air[0])
    assert line.outcome is Outcome.AIRED
    assert json.loads(station.cli("playlist", "list", "--json").stdout) == []


# --- a copy under a new name, overlapping slots -----------------------------------------------


def test_a_copy_of_an_installed_slot_under_a_new_name_is_refused(station: Station) -> None:
    original = slot_file(station.root, "sang")
    assert station.cli("playlist", "apply", str(original)).returncode == 0
    copy = station.root / "sang-moi.yaml"
    copy.write_text(original.read_text(encoding="utf-8").replace("buổi sáng", "(bản sao)"),
                    encoding="utf-8")
    one_line_refusal(station.cli("playlist", "apply", str(copy)),
                     f"{copy}: the same slot as the installed 'sang' (05:30, daily, the same "
                     "items): it would air twice",
                     "save this file as sang.yaml", "`broadcaster playlist remove sang`")
    assert [row["name"] for row in json.loads(station.cli("playlist", "list",
                                                          "--json").stdout)] == ["sang"]
    checked = station.cli("playlist", "check", str(copy))
    assert checked.returncode == 0  # a good file; `apply` is what refuses
    assert checked.stderr == ("warning: 'sang-moi' is the same slot as 'sang' (05:30, daily, "
                              "the same items); `playlist apply` refuses it while 'sang' is "
                              "installed\n")
    assert station.cli("playlist", "apply", str(original)).returncode == 0  # replaces itself
    other_day = slot_file(station.root, "sang-cn", days="sun",
                          text="Đài truyền thanh xã xin kính chào bà con ngày chủ nhật.")
    assert station.cli("playlist", "apply", str(other_day)).returncode == 0  # other items


def test_overlapping_slots_are_warned_about_naming_both_and_who_airs_first(
        station: Station) -> None:
    assert station.cli("playlist", "apply",
                       str(slot_file(station.root, "sang"))).returncode == 0
    news = slot_file(station.root, "tin-tuc", at="06:00", until="06:45", days="weekdays",
                     level="priority", text="Bản tin thời sự.")
    expected = ("warning: slots 'sang' (05:30-06:30) and 'tin-tuc' (06:00-06:45) overlap "
                "from 06:00 to 06:30 on weekdays: 'sang' airs first and 'tin-tuc' waits "
                "until it ends (it starts earlier)\n")
    checked = station.cli("playlist", "check", str(news))
    assert (checked.returncode, checked.stderr) == (0, expected)
    applied = station.cli("playlist", "apply", str(news))
    assert applied.returncode == 0 and applied.stderr == expected  # not refused
    assert applied.stdout.startswith("installed slot 'tin-tuc'")
    evening = slot_file(station.root, "chieu", at="17:00", until="18:00",
                        text="Bản tin buổi chiều.")
    assert station.cli("playlist", "apply", str(evening)).stderr == ""  # no overlap


# --- played files: one copy per content, deleted when unneeded, capped ------------------------


def test_the_same_file_played_three_times_is_one_copy(station: Station,
                                                      tmp_path: Path) -> None:
    write_tone(tmp_path / "ban-tin.wav", 0.5)
    for name in ("ban-tin-1.wav", "ban-tin-2.WAV"):
        (tmp_path / name).write_bytes((tmp_path / "ban-tin.wav").read_bytes())
    write_tone(tmp_path / "nhac.wav", 0.5, hz=880)
    ids = [queued(station, "play", str(tmp_path / name), "--at", "+1h")
           for name in ("ban-tin.wav", "ban-tin-1.wav", "ban-tin-2.WAV", "nhac.wav")]
    same = hashlib.sha256((tmp_path / "ban-tin.wav").read_bytes()).hexdigest()
    other = hashlib.sha256((tmp_path / "nhac.wav").read_bytes()).hexdigest()
    assert copies(station) == sorted([f"{same}.wav", f"{other}.wav"])
    titles = [row["title"] for row in json.loads(station.cli("queue", "--json").stdout)]
    assert sorted(titles) == ["ban-tin-1.wav", "ban-tin-2.WAV", "ban-tin.wav", "nhac.wav"]
    for entry_id in ids[:2]:  # another item still needs the copy
        assert station.cli("cancel", str(entry_id)).returncode == 0
        assert f"{same}.wav" in copies(station)
    assert station.cli("cancel", str(ids[2])).returncode == 0
    assert copies(station) == [f"{other}.wav"]


def test_the_copies_folder_is_the_station_groups(station: Station, tmp_path: Path) -> None:
    # The daemon (user broadcaster) and other operators delete copies one operator made.
    if os.geteuid() != 0:
        pytest.skip("needs root to give the audio folder another group")
    audio = station.root / "audio"
    os.chown(audio, -1, 65534)  # 'nogroup' standing for 'broadcaster'
    write_tone(tmp_path / "ban-tin.wav", 0.5)
    queued(station, "play", str(tmp_path / "ban-tin.wav"), "--at", "+1h")
    folder = (audio / "queued").stat()
    assert folder.st_gid == 65534
    assert stat.S_IMODE(folder.st_mode) == 0o2770


@pytest.mark.slow
def test_a_copy_is_deleted_once_no_item_needs_it(tmp_path: Path) -> None:
    station = daemon_station(tmp_path / "station", "capture")
    write_tone(tmp_path / "ban-tin.wav", 0.5)
    write_tone(tmp_path / "nhac.wav", 0.5, hz=880)
    with running_daemon(station) as daemon:
        now = queued(station, "play", str(tmp_path / "ban-tin.wav"))
        later = queued(station, "play", str(tmp_path / "ban-tin.wav"), "--at", "+1h")
        (line,) = daemon.wait_finished(now)
        assert line.outcome is Outcome.AIRED
        news = hashlib.sha256((tmp_path / "ban-tin.wav").read_bytes()).hexdigest()
        assert copies(station) == [f"{news}.wav"]  # the item at +1h still needs it
        assert station.cli("cancel", str(later)).returncode == 0
        assert copies(station) == []
        music = queued(station, "play", str(tmp_path / "nhac.wav"))
        daemon.wait_finished(music)
        daemon.wait_for(lambda: copies(station) == [], "the daemon to delete the copy")
        aired = station.cli("cancel", str(now))
    stamp = datetime.fromtimestamp(line.ended_at, HANOI).strftime("%Y-%m-%d %H:%M")
    one_line_refusal(aired, f"#{now} ban-tin.wav has already aired (it ended at {stamp}); "
                            "nothing to cancel")


def test_play_is_refused_in_one_line_when_the_copies_would_pass_the_cap(
        station: Station, tmp_path: Path) -> None:
    write_tone(tmp_path / "ban-tin.wav", 0.5)
    queued(station, "play", str(tmp_path / "ban-tin.wav"), "--at", "+1h")
    (needed,) = copies(station)
    leftover = station.root / "audio" / "queued" / "1733000000-cu.wav"  # an old copy
    leftover.write_bytes((tmp_path / "ban-tin.wav").read_bytes())
    huge = tmp_path / "thu-am.wav"  # 2 GiB on paper, nothing on disk
    with huge.open("wb") as out:
        out.write(b"RIFF\xff\xff\xff\x7fWAVEfmt ")
        out.truncate(MAX_BYTES)
    before = station.files()
    line = one_line_refusal(station.cli("play", str(huge)))
    assert re.match(rf"{re.escape(str(huge))}: the station's copies of queued files would "
                    r"pass 2147 MB \(0\.\d MB kept for items still to air, this file 2147 "
                    r"MB\); cancel some of them", line), line
    assert station.files() == before  # the needed copy, and even the old one, stay
    write_tone(tmp_path / "nhac.wav", 0.5, hz=880)
    queued(station, "play", str(tmp_path / "nhac.wav"), "--at", "+2h")
    assert needed in copies(station) and leftover.name not in copies(station)


# --- play --title, play "", usage lines, log --------------------------------------------------


def test_play_takes_a_title_and_refuses_an_empty_path(station: Station,
                                                      tmp_path: Path) -> None:
    write_tone(tmp_path / "ban-tin.wav", 0.5)
    queued(station, "play", str(tmp_path / "ban-tin.wav"), "--at", "+1h",
           "--title", "Bản tin chiều")
    assert [row["title"] for row in json.loads(station.cli("queue", "--json").stdout)] == [
        "Bản tin chiều"]
    before = station.files()
    one_line_refusal(station.cli("play", ""), "no file given; give the path of an audio file")
    one_line_refusal(station.cli("play", "   "), "no file given")
    one_line_refusal(station.cli("play", str(tmp_path)), "this is a folder; give an audio file")
    one_line_refusal(station.cli("play", str(tmp_path / "ban-tin.wav"), "--title", "a\nb"),
                     "a title is one line")
    assert station.files() == before


def test_cancel_of_a_cancelled_item_says_when(station: Station) -> None:
    entry_id = queued(station, "say", "Họp tổ dân phố.", "--at", "+1h", "--title", "Họp tổ")
    assert station.cli("cancel", str(entry_id)).returncode == 0
    line = one_line_refusal(station.cli("cancel", str(entry_id)))
    assert re.fullmatch(rf"#{entry_id} Họp tổ was already cancelled at "
                        r"\d{4}-\d\d-\d\d \d\d:\d\d", line), line
    one_line_refusal(station.cli("cancel", "999"), "no pending item with id 999")


@pytest.mark.parametrize(("command", "usage"), [
    (["play"], "play [OPTIONS] FILE"), (["cancel"], "cancel [OPTIONS] ID"),
    (["playlist", "check"], "playlist check [OPTIONS] FILE..."),
    (["playlist", "remove"], "playlist remove [OPTIONS] NAME"),
    (["say"], "say [OPTIONS] [TEXT]"),
])
def test_usage_lines_name_arguments_as_the_spec_writes_them(
        station: Station, command: list[str], usage: str) -> None:
    shown = station.cli(*command, "--help")
    assert shown.stdout.splitlines()[0].endswith(f"broadcaster {usage}")  # or -m broadcaster
    assert "{" not in shown.stdout.splitlines()[0]


def test_log_refuses_since_after_until_and_takes_the_format_in_capitals(
        station: Station) -> None:
    one_line_refusal(station.cli("log", "--since", "2026-12-03", "--until", "2026-12-01"),
                     "--since 2026-12-03 is after --until 2026-12-01")
    assert station.cli("log", "--since", "2026-12-01", "--until", "2026-12-01").returncode == 0
    for typed in ("CSV", "Csv", "JSON", "Table"):
        assert station.cli("log", "--format", typed).returncode == 0, typed


def test_csv_cells_a_spreadsheet_would_run_are_escaped(station: Station) -> None:
    titles = ["+84 912 345 678", "-1 hộ", "@loa", "=1+1"]
    for title in titles:
        entry_id = queued(station, "say", "Thử máy.", "--at", "+1h", "--title", title)
        assert station.cli("cancel", str(entry_id)).returncode == 0
    text = station.cli("log", "--format", "CSV").stdout
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    assert [row["title"] for row in rows] == ["'" + title for title in titles]


def test_a_playlist_title_is_one_line_of_at_most_200_characters(station: Station) -> None:
    long_title = station.root / "dai.yaml"
    long_title.write_text(f"title: {'Thông báo ' * 500}\nitems:\n  - say: Xin chào\n",
                          encoding="utf-8")
    one_line_refusal(station.cli("playlist", "apply", str(long_title)),
                     f"{long_title}:1: 'title' is one line of at most 200 characters "
                     "(this one has 4999 characters); shorten it")
    two_lines = station.root / "hai-dong.yaml"
    two_lines.write_text("title: |\n  Dòng một\n  Dòng hai\nitems:\n  - say: Xin chào\n",
                         encoding="utf-8")
    one_line_refusal(station.cli("playlist", "check", str(two_lines)),
                     "(this one has 17 characters on 2 lines)")
