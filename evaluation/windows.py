"""Fixed-size piano-roll windows of a piece: what the realism critics look at.

A window is ``window_beats`` beats (quarter notes) of the piece on a grid of
``steps_per_beat`` steps per beat and one column per pitch from ``pitch_low`` to
``pitch_high`` (exclusive; the default is the 88 piano keys). Channel 0 holds the cells
where a note sounds, channel 1 the cells where a note starts, both merged over the
pitched tracks (drums carry no pitch and are left out). Windows start every
``hop_beats`` beats; the last one is padded with silence, so every note of the piece is
in some window and a piece shorter than a window gives one padded window. An empty
score gives one all-zero window, never an empty array.

Steps are rounded exactly as in :func:`music.pianoroll.to_pianoroll` (nearest step,
halves up; a note covers at least one step), so a window matches the piano roll of the
same stretch. Pitches outside the range are moved by whole octaves into it rather than
dropped: a piece written in an extreme register must not look empty (or emptier than
it is) to the critics.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from music.score import Score

Windows = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class WindowSpec:
    """The window grid: 16 beats (4 bars of 4/4) of 16th notes over the 88 piano keys."""

    steps_per_beat: int = 4
    window_beats: int = 16
    hop_beats: int = 8
    pitch_low: int = 21
    pitch_high: int = 109

    def __post_init__(self) -> None:
        if min(self.steps_per_beat, self.window_beats, self.hop_beats) < 1:
            raise ValueError(f"steps, window and hop must be positive: {self}")
        if not (self.pitch_low >= 0 and self.pitch_low + 12 <= self.pitch_high <= 128):
            raise ValueError(f"pitch range must span at least an octave inside 0-128: {self}")

    @property
    def steps(self) -> int:
        """T, the time steps of one window."""
        return self.steps_per_beat * self.window_beats

    @property
    def hop_steps(self) -> int:
        return self.steps_per_beat * self.hop_beats

    @property
    def pitches(self) -> int:
        """P, the pitch columns of one window."""
        return self.pitch_high - self.pitch_low

    @property
    def shape(self) -> tuple[int, int, int]:
        """(channels, T, P) of one window."""
        return (2, self.steps, self.pitches)


def score_windows(score: Score, spec: WindowSpec = WindowSpec()) -> Windows:
    """The piece's windows as a (n, 2, T, P) uint8 array of zeros and ones (n >= 1)."""
    starts, ends, columns = _note_cells(score, spec)
    length = int(ends.max(initial=0))
    hop, steps, pitches = spec.hop_steps, spec.steps, spec.pitches
    count = 1 + -(-max(length - steps, 0) // hop)
    padded = (count - 1) * hop + steps
    # Sounding cells by a difference array: +1 where a note starts, -1 where it ends,
    # summed down the time axis; the extra row takes the ends at the padded length.
    cells = (padded + 1) * pitches
    delta = np.bincount(starts * pitches + columns, minlength=cells)
    delta -= np.bincount(ends * pitches + columns, minlength=cells)
    sounding = np.cumsum(delta.reshape(padded + 1, pitches)[:padded], axis=0) > 0
    onsets = np.bincount(starts * pitches + columns, minlength=padded * pitches) > 0
    roll = np.stack([sounding, onsets.reshape(padded, pitches)], axis=1).astype(np.uint8)
    index = np.arange(count)[:, None] * hop + np.arange(steps)[None, :]  # (n, T)
    return np.ascontiguousarray(roll[index].transpose(0, 2, 1, 3))  # (n, T, 2, P) -> (n, 2, T, P)


def _note_cells(
    score: Score, spec: WindowSpec
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """(start step, end step, column) of every pitched note, as int64 arrays."""
    values = [
        (n.start, n.start + n.duration, n.pitch)
        for t in score.tracks
        if not t.is_drum
        for n in t.notes
    ]
    table = np.asarray(values, dtype=np.int64).reshape(-1, 3)
    resolution, per_beat = score.resolution, spec.steps_per_beat
    starts = (2 * table[:, 0] * per_beat + resolution) // (2 * resolution)
    ends = np.maximum((2 * table[:, 1] * per_beat + resolution) // (2 * resolution), starts + 1)
    low, high = spec.pitch_low, spec.pitch_high
    pitches = table[:, 2]
    pitches = pitches + 12 * np.maximum(-((pitches - low) // 12), 0)  # up into range
    pitches = pitches - 12 * np.maximum((pitches - high) // 12 + 1, 0)  # down into range
    return starts, ends, pitches - low
