"""A cancel (or a slot's hard end) is never lost on its way to the player (SPEC §6).

The player holds an item in moments other than "on air": taken off its queue while the
device opens, and fading out for an emergency. A stop asked in those moments must end
the item, not let it air or resume afterwards.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

import soundfile

from broadcaster.air import AirEvent, EventKind, FileSource, OutputFormat, Player, SoundOutput
from broadcaster.air.sources import Emit
from broadcaster.model import Outcome

if TYPE_CHECKING:
    from broadcaster.air.sources import Samples
from tests.support.sound import write_indexed, write_tone

RATE = 48000


class SlowToOpen(FileSource):
    """A file whose opening waits for the test: the moment the player has taken it off
    its queue but has not aired a block of it."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.opening = threading.Event()
        self.go = threading.Event()

    def open(self, fmt: OutputFormat, emit: Emit = lambda *_args, **_kw: None) -> None:
        self.opening.set()
        assert self.go.wait(10), "the test never let it open"
        super().open(fmt, emit)


class CallsAtRead(FileSource):
    """A file that calls `at[n]()` at its n-th read (the player's thread, on air)."""

    def __init__(self, path: Path, at: dict[int, object]) -> None:
        super().__init__(path)
        self.at = at
        self.reads = 0

    def read(self, frames: int) -> Samples:
        self.reads += 1
        call = self.at.get(self.reads)
        if callable(call):
            call()
        return super().read(frames)


def test_a_cancel_while_the_device_opens_airs_nothing_of_it(tmp_path: Path,
                                                            capture: Path) -> None:
    write_tone(tmp_path / "notice.wav", 0.5)
    source = SlowToOpen(tmp_path / "notice.wav")
    events: list[AirEvent] = []
    with Player(SoundOutput("capture", OutputFormat(RATE, 2)), on_event=events.append) \
            as player:
        player.start()
        item = player.play(source)
        assert source.opening.wait(10)

        assert player.stop(item) is True  # the player holds it: the ask is taken
        source.go.set()
        assert player.wait_idle(timeout=10)

    assert [(e.kind, e.outcome) for e in events] == [(EventKind.ENDED, Outcome.CANCELLED)]
    assert not capture.exists() or soundfile.info(str(capture)).frames == 0


def test_a_cancel_during_an_emergencys_fade_ends_the_item_instead_of_resuming_it(
        tmp_path: Path, capture: Path) -> None:
    write_indexed(tmp_path / "music.wav", RATE, first=1000)
    write_tone(tmp_path / "storm.wav", 0.1, hz=880)
    events: list[AirEvent] = []
    player: Player
    music_id: list[str] = []

    def storm() -> None:
        player.request_emergency(FileSource(tmp_path / "storm.wav", title="storm"))

    def cancel() -> None:  # the fade (9,600 frames) began two blocks ago
        assert player.stop(music_id[0]) is True

    music = CallsAtRead(tmp_path / "music.wav", {3: storm, 5: cancel})
    with Player(SoundOutput("capture", OutputFormat(RATE, 2)), on_event=events.append) \
            as player:
        music_id.append(player.play(music))
        player.run_until_idle()

    assert [(e.title, e.kind, e.outcome) for e in events] == [
        ("music.wav", EventKind.STARTED, None),
        ("music.wav", EventKind.ENDED, Outcome.CANCELLED),
        ("storm", EventKind.STARTED, None),
        ("storm", EventKind.ENDED, Outcome.AIRED)]
