"""A score's pitched notes on a model's (time, pitch) grid, and back, keeping what it can.

Generators that work on piano rolls (the AR-CNN edits one; the GAN writes one) need the
grid for the network and a way back to notes that does not damage what the network left
alone. :func:`to_grid` places every pitched note of the input inside the model's pitch
range on a grid of ``steps_per_beat`` steps per quarter note, padded to whole bars, after
moving the whole input by whole octaves if that brings more notes into range (pitch
classes, hence the key, never change). :func:`from_grid` turns a grid back into a Score:

* consecutive cells of one pitch make one note, split where an input note started, so
  repeated notes of the input stay repeated and notes the model added are as long as the
  run of cells it added (sixteenth-note cells at 4 steps per beat);
* a run that covers exactly the cells of input notes gives back those notes unchanged
  (exact ticks, velocity, track), so an unedited grid returns the input note for note;
* any other run goes to the track whose note covered its first cell, with that note's
  velocity, or else to the main track (the pitched track with the most notes) at that
  track's median velocity;
* notes outside the pitch range and drum tracks pass through untouched, and the
  resolution, tempo, meter, programs and track names are the input's.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from generation.data import steps_per_bar
from music.pianoroll import _step as tick_to_step  # the roll's own rounding, kept in one place
from music.pianoroll import from_pianoroll
from music.score import Note, Score

BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]
OCTAVE_SHIFTS = (0, -12, 12, -24, 24, -36, 36)  # tried in this order: ties keep the smaller move


@dataclass
class Grid:
    """``roll[step, column]`` is pitch ``column + low - shift`` of the input."""

    roll: BoolArray  # (steps, pitches): the input's in-range notes
    onsets: BoolArray  # (steps, pitches): True where an input note starts
    owner: IntArray  # (steps, pitches): index into ``notes`` of the note covering a cell, or -1
    notes: list[tuple[int, Note]]  # (track index, note) for every note on the grid
    score: Score
    steps_per_beat: int
    low: int
    shift: int

    @property
    def steps(self) -> int:
        return int(self.roll.shape[0])


def best_octave_shift(score: Score, low: int, high: int) -> int:
    """The octave move (0, ±12, ±24, ±36) that puts the most pitched notes in ``[low, high)``."""
    pitches = np.array([n.pitch for t in score.pitched_tracks() for n in t.notes])
    if pitches.size == 0:
        return 0
    counts = [int(((pitches + s >= low) & (pitches + s < high)).sum()) for s in OCTAVE_SHIFTS]
    return OCTAVE_SHIFTS[int(np.argmax(counts))]


def to_grid(score: Score, steps_per_beat: int, pitch_range: tuple[int, int]) -> Grid:
    low, high = pitch_range
    shift = best_octave_shift(score, low, high)
    resolution = score.resolution
    bar = steps_per_bar(score, steps_per_beat)
    placed: list[tuple[int, Note, int, int, int]] = []
    for index, track in enumerate(score.tracks):
        if track.is_drum:
            continue
        for note in track.notes:
            column = note.pitch + shift - low
            if 0 <= column < high - low:
                start = tick_to_step(note.start, steps_per_beat, resolution)
                end = max(tick_to_step(note.end, steps_per_beat, resolution), start + 1)
                placed.append((index, note, start, end, column))
    last = max((end for *_, end, _ in placed), default=0)
    steps = max(bar, -(-max(last, score.bar_count * bar) // bar) * bar)
    roll = np.zeros((steps, high - low), dtype=np.bool_)
    onsets = np.zeros_like(roll)
    owner = np.full(roll.shape, -1, dtype=np.int64)
    for position, (_, _, start, end, column) in enumerate(placed):
        roll[start:end, column] = True
        onsets[start, column] = True
        owner[start:end, column] = position
    notes = [(index, note) for index, note, *_ in placed]
    return Grid(roll, onsets, owner, notes, score, steps_per_beat, low, shift)


def from_grid(grid: Grid, roll: BoolArray) -> Score:
    """The input score with its on-grid notes replaced by ``roll``'s (see the module doc)."""
    score = grid.score
    resolution, spb = score.resolution, grid.steps_per_beat
    runs = (
        from_pianoroll(roll, steps_per_beat=spb, resolution=resolution, onsets=grid.onsets & roll)
        .tracks[0]
        .notes
    )
    spans: dict[tuple[int, int, int], list[int]] = defaultdict(list)
    for position, (_, note) in enumerate(grid.notes):
        start = tick_to_step(note.start, spb, resolution)
        end = max(tick_to_step(note.end, spb, resolution), start + 1)
        spans[(start, note.pitch + grid.shift - grid.low, end)].append(position)
    main = _main_track(score)
    main_velocity = _median_velocity(score, main)
    kept: dict[int, list[Note]] = defaultdict(list)
    for run in runs:  # run.pitch is the grid column here
        start = tick_to_step(run.start, spb, resolution)
        end = tick_to_step(run.end, spb, resolution)
        same = spans.get((start, run.pitch, end))
        if same:
            for position in same:
                track, note = grid.notes[position]
                kept[track].append(note)
            continue
        owner = int(grid.owner[start, run.pitch])
        track, velocity = main, main_velocity
        if owner >= 0:
            track, velocity = grid.notes[owner][0], grid.notes[owner][1].velocity
        pitch = run.pitch + grid.low - grid.shift
        kept[track].append(Note(run.start, pitch, run.duration, velocity))
    on_grid = {id(note) for _, note in grid.notes}
    tracks = []
    for index, part in enumerate(score.tracks):
        if part.is_drum:
            tracks.append(replace(part, notes=list(part.notes)))
            continue
        outside = [n for n in part.notes if id(n) not in on_grid]
        tracks.append(replace(part, notes=sorted(outside + kept[index])))
    return replace(score, tracks=tracks)


def _main_track(score: Score) -> int:
    pitched = [(len(t.notes), -i) for i, t in enumerate(score.tracks) if not t.is_drum]
    return -max(pitched)[1] if pitched else 0


def _median_velocity(score: Score, track: int) -> int:
    velocities = [n.velocity for n in score.tracks[track].notes] if score.tracks else []
    return int(np.median(velocities)) if velocities else 80
