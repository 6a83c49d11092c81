"""AR-CNN v2's sampler: blocked Gibbs sampling of four voices, and the studio technique.

Harmonising (Coconet's sampler, :mod:`generation.arcnn.network` has the model): the
voices the input does not have start hidden; every Gibbs step hides a random share of the
cells the sampler may write, runs the network once over the whole piece, and draws each
hidden cell from its softmax at the temperature ``creative_risk``. The hidden share falls
from all of them to ``P_MIN`` over the first ``ETA`` of the steps and stays there
(Coconet's annealing: first the whole texture at once, then ever smaller touches, each
seeing everything else). DeepComposer's four parameters keep their names and meaning:

- ``sampling_iterations``: Gibbs steps (0 leaves the input as it is);
- ``creative_risk``: the sampling temperature, in units of ``TEMPERATURE_AT_RISK_1`` (the
  default, 1.0, samples at the temperature chosen on validation chorales);
- ``max_input_notes_to_remove``: the share of the input's cells (in the voices the input
  has: a melody is the soprano) that may end up changed. Input cells join the hidden
  ones once the hidden share is at most ``INPUT_FROM``, so that they are reconsidered
  against a complete texture, never against an empty one. A changed input note takes
  another pitch; it is never drawn as a rest (code version 8: a lone note after a long
  rest was deleted, and with it, the voices under it, the whole output);
- ``max_notes_to_add``: the note cells (eighth notes) the sampler may write, per 8 bars
  of 4/4, in the voices the input does not have: whole voices, bass first, then alto,
  then tenor, as many as fit (the default, 500, fits all three).

A melody that ends on a note of its tonic triad, its last note starting in the first half
of its bar, ends on the final chord (:func:`final_chord_of`, :func:`allowed_cells`): from
that note on, the written voices may take only the tonic in the bass and the tonic triad
above it, and then hold them; the melody's last note stays as it is.

The input: its top line is the melody (the soprano); an input of exactly four pitched
tracks is taken as four voices (soprano to bass by mean pitch), so the technique can be
chained on its own output. Other notes under the melody are left out: the output is
always four voices. The melody moves by octaves to lie in the soprano's range as well as
it can; voices are kept in SATB ranges (``SATB``) by the sampler. The piece is moved to
the key signature of C for the network, and back.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from functools import cache, lru_cache
from pathlib import Path

import numpy as np
import numpy.typing as npt
import torch

from generation.arcnn.cells import (
    SATB,
    allowed_cells,
    final_chord_of,
    hold_final_chord,
    voice_tracks,
)
from generation.arcnn.lines import (
    draw,
    note_groups,
    parallel_candidates,
    passing_notes,
    rewritten_notes,
    voice_notes,
    without_overlaps,
)
from generation.arcnn.network import VOICES, ArcnnConfig, Inpainter
from generation.checkpoint import load_archived, load_checkpoint, parameter_count, shipped_path
from generation.data import steps_per_bar
from generation.figures import passing_sixteenths
from generation.gan.baseline import top_line
from generation.gan.constraints import Ending
from generation.gan.lines import key_shift, line, meter_planes
from generation.params import ParamValue
from music.pianoroll import _step as tick_to_step
from music.score import Score, Track
from music.transforms import on_grid

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
Progress = Callable[[float], None]

NAMES = ("Soprano", "Alto", "Tenor", "Bass")
CHOIR = (52, 52, 52, 52)  # General MIDI Choir Aahs
ADD_ORDER = (3, 1, 2)  # new voices, when not all fit the add quota: bass, alto, tenor
STEPS_PER_QUOTA = 64  # max_notes_to_add counts per 8 bars of 4/4 at eighth notes
P_MAX, P_MIN, ETA = 1.0, 0.05, 0.75  # Coconet's annealing of the hidden share
INPUT_FROM = 0.5  # input cells may be hidden once the hidden share is at most this
# Logits taken from a pitch that would make parallel fifths or octaves with a neighbour
# step (the voice-leading prior; 0 turns it off). Chosen on validation: see the card.
PARALLEL_COST = 4.0
# The sampling temperature at creative risk 1.0 (the default); creative risk scales it.
# Chosen on validation chorales: at 1.0 itself the voices move in eighths (median note
# half a beat, Bach's is one) and 77 % of beats are a triad or seventh (Bach 89 %); at
# 0.7, one beat and 94 %. See the model card.
TEMPERATURE_AT_RISK_1 = 0.7
# Added to the mean log-probability of an input melody note's own pitch when it is redrawn
# (the soprano's; the lower voices of a four-voice input are rewritten freely): the
# network must find another pitch e^8 times likelier to change it. A chorale melody then
# keeps 99 % of its notes and the 31-note off-tune Ode to Joy has 2-3 rewritten; without it
# a third of a Bach melody was rewritten into repeated and neighbour notes and the
# classifier test told the output apart by its melody alone (validation: see the card).
INPUT_BONUS = 8.0
# Taken from the logit of holding or repeating the pitch of the step before at a beat, in a
# written voice: the inner voices otherwise sit on one pitch (repeats 36 % of their moves,
# Bach's 22 %). Chosen on validation chorales, see the card.
REPEAT_PITCH_COST = 2.0
# Taken from the logit of holding the pitch of the step before between beats, in a written
# voice. The low temperature picks a cell's likeliest value, and between beats that is
# nearly always holding: 35 % of onsets fell off the beat against Bach's 39 %, quarters
# where he writes eighths, and the classifier test heard it. Chosen on validation chorales
# (C2ST 0.754 at 0, 0.707 at 0.3, 0.704 at 0.5, 0.753 at 1.0, which clashes): see the card.
OFFBEAT_HOLD_COST = 0.5


@dataclass
class Sampling:
    iterations: int = 100
    temperature: float = 1.0
    remove_pct: float = 100.0
    add_per_quota: int = 500


@dataclass
class Piece:
    """The input as four voices on the model's grid (after the key and octave moves)."""

    columns: IntArray  # (4, T): column or -1 (rest)
    onsets: BoolArray  # (4, T)
    given: BoolArray  # (4,): the voices the input has
    meter: npt.NDArray[np.float32]  # (2, T)
    key_move: int  # semitones from the output's key to the model's (C)
    octave_move: int  # semitones (a multiple of 12) added to the input's pitches


def best_octave(pitches: IntArray, low: int, high: int, span: tuple[int, int] = (0, 127)) -> int:
    """The octave move putting the most ``pitches`` in ``[low, high]`` (ties: the smallest)
    among those that keep the input's lowest and highest pitch (``span``) inside MIDI's
    0-127: the input's notes the sampler leaves alone move by it too."""
    if pitches.size == 0:
        return 0
    moves = [m for m in range(-48, 49, 12) if span[0] + m >= 0 and span[1] + m <= 127] or [0]
    return max(
        moves, key=lambda m: (int(((pitches + m >= low) & (pitches + m <= high)).sum()), -abs(m))
    )


def prepare(score: Score, config: ArcnnConfig) -> Piece:
    spb = config.steps_per_beat
    tracks = voice_tracks(score)
    last = max(tick_to_step(n.end, spb, score.resolution) for t in tracks for n in t.notes)
    steps = max(spb, -(-last // spb) * spb)
    lines = [
        line(t.notes, steps, spb, score.resolution, lowest=i == VOICES - 1 and len(tracks) > 1)
        for i, t in enumerate(tracks)
    ]
    melody = lines[0][0]
    every = [n.pitch for t in tracks for n in t.notes]
    octave = best_octave(melody[melody >= 0], *SATB[0], (min(every), max(every)))
    key = key_shift(tracks[0].notes)
    columns = np.full((VOICES, steps), -1, dtype=np.int64)
    onsets = np.zeros((VOICES, steps), dtype=np.bool_)
    for voice, (pitches, starts) in enumerate(lines):
        moved = pitches + octave + key - config.low_pitch
        inside = (pitches >= 0) & (moved >= 0) & (moved < config.pitches)
        columns[voice] = np.where(inside, moved, -1)
        onsets[voice] = starts & inside
    given = np.zeros(VOICES, dtype=np.bool_)
    given[: len(lines)] = True
    meter = meter_planes(0, steps, steps_per_bar(score, spb), spb)
    return Piece(columns, onsets, given, meter, key, octave)


def new_voices(piece: Piece, add_per_quota: int) -> BoolArray:
    """(4,): the voices the sampler writes, as many whole ones as the add quota holds."""
    steps = piece.columns.shape[1]
    budget = add_per_quota * max(1.0, steps / STEPS_PER_QUOTA)
    chosen = np.zeros(VOICES, dtype=np.bool_)
    for voice in ADD_ORDER:
        if not piece.given[voice] and steps <= budget:
            chosen[voice] = True
            budget -= steps
    return chosen


def hidden_share(iteration: int, iterations: int) -> float:
    return max(P_MIN, P_MAX - (P_MAX - P_MIN) * iteration / (ETA * iterations))


@torch.no_grad()
def sample(
    model: Inpainter,
    piece: Piece,
    sampling: Sampling,
    rng: np.random.Generator,
    progress: Progress | None = None,
    writable: BoolArray | None = None,
    parallel_cost: float = PARALLEL_COST,
    final: Ending | None = None,
) -> tuple[IntArray, BoolArray]:
    """``(columns, onsets)`` after ``sampling.iterations`` Gibbs steps; the cells written
    are the new voices' (:func:`new_voices`), or ``writable`` (4, T) where given; with
    ``final``, the new voices end on the final chord (:func:`allowed_cells`), held."""
    config = model.config
    columns, onsets = piece.columns.copy(), piece.onsets.copy()
    steps = columns.shape[1]
    if writable is None:
        writes = new_voices(piece, sampling.add_per_quota)
        writable = np.repeat(writes[:, None], steps, axis=1)  # (4, T)
    columns[writable], onsets[writable] = -1, False
    inputs = np.repeat(piece.given[:, None], steps, axis=1) & ~writable
    quota = math.floor(sampling.remove_pct / 100 * int(inputs.sum()))
    groups = np.where(inputs, note_groups(piece.columns, piece.onsets), -1)
    allowed = allowed_cells(config, piece.key_move, piece.given, piece.columns, final)
    meter = torch.from_numpy(piece.meter)[None]
    for iteration in range(sampling.iterations):
        share = hidden_share(iteration, sampling.iterations)
        hidden = writable if iteration == 0 else writable & (rng.random(writable.shape) < share)
        if quota and share <= INPUT_FROM:
            picked = rng.random(int(groups.max()) + 1) < share
            hidden = hidden | (inputs & picked[groups])
        if hidden.any():
            before = columns.copy()
            _gibbs_step(
                model,
                columns,
                onsets,
                hidden,
                groups,
                piece.columns,
                meter,
                allowed,
                sampling,
                rng,
                parallel_cost,
            )
            _keep_quota(columns, onsets, before, piece, groups, hidden, quota, rng)
        if progress is not None:
            progress((iteration + 1) / sampling.iterations)
    if sampling.iterations:
        passing_notes(model, columns, onsets, writable, meter, allowed, rng, parallel_cost)
    if sampling.iterations:
        _draw_repeats(model, columns, onsets, writable, meter, sampling, rng)
    if final is not None and final.start < steps:
        hold_final_chord(columns, onsets, writable, final.start)
    return columns, onsets


@torch.no_grad()
def _draw_repeats(
    model: Inpainter,
    columns: IntArray,
    onsets: BoolArray,
    writable: BoolArray,
    meter: torch.Tensor,
    sampling: Sampling,
    rng: np.random.Generator,
) -> None:
    """Whether each written cell that repeats the pitch before it starts a new note or
    holds it, drawn from the onset head with those cells hidden (every other step at a
    time, so each sees its neighbours): during the Gibbs steps the cells around a written
    one changed without the network being asked about their onsets."""
    previous = np.pad(columns[:, :-1], ((0, 0), (1, 0)), constant_values=-1)
    repeats = writable & (columns >= 0) & (columns == previous)
    parity = np.arange(columns.shape[1]) % 2
    for side in (0, 1):
        hidden = repeats & (parity == side)[None, :]
        if not hidden.any():
            continue
        _, onset_logits = model.predict(columns, onsets, hidden, meter)
        voice, step = np.nonzero(hidden)
        p = torch.sigmoid(onset_logits.double()).numpy()[voice, step]
        onsets[voice, step] = rng.random(len(voice)) < p


def _gibbs_step(
    model: Inpainter,
    columns: IntArray,
    onsets: BoolArray,
    hidden: BoolArray,
    groups: IntArray,
    original: IntArray,
    meter: torch.Tensor,
    allowed: torch.Tensor,
    sampling: Sampling,
    rng: np.random.Generator,
    parallel_cost: float = 0.0,
) -> None:
    """Draw every hidden cell from the network given the visible ones (in place).

    Cells of one input note (``groups``, -1 elsewhere) are hidden together and drawn as
    one: a single pitch (never a rest) from the mean of their cells' log-probabilities,
    the note's rhythm kept. Drawn cell by cell, a held melody note was cut into repeated and
    neighbour notes (on validation chorales: repeated pitches in the soprano 29 % of its
    steps against the input's 14 %)."""
    config = model.config
    pitch_logits, onset_logits = model.predict(columns, onsets, hidden, meter)  # (4, T, C)
    voice, step = np.nonzero(hidden)
    v, s = torch.from_numpy(voice), torch.from_numpy(step)
    logits = pitch_logits[v, s].double() / sampling.temperature
    if parallel_cost:
        bad = torch.from_numpy(parallel_candidates(columns, voice, step, config.pitches))
        logits[:, 1:] -= parallel_cost * bad.double()
    # the pitch the voice had the step before: costed at a beat and between beats
    prev = columns[voice, np.maximum(step - 1, 0)]
    cost = np.where(step % config.steps_per_beat == 0, REPEAT_PITCH_COST, OFFBEAT_HOLD_COST)
    rows = np.flatnonzero((step > 0) & (groups[voice, step] < 0) & (prev >= 0) & (cost > 0))
    logits[rows, prev[rows] + 1] -= torch.from_numpy(cost[rows])
    logits = logits.masked_fill(~allowed[v, s], -math.inf)
    chosen = draw(torch.softmax(logits, -1).numpy(), rng)  # per hidden cell
    onset_p = torch.sigmoid(onset_logits[v, s].double() / sampling.temperature).numpy()
    repeat_onset = rng.random(len(voice)) < onset_p
    cell_group = groups[voice, step]
    tied = cell_group >= 0
    if tied.any():
        ids, inverse = np.unique(cell_group[tied], return_inverse=True)
        log_p = torch.log_softmax(logits[torch.from_numpy(tied)], -1).numpy()
        total = np.zeros((len(ids), log_p.shape[1]))
        np.add.at(total, inverse, np.maximum(log_p, -1e9))
        total /= np.bincount(inverse)[:, None]
        first_cell = np.unique(inverse, return_index=True)[1]
        given = original[voice[tied][first_cell], step[tied][first_cell]]
        rows = np.arange(len(ids))
        total[rows, given + 1] += np.where(voice[tied][first_cell] == 0, INPUT_BONUS, 0.0)
        total[given >= 0, 0] = -np.inf  # an input note is redrawn, never deleted (a rest)
        # the note's rhythm is kept, so it may not take a neighbour's pitch where the
        # input moved: the network, trained on cells, would merge it into a repeat
        last_cell = np.r_[first_cell[1:], int(tied.sum())] - 1
        for cells, delta in ((first_cell, -1), (last_cell, 1)):
            v_, s_ = voice[tied][cells], step[tied][cells] + delta
            inside = (s_ >= 0) & (s_ < columns.shape[1])
            s_ = np.clip(s_, 0, columns.shape[1] - 1)
            neighbour = columns[v_, s_]
            moved = inside & (neighbour >= 0) & (original[v_, s_] != given)
            total[rows[moved], neighbour[moved] + 1] = -np.inf
        total[~np.isfinite(total).any(axis=1), given[~np.isfinite(total).any(axis=1)] + 1] = 0.0
        note = np.exp(total - total.max(axis=1, keepdims=True))
        chosen[tied] = draw(note, rng)[inverse]
        first = np.ones(int(tied.sum()), dtype=np.bool_)
        first[1:] = inverse[1:] != inverse[:-1]  # cells are in voice, step order
        repeat_onset[tied] = first
    columns[voice, step] = chosen
    _refresh_onsets(columns, onsets, voice, step, repeat_onset)


def _refresh_onsets(
    columns: IntArray, onsets: BoolArray, voice: IntArray, step: IntArray, repeat: BoolArray
) -> None:
    """A written cell starts a note where its pitch differs from the step before, and
    where it repeats it if ``repeat`` (drawn from the network's onset head) says so; the
    cell after a written one starts one where its pitch now differs from it. (Whether a
    written voice's repeated pitches are struck again is drawn once more at the end, by
    :func:`_draw_repeats`.)"""
    previous = np.where(step > 0, columns[voice, np.maximum(step - 1, 0)], -1)
    sounding = columns[voice, step] >= 0
    changed = columns[voice, step] != previous
    onsets[voice, step] = sounding & (changed | repeat)
    steps = columns.shape[1]
    after = step + 1 < steps
    v, s = voice[after], step[after] + 1
    onsets[v, s] |= (columns[v, s] >= 0) & (columns[v, s] != columns[v, s - 1])


def _keep_quota(
    columns: IntArray,
    onsets: BoolArray,
    before: IntArray,
    piece: Piece,
    groups: IntArray,
    hidden: BoolArray,
    quota: int,
    rng: np.random.Generator,
) -> None:
    """Undo this step's changes to input notes (whole notes, in random order) until at
    most ``quota`` input cells differ from the input."""
    changed = (groups >= 0) & (columns != piece.columns)
    excess = int(changed.sum()) - quota
    if excess <= 0:
        return
    fresh = groups[changed & hidden & (before != columns)]
    ids, counts = np.unique(fresh, return_counts=True)
    order = rng.permutation(len(ids))
    enough = int(np.searchsorted(np.cumsum(counts[order]), excess)) + 1
    voice, step = np.nonzero(np.isin(groups, ids[order[:enough]]))
    columns[voice, step] = piece.columns[voice, step]
    onsets[voice, step] = piece.onsets[voice, step]
    _refresh_onsets(columns, onsets, voice, step, onsets[voice, step])


def _velocity(score: Score) -> int:
    notes = score.all_notes()
    return int(np.clip(round(float(np.median([n.velocity for n in notes]))), 1, 127))


def harmonise(
    score: Score,
    model: Inpainter,
    sampling: Sampling,
    seed: int,
    progress: Progress | None = None,
) -> Score:
    """``score`` as four voices written and rewritten by ``model`` (see the module doc)."""
    config = model.config
    spb = config.steps_per_beat
    score = on_grid(score, spb)  # a grid step must be whole ticks
    if sampling.iterations == 0:
        return score
    piece = prepare(score, config)
    rng = np.random.default_rng(seed)
    final = final_chord_of(score, spb)
    columns, onsets = sample(model, piece, sampling, rng, progress, final=final)
    velocity = _velocity(score)
    offset = config.low_pitch - piece.key_move
    originals = voice_tracks(score)
    voices = []
    for voice in range(VOICES):
        if piece.given[voice] and len(originals) > voice:
            # an input voice keeps its own timing (moved by the octave), with the pitches
            # of the notes the sampler rewrote
            source = (
                originals[voice].notes
                if len(originals) == VOICES
                else top_line(score.all_notes(), score.resolution)
            )
            notes = rewritten_notes(
                source,
                (columns[voice], onsets[voice]),
                piece.columns[voice],
                piece.octave_move,
                offset,
                spb,
                score.resolution,
                velocity,
            )
        else:
            notes = voice_notes(
                columns[voice], onsets[voice], offset, spb, score.resolution, velocity
            )
        voices.append(without_overlaps(notes))
    eighth = score.resolution // spb
    written = [not given for given in piece.given]
    voices = passing_sixteenths(voices, written, eighth, piece.key_move, rng)
    tracks = [
        Track(notes, program=CHOIR[voice], name=NAMES[voice])
        for voice, notes in enumerate(voices)
        if notes
    ]
    return replace(score, tracks=tracks)


# ----- the technique ------------------------------------------------------------------


@cache
def shipped_model() -> Inpainter:
    """The committed checkpoint, loaded once per process."""
    model, _, _ = load_checkpoint(shipped_path("arcnn"), ArcnnConfig, Inpainter)
    return model


ARCHIVED_MODELS = 2  # archived checkpoints a worker keeps loaded (1.3 MB each)


@lru_cache(maxsize=ARCHIVED_MODELS)
def archived_model(path: Path) -> Inpainter:
    """An archived checkpoint (an older model version), loaded once per process."""
    return load_archived(path, ArcnnConfig, Inpainter)


def sampling_from(params: Mapping[str, ParamValue]) -> Sampling:
    return Sampling(
        iterations=int(params["sampling_iterations"]),
        temperature=TEMPERATURE_AT_RISK_1 * float(params["creative_risk"]),
        remove_pct=float(params["max_input_notes_to_remove"]),
        add_per_quota=int(params["max_notes_to_add"]),
    )


def generate(
    score: Score,
    params: Mapping[str, ParamValue],
    seed: int,
    progress: Progress | None = None,
    weights: Mapping[str, Path] | None = None,
) -> Score:
    """The registry's entry point: ``score`` harmonised by the shipped model, or by the
    archived checkpoint ``weights["arcnn"]`` (an older model version)."""
    archived = (weights or {}).get("arcnn")
    model = shipped_model() if archived is None else archived_model(archived)
    return harmonise(score, model, sampling_from(params), seed, progress)


def describe(model: Inpainter) -> str:
    return f"AR-CNN inpainting network, {parameter_count(model) / 1e6:.2f} M parameters"
