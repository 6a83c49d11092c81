"""Note-for-note alignment of two voices' pitch lines: the copy detector's second stage.

Whole lines are compared by their longest common subsequence after the transposition
that best overlays their pitch histograms (:func:`line_alignment`); parts of lines by
local matching (:func:`local_match`): windows of ``LOCAL_WINDOW`` notes of one line,
each placed in the other by seeds of ``LOCAL_SEED`` intervals, and matched when all but
one of its notes appear in order in the other around that offset. Used by
:mod:`evaluation.novelty`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Pitches = npt.NDArray[np.uint8]
MAX_INTERVAL = 24  # semitones; larger leaps are clipped
TOKEN_BITS = 6  # 49 interval values fit in 6 bits; 6 tokens in 36 bits
# Partial copies (an excerpt, a source played twice, new material appended) are found
# by local matching (:func:`local_match`): windows of LOCAL_WINDOW notes of a voice,
# each placed in the source by seeds of LOCAL_SEED intervals, and matched when all but
# one of its notes appear in order in the source around that offset.
LOCAL_WINDOW = 12
LOCAL_STRIDE = 4  # notes between the starts of consecutive windows
LOCAL_SEED = 5  # intervals per seed (6 notes)
LOCAL_SLACK = 3  # source notes either side of a window's offset


def lcs_length(a: Sequence[int], b: Sequence[int]) -> int:
    """The length of the longest common subsequence of ``a`` and ``b``, bit-parallel
    (Hyyrö 2004: one row of the LCS table per element of ``a``, as one big integer).

    Exact, unlike difflib's longest-block heuristic, which on a tune with repeated
    sections can pair the wrong repeat and report a copy with a few notes dropped as
    barely alike."""
    if not len(a) or not len(b):
        return 0
    masks: dict[int, int] = {}
    for position, symbol in enumerate(b):
        masks[symbol] = masks.get(symbol, 0) | (1 << position)
    full = (1 << len(b)) - 1
    row = full
    for symbol in a:
        matches = row & masks.get(symbol, 0)
        row = ((row + matches) | (row - matches)) & full
    return len(b) - row.bit_count()


def _seed_codes(pitches: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """The packed ``LOCAL_SEED``-interval gram starting at each note of a line."""
    intervals = np.clip(np.diff(pitches), -MAX_INTERVAL, MAX_INTERVAL) + MAX_INTERVAL
    count = len(intervals) - LOCAL_SEED + 1
    if count <= 0:
        return np.zeros(0, dtype=np.int64)
    codes = np.zeros(count, dtype=np.int64)
    for j in range(LOCAL_SEED):
        codes |= intervals[j : j + count] << (TOKEN_BITS * j)
    return codes


@dataclass(frozen=True)
class SeededLine:
    """A voice prepared as the searched side of :func:`local_match`: its pitches, and its
    seeds sorted (with where each came from). A source voice is searched by every query
    that is verified against it, so an index prepares it once."""

    pitches: npt.NDArray[np.int64]
    notes: list[int]
    codes: npt.NDArray[np.int64]  # the seed starting at each note
    sorted_codes: npt.NDArray[np.int64]
    order: npt.NDArray[np.int64]


def seeded(line: Pitches) -> SeededLine:
    pitches = line.astype(np.int64)
    codes = _seed_codes(pitches)
    order = np.argsort(codes, kind="stable")
    return SeededLine(pitches, pitches.tolist(), codes, codes[order], order)


def local_match(a: Pitches | SeededLine, b: Pitches | SeededLine, at_least: int = 0) -> int:
    """How many notes of voice ``a`` are found note for note in voice ``b``, in one run.

    ``a`` is cut into overlapping windows of ``LOCAL_WINDOW`` notes. Seeds are the places where
    ``LOCAL_SEED`` consecutive intervals of ``a`` recur in ``b``; each seed gives an
    offset (diagonal ``j - i``) and a transposition. A window takes its most frequent
    (offset, transposition) and is *matched* when all but one of its notes, transposed,
    are a subsequence of ``b`` around that offset (``LOCAL_SLACK`` notes either side):
    a copy with notes dropped is a subsequence of its source, so dropped notes cost
    nothing, while an unrelated window sharing one figure misses several notes. The
    result is the number of notes in the longest run of matched windows, a single
    unmatched window bridged (not counted): an excerpt matches over its length, a
    source played twice over both passes (each window finds its own offset), a source
    with new material appended over the source part.

    With ``at_least``, only whether the result reaches it is exact: the search stops
    once it does, and gives an upper bound below it, without checking any window,
    when even every placed window matching could not reach it.
    """
    source = b if isinstance(b, SeededLine) else seeded(b)
    query = a if isinstance(a, SeededLine) else seeded(a)
    qa, qb, codes_a = query.pitches, source.pitches, query.codes
    if not len(codes_a) or not len(source.sorted_codes):
        return 0
    low = np.searchsorted(source.sorted_codes, codes_a, side="left")
    counts = np.searchsorted(source.sorted_codes, codes_a, side="right") - low
    total = int(counts.sum())
    if total == 0:
        return 0
    seed_i = np.repeat(np.arange(len(codes_a)), counts)
    within = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
    seed_j = source.order[low[seed_i] + within]
    # Overlapping windows every LOCAL_STRIDE notes, the last one ending with the line.
    starts = list(range(0, max(1, len(qa) - LOCAL_WINDOW + 1), LOCAL_STRIDE))
    if starts[-1] + LOCAL_WINDOW < len(qa):
        starts.append(len(qa) - LOCAL_WINDOW)
    at = np.array(starts)
    first = np.searchsorted(at, seed_i - LOCAL_WINDOW, side="right")
    last = np.searchsorted(at, seed_i, side="right")  # windows first..last-1
    if at_least:  # the windows that hold a seed: the only ones that can match
        edges = np.bincount(first, minlength=len(at) + 1) - np.bincount(last, minlength=len(at) + 1)
        placed = np.nonzero(np.cumsum(edges[:-1]) > 0)[0].tolist()
        bound = _longest_run([(starts[w], min(starts[w] + LOCAL_WINDOW, len(qa))) for w in placed])
        if bound < at_least:
            return bound
    per_seed = last - first  # windows holding each seed
    window = np.repeat(first, per_seed) + (
        np.arange(int(per_seed.sum())) - np.repeat(np.cumsum(per_seed) - per_seed, per_seed)
    )
    seed_j, seed_i = np.repeat(seed_j, per_seed), np.repeat(seed_i, per_seed)
    windows, diagonals, shifts = _best_placements(window, seed_j - seed_i, qb[seed_j] - qa[seed_i])
    spans = [(starts[w], min(starts[w] + LOCAL_WINDOW, len(qa))) for w in windows]
    a_list, b_list = query.notes, source.notes
    matched = []
    for (start, end), d, t in zip(spans, diagonals, shifts, strict=True):
        segment = b_list[max(0, start + d - LOCAL_SLACK) : max(0, end + d + LOCAL_SLACK)]
        if lcs_length([p + t for p in a_list[start:end]], segment) == end - start:
            matched.append((start, end))
            if at_least and _longest_run(matched) >= at_least:
                break
    return _longest_run(matched)


def _longest_run(spans: Sequence[tuple[int, int]]) -> int:
    """Notes in the longest run of windows (note spans in order), a stretch of at most
    one window of notes between two windows bridged, not counted."""
    longest = covered = 0
    reach = -1  # end of the current run's coverage
    for start, end in spans:
        if reach >= 0 and start <= reach + LOCAL_WINDOW:
            covered += end - max(start, reach)
        else:
            covered = end - start
        reach = max(reach, end)
        longest = max(longest, covered)
    return longest


def _best_placements(
    window: npt.NDArray[np.int64], diagonal: npt.NDArray[np.int64], shift: npt.NDArray[np.int64]
) -> tuple[list[int], list[int], list[int]]:
    """Each window's most frequent (diagonal, shift), the smallest on a tie, windows in
    order: the seeds' (window, diagonal, shift) triples counted as one packed key each."""
    low_d, low_t = int(diagonal.min()), int(shift.min())
    diagonals, shifts = int(diagonal.max()) - low_d + 1, int(shift.max()) - low_t + 1
    key = (window * diagonals + (diagonal - low_d)) * shifts + (shift - low_t)
    keys, votes = np.unique(key, return_counts=True)  # in (window, diagonal, shift) order
    rest, t = np.divmod(keys, shifts)
    w, d = np.divmod(rest, diagonals)
    order = np.lexsort((-votes, w))  # stable: the smallest (diagonal, shift) first
    firsts = order[np.concatenate(([True], w[order][1:] != w[order][:-1]))]
    return w[firsts].tolist(), (d[firsts] + low_d).tolist(), (t[firsts] + low_t).tolist()


def line_alignment(a: Pitches, b: Pitches, at_least: float = 0.0) -> float:
    """How much of two voices is the same note for note, 0-1: ``2 * LCS / (len(a) +
    len(b))`` of their pitch sequences, ``a`` transposed by the shift that best overlays
    the two pitch histograms (so a transposed copy aligns as well as a verbatim one).

    With ``at_least``, a pair that cannot reach it gives 0 without the LCS: a common
    subsequence holds no more of a pitch than either voice has, so the overlaid
    histograms' common notes bound it."""
    if not len(a) or not len(b):
        return 0.0
    ha = np.bincount(a, minlength=128).astype(np.float64)
    hb = np.bincount(b, minlength=128).astype(np.float64)
    overlap = np.correlate(hb, ha, mode="full")  # index k: shift k - 127
    shift = int(np.argmax(overlap)) - 127
    if at_least > 0:
        up, down = max(0, shift), max(0, -shift)
        common = np.minimum(ha[down : 128 - up], hb[up : 128 - down])  # a[p] over b[p + shift]
        if 2.0 * float(common.sum()) / (len(a) + len(b)) < at_least:
            return 0.0
    moved = (a.astype(np.int64) + shift).tolist()
    return 2.0 * lcs_length(moved, b.tolist()) / (len(a) + len(b))
