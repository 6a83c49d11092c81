"""Transition features of the melodic lines: what follows what.

Histogram metrics cannot tell a melody from the same notes shuffled or played backwards;
these can. Each pitched track contributes its top line (:class:`~evaluation.metrics.grid.
Voices`: the highest note at each of its onsets, unless a higher note of the track is
still sounding), and intervals are taken between consecutive notes of one line, never
across tracks. Every metric is NaN when there is nothing to count.
"""

from __future__ import annotations

import math

import numpy as np

from evaluation.metrics.grid import FloatArray, NoteGrid, as_grid
from evaluation.metrics.pitch import entropy_bits
from music.score import Score

LEAP = 5  # semitones: a perfect fourth or more

# Signed interval bins (semitones): 0: leap down of 8 or more, 1: 5-7 down, 2: 3-4 down,
# 3: step down (1-2), 4: repeat, 5: step up, 6: 3-4 up, 7: 5-7 up, 8: 8 or more up.
INTERVAL_BIN_EDGES = (-7.5, -4.5, -2.5, -0.5, 0.5, 2.5, 4.5, 7.5)
N_INTERVAL_BINS = len(INTERVAL_BIN_EDGES) + 1


def melodic_intervals(music: Score | NoteGrid) -> np.ndarray:
    """Signed semitone intervals between consecutive notes of each track's top line."""
    return as_grid(music).voices.intervals


def step_rate(music: Score | NoteGrid) -> float:
    """Share of melodic intervals of at most 2 semitones (conjunct motion, repeats in).

    Real melodies move mostly by step; shuffled pitches leap. NaN without intervals.
    """
    intervals = melodic_intervals(music)
    if not intervals.size:
        return math.nan
    return float(np.count_nonzero(np.abs(intervals) <= 2)) / intervals.size


def mean_abs_interval(music: Score | NoteGrid) -> float:
    """Mean absolute melodic interval, in semitones."""
    intervals = melodic_intervals(music)
    return float(np.abs(intervals).mean()) if intervals.size else math.nan


def direction_change_rate(music: Score | NoteGrid) -> float:
    """Share of consecutive moving intervals of a line that change direction.

    Repeated notes are skipped; over the remaining intervals of each line,
    ``#(sign(i_{k+1}) != sign(i_k)) / #(pairs)``. Contour zig-zag; NaN without a pair.
    """
    voices = as_grid(music).voices
    moving = voices.intervals != 0
    intervals, tracks = voices.intervals[moving], voices.interval_tracks[moving]
    pairs = tracks[1:] == tracks[:-1]
    if not pairs.any():
        return math.nan
    changes = (intervals[1:] > 0) != (intervals[:-1] > 0)
    return float(np.count_nonzero(changes & pairs)) / np.count_nonzero(pairs)


def leap_recovery_rate(music: Score | NoteGrid) -> float:
    """Share of leaps (|interval| >= 5 semitones) followed by a move the other way.

    ``#(i_k leap and i_{k+1} * i_k < 0) / #(i_k leap with a next interval)``, within a
    line. Post-skip reversal (Meyer 1956; von Hippel & Huron 2000) is strong in real
    melodies and is broken by time reversal (steps then leap) and by shuffling.
    """
    voices = as_grid(music).voices
    intervals = voices.intervals
    tracks = voices.interval_tracks
    leaps = (np.abs(intervals[:-1]) >= LEAP) & (tracks[1:] == tracks[:-1])
    n_leaps = int(np.count_nonzero(leaps))
    if not n_leaps:
        return math.nan
    reversed_after = intervals[1:] * intervals[:-1] < 0
    return float(np.count_nonzero(leaps & reversed_after)) / n_leaps


def interval_histogram(music: Score | NoteGrid) -> FloatArray:
    """(9,) share of melodic intervals per signed bin (see ``INTERVAL_BIN_EDGES``).

    Signed, so it sees time reversal: real melodies descend by step more than they
    ascend by step, and leap up more than down.
    """
    intervals = melodic_intervals(music)
    if not intervals.size:
        return np.full(N_INTERVAL_BINS, math.nan)
    bins = np.searchsorted(INTERVAL_BIN_EDGES, intervals)
    return np.bincount(bins, minlength=N_INTERVAL_BINS) / intervals.size


def _transition_counts(g: NoteGrid, relative_to_key: bool) -> FloatArray:
    voices = g.voices
    classes = voices.pitches % 12
    if relative_to_key and g.key is not None:
        classes = (classes - g.key.tonic) % 12
    pairs = classes[:-1][voices.same_track] * 12 + classes[1:][voices.same_track]
    return np.bincount(pairs, minlength=144).reshape(12, 12).astype(np.float64)


def pitch_class_transition_matrix(
    music: Score | NoteGrid, *, relative_to_key: bool = True
) -> FloatArray:
    """(12, 12) P(next pitch class | current) along the top lines, rows summing to 1.

    Row ``a``, column ``b`` counts a note of class ``a`` followed in its line by class
    ``b``, then each row is divided by its total (rows never left stay 0). With
    ``relative_to_key`` classes are semitones above the estimated tonic, so the matrix
    of a transposed piece is unchanged. All NaN without a transition.
    """
    g = as_grid(music)
    counts = _transition_counts(g, relative_to_key)
    totals = counts.sum(axis=1, keepdims=True)
    if not totals.any():
        return np.full((12, 12), math.nan)
    return counts / np.where(totals > 0, totals, 1)


def pitch_class_transition_entropy(music: Score | NoteGrid) -> float:
    """Conditional entropy H(next | current) of the pitch-class transitions, in bits.

    ``H(current, next) - H(current)`` over all transitions of the top lines: 0 when
    each class always leads to the same next class, up to log2(12) for random choice.
    Transposition-invariant. NaN without a transition.
    """
    counts = _transition_counts(as_grid(music), relative_to_key=False)
    if not counts.any():
        return math.nan
    return entropy_bits(counts.ravel()) - entropy_bits(counts.sum(axis=1))


def articulation_ratio(music: Score | NoteGrid) -> float:
    """Mean of ``min(duration / time to the next onset of the line, 1)`` over line notes.

    1 is legato, 0.5 half-length staccato; overlaps count as legato. Taken over every
    note of a top line that has a successor in its line.
    """
    voices = as_grid(music).voices
    same = voices.same_track
    if not same.any():
        return math.nan
    gaps = (voices.starts[1:] - voices.starts[:-1])[same]
    held = (voices.ends - voices.starts)[:-1][same]
    return float(np.minimum(held / gaps, 1.0).mean())
