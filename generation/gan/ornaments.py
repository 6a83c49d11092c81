"""Passing notes and suspensions written into the decoded voices, as a teacher adds them.

The Viterbi decoder (:mod:`generation.gan.decoding`) gives chord-tone lines: each voice
moves on the beat and sits on a consonance, so the voices never clash on a beat (about 2 %
of beats against Bach's 21 %) and rarely move in eighths between beats. Bach's inner voices
do both, in two figures this pass writes where the decoded lines already imply them:

- **passing note**: a voice that moves by a third from one beat to the next fills the
  second half of the first beat with the scale step between (C-E becomes C-D-E);
- **suspension**: a voice that moves down by step onto a beat holds its note into the
  first half of that beat, where it clashes with a lower part, and resolves down to the
  decoded note at the half beat (the 4-3, 7-6 and 9-8 suspensions).

A third pass (:func:`keep_moving`) keeps the texture moving where the decoded voices all
hold through a beat that the melody holds too, between onsets a beat and a half apart
(Bach never leaves such a gap: one part always strikes the beat): the lowest voice that
holds through the whole beat and can move there moves to another note of the sounding
chord (the bass by an octave); where none can, the lowest strikes its note again.

Each figure is written only where it keeps the rules the decoder keeps: no parallel fifths
or octaves (unisons) with any part, no unison with another part, no voice crossing, the
note between beats on the scale of the key (the model's key is C: the white keys), a
suspension only where the held note is dissonant against a part under it and resolves to
a consonance with every part. Where a figure fits, it is written with probability
``passing`` or ``suspension`` (from the style's :class:`~generation.gan.styles.Decoding`),
drawn from the caller's seeded generator, so the same seed gives the same voices.

Voices are the decoder's ``(columns, onsets)``: (V, T) pitch columns of the model's grid
(-1 for a rest, a common offset from MIDI pitches, so intervals are column differences),
lowest voice last; the melody is the line the decoder heard (T,), above every voice.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from generation.figures import PERFECT, SCALE, passing_sixteenths
from generation.gan.baseline import melody_index, top_line
from music.score import Note, Score

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
DISSONANT = (1, 2, 10, 11)  # seconds and sevenths, modulo the octave
FOURTH = 5  # dissonant above the lowest sounding part only


def ornament(
    columns: IntArray,
    onsets: BoolArray,
    melody: IntArray,
    beat_steps: int,
    low_pitch: int,
    passing: float,
    suspension: float,
    rng: np.random.Generator,
    min_steps: int = 1,
    still: BoolArray | None = None,
) -> tuple[IntArray, BoolArray]:
    """New ``(columns, onsets)`` with passing notes and suspensions written in.

    ``beat_steps`` is the grid steps per beat of the input's meter (even for a half beat
    to exist; otherwise nothing changes), ``low_pitch`` the MIDI pitch of column 0 (in
    the model's key of C), ``min_steps`` the shortest note the voices may have (every
    note a figure writes or shortens keeps at least that many steps), ``still`` (T,)
    the steps where no figure may start a note (under a held cadence:
    :func:`generation.gan.constraints.cadence_holds`). The voices are visited upper
    first, beat by beat, each decision seeing the ones before it.
    """
    columns, onsets = columns.copy(), onsets.copy()
    if beat_steps < 2 or beat_steps % 2 or (passing <= 0 and suspension <= 0):
        return columns, onsets
    half = beat_steps // 2
    if half < min_steps:
        return columns, onsets
    steps = columns.shape[1]
    if still is None:
        still = np.zeros(steps, dtype=np.bool_)
    # a figure a held cadence refuses still takes its draw, so the others keep theirs
    for beat in range(beat_steps, steps, beat_steps):
        for voice in range(columns.shape[0]):
            if suspension > 0 and _suspend(columns, onsets, melody, voice, beat, half, min_steps):
                if rng.random() < suspension and not still[beat + half]:
                    _write_suspension(columns, onsets, voice, beat, half)
                continue
            if passing > 0:
                between = _passing_note(
                    columns, onsets, melody, voice, beat, half, low_pitch, min_steps
                )
                if between is not None and rng.random() < passing and not still[beat - half]:
                    columns[voice, beat - half : beat] = between
                    onsets[voice, beat - half] = True
    return columns, onsets


def keep_moving(
    columns: IntArray,
    onsets: BoolArray,
    melody: tuple[IntArray, BoolArray],
    beat_steps: int,
    ranges: IntArray | None,
    rng: np.random.Generator,
    still: BoolArray | None = None,
) -> tuple[IntArray, BoolArray]:
    """New ``(columns, onsets)`` where each beat before the melody's last note (the final
    chord stays as it is) at which no part starts a note, and whose gap between onsets
    (of every part) is a beat and a half, gets one: the lowest voice holding its note
    from before the beat to at least the next one that can move there to another pitch
    class of the chord sounding (within a fourth; the lowest voice by an octave only, so
    the chord keeps its bass) while keeping the rules above does so, at random among
    those moves; where none can, the lowest such voice strikes its note again.
    ``melody`` is the heard line and its onsets, (T,) each; ``ranges`` (V, 2) each
    voice's lowest and highest column (None: anywhere); beats where ``still`` (T,) is
    True (a held cadence) and meters with an odd number of steps per beat are left
    alone."""
    columns, onsets = columns.copy(), onsets.copy()
    line, melody_onsets = melody
    if beat_steps < 2 or beat_steps % 2:
        return columns, onsets
    count, steps = columns.shape
    end = int(np.flatnonzero(melody_onsets)[-1]) if melody_onsets.any() else 0
    for beat in range(beat_steps, min(end, steps - 1), beat_steps):
        struck = onsets.any(axis=0) | melody_onsets
        if struck[beat] or line[beat] < 0 or (still is not None and still[beat]):
            continue
        before, after = np.flatnonzero(struck[:beat]), np.flatnonzero(struck[beat:])
        if not before.size or not after.size:
            continue
        if beat + after[0] - before[-1] != 3 * beat_steps // 2:
            continue
        holding = []
        for voice in reversed(range(count)):
            start, stop = _note_span(columns, onsets, voice, beat)
            if columns[voice, beat] >= 0 and start < beat and stop >= beat + beat_steps:
                holding.append((voice, stop))
        for voice, stop in holding:
            choices = _chord_moves(columns, line, voice, (beat, stop), ranges)
            if choices:
                columns[voice, beat:stop] = choices[int(rng.integers(len(choices)))]
                onsets[voice, beat] = True
                break
        else:
            if holding:
                onsets[holding[0][0], beat] = True
    return columns, onsets


def _chord_moves(
    columns: IntArray,
    melody: IntArray,
    voice: int,
    span: tuple[int, int],
    ranges: IntArray | None,
) -> list[int]:
    """The columns voice ``voice`` may move to for the rest of its note over ``span``
    (from a beat to the note's end): another note of the chord sounding at the beat,
    within a fourth (the lowest voice: its own pitch class an octave away), in its
    range, clashing with no part over the span (:func:`_clashes`), crossing none,
    making no parallel fifth or octave into the beat or out of the note."""
    beat, stop = span
    held = int(columns[voice, beat])
    sounding = [int(p) for p in _parts(columns, melody, beat) if p >= 0]
    lowest = voice == columns.shape[0] - 1
    low, high = (0, 10**6) if ranges is None else (int(ranges[voice, 0]), int(ranges[voice, 1]))
    if lowest:
        candidates = [held - 12, held + 12]
    else:
        classes = {p % 12 for p in sounding}
        candidates = [p for p in range(held - FOURTH, held + FOURTH + 1) if p % 12 in classes]
    found = []
    for pitch in candidates:
        if pitch == held or not low <= pitch <= high:
            continue
        if _clashes(columns, melody, voice, span, pitch):  # unisons too
            continue
        trial = columns.copy()
        trial[voice, beat:stop] = pitch
        if not all(_fits_between(trial, melody, voice, s, pitch) for s in range(beat, stop)):
            continue
        if _makes_parallel(trial, melody, voice, beat, held, pitch):
            continue
        after = int(trial[voice, stop]) if stop < trial.shape[1] else -1
        if after >= 0 and _makes_parallel(trial, melody, voice, stop, pitch, after):
            continue
        found.append(pitch)
    return found


def _clashes(
    columns: IntArray, melody: IntArray, voice: int, span: tuple[int, int], pitch: int
) -> bool:
    """Whether ``pitch`` sounds a second, a seventh or a unison against another part
    anywhere in ``span`` (the note may outlast the chord it moved in)."""
    for step in range(*span):
        parts = _parts(columns, melody, step)
        others = [int(p) for i, p in enumerate(parts) if i != voice + 1 and p >= 0]
        if any((pitch - p) % 12 in DISSONANT or pitch == p for p in others):
            return True
    return False


def _parts(columns: IntArray, melody: IntArray, step: int) -> IntArray:
    """Every part's column at ``step``, the melody first, then the voices high to low."""
    return np.concatenate([[melody[step]], columns[:, step]])


def _note_span(columns: IntArray, onsets: BoolArray, voice: int, step: int) -> tuple[int, int]:
    """``(start, end)`` of the note voice ``voice`` sounds at ``step``."""
    line, starts = columns[voice], onsets[voice]
    start = step
    while start > 0 and line[start - 1] == line[step] and not starts[start]:
        start -= 1
    end = step + 1
    while end < len(line) and line[end] == line[step] and not starts[end]:
        end += 1
    return start, end


def _makes_parallel(
    columns: IntArray, melody: IntArray, voice: int, step: int, before: int, after: int
) -> bool:
    """Whether voice ``voice`` moving ``before`` -> ``after`` into ``step`` makes a
    parallel fifth or octave with a part that also moves there."""
    if step == 0 or before == after:
        return False
    then, now = _parts(columns, melody, step - 1), _parts(columns, melody, step)
    for part in range(len(now)):
        if part == voice + 1 or then[part] < 0 or now[part] < 0 or then[part] == now[part]:
            continue
        if abs(before - then[part]) % 12 in PERFECT and (
            abs(before - then[part]) % 12 == abs(after - now[part]) % 12
        ):
            return True
    return False


def _fits_between(columns: IntArray, melody: IntArray, voice: int, step: int, pitch: int) -> bool:
    """No unison with another part and no crossing of the parts above or below."""
    parts = _parts(columns, melody, step)
    above = [p for p in parts[: voice + 1] if p >= 0]
    below = [p for p in parts[voice + 2 :] if p >= 0]
    return all(p > pitch for p in above) and all(p < pitch for p in below)


def _passing_note(
    columns: IntArray,
    onsets: BoolArray,
    melody: IntArray,
    voice: int,
    beat: int,
    half: int,
    low_pitch: int,
    min_steps: int,
) -> int | None:
    """The column of the passing note that fits before ``beat``, or None."""
    line = columns[voice]
    before, after = int(line[beat - 1]), int(line[beat])
    if before < 0 or after < 0 or not onsets[voice, beat] or abs(after - before) not in (3, 4):
        return None
    start, _ = _note_span(columns, onsets, voice, beat - 1)
    # the note must fill the beat before, to give half of it, and keep min_steps
    if start > min(beat - 2 * half, beat - half - min_steps):
        return None
    direction = 1 if after > before else -1
    steps = [
        before + direction * d for d in (1, 2) if (before + direction * d + low_pitch) % 12 in SCALE
    ]
    if len(steps) != 1 or abs(after - steps[0]) > 2:  # two steps, no augmented second
        return None
    between = steps[0]
    trial = columns.copy()
    trial[voice, beat - half : beat] = between
    if not all(_fits_between(trial, melody, voice, s, between) for s in range(beat - half, beat)):
        return None
    if _makes_parallel(trial, melody, voice, beat - half, before, between):
        return None
    if _makes_parallel(trial, melody, voice, beat, between, after):
        return None
    return between


def _suspend(
    columns: IntArray,
    onsets: BoolArray,
    melody: IntArray,
    voice: int,
    beat: int,
    half: int,
    min_steps: int,
) -> bool:
    """Whether voice ``voice`` can hold its note into ``beat`` as a suspension."""
    line = columns[voice]
    held, resolution = int(line[beat - 1]), int(line[beat])
    if held < 0 or resolution < 0 or not onsets[voice, beat] or held - resolution not in (1, 2):
        return False
    _, end = _note_span(columns, onsets, voice, beat)
    if end < beat + half + min_steps:  # the resolution keeps a note's length of its own
        return False
    trial = columns.copy()
    trial[voice, beat : beat + half] = held
    parts = _parts(trial, melody, beat)
    lower = [p for p in parts[voice + 2 :] if p >= 0]
    if not lower or not all(
        _fits_between(trial, melody, voice, s, held) for s in range(beat, beat + half)
    ):
        return False
    dissonant = any((held - p) % 12 in DISSONANT for p in lower) or (
        (held - min(lower)) % 12 == FOURTH
    )
    if not dissonant:
        return False
    landing = _parts(trial, melody, beat + half)
    others = [p for i, p in enumerate(landing) if i != voice + 1 and p >= 0]
    if any(abs(resolution - p) % 12 in DISSONANT or resolution == p for p in others):
        return False
    bass = min([resolution, *others])
    if resolution != bass and (resolution - bass) % 12 == FOURTH:
        return False
    return not _makes_parallel(trial, melody, voice, beat + half, held, resolution)


def _write_suspension(
    columns: IntArray, onsets: BoolArray, voice: int, beat: int, half: int
) -> None:
    columns[voice, beat : beat + half] = columns[voice, beat - 1]
    onsets[voice, beat] = False
    onsets[voice, beat + half] = True


def sixteenths(
    score: Score,
    voices: Sequence[Sequence[Note]],
    probability: float,
    move: int,
    steps_per_beat: int,
    rng: np.random.Generator,
) -> list[list[Note]]:
    """The decoded ``voices`` (output pitches) with sixteenth-note passing notes
    (:func:`generation.figures.passing_sixteenths`) where they fit under ``score``'s
    melody, each with ``probability``; ``move`` takes the output to the key of C."""
    if not probability:
        return [list(notes) for notes in voices]
    melody = top_line(score.tracks[melody_index(score)].notes, score.resolution)
    eighth = score.resolution // steps_per_beat
    written = [False] + [True] * len(voices)
    return passing_sixteenths([melody, *voices], written, eighth, move, rng, probability)[1:]
