"""Files on air: decoded a chunk at a time, 16-bit samples handed over untouched."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile

from broadcaster.air import FileSource, OutputFormat, PauseSource
from broadcaster.air.sequence import SequenceSource
from broadcaster.air.sources import CHUNK_FRAMES, as_float, as_pcm16, joined
from tests.support.sound import write_indexed

RATE = 48000
STEREO = OutputFormat(RATE, 2)


def read_all(source: FileSource | SequenceSource, block: int = 1000) -> list[np.ndarray]:
    source.open(STEREO)
    blocks = []
    while len(got := source.read(block)):
        blocks.append(got)
    source.close()
    return blocks


def test_a_16_bit_file_at_the_output_rate_comes_out_as_its_own_samples(tmp_path: Path) -> None:
    frames = 3 * CHUNK_FRAMES + 123  # over chunk edges, ending mid-block
    samples = write_indexed(tmp_path / "music.wav", frames, first=1)
    blocks = read_all(FileSource(tmp_path / "music.wav"))
    assert all(block.dtype == np.int16 for block in blocks)
    assert [len(block) for block in blocks] == [1000] * (frames // 1000) + [frames % 1000]
    # each block kept as it was handed over, though later ones came from newer chunks
    assert np.array_equal(np.concatenate(blocks), samples)


def test_a_file_resumed_mid_way_starts_at_that_frame(tmp_path: Path) -> None:
    samples = write_indexed(tmp_path / "music.wav", 2 * CHUNK_FRAMES, first=1)
    source = FileSource(tmp_path / "music.wav", start_frame=CHUNK_FRAMES - 7)
    blocks = read_all(source)
    assert np.array_equal(np.concatenate(blocks), samples[CHUNK_FRAMES - 7:])
    assert source.position == 2 * CHUNK_FRAMES


def test_a_float_file_goes_to_16_bit_rounded_and_clipped(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    audio = rng.uniform(-1.2, 1.2, (RATE, 2)).astype(np.float32)
    soundfile.write(str(tmp_path / "float.wav"), audio, RATE, subtype="FLOAT")
    (got,) = read_all(FileSource(tmp_path / "float.wav"), RATE)
    assert got.dtype == np.int16
    assert np.array_equal(got, np.clip(np.rint(audio * 32768.0), -32768, 32767))


def test_mono_is_doubled_for_stereo_and_stereo_averaged_for_mono(tmp_path: Path) -> None:
    mono = np.arange(-500, 500, dtype=np.int16)[:, None]
    soundfile.write(str(tmp_path / "mono.wav"), mono, RATE, subtype="PCM_16")
    (doubled,) = read_all(FileSource(tmp_path / "mono.wav"), 2000)
    assert np.array_equal(doubled, np.repeat(mono, 2, axis=1))  # still sample for sample

    stereo = np.stack([np.full(1000, 1000), np.full(1000, 3000)], axis=1).astype(np.int16)
    soundfile.write(str(tmp_path / "stereo.wav"), stereo, RATE, subtype="PCM_16")
    source = FileSource(tmp_path / "stereo.wav")
    source.open(OutputFormat(RATE, 1))
    averaged = source.read(2000)
    assert averaged.shape == (1000, 1)
    assert np.all(averaged == 2000)


def test_a_file_at_another_rate_is_resampled_to_the_output_rate(tmp_path: Path) -> None:
    t = np.arange(44100) / 44100
    tone = (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    soundfile.write(str(tmp_path / "cd.wav"), np.stack([tone, tone], axis=1), 44100,
                    subtype="PCM_16")
    source = FileSource(tmp_path / "cd.wav")
    blocks = read_all(source)
    assert source.duration_s == pytest.approx(1.0)
    assert abs(sum(len(block) for block in blocks) - RATE) <= 2
    assert np.abs(as_float(np.concatenate(blocks))).max() == pytest.approx(0.5, abs=0.01)


def test_16_bit_and_float_blocks_join_as_float_on_one_scale() -> None:
    pcm = np.full((2, 2), 16384, dtype=np.int16)
    half = np.full((2, 2), 0.5, dtype=np.float32)
    assert joined([pcm, pcm], 2).dtype == np.int16
    assert np.array_equal(joined([pcm, half], 2), np.full((4, 2), 0.5, dtype=np.float32))
    assert np.array_equal(as_pcm16(as_float(pcm)), pcm)


def test_a_playlist_of_16_bit_parts_stays_16_bit_across_their_joins(tmp_path: Path) -> None:
    first = write_indexed(tmp_path / "a.wav", 1500, first=1)
    second = write_indexed(tmp_path / "b.wav", 1500, first=5000)
    blocks = read_all(SequenceSource([lambda: FileSource(tmp_path / "a.wav"),
                                      lambda: PauseSource(0.01),
                                      lambda: FileSource(tmp_path / "b.wav")]))
    assert all(block.dtype == np.int16 for block in blocks)
    pause = np.zeros((STEREO.frames(0.01), 2), dtype=np.int16)
    assert np.array_equal(np.concatenate(blocks), np.concatenate([first, pause, second]))


def test_a_resumed_playlist_tells_where_it_resumes_before_its_first_read(
        tmp_path: Path) -> None:
    """`status` may ask between the player taking the resumed item and its first block:
    it must say where in the item it is, not 0 s."""
    write_indexed(tmp_path / "a.wav", RATE, first=1)
    write_indexed(tmp_path / "b.wav", 2 * RATE, first=1)
    playlist = SequenceSource([lambda: FileSource(tmp_path / "a.wav"),
                               lambda: FileSource(tmp_path / "b.wav")])
    playlist.open(STEREO)
    while playlist.position < RATE + RATE // 2:  # half a second into b.wav
        playlist.read(1000)
    cut_at = playlist.position

    resumed = playlist.resumed(cut_at, away_frames=RATE)
    assert resumed.position == cut_at
    resumed.open(STEREO)
    resumed.read(1000)
    assert resumed.position == cut_at + 1000
    resumed.close()
    playlist.close()
