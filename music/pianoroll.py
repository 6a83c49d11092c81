"""Piano rolls: a Score on a (time step x pitch) grid, and back.

A roll has ``steps_per_beat`` time steps per quarter note and one column per pitch of
``pitch_range`` (low inclusive, high exclusive). A note covers the steps from its
rounded start to its rounded end, at least one step, so short notes never vanish.
Binary rolls are ``bool``; velocity rolls are ``uint8`` holding the note's velocity
(the loudest one where notes overlap).

A roll alone cannot tell one long note from two repeated ones of the same pitch; pass
the matching onset array (:func:`to_onsets`) to :func:`from_pianoroll` to keep them
apart. Velocity rolls also split where the velocity changes. A Score whose notes all
start and end on the grid survives ``to_pianoroll`` then ``from_pianoroll`` exactly,
provided notes of one pitch in a track do not overlap or touch (or, with onsets, do
not overlap).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from music.score import DEFAULT_RESOLUTION, DEFAULT_TEMPO, Note, Score, Track

Mode = Literal["binary", "velocity"]
Roll = npt.NDArray[Any]


def to_pianoroll(
    score: Score,
    steps_per_beat: int = 4,
    pitch_range: tuple[int, int] = (0, 128),
    mode: Mode = "binary",
    merge: bool = True,
    tracks: Sequence[int] | None = None,
    n_steps: int | None = None,
) -> Roll:
    """The score as a (time, pitch) roll, or (tracks, time, pitch) with ``merge=False``.

    ``tracks`` picks tracks by index (default: all, drums included); ``n_steps`` fixes
    the length, cropping or padding with silence (default: up to the last note's end).
    """
    low, high = _check_range(pitch_range)
    chosen = _chosen_tracks(score, tracks)
    length = _length(score, chosen, steps_per_beat) if n_steps is None else n_steps
    if mode not in ("binary", "velocity"):
        raise ValueError(f"mode must be 'binary' or 'velocity', not {mode!r}")
    dtype = np.bool_ if mode == "binary" else np.uint8
    roll: Roll = np.zeros((len(chosen), length, high - low), dtype=dtype)
    for layer, track in zip(roll, chosen, strict=True):
        for start, end, column, velocity in _cells(score, track, steps_per_beat, low, high, length):
            if mode == "binary":
                layer[start:end, column] = True
            else:
                cells = layer[start:end, column]
                np.maximum(cells, velocity, out=cells)
    return roll.max(axis=0, initial=0).astype(dtype) if merge else roll


def to_onsets(
    score: Score,
    steps_per_beat: int = 4,
    pitch_range: tuple[int, int] = (0, 128),
    merge: bool = True,
    tracks: Sequence[int] | None = None,
    n_steps: int | None = None,
) -> Roll:
    """A boolean roll shaped like :func:`to_pianoroll`'s, True where a note starts."""
    low, high = _check_range(pitch_range)
    chosen = _chosen_tracks(score, tracks)
    length = _length(score, chosen, steps_per_beat) if n_steps is None else n_steps
    onsets = np.zeros((len(chosen), length, high - low), dtype=np.bool_)
    for layer, track in zip(onsets, chosen, strict=True):
        for start, _, column, _ in _cells(score, track, steps_per_beat, low, high, length):
            layer[start, column] = True
    return np.asarray(onsets.any(axis=0)) if merge else onsets


def from_pianoroll(
    roll: Roll,
    steps_per_beat: int = 4,
    tempo: float = DEFAULT_TEMPO,
    resolution: int = DEFAULT_RESOLUTION,
    programs: int | Sequence[int] = 0,
    is_drum: bool | Sequence[bool] = False,
    pitch_offset: int = 0,
    mode: Mode = "binary",
    velocity: int = 80,
    threshold: float = 0.0,
    onsets: Roll | None = None,
    names: Sequence[str] | None = None,
    time_signature: tuple[int, int] = (4, 4),
) -> Score:
    """A Score from a (time, pitch) roll (one track) or a (tracks, time, pitch) roll.

    A cell sounds when its value is above ``threshold`` (use 0.5 for probabilities).
    Consecutive sounding cells of one pitch make one note, split where ``onsets`` is
    True and, in velocity mode, where the value changes; in velocity mode the value
    (clipped to 1-127) is the velocity, in binary mode every note gets ``velocity``.
    Column ``c`` is pitch ``c + pitch_offset``. ``programs``, ``is_drum`` and ``names``
    are one value for all tracks or one per track.
    """
    layers = _as_layers(roll, "roll")
    onset_layers = None if onsets is None else _as_layers(onsets, "onsets")
    if onset_layers is not None and onset_layers.shape != layers.shape:
        raise ValueError(
            f"onsets shape {onset_layers.shape} does not match roll shape {layers.shape}"
        )
    if mode not in ("binary", "velocity"):
        raise ValueError(f"mode must be 'binary' or 'velocity', not {mode!r}")
    count = layers.shape[0]
    track_programs = _per_track(programs, count, "programs")
    track_drums = _per_track(is_drum, count, "is_drum")
    track_names = _per_track(list(names) if names is not None else "", count, "names")
    tracks = []
    for index, layer in enumerate(layers):
        onset_layer = None if onset_layers is None else onset_layers[index]
        notes = _layer_notes(
            layer, onset_layer, mode, velocity, threshold, pitch_offset, steps_per_beat, resolution
        )
        tracks.append(
            Track(
                notes,
                program=int(track_programs[index]),
                is_drum=bool(track_drums[index]),
                name=str(track_names[index]),
            )
        )
    return Score(tracks, resolution=resolution, tempo=tempo, time_signature=time_signature)


# ----- score to cells ----------------------------------------------------------------


def _check_range(pitch_range: tuple[int, int]) -> tuple[int, int]:
    low, high = pitch_range
    if not 0 <= low < high <= 128:
        raise ValueError(f"pitch_range {pitch_range} must satisfy 0 <= low < high <= 128")
    return low, high


def _chosen_tracks(score: Score, tracks: Sequence[int] | None) -> list[Track]:
    return list(score.tracks) if tracks is None else [score.tracks[i] for i in tracks]


def _step(tick: int, steps_per_beat: int, resolution: int) -> int:
    """The nearest step to ``tick`` (halves round up), in exact integer arithmetic."""
    return (2 * tick * steps_per_beat + resolution) // (2 * resolution)


def _length(score: Score, tracks: list[Track], steps_per_beat: int) -> int:
    """Steps up to the last note's end, counting the one-step minimum of short notes."""
    return max(
        (
            max(
                _step(n.end, steps_per_beat, score.resolution),
                _step(n.start, steps_per_beat, score.resolution) + 1,
            )
            for t in tracks
            for n in t.notes
        ),
        default=0,
    )


def _cells(
    score: Score, track: Track, steps_per_beat: int, low: int, high: int, length: int
) -> Iterator[tuple[int, int, int, int]]:
    """(start step, end step, column, velocity) of each note inside the roll."""
    resolution = score.resolution
    for note in track.notes:
        if not low <= note.pitch < high:
            continue
        start = _step(note.start, steps_per_beat, resolution)
        if start >= length:
            continue
        end = max(_step(note.end, steps_per_beat, resolution), start + 1)
        yield start, min(end, length), note.pitch - low, note.velocity


# ----- cells to notes ----------------------------------------------------------------


def _as_layers(roll: Roll, what: str) -> Roll:
    array = np.asarray(roll)
    if array.ndim == 2:
        return array[np.newaxis]
    if array.ndim != 3:
        raise ValueError(
            f"{what} must be (time, pitch) or (tracks, time, pitch), not {array.shape}"
        )
    return array


def _per_track(value: Any, count: int, what: str) -> list[Any]:
    """One value per track from a scalar or a sequence of exactly ``count`` values."""
    if isinstance(value, (list, tuple, np.ndarray)):
        if len(value) != count:
            raise ValueError(f"{what} has {len(value)} values for {count} tracks")
        return list(value)
    return [value] * count


def _layer_notes(
    layer: Roll,
    onsets: Roll | None,
    mode: Mode,
    velocity: int,
    threshold: float,
    pitch_offset: int,
    steps_per_beat: int,
    resolution: int,
) -> list[Note]:
    """The notes of one (time, pitch) layer, sorted like Score notes."""
    values = layer.T  # (pitch, time): each row is one pitch, so runs are contiguous
    pitches, steps = values.shape
    active = values > threshold
    previous = np.zeros_like(active)
    previous[:, 1:] = active[:, :-1]
    starts = active & ~previous
    if onsets is not None:
        starts |= active & onsets.T.astype(bool)
    if mode == "velocity":
        changed = np.zeros_like(active)
        changed[:, 1:] = values[:, 1:] != values[:, :-1]
        starts |= active & changed
    # A silent column after each row keeps every note inside its own pitch's row.
    boundary = np.ones((pitches, steps + 1), dtype=bool)
    boundary[:, :steps] = ~active | starts
    start_index = np.flatnonzero(np.pad(starts, ((0, 0), (0, 1))))
    boundary_index = np.flatnonzero(boundary)
    end_index = boundary_index[np.searchsorted(boundary_index, start_index, side="right")]
    rows, start_steps = np.divmod(start_index, steps + 1)
    end_steps = start_steps + (end_index - start_index)
    if mode == "velocity":
        levels = np.clip(values[rows, start_steps], 1, 127).astype(int)
    else:
        levels = np.full(len(rows), velocity)
    notes = []
    for row, begin, finish, level in zip(
        rows.tolist(), start_steps.tolist(), end_steps.tolist(), levels.tolist(), strict=True
    ):
        start = _tick(begin, steps_per_beat, resolution)
        notes.append(
            Note(
                start, row + pitch_offset, _tick(finish, steps_per_beat, resolution) - start, level
            )
        )
    notes.sort()
    return notes


def _tick(step: int, steps_per_beat: int, resolution: int) -> int:
    """The nearest tick to ``step`` (halves round up), in exact integer arithmetic."""
    return (2 * step * resolution + steps_per_beat) // (2 * steps_per_beat)
