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
from generation.transformer.steering import (
    Rules,
    Steering,
    Voices,
    cadence_step,
    previous_voices,
)
from generation.transformer.tokens import (
    MAX_CHORD,
    VOCAB,
    Grammar,
    GridNote,
    bar_steps,
    decode,
    encode,
    grid_notes,
    key_shift,
    step_ticks,
    token_bound,
    transposed,
)
from music.key import best_key
from music.score import Note, Score, Track

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
MODEL_PITCH_RANGE = (30, 100)  # the corpora span 36-93; moving into C widens that by 6
POLYPHONIC_SHARE = 0.25  # of prompt notes overlapping another before it counts as chords
OUTPUT_PITCH_RANGE = (21, 108)  # a piano's keys: no output note ever lies outside
RANGE_MARGIN = 5  # semitones a voice may go past the input's own range (a fourth)
MIN_MELODY_SPAN = 19  # semitones a melody's range is widened to at least (a twelfth)
ADDED_VOICES_SPAN = 24  # added voices reach this far below the melody's lowest note
ADDED_VOICES_FLOOR = 36  # ... but not below C2
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
    rules: Rules  # voices, ranges, cadence and the input's bars (model pitch space)

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
    """How many voices a polyphonic continuation keeps: the usual number of notes at an
    onset (:func:`usual_voices`), at least 2; a prompt without chords gets a chorale's 4."""
    usual = usual_voices(notes)
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
    everything = grid_notes(score)
    into_c = key_shift(everything)  # the key of the whole input, not just the prompt
    low, high = MODEL_PITCH_RANGE
    shift = into_c + best_octave_shift(score, low - into_c, high - into_c)
    offset = first_bar * size
    step = step_ticks(score)
    min_step = math.ceil(start_tick / step - 1e-9) - offset
    end_step = math.ceil(end_tick / step - 1e-9) - offset
    voices = 0 if monophonic else texture_voices(notes)
    prompt_notes = transposed(notes, shift)
    rules = Rules(
        voices=max(voices, 1),
        ranges=tuple(
            (lo + shift, hi + shift)
            for lo, hi in voice_ranges(everything, max(voices, 1), added=usual_voices(notes) <= 1)
        ),
        previous=tuple(previous_voices(prompt_notes, max(voices, 1))),
        min_step=min_step,
        end_step=end_step,
        cadence=cadence_step(score.time_signature, size, min_step=min_step, end_step=end_step),
        triad=tonic_triad(everything),
        bars=input_bars(transposed(everything, shift), score.time_signature),
    )
    prompt = encode(
        prompt_notes, score.time_signature, "folk" if monophonic else "chorale", first_bar=first_bar
    )
    return Plan(
        score=score,
        prompt=prompt,
        first_bar=first_bar,
        shift=shift,
        monophonic=monophonic,
        voices=voices,
        start_tick=start_tick,
        end_tick=end_tick,
        min_step=min_step,
        end_step=end_step,
        rules=rules,
    )


def usual_voices(notes: Sequence[GridNote]) -> int:
    """How many notes usually sound at an onset (the median over the onsets, rounded)."""
    onsets = sorted({n.start for n in notes})
    counts = [sum(n.start <= t < n.end for n in notes) for t in onsets]
    return math.floor(float(np.median(counts)) + 0.5) if counts else 1


def top_line(notes: Sequence[GridNote]) -> list[int]:
    """The highest pitch sounding at each onset: the melody of a texture."""
    return [max(n.pitch for n in notes if n.start <= t < n.end) for t in {n.start for n in notes}]


def voice_ranges(notes: Sequence[GridNote], voices: int, *, added: bool) -> list[tuple[int, int]]:
    """Each voice's range (inclusive MIDI pitches), from the input's own register: the
    melody (voice 0) within ``RANGE_MARGIN`` of the input's top line, widened to at least
    ``MIN_MELODY_SPAN``; the lower voices from the input's lowest note (or, for voices
    ``added`` under a melody, down to ``ADDED_VOICES_SPAN`` below it, not under C2) up to
    the melody's top; all within ``OUTPUT_PITCH_RANGE``."""
    floor, ceiling = OUTPUT_PITCH_RANGE
    line = top_line(notes) or [60]
    low, high = min(line) - RANGE_MARGIN, max(line) + RANGE_MARGIN
    missing = MIN_MELODY_SPAN - (high - low)
    if missing > 0:
        low, high = low - missing // 2, high + (missing - missing // 2)
    low, high = max(low, floor), min(high, ceiling)
    if added:
        bottom = max(min(line) - ADDED_VOICES_SPAN, ADDED_VOICES_FLOOR)
    else:
        bottom = min(n.pitch for n in notes) - RANGE_MARGIN if notes else low
    lower = (max(min(bottom, low), floor), high)
    return [(low, high), *[lower] * (voices - 1)]


def tonic_triad(notes: Sequence[GridNote]) -> tuple[int, ...]:
    """The tonic triad's pitch classes in the canonical key (tonic C): major or minor as
    the input's key (``music.key.best_key``), tonic first."""
    weights = np.zeros(12)
    for note in notes:
        weights[note.pitch % 12] += note.duration
    key = best_key(weights)
    return (0, 3, 7) if key is not None and key.mode == "minor" else (0, 4, 7)


def input_bars(
    notes: Sequence[GridNote], time_signature: tuple[int, int]
) -> tuple[tuple[int, ...], ...]:
    """The input's bars with notes, each as its tokens after the ``Bar`` (the motif memory)."""
    tokens = encode(notes, time_signature, "folk")[2:]
    bars: list[tuple[int, ...]] = []
    current: list[int] = []
    for token in [*tokens, VOCAB.BAR]:
        if token == VOCAB.BAR:
            if current:
                bars.append(tuple(current))
            current = []
        else:
            current.append(token)
    return tuple(bars)


# ----- sampling ------------------------------------------------------------------------


def sample_continuation(
    plan: Plan,
    model: TokenModel,
    sampling: Sampling,
    rng: np.random.Generator,
    progress: Callable[[float], None] | None = None,
) -> list[int]:
    """The tokens after the prompt, until the steered grammar allows nothing more.
    ``progress`` hears how far into the extension the music has got (0-1)."""
    grammar = Grammar(
        plan.score.time_signature,
        min_step=plan.min_step,
        end_step=plan.end_step,
        monophonic=plan.monophonic,
        voices=plan.voices,
    )
    steering = Steering(grammar, plan.rules)
    for token in plan.prompt:
        steering.advance(token)
    steering.start()
    allowed = steering.allowed()
    generated: list[int] = []
    if not allowed.any():
        return generated
    logits = model.start(plan.prompt, plan.score.time_signature)
    for _ in range(token_bound(plan.end_step - plan.min_step, plan.monophonic)):
        weights = probabilities(steering.adjust(logits), allowed, sampling)
        copied = steering.copy_weights(allowed)
        if copied is not None:
            copy, share = copied
            weights = (1 - share) * weights + share * copy
        token = draw(weights, rng)
        steering.advance(token)
        generated.append(token)
        if progress is not None:
            reached = max(grammar.bar_start, grammar.onset) - plan.min_step
            progress(min(max(reached / max(plan.end_step - plan.min_step, 1), 0.0), 1.0))
        allowed = steering.allowed()
        if not allowed.any():
            break
        logits = model.step(token)
    return generated


def extend(
    score: Score,
    params: Mapping[str, ParamValue],
    seed: int,
    model_for_style: Callable[[str], TokenModel],
    progress: Callable[[float], None] | None = None,
    voicing: Voicing | None = None,
) -> Score:
    """``score`` followed by a continuation sampled from ``model_for_style(plan.style)``;
    a four-part one has its lower voices written again by ``voicing`` where given."""
    plan = plan_extension(
        score,
        input_duration=float(params["input_duration"]),
        extension_duration=float(params["extension_duration"]),
        texture=str(params.get("texture", "auto")),
    )
    sampling = Sampling.from_params(params)
    tokens = sample_continuation(
        plan, model_for_style(plan.style), sampling, np.random.default_rng(seed), progress
    )
    return stitch(plan, tokens, seed, voicing)


# ----- stitching -----------------------------------------------------------------------

# Writes a four-part continuation's lower voices again: (the input, its four voice tracks
# soprano first, the new notes with their voices, (prompt start, start, end) in ticks, the
# seed) -> the new notes (generation.transformer.voicing.bach_lower_voices).
Voicing = Callable[
    [Score, Sequence[Track], Sequence[tuple[int, Note]], tuple[int, int, int], int],
    list[tuple[int, Note]],
]


def new_notes(plan: Plan, tokens: Sequence[int]) -> list[tuple[int, Note]]:
    """The sampled notes with their voices (0 = the melody), in the input's ticks and
    register, cut at the end, each voice's last note held to it (velocity 0 until
    :func:`stitch` sets it)."""
    step = step_ticks(plan.score)
    signature = plan.score.time_signature
    already = len(decode(plan.prompt, signature))
    grid = decode([*plan.prompt, *tokens], signature)[already:]
    voices = Voices(plan.rules.voices, plan.rules.previous, plan.min_step).assign(grid)
    notes: list[tuple[int, Note]] = []
    for note, voice in zip(grid, voices, strict=True):
        start = max(round((note.start + plan.bar_offset) * step), plan.start_tick)
        end = min(round((note.end + plan.bar_offset) * step), plan.end_tick)
        if end > start and voice is not None:  # the grammar leaves every note a voice
            notes.append(
                (voice, Note(start, in_output_range(note.pitch - plan.shift), end - start, 0))
            )
    last = {voice: note for voice, note in notes}  # each voice's last note
    return [
        (voice, replace(note, duration=plan.end_tick - note.start) if last[voice] is note else note)
        for voice, note in notes
    ]


def in_output_range(pitch: int) -> int:
    """``pitch`` moved by whole octaves into ``OUTPUT_PITCH_RANGE`` (a guard: the steering
    samples every voice inside its range already)."""
    low, high = OUTPUT_PITCH_RANGE
    while pitch < low:
        pitch += 12
    while pitch > high:
        pitch -= 12
    return pitch


def stitch(
    plan: Plan, tokens: Sequence[int], seed: int = 0, voicing: Voicing | None = None
) -> Score:
    """The input with the new notes added, one voice per track (see the module doc); the
    lower voices of four (each on a track of the input's own) written by ``voicing``."""
    tracks = [replace(t, notes=list(t.notes)) for t in plan.score.tracks]
    homes = voice_tracks(plan, tracks)
    melody = tracks[homes[0]].notes
    loudness = [  # the input's median velocity of each voice's track (the melody's if new)
        int(_median(n.velocity for n in (tracks[home].notes or melody))) for home in homes
    ]
    notes = new_notes(plan, tokens)
    own_tracks = len(set(homes)) == len(homes) and max(homes) < len(plan.score.tracks)
    if voicing is not None and plan.voices == 4 and own_tracks:
        origin = plan.first_bar * plan.score.ticks_per_bar
        span = (origin, plan.start_tick, plan.end_tick)
        notes = voicing(plan.score, [tracks[h] for h in homes], notes, span, seed)
    for voice, note in notes:
        velocity = min(max(loudness[voice], 1), 127)
        tracks[homes[voice]].notes.append(replace(note, velocity=velocity))
    return replace(plan.score, tracks=[replace(t, notes=sorted(t.notes)) for t in tracks])


def voice_tracks(plan: Plan, tracks: list[Track]) -> list[int]:
    """The track of each voice, appending a track for each voice the input has none for.

    A melody continues on the pitched track sounding at the input's end. With several
    voices, the input's tracks (those with notes in the prompt) are ranked by their median
    pitch there: as many voices as tracks or fewer take tracks spread from the top one to
    the lowest; with more voices than tracks (chords on one piano track, or a melody asked
    to continue polyphonically) the melody keeps the top track, the lowest voices the
    other tracks, and the voices between get new tracks of the top track's instrument
    (named after it, "voice 2" and so on): a track never holds two new notes at once."""
    score = plan.score
    prompt_from = plan.first_bar * score.ticks_per_bar
    pitched = [(i, t.notes) for i, t in enumerate(score.tracks) if not t.is_drum and t.notes]
    recent = [(i, [n for n in notes if n.start >= prompt_from]) for i, notes in pitched]
    candidates = [(i, notes) for i, notes in recent if notes] or pitched
    count = plan.rules.voices
    if count == 1:
        speaking = max(candidates, key=lambda c: (max(n.end for n in c[1]), len(c[1])))
        return [speaking[0]]
    ranked = [i for i, _ in sorted(candidates, key=lambda c: -_median(n.pitch for n in c[1]))]
    if len(ranked) >= count:
        return [ranked[round(v * (len(ranked) - 1) / (count - 1))] for v in range(count)]
    top = tracks[ranked[0]]
    added = []
    for voice in range(1, count - len(ranked) + 1):
        name = f"{top.name or 'Track'} voice {voice + 1}"
        tracks.append(Track([], program=top.program, name=name))
        added.append(len(tracks) - 1)
    return [ranked[0], *added, *ranked[1:]]


def _median(values: Iterable[int]) -> float:
    return float(np.median(list(values)))
