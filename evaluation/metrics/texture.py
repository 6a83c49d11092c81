"""Texture metrics: how many pitches sound at once.

Read on the grid's piano roll of pitched tracks (:attr:`NoteGrid.segment_roll`; a pitch
doubled by two tracks is one pitch); NaN without pitched notes.
"""

from __future__ import annotations

import math

from evaluation.metrics.grid import NoteGrid, as_grid
from music.score import Score


def polyphony(music: Score | NoteGrid) -> float:
    """Mean number of distinct pitches sounding, over steps where at least one sounds.

    ``#(pitch-steps sounding) / #(steps with a pitch sounding)``. Source: muspy
    ``polyphony``; same definition, read at 24 steps per beat (muspy reads the file's
    own ticks and raises on a Music with no tracks).
    """
    g = as_grid(music)
    if not g.n_notes:
        return math.nan
    sounding, lengths = g.segment_sounding, g.segment_lengths
    return float(sounding @ lengths) / float(lengths[sounding > 0].sum())


def polyphony_rate(music: Score | NoteGrid, min_pitches: int = 2) -> float:
    """Share of sounding steps where at least ``min_pitches`` distinct pitches sound.

    ``#(steps with >= min_pitches pitches) / #(steps with >= 1 pitch)``. Source: muspy
    ``polyphony_rate`` (MuseGAN's "polyphonicity"), which differs on purpose in two
    ways: its threshold is strict (``> threshold``, so its default 2 means three or more
    pitches, not "multiple pitches" as documented), and its denominator counts silent
    steps too, mixing rests into a texture measure; muspy's value on a piece without
    rests equals ours with ``min_pitches = threshold + 1``.
    """
    g = as_grid(music)
    if not g.n_notes:
        return math.nan
    sounding, lengths = g.segment_sounding, g.segment_lengths
    return float(lengths[sounding >= min_pitches].sum()) / float(lengths[sounding > 0].sum())
