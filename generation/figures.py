"""Sixteenth-note passing notes in generated voices, which an eighth-note grid cannot hold.

Bach's chorale voices move in sixteenths now and then, nearly always the same figure: the
second eighth of a beat split in two, its second half a passing note into the next beat
(an eighth and two sixteenths, ``C | D-E | F``). The AR-CNN and the GAN write eighths at
the fastest, so their voices never do; :func:`passing_sixteenths` writes that figure
where a written voice's off-beat eighth moves by a third to the next note, under the
rules their samplers keep: the passing note is the one scale step between (in the
piece's key), it makes no parallel fifth or octave, unison or crossing with another
voice, and it is drawn with a probability (``SIXTEENTH_PASSING`` for the AR-CNN, a
style's ``Decoding.sixteenths`` for the GAN) from the request's seed.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import replace
from itertools import pairwise

import numpy as np

from music.score import NOTE_ORDER, Note

SCALE = frozenset((0, 2, 4, 5, 7, 9, 11))  # the major scale in the model's key (C)
PERFECT = (0, 7)  # unisons, octaves and fifths, modulo the octave
# The share of the places that fit the figure where it is written (chosen on validation
# chorales, see the model card).
SIXTEENTH_PASSING = 1.0


class _Line:
    """One voice's notes with a lookup of the pitch sounding at a tick (-1: none)."""

    def __init__(self, notes: Sequence[Note]) -> None:
        self.notes = sorted(notes, key=NOTE_ORDER)
        self.starts = [n.start for n in self.notes]

    def at(self, tick: int) -> int:
        index = bisect_right(self.starts, tick) - 1
        if index >= 0 and self.notes[index].end > tick:
            return self.notes[index].pitch
        return -1


def _passing_for(note: Note, after: Note, eighth: int, key_move: int) -> int | None:
    """The passing note for ``note`` if it is an off-beat eighth leaping a third to
    ``after`` right after it: the one pitch between on the key's scale (None otherwise)."""
    if not (
        note.duration == eighth
        and note.start % (2 * eighth) == eighth
        and after.start == note.end
        and abs(after.pitch - note.pitch) in (3, 4)
    ):
        return None
    low, high = sorted((note.pitch, after.pitch))
    between = [p for p in range(low + 1, high) if (p + key_move) % 12 in SCALE]
    return between[0] if len(between) == 1 else None


def _parallel(a: int, b: int, other_a: int, other_b: int, above: bool) -> bool:
    """Whether the move ``a -> b`` against ``other_a -> other_b`` (of a part ``above``
    it or under it) is a parallel perfect interval: both parts move, and the interval
    from the lower part up is the same fifth or octave (unison) on both sides."""
    if min(a, b, other_a, other_b) < 0 or a == b or other_a == other_b:
        return False
    sign = -1 if above else 1
    first, second = sign * (a - other_a) % 12, sign * (b - other_b) % 12
    return first == second and first in PERFECT


def _fits(
    lines: Sequence[_Line], voice: int, note: Note, passing: int, after: Note, half: int
) -> bool:
    """Whether ``passing`` may sound in ``voice`` from ``half`` to ``after.start``.

    Heard at the eighth-note level (as :mod:`generation.stats` counts, each eighth's top
    pitch), a rising passing note stands for its whole eighth, so the move into it from
    the eighth before is checked too."""
    earlier = note.start - 2 * (half - note.start)
    own_before = lines[voice].at(earlier)
    for other, line in enumerate(lines):
        if other == voice:
            continue
        then, mid, later = line.at(note.start), line.at(half), line.at(after.start)
        if mid == passing:
            return False
        if mid >= 0 and (passing > mid) != (other > voice):  # higher voices have lower numbers
            return False
        above = other < voice
        if (
            _parallel(note.pitch, passing, then, mid, above)
            or _parallel(passing, after.pitch, mid, later, above)
            or _parallel(own_before, passing, line.at(earlier), mid, above)
        ):
            return False
    return True


def passing_sixteenths(
    voices: Sequence[Sequence[Note]],
    written: Sequence[bool],
    eighth: int,
    key_move: int,
    rng: np.random.Generator,
    probability: float | None = None,
) -> list[list[Note]]:
    """``voices`` (soprano to bass) with the figure written into the ``written`` ones.

    A note qualifies when it is an off-beat eighth (it starts half a beat of ``2 *
    eighth`` ticks in, lasts ``eighth``), the next note of its voice starts where it ends a
    third (3 or 4 semitones) away, and the scale step between fits :func:`_fits`; it is
    then cut at its middle, the second half the passing note, with ``probability``
    (``SIXTEENTH_PASSING`` if None).
    ``key_move`` moves the output's pitches to the key of C (the scale's)."""
    if probability is None:
        probability = SIXTEENTH_PASSING
    lines = [_Line(notes) for notes in voices]
    if eighth % 2:
        return [list(line.notes) for line in lines]
    sixteenth = eighth // 2
    for voice, line in enumerate(lines):
        if not written[voice]:
            continue
        notes = line.notes
        out: list[Note] = []
        for note, after in pairwise(notes):
            passing = _passing_for(note, after, eighth, key_move)
            half = note.start + sixteenth
            if (
                passing is not None
                and _fits(lines, voice, note, passing, after, half)
                and rng.random() < probability
            ):
                out += [
                    replace(note, duration=sixteenth),
                    replace(note, start=half, pitch=passing, duration=sixteenth),
                ]
            else:
                out.append(note)
        out += notes[-1:]
        lines[voice] = _Line(out)
    return [list(line.notes) for line in lines]
