"""Scores for the evaluation tests: tiny hand-built ones written in beats rather than ticks,
and seeded random ones (chorale-like parts, stepwise voices) for the critics and indexes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path

import muspy
import numpy as np

from music.midi_io import score_to_midi
from music.score import Note, Score, Track

RES = 480
C_MAJOR = {0, 2, 4, 5, 7, 9, 11}
Beats = int | float | Fraction


@dataclass
class Part:
    """A track in beats: (start, pitch, duration) triples."""

    notes: list[tuple[Beats, int, Beats]] = field(default_factory=list)
    is_drum: bool = False


def part(*notes: tuple[Beats, int, Beats], drum: bool = False) -> Part:
    return Part(list(notes), is_drum=drum)


def melody(
    pitches: Sequence[int], beats: Beats = 1, start: Beats = 0, held: Beats | None = None
) -> Part:
    """Consecutive notes ``beats`` apart, each sounding ``held`` beats (default: all of it)."""
    length = beats if held is None else held
    return Part([(Fraction(start) + i * Fraction(beats), p, length) for i, p in enumerate(pitches)])


def chord(
    pitches: Sequence[int], start: Beats = 0, beats: Beats = 1
) -> list[tuple[Beats, int, Beats]]:
    return [(start, p, beats) for p in pitches]


def _ticks(beats: Beats, resolution: int) -> int:
    ticks = Fraction(beats) * resolution
    assert ticks.denominator == 1, f"{beats} beats is not a whole tick at {resolution}"
    return int(ticks)


def build(*parts: Part, resolution: int = RES, time_signature: tuple[int, int] = (4, 4)) -> Score:
    tracks = [
        Track(
            notes=sorted(
                Note(_ticks(s, resolution), p, _ticks(d, resolution)) for s, p, d in part.notes
            ),
            is_drum=part.is_drum,
        )
        for part in parts
    ]
    return Score(tracks=tracks, resolution=resolution, time_signature=time_signature)


def to_muspy(score: Score) -> muspy.Music:
    """The same notes as a muspy Music at the score's resolution."""
    return muspy.Music(
        resolution=score.resolution,
        tracks=[
            muspy.Track(
                is_drum=t.is_drum,
                notes=[
                    muspy.Note(time=n.start, pitch=n.pitch, duration=n.duration) for n in t.notes
                ],
            )
            for t in score.tracks
        ],
    )


# ----- seeded random pieces ---------------------------------------------------------------


def chorale(seed: int = 7, bars: int = 8) -> Score:
    """Bars in C major: four diatonic parts in quarters, eighths and halves, and drums."""
    rng = np.random.default_rng(seed)
    length = 4 * bars
    scale = [p for p in range(40, 84) if p % 12 in C_MAJOR]
    parts = []
    for voice in range(4):
        beats = rng.choice([0.5, 1.0, 1.0, 2.0], size=10 * bars)
        beats = beats[np.cumsum(beats) <= length]
        beats[-1] += length - beats.sum()
        register = scale[voice * 6 : voice * 6 + 12][::-1]
        pitches = rng.choice(register, size=len(beats))
        starts = np.concatenate([[0], np.cumsum(beats)[:-1]])
        parts.append(
            part(*((s, int(p), b) for s, p, b in zip(starts, pitches, beats, strict=True)))
        )
    drums = part(*((b, 36, 0.5) for b in range(length)), drum=True)
    score = build(*parts, drums, resolution=RES)
    score.tempo = 96.0
    score.tracks[0].program = 52
    return score


SCALE = np.array([0, 2, 4, 5, 7, 9, 11])
DURATIONS = np.array([120, 240, 240, 240, 480, 480, 720, 960])  # ticks at 480 per beat


def random_voice(rng: np.random.Generator, low: int, count: int = 40) -> list[Note]:
    """A stepwise tune in C major: like real voices, mostly steps, varied rhythm."""
    degree = int(rng.integers(7, 14))
    start, notes = 0, []
    for _ in range(count):
        degree = int(np.clip(degree + rng.choice([-2, -1, -1, 0, 1, 1, 2, 3]), 0, 20))
        pitch = low + 12 * (degree // 7) + int(SCALE[degree % 7])
        duration = int(rng.choice(DURATIONS))
        notes.append(Note(start, pitch, duration, 80))
        start += duration
    return notes


def random_piece(seed: int, voices: int = 4) -> Score:
    rng = np.random.default_rng(seed)
    lows = [60, 53, 48, 36][:voices]
    tracks = [
        Track(notes=random_voice(rng, low), program=0, name=f"v{i}") for i, low in enumerate(lows)
    ]
    return Score(tracks=tracks, resolution=480, tempo=100.0)


def continued(score: Score, notes: int = 24, seed: int = 0) -> Score:
    """``score`` with new notes after its end in its first track, as the Transformer
    extends a melody (a stepwise line in the melody's range, one beat each)."""
    rng = np.random.default_rng(seed)
    melody = score.tracks[0]
    pitch, start = melody.notes[-1].pitch, score.end_tick
    added = []
    for _ in range(notes):
        pitch = int(np.clip(pitch + rng.choice([-2, -1, 1, 2, 3]), 55, 79))
        added.append(Note(start, pitch, score.resolution, 80))
        start += score.resolution
    first = replace(melody, notes=[*melody.notes, *added])
    return replace(score, tracks=[first, *score.tracks[1:]])


# ----- sets for the classifier two-sample tests ------------------------------------------


def gaussian_sets(
    shift: float, n: int = 120, dims: int = 6, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, list[str], list[str]]:
    """Two sets of standard normal rows, the second's first feature moved by ``shift``,
    each row its own group."""
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(n, dims))
    b = rng.normal(size=(n, dims))
    b[:, 0] += shift
    return a, b, [f"a{i}" for i in range(n)], [f"b{i}" for i in range(n)]


def scale_tune(seed: int, shuffled: bool) -> Score:
    """A stepwise tune over a bass; ``shuffled``: its pitches in random order."""
    rng = np.random.default_rng(seed)
    steps = np.cumsum(rng.choice([-2, -1, 1, 2], size=48))
    pitches = np.clip(67 + steps, 55, 84)
    if shuffled:
        pitches = rng.permutation(pitches)
    lengths = rng.choice([240, 480, 480, 960], size=48)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    notes = [
        Note(int(s), int(p), int(d), 80) for s, p, d in zip(starts, pitches, lengths, strict=True)
    ]
    bass = [Note(i * 1920, 43 + int(rng.integers(0, 5)), 1920, 70) for i in range(12)]
    return Score([Track(notes), Track(bass, program=32)], resolution=480)


def tune_folders(root: Path, count: int) -> tuple[Path, Path]:
    """``root/real`` with ``count`` stepwise tunes and ``root/fake`` with each of them
    shuffled (``tune<i>__shuffled.mid``, so each pair is one group)."""
    real, fake = root / "real", root / "fake"
    real.mkdir()
    fake.mkdir()
    for i in range(count):
        (real / f"tune{i}.mid").write_bytes(score_to_midi(scale_tune(i, shuffled=False)))
        (fake / f"tune{i}__shuffled.mid").write_bytes(score_to_midi(scale_tune(i, shuffled=True)))
    return real, fake
