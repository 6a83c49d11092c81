"""Rhythm metrics: empty time, note lengths, onset spacing and metrical position.

Times are grid steps (``STEPS_PER_BEAT`` per quarter note); "beat" means a quarter
note, as in muspy. Unless a docstring says otherwise a metric reads the pitched tracks
only and is NaN without pitched notes; "onsets" are the distinct start steps of pitched
notes (a chord is one onset). Drum metrics live in :mod:`evaluation.metrics.drums`.
"""

from __future__ import annotations

import math

import numpy as np

from evaluation.metrics.grid import STEPS_PER_BEAT, FloatArray, IntArray, NoteGrid, as_grid
from music.score import Score

# Edges, in beats, of the note-length and inter-onset-interval histograms. Bin i holds
# values in [edge[i-1], edge[i]) and is centred on a common written value: 0: a 32nd or
# less, 1: 16th (and 8th triplet), 2: 8th, 3: dotted 8th, 4: quarter, 5: dotted quarter,
# 6: half, 7: dotted half, 8: whole, 9: longer than 5 beats.
DURATION_BIN_EDGES = (3 / 16, 3 / 8, 5 / 8, 7 / 8, 5 / 4, 7 / 4, 5 / 2, 7 / 2, 5.0)
N_DURATION_BINS = len(DURATION_BIN_EDGES) + 1
_EDGE_STEPS = np.array(DURATION_BIN_EDGES) * STEPS_PER_BEAT

N_POSITION_BINS = 16


def _duration_histogram(steps: IntArray) -> FloatArray:
    if steps.size == 0:
        return np.full(N_DURATION_BINS, math.nan)
    bins = np.searchsorted(_EDGE_STEPS, steps, side="right")
    return np.bincount(bins, minlength=N_DURATION_BINS) / steps.size


def _empty_rate(g: NoteGrid, period: int) -> float:
    if not g.n_notes:
        return math.nan
    occupied = g.occupied(period)
    return 1.0 - float(np.count_nonzero(occupied)) / occupied.size


def empty_beat_rate(music: Score | NoteGrid) -> float:
    """Share of beats in which no pitched note sounds.

    ``#(empty beats) / #(beats)``, beats counted from the start to the end of the last
    note of any track, ``ceil(length / beat)``; a beat is non-empty when a pitched note
    sounds in it (half-open intervals: a note ending on a beat line does not touch the
    next beat). Source: muspy ``empty_beat_rate`` (pypianoroll). Differs on purpose:
    muspy counts ``length // beat + 1`` beats and treats note ends as inclusive, so a
    piece ending on a beat line gets an extra beat that the last note marks as used;
    and it counts drum notes, so a drum loop hides an empty melody. NaN without
    pitched notes (muspy raises on a Music with no tracks).
    """
    return _empty_rate(as_grid(music), STEPS_PER_BEAT)


def empty_measure_rate(music: Score | NoteGrid) -> float:
    """Share of bars in which no pitched note sounds (MuseGAN's "empty bar rate").

    As :func:`empty_beat_rate` with bars of the score's time signature in place of
    beats, and with the same two fixes to muspy ``empty_measure_rate``.
    """
    g = as_grid(music)
    return _empty_rate(g, g.bar_steps)


def qualified_note_rate(music: Score | NoteGrid, min_beats: float = 1 / 8) -> float:
    """Share of pitched notes lasting at least ``min_beats`` beats (default a 32nd note).

    ``#(notes with duration >= min_beats) / #(notes)``. Source: MuseGAN (Dong et al.
    2018), "qualified note rate": notes of at least 3 time steps at 24 steps per beat,
    i.e. a 32nd note; fragments shorter than that are generator noise.
    """
    g = as_grid(music)
    if not g.n_notes:
        return math.nan
    threshold = min_beats * STEPS_PER_BEAT - 1e-9
    return float(np.count_nonzero(g.durations >= threshold)) / g.n_notes


def note_length_histogram(music: Score | NoteGrid) -> FloatArray:
    """(10,) share of pitched notes per duration bin (see ``DURATION_BIN_EDGES``)."""
    return _duration_histogram(as_grid(music).durations)


def inter_onset_intervals(music: Score | NoteGrid) -> FloatArray:
    """Beats between consecutive distinct onsets of the pitched notes."""
    return np.diff(as_grid(music).onsets) / STEPS_PER_BEAT


def ioi_mean(music: Score | NoteGrid) -> float:
    """Mean inter-onset interval in beats; NaN with fewer than two onsets."""
    intervals = inter_onset_intervals(music)
    return float(intervals.mean()) if intervals.size else math.nan


def ioi_std(music: Score | NoteGrid) -> float:
    """Population standard deviation of the inter-onset intervals, in beats."""
    intervals = inter_onset_intervals(music)
    return float(intervals.std()) if intervals.size else math.nan


def ioi_histogram(music: Score | NoteGrid) -> FloatArray:
    """(10,) share of inter-onset intervals per duration bin (``DURATION_BIN_EDGES``)."""
    return _duration_histogram(np.diff(as_grid(music).onsets))


def offbeat_onset_rate(music: Score | NoteGrid) -> float:
    """Share of onsets that do not fall on a beat (a quarter-note line)."""
    onsets = as_grid(music).onsets
    if not onsets.size:
        return math.nan
    return float(np.count_nonzero(onsets % STEPS_PER_BEAT)) / onsets.size


def syncopation_rate(music: Score | NoteGrid) -> float:
    """Share of pitched notes that start off the beat and are held across the next beat.

    A note is syncopated when ``start % beat != 0`` and ``end > next beat line``: the
    accent of the weak position carries over the strong one (the simplest form of
    Longuet-Higgins & Lee's syncopation).
    """
    g = as_grid(music)
    if not g.n_notes:
        return math.nan
    offset = g.starts % STEPS_PER_BEAT
    next_beat = g.starts - offset + STEPS_PER_BEAT
    return float(np.count_nonzero((offset > 0) & (g.ends > next_beat))) / g.n_notes


def onset_position_histogram(music: Score | NoteGrid) -> FloatArray:
    """(16,) share of onsets in each sixteenth of the bar.

    Bin ``floor(16 * (onset mod bar) / bar)``: in 4/4 the 16th-note positions, in other
    meters 16 equal parts of the bar, so the vector always has the same names.
    """
    g = as_grid(music)
    onsets = g.onsets
    if not onsets.size:
        return np.full(N_POSITION_BINS, math.nan)
    bins = (onsets % g.bar_steps) * N_POSITION_BINS // g.bar_steps
    return np.bincount(bins, minlength=N_POSITION_BINS) / onsets.size


def _notes_per_bar(g: NoteGrid) -> IntArray:
    return np.bincount(g.starts // g.bar_steps, minlength=g.n_bars)


def notes_per_bar(music: Score | NoteGrid) -> float:
    """Mean number of pitched note onsets per bar, over all bars of the piece."""
    g = as_grid(music)
    return float(g.n_notes / g.n_bars) if g.n_notes else math.nan


def notes_per_bar_std(music: Score | NoteGrid) -> float:
    """Population standard deviation of the pitched note count per bar."""
    g = as_grid(music)
    return float(_notes_per_bar(g).std()) if g.n_notes else math.nan


def groove_consistency(music: Score | NoteGrid) -> float:
    """One minus the mean Hamming distance between onset patterns of neighbouring bars.

    ``1 - sum_{i=1}^{T-1} d(G_i, G_{i+1}) / (B (T - 1))`` where ``G_i`` is the binary
    onset vector of bar ``i`` over its ``B`` grid steps (all tracks, drums included, as
    in the source) and ``T = ceil(length / B)``. Source: muspy ``groove_consistency``
    (Wu & Yang 2020) at 24 steps per beat; differs only in counting ``T`` without
    muspy's extra bar when the piece ends on a bar line. NaN with fewer than two bars.
    """
    g = as_grid(music)
    n_bars = g.n_bars
    if n_bars < 2:
        return math.nan
    onsets = np.concatenate((g.starts, g.drum_starts))
    flat = np.zeros(n_bars * g.bar_steps, dtype=bool)
    flat[onsets] = True
    patterns = flat.reshape(n_bars, g.bar_steps)
    distance = np.count_nonzero(patterns[1:] != patterns[:-1])
    return 1.0 - distance / (g.bar_steps * (n_bars - 1))
