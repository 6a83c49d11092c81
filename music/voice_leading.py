"""Voice-leading checks over finished voices, and the passing tones a harmoniser adds.

:func:`parallel_motions` is the strict check a teacher makes: at every onset of any voice
it takes the pitch each voice sounds, and counts, for a pair of voices, the moves where
both voices change pitch and the interval between them is a perfect fifth or an octave
(unison, compound) before and after (parallel or contrary fifths and octaves).
:func:`add_passing_tones` fills thirds in the lower voices with eighth notes, as Bach
does, keeping only those that make no parallels and no semitone clash.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import replace
from itertools import combinations
from typing import TYPE_CHECKING

import numpy as np

from music.score import Note

if TYPE_CHECKING:
    from music.harmony_chords import Chord, Slot

MAJOR_SCALE = (0, 2, 4, 5, 7, 9, 11)
MINOR_RISING = (0, 2, 3, 5, 7, 9, 11)  # melodic minor going up
MINOR_FALLING = (0, 2, 3, 5, 7, 8, 10)  # natural minor coming down
CLASHES = (1, 11)  # minor seconds and major sevenths (and compounds) against any voice


def sounding(notes: Sequence[Note], times: Sequence[int]) -> list[int]:
    """The pitch ``notes`` (one voice, sorted, not overlapping) sounds at each time (-1 if
    none)."""
    starts = [n.start for n in notes]
    out = []
    for t in times:
        i = bisect.bisect_right(starts, t) - 1
        out.append(notes[i].pitch if i >= 0 and notes[i].end > t else -1)
    return out


def parallel_motions(
    voices: Sequence[Sequence[Note]], start: int = 0, end: int | None = None
) -> tuple[int, int]:
    """``(parallels, moves)`` summed over every pair of voices, between ``start`` and
    ``end`` ticks: ``moves`` counts consecutive onsets where both voices of a pair sound
    and both change pitch, ``parallels`` those of them with a perfect fifth or octave
    (modulo the octave) on both sides."""
    times = sorted(
        {n.start for v in voices for n in v if n.start >= start and (end is None or n.start < end)}
    )
    grid = np.array([sounding(v, times) for v in voices]).reshape(len(voices), len(times))
    parallels = moves = 0
    for a, b in combinations(range(len(voices)), 2):
        x, y = grid[a], grid[b]
        both = (x[:-1] >= 0) & (x[1:] >= 0) & (y[:-1] >= 0) & (y[1:] >= 0)
        moving = both & (x[1:] != x[:-1]) & (y[1:] != y[:-1])
        before, after = (x[:-1] - y[:-1]) % 12, (x[1:] - y[1:]) % 12
        parallels += int((moving & (before == after) & ((after == 0) | (after == 7))).sum())
        moves += int(moving.sum())
    return parallels, moves


def tie_repeats(notes: list[Note], slots: Sequence[Slot], chords: Sequence[Chord]) -> list[Note]:
    """Notes of one voice with a repeated pitch tied over where the chord is repeated."""
    chord_at = {slot.start: chord for slot, chord in zip(slots, chords, strict=True)}
    out: list[Note] = []
    for note in notes:
        last = out[-1] if out else None
        same = last is not None and chord_at.get(note.start) is chord_at.get(last.start)
        if last is not None and same and last.pitch == note.pitch and last.end == note.start:
            out[-1] = replace(last, duration=note.end - last.start)
        else:
            out.append(note)
    return out


def add_passing_tones(
    melody: list[Note],
    lower: list[list[Note]],
    slots: Sequence[Slot],
    chords: Sequence[Chord],
    tonic: int,
    mode: str,
    resolution: int,
    time_signature: tuple[int, int],
    rng: np.random.Generator | None,
) -> list[list[Note]]:
    """``lower`` (alto, tenor, bass; one note per slot) with eighth-note passing tones
    filling thirds between beats: at most one voice a beat, the bass first (or in a
    random order with ``rng``), only where the result has no new parallels, no crossing
    and no semitone clash with another voice."""
    eighth = resolution // 2
    if eighth < 1:
        return lower
    voices = [sorted(melody), *[list(v) for v in lower]]
    for k in range(len(slots) - 1):
        slot, after = slots[k], slots[k + 1]
        if slot.end != after.start or slot.end - slot.start < resolution or slot.phrase_end:
            continue
        order = [3, 2, 1] if rng is None else [int(v) + 1 for v in rng.permutation(3)]
        for voice in order:
            filled = _try_passing(
                voices, voice, slot, after, chords[k], chords[k + 1], tonic, mode, eighth
            )
            if filled is not None:
                voices[voice] = filled
                break
    return voices[1:]


def _try_passing(
    voices: list[list[Note]],
    voice: int,
    slot: Slot,
    after: Slot,
    chord: Chord,
    next_chord: Chord,
    tonic: int,
    mode: str,
    eighth: int,
) -> list[Note] | None:
    notes = voices[voice]
    index = bisect.bisect_left([n.start for n in notes], slot.start)
    if index + 1 >= len(notes) or notes[index].start != slot.start:
        return None
    first, second = notes[index], notes[index + 1]
    interval = second.pitch - first.pitch
    if abs(interval) not in (3, 4) or first.end != second.start:
        return None
    pitch = _step_between(first.pitch, second.pitch, tonic, mode, chord, next_chord)
    at = first.end - eighth
    if pitch is None or at <= first.start:
        return None
    others = [sounding(v, [at])[0] for i, v in enumerate(voices) if i != voice]
    above = sounding(voices[voice - 1], [at])[0]
    below = sounding(voices[voice + 1], [at])[0] if voice < 3 else -1
    if (above >= 0 and pitch >= above) or (below >= 0 and pitch <= below):
        return None
    if any(p >= 0 and abs(pitch - p) % 12 in CLASHES for p in others):
        return None
    changed = [*notes[:index], replace(first, duration=at - first.start)]
    changed += [Note(at, pitch, first.end - at, first.velocity), *notes[index + 1 :]]
    trial = [changed if i == voice else v for i, v in enumerate(voices)]
    window = (slot.start, after.end + 1)
    if parallel_motions(trial, *window)[0] > parallel_motions(voices, *window)[0]:
        return None
    return changed


def _step_between(
    low: int, high: int, tonic: int, mode: str, chord: Chord, next_chord: Chord
) -> int | None:
    """The scale step between two pitches a third apart (melodic minor in minor keys),
    unless it would clash chromatically with either chord."""
    rising = high > low
    scale = MAJOR_SCALE if mode == "major" else MINOR_RISING if rising else MINOR_FALLING
    classes = {(tonic + d) % 12 for d in scale}
    chord_classes = {(tonic + d) % 12 for c in (chord, next_chord) for d in c.degrees}
    step = 1 if rising else -1
    for pitch in range(low + step, high, step):
        pc = pitch % 12
        if pc not in classes or abs(pitch - low) > 2 or abs(high - pitch) > 2:
            continue
        chromatic = chord_classes - classes
        if (pc + 1) % 12 in chromatic or (pc - 1) % 12 in chromatic:
            return None
        return pitch
    return None
