"""Novelty: find entries that copy the reference music or earlier entries.

A piece is cut into *voices* (each pitched track's top line, plus its bottom line when
the track plays chords). A voice becomes a sequence of tokens, one per pair of
consecutive notes: the melodic interval (transposition-invariant) and the ratio of
consecutive inter-onset intervals on a quarter-octave log scale (invariant to tempo
and to time-stretching). ``NGRAM`` consecutive tokens pack exactly into one integer,
the voice's fingerprint being the set of those integers.

A voice *matches* a source when the IDF-weighted share of its grams found in the
source reaches ``voice_threshold`` (common figures such as scale runs weigh little);
a piece *copies* a source when at least ``piece_threshold`` of its voices match. The
unit is the voice, not the note, so that two different accompaniments of the same
sample melody (which share one voice out of four) are not copies of each other,
while a copy with re-ordered or re-instrumented tracks, or 10 % of its notes dropped,
still matches voice for voice. Thresholds are chosen on the validation split (see the
validity report).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from music.score import Score

NGRAM = 4  # tokens per gram: a gram spans NGRAM + 2 notes
MAX_INTERVAL = 24  # semitones; larger leaps are clipped
MAX_RATIO_STEP = 12  # quarter octaves: ioi ratios beyond 8x are clipped
_INTERVAL_CODES = 2 * MAX_INTERVAL + 1
_RATIO_CODES = 2 * MAX_RATIO_STEP + 1
_TOKEN_BITS = 11  # 49 * 25 = 1225 token values fit in 11 bits; 4 tokens in 44 bits
MIN_VOICE_NOTES = NGRAM + 2

VOICE_THRESHOLD = 0.3
PIECE_THRESHOLD = 0.5
# Grams found in more than this share of the indexed pieces carry almost no evidence
# and would make queries slow; they are skipped.
MAX_DOCUMENT_FREQUENCY = 0.05
# ...but only once that share is a crowd: in a small index (a new challenge's entries) a
# gram shared by two pieces is evidence, not noise.
MIN_COMMON_DOCUMENTS = 20

Grams = npt.NDArray[np.uint64]


@dataclass(frozen=True)
class Fingerprint:
    """The gram sets of a piece's voices (voices too short for one gram are left out)."""

    voices: tuple[Grams, ...]

    @property
    def all_grams(self) -> Grams:
        if not self.voices:
            return np.zeros(0, dtype=np.uint64)
        return np.unique(np.concatenate(self.voices))

    def to_bytes(self) -> bytes:
        """A compact form for storing with an entry (rebuilds the index without re-parsing)."""
        buffer = io.BytesIO()
        np.savez_compressed(buffer, *self.voices)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> Fingerprint:
        with np.load(io.BytesIO(data)) as arrays:
            count = len(arrays.files)
            return cls(tuple(arrays[f"arr_{i}"].astype(np.uint64) for i in range(count)))


def voice_lines(score: Score) -> list[tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]]:
    """(onsets, pitches) of each voice: every pitched track's top line, and its bottom
    line where the track has chords (one note per onset, onsets strictly increasing)."""
    lines = []
    for track in score.pitched_tracks():
        if not track.notes:
            continue
        starts = np.fromiter((n.start for n in track.notes), dtype=np.int64)
        pitches = np.fromiter((n.pitch for n in track.notes), dtype=np.int64)
        order = np.lexsort((pitches, starts))
        starts, pitches = starts[order], pitches[order]
        first = np.r_[True, starts[1:] != starts[:-1]]
        last = np.r_[starts[1:] != starts[:-1], True]
        lines.append((starts[last], pitches[last]))  # highest pitch at each onset
        if not first.all():
            lines.append((starts[first], pitches[first]))  # lowest pitch at each onset
    return lines


def voice_grams(onsets: npt.NDArray[np.int64], pitches: npt.NDArray[np.int64]) -> Grams:
    """The set of packed gram integers of one voice."""
    if len(onsets) < MIN_VOICE_NOTES:
        return np.zeros(0, dtype=np.uint64)
    intervals = np.clip(np.diff(pitches), -MAX_INTERVAL, MAX_INTERVAL)
    iois = np.diff(onsets).astype(np.float64)
    steps = np.rint(4.0 * np.log2(iois[1:] / iois[:-1]))
    ratios = np.clip(steps, -MAX_RATIO_STEP, MAX_RATIO_STEP).astype(np.int64)
    # token k: the interval into note k+1 and the rhythm ratio around it.
    tokens = (intervals[:-1] + MAX_INTERVAL) * _RATIO_CODES + (ratios + MAX_RATIO_STEP)
    tokens = tokens.astype(np.uint64)
    count = len(tokens) - NGRAM + 1
    grams = np.zeros(count, dtype=np.uint64)
    for j in range(NGRAM):
        grams |= tokens[j : j + count] << np.uint64(_TOKEN_BITS * j)
    return np.unique(grams)


def fingerprint(score: Score) -> Fingerprint:
    voices = (voice_grams(onsets, pitches) for onsets, pitches in voice_lines(score))
    return Fingerprint(tuple(v for v in voices if len(v)))


@dataclass(frozen=True)
class Match:
    """A source that the queried piece copies (or resembles, below the thresholds)."""

    source: str
    copied_fraction: float  # share of the piece's voices that match the source
    voice_scores: tuple[float, ...]  # each voice's weighted containment in the source


@dataclass
class NoveltyIndex:
    """An inverted index from grams to the pieces containing them; append-only.

    Postings live in two sorted numpy arrays (gram, piece) so that tens of thousands of
    pieces take a few MB; new pieces go to a small buffer merged in on the next query.
    """

    voice_threshold: float = VOICE_THRESHOLD
    piece_threshold: float = PIECE_THRESHOLD
    sources: list[str] = field(default_factory=list)
    _grams: Grams = field(default_factory=lambda: np.zeros(0, dtype=np.uint64))
    _docs: npt.NDArray[np.uint32] = field(default_factory=lambda: np.zeros(0, dtype=np.uint32))
    _pending: list[tuple[int, Grams]] = field(default_factory=list)
    _positions: dict[str, int] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.sources)

    def __contains__(self, source: str) -> bool:
        return source in self._positions

    def add(self, source: str, print_: Fingerprint) -> None:
        """Index a piece under ``source``; adding the same source again is a no-op."""
        if source in self._positions:
            return
        self._positions[source] = len(self.sources)
        self.sources.append(source)
        self._pending.append((self._positions[source], print_.all_grams))

    def add_many(self, items: Iterable[tuple[str, Fingerprint]]) -> None:
        for source, print_ in items:
            self.add(source, print_)

    def _merge_pending(self) -> None:
        if not self._pending:
            return
        grams = [self._grams, *(g for _, g in self._pending)]
        docs = [self._docs, *(np.full(len(g), d, dtype=np.uint32) for d, g in self._pending)]
        all_grams, all_docs = np.concatenate(grams), np.concatenate(docs)
        order = np.lexsort((all_docs, all_grams))
        self._grams, self._docs = all_grams[order], all_docs[order]
        self._pending = []

    def query(
        self, print_: Fingerprint, *, exclude: Iterable[str] = (), limit: int = 5
    ) -> list[Match]:
        """The sources that share most with the piece, best first (at most ``limit``)."""
        self._merge_pending()
        voices = [v for v in print_.voices if len(v)]
        if not voices or not self.sources:
            return []
        excluded = {self._positions[s] for s in exclude if s in self._positions}
        per_voice = [self._voice_containment(v) for v in voices]
        candidates = set().union(*(scores.keys() for scores in per_voice)) - excluded
        matches = []
        for doc in candidates:
            scores = tuple(float(s.get(doc, 0.0)) for s in per_voice)
            matched = sum(score >= self.voice_threshold for score in scores)
            matches.append(Match(self.sources[doc], matched / len(voices), scores))
        matches.sort(key=lambda m: (-m.copied_fraction, -sum(m.voice_scores), m.source))
        return matches[:limit]

    def find_copy(self, print_: Fingerprint, *, exclude: Iterable[str] = ()) -> Match | None:
        """The best-matching source if the piece copies it, else None."""
        best = self.query(print_, exclude=exclude, limit=1)
        if best and best[0].copied_fraction >= self.piece_threshold:
            return best[0]
        return None

    def _voice_containment(self, grams: Grams) -> dict[int, float]:
        """For each piece sharing grams with the voice: the IDF-weighted share it contains."""
        low = np.searchsorted(self._grams, grams, side="left")
        high = np.searchsorted(self._grams, grams, side="right")
        frequency = high - low
        pieces = len(self.sources)
        weights = np.log1p(pieces / np.maximum(frequency, 1))
        total = float(weights.sum())
        common = max(MIN_COMMON_DOCUMENTS, MAX_DOCUMENT_FREQUENCY * pieces)
        usable = (frequency > 0) & (frequency <= common)
        if not usable.any() or total <= 0:
            return {}
        counts = frequency[usable]
        starts = np.repeat(low[usable], counts)
        offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        docs = self._docs[starts + offsets]
        gram_weights = np.repeat(weights[usable], counts)
        sums = np.bincount(docs, weights=gram_weights, minlength=pieces)
        hit = np.nonzero(sums)[0]
        return {int(d): float(sums[d] / total) for d in hit}

    # ----- persistence -----------------------------------------------------------------

    def save(self, path: Path) -> None:
        self._merge_pending()
        meta = {
            "sources": self.sources,
            "voice_threshold": self.voice_threshold,
            "piece_threshold": self.piece_threshold,
            "ngram": NGRAM,
        }
        with path.open("wb") as handle:
            np.savez_compressed(
                handle, grams=self._grams, docs=self._docs, meta=np.array(json.dumps(meta))
            )

    @classmethod
    def load(cls, path: Path) -> NoveltyIndex:
        with np.load(path) as arrays:
            meta = json.loads(str(arrays["meta"]))
            if meta["ngram"] != NGRAM:
                raise ValueError(f"{path} was built with {meta['ngram']}-grams, not {NGRAM}")
            index = cls(
                voice_threshold=meta["voice_threshold"], piece_threshold=meta["piece_threshold"]
            )
            index.sources = list(meta["sources"])
            index._positions = {s: i for i, s in enumerate(index.sources)}
            index._grams = arrays["grams"].astype(np.uint64)
            index._docs = arrays["docs"].astype(np.uint32)
        return index
