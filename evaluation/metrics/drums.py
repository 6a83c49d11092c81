"""Drum metrics: how well drum onsets sit on a duple or triple subdivision of the beat.

Drum tracks only; NaN when the piece has no drum note.
"""

from __future__ import annotations

import math

import numpy as np

from evaluation.metrics.grid import STEPS_PER_BEAT, NoteGrid, as_grid
from music.score import Score

# Positions within a beat (in grid steps) that each pattern accepts, as muspy builds
# them at 24 steps per beat: duple = the 16th-note grid, triple = the 8th-note triplets.
_PATTERNS = {
    "duple": np.isin(np.arange(STEPS_PER_BEAT), [0, 6, 12, 18]),
    "triple": np.isin(np.arange(STEPS_PER_BEAT), [0, 8, 16]),
}


def drum_in_pattern_rate(music: Score | NoteGrid, meter: str) -> float:
    """Share of drum onsets on the ``meter`` ('duple' or 'triple') grid of the beat.

    ``#(drum notes in pattern) / #(drum notes)``; duple accepts the 16th-note positions
    of the beat, triple the 8th-note-triplet positions. Source: muspy
    ``drum_in_pattern_rate`` (MuseGAN); same definition, read at 24 steps per beat.
    """
    if meter not in _PATTERNS:
        raise ValueError("meter must be 'duple' or 'triple'")
    starts = as_grid(music).drum_starts
    if not starts.size:
        return math.nan
    return float(np.count_nonzero(_PATTERNS[meter][starts % STEPS_PER_BEAT])) / starts.size


def drum_pattern_consistency(music: Score | NoteGrid) -> float:
    """The larger of the duple and triple drum-in-pattern rates.

    Source: muspy ``drum_pattern_consistency``; same definition.
    """
    g = as_grid(music)
    if not g.drum_starts.size:
        return math.nan
    return max(drum_in_pattern_rate(g, "duple"), drum_in_pattern_rate(g, "triple"))
