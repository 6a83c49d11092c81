"""Benchmark MIDI reading and writing against muspy and pretty_midi on the same file.

Run ``python bench/bench_midi.py``. It builds a 30-second, 4-track file (three pitched
parts and drums, about 8 notes a second per track), then prints the median and 95th
percentile time of:

* reading: our ``validate_midi`` (parse + validate + Score), ``score_from_midi``,
  ``muspy.read_midi`` (it only reads paths, so a temporary file) and
  ``pretty_midi.PrettyMIDI`` (from BytesIO);
* writing: our ``score_to_midi``, ``muspy.write_midi`` and ``PrettyMIDI.write`` (both to
  a BytesIO or temporary file).

Target: validate_midi under 2 ms median for this file.
"""

from __future__ import annotations

import io
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from music.midi_io import score_from_midi, score_to_midi
from music.score import Note, Score, Track
from music.validate import validate_midi

SECONDS = 30.0
TEMPO = 120.0
RESOLUTION = 480
NOTES_PER_SECOND = 8


def build_score(seed: int = 0) -> Score:
    """Three pitched parts in different registers plus a drum part, 30 s at 120 bpm."""
    rng = np.random.default_rng(seed)
    score = Score(resolution=RESOLUTION, tempo=TEMPO, title="bench")
    total_ticks = int(SECONDS * TEMPO / 60 * RESOLUTION)
    step = int(RESOLUTION * TEMPO / 60 / NOTES_PER_SECOND)  # ticks between onsets
    for low, program, is_drum in ((60, 0, False), (48, 33, False), (67, 40, False), (36, 0, True)):
        notes = []
        for start in range(0, total_ticks, step):
            jitter = int(rng.integers(0, 8))
            duration = int(rng.integers(step // 2, step * 2))
            pitch = low + int(rng.integers(0, 12))
            notes.append(Note(start + jitter, pitch, duration, int(rng.integers(50, 110))))
        score.tracks.append(Track(sorted(notes), program=program, is_drum=is_drum, name="part"))
    return score


def timings(function: Callable[[], object], repeat: int) -> tuple[float, float]:
    """(median, p95) wall time in milliseconds over ``repeat`` calls after a warm-up."""
    for _ in range(3):
        function()
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        function()
        samples.append((time.perf_counter() - began) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(0.95 * (len(samples) - 1))]


def report(label: str, function: Callable[[], object], repeat: int) -> None:
    median, p95 = timings(function, repeat)
    print(f"  {label:<38} median {median:8.3f} ms   p95 {p95:8.3f} ms")


def main() -> None:
    import muspy
    import pretty_midi

    score = build_score()
    data = score_to_midi(score)
    print(
        f"file: {len(data)} bytes, {len(score.tracks)} tracks, {score.note_count} notes, "
        f"{score.duration_seconds:.1f} s"
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.mid"
        path.write_bytes(data)
        music = muspy.read_midi(path)
        midi = pretty_midi.PrettyMIDI(io.BytesIO(data))

        print("read (bytes -> object):")
        report("chartbusters validate_midi", lambda: validate_midi(data), 500)
        report("chartbusters score_from_midi", lambda: score_from_midi(data), 500)
        report("muspy.read_midi (temp file)", lambda: muspy.read_midi(path), 30)
        report(
            "pretty_midi.PrettyMIDI (BytesIO)", lambda: pretty_midi.PrettyMIDI(io.BytesIO(data)), 30
        )

        print("write (object -> bytes):")
        report("chartbusters score_to_midi", lambda: score_to_midi(score), 500)
        report("muspy.write_midi (temp file)", lambda: muspy.write_midi(path, music), 30)
        report("pretty_midi write (BytesIO)", lambda: midi.write(io.BytesIO()), 30)


if __name__ == "__main__":
    main()
