"""Playlist files as operators write them: a good one becomes a Playlist; each mistake is
refused with one line `file:line: message` that says what to do, and nothing changes.

The faulty corpus is `tests/data/playlists/bad/*.yaml`, checked against the audio folder
`tests/data/playlists/audio`: each file's first line is `# expect: LINE: MESSAGE` (with
`{audio_dir}` standing for the audio folder), so command-line tests can use the same files.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from broadcaster.model import (
    WEEKDAYS,
    Chime,
    File,
    Level,
    OperatorError,
    Pause,
    Playlist,
    Relay,
    Say,
    Slot,
)
from broadcaster.playlist import PlaylistError, check_playlists, load_playlist, parse_playlist
from broadcaster.playlist.audio_files import looks_like_audio
from broadcaster.playlist.reader import DEFAULT_MAX_TEXT_CHARS

REPOSITORY = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data" / "playlists"
AUDIO = DATA / "audio"  # beep.wav (a real WAV) and not-audio.mp3 (text)
BAD = sorted((DATA / "bad").glob("*.yaml"))
GOOD = sorted((DATA / "good").glob("*.yaml"))
SAMPLES = sorted((REPOSITORY / "playlists").glob("*.yaml"))
SOURCE = Path("buoi-sang.yaml")


def expected_line(path: Path, audio_dir: Path = AUDIO) -> str:
    """What the first line of a corpus file says the refusal reads."""
    first = path.read_bytes().split(b"\n", 1)[0].decode("utf-8")
    expected = first.removeprefix("# expect: ").replace("{audio_dir}", str(audio_dir))
    return f"{path}:{expected}"


def refusal(text: str, audio_dir: Path = AUDIO, *,
            max_text_chars: int = DEFAULT_MAX_TEXT_CHARS) -> PlaylistError:
    with pytest.raises(PlaylistError) as caught:
        parse_playlist(text, SOURCE, audio_dir, max_text_chars=max_text_chars)
    return caught.value


def playlist(text: str, audio_dir: Path = AUDIO) -> Playlist:
    return parse_playlist(text, SOURCE, audio_dir)


def one_say(extra: str = "", say: str = "say: Xin kính chào bà con.") -> str:
    return f"title: Bản tin\n{extra}items:\n  - {say}\n"


# --- the corpus of mistakes -----------------------------------------------------------------

def test_the_corpus_has_at_least_25_distinct_mistakes() -> None:
    assert len(BAD) >= 25
    assert len({expected_line(path).split(":", 2)[2] for path in BAD}) >= 25


@pytest.mark.parametrize("path", BAD, ids=lambda path: path.stem)
def test_each_mistake_is_refused_with_one_line_at_its_line(path: Path) -> None:
    with pytest.raises(PlaylistError) as caught:
        load_playlist(path, AUDIO)
    assert str(caught.value) == expected_line(path)
    assert len(caught.value.problems) == 1  # no echo of the same mistake
    assert isinstance(caught.value, OperatorError)  # the CLI prints it and exits 1


def test_checking_the_corpus_changes_no_file() -> None:
    def snapshot() -> dict[Path, tuple[int, int]]:
        return {path: (path.stat().st_size, path.stat().st_mtime_ns)
                for path in DATA.rglob("*") if path.is_file()}

    before = snapshot()
    assert len(check_playlists(BAD, AUDIO)) == len(BAD)
    assert snapshot() == before


def test_check_reports_every_problem_of_every_file_in_line_order(tmp_path: Path) -> None:
    many = tmp_path / "many.yaml"
    many.write_text("tittle: Bản tin\n"
                    "level: urgent\n"
                    "items:\n"
                    "  - say: Xin kính chào bà con.\n"
                    "    repat: 2\n"
                    "  - pause: soon\n", encoding="utf-8")
    good = DATA / "good" / "unquoted-times.yaml"
    missing = tmp_path / "nowhere.yaml"
    assert check_playlists([many, good, missing], AUDIO) == [
        f"{many}:1: unknown key 'tittle'; did you mean 'title'?",
        f"{many}:2: level \"urgent\" is not a level; choose normal, priority or emergency",
        f"{many}:5: unknown key 'repat' in item 1; did you mean 'repeat'?",
        f"{many}:6: item 2 'pause': 'soon' is not a duration; write it like 30s, 10m, 1h30m "
        "or 90",
        f"{missing}:1: playlist file not found; check the name and the folder",
    ]
    with pytest.raises(PlaylistError) as caught:
        load_playlist(many, AUDIO)
    assert str(caught.value) == f"{many}:1: unknown key 'tittle'; did you mean 'title'?"


def test_check_is_empty_when_every_file_is_good() -> None:
    assert check_playlists(GOOD, AUDIO) == []
    assert check_playlists(SAMPLES, REPOSITORY / "audio") == []


@pytest.mark.parametrize(("text", "message"), [
    ("", "1: the playlist is empty; it needs at least 'title' and 'items'"),
    ("~\n", "1: the playlist is empty; it needs at least 'title' and 'items'"),
    ("Bản tin buổi sáng\n", "1: a playlist is a set of 'key: value' lines such as 'title: ...'"
                           " and 'items:', not a single value"),
    ("title: [Bản tin]\nitems:\n  - pause: 1s\n",
     "1: 'title' must be a single value, not a list"),
    ("title: Bản tin\nitems:\n  - say: {text: Chào}\n",
     "3: item 1 'say' must be a single value, not a set of keys"),
    ("title: Bản tin\n[a]: b\nitems:\n  - pause: 1s\n",
     "2: a key must be a plain word such as 'title', not a list"),
    ("title: Bản tin\nslot: daily\nitems:\n  - pause: 1s\n",
     "2: 'slot' must look like {days: daily, at: \"05:30\", until: \"06:30\"}; leave it out "
     "for a one-off"),
    ("title: Bản tin\nslot: {days: [], at: \"05:30\"}\nitems:\n  - pause: 1s\n",
     "2: slot 'days' lists no day; write daily, weekdays, weekends or a list such as "
     "[mon, wed, fri]"),
    ("title: Bản tin\nitems:\n  - chime:\n", "3: item 1 'chime' is empty; write 'chime: "
                                           "default' or name an audio file"),
    ("title: Bản tin\nitems:\n  - file: ''\n", "3: item 1 'file' is empty; name an audio file "
                                              "in the audio folder"),
    ("title: Bản tin\nitems:\n  - say: Chào.\n    gap: 25h\n",
     "4: item 1 'gap' \"25h\" is too long; give at most 24h"),
    ("title: Bản tin\nitems:\n  - relay: 'http://[::1'\n    duration: 1m\n",
     "3: item 1 'relay' \"http://[::1\" is not an http:// or https:// stream address; give "
     "the stream's URL, e.g. http://stream.example/vov1"),
    ("title: Bản tin\nitems: [[a, b]]\n",
     "2: item 1 must be 'kind: value', e.g. '- say: ...', '- file: ...' or '- pause: 3s'"),
    ("title: Bản tin\nitems:\n  - say: Chào.\n    colour: red\n",
     "4: unknown key 'colour' in item 1; valid keys: say, file, chime, relay, pause, repeat, "
     "gap, duration, at, fit"),
    ("title: 'Bản tin\n\nitems:\n  - pause: 1s\n",
     "1: not valid YAML (found unexpected end of stream); check the indentation, the ':' "
     "after each key and the quotes on this line"),
    ("title: Bản tin\nitems: " + "[" * 2000 + "\n", "2: brackets nested too deeply; a "
                                                  "playlist needs at most a list inside 'items'"),
])
def test_more_mistakes_in_text(text: str, message: str) -> None:
    assert str(refusal(text)) == f"{SOURCE}:{message}"


@pytest.mark.parametrize("text", [
    "title: Bản tin\n\tlevel: normal\nitems:\n  - pause: 1s\n",
    "title: Bản tin\nitems:\n  - pause: 1s\n\t- say: Chào\n",
    "title: Bản tin\nitems:\n  - pause: 1s\n  \t- say: Chào\n",
])
def test_tabs_in_the_indentation_are_named(text: str) -> None:
    assert str(refusal(text)).startswith(f"{SOURCE}:")
    assert str(refusal(text)).endswith("a tab is used for indentation; indent with spaces only")


def test_a_tab_inside_a_spoken_text_is_only_text() -> None:
    text = "title: Bản tin\nitems:\n  - say: |\n      Điều 1.\n      \tKhoản a.\n"
    assert playlist(text).items == (Say("Điều 1.\n\tKhoản a."),)


def test_text_beyond_the_limit_is_refused_with_the_limit_named() -> None:
    text = "a" * 101
    assert str(refusal(one_say(say=f"say: {text}"), max_text_chars=100)) == (
        f"{SOURCE}:3: item 1 'say' text is 101 characters, over the limit of 100 "
        "(tts.max_chars); split it into several 'say' items")
    assert parse_playlist(one_say(say=f"say: {text[:100]}"), SOURCE, AUDIO,
                          max_text_chars=100).items == (Say(text[:100]),)


def test_a_long_symbol_only_text_is_quoted_short_on_one_line() -> None:
    symbols = "!? " * 200
    message = str(refusal(one_say(say=f"say: |\n      {symbols}\n      {symbols}")))
    assert "\n" not in message
    assert len(message) < 200
    assert message.endswith("…\" has no letters to read; write the notice in words")


# --- files that cannot be read ----------------------------------------------------------------

def test_a_missing_playlist_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(PlaylistError) as caught:
        load_playlist(tmp_path / "buoi-trua.yaml", AUDIO)
    assert str(caught.value) == (f"{tmp_path / 'buoi-trua.yaml'}:1: playlist file not found; "
                                 "check the name and the folder")


def test_a_folder_is_not_a_playlist(tmp_path: Path) -> None:
    with pytest.raises(PlaylistError) as caught:
        load_playlist(tmp_path, AUDIO)
    assert str(caught.value) == (f"{tmp_path}:1: this is a folder, not a playlist; "
                                 "give the .yaml file")


def test_a_utf8_file_saved_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    path = tmp_path / "notepad.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + one_say().encode("utf-8"))
    assert load_playlist(path, AUDIO).title == "Bản tin"


def test_messages_name_the_file_as_the_operator_gave_it(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "playlists").mkdir()
    (tmp_path / "playlists" / "x.yaml").write_text("title: X\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert check_playlists([Path("playlists/x.yaml")], AUDIO) == [
        "playlists/x.yaml:1: missing 'items'; add 'items:' and below it what to air, one '- ' "
        "line each, e.g. '  - say: ...'"]


# --- good playlists ------------------------------------------------------------------------------

@pytest.mark.parametrize("path", SAMPLES, ids=lambda path: path.name)
def test_the_sample_playlists_of_the_repository_are_good(path: Path) -> None:
    loaded = load_playlist(path, REPOSITORY / "audio")
    assert loaded.title
    assert loaded.items


def test_the_morning_sample_is_the_daily_05_30_slot_with_vov() -> None:
    morning = load_playlist(REPOSITORY / "playlists" / "buoi-sang.yaml", REPOSITORY / "audio")
    assert morning.slot == Slot(days=WEEKDAYS, at=time(5, 30), until=time(6, 30))
    assert morning.items[0] == Chime("default")
    assert Relay("http://stream.example/vov1", 1500.0, at=time(6, 0)) in morning.items
    assert any(isinstance(item, Say) and item.repeat == 2 and item.gap_s == 20.0
               for item in morning.items)
    one_off = load_playlist(REPOSITORY / "playlists" / "thong-bao-tiem-phong.yaml",
                            REPOSITORY / "audio")
    assert one_off.slot is None


@pytest.mark.parametrize("path", GOOD, ids=lambda path: path.stem)
def test_good_playlists_parse(path: Path) -> None:
    assert load_playlist(path, AUDIO).items


def test_every_kind_of_item_is_read() -> None:
    beep = AUDIO.resolve() / "beep.wav"
    assert load_playlist(DATA / "good" / "every-kind-of-item.yaml", AUDIO) == Playlist(
        title="Chương trình thử đủ các mục",
        items=(Chime("default"), Chime(str(beep)),
               Say("Thông báo của UBND xã về lịch tiêm phòng cho đàn gia cầm.", 3, 90.0),
               File(beep), Relay("https://stream.example/vov1", 5400.0), Pause(3.0)),
        level=Level.PRIORITY,
        slot=Slot(days=("mon", "wed", "fri"), at=time(19, 0), until=time(19, 45)),
        valid_from=date(2026, 12, 1), valid_until=date(2026, 12, 1))


def test_unquoted_times_are_read_as_typed_not_as_yaml_numbers() -> None:
    evening = load_playlist(DATA / "good" / "unquoted-times.yaml", AUDIO)
    assert evening.slot == Slot(days=WEEKDAYS[:5], at=time(5, 30), until=time(17, 0))


def test_yaml_booleans_and_dates_stay_the_words_typed() -> None:
    words = load_playlist(DATA / "good" / "yaml-words-as-typed.yaml", AUDIO)
    assert words.title == "no"
    assert [item.text for item in words.items if isinstance(item, Say)] == [
        "yes", "2026-12-01 là ngày tiêm phòng.", "Off"]


def test_an_emergency_is_a_one_off() -> None:
    storm = load_playlist(DATA / "good" / "emergency-one-off.yaml", AUDIO)
    assert storm.level is Level.EMERGENCY
    assert storm.slot is None


def test_a_slot_without_days_airs_daily_and_without_until_has_no_hard_end() -> None:
    assert playlist(one_say('slot: {at: "05:30"}\n')).slot == Slot(WEEKDAYS, time(5, 30), None)


@pytest.mark.parametrize(("days", "normalised"), [
    ("daily", WEEKDAYS),
    ("weekdays", ("mon", "tue", "wed", "thu", "fri")),
    ("weekends", ("sat", "sun")),
    ("sun", ("sun",)),
    ("Sat", ("sat",)),
    ("[sun, mon, mon]", ("mon", "sun")),
    ("[fri, tue]", ("tue", "fri")),
    ("mon, wed, fri", ("mon", "wed", "fri")),
    ("weekends, mon", ("mon", "sat", "sun")),
    ("\n    - THU\n    - tue", ("tue", "thu")),
])
def test_days_are_normalised_to_week_order(days: str, normalised: tuple[str, ...]) -> None:
    slot = playlist(one_say(f'slot:\n  days: {days}\n  at: "05:30"\n')).slot
    assert slot is not None
    assert slot.days == normalised


@pytest.mark.parametrize(("days", "weekdays", "dates", "lunar_days"), [
    ("[âm 1, âm 15]", (), (), (1, 15)),
    ("âm 1, âm 15", (), (), (1, 15)),
    ('"Âm 15"', (), (), (15,)),
    ("[lunar 1, am 15]", (), (), (1, 15)),
    ("[mon, 2026-12-24, âm 15]", ("mon",), (date(2026, 12, 24),), (15,)),
    ("2026-12-31, 2026-12-24", (), (date(2026, 12, 24), date(2026, 12, 31)), ()),
    ("\n    - weekends\n    - âm 1", ("sat", "sun"), (), (1,)),
    # as an officer writes them: Vietnamese day names (not "thứ" read as thu, Thursday)
    ("[thứ hai, thứ 4, chủ nhật]", ("mon", "wed", "sun"), (), ()),
    ("Thứ Bảy, T2, CN", ("mon", "sat", "sun"), (), ()),
    ("hằng ngày", ("mon", "tue", "wed", "thu", "fri", "sat", "sun"), (), ()),
    ("[cuối tuần, âm 15]", ("sat", "sun"), (), (15,)),
])
def test_days_take_dates_and_lunar_days_mixed_with_weekdays(
        days: str, weekdays: tuple[str, ...], dates: tuple[date, ...],
        lunar_days: tuple[int, ...]) -> None:
    slot = playlist(one_say(f'slot:\n  days: {days}\n  at: "19:00"\n')).slot
    assert slot is not None
    assert (slot.days, slot.dates, slot.lunar_days) == (weekdays, dates, lunar_days)


@pytest.mark.parametrize(("skip", "holidays", "dates"), [
    ("holidays", True, ()),
    ("2026-12-25", False, (date(2026, 12, 25),)),
    ("[holidays, 2027-01-01, 2026-12-25]", True, (date(2026, 12, 25), date(2027, 1, 1))),
    ("ngày lễ", True, ()),
])
def test_skip_takes_holidays_and_dates(skip: str, holidays: bool,
                                       dates: tuple[date, ...]) -> None:
    slot = playlist(one_say(f'slot:\n  days: daily\n  skip: {skip}\n  at: "05:30"\n')).slot
    assert slot is not None
    assert (slot.skip_holidays, slot.skip_dates) == (holidays, dates)


@pytest.mark.parametrize(("slot_text", "message"), [
    ('{days: [âm 31], at: "19:00"}', "2: slot 'days' \"âm 31\" is not a lunar day; a lunar "
     "month has days 1 to 30: write âm 1 for mùng 1 or âm 15 for rằm"),
    ('{days: [âm 0], at: "19:00"}', "2: slot 'days' \"âm 0\" is not a lunar day; a lunar "
     "month has days 1 to 30: write âm 1 for mùng 1 or âm 15 for rằm"),
    ('{days: "âm", at: "19:00"}', "2: slot 'days' \"âm\" is not a lunar day; a lunar "
     "month has days 1 to 30: write âm 1 for mùng 1 or âm 15 for rằm"),
    ('{days: [2026-02-30], at: "19:00"}', "2: slot 'days' \"2026-02-30\" is not a date; write "
     "it as YYYY-MM-DD, e.g. \"2026-12-01\""),
    ('{days: [24/12/2026], at: "19:00"}', "2: slot 'days' \"24/12/2026\" is not a day (did "
     "you mean '2026-12-24'?); write daily, weekdays, weekends, mon to sun, a date such as "
     "2026-12-24 or a lunar day such as âm 1 (mùng 1) or âm 15 (rằm)"),
    ('{days: [sunday], at: "19:00"}', "2: slot 'days' \"sunday\" is not a day (did you "
     "mean 'sun'?); write daily, weekdays, weekends, mon to sun, a date such as "
     "2026-12-24 or a lunar day such as âm 1 (mùng 1) or âm 15 (rằm)"),
    ('{at: "19:00", skip: [holidays, 2026-13-01]}', "2: slot 'skip' \"2026-13-01\" is not a "
     "date; write it as YYYY-MM-DD, e.g. \"2026-12-01\""),
    ('{at: "19:00", skip: []}', "2: slot 'skip' lists nothing; write holidays or dates such "
     "as 2026-12-25, or remove it"),
    ('{at: "19:00", skip: [Tết]}', "2: slot 'skip' \"Tết\" is neither holidays nor a date "
     "(holidays skips Tết with every public holiday); write skip: holidays, a date such as "
     "2026-12-25, or a list of them"),
    ('{days: [thứ tám], at: "19:00"}', "2: slot 'days' \"thứ tám\" is not a day; write "
     "daily, weekdays, weekends, mon to sun, a date such as 2026-12-24 or a lunar day such "
     "as âm 1 (mùng 1) or âm 15 (rằm)"),
])
def test_a_bad_calendar_day_is_refused_in_one_line(slot_text: str, message: str) -> None:
    with pytest.raises(PlaylistError) as caught:
        playlist(f"title: Bản tin\nslot: {slot_text}\nitems:\n  - pause: 1s\n")
    assert str(caught.value) == f"{SOURCE}:{message}"


def test_skip_outside_the_slot_is_pointed_into_it() -> None:
    with pytest.raises(PlaylistError) as caught:
        playlist('title: Bản tin\nslot: {at: "05:30"}\nskip: holidays\nitems:\n'
                 '  - pause: 1s\n')
    assert str(caught.value) == (f"{SOURCE}:3: 'skip' belongs to the slot; put it inside "
                                 "'slot:', e.g. slot: {days: daily, at: \"05:30\", skip: "
                                 "holidays}")


def test_calendar_days_survive_the_database_and_old_rows_still_read() -> None:
    from broadcaster.store import playlist_from_json, playlist_to_json

    read = playlist(one_say('slot: {days: [fri, 2026-12-24, âm 15], at: "19:00", '
                            'skip: [holidays, 2026-12-25]}\n'))
    assert playlist_from_json(playlist_to_json(read)) == read
    weekly = playlist(one_say('slot: {days: weekdays, at: "06:00"}\n'))
    assert json.loads(playlist_to_json(weekly))["slot"] == {
        "days": ["mon", "tue", "wed", "thu", "fri"], "at": "06:00", "until": None}


# --- audio files stay inside the audio folder ---------------------------------------------------

def audio_folder(tmp_path: Path) -> Path:
    audio = tmp_path / "audio"
    (audio / "music").mkdir(parents=True)
    (audio / "music" / "bai-hat.wav").write_bytes((AUDIO / "beep.wav").read_bytes())
    return audio


def test_a_symlink_pointing_outside_the_audio_folder_is_refused(tmp_path: Path) -> None:
    audio = audio_folder(tmp_path)
    outside = tmp_path / "secret.wav"
    outside.write_bytes((AUDIO / "beep.wav").read_bytes())
    (audio / "link.wav").symlink_to(outside)
    assert str(refusal(one_say(say="file: link.wav"), audio)) == (
        f"{SOURCE}:3: item 1 'file' \"link.wav\" is outside the audio folder {audio}; copy the "
        "file there and name it relative to that folder")


def test_a_symlinked_folder_leading_out_is_refused(tmp_path: Path) -> None:
    audio = audio_folder(tmp_path)
    (audio / "etc").symlink_to("/etc")
    assert "is outside the audio folder" in str(refusal(one_say(say="file: etc/passwd"), audio))


def test_a_symlink_loop_is_refused_not_followed_forever(tmp_path: Path) -> None:
    audio = audio_folder(tmp_path)
    (audio / "loop.wav").symlink_to(audio / "loop.wav")
    message = str(refusal(one_say(say="file: loop.wav"), audio))
    assert message.startswith(f"{SOURCE}:3: item 1 'file' \"loop.wav\"")


def test_files_inside_the_audio_folder_are_found_however_named(tmp_path: Path) -> None:
    audio = audio_folder(tmp_path)
    song = (audio / "music" / "bai-hat.wav").resolve()
    (audio / "same-song.wav").symlink_to(audio / "music" / "bai-hat.wav")
    for name in ("music/bai-hat.wav", "./music/../music/bai-hat.wav", str(song),
                 "same-song.wav"):
        assert playlist(one_say(say=f"file: '{name}'"), audio).items == (File(song),)


def test_an_audio_folder_reached_through_a_symlink_works(tmp_path: Path) -> None:
    audio = audio_folder(tmp_path)
    (tmp_path / "am-thanh").symlink_to(audio)
    assert playlist(one_say(say="file: music/bai-hat.wav"), tmp_path / "am-thanh").items == (
        File((audio / "music" / "bai-hat.wav").resolve()),)


def test_a_folder_is_not_an_audio_file(tmp_path: Path) -> None:
    audio = audio_folder(tmp_path)
    (audio / "album.mp3").mkdir()
    assert str(refusal(one_say(say="file: album.mp3"), audio)) == (
        f"{SOURCE}:3: item 1 'file' \"album.mp3\" is a folder; name an audio file inside it")


def test_a_pipe_is_not_opened(tmp_path: Path) -> None:
    import os

    audio = audio_folder(tmp_path)
    os.mkfifo(audio / "pipe.wav")
    assert "is not audio" in str(refusal(one_say(say="file: pipe.wav"), audio))


@pytest.mark.parametrize(("head", "audio"), [
    (b"RIFF\x24\x00\x00\x00WAVEfmt ", True),
    (b"RF64\xff\xff\xff\xffWAVEds64", True),
    (b"OggS\x00\x02" + bytes(6), True),
    (b"fLaC\x00\x00\x00\x22" + bytes(4), True),
    (b"ID3\x04\x00\x00" + bytes(6), True),
    (b"\xff\xfb\x90\x64" + bytes(8), True),  # MPEG-1 layer III frame
    (b"\xff\xf1\x50\x80" + bytes(8), True),  # AAC ADTS frame
    (b"\x00\x00\x00\x20ftypM4A ", True),
    (b"", False),
    (b"title: Bai hat", False),
    (b"\x7fELF\x02\x01\x01" + bytes(5), False),
    (b"MZ\x90\x00" + bytes(8), False),
    (b"\x89PNG\r\n\x1a\n" + bytes(4), False),
    (b"PK\x03\x04" + bytes(8), False),
    (b"RIFF\x24\x00\x00\x00AVI LIST", False),
])
def test_audio_is_recognised_by_its_first_bytes(head: bytes, audio: bool) -> None:
    assert looks_like_audio(head) is audio


def test_the_station_chime_is_recognised_as_audio() -> None:
    assert looks_like_audio((REPOSITORY / "audio" / "chime.wav").read_bytes()[:12])


# --- robustness -------------------------------------------------------------------------------

FRAGMENTS = ["title: Bản tin\n", "items:\n", "  - say: Chào bà con\n", "  - file: beep.wav\n",
             "  - relay: http://stream.example/vov1\n", "    duration: 30m\n", "    repeat: 2\n",
             "    gap: 20s\n", "slot: {days: daily, at: 5:30, until: 6:30}\n", "level: urgent\n",
             "  - pause: 0\n", "valid_from: 2026-02-30\n", "\t", "- ", ": ", "'", '"', "&a ",
             "*a ", "[", "]", "{", "}", "!!binary ", "\x07", "\x00", "\ufeff", "  ", "\n",
             "file: '\\0.wav'\n", '  - file: "\\ud800.wav"\n', "  - chime: ../../x.wav\n",
             "<<: *a\n", "--- \n", "%YAML 1.1\n", "? [a]\n: b\n"]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_any_text_is_a_playlist_or_one_line_refusal(text: str) -> None:
    assert_playlist_or_refusal(text)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=25).map("".join))
def test_any_yaml_like_text_is_a_playlist_or_one_line_refusal(text: str) -> None:
    assert_playlist_or_refusal(text)


def assert_playlist_or_refusal(text: str) -> None:
    try:
        parse_playlist(text, SOURCE, AUDIO)
    except PlaylistError as error:
        for line in (str(error), *map(str, error.problems)):
            assert len(line.splitlines()) == 1
            assert line.startswith(f"{SOURCE}:")
        assert str(error) == str(error.problems[0])


def test_reading_no_playlist_does_not_import_yaml() -> None:
    """The command line starts fast: PyYAML is imported only when a playlist is read."""
    code = "import sys, broadcaster.playlist; sys.exit('yaml' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


# --- slot playlists against each other (playlist.clashes) ----------------------------------

def slot(at: str, until: str | None = None, days: tuple[str, ...] = WEEKDAYS,
         level: Level = Level.NORMAL, items: tuple[Say | Pause, ...] = (Say("Xin chào"),),
         valid: tuple[date | None, date | None] = (None, None)) -> Playlist:
    return Playlist(title="Bản tin", items=items, level=level,
                    slot=Slot(days=days, at=time.fromisoformat(at),
                              until=time.fromisoformat(until) if until else None),
                    valid_from=valid[0], valid_until=valid[1])


def seconds(items: tuple[object, ...]) -> float:
    return 600.0 * len(items)  # ten minutes an item, whatever it is


def test_slots_overlapping_on_a_shared_day_name_the_overlap_and_who_airs_first() -> None:
    from broadcaster.playlist.clashes import WHY_EARLIER, overlap

    news = slot("06:00", "06:45", days=WEEKDAYS[:5], level=Level.PRIORITY)
    found = overlap(("tin", news), ("sang", slot("05:30", "06:30")), seconds)
    assert found is not None
    assert (found.first, found.second, found.days.days, found.why) == (
        "sang", "tin", WEEKDAYS[:5], WHY_EARLIER)
    assert (found.start, found.end) == (time(6, 0), time(6, 30))
    assert found.message() == (
        "warning: slots 'sang' (05:30-06:30) and 'tin' (06:00-06:45) overlap from 06:00 to "
        "06:30 on weekdays: 'sang' airs first and 'tin' waits until it ends (it starts "
        "earlier)")


@pytest.mark.parametrize(("a", "b"), [
    (slot("05:30", "06:30", days=("sat", "sun")), slot("06:00", "06:45", days=("mon",))),
    (slot("05:30", "06:00"), slot("06:00", "06:45")),  # one ends as the other starts
    (slot("05:30", "06:30", valid=(date(2026, 12, 1), date(2026, 12, 31))),
     slot("06:00", "06:45", valid=(date(2027, 1, 1), None))),
    (slot("05:30", "06:30", days=("mon",), valid=(date(2026, 12, 2), date(2026, 12, 4))),
     slot("06:00", "06:45")),  # valid Wednesday to Friday only: never on a Monday
])
def test_slots_that_never_air_together_do_not_overlap(a: Playlist, b: Playlist) -> None:
    from broadcaster.playlist.clashes import overlap

    assert overlap(("a", a), ("b", b), seconds) is None


def test_slots_starting_together_go_by_level_then_by_name() -> None:
    from broadcaster.playlist.clashes import WHY_LEVEL, WHY_NAME, overlap

    by_level = overlap(("a", slot("06:00", "06:30")),
                       ("b", slot("06:00", "06:20", level=Level.PRIORITY)), seconds)
    assert by_level is not None and (by_level.first, by_level.why) == ("b", WHY_LEVEL)
    by_name = overlap(("tin", slot("06:00", "06:30")), ("sang", slot("06:00", "06:20")),
                      seconds)
    assert by_name is not None and (by_name.first, by_name.why) == ("sang", WHY_NAME)


def test_a_slot_without_until_lasts_as_long_as_its_items() -> None:
    from broadcaster.playlist.clashes import overlap

    three = (Say("Một"), Pause(3.0), Say("Hai"))  # 30 minutes at ten an item
    assert overlap(("a", slot("05:30", items=three)), ("b", slot("05:50", "06:30")),
                   seconds) is not None
    assert overlap(("a", slot("05:30", items=three)), ("b", slot("06:00", "06:30")),
                   seconds) is None


def test_a_copy_of_a_slot_is_the_same_slot_on_any_shared_day() -> None:
    from broadcaster.playlist.clashes import duplicate_of, same_slot

    daily = slot("05:30", "06:30")
    assert same_slot(daily, slot("05:30", "06:00", days=("sun",)))  # airs twice on Sundays
    assert not same_slot(daily, slot("05:30", "06:30", items=(Say("Khác"),)))
    assert not same_slot(daily, slot("05:31", "06:30"))
    installed = [("sang", daily)]
    assert duplicate_of(slot("05:30", "06:30"), "sang-moi", installed) == "sang"
    assert duplicate_of(slot("05:30", "06:30"), "sang", installed) is None  # replaces it
