"""Harmony metrics: key, scale fit, pitch classes per bar, clashes, tonal distance.

Pitched tracks only; NaN where the piece gives the metric nothing to measure.
"""

from __future__ import annotations

import math

import numpy as np

from evaluation.metrics.grid import FloatArray, NoteGrid, as_grid
from music.key import MODES, SCALE_MASKS, Key
from music.score import Score


def estimate_key(music: Score | NoteGrid) -> Key | None:
    """Krumhansl-Schmuckler key of the duration-weighted pitch-class distribution.

    Source: Krumhansl (1990), with the Krumhansl-Kessler profiles. None without pitched
    notes. See :func:`music.key.best_key` for ties and flat distributions.
    """
    return as_grid(music).key


def key_clarity(music: Score | NoteGrid) -> float:
    """Pearson correlation of the pitch-class durations with the best key profile.

    Near 1 for clearly tonal music, lower for chromatic or random pitch choices
    (Krumhansl 1990; Temperley calls the same quantity key strength). NaN without notes.
    """
    key = as_grid(music).key
    return key.clarity if key is not None else math.nan


def pitch_in_scale_rate(music: Score | NoteGrid, root: int, mode: str) -> float:
    """Share of pitched notes whose pitch class is in the scale of ``root`` ``mode``.

    ``#(notes in scale) / #(notes)``; minor is the natural minor scale. Source: muspy
    ``pitch_in_scale_rate`` (MuseGAN); same definition.
    """
    if mode not in MODES:
        raise ValueError("mode must be 'major' or 'minor'")
    g = as_grid(music)
    if not g.n_notes:
        return math.nan
    column = MODES.index(mode) * 12 + root % 12
    return float(g.pitch_class_counts @ SCALE_MASKS[:, column]) / g.n_notes


def scale_consistency(music: Score | NoteGrid) -> float:
    """The largest pitch-in-scale rate over the 24 major and natural-minor scales.

    ``max_{root, mode} pitch_in_scale_rate``. Source: muspy ``scale_consistency``
    (Mogren, C-RNN-GAN, 2016); same definition. NaN without pitched notes.
    """
    g = as_grid(music)
    if not g.n_notes:
        return math.nan
    return float((g.pitch_class_counts @ SCALE_MASKS).max()) / g.n_notes


def in_scale_rate(music: Score | NoteGrid) -> float:
    """Pitch-in-scale rate for the Krumhansl-Schmuckler key (not the best-fitting scale).

    DeepComposer's GAN lab tracks an "in-scale rate"; choosing the scale by the key
    estimate rather than by the maximum keeps this from being a copy of
    :func:`scale_consistency`: a piece can fit some scale well and still sit badly in
    the key its durations imply. NaN without pitched notes.
    """
    g = as_grid(music)
    if g.key is None:
        return math.nan
    return float(g.pitch_class_counts @ g.key.scale) / g.n_notes


def pitch_classes_per_bar(music: Score | NoteGrid) -> float:
    """Mean number of distinct pitch classes sounding in a bar, over non-empty bars.

    MuseGAN's "used pitch classes" (UPC) per bar, counted over notes sounding in the bar
    (held notes included). Empty bars are left out because :func:`empty_measure_rate`
    already measures them. NaN without pitched notes.
    """
    g = as_grid(music)
    if not g.n_notes:
        return math.nan
    _, chroma = g.bar_chroma
    per_bar = np.count_nonzero(chroma.sum(axis=0), axis=1)
    return float(per_bar[per_bar > 0].mean())


def semitone_clash_rate(music: Score | NoteGrid) -> float:
    """Share of harmonic steps where two pitch classes a semitone apart sound together.

    A step is harmonic when at least two distinct pitch classes sound; it clashes when it
    holds some pitch classes ``c`` and ``c + 1 (mod 12)`` (a minor second, minor ninth or
    major seventh). Random or out-of-key notes clash far more often than tonal music.
    NaN when no step sounds two pitch classes.
    """
    g = as_grid(music)
    if not g.n_notes:
        return math.nan
    classes = g.segment_pitch_classes
    lengths = g.segment_lengths
    harmonic_steps = int(lengths[classes.sum(axis=0) >= 2].sum())
    if not harmonic_steps:
        return math.nan
    clash = (classes & np.roll(classes, -1, axis=0)).any(axis=0)
    return float(lengths[clash].sum()) / harmonic_steps


# Harte, Sandler & Gasser, "Detecting harmonic change in musical audio" (2006): the
# 6-D tonal centroid of a chroma vector c is Phi @ c / |c|_1, with the circles of fifths
# (radius 1), minor thirds (radius 1) and major thirds (radius 0.5).
_L = np.arange(12)
TONAL_CENTROID_MATRIX = np.stack(
    [
        np.sin(_L * 7 * np.pi / 6),
        np.cos(_L * 7 * np.pi / 6),
        np.sin(_L * 3 * np.pi / 2),
        np.cos(_L * 3 * np.pi / 2),
        0.5 * np.sin(_L * 2 * np.pi / 3),
        0.5 * np.cos(_L * 2 * np.pi / 3),
    ]
)


def _bar_centroids(g: NoteGrid) -> tuple[np.ndarray, FloatArray, np.ndarray]:
    """Track ids, (tracks, bars, 6) tonal centroids, (tracks, bars) sounding mask."""
    track_ids, chroma = g.bar_chroma
    totals = chroma.sum(axis=-1)
    sounding = totals > 0
    centroids = (chroma @ TONAL_CENTROID_MATRIX.T) / np.where(sounding, totals, 1)[..., None]
    return track_ids, centroids, sounding


def tonal_distance(music: Score | NoteGrid, track_a: int, track_b: int) -> float:
    """Mean Euclidean distance between two tracks' tonal centroids, bar by bar.

    For each bar where both tracks sound: chroma = steps each pitch class ``pitch % 12``
    sounds in the bar, centroid = Harte et al. (2006) 6-D tonal centroid of the
    L1-normalised chroma; the metric is the mean distance over those bars (MuseGAN's
    "tonal distance", Dong et al. 2018). Deliberately not MuseGAN's or pypianoroll's
    code, whose chroma groups consecutive pitches instead of pitch classes. Tracks are
    indices into ``score.tracks``; NaN if either has no pitched note or they never
    sound in the same bar.
    """
    track_ids, centroids, sounding = _bar_centroids(as_grid(music))
    rows = [int(np.searchsorted(track_ids, t)) for t in (track_a, track_b)]
    if any(
        r >= track_ids.size or track_ids[r] != t
        for r, t in zip(rows, (track_a, track_b), strict=True)
    ):
        return math.nan
    both = sounding[rows[0]] & sounding[rows[1]]
    if not both.any():
        return math.nan
    gaps = centroids[rows[0], both] - centroids[rows[1], both]
    return float(np.sqrt((gaps * gaps).sum(axis=-1)).mean())


def mean_tonal_distance(music: Score | NoteGrid) -> float:
    """Mean of :func:`tonal_distance` over all pairs of pitched tracks that share a bar.

    NaN with fewer than two pitched tracks sounding in a common bar.
    """
    _, centroids, sounding = _bar_centroids(as_grid(music))
    n_tracks = centroids.shape[0]
    if n_tracks < 2:
        return math.nan
    gaps = centroids[:, None] - centroids[None, :]  # (tracks, tracks, bars, 6)
    distances = np.sqrt((gaps * gaps).sum(axis=-1))
    shared = sounding[:, None] & sounding[None, :]
    counts = shared.sum(axis=-1)
    upper = np.triu(np.ones((n_tracks, n_tracks), dtype=bool), k=1) & (counts > 0)
    if not upper.any():
        return math.nan
    pair_means = (distances * shared).sum(axis=-1)[upper] / counts[upper]
    return float(pair_means.mean())
