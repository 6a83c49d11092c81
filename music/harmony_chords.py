"""The chords a four-part harmoniser may use in one key, and the grammar that orders them.

A chord is spelled in semitones above the key's tonic, so one vocabulary serves every
tonic. The grammar is the textbook's (Aldwell and Schachter, *Harmony and Voice
Leading*, ch. 6-8 and 16): tonic (T) goes anywhere, predominants (S) go to dominants or,
plagally, back to the tonic, dominants (D) go to the tonic or deceptively to vi, and a
dominant falling back to a predominant (a retrogression) is dear. A secondary dominant
(V/V, V/vi ...) must resolve to the chord it tonicises, and the cadential 6-4 is a
dominant in disguise that must move to V. Costs are in one unit shared with the voice
leading of :mod:`music.harmoniser`: about 1 is "a little worse than the usual choice",
10 and above is "only if nothing else fits the melody".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

MAJOR_TRIAD, MINOR_TRIAD, DIMINISHED = (0, 4, 7), (0, 3, 7), (0, 3, 6)
DOMINANT_SEVENTH, MINOR_SEVENTH, HALF_DIMINISHED = (0, 4, 7, 10), (0, 3, 7, 10), (0, 3, 6, 10)
DIMINISHED_SEVENTH = (0, 3, 6, 9)

REPEAT = 1.0  # the same chord on the next beat
REPEAT_HELD = 0.1  # ... under a melody note that is still sounding
RETROGRESSION = 3.0  # a dominant followed by a predominant
UNRESOLVED = 8.0  # a secondary dominant or cadential 6-4 that does not resolve
FIFTH_DOWN_BONUS = 0.3  # root motion down a fifth (ii-V, V-I, vi-ii) is the strongest
TONIC_TO_DOMINANT = 0.3  # T-D directly: fine, but T-S-D is the fuller phrase
CROSS_RELATION = 1.5  # a degree and its chromatic alteration in successive chords
# Pairs of pitch classes (above the tonic) that are one degree, natural and altered.
ALTERATIONS = {
    "major": ((5, 6), (0, 1), (7, 8), (10, 11), (2, 3)),
    "minor": ((10, 11), (8, 9), (3, 4), (5, 6)),
}


@dataclass(frozen=True)
class Chord:
    """One chord of a key: ``root`` in semitones above the tonic, ``intervals`` above the
    root (a triad or a seventh chord), its ``function`` (T, S or D), the prior ``cost``
    of using it at all, and for dominants the root it resolves to (``target``)."""

    name: str
    root: int
    intervals: tuple[int, ...]
    function: str
    cost: float
    target: int | None = None  # dominants: the root of the chord they resolve to
    cadential: bool = False  # the cadential 6-4: a tonic triad over the fifth, acting as D
    final_only: bool = False  # the Picardy third: a major tonic to end a minor piece

    @property
    def degrees(self) -> tuple[int, ...]:
        """Pitch classes above the tonic, root first."""
        return tuple((self.root + i) % 12 for i in self.intervals)

    @property
    def leading_tone(self) -> int | None:
        """The degree a semitone below the target's root (dominants only)."""
        return None if self.target is None else (self.target - 1) % 12

    @property
    def seventh(self) -> int | None:
        return (self.root + self.intervals[3]) % 12 if len(self.intervals) == 4 else None

    @property
    def is_secondary(self) -> bool:
        return self.target is not None and self.target != 0


def _dominants(target: int, name: str, cost: float, seventh: bool = True) -> list[Chord]:
    """V/x (and V7/x) of the chord on ``target``."""
    root = (target + 7) % 12
    made = [Chord(f"V/{name}", root, MAJOR_TRIAD, "D", cost, target)]
    if seventh:
        made.append(Chord(f"V7/{name}", root, DOMINANT_SEVENTH, "D", cost + 0.3, target))
    return made


def _major_key() -> list[Chord]:
    return [
        Chord("I", 0, MAJOR_TRIAD, "T", 0.0),
        Chord("ii", 2, MINOR_TRIAD, "S", 0.3),
        Chord("ii7", 2, MINOR_SEVENTH, "S", 0.8),
        Chord("iii", 4, MINOR_TRIAD, "T", 1.5),
        Chord("IV", 5, MAJOR_TRIAD, "S", 0.2),
        Chord("V", 7, MAJOR_TRIAD, "D", 0.0, 0),
        Chord("V7", 7, DOMINANT_SEVENTH, "D", 0.4, 0),
        Chord("vi", 9, MINOR_TRIAD, "T", 0.5),
        Chord("vii°", 11, DIMINISHED, "D", 1.2, 0),
        Chord("I64", 0, MAJOR_TRIAD, "D", 1.0, cadential=True),
        *_dominants(7, "V", 0.9),
        *_dominants(9, "vi", 1.1),
        *_dominants(2, "ii", 1.2),
        Chord("V7/IV", 0, DOMINANT_SEVENTH, "D", 1.3, 5),
        Chord("vii°/V", 6, DIMINISHED, "D", 1.5, 7),
    ]


def _minor_key() -> list[Chord]:
    return [
        Chord("i", 0, MINOR_TRIAD, "T", 0.0),
        Chord("I", 0, MAJOR_TRIAD, "T", -0.5, final_only=True),  # tierce de Picardie
        Chord("ii°", 2, DIMINISHED, "S", 0.8),
        Chord("iiø7", 2, HALF_DIMINISHED, "S", 0.9),
        Chord("III", 3, MAJOR_TRIAD, "T", 0.9),
        Chord("iv", 5, MINOR_TRIAD, "S", 0.2),
        Chord("IV", 5, MAJOR_TRIAD, "S", 1.4),  # raised sixth (melodic minor, rising)
        Chord("V", 7, MAJOR_TRIAD, "D", 0.0, 0),  # raised seventh: the leading tone
        Chord("V7", 7, DOMINANT_SEVENTH, "D", 0.4, 0),
        Chord("v", 7, MINOR_TRIAD, "T", 1.8),  # natural seventh, falling lines only
        Chord("VI", 8, MAJOR_TRIAD, "S", 0.6),
        Chord("VII", 10, MAJOR_TRIAD, "D", 1.1, 3),  # V of the relative major
        Chord("vii°7", 11, DIMINISHED_SEVENTH, "D", 1.0, 0),
        Chord("i64", 0, MINOR_TRIAD, "D", 1.0, cadential=True),
        *_dominants(7, "V", 1.0),
        *_dominants(3, "III", 1.1, seventh=True)[1:],  # V7/III (V/III is VII above)
        Chord("V7/iv", 0, DOMINANT_SEVENTH, "D", 1.3, 5),
    ]


VOCABULARY: dict[str, tuple[Chord, ...]] = {
    "major": tuple(_major_key()),
    "minor": tuple(_minor_key()),
}


def chords(mode: str) -> tuple[Chord, ...]:
    """The vocabulary of a ``"major"`` or ``"minor"`` key."""
    try:
        return VOCABULARY[mode]
    except KeyError:
        raise ValueError(f"unknown mode {mode!r}; known: major, minor") from None


def transition_cost(a: Chord, b: Chord, mode: str = "major", *, held: bool = False) -> float:
    """What moving from chord ``a`` to chord ``b`` on the next beat costs (see the module
    docstring); ``held``: the melody note is still sounding, so holding the chord is easy."""
    cross = any(
        (x in a.degrees and y in b.degrees) or (y in a.degrees and x in b.degrees)
        for x, y in ALTERATIONS[mode]
    )
    return _function_cost(a, b, held) + CROSS_RELATION * cross


def _function_cost(a: Chord, b: Chord, held: bool) -> float:
    if a == b:
        return REPEAT_HELD if held else REPEAT
    if a.cadential:
        return 0.0 if b.function == "D" and b.root == 7 and b.target == 0 else UNRESOLVED
    if a.target is not None:  # a dominant: to the chord on its target, else dear
        if b.root == a.target and not b.cadential:
            return -FIFTH_DOWN_BONUS
        if a.is_secondary:  # V/V may also reach V through the cadential 6-4
            return 0.0 if b.cadential and a.target == 7 else UNRESOLVED
        if b.cadential:  # the 6-4 comes before V, not after it
            return UNRESOLVED
        if b.function == "D":
            return 0.3 if a.intervals != DOMINANT_SEVENTH else 2.0  # V -> V7, not back
        if b.root == 9 or (b.root == 8 and b.function != "T"):  # deceptive: V-vi, V-VI
            return 0.6
        return RETROGRESSION
    if a.function == "S":
        if b.function == "D":
            return -FIFTH_DOWN_BONUS if (b.root - a.root) % 12 == 5 else 0.0
        if b.function == "S":
            return 0.2 if a.root == 5 and b.root == 2 else 0.8  # IV-ii, not ii-IV
        return 0.8 if a.root in (5, 8) else 2.0  # plagal IV-I; ii-I is weak
    # a tonic-function chord
    fifth_down = (b.root - a.root) % 12 == 5
    if fifth_down and not b.cadential:
        return -FIFTH_DOWN_BONUS
    return TONIC_TO_DOMINANT if b.function == "D" and not b.cadential else 0.0


def transition_matrix(
    vocabulary: tuple[Chord, ...], mode: str, *, held: bool
) -> NDArray[np.float64]:
    """(C, C): :func:`transition_cost` between every pair of the vocabulary."""
    return np.array(
        [[transition_cost(a, b, mode, held=held) for b in vocabulary] for a in vocabulary]
    )


@dataclass(frozen=True)
class Slot:
    """One chord's span: from ``start`` to ``end`` ticks under melody ``pitch`` (the note
    sounding at the start) and ``exit`` (the last one sounding in the slot)."""

    start: int
    end: int
    pitch: int
    exit: int
    passing: tuple[tuple[int, int, int], ...]  # (previous, pitch, next) of notes between beats
    held: bool  # the melody note began before the slot
    strong: bool  # on the downbeat of a bar
    phrase_end: bool = False
    final: bool = False
