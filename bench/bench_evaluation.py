"""Benchmark the judge: full evaluations of 30-second four-track pieces per second.

Run ``python bench/bench_evaluation.py [--pieces N] [--profile NAME]``. One thread (one
core). "Full evaluation" is what the scoring task does per entry: validate the MIDI
bytes, then evaluate (descriptors, critic ensemble over the windows, Fréchet distance,
novelty check) — batched as the task may batch. The pieces are reference chorales, so
each is judged twice: as it is (a copy of its source, which the copy check verifies in
full) and as an original (its source left out, as the validity report does), the case
of most entries. Each figure is the median of ``--repeats`` runs, with the best. The
baseline, measured in the same run on the same files, is ``muspy.read_midi`` plus every
muspy metric. The last figure is the peak memory (RSS) of a fresh process holding all
shipped profiles.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
import torch

from evaluation.evaluate import evaluate_many
from evaluation.profile import available_profiles, load_profile
from music import transforms
from music.corpus import load_corpus
from music.midi_io import score_to_midi
from music.score import Score
from music.validate import validate_midi

SECONDS = 30.0


def thirty_second_pieces(count: int) -> list[Score]:
    """Test-split chorales looped or cropped to 30 s (four tracks each)."""
    return [score for _, score in thirty_second_sources(count)]


def thirty_second_sources(count: int) -> list[tuple[str, Score]]:
    """``thirty_second_pieces`` with the reference source each is made from."""
    pieces = []
    for piece in load_corpus("bach-chorales", split="test"):
        score = piece.score
        while score.duration_seconds < SECONDS:
            score = transforms.concatenate([score, piece.score])
        bars = int(SECONDS / (score.ticks_per_bar * score.seconds_per_tick))
        pieces.append((f"bach-chorales:{piece.id}", transforms.crop(score, 0, max(bars, 1))))
        if len(pieces) == count:
            break
    while len(pieces) < count:
        pieces += pieces[: count - len(pieces)]
    return pieces


def ours(
    files: list[bytes], profile_name: str, batch: int, sources: list[str] | None = None
) -> float:
    """Pieces per second; with ``sources``, each piece is judged without its own source
    (an original piece, as most entries are) rather than as a copy of it."""
    profile = load_profile(profile_name)
    evaluate_many([validate_midi(files[0])], profile)  # warm up
    started = time.perf_counter()
    for begin in range(0, len(files), batch):
        scores = [validate_midi(data) for data in files[begin : begin + batch]]
        own = [[s] for s in sources[begin : begin + batch]] if sources else None
        evaluate_many(scores, profile, exclude_each=own)
    return len(files) / (time.perf_counter() - started)


def runs(measure: Callable[[], float], repeats: int) -> str:
    """The median and best of ``repeats`` measurements (another process on the machine
    slows a run down, never speeds it up)."""
    rates = sorted(measure() for _ in range(repeats))
    if repeats == 1:
        return f"{rates[0]:8.1f} pieces/s"
    return f"{float(np.median(rates)):8.1f} pieces/s (best of {repeats}: {rates[-1]:.1f})"


def muspy_baseline(paths: list[Path]) -> float:
    import muspy

    started = time.perf_counter()
    for path in paths:
        music = muspy.read_midi(path)
        resolution = music.resolution * 4
        for metric in (
            muspy.pitch_range,
            muspy.n_pitches_used,
            muspy.n_pitch_classes_used,
            muspy.polyphony,
            muspy.scale_consistency,
            muspy.pitch_entropy,
            muspy.pitch_class_entropy,
            muspy.empty_beat_rate,
            muspy.drum_pattern_consistency,
        ):
            metric(music)
        muspy.polyphony_rate(music)
        muspy.pitch_in_scale_rate(music, 0, "major")
        muspy.empty_measure_rate(music, resolution)
        muspy.groove_consistency(music, resolution)
        muspy.drum_in_pattern_rate(music, "duple")
    return len(paths) / (time.perf_counter() - started)


# VmHWM, not ru_maxrss: a child started from this (large) process inherits the parent's
# ru_maxrss across exec on Linux, while VmHWM belongs to the new address space.
PEAK = "print([l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')][0])"
MEMORY_PROBE = (
    "from evaluation.profile import available_profiles, load_profile; "
    "[load_profile(n) for n in available_profiles()]; " + PEAK
)


def peak_memory_mb() -> tuple[float, float]:
    """(with all profiles, bare interpreter with the same imports) peak RSS in MB."""
    repo = Path(__file__).resolve().parents[1]
    loaded = subprocess.run(
        [sys.executable, "-c", MEMORY_PROBE], cwd=repo, capture_output=True, text=True, check=True
    )
    bare = subprocess.run(
        [
            sys.executable,
            "-c",
            "import evaluation.evaluate; " + PEAK,
        ],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    return int(loaded.stdout.split()[-1]) / 1024, int(bare.stdout.split()[-1]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pieces", type=int, default=200)
    parser.add_argument("--profile", default="bach-chorales")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    made = thirty_second_sources(args.pieces)
    pieces, sources = [score for _, score in made], [source for source, _ in made]
    files = [score_to_midi(p) for p in pieces]
    notes = np.mean([p.note_count for p in pieces])
    print(
        f"{len(files)} pieces of {SECONDS:.0f} s, 4 tracks, {notes:.0f} notes on average; 1 thread"
    )
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for i, data in enumerate(files):
            path = Path(folder) / f"{i}.mid"
            path.write_bytes(data)
            paths.append(path)
        baseline = runs(lambda: muspy_baseline(paths), args.repeats)
    repeats, batch = args.repeats, args.batch
    copies = runs(lambda: ours(files, args.profile, batch), repeats)
    original = runs(lambda: ours(files, args.profile, batch, sources), repeats)
    one = runs(lambda: ours(files[:50], args.profile, 1), repeats)
    # The pieces are reference chorales: judged as they are, each is a copy of its source.
    print(f"chartbusters full evaluation (batch {batch}), copies:   {copies}")
    print(f"chartbusters full evaluation (batch {batch}), originals: {original}")
    print(f"chartbusters full evaluation (one at a time), copies: {one}")
    print(f"baseline muspy.read_midi + all muspy metrics:      {baseline}")
    loaded, bare = peak_memory_mb()
    names = ", ".join(available_profiles())
    print(
        f"peak RSS holding all profiles ({names}): {loaded:.0f} MB (imports alone: {bare:.0f} MB)"
    )
    print(f"this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
