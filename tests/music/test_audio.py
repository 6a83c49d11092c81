"""Audio previews: FluidSynth when installed, the fallback synth always."""

from __future__ import annotations

import io
import logging
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

from music import audio
from music.audio import (
    AudioError,
    fluidsynth_available,
    render_audio,
    trim,
)
from music.listening import LISTENING_COPY_MAX_SECONDS, render_listening_copy
from music.score import Note, Score, Track

needs_fluidsynth = pytest.mark.skipif(
    not fluidsynth_available(), reason="fluidsynth (Debian package) is not installed"
)


def band(seconds: float = 6.0) -> Score:
    """Four tracks (piano, bass, strings, drums) for ``seconds`` at 120 bpm."""
    beats = int(seconds * 2)
    piano = Track([Note(i * 480, 60 + i % 8, 480, 90) for i in range(beats)], program=0)
    bass = Track([Note(i * 960, 36 + i % 5, 960, 80) for i in range(beats // 2)], program=33)
    strings = Track([Note(0, 67, beats * 480, 60)], program=48)
    drums = Track([Note(i * 480, 36 + 2 * (i % 2), 120, 110) for i in range(beats)], is_drum=True)
    return Score([piano, bass, strings, drums], resolution=480, tempo=120.0, title="Band")


def decode(data: bytes) -> tuple[np.ndarray, int]:
    samples, rate = sf.read(io.BytesIO(data), always_2d=True)
    return samples, rate


def assert_audible_for(data: bytes, seconds: float) -> None:
    samples, rate = decode(data)
    assert len(samples) / rate == pytest.approx(seconds, abs=0.5)
    rms = float(np.sqrt(np.mean(samples**2)))
    assert rms > 0.01, "not silent"
    assert np.abs(samples).max() <= 1.0


@needs_fluidsynth
def test_fluidsynth_renders_ogg_vorbis_of_the_scores_length():
    score = band()
    data = render_audio(score)
    assert data[:4] == b"OggS"
    assert_audible_for(data, score.duration_seconds)
    samples, rate = decode(data)
    assert rate == audio.SAMPLE_RATE
    assert samples.shape[1] == 2  # FluidSynth renders stereo


@needs_fluidsynth
def test_fluidsynth_plays_a_drum_only_track():
    drums = Track([Note(i * 240, 42, 60, 100) for i in range(16)], is_drum=True)
    score = Score([drums], resolution=480, tempo=120.0)
    assert_audible_for(render_audio(score), score.duration_seconds)


def test_the_fallback_synth_renders_ogg_of_the_scores_length():
    score = band()
    data = render_audio(score, use_fluidsynth=False)
    assert data[:4] == b"OggS"
    assert_audible_for(data, score.duration_seconds)


def test_without_fluidsynth_a_warning_is_logged_and_the_fallback_plays(monkeypatch, caplog):
    monkeypatch.setattr(audio.shutil, "which", lambda name: None)
    assert not fluidsynth_available()
    score = band(3.0)
    with caplog.at_level(logging.WARNING, logger="music.audio"):
        data = render_audio(score)
    assert "fluidsynth not found" in caplog.text
    assert_audible_for(data, score.duration_seconds)


def test_requiring_fluidsynth_where_it_is_missing_is_an_error(monkeypatch):
    monkeypatch.setattr(audio.shutil, "which", lambda name: None)
    with pytest.raises(AudioError, match="not installed"):
        render_audio(band(1.0), use_fluidsynth=True)


@pytest.mark.parametrize("fmt", ["wav", "flac"])
def test_other_formats_decode_too(fmt):
    score = band(2.0)
    samples, rate = decode(render_audio(score, fmt, use_fluidsynth=False))
    assert len(samples) / rate == pytest.approx(score.duration_seconds, abs=0.5)


def test_an_unknown_format_is_refused():
    with pytest.raises(AudioError, match="unsupported"):
        render_audio(band(1.0), "mp3")


def test_an_empty_score_gives_a_short_silent_clip():
    samples, rate = decode(render_audio(Score(), use_fluidsynth=False))
    assert 0 < len(samples) / rate <= 1.5
    assert np.abs(samples).max() == 0


def test_trailing_silence_is_cut_but_a_rest_before_the_end_is_kept():
    rate = 1000
    samples = np.zeros((10 * rate, 1), dtype=np.float32)
    samples[:rate] = 0.5  # sound, then a rest...
    samples[3 * rate : 4 * rate] = 0.5  # ...sound until the last note ends at 4 s
    samples[4 * rate : int(4.2 * rate)] = 0.1  # a short release tail, then silence
    out = trim(samples, rate, end_seconds=4.0)
    assert len(out) == pytest.approx(4.2 * rate, abs=2)
    assert out[2 * rate, 0] == 0  # the rest is still there
    assert out[-1, 0] == pytest.approx(0, abs=1e-6)  # faded at the cut


def test_the_tail_never_runs_past_the_release_time():
    rate = 1000
    samples = np.full((10 * rate, 1), 0.5, dtype=np.float32)  # rings forever
    out = trim(samples, rate, end_seconds=2.0)
    assert len(out) == int((2.0 + audio.TAIL_SECONDS) * rate)


# ----- long pieces and isolation (issue 14, item 1) --------------------------------------

ENCODE_LONG_STEREO = """
import numpy as np
from music.audio import encode
samples = np.random.default_rng(0).uniform(-0.5, 0.5, (22050 * 150, 2)).astype(np.float32)
data = encode(samples, 22050, "ogg")
assert data[:4] == b"OggS"
"""


def test_a_long_stereo_render_encodes_to_ogg_without_crashing_the_process():
    # libsndfile 1.2's Vorbis encoder segfaults on one write of ~95 s or more of stereo:
    # run it in a child, so a regression fails this test instead of killing the suite.
    done = subprocess.run(
        [sys.executable, "-c", ENCODE_LONG_STEREO], capture_output=True, check=False
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-800:]


def ten_minute_piece() -> Score:
    """A valid 10-minute entry: 32 bars at 40 bpm is already over 95 s."""
    melody = Track([Note(i * 480, 60 + i % 12, 480, 90) for i in range(400)], program=0)
    bass = Track([Note(i * 1920, 36 + i % 5, 1920, 80) for i in range(100)], program=33)
    return Score([melody, bass], resolution=480, tempo=40.0, title="Long")


def test_a_listening_copy_of_a_ten_minute_piece_is_cut_to_the_limit_and_faded():
    score = ten_minute_piece()
    assert score.duration_seconds == pytest.approx(600.0)
    data = render_listening_copy(score, use_fluidsynth=False)
    samples, rate = decode(data)
    assert len(samples) / rate == pytest.approx(LISTENING_COPY_MAX_SECONDS, abs=0.1)
    last_second = np.abs(samples[-rate:]).max()
    assert last_second < 0.5 * np.abs(samples).max()  # faded out, not cut off loud
    assert np.abs(samples[-10:]).max() < 1e-3


def test_a_short_piece_is_rendered_whole_by_the_isolated_renderer():
    score = band(4.0)
    data = render_listening_copy(score, use_fluidsynth=False)
    assert data[:4] == b"OggS"
    assert_audible_for(data, score.duration_seconds)


def test_a_crash_in_the_render_process_is_an_audio_error_not_a_dead_caller():
    crash = [sys.executable, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)"]
    with pytest.raises(AudioError, match="SIGSEGV"):
        render_listening_copy(band(1.0), command=crash)


def test_a_render_process_that_runs_too_long_is_stopped():
    hang = [sys.executable, "-c", "import time; time.sleep(60)"]
    with pytest.raises(AudioError, match="too long"):
        render_listening_copy(band(1.0), command=hang, timeout=1.0)


def test_the_render_process_reports_its_own_errors():
    with pytest.raises(AudioError, match="unsupported"):
        render_listening_copy(band(1.0), format="mp3")
