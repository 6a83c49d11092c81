"""A rule-based four-part (SATB) harmoniser that a harmony teacher would pass.

Given a melody it returns soprano (the melody, unchanged), alto, tenor and bass:

1. **Key**: the Krumhansl-Schmuckler key (:mod:`music.key`) of the melody's
   duration-weighted pitch classes, nudged towards keys whose tonic triad holds the last
   note (a hymn tune ends on its tonic triad), so that relative keys are told apart.
2. **Harmonic rhythm**: one chord per beat (a dotted quarter in 6/8, 9/8 and 12/8); the
   melody's notes between beats are passing or neighbour tones where they move by step,
   and chords that hold them too are preferred where they leap.
3. **Phrases and cadences**: a phrase ends on a note held two beats or more (a fermata in
   a chorale) and at the end. The end is an authentic cadence (V-I, root position, after
   a predominant or a cadential 6-4 where the melody allows); inner phrase ends prefer a
   half cadence (on V) or an authentic one. Minor keys use the raised leading tone in
   V and vii°, and may end on a major tonic (tierce de Picardie), as Bach does.
4. **Chords and voices together**, by dynamic programming (Viterbi) over every voicing
   of every chord that holds the melody note: the cost of a path adds the chord grammar
   (:mod:`music.harmony_chords`: functions, secondary dominants resolving, no
   retrogressions) and the voice leading (:mod:`music.voicing`: ranges, spacing, no
   crossing, no parallel fifths or octaves in any pair, tendency tones resolved, common
   tones and steps in the inner voices).
5. **Passing tones**: eighth notes filling a third in the alto, tenor or bass between
   beats, at most one voice a beat, never making parallels or semitone clashes
   (:mod:`music.voice_leading`).

Deterministic: without a ``seed`` it returns the cheapest harmonisation; a seed adds a
little noise (``variety``) to every choice, so different seeds give different
harmonisations of near-equal cost ("the best of several tries").
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from music.harmony_chords import Chord, Slot, chords, transition_matrix
from music.key import KEY_PROFILES
from music.score import Note, Score, Track
from music.voice_leading import add_passing_tones, tie_repeats
from music.voicing import motion_costs, voicings

FINAL_BONUS, TRIAD_BONUS = 0.2, 0.08  # key evidence of the last note: tonic, in the triad
PHRASE_BEATS = 2  # a melody note this long (in beats) ends a phrase
OFF_CHORD = 12.0  # a chord that does not hold the melody note (only when none does)
NO_CADENCE = 30.0  # a last chord that is not the tonic
DEFAULT_VARIETY = 1.0
VOICE_NAMES = ("Soprano", "Alto", "Tenor", "Bass")


class HarmoniserError(ValueError):
    """A melody the harmoniser cannot work on (no notes, no pitched track)."""


@dataclass(frozen=True)
class Harmonisation:
    """Four voices high to low (the soprano is the melody as given) and the analysis."""

    tonic: int
    mode: str
    chords: tuple[str, ...]  # one name per slot, e.g. "V7/V"
    slots: tuple[Slot, ...]
    voices: tuple[list[Note], list[Note], list[Note], list[Note]]


def melody_index(score: Score) -> int:
    """The melody: the pitched track with the most notes (the first of equals)."""
    counts = [(len(t.notes), -i) for i, t in enumerate(score.tracks) if not t.is_drum]
    if not counts:
        raise HarmoniserError("the score has no pitched track to harmonise")
    return -max(counts)[1]


def harmonise_score(score: Score, *, seed: int | None = None, velocity: int | None = None) -> Score:
    """``score``'s melody (:func:`melody_index`) as the soprano of a four-part score:
    tracks Soprano (the melody track's notes as given), Alto, Tenor and Bass."""
    melody = score.tracks[melody_index(score)]
    result = harmonise_melody(
        melody.notes, score.resolution, score.time_signature, seed=seed, velocity=velocity
    )
    tracks = [Track(list(melody.notes), program=melody.program, name=VOICE_NAMES[0])]
    tracks += [
        Track(notes, program=melody.program, name=name)
        for notes, name in zip(result.voices[1:], VOICE_NAMES[1:], strict=True)
    ]
    return replace(score, tracks=tracks)


def harmonise_melody(
    notes: Sequence[Note],
    resolution: int,
    time_signature: tuple[int, int] = (4, 4),
    *,
    seed: int | None = None,
    variety: float = DEFAULT_VARIETY,
    velocity: int | None = None,
) -> Harmonisation:
    """Alto, tenor and bass under the melody ``notes`` (see the module docstring)."""
    line = skyline(notes)
    if not line:
        raise HarmoniserError("the melody has no notes to harmonise")
    if resolution < 2:
        raise HarmoniserError(f"a resolution of {resolution} ticks per quarter is too coarse")
    tonic, mode = harmoniser_key(line)
    slots = make_slots(line, resolution, time_signature)
    rng = None if seed is None else np.random.default_rng(seed)
    vocabulary = chords(mode)
    path = _best_path(slots, vocabulary, tonic, mode, _octave_offset(line), rng, variety)
    if velocity is None:
        velocity = int(np.clip(round(float(np.median([n.velocity for n in line])) * 0.85), 1, 127))
    chosen = [vocabulary[c] for c, _ in path]
    lower = [
        [
            Note(s.start, int(v[voice]), s.end - s.start, velocity)
            for s, (_, v) in zip(slots, path, strict=True)
        ]
        for voice in (1, 2, 3)
    ]
    lower = add_passing_tones(
        list(notes), lower, slots, chosen, tonic, mode, resolution, time_signature, rng
    )
    lower = [tie_repeats(voice, slots, chosen) for voice in lower]
    return Harmonisation(
        tonic,
        mode,
        tuple(c.name for c in chosen),
        tuple(slots),
        (sorted(notes), lower[0], lower[1], lower[2]),
    )


# ----- the melody ------------------------------------------------------------------------


def skyline(notes: Sequence[Note]) -> list[Note]:
    """One note at a time: the highest of those starting together, each cut at the next
    onset (a melody track with chords or overlaps becomes a line)."""
    by_start: dict[int, Note] = {}
    for note in notes:
        if note.duration > 0 and (
            note.start not in by_start or note.pitch > by_start[note.start].pitch
        ):
            by_start[note.start] = note
    line = [by_start[s] for s in sorted(by_start)]
    return [
        replace(n, duration=min(n.duration, line[i + 1].start - n.start))
        if i + 1 < len(line)
        else n
        for i, n in enumerate(line)
    ]


def harmoniser_key(line: Sequence[Note]) -> tuple[int, str]:
    """``(tonic, mode)``: Krumhansl-Schmuckler correlations of the duration-weighted pitch
    classes, plus :data:`FINAL_BONUS` for the key whose tonic is the last note and
    :data:`TRIAD_BONUS` for keys whose tonic triad holds it."""
    weights = np.zeros(12)
    for note in line:
        weights[note.pitch % 12] += note.duration
    centred = weights - weights.mean()
    norm = float(np.sqrt(centred @ centred))
    scores = KEY_PROFILES @ (centred / norm) if norm else np.zeros(24)
    last = line[-1].pitch % 12
    for key in range(24):
        tonic, third = key % 12, (4 if key < 12 else 3)
        degree = (last - tonic) % 12
        scores[key] += FINAL_BONUS * (degree == 0) + TRIAD_BONUS * (degree in (third, 7))
    best = int(np.argmax(scores))
    return best % 12, ("major", "minor")[best // 12]


def beat_ticks(resolution: int, time_signature: tuple[int, int]) -> int:
    """One chord's span: a quarter, or a dotted quarter in compound meters (6/8, 9/8, 12/8)."""
    numerator, denominator = time_signature
    if denominator == 8 and numerator % 3 == 0 and numerator > 3:
        return 3 * resolution // 2
    return resolution


def make_slots(
    line: Sequence[Note], resolution: int, time_signature: tuple[int, int]
) -> list[Slot]:
    """The chord spans of a melody line: one per beat the melody sounds in, one for the
    whole of a phrase-ending note (held :data:`PHRASE_BEATS` beats or more, or the last)."""
    beat = beat_ticks(resolution, time_signature)
    bar = resolution * 4 * time_signature[0] // max(time_signature[1], 1)
    starts = [n.start for n in line]
    ends_phrase = {i for i, n in enumerate(line) if n.duration >= PHRASE_BEATS * beat}
    ends_phrase.add(len(line) - 1)
    slots: list[Slot] = []
    grid = line[0].start - line[0].start % beat
    while grid < line[-1].end:
        index = bisect.bisect_right(starts, grid) - 1
        sounding = index >= 0 and line[index].end > grid
        if not sounding:
            index += 1  # the first note starting in this beat, if any
            if index >= len(line) or line[index].start >= grid + beat:
                grid += beat
                continue
        note = line[index]
        start = max(grid, note.start)
        if index in ends_phrase and note.start >= grid:
            end = note.end  # one chord under the whole held note
        else:
            end = min(grid + beat, line[-1].end)
        inside = [i for i in range(index + 1, len(line)) if start < line[i].start < end]
        last = inside[-1] if inside else index
        passing = tuple(
            (
                line[i - 1].pitch,
                line[i].pitch,
                line[i + 1].pitch if i + 1 < len(line) else line[i].pitch,
            )
            for i in inside
        )
        slots.append(
            Slot(
                start=start,
                end=end,
                pitch=note.pitch,
                exit=line[last].pitch,
                passing=passing,
                held=note.start < start,
                strong=start % bar == 0 if bar else False,
                phrase_end=index in ends_phrase and note.start >= grid,
                final=index == len(line) - 1 and note.start >= grid,
            )
        )
        grid = max(grid + beat, end - end % beat if end % beat == 0 else end - end % beat + beat)
    return slots


def _octave_offset(line: Sequence[Note]) -> int:
    """Octaves to move the lower voices' ranges by for a melody sitting high or low."""
    median = float(np.median([n.pitch for n in line]))
    return int(12 * round((median - 69) / 12)) if not 60 <= median <= 79 else 0


# ----- the search ------------------------------------------------------------------------


def _slot_chord_costs(
    slots: Sequence[Slot], vocabulary: Sequence[Chord], tonic: int
) -> list[list[tuple[int, float]]]:
    """Per slot, the (chord index, cost) pairs allowed there: the melody note must be a
    chord tone, the phrase position (start, cadences, the end) and the melody's notes
    between beats add their costs."""
    allowed = []
    for k, slot in enumerate(slots):
        pair = []
        for c, chord in enumerate(vocabulary):
            classes = {(tonic + d) % 12 for d in chord.degrees}
            cost = chord.cost + _position_cost(slots, k, chord)
            if cost >= NO_CADENCE:
                continue
            for _, pitch, _ in slot.passing:
                cost += _passing_cost(slot, pitch, classes)
            pair.append((c, cost + (0.0 if slot.pitch % 12 in classes else OFF_CHORD)))
        fits = [(c, cost) for c, cost in pair if cost < OFF_CHORD]
        allowed.append(fits or pair)
    return allowed


def _passing_cost(slot: Slot, pitch: int, classes: set[int]) -> float:
    if pitch % 12 in classes:
        return 0.0
    for previous, p, following in slot.passing:
        if p == pitch:
            steps = (abs(p - previous) <= 2) + (abs(following - p) <= 2)
            return (2.5, 0.8, 0.15)[steps]
    return 0.0


def _position_cost(slots: Sequence[Slot], k: int, chord: Chord) -> float:
    slot = slots[k]
    tonic_chord = chord.root == 0 and chord.function == "T"
    dominant = chord.root == 7 and chord.target == 0
    if chord.final_only and not slot.final:
        return NO_CADENCE
    if slot.final:
        return 0.0 if tonic_chord else NO_CADENCE
    after = slots[k + 1] if k + 1 < len(slots) else None
    if chord.cadential:  # only just before the cadence's V, on a stronger beat
        ok = after is not None and (_is_penultimate(slots, k + 1) or after.phrase_end)
        return 0.0 if ok and not after.strong else NO_CADENCE  # type: ignore[union-attr]
    cost = 0.0
    if k == 0:
        cost += 0.0 if tonic_chord else 1.0 if dominant else 3.0
    if _is_penultimate(slots, k):
        cost += 0.0 if dominant else 2.0 if chord.name.startswith("vii") else 8.0
    elif slot.phrase_end:
        cost += 0.0 if tonic_chord else 0.3 if dominant else 1.5 if chord.root in (8, 9) else 4.0
    if chord.is_secondary and (after is None or after.final):
        cost += 5.0
    return cost


def _is_penultimate(slots: Sequence[Slot], k: int) -> bool:
    return k + 1 < len(slots) and slots[k + 1].final and not slots[k].final


def _best_path(
    slots: Sequence[Slot],
    vocabulary: Sequence[Chord],
    tonic: int,
    mode: str,
    offset: int,
    rng: np.random.Generator | None,
    variety: float,
) -> list[tuple[int, np.ndarray]]:
    """The cheapest (chord index, voicing) per slot, by Viterbi over all of them."""
    table = {held: transition_matrix(tuple(vocabulary), mode, held=held) for held in (False, True)}
    leading_of = np.array(
        [-1 if c.leading_tone is None else (tonic + c.leading_tone) % 12 for c in vocabulary]
    )
    seventh_of = np.array(
        [-1 if c.seventh is None else (tonic + c.seventh) % 12 for c in vocabulary]
    )
    holds = np.array(
        [
            [(leading_of[a] + 1) % 12 in {(tonic + d) % 12 for d in b.degrees} for b in vocabulary]
            for a in range(len(vocabulary))
        ]
    )
    states_of, total, back = [], None, []
    for k, slot in enumerate(_slot_chord_costs(slots, vocabulary, tonic)):
        pitches, ids, unary = _states(slots[k], slot, vocabulary, tonic, offset)
        if rng is not None:
            unary = unary + rng.uniform(0.0, variety, size=len(unary))
        if total is None:
            total = unary
            back.append(np.zeros(len(unary), dtype=np.int64))
        else:
            previous, previous_ids = states_of[-1]
            cost = motion_costs(
                previous,
                pitches,
                slots[k - 1].exit,
                leading_of[previous_ids],
                holds[previous_ids][:, ids],
                seventh_of[previous_ids],
                previous_ids[:, None] == ids[None, :],
            )
            cost += table[slots[k].held][previous_ids][:, ids]
            if slots[k].strong and not slots[k].held:  # a chord held over the barline
                cost += 0.8 * (previous_ids[:, None] == ids[None, :])
            cost += total[:, None]
            best = np.argmin(cost, axis=0)
            total = cost[best, np.arange(len(ids))] + unary
            back.append(best)
        states_of.append((pitches, ids))
    assert total is not None
    state = int(np.argmin(total))
    path = []
    for k in range(len(slots) - 1, -1, -1):
        pitches, ids = states_of[k]
        path.append((int(ids[state]), pitches[state]))
        state = int(back[k][state])
    return path[::-1]


def _states(
    slot: Slot,
    allowed: list[tuple[int, float]],
    vocabulary: Sequence[Chord],
    tonic: int,
    offset: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every voicing of every allowed chord: (N, 4) pitches, (N,) chord ids, (N,) costs.
    Ranges are relaxed step by step only when no chord can be voiced within them."""
    for relax in range(4):
        rows, ids, costs = [], [], []
        for c, chord_cost in allowed:
            chord = vocabulary[c]
            pitches, voicing_cost = voicings(chord, tonic, slot.pitch, offset, relax)
            if not len(pitches):
                continue
            extra = np.zeros(len(pitches))
            if slot.final or (slot.phrase_end and chord.root == 0):  # cadences in root position
                extra = np.where(pitches[:, 3] % 12 == (tonic + chord.root) % 12, 0.0, 6.0)
            rows.append(pitches)
            ids.append(np.full(len(pitches), c))
            costs.append(voicing_cost + chord_cost + extra)
        if rows:
            return np.concatenate(rows), np.concatenate(ids), np.concatenate(costs)
    raise HarmoniserError(f"no four-part chord fits under the melody note {slot.pitch}")
