"""Lines and beats as the statistics hear them: one pitch per grid step, and the beat.

Shared by the generators' statistics (:mod:`generation.stats`) and the GAN's decoder,
which must hear the melody exactly as the statistics do.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from music.harmoniser import beat_ticks
from music.score import Note, Score

IntArray = npt.NDArray[np.int64]


def grid_line(notes: Sequence[Note], steps: int, spb: int, resolution: int) -> IntArray:
    """(steps,): the top pitch of ``notes`` per step (a note from the step its start
    falls in, for at least a step), -1 where none sounds."""
    line = np.full(steps, -1)
    for note in notes:
        start = note.start * spb // resolution
        end = max(start + 1, note.end * spb // resolution)
        span = line[start:end]
        np.maximum(span, note.pitch, out=span)
    return line


def beat_length(score: Score) -> int:
    """Ticks per beat: the time signature's unit (a half note in 4/2), a dotted quarter
    in compound meters (6/8, 9/8, 12/8)."""
    numerator, denominator = score.time_signature
    if denominator == 8 and numerator % 3 == 0 and numerator > 3:
        return beat_ticks(score.resolution, score.time_signature)
    return max(1, score.resolution * 4 // max(denominator, 1))
