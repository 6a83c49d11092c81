"""Novelty: find entries that copy the reference music or earlier entries.

A piece is cut into *voices* (each pitched track's top line, plus its bottom line when
the track plays chords). Two stages decide whether a piece copies a source:

1. *Candidates* by n-grams. A voice becomes its sequence of melodic intervals
   (transposition-invariant); ``NGRAM`` consecutive intervals pack exactly into one
   integer, the voice's grams being the set of those integers. Rhythm is left out on
   purpose: it makes the grams tempo- and time-stretch-invariant without any rounding
   (an earlier version coded the ratio of consecutive inter-onset intervals, and a copy
   stretched by 0.75 on a 24-tick grid rounds a 4.5-tick sixteenth to 4 or 5 ticks,
   which changed one gram in three). A voice's score against a source is the
   IDF-weighted share of its grams that the source holds (common figures such as scale
   runs weigh little). Where the source can be verified (stage 2) it is a candidate
   when the voices' mean score reaches ``candidate_threshold`` (low: a short voice with
   one note dropped keeps few grams), the ``CANDIDATES`` best by score are verified, and
   the first that verifies is the match; otherwise it copies the source when at least
   ``piece_threshold`` of the piece's voices reach ``voice_threshold``.
2. *Verification* note for note, where the source's voices were indexed with their
   pitches (the reference corpora are): each voice of the piece is aligned with each
   voice of the source (pitch sequences, the piece transposed by the shift that best
   overlays the two pitch histograms; ``2 * LCS / (len(a) + len(b))``).
   A voice *matches* when its best ratio reaches ``alignment_threshold`` and the piece
   *copies* the source when at least ``piece_threshold`` of its voices match. A copy
   with 10 % of its notes dropped still aligns at about 0.95; a different tune that
   shares many short figures with the source does not.

The unit is the voice, not the note, so that two different accompaniments of the same
sample melody (which share one voice out of four) are not copies of each other, while
a copy with re-ordered or re-instrumented tracks, or 10 % of its notes dropped, still
matches voice for voice. Sources indexed without pitches (the service's per-participant
documents of earlier entries) are decided by stage 1 alone. The thresholds are chosen
on the profile's validation split when the profile is built (:func:`calibrate`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from evaluation.alignment import (
    Pitches,
    SeededLine,
    line_alignment,
    local_match,
    seeded,
)
from evaluation.canonical import slices
from evaluation.coverage import Coverage, CoverageIndex
from evaluation.fingerprint import FORMAT, NGRAM, Fingerprint, Grams
from music.score import Score

VOICE_THRESHOLD = 0.3  # stage 1 alone (sources indexed without pitches)
CANDIDATE_THRESHOLD = 0.05  # stage 1 before verification: mean voice score; recall first
ALIGNMENT_THRESHOLD = 0.85
PIECE_THRESHOLD = 0.5
CANDIDATES = 5  # sources verified per query, best stage-1 scores first
# A voice copies part of a source when at least ``local_threshold`` of its notes are so
# matched in one run: chosen on validation, never below MIN_LOCAL_NOTES (so that short
# shared figures such as scales and cadences never flag).
MIN_LOCAL_NOTES = 24
LOCAL_THRESHOLD = 32
# ...and the piece copies part of a source when this share of its voices do so: more
# than for whole copies (PIECE_THRESHOLD), as a different harmonisation of the same
# melody often shares a phrase or two of its bass as well (one voice in four may
# differ: a copy with a part rewritten is still a copy).
LOCAL_PIECE_THRESHOLD = 0.75
# Grams found in more than this share of the indexed pieces carry almost no evidence
# and would make queries slow; they are skipped.
MAX_DOCUMENT_FREQUENCY = 0.05
# ...but only once that share is a crowd: in a small index (a new challenge's entries) a
# gram shared by two pieces is evidence, not noise.
MIN_COMMON_DOCUMENTS = 20


@dataclass(frozen=True)
class Match:
    """A source that the queried piece copies (or resembles, below the thresholds)."""

    source: str
    copied_fraction: float  # share of the piece's voices that match the source
    voice_scores: tuple[float, ...]  # each voice's weighted containment in the source
    # Each voice's best note-for-note alignment with the source's voices (verified
    # matches only; empty where the source was indexed without pitches).
    alignments: tuple[float, ...] = ()
    # Each voice's notes found in one run in a voice of the source (local_match; 0
    # where the voice was not checked, as its whole-line alignment already matched).
    local: tuple[int, ...] = ()
    # Where coverage decided (evaluation.coverage): which rule ("runs", "source" or
    # "chords"), and every source of the runs, most time first.
    rule: str = "voices"
    sources: tuple[str, ...] = ()


def copy_strength(values: Sequence[float], piece_threshold: float = PIECE_THRESHOLD) -> float:
    """The highest voice threshold at which ``piece_threshold`` of the voices still match."""
    if not len(values):
        return 0.0
    ranked = sorted(values, reverse=True)
    needed = max(1, int(np.ceil(piece_threshold * len(ranked) - 1e-9)))
    return float(ranked[needed - 1])


@dataclass
class NoveltyIndex:
    """An inverted index from grams to the pieces containing them; append-only.

    Postings live in two sorted numpy arrays (gram, piece) so that tens of thousands of
    pieces take a few MB; new pieces go to a small buffer merged in on the next query.
    The voices' pitches, where given, are kept per piece for verification.
    """

    voice_threshold: float = VOICE_THRESHOLD
    piece_threshold: float = PIECE_THRESHOLD
    candidate_threshold: float = CANDIDATE_THRESHOLD
    alignment_threshold: float = ALIGNMENT_THRESHOLD
    local_threshold: int = LOCAL_THRESHOLD
    local_piece_threshold: float = LOCAL_PIECE_THRESHOLD
    sources: list[str] = field(default_factory=list)
    _grams: Grams = field(default_factory=lambda: np.zeros(0, dtype=np.uint64))
    _docs: npt.NDArray[np.uint32] = field(default_factory=lambda: np.zeros(0, dtype=np.uint32))
    _pending: list[tuple[int, Grams]] = field(default_factory=list)
    _positions: dict[str, int] = field(default_factory=dict)
    _lines: dict[int, tuple[Pitches, ...]] = field(default_factory=dict)
    _seeded: dict[int, tuple[SeededLine, ...]] = field(default_factory=dict)  # on first use
    coverage: CoverageIndex = field(default_factory=CoverageIndex)

    def __len__(self) -> int:
        return len(self.sources)

    def __contains__(self, source: str) -> bool:
        return source in self._positions

    def add(self, source: str, print_: Fingerprint) -> None:
        """Index a piece under ``source``; adding the same source again is a no-op."""
        if source in self._positions:
            return
        position = len(self.sources)
        self._positions[source] = position
        self.sources.append(source)
        self._pending.append((position, print_.all_grams))
        if print_.lines:
            self._lines[position] = print_.lines
        if print_.canonical is not None:
            self.coverage.add(position, print_.canonical)

    def rebuild_coverage(self, scores: Mapping[str, Score]) -> None:
        """Coverage indexed afresh from the canonical forms of ``scores`` (every indexed
        source's score), its settings kept: for a change to the canonical form that
        leaves the voices' grams and pitches alone."""
        missing = [source for source in self.sources if source not in scores]
        if missing:
            raise ValueError(f"no score for {len(missing)} indexed sources, e.g. {missing[0]}")
        fresh = CoverageIndex()
        fresh.adopt_settings(self.coverage)
        for position, source in enumerate(self.sources):
            fresh.add(position, slices(scores[source]))
        self.coverage = fresh

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

    def _score_matrix(
        self, print_: Fingerprint, exclude: Iterable[str]
    ) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.float64]]:
        """Every piece sharing grams with the piece, in order, and each voice's
        containment in it (one row per piece, one column per voice)."""
        self._merge_pending()
        voices = [v for v in print_.voices if len(v)]
        if not voices or not self.sources:
            return np.zeros(0, dtype=np.intp), np.zeros((0, 0))
        per_voice = np.stack([self._voice_containment(v) for v in voices], axis=1)
        shared = np.asarray(per_voice.any(axis=1), dtype=bool)
        shared[[self._positions[s] for s in exclude if s in self._positions]] = False
        docs = np.nonzero(shared)[0]
        return docs, per_voice[docs]

    def _scores(
        self, print_: Fingerprint, exclude: Iterable[str]
    ) -> list[tuple[int, tuple[float, ...]]]:
        """Every piece sharing grams with the piece, with each voice's containment in it."""
        docs, matrix = self._score_matrix(print_, exclude)
        return [(doc, tuple(row)) for doc, row in zip(docs.tolist(), matrix.tolist(), strict=True)]

    def query(
        self, print_: Fingerprint, *, exclude: Iterable[str] = (), limit: int = 5
    ) -> list[Match]:
        """The sources that share most grams with the piece, best first (at most
        ``limit``; stage 1 only, ``copied_fraction`` at ``voice_threshold``)."""
        matches = []
        for doc, scores in self._scores(print_, exclude):
            matched = sum(score >= self.voice_threshold for score in scores)
            matches.append(Match(self.sources[doc], matched / len(scores), scores))
        matches.sort(key=lambda m: (-m.copied_fraction, -sum(m.voice_scores), m.source))
        return matches[:limit]

    def find_copy(self, print_: Fingerprint, *, exclude: Iterable[str] = ()) -> Match | None:
        """The source the piece copies (the best one if several), else None: voice by
        voice first, then by coverage (:meth:`covered`)."""
        excluded = list(exclude)
        found = self.voice_copy(print_, exclude=excluded)
        return found or self.coverage_match(self.covered(print_, exclude=excluded))

    def voice_copy(self, print_: Fingerprint, *, exclude: Iterable[str] = ()) -> Match | None:
        """The source the piece copies voice for voice (the best if several), else None."""
        matches = self.copy_candidates(print_, exclude=exclude, first=True)
        best = [m for m in matches if m.copied_fraction >= self.piece_threshold]
        return best[0] if best else None

    def covered(self, print_: Fingerprint, *, exclude: Iterable[str] = ()) -> Coverage | None:
        """The piece's coverage by this index's pieces but ``exclude`` (None when the
        fingerprint has no canonical form)."""
        if print_.canonical is None:
            return None
        excluded = frozenset(self._positions[s] for s in exclude if s in self._positions)
        return self.coverage.measure(print_.canonical, excluded)

    def coverage_match(self, coverage: Coverage | None) -> Match | None:
        """The copy that ``coverage`` shows under this index's thresholds, else None."""
        if coverage is None:
            return None
        if coverage.run >= self.coverage.run_threshold and coverage.run_sources:
            sources = tuple(self.sources[d] for d in coverage.run_sources)
            return Match(sources[0], coverage.run, (), rule="runs", sources=sources)
        if coverage.source >= self.coverage.source_threshold and coverage.best_source is not None:
            source = self.sources[coverage.best_source]
            return Match(source, coverage.source, (), rule="source", sources=(source,))
        if coverage.coarse >= self.coverage.coarse_threshold and coverage.coarse_sources:
            sources = tuple(self.sources[d] for d in coverage.coarse_sources)
            return Match(sources[0], coverage.coarse, (), rule="runs", sources=sources)
        limit = self.coverage.source_run_threshold
        if coverage.source_runs >= limit and coverage.source_runs_source is not None:
            source = self.sources[coverage.source_runs_source]
            return Match(source, coverage.source_runs, (), rule="chords", sources=(source,))
        if coverage.few >= self.coverage.few_threshold and coverage.few_sources:
            sources = tuple(self.sources[d] for d in coverage.few_sources)
            return Match(sources[0], coverage.few, (), rule="runs", sources=sources)
        return None

    def copy_candidates(
        self, print_: Fingerprint, *, exclude: Iterable[str] = (), first: bool = False
    ) -> list[Match]:
        """The sources that pass stage 1, with ``copied_fraction`` as decided (verified
        note for note where both sides have pitches), best first. With ``first``,
        verification stops at the first source that verifies as copied."""
        lines = print_.lines if len(print_.lines) == len(print_.voices) else ()
        docs, matrix = self._score_matrix(print_, exclude)
        total = np.zeros(len(docs))
        for column in matrix.T:
            total = total + column  # added in order, as ``sum`` adds a voice's scores
        checkable = np.array([bool(lines) and doc in self._lines for doc in docs.tolist()], bool)
        candidate = checkable & (total / max(1, matrix.shape[1]) >= self.candidate_threshold)
        verify = [(doc, tuple(matrix[i].tolist())) for i, doc in _indexed(docs, candidate)]
        verify.sort(key=lambda item: (-sum(item[1]), self.sources[item[0]]))
        matches = []
        for i, doc in _indexed(docs, ~checkable):
            scores = tuple(matrix[i].tolist())
            matched = sum(score >= self.voice_threshold for score in scores)
            matches.append(Match(self.sources[doc], matched / len(scores), scores))
        prepared = tuple(seeded(line) for line in lines) if verify else ()
        for doc, scores in verify[:CANDIDATES]:
            match = self._verify(doc, lines, prepared, scores, every_voice=not first)
            matches.append(match)
            if first and match.copied_fraction >= self.piece_threshold:
                break
        matches.sort(
            key=lambda m: (-m.copied_fraction, -sum(m.alignments), -sum(m.voice_scores), m.source)
        )
        return matches

    def _verify(
        self,
        doc: int,
        lines: tuple[Pitches, ...],
        prepared: tuple[SeededLine, ...],
        scores: tuple[float, ...],
        every_voice: bool,
    ) -> Match:
        """Source ``doc`` checked note for note (``prepared``: the voices ``lines`` ready
        for local matching): each voice's whole-line alignment; where fewer than
        ``piece_threshold`` of the voices match whole, each voice's local match, the
        piece then copying the source when ``local_piece_threshold`` of its
        voices match whole or locally. ``copied_fraction`` is the share of voices
        matched (whole, or whole or locally where the local rule decided), 0 when
        neither rule holds. With ``every_voice`` (calibration), ``alignments`` and
        ``local`` are exact for every voice; without, only the decision is (an alignment
        that cannot reach ``alignment_threshold`` is left at 0, a voice's local search
        stops at the first source voice that reaches ``local_threshold``, and voices
        are left at 0 from the first that shows the local rule cannot hold)."""
        theirs = self._lines[doc]
        bound = 0.0 if every_voice else self.alignment_threshold  # else only the decision
        alignments = tuple(
            max(line_alignment(line, other, bound) for other in theirs) for line in lines
        )
        whole = [a >= self.alignment_threshold for a in alignments]
        local = [0] * len(lines)
        fraction = sum(whole) / len(lines)
        needed = self.local_piece_threshold - 1e-9  # share of voices for the local rule
        if every_voice or fraction < self.piece_threshold:
            if doc not in self._seeded:
                self._seeded[doc] = tuple(seeded(other) for other in theirs)
            missed = 0
            for v, line in enumerate(prepared):
                if not every_voice and (len(lines) - missed) / len(lines) < needed:
                    break  # too few voices left to match: not a copy, whatever they hold
                if whole[v]:
                    continue
                for other in self._seeded[doc] if scores[v] > 0 else ():  # a gram in common
                    found = local_match(line, other, 0 if every_voice else self.local_threshold)
                    local[v] = max(local[v], found)
                    if not every_voice and local[v] >= self.local_threshold:
                        break
                missed += local[v] < self.local_threshold
        if fraction < self.piece_threshold:
            either = sum(w or n >= self.local_threshold for w, n in zip(whole, local, strict=True))
            if either / len(lines) >= needed:
                fraction = either / len(lines)
        return Match(self.sources[doc], fraction, scores, alignments, tuple(local))

    def _voice_containment(self, grams: Grams) -> npt.NDArray[np.float64]:
        """For each indexed piece: the IDF-weighted share of the voice's grams it
        contains (0 where it shares none)."""
        low = np.searchsorted(self._grams, grams, side="left")
        high = np.searchsorted(self._grams, grams, side="right")
        frequency = high - low
        pieces = len(self.sources)
        weights = np.log1p(pieces / np.maximum(frequency, 1))
        total = float(weights.sum())
        common = max(MIN_COMMON_DOCUMENTS, MAX_DOCUMENT_FREQUENCY * pieces)
        usable = (frequency > 0) & (frequency <= common)
        if not usable.any() or total <= 0:
            return np.zeros(pieces)
        counts = frequency[usable]
        starts = np.repeat(low[usable], counts)
        offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        docs = self._docs[starts + offsets]
        gram_weights = np.repeat(weights[usable], counts)
        return np.bincount(docs, weights=gram_weights, minlength=pieces) / total

    # ----- persistence -----------------------------------------------------------------

    def save(self, path: Path) -> None:
        self._merge_pending()
        meta = {
            "format": FORMAT,
            "sources": self.sources,
            "voice_threshold": self.voice_threshold,
            "piece_threshold": self.piece_threshold,
            "candidate_threshold": self.candidate_threshold,
            "alignment_threshold": self.alignment_threshold,
            "local_threshold": self.local_threshold,
            "local_piece_threshold": self.local_piece_threshold,
            "ngram": NGRAM,
            "coverage": self.coverage.settings(),
        }
        docs = sorted(self._lines)
        voices = [self._lines[d] for d in docs]
        flat = [line for lines in voices for line in lines]
        with path.open("wb") as handle:
            np.savez_compressed(
                handle,
                grams=self._grams,
                docs=self._docs,
                line_docs=np.array(docs, dtype=np.uint32),
                line_counts=np.array([len(v) for v in voices], dtype=np.uint16),
                line_lengths=np.array([len(line) for line in flat], dtype=np.uint32),
                line_pitches=np.concatenate(flat) if flat else np.zeros(0, dtype=np.uint8),
                meta=np.array(json.dumps(meta)),
                **self.coverage.to_arrays(),  # type: ignore[arg-type]
            )

    @classmethod
    def load(cls, path: Path) -> NoveltyIndex:
        with np.load(path) as arrays:
            meta = json.loads(str(arrays["meta"]))
            # Format 2 is format 3 without coverage, and format 3 is format 4 without
            # voicings: they load, and what they lack finds nothing until the profile's
            # coverage is rebuilt (build-profile NAME --recalibrate-coverage).
            if meta.get("format") not in (2, 3, FORMAT) or meta["ngram"] != NGRAM:
                raise ValueError(
                    f"{path} is a format-{meta.get('format', 1)} index; rebuild the profile"
                )
            index = cls(
                voice_threshold=meta["voice_threshold"],
                piece_threshold=meta["piece_threshold"],
                candidate_threshold=meta["candidate_threshold"],
                alignment_threshold=meta["alignment_threshold"],
                local_threshold=int(meta.get("local_threshold", LOCAL_THRESHOLD)),
                local_piece_threshold=meta.get("local_piece_threshold", LOCAL_PIECE_THRESHOLD),
            )
            if "coverage" in meta:
                index.coverage = CoverageIndex.from_arrays(arrays, meta["coverage"])
            index.sources = list(meta["sources"])
            index._positions = {s: i for i, s in enumerate(index.sources)}
            index._grams = arrays["grams"].astype(np.uint64)
            index._docs = arrays["docs"].astype(np.uint32)
            lengths = arrays["line_lengths"].astype(np.int64)
            flat = np.split(arrays["line_pitches"].astype(np.uint8), np.cumsum(lengths)[:-1])
            bounds = np.cumsum([0, *arrays["line_counts"].astype(np.int64)])
            for i, doc in enumerate(arrays["line_docs"].tolist()):
                index._lines[int(doc)] = tuple(flat[bounds[i] : bounds[i + 1]])
        return index


def _indexed(
    docs: npt.NDArray[np.intp], chosen: npt.NDArray[np.bool_]
) -> Iterator[tuple[int, int]]:
    """(row, document) of the chosen rows of a score matrix."""
    return zip(np.nonzero(chosen)[0].tolist(), docs[chosen].tolist(), strict=True)
