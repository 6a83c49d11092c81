"""Inverted indexes with positions, and the order that finds runs in their hits: the
copy check's coverage index (:mod:`evaluation.coverage`) holds one per kind of key."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from evaluation.grams import Grams

Hits = tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]


@dataclass
class Postings:
    """Sorted (gram, document, position) triples: an inverted index with positions."""

    grams: Grams = field(default_factory=lambda: np.zeros(0, dtype=np.uint64))
    docs: npt.NDArray[np.uint32] = field(default_factory=lambda: np.zeros(0, dtype=np.uint32))
    positions: npt.NDArray[np.uint32] = field(default_factory=lambda: np.zeros(0, dtype=np.uint32))
    pending: list[tuple[Grams, npt.NDArray[np.uint32], npt.NDArray[np.uint32]]] = field(
        default_factory=list
    )

    def add(self, doc: int, grams: Grams) -> None:
        if len(grams):
            docs = np.full(len(grams), doc, dtype=np.uint32)
            self.pending.append((grams, docs, np.arange(len(grams), dtype=np.uint32)))

    def merge(self) -> None:
        if not self.pending:
            return
        grams = np.concatenate([self.grams, *(p[0] for p in self.pending)])
        docs = np.concatenate([self.docs, *(p[1] for p in self.pending)])
        positions = np.concatenate([self.positions, *(p[2] for p in self.pending)])
        order = np.lexsort((positions, docs, grams))
        self.grams, self.docs, self.positions = grams[order], docs[order], positions[order]
        self.pending = []

    def hits(self, query: Grams, exclude: frozenset[int] = frozenset()) -> Hits:
        """(query position, document, position) of every occurrence of every query gram
        in a document not in ``exclude``, sorted by query position, then document, then
        position."""
        self.merge()
        # Looked up in sorted order (each search starts where the last one ended: a third
        # faster on a large index), then put back in the query's order.
        order = np.argsort(query, kind="stable")
        low, high = np.empty(len(query), np.int64), np.empty(len(query), np.int64)
        low[order] = np.searchsorted(self.grams, query[order], side="left")
        high[order] = np.searchsorted(self.grams, query[order], side="right")
        counts = high - low
        total = int(counts.sum())
        if not total:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, empty
        where = np.repeat(low, counts) + (
            np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
        )
        at = np.repeat(np.arange(len(query)), counts)
        docs, positions = self.docs[where].astype(np.int64), self.positions[where].astype(np.int64)
        if exclude:
            keep = ~np.isin(docs, list(exclude))
            return at[keep], docs[keep], positions[keep]
        return at, docs, positions


def sorted_hits(
    group: npt.NDArray[np.int64],
    at: npt.NDArray[np.int64],
    docs: npt.NDArray[np.int64],
    diagonal: npt.NDArray[np.int64],
) -> tuple[npt.NDArray[np.int64], ...]:
    """Hits (``group``: which query, when several are looked up at once) ordered by
    group, source, diagonal, then query position: one sort of a packed key (a four-key
    lexsort costs about three times as much), else the lexsort."""
    low = int(diagonal.min())
    diagonals, positions = int(diagonal.max()) - low + 1, int(at.max()) + 1
    sources = int(docs.max()) + 1
    if (int(group.max()) + 1) * sources * diagonals * positions >= 2**62:
        order = np.lexsort((at, diagonal, docs, group))
        return group[order], at[order], docs[order], diagonal[order]
    key = np.sort(((group * sources + docs) * diagonals + (diagonal - low)) * positions + at)
    rest, at = np.divmod(key, positions)
    rest, shifted = np.divmod(rest, diagonals)
    group, docs = np.divmod(rest, sources)
    return group, at, docs, shifted + low
