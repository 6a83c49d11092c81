"""Pitch metrics: what pitches are used and how evenly.

All of them read the notes of pitched tracks only (drums have no pitch) and return NaN
when there is none: muspy returns 0 for some of them on an empty piece and -127 for the
range of drum-only music; a count of zero pitches says nothing we can compare.
"""

from __future__ import annotations

import math

import numpy as np

from evaluation.metrics.grid import FloatArray, NoteGrid, as_grid
from music.score import Score


def entropy_bits(counts: FloatArray) -> float:
    """Shannon entropy in bits of the distribution proportional to ``counts``."""
    total = counts.sum()
    if total <= 0:
        return math.nan
    prob = counts[counts > 0] / total
    return float(-(prob * np.log2(prob)).sum())


def pitch_range(music: Score | NoteGrid) -> float:
    """Highest minus lowest pitch in semitones: ``max(pitch) - min(pitch)``.

    Source: muspy ``pitch_range``. Differs on purpose: NaN without pitched notes, where
    muspy returns 0 (no notes) or -127 (drum-only music: it starts from highest=0,
    lowest=127 and skips the drum notes).
    """
    g = as_grid(music)
    if not g.n_notes:
        return math.nan
    return float(g.pitches.max() - g.pitches.min())


def n_pitches_used(music: Score | NoteGrid) -> float:
    """Number of distinct MIDI pitches used by pitched tracks.

    Source: muspy ``n_pitches_used`` (MuseGAN's "unique pitch count"); NaN instead of 0
    without pitched notes.
    """
    g = as_grid(music)
    return float(g.roll_pitches.size) if g.n_notes else math.nan


def n_pitch_classes_used(music: Score | NoteGrid) -> float:
    """Number of distinct pitch classes ``pitch % 12`` used by pitched tracks.

    Source: muspy ``n_pitch_classes_used``; NaN instead of 0 without pitched notes.
    """
    g = as_grid(music)
    return float(np.count_nonzero(g.pitch_class_counts)) if g.n_notes else math.nan


def pitch_mean(music: Score | NoteGrid) -> float:
    """Mean MIDI pitch of the pitched notes (each note counts once)."""
    g = as_grid(music)
    return float(g.pitches.mean()) if g.n_notes else math.nan


def pitch_std(music: Score | NoteGrid) -> float:
    """Population standard deviation of the pitched notes' MIDI pitches."""
    g = as_grid(music)
    return float(g.pitches.std()) if g.n_notes else math.nan


def pitch_entropy(music: Score | NoteGrid) -> float:
    """Entropy of the note pitch histogram: ``-sum_i P(pitch=i) log2 P(pitch=i)``.

    Source: muspy ``pitch_entropy`` (same definition; notes counted, not durations).
    """
    g = as_grid(music)
    return entropy_bits(np.bincount(g.pitches, minlength=128).astype(np.float64))


def pitch_class_entropy(music: Score | NoteGrid) -> float:
    """Entropy of the note pitch-class histogram, ``-sum_c P(c) log2 P(c)``, c = pitch % 12.

    Source: muspy ``pitch_class_entropy``; Wu & Yang, "The Jazz Transformer on the Front
    Line", ISMIR 2020.
    """
    return entropy_bits(as_grid(music).pitch_class_counts)


def pitch_class_histogram(music: Score | NoteGrid, *, relative_to_key: bool = True) -> FloatArray:
    """(12,) share of pitched notes in each pitch class (notes counted, sums to 1).

    With ``relative_to_key`` bin ``i`` is ``i`` semitones above the estimated tonic
    (Krumhansl-Schmuckler, see :mod:`music.key`), so pieces in different
    keys are comparable; otherwise bin ``i`` is pitch class ``i`` (C = 0). All NaN
    without pitched notes.
    """
    g = as_grid(music)
    if not g.n_notes:
        return np.full(12, math.nan)
    histogram = g.pitch_class_counts / g.n_notes
    if relative_to_key and g.key is not None:
        histogram = np.roll(histogram, -g.key.tonic)
    return histogram
