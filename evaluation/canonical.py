"""The canonical form of a piece for the copy check: the music, whatever its layout.

A disguised copy keeps the music and changes how it is written down: extra tracks that
double the voices, all voices merged into one track or dealt round many (hocket),
voices moved by octaves, major and minor swapped, a player's timing. The canonical form
sees through all of these by throwing away everything they change:

1. every pitched note of every track together (tracks, instruments and doublings gone);
2. onsets that a performer would play together (within ``CHORD_SECONDS``) as one;
3. the time between consecutive onsets is a *slice*, and a slice's content is the set of
   **pitch classes** sounding in it (octave moves and octave or unison doublings gone),
   held notes included, so hocket and merged voices give the same slices;
4. relative to a tonic, each pitch class is folded to its **diatonic degree** (the
   semitone pairs 1-2, 3-4, 5-6, 8-9, 10-11 above the tonic are one degree each), so the
   major and minor forms of a key (third, sixth and seventh a semitone apart) coincide;
5. consecutive slices with the same degrees are one, and each slice also carries how
   its length compares with the previous slice's (shorter, about the same, longer):
   rhythm without tempo, so a time-stretched copy keeps its tokens.

Each slice also keeps its *voicing*: the intervals of its sounding notes above its
lowest (:func:`voicing_tokens`). That is exact where the degrees are coarse: changed by
octave moves and a mode swap, which the degrees see through, but kept by what moves
whole chords about (shuffled bars, centos of other pieces' bars), and specific enough
that two or three chords in a row tell one source from another.

A piece's *tokens* relative to a tonic are these slices, each a small integer
(:func:`tokens`). The reference side is tokenised relative to its own estimated tonic;
a query tries every tonic (:data:`TONICS`), so transposition needs no key estimate on
the query side at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from music.key import best_key
from music.score import Score

CHORD_SECONDS = 0.045  # onsets closer than this are struck together (±20 ms of timing)
# Degree (0-6) of each semitone above the tonic: semitone pairs that major and minor
# (and chromatic alterations) swap are one degree.
DEGREE = np.array([0, 1, 1, 2, 2, 3, 3, 4, 5, 5, 6, 6], dtype=np.int64)
DEGREE_BITS = 7
LENGTH_CLASSES = 3  # shorter / about the same / longer than the previous slice
LENGTH_RATIO = 1.4  # beyond this ratio a slice is shorter or longer than the previous
TOKEN_BITS = DEGREE_BITS + 2  # a token: its degrees and its length class
OUTER_TOKEN_BITS = DEGREE_BITS + 6 + 2  # ...and the degrees of its outer notes
TONICS = tuple(range(12))
VOICING_SPAN = 48  # intervals above the bass kept apart in a voicing (four octaves)


@dataclass(frozen=True)
class Slices:
    """A piece's sounding pitch-class sets, in time order: ``sets[i]`` (12-bit masks) sound
    for ``lengths[i]`` ticks, with ``low[i]`` and ``high[i]`` the pitch classes of the
    lowest and highest sounding notes (slices where nothing sounds are left out).
    ``voicing[i]`` has bit ``k`` set when a note sounds ``k`` semitones above the lowest
    (wider intervals count as ``VOICING_SPAN - 1``); empty when read from an older
    fingerprint format."""

    sets: npt.NDArray[np.uint16]
    lengths: npt.NDArray[np.int64]
    low: npt.NDArray[np.uint8]
    high: npt.NDArray[np.uint8]
    voicing: npt.NDArray[np.uint64] = field(default_factory=lambda: np.zeros(0, dtype=np.uint64))

    def __len__(self) -> int:
        return len(self.sets)

    @property
    def tonic(self) -> int:
        """The Krumhansl-Schmuckler tonic of the duration-weighted pitch classes (0 when
        nothing sounds)."""
        weights = np.zeros(12)
        for pc in range(12):
            weights[pc] = float(self.lengths[(self.sets >> pc) & 1 == 1].sum())
        key = best_key(weights)
        return key.tonic if key is not None else 0

    @classmethod
    def empty(cls) -> Slices:
        return cls(
            np.zeros(0, dtype=np.uint16),
            np.zeros(0, dtype=np.int64),
            np.zeros(0, dtype=np.uint8),
            np.zeros(0, dtype=np.uint8),
            np.zeros(0, dtype=np.uint64),
        )

    @property
    def has_voicing(self) -> bool:
        return len(self.voicing) == len(self.sets)


def join_slices(pieces: Sequence[Slices]) -> Slices:
    """Several pieces' slices one after another (one document of several pieces)."""
    if not pieces:
        return Slices.empty()
    voiced = all(p.has_voicing for p in pieces)
    return Slices(
        np.concatenate([p.sets for p in pieces]).astype(np.uint16),
        np.concatenate([p.lengths for p in pieces]).astype(np.int64),
        np.concatenate([p.low for p in pieces]).astype(np.uint8),
        np.concatenate([p.high for p in pieces]).astype(np.uint8),
        np.concatenate([p.voicing for p in pieces]).astype(np.uint64)
        if voiced
        else np.zeros(0, dtype=np.uint64),
    )


def slices(score: Score) -> Slices:
    """The canonical slices of ``score`` (steps 1-3 above)."""
    notes = score.all_notes()
    if not notes:
        return Slices.empty()
    starts = np.fromiter((n.start for n in notes), dtype=np.int64, count=len(notes))
    ends = np.fromiter((n.end for n in notes), dtype=np.int64, count=len(notes))
    pitches = np.fromiter((n.pitch for n in notes), dtype=np.int64, count=len(notes))
    tolerance = max(1, score.seconds_to_ticks(CHORD_SECONDS))
    onsets = np.unique(starts)
    # Onsets within the tolerance of the previous group's first onset join that group.
    group_starts = [int(onsets[0])]
    for onset in onsets[1:].tolist():
        if onset - group_starts[-1] > tolerance:
            group_starts.append(onset)
    bounds = np.array(group_starts, dtype=np.int64)
    # Each note starts in the group its onset falls in, and sounds in every slice that
    # begins before its end (by more than the tolerance: a release a little late does
    # not make it sound in the next slice).
    first = np.searchsorted(bounds, starts, side="right") - 1
    last = np.maximum(np.searchsorted(bounds, ends - tolerance, side="left") - 1, first)
    edges = np.append(bounds, max(int(ends.max()), int(bounds[-1]) + 1))
    count = len(bounds)
    # Every (note, slice it sounds in) pair.
    spans = last - first + 1
    owner = np.repeat(np.arange(len(notes)), spans)
    where = np.repeat(first, spans) + (
        np.arange(int(spans.sum())) - np.repeat(np.cumsum(spans) - spans, spans)
    )
    masks = np.zeros(count, dtype=np.int64)
    np.bitwise_or.at(masks, where, np.int64(1) << (pitches[owner] % 12))
    lowest = np.full(count, 128, dtype=np.int64)
    highest = np.full(count, -1, dtype=np.int64)
    np.minimum.at(lowest, where, pitches[owner])
    np.maximum.at(highest, where, pitches[owner])
    above = np.minimum(pitches[owner] - lowest[where], VOICING_SPAN - 1)
    voicing = np.zeros(count, dtype=np.int64)
    np.bitwise_or.at(voicing, where, np.int64(1) << above)
    lengths = np.diff(edges)
    sounding = masks != 0
    return Slices(
        masks[sounding].astype(np.uint16),
        lengths[sounding].astype(np.int64),
        (lowest[sounding] % 12).astype(np.uint8),
        (highest[sounding] % 12).astype(np.uint8),
        voicing[sounding].astype(np.uint64),
    )


def _degree_masks() -> npt.NDArray[np.int64]:
    """(12, 4096): the degree mask of every pitch-class set relative to every tonic."""
    table = np.zeros((12, 1 << 12), dtype=np.int64)
    sets = np.arange(1 << 12)
    for tonic in range(12):
        for pc in range(12):
            bit = (sets >> pc) & 1
            table[tonic] |= bit << DEGREE[(pc - tonic) % 12]
    return table


DEGREE_MASKS = _degree_masks()


def tokens(
    piece: Slices, tonic: int, *, outer: bool = False
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The piece's tokens relative to ``tonic`` (steps 4-5), and the first slice of each
    (token ``i`` stands for slices ``first[i]`` to ``first[i + 1] - 1``; ``first`` has
    one more element, the number of slices). With ``outer``, each token also holds the
    degrees of the lowest and highest notes (the outer voices: sharper, but changed by
    octave moves that take an inner voice outside them)."""
    if not len(piece):
        return np.zeros(0, dtype=np.int64), np.zeros(1, dtype=np.int64)
    table = DEGREE_MASKS[tonic % 12]
    degrees = table[piece.sets.astype(np.int64)]
    if outer:
        shift = (-tonic) % 12
        low = DEGREE[(piece.low.astype(np.int64) + shift) % 12]
        high = DEGREE[(piece.high.astype(np.int64) + shift) % 12]
        degrees = degrees | (low << DEGREE_BITS) | (high << (DEGREE_BITS + 3))
    new = np.concatenate(([True], degrees[1:] != degrees[:-1]))
    starts = np.nonzero(new)[0]
    merged = degrees[starts]
    classes = _length_classes(np.add.reduceat(piece.lengths, starts))
    shift_bits = DEGREE_BITS + 6 if outer else DEGREE_BITS
    return merged + (classes << shift_bits), np.append(starts, len(degrees))


@dataclass(frozen=True)
class TonicTokens:
    """A piece's tokens relative to every tonic of :data:`TONICS` at once (what a query
    tries), one tonic after another: tonic ``t``'s tokens are
    ``values[offsets[t]:offsets[t + 1]]`` and their first slices (as :func:`tokens`
    returns them, one more than the tokens) ``first[offsets[t] + t:offsets[t + 1] + t + 1]``."""

    values: npt.NDArray[np.int64]
    offsets: npt.NDArray[np.int64]
    first: npt.NDArray[np.int64]

    def first_of(self, tonic: int) -> npt.NDArray[np.int64]:
        return self.first[self.offsets[tonic] + tonic : self.offsets[tonic + 1] + tonic + 1]


def tonic_tokens(piece: Slices, *, outer: bool = False) -> TonicTokens:
    """:func:`tokens` for every tonic of :data:`TONICS`, in one pass (the same values)."""
    count, tonics = len(piece), len(TONICS)
    if not count:
        empty = np.zeros(0, dtype=np.int64)
        return TonicTokens(empty, np.zeros(tonics + 1, dtype=np.int64), np.zeros(tonics, np.int64))
    at = np.array(TONICS, dtype=np.int64)
    degrees = DEGREE_MASKS[at % 12][:, piece.sets.astype(np.int64)]  # (tonics, slices)
    if outer:
        shift = ((-at) % 12)[:, None]
        low = DEGREE[(piece.low.astype(np.int64)[None, :] + shift) % 12]
        high = DEGREE[(piece.high.astype(np.int64)[None, :] + shift) % 12]
        degrees = degrees | (low << DEGREE_BITS) | (high << (DEGREE_BITS + 3))
    new = np.ones(degrees.shape, dtype=bool)
    new[:, 1:] = degrees[:, 1:] != degrees[:, :-1]
    rows, starts = np.nonzero(new)  # tonic by tonic, each in time order
    flat = rows * count + starts
    summed = np.add.reduceat(np.tile(piece.lengths, tonics), flat)
    classes = _length_classes(summed)
    offsets = np.zeros(tonics + 1, dtype=np.int64)
    offsets[1:] = np.cumsum(np.bincount(rows, minlength=tonics))
    classes[offsets[:-1]] = 1  # each tonic's first token, as :func:`tokens` has it
    shift_bits = DEGREE_BITS + 6 if outer else DEGREE_BITS
    values = degrees[rows, starts] + (classes << shift_bits)
    first = np.insert(starts, offsets[1:], count)
    return TonicTokens(values, offsets, first)


def _length_classes(lengths: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Each length against the previous one: 0 shorter, 1 about the same, 2 longer."""
    ratio = lengths[1:] / np.maximum(lengths[:-1], 1)
    classes = np.ones(len(lengths), dtype=np.int64)
    classes[1:] = np.where(ratio > LENGTH_RATIO, 2, np.where(ratio < 1 / LENGTH_RATIO, 0, 1))
    return classes


def voicing_tokens(
    piece: Slices,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The piece's chords as they are voiced, independent of the tonic: ``(base, bass,
    first)``. Consecutive slices with the same bass pitch class and voicing are one
    chord; ``base[i]`` holds chord ``i``'s voicing and length class, ``bass[i]`` its
    bass pitch class, so that its token relative to a tonic ``t`` is
    ``base[i] | (bass[i] - t) % 12`` (:func:`voicing_tokens_at`). ``first`` as in
    :func:`tokens`. Empty where the slices carry no voicing (an older fingerprint)."""
    if not len(piece) or not piece.has_voicing:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(1, dtype=np.int64)
    voicing = piece.voicing.astype(np.int64)
    bass = piece.low.astype(np.int64)
    chord = (voicing << 4) | bass
    new = np.concatenate(([True], chord[1:] != chord[:-1]))
    starts = np.nonzero(new)[0]
    classes = _length_classes(np.add.reduceat(piece.lengths, starts))
    base = (voicing[starts] << 4) | (classes << (4 + VOICING_SPAN))
    return base, bass[starts], np.append(starts, len(chord))


def voicing_tokens_at(
    base: npt.NDArray[np.int64], bass: npt.NDArray[np.int64], tonic: int
) -> npt.NDArray[np.int64]:
    """The voicing tokens of :func:`voicing_tokens` relative to ``tonic``."""
    return base | ((bass - tonic) % 12)
