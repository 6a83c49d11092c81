"""Benchmark audio previews: FluidSynth CLI vs the fallback synth vs pretty_midi.fluidsynth.

Run ``python bench/bench_audio.py``. It builds a 30-second, 4-track score (three pitched
parts and drums, about 8 notes a second per track: the same shape as bench_midi.py) and
prints, for each renderer, the median and worst wall time over a few runs and the size
of the Ogg Vorbis it encodes:

* ``render_audio`` with FluidSynth (MIDI to a temp dir, fast-render to WAV, trim, encode);
* ``render_audio(use_fluidsynth=False)``, the numpy sine synth;
* ``pretty_midi.PrettyMIDI.fluidsynth`` (needs the pyfluidsynth module; skipped without)
  followed by the same trim and encode, as the baseline;
* ``render_listening_copy``, what the workers run: the same FluidSynth render in a
  resource-limited child process, next to ``render_audio`` in process, so the price of
  isolation is visible; and both on a 10-minute piece (the listening copy is cut to
  3 minutes; in process, one piece of that length crashed libsndfile before encode()
  wrote in blocks).

Target: FluidSynth render of the 30 s score under 1 s.
"""

from __future__ import annotations

import io
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from music import audio, listening
from music.midi_io import score_to_midi
from music.score import Note, Score, Track

SECONDS = 30.0
TEMPO = 120.0
RESOLUTION = 480
NOTES_PER_SECOND = 8
REPEAT = 5


def build_score(seed: int = 0) -> Score:
    rng = np.random.default_rng(seed)
    score = Score(resolution=RESOLUTION, tempo=TEMPO, title="bench")
    total_ticks = int(SECONDS * TEMPO / 60 * RESOLUTION)
    step = int(RESOLUTION * TEMPO / 60 / NOTES_PER_SECOND)
    for low, program, is_drum in ((60, 0, False), (48, 33, False), (67, 40, False), (36, 0, True)):
        notes = []
        for start in range(0, total_ticks, step):
            duration = int(rng.integers(step // 2, step * 2))
            pitch = low + int(rng.integers(0, 12))
            notes.append(Note(start, pitch, duration, int(rng.integers(50, 110))))
        score.tracks.append(Track(sorted(notes), program=program, is_drum=is_drum, name="part"))
    return score


def measure(function: Callable[[], bytes]) -> tuple[float, float, int]:
    """(median s, worst s, output bytes) over REPEAT calls after one warm-up."""
    size = len(function())
    times = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times), max(times), size


def pretty_midi_render(score: Score) -> Callable[[], bytes] | None:
    try:
        import fluidsynth  # noqa: F401 - pyfluidsynth, needed by PrettyMIDI.fluidsynth
        import pretty_midi
    except ImportError:
        return None
    midi = pretty_midi.PrettyMIDI(io.BytesIO(score_to_midi(score)))
    font = str(audio.soundfont_path())

    def render() -> bytes:
        wave = midi.fluidsynth(fs=audio.SAMPLE_RATE, sf2_path=font)[:, None].astype(np.float32)
        samples = audio.trim(audio.normalise(wave), audio.SAMPLE_RATE, end_seconds=SECONDS)
        return audio.encode(samples, audio.SAMPLE_RATE, "ogg")

    return render


def long_score() -> Score:
    """Ten minutes at 40 bpm: a melody on every beat and a bass every four beats."""
    melody = Track([Note(i * 480, 60 + i % 12, 480, 90) for i in range(400)], name="melody")
    bass = Track([Note(i * 1920, 36 + i % 5, 1920, 80) for i in range(100)], program=32)
    return Score([melody, bass], resolution=RESOLUTION, tempo=40.0, title="long")


def main() -> None:
    score = build_score()
    long = long_score()
    print(
        f"score: {len(score.tracks)} tracks, {score.note_count} notes, "
        f"{score.duration_seconds:.1f} s; output Ogg Vorbis at {audio.SAMPLE_RATE} Hz"
    )
    rows: list[tuple[str, Callable[[], bytes] | None]] = [
        (
            "fluidsynth CLI (render_audio)",
            (lambda: audio.render_audio(score, use_fluidsynth=True))
            if audio.fluidsynth_available()
            else None,
        ),
        ("fallback sine synth", lambda: audio.render_audio(score, use_fluidsynth=False)),
        ("pretty_midi.fluidsynth + encode", pretty_midi_render(score)),
        ("listening copy (child process)", lambda: listening.render_listening_copy(score)),
        ("10 min piece, render_audio", lambda: audio.render_audio(long)),
        ("10 min piece, listening copy", lambda: listening.render_listening_copy(long)),
    ]
    for name, function in rows:
        if function is None:
            print(f"{name:34} unavailable")
            continue
        median, worst, size = measure(function)
        print(
            f"{name:34} median {median * 1000:7.0f} ms  worst {worst * 1000:7.0f} ms  "
            f"{size / 1024:6.0f} KiB"
        )


if __name__ == "__main__":
    main()
