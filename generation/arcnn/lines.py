"""The voices as lines on the sampler's grid: notes out of a line, note groups, the
parallel-motion prior, and the passing notes a low sampling temperature leaves out.

:mod:`generation.arcnn.gibbs` uses these; they know columns (pitches less the network's
lowest, in the key of C), onsets and the four voices, not the sampling schedule.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import numpy.typing as npt
import torch

from generation.arcnn.network import VOICES, Inpainter
from music.pianoroll import _step as tick_to_step
from music.pianoroll import _tick as step_to_tick
from music.score import Note

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

# The temperature of the passing-note draw (the network's own odds, unsharpened). On 32
# validation chorales it moved the C2ST from 0.84 to 0.83 (2.0: 0.82), within the noise.
PASSING_TEMPERATURE = 1.0


def draw(weights: npt.NDArray[np.float64], rng: np.random.Generator) -> IntArray:
    """One column (or -1, a rest) per row of class weights (rest first)."""
    cumulative = np.cumsum(weights, axis=1)
    draws = rng.random(len(weights)) * cumulative[:, -1]
    return np.minimum((cumulative < draws[:, None]).sum(1), weights.shape[1] - 1) - 1


def note_groups(columns: IntArray, onsets: BoolArray) -> IntArray:
    """(4, T): a number per note (or run of rest) of each voice, unique over the voices."""
    starts = np.ones(columns.shape, dtype=np.bool_)
    starts[:, 1:] = (columns[:, 1:] != columns[:, :-1]) | onsets[:, 1:]
    return np.cumsum(starts.reshape(-1)).reshape(columns.shape) - 1


def parallel_candidates(
    columns: IntArray, voice: IntArray, step: IntArray, pitches: int
) -> BoolArray:
    """(cells, P): the columns that would make a parallel fifth or octave (the same
    perfect interval, mod 12, on both sides of a move of both voices) between the cell's
    voice and another, with the step before or the step after as they stand."""
    candidates = np.arange(pitches)[None, :]
    classes = candidates % 12
    steps = columns.shape[1]
    bad = np.zeros((len(voice), pitches), dtype=np.bool_)
    before, after = np.maximum(step - 1, 0), np.minimum(step + 1, steps - 1)
    for other in range(VOICES):
        mine = voice != other
        up = np.where(voice < other, 1, -1)  # the interval is taken from the upper voice
        b1 = columns[other, step]
        for neighbour, exists in ((before, step > 0), (after, step < steps - 1)):
            a, b = columns[voice, neighbour], columns[other, neighbour]
            interval = (up * (a - b)) % 12
            moving = mine & exists & (a >= 0) & (b >= 0) & (b1 >= 0) & (b1 != b)
            rows = np.flatnonzero(moving & ((interval == 0) | (interval == 7)))
            if rows.size:  # the same interval again: the other's pitch class plus it
                same = classes == ((b1[rows] + up[rows] * interval[rows]) % 12)[:, None]
                bad[rows] |= same & (candidates != a[rows, None])
    return bad


@torch.no_grad()
def passing_notes(
    model: Inpainter,
    columns: IntArray,
    onsets: BoolArray,
    writable: BoolArray,
    meter: torch.Tensor,
    allowed: torch.Tensor,  # (4, T, 1 + P): the states each cell may take
    rng: np.random.Generator,
    parallel_cost: float,
) -> None:
    """Where a written voice holds a note through a beat and then leaps a third, its
    last eighth may become a passing note: that cell is drawn again, between holding and
    the pitches in between, from the network at ``PASSING_TEMPERATURE`` (the sampler's
    low temperature picks the likeliest, holding, nearly every time; Bach's inner voices
    fill 16-22 % of their notes with passing eighths, the sampler's 6-10 %)."""
    spb = model.config.steps_per_beat
    steps = columns.shape[1]
    t = np.arange(1, steps - 1)
    here, before, after = columns[:, 1:-1], columns[:, :-2], columns[:, 2:]
    leap = np.abs(after - here)
    candidate = (
        writable[:, 1:-1]
        & (here >= 0)
        & (here == before)
        & ~onsets[:, 1:-1]
        & (after >= 0)
        & ((leap == 3) | (leap == 4))
        & ((t + 1) % spb == 0)[None, :]
    )
    voice, cell = np.nonzero(candidate)
    if not len(voice):
        return
    step = cell + 1
    hidden = np.zeros(columns.shape, dtype=np.bool_)
    hidden[voice, step] = True
    pitch_logits, _ = model.predict(columns, onsets, hidden, meter)
    logits = pitch_logits[voice, step].double() / PASSING_TEMPERATURE
    bad = torch.from_numpy(parallel_candidates(columns, voice, step, model.config.pitches))
    logits[:, 1:] -= parallel_cost * bad.double()
    low = np.minimum(columns[voice, step], columns[voice, step + 1])
    high = np.maximum(columns[voice, step], columns[voice, step + 1])
    classes = np.arange(model.config.classes)[None, :] - 1
    choice = (classes == columns[voice, step][:, None]) | (
        (classes > low[:, None]) & (classes < high[:, None])
    )
    choice &= allowed[torch.from_numpy(voice), torch.from_numpy(step)].numpy()
    weights = np.where(choice, torch.softmax(logits, -1).numpy(), 0.0)
    drawn = draw(weights, rng)
    moved = drawn != columns[voice, step]
    columns[voice, step] = drawn
    onsets[voice[moved], step[moved]] = True
    onsets[voice[moved], step[moved] + 1] = True


def voice_notes(
    columns: IntArray,
    onsets: BoolArray,
    pitch_offset: int,
    spb: int,
    resolution: int,
    velocity: int,
) -> list[Note]:
    """One voice's notes: a note starts where the line's onset says, lasts while it holds."""
    notes: list[Note] = []
    start = -1
    for step in range(len(columns) + 1):
        column = columns[step] if step < len(columns) else -1
        if start >= 0 and (column != columns[start] or onsets[step]):
            begin = step_to_tick(start, spb, resolution)
            end = step_to_tick(step, spb, resolution)
            notes.append(Note(begin, int(columns[start]) + pitch_offset, end - begin, velocity))
            start = -1
        if column >= 0 and start < 0:
            start = step
    return notes


def rewritten_notes(
    notes: list[Note],
    line: tuple[IntArray, BoolArray],
    given: IntArray,
    octave_move: int,
    pitch_offset: int,
    spb: int,
    resolution: int,
    velocity: int,
) -> list[Note]:
    """An input voice's own ``notes`` (moved by ``octave_move``) with the sampler's
    rewrites of its ``line`` (columns, onsets): each note on the grid takes the pitch its
    cells were redrawn to (an input note is redrawn whole, so its cells agree), or is left
    out where they became a rest, and keeps the input's timing; a note between grid steps
    (a sixteenth on an eighth-note grid) keeps its pitch; a rest of the input that was
    drawn a pitch becomes notes as a written voice's are (at ``velocity``). Read off the
    grid instead, one rewritten note cost the whole line its dotted rhythms and sixteenths."""
    columns, onsets = line
    kept = voice_notes(
        np.where(given < 0, columns, -1), onsets, pitch_offset, spb, resolution, velocity
    )
    for note in notes:
        step = tick_to_step(note.start, spb, resolution)
        moved = note.pitch + octave_move
        on_grid = step < len(columns) and step_to_tick(step, spb, resolution) == note.start
        if on_grid and given[step] >= 0 and columns[step] != given[step]:
            if columns[step] < 0:
                continue
            moved += int(columns[step] - given[step])
        kept.append(replace(note, pitch=moved))
    return sorted(kept)


def without_overlaps(notes: list[Note]) -> list[Note]:
    """Notes sorted, each cut where the next one of the same pitch starts."""
    ordered = sorted(notes)
    kept: list[Note] = []
    last: dict[int, int] = {}
    for note in ordered:
        index = last.get(note.pitch)
        if index is not None and kept[index].end > note.start:
            cut = note.start - kept[index].start
            if cut <= 0:
                continue
            kept[index] = replace(kept[index], duration=cut)
        last[note.pitch] = len(kept)
        kept.append(note)
    return kept
