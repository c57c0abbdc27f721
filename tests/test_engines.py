"""The engine chain: espeak-ng for real, gTTS through its real code with only HTTP intercepted."""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote

import pytest
import requests
import responses

from broadcaster.config import Config
from broadcaster.model import OperatorError
from broadcaster.speech.engines import CommandEngine, EngineFailure, EspeakEngine, GttsEngine
from broadcaster.speech.render import Notice, render_notice
from tests.support.station import Station, make_station

GTTS_URL = re.compile(r"https://translate\.google\.com/_/TranslateWebserverUi/data/batchexecute")
NOTICE = ("Ủy ban nhân dân xã thông báo lịch tiêm phòng cho đàn gia cầm. "
          "Bà con mang theo sổ theo dõi.")


@pytest.fixture(scope="module")
def google_mp3(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A real MP3 of Vietnamese speech, standing in for what Google's service returns."""
    folder = tmp_path_factory.mktemp("gtts")
    wav, mp3 = folder / "voice.wav", folder / "voice.mp3"
    subprocess.run(["espeak-ng", "-v", "vi", "-w", str(wav), "xin chào bà con"], check=True)
    subprocess.run(["ffmpeg", "-loglevel", "error", "-i", str(wav), "-ar", "24000",
                    "-codec:a", "libmp3lame", str(mp3)], check=True)
    return mp3.read_bytes()


def _google_answer(mp3: bytes) -> str:
    audio = base64.b64encode(mp3).decode("ascii")
    return f')]}}\'\n\n123\n[["wrb.fr","jQ1olc","[\\"{audio}\\"]",null,null,null,"generic"]]\n'


@pytest.fixture
def online_station(tmp_path: Path) -> Station:
    return make_station(tmp_path / "online", engines='["gtts", "espeak"]')


def test_espeak_speaks_vietnamese_for_real() -> None:
    pcm = EspeakEngine("vi", timeout_s=10, speed=1.0).synthesize(NOTICE)
    seconds = pcm.samples.size / pcm.rate
    assert 3 < seconds < 15
    assert float(abs(pcm.samples).max()) > 0.05


def test_espeak_speed_changes_duration() -> None:
    slow = EspeakEngine("vi", 10, 0.7).synthesize(NOTICE)
    fast = EspeakEngine("vi", 10, 1.4).synthesize(NOTICE)
    assert slow.samples.size > 1.5 * fast.samples.size


@responses.activate
def test_gtts_speaks_through_its_real_code(google_mp3: bytes) -> None:
    responses.post(GTTS_URL, body=_google_answer(google_mp3))
    pcm = GttsEngine("vi", timeout_s=2, speed=1.0).synthesize("Xin chào bà con.")
    assert pcm.samples.size / pcm.rate > 0.3
    assert len(responses.calls) == 1
    sent = unquote(str(responses.calls[0].request.body))
    assert '\\"vi\\"' in sent  # the language travels in the request body


@responses.activate
def test_gtts_long_text_goes_out_as_several_requests(online_station: Station,
                                                     google_mp3: bytes) -> None:
    responses.post(GTTS_URL, body=_google_answer(google_mp3))
    program = render_notice(online_station.config(), Notice(" ".join([NOTICE] * 4)))
    assert program.engine == "gtts"
    assert len(responses.calls) >= 4


@pytest.mark.parametrize("failure", [
    {"status": 500, "body": "server error"},
    {"body": requests.ConnectionError("network unreachable")},
    {"body": requests.ReadTimeout("read timed out")},
    {"body": requests.ConnectTimeout("connect timed out")},
    {"status": 200, "body": "an answer with no audio in it"},
], ids=["http-500", "connection-error", "read-timeout", "connect-timeout", "no-audio"])
@responses.activate
def test_gtts_failure_falls_back_to_espeak(online_station: Station,
                                          failure: dict[str, object]) -> None:
    responses.post(GTTS_URL, **failure)
    program = render_notice(online_station.config(), Notice(NOTICE))
    assert program.engine == "espeak"
    assert len(responses.calls) >= 1
    assert program.duration_s > 3


@responses.activate
def test_gtts_reasons_are_one_line_and_plain() -> None:
    responses.post(GTTS_URL, body=requests.ReadTimeout("read timed out"))
    with pytest.raises(EngineFailure, match=r"^no answer within 2 s$"):
        GttsEngine("vi", timeout_s=2, speed=1.0).synthesize("Xin chào.")
    responses.replace(responses.POST, GTTS_URL, status=503)
    with pytest.raises(EngineFailure, match=r"^the speech service answered HTTP 503$"):
        GttsEngine("vi", timeout_s=2, speed=1.0).synthesize("Xin chào.")


def test_gtts_is_always_given_a_timeout(online_station: Station) -> None:
    config: Config = online_station.config()
    engine = GttsEngine(config.tts.language, config.tts.timeout_s, config.tts.speed)
    from gtts import gTTS

    seen: list[object] = []
    original = gTTS.__init__

    def spy(self: gTTS, *args: object, **kwargs: object) -> None:
        seen.append(kwargs.get("timeout"))
        original(self, *args, **kwargs)

    with responses.RequestsMock() as intercept, pytest.MonkeyPatch.context() as patch:
        intercept.post(GTTS_URL, status=500)
        patch.setattr(gTTS, "__init__", spy)
        with pytest.raises(EngineFailure):
            engine.synthesize("Xin chào.")
    assert seen == [5.0]


def test_command_engine_runs_an_offline_voice(tmp_path: Path) -> None:
    espeak = shutil.which("espeak-ng")
    assert espeak
    engine = CommandEngine((espeak, "-v", "vi", "-w", "{out}", "-f", "{text_file}"),
                           voice="espeak-as-command", timeout_s=10)
    pcm = engine.synthesize(NOTICE)
    assert pcm.samples.size / pcm.rate > 3


def test_command_engine_failure_is_reported_and_falls_back(tmp_path: Path) -> None:
    station = make_station(tmp_path / "cmd", engines='["command", "espeak"]')
    station.write_config(station.config_file.read_text() +
                         '\n[tts.command]\nargv = ["false", "{out}"]\n')
    program = render_notice(station.config(), Notice(NOTICE))
    assert program.engine == "espeak"
    with pytest.raises(OperatorError, match=r"command: false failed with exit status 1"):
        render_notice(station.config(), Notice(NOTICE), engine="command")


def test_all_engines_failing_is_one_operator_line(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    station = make_station(tmp_path / "none")
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    with pytest.raises(OperatorError) as refused:
        render_notice(station.config(), Notice(NOTICE))
    message = str(refused.value)
    assert "\n" not in message
    assert "sudo apt-get install espeak-ng" in message
