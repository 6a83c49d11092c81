"""The GAN's lines: one pitch (or rest) per grid step, the key move, grid columns and the
meter planes. Plain numpy, shared with the AR-CNN (:mod:`generation.arcnn.gibbs`), which
reads melodies onto the same grid; the networks are in :mod:`generation.gan.model`."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from generation.gan.baseline import melody_key
from music.pianoroll import _step as tick_to_step
from music.score import Note

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


def line(
    notes: Sequence[Note], steps: int, spb: int, resolution: int, lowest: bool = False
) -> tuple[IntArray, BoolArray]:
    """``(pitches, onsets)``, each (steps,): the highest (``lowest``: lowest) sounding
    pitch per step or -1, and True where a note starts or the pitch changes."""
    pitches = np.full(steps, -1, dtype=np.int64)
    onsets = np.zeros(steps, dtype=np.bool_)
    for note in notes:
        start = tick_to_step(note.start, spb, resolution)
        end = max(tick_to_step(note.end, spb, resolution), start + 1)
        if start >= steps:
            continue
        span = pitches[start:end]  # a view
        wins = (span < 0) | ((note.pitch < span) if lowest else (note.pitch > span))
        span[wins] = note.pitch
        onsets[start] |= bool(wins[0])
    changed = np.ones(steps, dtype=np.bool_)
    changed[1:] = pitches[1:] != pitches[:-1]
    return pitches, (onsets | changed) & (pitches >= 0)


def key_shift(notes: Sequence[Note]) -> int:
    """Semitones (-6..5) that move the melody's key signature to C (its relative major to C)."""
    tonic, mode = melody_key(notes)
    major = tonic if mode == "major" else (tonic + 3) % 12
    return (-major + 6) % 12 - 6


def to_columns(pitches: IntArray, low: int, count: int) -> IntArray:
    """Pitches to grid columns, folded by octaves into ``[0, count)``; -1 stays -1."""
    columns = pitches - low
    sounding = pitches >= 0
    columns = np.where(columns < 0, columns % 12, columns)
    top = count - 12 + (columns - count) % 12
    columns = np.where(columns >= count, top, columns)
    return np.where(sounding, columns, -1)


def meter_planes(start: int, steps: int, bar: int, spb: int) -> npt.NDArray[np.float32]:
    """(2, steps): 1 where a bar starts, 1 where a beat starts."""
    index = np.arange(start, start + steps)
    return np.stack([index % bar == 0, index % spb == 0]).astype(np.float32)
