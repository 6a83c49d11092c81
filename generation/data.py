"""Training data for every generator: corpus pieces as piano rolls, cut into windows.

The split comes from the committed manifests (``music/splits/``, via
``music.corpus.load_corpus``), and a window is always cut from one piece, so windows of a
held-out piece never reach training. Rolls are kept for the whole MIDI range (128
pitches) so that transposing a window is a shift of columns; a model's narrower pitch
range is cut out after the shift. Augmentation is transposition by a random number of
semitones, limited to shifts that keep every note of the window inside the model's range.

Window starts fall on bar lines (the corpus pads pickups to whole bars), as they do at
inference, so a network sees the same metrical positions in training and in use.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from music.corpus import CorpusPiece, load_corpus
from music.pianoroll import to_pianoroll
from music.score import Score

BoolArray = npt.NDArray[np.bool_]
FULL_RANGE = (0, 128)


def load_split(corpus: str, split: str) -> list[CorpusPiece]:
    """The pieces of one split of a corpus (``train``, ``validation`` or ``test``)."""
    pieces = load_corpus(corpus, split=split)
    if not pieces:
        raise ValueError(f"corpus {corpus!r} has no pieces in split {split!r}")
    return pieces


def steps_per_bar(score: Score, steps_per_beat: int) -> int:
    """Grid steps in one bar (at least one), ``steps_per_beat`` per quarter note."""
    return max(1, round(score.ticks_per_bar * steps_per_beat / score.resolution))


def score_roll(score: Score, steps_per_beat: int, *, merge: bool = True) -> BoolArray:
    """The score over the full pitch range, padded to whole bars: ``(time, 128)`` merged,
    or ``(tracks, time, 128)``."""
    bar = steps_per_bar(score, steps_per_beat)
    roll = to_pianoroll(score, steps_per_beat=steps_per_beat, merge=merge)
    steps = roll.shape[-2]
    padded = max(bar, math.ceil(steps / bar) * bar)
    pad = [(0, 0)] * roll.ndim
    pad[-2] = (0, padded - steps)
    return np.pad(roll, pad).astype(np.bool_)


@dataclass
class _Piece:
    roll: BoolArray  # ([tracks,] time, 128)
    bar: int  # steps per bar


class RollWindows:
    """Random transposed windows of a corpus split, as boolean piano rolls.

    ``sample(count, rng)`` returns ``(count, window_steps, pitches)`` (merged) or
    ``(count, tracks, window_steps, pitches)``; ``pitches = high - low`` of
    ``pitch_range``. Every piece is equally likely, then a bar-aligned start within it.
    """

    def __init__(
        self,
        pieces: Sequence[CorpusPiece],
        *,
        window_steps: int,
        steps_per_beat: int = 4,
        pitch_range: tuple[int, int] = FULL_RANGE,
        max_transpose: int = 6,
        merge: bool = True,
    ) -> None:
        self.window_steps = window_steps
        self.pitch_range = pitch_range
        self.max_transpose = max_transpose
        self.merge = merge
        self.pieces = [
            _Piece(
                score_roll(p.score, steps_per_beat, merge=merge),
                steps_per_bar(p.score, steps_per_beat),
            )
            for p in pieces
        ]
        self.piece_ids = [p.id for p in pieces]

    def __len__(self) -> int:
        return len(self.pieces)

    def describe(self) -> dict[str, Any]:
        """What the windows are made of, for the checkpoint's meta file."""
        return {
            "pieces": len(self.pieces),
            "bars": int(sum(p.roll.shape[-2] // p.bar for p in self.pieces)),
            "window_steps": self.window_steps,
            "pitch_range": list(self.pitch_range),
            "max_transpose": self.max_transpose,
        }

    def sample(self, count: int, rng: np.random.Generator) -> BoolArray:
        return np.stack([self._window(rng) for _ in range(count)])

    def _window(self, rng: np.random.Generator) -> BoolArray:
        piece = self.pieces[int(rng.integers(len(self.pieces)))]
        steps = piece.roll.shape[-2]
        starts = max(1, (steps - self.window_steps) // piece.bar + 1)
        start = int(rng.integers(starts)) * piece.bar
        window = piece.roll[..., start : start + self.window_steps, :]
        missing = self.window_steps - window.shape[-2]
        if missing > 0:
            pad = [(0, 0)] * window.ndim
            pad[-2] = (0, missing)
            window = np.pad(window, pad)
        return transpose_window(window, self._shift(window, rng), self.pitch_range)

    def _shift(self, window: BoolArray, rng: np.random.Generator) -> int:
        """A random shift in ``±max_transpose`` keeping the window's notes in range."""
        used = np.flatnonzero(window.reshape(-1, window.shape[-1]).any(axis=0))
        low, high = self.pitch_range
        if used.size == 0:
            return 0
        least = max(-self.max_transpose, low - int(used[0]))
        most = min(self.max_transpose, high - 1 - int(used[-1]))
        if least > most:  # wider than the range: no shift, notes outside are cut off
            return 0
        return int(rng.integers(least, most + 1))


def transpose_window(window: BoolArray, semitones: int, pitch_range: tuple[int, int]) -> BoolArray:
    """Shift a full-range roll's last axis by ``semitones`` and cut out ``pitch_range``."""
    low, high = pitch_range
    shifted = np.zeros_like(window)
    if semitones >= 0:
        shifted[..., semitones:] = window[..., : window.shape[-1] - semitones]
    else:
        shifted[..., :semitones] = window[..., -semitones:]
    return shifted[..., low:high]


def fixed_batches(
    windows: RollWindows, batches: int, batch_size: int, seed: int
) -> list[BoolArray]:
    """The same ``batches`` batches every call: a stable validation set."""
    rng = np.random.default_rng(seed)
    return [windows.sample(batch_size, rng) for _ in range(batches)]
