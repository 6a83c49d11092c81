"""Runs of small tokens as 64-bit integers: the keys the copy check's coverage index
(:mod:`evaluation.coverage`) posts and looks up."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

VOICING_GRAM = 2  # chords per seed of a chord run
# Odd 64-bit multipliers that mix two chord tokens into one seed (wrapping products).
_MIX = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F))

Grams = npt.NDArray[np.uint64]


def pack(values: npt.NDArray[np.int64], size: int, bits: int) -> Grams:
    """Each run of ``size`` consecutive ``bits``-bit tokens as one integer (empty when
    too short)."""
    count = len(values) - size + 1
    if count <= 0:
        return np.zeros(0, dtype=np.uint64)
    grams = np.zeros(count, dtype=np.uint64)
    as_unsigned = values.astype(np.uint64)
    for j in range(size):
        grams |= as_unsigned[j : j + count] << np.uint64(bits * j)
    return grams


def pack_rows(
    values: npt.NDArray[np.int64], offsets: npt.NDArray[np.int64], size: int, bits: int
) -> tuple[Grams, npt.NDArray[np.int64]]:
    """:func:`pack` of each row ``values[offsets[r]:offsets[r + 1]]``, one row after
    another, and where each row's grams start in the result (one more than the rows)."""
    counts = np.maximum(np.diff(offsets) - size + 1, 0)
    starts = np.zeros(len(counts) + 1, dtype=np.int64)
    starts[1:] = np.cumsum(counts)
    total = int(starts[-1])
    if not total:
        return np.zeros(0, dtype=np.uint64), starts
    within = np.arange(total) - np.repeat(starts[:-1], counts)
    return pack(values, size, bits)[np.repeat(offsets[:-1], counts) + within], starts


def chord_seeds(values: npt.NDArray[np.int64]) -> Grams:
    """Each pair of consecutive chord tokens as one 64-bit integer (a hash: tokens are
    54 bits wide; a collision between two pairs is vanishingly rare)."""
    if len(values) < VOICING_GRAM:
        return np.zeros(0, dtype=np.uint64)
    as_unsigned = values.astype(np.uint64)
    with np.errstate(over="ignore"):
        return (as_unsigned[:-1] * _MIX[0]) ^ (as_unsigned[1:] * _MIX[1])
