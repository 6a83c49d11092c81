"""Near-duplicates: the same music twice in a corpus under different ids.

``dedupe`` (in :mod:`music.corpus.convert`) drops pieces with the same content hash, but
corpora also hold the same music with small differences: a chorale harmonisation copied
into two cantatas with a few notes re-split for other words (bwv274 and bwv62.6), a
revised setting (bwv176.6 and bwv280), a folk tune printed in two collections (O'Neill's
1850 and Ryan's Mammoth Collection) or twice in one. A held-out piece with such a twin
in the training split is not held out, and the novelty detector is right to call it a
copy, so the split manifests leave those out (see :func:`held_out_duplicates`).

Two pieces are near-duplicates when their :func:`alignment` reaches ``ALIGNMENT``: on
average, each voice of either repeats 80 % of its best-matching voice of the other note
for note. A voice is a track's top line (and its bottom line where it plays chords); it
is compared by its melodic intervals (so transposition does not matter) with repeated
notes merged (a note re-split for another verse's syllables is the same music), by
difflib's ratio ``2 * matched / (len(a) + len(b))``.

The mean over voices, not the weakest voice, because Bach revised single voices when he
reused a harmonisation: bwv12.7 and bwv69.6-a share soprano, alto and bass (0.99-1.0)
but not the tenor (0.78); bwv176.6 and bwv280 have the same soprano, alto 0.87, tenor
0.86 and bass 0.78. Two *different* harmonisations of one hymn tune share the melody
and little else: over the 368 pairs of chorales with the same melody, their other
voices align at 0.2-0.7 and the mean stays below 0.8, so they are not duplicates (nor
are two accompaniments of one sample melody).
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from difflib import SequenceMatcher

from music.corpus.convert import CorpusPiece
from music.score import Score

ALIGNMENT = 0.8
# Candidate pairs must share this many interval n-grams (n = GRAM) before they are aligned:
# a pair aligned at 0.8 shares far more, so this only saves time.
GRAM = 6
MIN_SHARED_SHARE = 0.2
MAX_GRAM_PIECES = 200  # grams in more pieces than this (scale runs) find no candidates

Lines = list[tuple[int, ...]]


def voice_intervals(score: Score) -> Lines:
    """Each voice's melodic intervals, repeated notes merged (empty voices left out)."""
    lines: Lines = []
    for track in score.pitched_tracks():
        top: dict[int, int] = {}
        bottom: dict[int, int] = {}
        for note in track.notes:
            top[note.start] = max(top.get(note.start, -1), note.pitch)
            bottom[note.start] = min(bottom.get(note.start, 128), note.pitch)
        voices = [top] if top == bottom else [top, bottom]
        for voice in voices:
            pitches = [voice[start] for start in sorted(voice)]
            merged = [p for i, p in enumerate(pitches) if i == 0 or p != pitches[i - 1]]
            intervals = tuple(b - a for a, b in itertools.pairwise(merged))
            if intervals:
                lines.append(intervals)
    return lines


def _one_way(mine: Lines, theirs: Lines) -> float:
    """The mean over ``mine`` of each voice's best ratio against ``theirs``."""
    if not mine or not theirs:
        return 0.0
    best = [max(SequenceMatcher(None, a, b, autojunk=False).ratio() for b in theirs) for a in mine]
    return sum(best) / len(best)


def alignment(a: Score | Lines, b: Score | Lines) -> float:
    """How much the two pieces repeat each other note for note, 0-1 (symmetric): the
    mean over each piece's voices of the best ratio against the other's voices, the
    lower of the two directions."""
    mine = voice_intervals(a) if isinstance(a, Score) else a
    theirs = voice_intervals(b) if isinstance(b, Score) else b
    return min(_one_way(mine, theirs), _one_way(theirs, mine))


def _grams(lines: Lines) -> set[tuple[int, ...]]:
    return {line[i : i + GRAM] for line in lines for i in range(len(line) - GRAM + 1)}


def held_out_duplicates(
    pieces: Sequence[CorpusPiece], splits: Mapping[str, str], order: Sequence[str]
) -> dict[str, str]:
    """``{dropped id: its twin}``: the held-out pieces that repeat another piece.

    Pieces are visited split by split in ``order`` (train first), by id within a split.
    Every piece of the first split is kept (training data does not change); a later
    piece is dropped when it is a near-duplicate of a piece already kept, so a
    validation or test piece has no twin anywhere in the corpus, and a cluster of
    twins inside a held-out split keeps its first piece.
    """
    rank = {split: i for i, split in enumerate(order)}
    ordered = sorted(pieces, key=lambda p: (rank[splits[p.id]], p.id))
    lines = [voice_intervals(p.score) for p in ordered]
    grams = [_grams(line) for line in lines]
    postings: defaultdict[tuple[int, ...], list[int]] = defaultdict(list)
    for index, piece_grams in enumerate(grams):
        for gram in piece_grams:
            postings[gram].append(index)
    kept: set[int] = set()
    dropped: dict[str, str] = {}
    for index, piece in enumerate(ordered):
        if rank[splits[piece.id]] == 0:
            kept.add(index)
            continue
        shared: Counter[int] = Counter()
        for gram in grams[index]:
            owners = postings[gram]
            if len(owners) <= MAX_GRAM_PIECES:
                shared.update(o for o in owners if o in kept)
        twin = None
        for other, count in shared.most_common():
            if count < MIN_SHARED_SHARE * min(len(grams[index]), len(grams[other])):
                break
            if alignment(lines[index], lines[other]) >= ALIGNMENT:
                twin = ordered[other].id
                break
        if twin is None:
            kept.add(index)
        else:
            dropped[piece.id] = twin
    return dropped
