"""CPU and memory of airing one long file: broadcaster air beside aplay, sox and mpv.

SPEC §9 target: CPU per hour of air (user + sys seconds) ≤ 1.0 × mpv's, for WAV and MP3,
on the same file and the same ALSA device; peak RSS of the airing process ≤ 55 MB.

Run: `PYTHONPATH=. python -m benchmarks.bench_peers [--minutes 60] [--mp3-bitrate 192k]`.

Every player airs the same generated 44.1 kHz 16-bit stereo file (benchmarks.bench_air's
tone with noise) and an MP3 made from it with ffmpeg (libmp3lame, CBR), to the tests'
ALSA `capture` device (tests/support/sound.py: a `plug` to S16_LE in front of a `file`
PCM writing a WAV; no sound card, faster than real time, so the figures are the work of
decoding and handing the samples over, not of waiting). Each runs under
`/usr/bin/time -f "%U %S %M %e"`: user + sys CPU seconds of the player and the children
it waited for (ffmpeg, if one decodes), and its peak RSS (time's fork of a small process,
so no parent's pages are counted). Players that are not installed are left out.

The commands (rates match everywhere: nothing resamples):
- aplay: `aplay -q -D capture FILE` (WAV only: aplay reads no MP3).
- sox: `sox -q FILE -t alsa capture` (MP3 through libsox-fmt-mp3's libmad).
- mpv: `mpv --no-config --no-video --really-quiet --load-scripts=no --ao=alsa
  --audio-device=alsa/capture --audio-format=s16 --audio-samplerate=44100
  --audio-channels=stereo FILE`: no user config, scripts (Lua, ytdl hook), video or
  terminal status line; s16 and the file's own rate and layout, so mpv converts float
  to 16-bit itself as broadcaster does and neither it nor the plug resamples.
- broadcaster air: `broadcaster air FILE --config C`, C naming `device = "capture"`,
  44,100 Hz, 2 channels and an amplifier without warm-up or hold: the whole command
  (Python start-up, imports, the station lock) as an operator runs it.
The WAV capture of broadcaster air is compared with the source, sample for sample.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from benchmarks.bench_air import RATE, same_audio, write_long_file
from tests.support.sound import CAPTURE_ENV, use_test_sound_devices

BROADCASTER = [sys.executable, "-m", "broadcaster"]
MPV_FLAGS = ["--no-config", "--no-video", "--really-quiet", "--load-scripts=no", "--ao=alsa",
             "--audio-device=alsa/capture", "--audio-format=s16",
             f"--audio-samplerate={RATE}", "--audio-channels=stereo"]


@dataclass(frozen=True)
class Run:
    """One player on one file: CPU seconds (user + sys), peak RSS in MB, wall seconds."""

    cpu_s: float
    rss_mb: float
    wall_s: float


def commands(folder: Path) -> dict[str, dict[str, list[str]]]:
    """For each installed player, its command for each format it plays ('{file}' where
    the file goes)."""
    found: dict[str, dict[str, list[str]]] = {}
    if shutil.which("aplay"):
        found["aplay"] = {"wav": ["aplay", "-q", "-D", "capture", "{file}"]}
    if shutil.which("sox"):
        sox = ["sox", "-q", "{file}", "-t", "alsa", "capture"]
        found["sox"] = {"wav": sox, "mp3": sox}
    if shutil.which("mpv"):
        mpv = ["mpv", *MPV_FLAGS, "{file}"]
        found["mpv"] = {"wav": mpv, "mp3": mpv}
    config = folder / "station" / "broadcaster.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('[station]\ndata_dir = "data"\n\n'
                      f'[audio]\ndevice = "capture"\nsample_rate = {RATE}\nchannels = 2\n\n'
                      "[amplifier]\nwarmup_s = 0\nhold_s = 0\n", encoding="utf-8")
    ours = [*BROADCASTER, "air", "{file}", "--config", str(config)]
    found["broadcaster air"] = {"wav": ours, "mp3": ours}
    return found


def timed(argv: list[str], env: dict[str, str], stats: Path) -> Run:
    """Run `argv` under /usr/bin/time; raises SystemExit with its complaint if it fails."""
    done = subprocess.run(["/usr/bin/time", "-o", str(stats), "-f", "%U %S %M %e", *argv],
                          env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{argv[0]} failed: {(done.stderr or done.stdout).strip()[-500:]}")
    user, system, rss_kb, wall = stats.read_text().split()[-4:]
    return Run(float(user) + float(system), int(rss_kb) / 1024, float(wall))


def make_mp3(wav: Path, mp3: Path, bitrate: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
                    "-i", str(wav), "-c:a", "libmp3lame", "-b:a", bitrate, str(mp3)],
                   check=True)


def measure(folder: Path, minutes: float, bitrate: str, only: list[str] | None,
            ) -> tuple[dict[tuple[str, str], Run], bool | None]:
    """Every player on every format it plays; and whether broadcaster's WAV capture
    equals the source (None when it did not run)."""
    files = {"wav": folder / "long.wav", "mp3": folder / "long.mp3"}
    write_long_file(files["wav"], minutes)
    make_mp3(files["wav"], files["mp3"], bitrate)
    capture = folder / "capture.wav"
    env = {**os.environ, "ALSA_CONFIG_PATH": os.environ["ALSA_CONFIG_PATH"],
           CAPTURE_ENV: str(capture),
           "PYTHONPATH": os.pathsep.join([str(Path.cwd()), os.environ.get("PYTHONPATH", "")])}
    runs: dict[tuple[str, str], Run] = {}
    equal: bool | None = None
    for player, by_format in commands(folder).items():
        if only and player not in only:
            continue
        for kind, argv in by_format.items():
            file = str(files[kind])
            runs[player, kind] = timed([file if arg == "{file}" else arg for arg in argv],
                                       env, folder / "time.txt")
            if player == "broadcaster air" and kind == "wav":
                equal = same_audio(files["wav"], capture)
            capture.unlink(missing_ok=True)
    return runs, equal


def table(runs: dict[tuple[str, str], Run]) -> list[str]:
    """The issue's table, with each player's CPU as a ratio to mpv's on the same file."""
    lines = ["| player | WAV RSS | WAV CPU s | WAV × mpv | MP3 RSS | MP3 CPU s | MP3 × mpv |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for player in dict.fromkeys(player for player, _ in runs):
        cells = [player]
        for kind in ("wav", "mp3"):
            run, mpv = runs.get((player, kind)), runs.get(("mpv", kind))
            if run is None:
                cells += ["—", "—", "—"]
                continue
            ratio = f"{run.cpu_s / mpv.cpu_s:.2f}" if mpv is not None and mpv.cpu_s else "—"
            cells += [f"{run.rss_mb:.1f} MB", f"{run.cpu_s:.2f}", ratio]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60)
    parser.add_argument("--mp3-bitrate", default="192k")
    parser.add_argument("--only", action="append",
                        help="measure only this player (repeatable): aplay, sox, mpv, "
                             "'broadcaster air'")
    args = parser.parse_args()
    use_test_sound_devices()
    with tempfile.TemporaryDirectory(prefix="bench-peers-") as tmp:
        runs, equal = measure(Path(tmp), args.minutes, args.mp3_bitrate, args.only)
    print(f"{args.minutes:g}-min 44.1 kHz 16-bit stereo file, MP3 at {args.mp3_bitrate}, "
          "ALSA file device `capture`; CPU = user + sys seconds")
    for line in table(runs):
        print(line)
    if equal is not None:
        print(f"broadcaster air's WAV capture equals the source: {'yes' if equal else 'NO'}")


if __name__ == "__main__":
    main()
