"""Reading notes off the GAN's per-step distributions: a voice-leading Viterbi decoder.

The generator gives, per voice and step of a window, a distribution over rest and the
pitches and the probability that a note starts. The independent argmax of each step
(what the critic saw in training, and ``Decoding(viterbi=False)``) writes busy lines
that clash with each other, with parallel fifths and octaves: nothing ties a step to its
neighbours or a voice to the others. Here each voice is
decoded as a whole line instead: the most probable path through its per-step
distributions (log-probabilities summed over the steps, Viterbi) under a few penalties
from the rules of voice leading, given the melody and the other voices:

- a note lasts at least ``min_note_steps`` steps and a rest ``min_rest_steps``
  (renaissance notes are long, and its voices rest for bars, not for a beat), and each
  change of pitch or rest may cost ``change_cost`` (fewer, longer notes);
- a move that makes a parallel fifth or octave (unison) with the melody or another
  voice (both moving, the same perfect interval before and after, mod 12) costs
  ``parallel_cost``, or is not taken at all with ``forbid_parallels`` (holding or
  repeating a note never makes one, so a line without them always exists);
- a second or seventh (mod 12) against the melody or another voice costs
  ``dissonance_cost`` per step and voice on a beat (``offbeat_dissonance`` of it
  between beats, where passing notes clash), the very same pitch ``unison_cost``, and a
  step of rest ``rest_cost`` (resting is the cheap way to avoid every clash);
- a leap costs ``leap_cost`` per octave beyond a whole tone (smooth lines), striking the
  pitch just sounded again ``repeat_cost``, and a move by step gains ``step_bonus``
  (Bach's voices move by step, not by repeats and thirds); the lowest voice may have its own
  (``bass_leap_cost``, ``bass_repeat_cost``: :func:`bass_rules`), since a bass leaps by
  fourths, fifths and octaves and seldom strikes one pitch twice;
- the onset head is read as ``onset_weight`` times the log-probability of a note
  starting (or not) at each step, so repeated notes and the generator's rhythm count;
- a move that turns the line back (up after down or down after up, a repeated note
  keeping the direction it came with) costs ``turn_cost``: the search state then also
  holds the direction of the line's last move (:mod:`generation.gan.viterbi`);
- under the long notes that end the melody's phrases (``Window.still``, the steps after
  their first) a note starting, or a step of rest, costs ``hold_cadence_cost``: the
  voices hold their chord there, as Bach's do at his fermatas;
- ``Window.bias`` is added as it comes (the model costs a bass off the tonic under
  the melody's long tonic notes, its phrase ends: ``phrase_cost`` per step);
- an inner voice (every voice but the lowest) that stays on one pitch, held or
  repeated, for more than ``hold_beats`` beats (``Window.hold_steps``: beats of the
  input's meter, a half note in 4/2) costs ``hold_cost`` per step beyond: the line is
  decoded again with those steps of that pitch costed (:func:`long_runs`), at most
  :data:`HOLD_ROUNDS` times, since the Viterbi state does not count a pitch's repeats.

Hard constraints come with the window (:mod:`generation.gan.model` sets them): each
voice's range, where the probability of a pitch outside goes to the same pitch class
inside, an octave or more away (:func:`fold_into_ranges`: the generator's choice of
note is kept, its octave changed), and the states the final chord allows. A voice is
decoded under every constraint if some line keeps them all, else without the final
chord's, else with parallels costed instead of forbidden, else without its range, so
that a line always comes out (:func:`decode_voice`).

Voices are decoded one after another, each given the melody and the voices already
decoded, and then once more each given all the others (coordinate ascent); with ``only``
one voice is decoded again given all the others as they stand (the caller generated its
distributions again given them). Everything is deterministic: the noise was drawn
before, by the caller.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache

import numpy as np
import numpy.typing as npt

from generation.gan.styles import Decoding
from generation.gan.viterbi import DOWN, UP, viterbi

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
HOLD_ROUNDS = 2  # decodings more of an inner voice that stays too long on one pitch
PERFECT = (0, 7)  # unison/octave and fifth, as intervals mod 12
SECONDS = (1, 2, 10, 11)  # seconds and sevenths (and ninths), as intervals mod 12


@dataclass
class Window:
    """One window's distributions and what is fixed around the voices being decoded."""

    log_probs: FloatArray  # (V, T, 1 + P): rest then pitch columns, log-softmax
    onset_logits: FloatArray  # (V, T)
    melody: IntArray  # (T,) column or -1
    voices: IntArray  # (V, T) column or -1: the context steps hold the previous window's
    onsets: BoolArray  # (V, T)
    first: int  # the first step to decode (the context before it stays)
    beats: BoolArray  # (T,): True where a beat starts
    ranges: IntArray | None = None  # (V, 2): each voice's lowest and highest column
    final: BoolArray | None = None  # (V, T, 1 + P): the states the final chord allows
    hold_steps: int = 0  # Decoding.hold_beats in steps (0: no limit)
    bias: FloatArray | None = None  # (V, T, 1 + P): added to the log-probabilities
    still: BoolArray | None = None  # (T,): True where Decoding.hold_cadence_cost is paid


def run_length(columns: IntArray, onsets: BoolArray, end: int) -> int:
    """Steps the run that sounds (or rests) at ``end - 1`` has lasted by then."""
    length = 1
    while (
        end - 1 - length >= 0
        and columns[end - 1 - length] == columns[end - 1]
        and not (columns[end - length] >= 0 and onsets[end - length])
    ):
        length += 1
    return length


def last_direction(columns: IntArray, end: int) -> int:
    """The direction of the last move before ``end`` of a line (:data:`UP`,
    :data:`DOWN`, or 0 where it rests at ``end - 1`` or came from a rest): the pitch at
    ``end - 1`` against the last different one before it."""
    if end < 1 or columns[end - 1] < 0:
        return 0
    now = columns[end - 1]
    before = columns[:end][columns[:end] != now]
    if not before.size or before[-1] < 0:
        return 0
    return UP if now > before[-1] else DOWN


@cache
def _second_table(pitches: int) -> FloatArray:
    """(12, 1 + P): 1 where a column is a second or seventh from pitch class c."""
    table = np.zeros((12, pitches + 1))
    table[:, 1:] = np.isin((np.arange(pitches)[None, :] - np.arange(12)[:, None]) % 12, SECONDS)
    return table


def clashes(others: list[IntArray], pitches: int) -> tuple[FloatArray, FloatArray]:
    """Each (T, 1 + P): per step and pitch column, how many of ``others`` sound a second
    or a seventh against it (mod 12), and how many sound the very same pitch."""
    table = _second_table(pitches)
    steps = len(others[0])
    seconds = np.zeros((steps, pitches + 1))
    unisons = np.zeros((steps, pitches + 1))
    every = np.arange(steps)
    for other in others:
        sounds = other >= 0
        seconds += table[other % 12] * sounds[:, None]
        unisons[every[sounds], other[sounds] + 1] += 1
    return seconds, unisons


def decode_window(
    window: Window, decoding: Decoding, only: int | None = None
) -> tuple[IntArray, BoolArray]:
    """The voices' ``(columns, onsets)`` over the window's steps from ``first`` on; with
    ``only``, that voice alone is decoded again, given every other as it stands."""
    voices = window.voices.copy()
    onsets = window.onsets.copy()
    count, _, states = window.log_probs.shape
    first = window.first
    melody_sounds = bool((window.melody[first:] >= 0).any())
    if not decoding.viterbi:
        chosen = window.log_probs.argmax(-1) - 1
        voices[:, first:] = chosen[:, first:]
        onsets[:, first:] = window.onset_logits[:, first:] > 0
        if melody_sounds:
            _never_silent(voices, window)
        return voices[:, first:], onsets[:, first:]
    onset_p = 1.0 / (1.0 + np.exp(-window.onset_logits))
    onset_yes = decoding.onset_weight * np.log(np.clip(onset_p, 1e-6, 1.0))
    onset_no = decoding.onset_weight * np.log(np.clip(1.0 - onset_p, 1e-6, 1.0))
    if window.still is not None:
        onset_yes = onset_yes - decoding.hold_cadence_cost * window.still
    ranged = window.log_probs if window.ranges is None else fold_into_ranges(window)
    bass = bass_rules(decoding)
    done: set[int] = set()
    order = list(range(count)) * (1 + decoding.refine_rounds)
    if only is not None:
        done, order = set(range(count)) - {only}, [only]
    for v in order:
        costs = np.zeros(window.log_probs.shape[1:])
        if window.bias is not None:
            costs += window.bias[v]
        costs[:, 0] -= decoding.rest_cost
        if window.still is not None:
            costs[window.still, 0] -= decoding.hold_cadence_cost
        others = [window.melody] + [voices[u] for u in range(count) if u != v and u in done]
        if decoding.dissonance_cost or decoding.unison_cost:
            seconds, unisons = clashes(others, states - 1)
            weight = np.where(window.beats, 1.0, decoding.offbeat_dissonance)[:, None]
            costs -= decoding.dissonance_cost * weight * seconds + decoding.unison_cost * unisons
        start, direction = None, 0
        if first > 0:
            start = (int(voices[v, first - 1]) + 1, run_length(voices[v], onsets[v], first))
            direction = last_direction(voices[v], first)
        rules = decoding if v < count - 1 else bass
        inner = v < count - 1 and window.hold_steps > 0 and decoding.hold_cost > 0
        for round_ in range(1 + HOLD_ROUNDS * inner):
            line, starts = decode_voice(
                (ranged[v] + costs, window.log_probs[v] + costs),
                (onset_yes[v], onset_no[v]),
                rules,
                others,
                window,
                v,
                (start, direction),
            )
            voices[v, first:] = line
            onsets[v, first:] = starts
            held = long_runs(voices[v], window.hold_steps)
            if not inner or not held or round_ == HOLD_ROUNDS:
                break
            for column, begin, end in held:
                costs[max(begin + window.hold_steps, first) : end, column + 1] -= decoding.hold_cost
        done.add(v)
    return voices[:, first:], onsets[:, first:]


@cache
def bass_rules(decoding: Decoding) -> Decoding:
    """``decoding`` with the lowest voice's own leap and repeat costs, where it has them."""
    leap, repeat = decoding.bass_leap_cost, decoding.bass_repeat_cost
    return replace(
        decoding,
        leap_cost=decoding.leap_cost if leap is None else leap,
        repeat_cost=decoding.repeat_cost if repeat is None else repeat,
    )


def fold_into_ranges(window: Window) -> FloatArray:
    """``window.log_probs`` with each voice's pitches outside its range moved by octaves
    to the nearest column inside (their probability added there); -inf outside."""
    assert window.ranges is not None
    states = window.log_probs.shape[-1]
    folded = np.empty_like(window.log_probs)
    for v, (low, high) in enumerate(window.ranges.tolist()):
        probabilities = np.exp(window.log_probs[v])  # (T, 1 + P)
        with np.errstate(divide="ignore"):
            folded[v] = np.log(probabilities @ _folding(low, high, states))
    return folded


@cache
def _folding(low: int, high: int, states: int) -> FloatArray:
    """(from, to) read-only: rest stays, a pitch column moves by octaves into
    ``low..high``."""
    columns = np.arange(states - 1)
    inside = columns + 12 * np.ceil(np.maximum(low - columns, 0) / 12).astype(np.int64)
    inside -= 12 * np.ceil(np.maximum(inside - high, 0) / 12).astype(np.int64)
    moves = np.zeros((states, states))
    moves[0, 0] = 1.0
    moves[columns + 1, inside + 1] = 1.0
    moves.setflags(write=False)
    return moves


def decode_voice(
    emissions: tuple[FloatArray, FloatArray],
    onset: tuple[FloatArray, FloatArray],
    decoding: Decoding,
    others: list[IntArray],
    window: Window,
    voice: int,
    start: tuple[tuple[int, int] | None, int],
) -> tuple[IntArray, BoolArray]:
    """One voice's ``(columns, onsets)`` from ``window.first`` on, from its emissions
    (T, 1 + P) in its range and free, and its onset log-probabilities (yes, no), given
    the state before ``window.first`` and the direction of the line's last move there
    (``start``: :func:`generation.gan.viterbi.viterbi`'s ``start`` and ``direction``), under
    the strictest constraints some line keeps: the range and the final chord (from the
    last melody note's start, or up to three steps later), then the range, then the
    range with parallels costed instead of forbidden, then none. A voice
    that would rest through a window under a sounding melody is decoded again with rest
    less likely (:func:`_sounding_emissions`)."""
    first = window.first
    ranged, free = emissions
    costed = _costed(decoding)
    endings: list[BoolArray | None] = list(_later_endings(window, voice))
    tries = [(ranged, final, decoding) for final in [*endings, None]]
    tries.append((ranged, None, costed))
    melody_sounds = bool((window.melody[first:] >= 0).any())
    for chosen, allowed, rules in [*tries, (free, None, costed)]:
        masked = chosen if allowed is None else np.where(allowed, chosen, -np.inf)
        line, starts, score = viterbi(masked, *onset, rules, others, first, *start)
        if melody_sounds and (line < 0).all():
            masked = _sounding_emissions(masked)
            line, starts, score = viterbi(masked, *onset, rules, others, first, *start)
        if np.isfinite(score):
            break
    return line, starts


@cache
def _costed(decoding: Decoding) -> Decoding:
    """``decoding`` with parallels costed instead of forbidden."""
    return replace(decoding, forbid_parallels=False)


def _later_endings(window: Window, voice: int, steps: int = 3) -> list[BoolArray]:
    """The final chord's states for ``voice``, then the same from up to ``steps`` steps
    later: a note that began just before the last melody note may have to go on."""
    if window.final is None:
        return []
    final = window.final[voice]
    restricted = np.flatnonzero(~final.all(axis=1))
    masks = [final]
    for late in restricted[:steps]:
        masks.append(masks[-1].copy())
        masks[-1][late] = True
    return masks


def long_runs(columns: IntArray, longest: int) -> list[tuple[int, int, int]]:
    """``(column, start, end)`` of each run of one sounding column (held or repeated)
    longer than ``longest`` steps."""
    found = []
    begin = 0
    for step in range(1, len(columns) + 1):
        if step == len(columns) or columns[step] != columns[begin]:
            if columns[begin] >= 0 and step - begin > longest:
                found.append((int(columns[begin]), begin, step))
            begin = step
    return found


def _sounding_emissions(emissions: FloatArray) -> FloatArray:
    """Emissions under which rest beats the likeliest pitch only where rest is likelier
    than all the pitches together: for a voice that would rest through a whole window
    under a sounding melody (a style with many rests under an unfamiliar melody)."""
    rest = np.clip(np.exp(emissions[:, 0]), 1e-9, 1 - 1e-9)
    changed = emissions.copy()
    changed[:, 0] = np.log(rest / (1.0 - rest)) + emissions[:, 1:].max(-1)
    changed[np.isneginf(emissions[:, 0]), 0] = -np.inf  # a rest a constraint forbids
    return changed


def _never_silent(voices: IntArray, window: Window) -> None:
    """The argmax decoding's safeguard: a voice silent through the window sounds wherever
    rest is less likely than not, at its likeliest pitch."""
    first = window.first
    for v in range(voices.shape[0]):
        if (voices[v, first:] < 0).all():
            probabilities = np.exp(window.log_probs[v, first:])
            sound = probabilities[:, 0] < 0.5
            voices[v, first:] = np.where(sound, probabilities[:, 1:].argmax(-1), -1)


def runs(columns: IntArray, onsets: BoolArray, min_steps: int) -> list[list[int]]:
    """``[column, start, end]`` runs of one voice (rests have column -1): a run starts
    where the column changes or an onset falls; a run shorter than ``min_steps`` joins
    the run before it (the first run joins the one after), and a run of the same column
    as the one before without an onset of its own joins it too."""
    found: list[list[int]] = []
    for step, column in enumerate(columns.tolist()):
        if found and found[-1][0] == column and not (column >= 0 and onsets[step]):
            found[-1][2] = step + 1
        else:
            found.append([column, step, step + 1])
    merged: list[list[int]] = []
    for run in found:
        if merged and run[2] - run[1] < min_steps:
            merged[-1][2] = run[2]
        elif merged and merged[-1][2] - merged[-1][1] < min_steps:
            merged[-1] = [run[0], merged[-1][1], run[2]]
        elif merged and merged[-1][0] == run[0] and not (run[0] >= 0 and onsets[run[1]]):
            merged[-1][2] = run[2]
        else:
            merged.append(run)
    return merged
