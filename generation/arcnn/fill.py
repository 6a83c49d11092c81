"""The AR-CNN's network writing the lower voices of a stretch of a four-voice piece.

The Transformer continues a four-part chorale by sampling all four voices as tokens; its
melody is good and its lower voices are not (they zig-zag, repeat and never rest: the
classifier test tells them from Bach's every time). :func:`fill_lower_voices` writes them
again with the network that harmonises melodies in the AR-CNN: the alto, tenor and bass of
``[start_tick, end)`` hidden, everything else (the prompt's four voices, the new melody)
given, Coconet's annealed Gibbs sampling over the hidden cells, the sampler's priors
(parallels, sitting on one pitch), its passing notes and the sixteenth passing notes of
:mod:`generation.figures`.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from generation.arcnn.gibbs import (
    TEMPERATURE_AT_RISK_1,
    Sampling,
    prepare,
    sample,
    shipped_model,
)
from generation.arcnn.lines import voice_notes, without_overlaps
from generation.arcnn.network import VOICES, Inpainter
from generation.figures import passing_sixteenths
from music.score import Note, Score

# Gibbs steps over the stretch: the AR-CNN's default.
FILL_ITERATIONS = 100
# The parallels prior, twice the AR-CNN's: at its 4 the filled voices wrote 0.55 parallel
# fifths and octaves per 100 moves of any two voices, 2.5 times Bach's, where the
# Transformer's own voices, which forbid them, had none; at 8, 0.06 (validation split,
# 40 continuations of chorales, two seeds; see the Transformer's model card).
FILL_PARALLEL_COST = 8.0


def fill_lower_voices(
    score: Score,
    start_tick: int,
    seed: int,
    end_tick: int | None = None,
    model: Inpainter | None = None,
    iterations: int = FILL_ITERATIONS,
) -> list[list[Note]]:
    """The alto's, tenor's and bass's notes from ``start_tick`` to ``end_tick`` (the end
    of ``score`` if None), written under the melody of ``score`` (four pitched tracks,
    soprano to bass by mean pitch, as the AR-CNN reads four voices), after everything
    before ``start_tick`` and before everything from ``end_tick`` on (a final chord), in
    the input's pitches (velocity 80: the caller's to set). ``model``: the shipped
    network if None.

    A note that would begin before ``start_tick`` (a held prompt note the network goes
    on with) begins at it, one that would end after ``end_tick`` ends there: the notes
    outside are the caller's."""
    model = model or shipped_model()
    config = model.config
    spb = config.steps_per_beat
    if score.resolution % spb:
        raise ValueError("the resolution must hold whole grid steps")
    piece = prepare(score, config)
    steps = piece.columns.shape[1]
    end_tick = score.end_tick if end_tick is None else end_tick
    first = min(math.ceil(start_tick * spb / score.resolution), steps)
    last = min(math.ceil(end_tick * spb / score.resolution), steps)
    writable = np.zeros((VOICES, steps), dtype=np.bool_)
    writable[1:, first:last] = True
    rng = np.random.default_rng(seed)
    if writable.any():
        sampling = Sampling(iterations, TEMPERATURE_AT_RISK_1, remove_pct=0.0)
        columns, onsets = sample(
            model, piece, sampling, rng, writable=writable, parallel_cost=FILL_PARALLEL_COST
        )
    else:
        columns, onsets = piece.columns, piece.onsets
    offset = config.low_pitch - piece.key_move - piece.octave_move  # the input's pitches
    voices = [
        without_overlaps(voice_notes(columns[v], onsets[v], offset, spb, score.resolution, 80))
        for v in range(VOICES)
    ]
    eighth = score.resolution // spb
    voices = passing_sixteenths(voices, [False, True, True, True], eighth, piece.key_move, rng)
    return [
        [
            _within(n, start_tick, end_tick)
            for n in notes
            if n.end > start_tick and n.start < end_tick
        ]
        for notes in voices[1:]
    ]


def _within(note: Note, start: int, end: int) -> Note:
    begin, finish = max(note.start, start), min(note.end, end)
    return replace(note, start=begin, duration=finish - begin)
