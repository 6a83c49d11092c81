"""Four-part voicings of a chord under a given soprano, and what moving between two costs.

The rules are the common-practice ones every harmony textbook teaches (Aldwell and
Schachter, *Harmony and Voice Leading*, ch. 4-5): ranges (alto G3-D5, tenor C3-G4, bass
E2-C4, moved by octaves with a melody that sits high or low), no crossing, soprano-alto
and alto-tenor within an octave, complete chords with the root doubled by preference and
never the leading tone or the seventh; between chords no parallel fifths or octaves in
any pair of voices, no hidden ones in the outer voices under a leaping soprano, the
leading tone rising to the tonic and the seventh falling by step, common tones held and
inner voices moving by step, the bass freer. :func:`voicings` lists a chord's voicings
with their cost; :func:`motion_costs` prices every move between two slots' voicings at
once (numpy), for the dynamic programme in :mod:`music.harmoniser`.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from music.harmony_chords import DIMINISHED, DOMINANT_SEVENTH, Chord

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

ALTO, TENOR, BASS = (55, 74), (48, 67), (40, 60)
CENTRES = (67, 60, 50)  # where alto, tenor and bass sit most comfortably
MAX_GAP = (12, 12, 24)  # soprano-alto, alto-tenor, tenor-bass
FORBIDDEN = 100.0  # a parallel fifth or octave, a leap beyond an octave
RELAXED = 4.0  # per relaxation step of the ranges (only for melodies that need it)

# Cost of a move by 0..12 semitones (more is forbidden): inner voices like common tones
# and steps; the bass likes steps, fourths and fifths. The tritone (6) is an awkward leap.
INNER_MOTION = np.array([0.15, 0.25, 0.25, 1.0, 1.1, 2.0, 6.0, 2.6, 3.5, 4.0, 5.0, 6.0, 6.0])
BASS_MOTION = np.array([0.4, 0.2, 0.2, 0.5, 0.5, 0.4, 5.0, 0.5, 1.2, 1.4, 2.5, 3.0, 1.2])
HIDDEN_PERFECT = 3.0  # outer voices by similar motion into a fifth or octave, soprano leaping
OVERLAP = 2.0  # a voice moving past where its neighbour just was
ALL_SAME_WAY = 1.0  # all four voices moving in one direction
LEADING_TONE_FRUSTRATED = 1.5  # an inner voice's leading tone falling to the fifth
LEADING_TONE_UNRESOLVED = 6.0
SEVENTH_UNRESOLVED = 6.0


@lru_cache(maxsize=8192)
def voicings(
    chord: Chord, tonic: int, soprano: int, offset: int, relax: int
) -> tuple[IntArray, FloatArray]:
    """Every (soprano, alto, tenor, bass) of ``chord`` in the key on ``tonic`` with the
    given soprano, as an (N, 4) array and its (N,) costs. ``offset`` moves the ranges by
    octaves; ``relax`` widens them by 5 semitones a step, at :data:`RELAXED` a step."""
    degrees = chord.degrees
    classes = [(tonic + d) % 12 for d in degrees]
    root, third = classes[0], classes[1]
    fifth = classes[2]
    seventh = classes[3] if len(classes) == 4 else None
    leading = None if chord.leading_tone is None else (tonic + chord.leading_tone) % 12
    widen = 5 * relax

    def pitches(span: tuple[int, int]) -> list[int]:
        low, high = span[0] + offset - widen, span[1] + offset + widen
        return [p for p in range(max(low, 0), min(high, 127) + 1) if p % 12 in classes]

    rows, costs = [], []
    for bass in pitches(BASS):
        bass_cost = _bass_cost(chord, bass % 12, classes)
        if bass_cost is None:
            continue
        for tenor in pitches(TENOR):
            if not bass < tenor <= bass + MAX_GAP[2]:
                continue
            for alto in pitches(ALTO):
                if not tenor < alto < soprano or alto - tenor > 12 or soprano - alto > 12:
                    continue
                voiced = (soprano % 12, alto % 12, tenor % 12, bass % 12)
                cost = _doubling_cost(chord, voiced, root, third, fifth, seventh, leading)
                if cost is None:
                    continue
                cost += bass_cost + RELAXED * relax
                cost += 0.8 * (tenor - bass > 19)
                cost += _centre_cost(alto - offset, CENTRES[0]) + _centre_cost(
                    tenor - offset, CENTRES[1]
                )
                cost += 0.5 * _centre_cost(bass - offset, CENTRES[2])
                rows.append((soprano, alto, tenor, bass))
                costs.append(cost)
    return np.array(rows, dtype=np.int64).reshape(-1, 4), np.array(costs, dtype=np.float64)


def _bass_cost(chord: Chord, bass: int, classes: list[int]) -> float | None:
    """Root position is the norm, first inversion common, the seventh in the bass rarer;
    the 6-4 only as the cadential one (which must have the fifth in the bass)."""
    position = classes.index(bass)
    if chord.cadential:
        return 0.0 if position == 2 else None
    if chord.intervals == DIMINISHED:  # vii° and ii° sound best in first inversion
        return (1.5, 0.0, None)[position]
    return (0.0, 0.8, 6.0, 1.5)[position]


def _doubling_cost(
    chord: Chord,
    voiced: tuple[int, int, int, int],
    root: int,
    third: int,
    fifth: int,
    seventh: int | None,
    leading: int | None,
) -> float | None:
    """None for an incomplete or badly doubled chord, else what its doubling costs."""
    counts = {pc: voiced.count(pc) for pc in set(voiced)}
    if root not in counts or third not in counts or (seventh is not None and seventh not in counts):
        return None
    if leading is not None and counts.get(leading, 0) > 1:
        return None
    if seventh is not None and counts[seventh] > 1:
        return None
    cost = 0.0
    if fifth not in counts:  # an incomplete chord: the fifth may go, never in a diminished one
        if chord.intervals == DIMINISHED or (
            len(chord.intervals) == 4 and chord.intervals != DOMINANT_SEVENTH
        ):
            return None
        cost += 0.2 if seventh is not None else 0.6
    if max(counts.values()) > 2:
        cost += 2.0
    if counts[third] > 1:
        major = chord.intervals[1] == 4
        cost += 1.0 if major and voiced[3] != third else 0.2
    if counts.get(fifth, 0) > 1:
        cost += 0.4
    return cost


def _centre_cost(pitch: int, centre: int) -> float:
    distance = max(abs(pitch - centre) - 4, 0)
    return 0.02 * distance * distance


# ----- moves between slots --------------------------------------------------------------


def motion_costs(
    before: IntArray,
    after: IntArray,
    soprano_exit: int,
    leading: IntArray,
    resolves: NDArray[np.bool_],
    sevenths: IntArray,
    same_chord: NDArray[np.bool_],
) -> FloatArray:
    """(N1, N2): the voice-leading cost of every move from a voicing in ``before`` (N1, 4)
    to one in ``after`` (N2, 4).

    ``soprano_exit`` is the melody's last pitch in the first slot (its off-beat notes move
    while the other voices hold, so fifths are checked from there as well as from the
    beat). ``leading`` and ``sevenths`` (N1,) are the pitch classes of the first chord's
    leading tone and seventh (-1 for none), ``resolves`` (N1, N2) says whether the second
    chord holds the note the leading tone resolves to, ``same_chord`` (N1, N2) whether the
    chord is repeated (a repeated seventh may stay)."""
    moves = after[None, :, :] - before[:, None, :]  # (N1, N2, 4)
    size = np.abs(moves)
    cost = INNER_MOTION[np.minimum(size[..., 1:3], 12)].sum(axis=-1)
    cost += BASS_MOTION[np.minimum(size[..., 3], 12)]
    cost += FORBIDDEN * (size[..., 1:] > 12).any(axis=-1)
    cost += FORBIDDEN * _parallels(before, after, moves, soprano_exit)
    cost += _outer_and_overlap(before, after, moves, soprano_exit)
    cost += _tendency_tones(before, moves, leading, resolves, sevenths, same_chord)
    return cost


def _parallels(before: IntArray, after: IntArray, moves: IntArray, soprano_exit: int) -> IntArray:
    """(N1, N2): how many voice pairs move in parallel (or contrary) fifths or octaves."""
    count = np.zeros(moves.shape[:2], dtype=np.int64)
    for upper in range(4):
        for lower in range(upper + 1, 4):
            late = (after[:, upper] - after[:, lower]) % 12
            perfect = (late == 0) | (late == 7)
            starts = [before[:, upper]]
            if upper == 0 and soprano_exit != before[0, 0]:
                starts.append(np.full(len(before), soprano_exit))
            for start in starts:
                early = (start - before[:, lower]) % 12
                moved_upper = after[None, :, upper] != start[:, None]
                both = moved_upper & (moves[..., lower] != 0)
                count += both & perfect[None, :] & (early[:, None] == late[None, :])
    return count


def _outer_and_overlap(
    before: IntArray, after: IntArray, moves: IntArray, soprano_exit: int
) -> FloatArray:
    soprano_move = int(after[0, 0]) - soprano_exit if len(after) else 0
    outer = (after[:, 0] - after[:, 3]) % 12
    similar = np.sign(moves[..., 3]) == np.sign(soprano_move)
    hidden = similar & ((outer == 0) | (outer == 7))[None, :] & (abs(soprano_move) > 2)
    cost = HIDDEN_PERFECT * hidden
    overlap = (after[None, :, 1] >= soprano_exit) | (after[None, :, 1] <= before[:, None, 2])
    overlap |= (after[None, :, 2] >= before[:, None, 1]) | (after[None, :, 2] <= before[:, None, 3])
    overlap |= after[None, :, 3] >= before[:, None, 2]
    cost = cost + OVERLAP * overlap
    signs = np.sign(moves)
    same_way = (signs[..., 1:] == np.sign(soprano_move)).all(axis=-1) & (soprano_move != 0)
    return cost + ALL_SAME_WAY * same_way


def _tendency_tones(
    before: IntArray,
    moves: IntArray,
    leading: IntArray,
    resolves: NDArray[np.bool_],
    sevenths: IntArray,
    same_chord: NDArray[np.bool_],
) -> FloatArray:
    """The leading tone rises to the tonic (an inner voice may fall to the fifth); the
    seventh falls by step. The soprano is given, so only alto, tenor and bass are priced."""
    cost = np.zeros(moves.shape[:2])
    for voice in (1, 2, 3):
        has_leading = (before[:, voice] % 12 == leading)[:, None] & resolves
        move = moves[..., voice]
        frustrated = (voice != 3) & ((move == -3) | (move == -4))
        penalty = np.where(frustrated, LEADING_TONE_FRUSTRATED, LEADING_TONE_UNRESOLVED)
        cost += np.where(has_leading & (move != 1), penalty, 0.0)
        has_seventh = (before[:, voice] % 12 == sevenths)[:, None]
        falls = (move == -1) | (move == -2) | (same_chord & (move == 0))
        cost += SEVENTH_UNRESOLVED * (has_seventh & ~falls)
    return cost
