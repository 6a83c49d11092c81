"""Extending a Score with any next-token model: the plan, the sampling loop, the stitching.

The Transformer (``generation.transformer.model``) and its baseline, the order-3 Markov chain
(``generation.transformer.markov``), extend a track the same way; only the next-token distribution
differs, behind the :class:`TokenModel` protocol. :func:`extend` does the rest:

1. **Plan** (:func:`plan_extension`). The extension starts at the input's end rounded up
   to a beat of its meter (the time signature's denominator: a quarter in 3/4, an eighth
   in 6/8) and lasts ``extension_duration`` seconds rounded to the nearest whole beat (at
   least one) at the input's tempo. The prompt is the input from the bar line at or
   before ``input_duration`` seconds before its end (never later than the bar of the last
   onset), transposed into the canonical key (the whole input's key moved to C) and then
   by whole octaves into the range the model was trained on. Its texture
   decides the style: a monophonic prompt is continued as a folk melody, a polyphonic
   one (or ``texture="polyphonic"``) as a chorale that keeps the prompt's usual number
   of sounding notes (:func:`texture_voices`; 4 for a chorale) at every moment.
2. **Sampling**: temperature (``creative_risk``), then top-k or nucleus filtering, over
   the tokens the :class:`~generation.transformer.tokens.Grammar` allows, one uniform draw per token
   from a NumPy generator seeded with the request's seed.
3. **Stitching**: the input is kept note for note; the new notes start at or after the
   extension's start, notes crossing its end are cut there, and the last new notes are
   held to the end, so the output ends exactly where asked. A new note goes to the
   pitched track sounding at the input's end (monophonic) or to the track whose prompt
   notes are nearest in pitch (polyphonic), with that track's median velocity; the
   tempo, meter, programs and track names are the input's.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np
import numpy.typing as npt

from generation.errors import GenerationInputError
from generation.params import ParamValue
from generation.registry import check_sampling_threshold
from generation.rolls import best_octave_shift
from generation.transformer.tokens import (
    MAX_CHORD,
    Grammar,
    GridNote,
    bar_steps,
    decode,
    encode,
    fold,
    grid_notes,
    key_shift,
    step_ticks,
    token_bound,
    transposed,
)
from music.score import Note, Score

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
MODEL_PITCH_RANGE = (30, 100)  # the corpora span 36-93; moving into C widens that by 6
POLYPHONIC_SHARE = 0.25  # of prompt notes overlapping another before it counts as chords
TEXTURES = ("auto", "monophonic", "polyphonic")


class TokenModel(Protocol):
    """A next-token distribution: ``start(prompt, time_signature)`` returns the logits (or
    log probabilities) of the token after the prompt, ``step(token)`` those after one more."""

    def start(self, tokens: Sequence[int], time_signature: tuple[int, int]) -> FloatArray: ...

    def step(self, token: int) -> FloatArray: ...


# ----- parameters ----------------------------------------------------------------------


@dataclass(frozen=True)
class Sampling:
    technique: str  # "top-k" or "nucleus"
    threshold: float  # k or p
    temperature: float

    @classmethod
    def from_params(cls, params: Mapping[str, ParamValue]) -> Sampling:
        check_sampling_threshold(params)
        return cls(
            str(params["sampling_technique"]),
            float(params["sampling_threshold"]),
            float(params["creative_risk"]),
        )


def probabilities(logits: FloatArray, allowed: BoolArray, sampling: Sampling) -> FloatArray:
    """The distribution to draw from: allowed tokens only, tempered, then top-k or nucleus."""
    scaled = np.where(allowed, logits / sampling.temperature, -np.inf)
    if sampling.technique == "top-k":
        k = int(sampling.threshold)
        if k < int(allowed.sum()):
            kth = np.partition(scaled, -k)[-k]
            scaled = np.where(scaled >= kth, scaled, -np.inf)
    weights = np.exp(scaled - scaled.max())
    weights /= weights.sum()
    if sampling.technique == "nucleus" and sampling.threshold < 1:
        order = np.argsort(-weights, kind="stable")
        before = np.cumsum(weights[order]) - weights[order]  # mass of the better tokens
        weights[order[before >= sampling.threshold]] = 0.0
        weights /= weights.sum()
    return weights


def draw(weights: FloatArray, rng: np.random.Generator) -> int:
    """One index from ``weights`` with one uniform draw (inverse CDF)."""
    cumulative = np.cumsum(weights)
    index = int(np.searchsorted(cumulative, rng.random() * cumulative[-1], side="right"))
    return min(index, len(weights) - 1)


# ----- the plan ------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """Where the extension goes and what conditions it (steps count from ``first_bar``)."""

    score: Score
    prompt: list[int]
    first_bar: int
    shift: int  # semitones from the input to the prompt: into C, then into the model's range
    monophonic: bool
    voices: int  # notes kept sounding in a polyphonic continuation (0 when monophonic)
    start_tick: int  # the extension is [start_tick, end_tick) of the output
    end_tick: int
    min_step: int  # new onsets fall in [min_step, end_step)
    end_step: int

    @property
    def style(self) -> str:
        return "folk" if self.monophonic else "chorale"

    @property
    def bar_offset(self) -> int:
        """The first bar's start, in steps from the start of the score."""
        return self.first_bar * bar_steps(self.score.time_signature)


def beat_ticks(score: Score) -> float:
    """One beat of the meter (its denominator's note value), in ticks."""
    return score.resolution * 4 / score.time_signature[1]


def texture_voices(notes: Sequence[GridNote]) -> int:
    """How many notes usually sound at an onset: the median over the onsets, rounded, at
    least 2; a prompt without chords gets a chorale's 4."""
    onsets = sorted({n.start for n in notes})
    counts = [sum(n.start <= t < n.end for n in notes) for t in onsets]
    usual = math.floor(float(np.median(counts)) + 0.5) if counts else 1
    return 4 if usual <= 1 else min(usual, MAX_CHORD)


def is_monophonic(notes: Sequence[GridNote]) -> bool:
    """Whether at most ``POLYPHONIC_SHARE`` of the notes start while another sounds."""
    overlapping, sounding_until = 0, -1
    for note in notes:  # sorted by start
        if note.start < sounding_until:
            overlapping += 1
        sounding_until = max(sounding_until, note.end)
    return overlapping <= POLYPHONIC_SHARE * len(notes)


def plan_extension(
    score: Score, *, input_duration: float, extension_duration: float, texture: str = "auto"
) -> Plan:
    try:
        size = bar_steps(score.time_signature)
    except ValueError as error:
        raise GenerationInputError(str(error)) from None
    beat = beat_ticks(score)
    start_tick = round(math.ceil(score.end_tick / beat - 1e-9) * beat)
    beats_asked = extension_duration * score.tempo / 60 * score.time_signature[1] / 4
    beats = max(1, math.floor(beats_asked + 0.5))
    end_tick = start_tick + round(beats * beat)
    last_onset = max(n.start for t in score.pitched_tracks() for n in t.notes)
    since = max(0, score.end_tick - score.seconds_to_ticks(input_duration))
    first_bar = min(since, last_onset) // score.ticks_per_bar
    notes = grid_notes(score, first_bar * score.ticks_per_bar)
    monophonic = texture == "monophonic" or (texture == "auto" and is_monophonic(notes))
    into_c = key_shift(grid_notes(score))  # the key of the whole input, not just the prompt
    low, high = MODEL_PITCH_RANGE
    shift = into_c + best_octave_shift(score, low - into_c, high - into_c)
    offset = first_bar * size
    step = step_ticks(score)
    plan = Plan(
        score=score,
        prompt=[],
        first_bar=first_bar,
        shift=shift,
        monophonic=monophonic,
        voices=0 if monophonic else texture_voices(notes),
        start_tick=start_tick,
        end_tick=end_tick,
        min_step=math.ceil(start_tick / step - 1e-9) - offset,
        end_step=math.ceil(end_tick / step - 1e-9) - offset,
    )
    prompt = encode(transposed(notes, shift), score.time_signature, plan.style, first_bar=first_bar)
    return replace(plan, prompt=prompt)


# ----- sampling ------------------------------------------------------------------------


def sample_continuation(
    plan: Plan, model: TokenModel, sampling: Sampling, rng: np.random.Generator
) -> list[int]:
    """The tokens after the prompt, until the grammar allows nothing more."""
    grammar = Grammar(
        plan.score.time_signature,
        min_step=plan.min_step,
        end_step=plan.end_step,
        monophonic=plan.monophonic,
        voices=plan.voices,
    )
    for token in plan.prompt:
        grammar.advance(token)
    allowed = grammar.allowed()
    generated: list[int] = []
    if not allowed.any():
        return generated
    logits = model.start(plan.prompt, plan.score.time_signature)
    for _ in range(token_bound(plan.end_step - plan.min_step, plan.monophonic)):
        token = draw(probabilities(logits, allowed, sampling), rng)
        grammar.advance(token)
        generated.append(token)
        allowed = grammar.allowed()
        if not allowed.any():
            break
        logits = model.step(token)
    return generated


def extend(
    score: Score,
    params: Mapping[str, ParamValue],
    seed: int,
    model_for_style: Callable[[str], TokenModel],
) -> Score:
    """``score`` followed by a continuation sampled from ``model_for_style(plan.style)``."""
    plan = plan_extension(
        score,
        input_duration=float(params["input_duration"]),
        extension_duration=float(params["extension_duration"]),
        texture=str(params.get("texture", "auto")),
    )
    sampling = Sampling.from_params(params)
    tokens = sample_continuation(
        plan, model_for_style(plan.style), sampling, np.random.default_rng(seed)
    )
    return stitch(plan, tokens)


# ----- stitching -----------------------------------------------------------------------


def new_notes(plan: Plan, tokens: Sequence[int]) -> list[Note]:
    """The sampled notes in the input's ticks and register, cut at the end, the last ones
    held to it (unassigned to tracks; velocity 0 until :func:`stitch` sets it)."""
    step = step_ticks(plan.score)
    notes: list[Note] = []
    signature = plan.score.time_signature
    already = len(decode(plan.prompt, signature))
    for note in decode([*plan.prompt, *tokens], signature)[already:]:
        start = max(round((note.start + plan.bar_offset) * step), plan.start_tick)
        end = min(round((note.end + plan.bar_offset) * step), plan.end_tick)
        if end > start:
            notes.append(Note(start, fold(note.pitch - plan.shift), end - start, 0))
    last = max((n.end for n in notes), default=plan.end_tick)
    return [replace(n, duration=plan.end_tick - n.start) if n.end == last else n for n in notes]


def stitch(plan: Plan, tokens: Sequence[int]) -> Score:
    """The input with the new notes added to its tracks (see the module doc)."""
    score = plan.score
    prompt_from = plan.first_bar * score.ticks_per_bar
    pitched = [(i, t.notes) for i, t in enumerate(score.tracks) if not t.is_drum and t.notes]
    recent = [(i, [n for n in notes if n.start >= prompt_from]) for i, notes in pitched]
    candidates = [(i, notes) for i, notes in recent if notes] or pitched
    tracks = [replace(t, notes=list(t.notes)) for t in score.tracks]
    speaking = max(candidates, key=lambda c: (max(n.end for n in c[1]), len(c[1])))
    for note in new_notes(plan, tokens):
        index, notes = (
            speaking
            if plan.monophonic
            else min(candidates, key=lambda c: abs(_median(n.pitch for n in c[1]) - note.pitch))
        )
        velocity = int(_median(n.velocity for n in notes))
        tracks[index].notes.append(replace(note, velocity=min(max(velocity, 1), 127)))
    return replace(score, tracks=[replace(t, notes=sorted(t.notes)) for t in tracks])


def _median(values: Iterable[int]) -> float:
    return float(np.median(list(values)))
