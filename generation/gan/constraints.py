"""What the GAN's decoder must keep for one input, as arrays over the model's grid.

The decoder (:mod:`generation.gan.decoding`) knows columns and steps; what they mean for
this input is worked out here, from the melody (a line, as the input has it) and the move
that took it to the model's key and register:

- each voice's range (``GanStyle.ranges``, MIDI pitches) as grid columns
  (:func:`column_ranges`);
- the final chord (:func:`ending`, :func:`final_chord`): where the melody ends on its
  tonic triad, every voice sounds, the bass on the tonic, the others on the triad;
- a bias towards the tonic in the bass under the melody's phrase ends, its long tonic
  notes before the last (:func:`phrase_ends`, :func:`phrase_bias`);
- the steps under the long notes that end a phrase, where the voices hold their chord
  (:func:`cadence_holds`, :func:`still_steps`).

The key is :func:`music.harmoniser.harmoniser_key` of the melody, which weighs its last
note, as :mod:`generation.stats` reads it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from generation.gan.styles import Range
from music.harmoniser import PHRASE_BEATS, harmoniser_key
from music.pianoroll import _step as tick_to_step
from music.score import Note

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]
HOLD_BEATS = 3  # a melody note this long (in beats) is held under, whatever its pitch


@dataclass
class Ending:
    """The final chord, where the melody ends on its tonic triad: the tonic in the bass."""

    start: int  # the step where the melody's last note starts
    tonic: int  # pitch class, as the input has it
    chord: frozenset[int]  # the pitch classes the upper voices may take


def ending(notes: Sequence[Note], spb: int, resolution: int) -> Ending | None:
    """The final chord of a melody (a line) that ends on a note of its tonic triad: a
    tonic triad over the tonic, whose third may be major in a minor key (a tierce de
    Picardie, as Bach ends)."""
    tonic, mode = harmoniser_key(notes)
    third = {4} if mode == "major" else {3, 4}
    chord = frozenset((tonic + i) % 12 for i in (0, 7, *third))
    last = notes[-1]
    if last.pitch % 12 not in chord:
        return None
    return Ending(tick_to_step(last.start, spb, resolution), tonic, chord)


def phrase_ends(
    notes: Sequence[Note], tonic: int, beat: int, spb: int, resolution: int
) -> list[tuple[int, int]]:
    """``(start, end)`` steps of the melody's notes before its last that end a phrase on
    the ``tonic``: held :data:`music.harmoniser.PHRASE_BEATS` beats (of ``beat`` ticks)
    or more."""
    return [
        (tick_to_step(n.start, spb, resolution), tick_to_step(n.end, spb, resolution))
        for n in notes[:-1]
        if n.duration >= PHRASE_BEATS * beat and n.pitch % 12 == tonic
    ]


def cadence_holds(
    notes: Sequence[Note], key: tuple[int, str], beat: int, spb: int, resolution: int
) -> list[tuple[int, int]]:
    """``(start, end)`` steps of the melody's notes under which the voices hold one
    chord: notes held :data:`HOLD_BEATS` beats (of ``beat`` ticks) or more, and notes held
    :data:`music.harmoniser.PHRASE_BEATS` beats or more on a note of the tonic triad of
    ``key`` (``(tonic, mode)``), the last note too, each longer than every note begun in
    the :data:`HOLD_BEATS` + 1 beats before it (a phrase's end, not a tune's long-short
    pattern). On the validation split Bach's voices strike nothing under 81 % of the
    first and 75 % of the second (under his other notes of two beats, 13 %)."""
    tonic, mode = key
    triad = {tonic, (tonic + (4 if mode == "major" else 3)) % 12, (tonic + 7) % 12}
    window = (HOLD_BEATS + 1) * beat
    return [
        (tick_to_step(n.start, spb, resolution), tick_to_step(n.end, spb, resolution))
        for i, n in enumerate(notes)
        if (
            n.duration >= HOLD_BEATS * beat
            or (n.duration >= PHRASE_BEATS * beat and n.pitch % 12 in triad)
        )
        and all(m.duration < n.duration for m in notes[:i] if m.start >= n.start - window)
    ]


def still_steps(holds: Sequence[tuple[int, int]], steps: int) -> BoolArray:
    """(steps,): True inside each of ``holds`` (after its first step), where no voice
    should strike a note."""
    still = np.zeros(steps, dtype=np.bool_)
    for begin, end in holds:
        still[begin + 1 : end] = True
    return still


def column_ranges(ranges: Sequence[Range], shift: int, columns: int) -> IntArray:
    """(V, 2): the lowest and highest grid column of each voice's range, where a pitch of
    the input is column ``pitch + shift``; the whole grid where less than an octave of
    the range lies on it (the voice's notes are then moved into range afterwards)."""
    bounds = np.clip(np.array(ranges, dtype=np.int64) + shift, 0, columns - 1)
    narrow = bounds[:, 1] - bounds[:, 0] < 11
    bounds[narrow] = (0, columns - 1)
    return bounds


def final_chord(end: Ending, classes: IntArray, shape: tuple[int, int], steps: int) -> BoolArray:
    """(V, T, 1 + P) of ``shape`` (V, T): the states each voice may take; from the last
    melody note's start to ``steps``, only the tonic in the bass and the tonic triad
    above, never rest. ``classes`` (P,): each column's pitch class in the input's key."""
    allowed = np.ones((*shape, 1 + len(classes)), dtype=np.bool_)
    under_last = slice(end.start, steps)
    allowed[:, under_last, 0] = False  # every voice sounds in the final chord
    allowed[:-1, under_last, 1:] = np.isin(classes, list(end.chord))
    allowed[-1, under_last, 1:] = classes == end.tonic
    return allowed


def phrase_bias(
    spans: Sequence[tuple[int, int]], tonic: BoolArray, shape: tuple[int, int], cost: float
) -> FloatArray | None:
    """(V, T, 1 + P) of ``shape`` (V, T): ``-cost`` for the bass on anything but the
    ``tonic`` columns (P,), rest included, over the phrase-end ``spans``; None if there
    are none or no cost."""
    if not spans or not cost:
        return None
    bias = np.zeros((*shape, 1 + len(tonic)))
    for start, end in spans:
        bias[-1, start:end, 0] = -cost
        bias[-1, start:end, 1:] = np.where(tonic, 0.0, -cost)
    return bias
