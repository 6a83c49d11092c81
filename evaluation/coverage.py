"""Coverage: how much of a piece's sounding time lies in runs copied from other pieces.

The copy check's second rule (:mod:`evaluation.novelty` has the first, voice by voice).
Pieces are compared in their canonical form (:mod:`evaluation.canonical`), so doubling
tracks, merged or hocketed voices, a major-minor swap and a player's timing change
nothing. Three measures, each a share of the query:

- **run coverage**: the share of sounding time inside runs of at least ``run_tokens``
  consecutive *outer-voice tokens* (the sounding degrees plus the degrees of the lowest
  and highest notes) that appear in the same order in *some* indexed piece
  (``GRAM``-token seeds chained along one diagonal, up to ``GAP`` unmatched seeds in a
  row). Runs from *any* sources add up, so a cento of two-bar chunks of four chorales is
  covered as fully as one chorale copied whole;
- **source coverage**: the largest share of the query's distinctive ``SHORT_GRAM``-token
  figures (outer-voice tokens) found anywhere in *one* source: a piece made of one
  source's bars in another order keeps almost all of that source's figures, which a new
  piece shares with no single source;
- **register-free run coverage**: run coverage on tokens without the outer voices, which
  octave moves (an inner voice taken above the melody or below the bass) cannot change.
  These tokens are coarse, and a real piece shares long formulaic runs with a corpus of
  its own style, so its threshold is high: it catches whole pieces re-voiced, not
  centos;
- **one-source chord runs**: the share of sounding time inside runs of consecutive
  *voiced chords* (bass degree and the intervals above the bass,
  :func:`evaluation.canonical.voicing_tokens`) holding at least ``SOURCE_RUN_NOTES``
  notes (two chords of three voices; six notes of a tune) found in *one* source, in any
  order. Bars in another order keep their chords and the chords' order inside each bar,
  and exact voicings are specific where degree figures are not: two chorales share
  formulas, rarely the same voiced chords in a row. (The figures of source coverage
  span the bar lines that a shuffle breaks; a chorale's bar holds two or three of them.)
- **few-source chord runs**: the same with runs of at least ``FEW_RUN_NOTES`` notes,
  over the ``FEW_SOURCES`` sources that cover most together (chosen greedily): a cento
  of two-bar chunks is too short for the long runs of run coverage, but its chunks come
  from a handful of pieces, where a real piece's chance matches are spread over many.
  A chord of three or more notes outside every run but voiced alike somewhere in the
  source counts ``SINGLE_CHORD_WEIGHT`` of its time to the one-source share: the bars of
  a chorale often hold one or two chords, and a shuffle leaves such a bar no run.

Chord-run shares are scaled by ``n / (n + EVIDENCE_CHORDS)`` for a piece of ``n``
chords: a short piece shares a larger part of itself with some source by chance (the
first bars of real chorales reach shares that whole chorales never do), so it must
share more to be flagged.

The piece copies when any share reaches its threshold; thresholds are chosen on a
validation split when the profile is built (:mod:`evaluation.novelty_calibration`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from evaluation.canonical import (
    OUTER_TOKEN_BITS,
    TOKEN_BITS,
    TONICS,
    VOICING_SPAN,
    Slices,
    TonicTokens,
    tokens,
    tonic_tokens,
    voicing_tokens,
    voicing_tokens_at,
)
from evaluation.grams import VOICING_GRAM, Grams, chord_seeds, pack, pack_rows
from evaluation.postings import Postings, sorted_hits

GRAM = 4  # tokens per seed of a run
SHORT_GRAM = 3  # tokens per figure of source coverage
GAP = 2  # a run survives this many unmatched seeds in a row
RUN_TOKENS = 8  # shortest run counted (tokens); chosen on validation
RUN_THRESHOLD = 0.5  # run coverage that flags; chosen on validation
SOURCE_THRESHOLD = 0.6  # source coverage that flags; chosen on validation
COARSE_RUN_TOKENS = 8  # the same for register-free runs
COARSE_THRESHOLD = 0.9
RARE_SHARE = 0.02  # a figure in more than this share of the indexed pieces is common
RARE_MIN = 3  # ...but a figure in this many pieces never is (small indexes)
UNFOUND_WEIGHT = 0.1  # an unfound figure counts this much against every source (validation)
MIN_FIGURES = 8  # fewer distinctive figures than this say nothing about any source
# Shortest chord runs counted, in notes (a chord's notes are its distinct intervals above
# the bass): in notes rather than chords, so that two notes of a tune in a row, which
# any two tunes share, are not counted as two chords.
SOURCE_RUN_NOTES = 6  # one-source chord runs
FEW_RUN_NOTES = 18  # few-source chord runs (five chords of four voices; chosen on validation)
FEW_SOURCES = 4  # ...over this many sources
EVIDENCE_CHORDS = 8  # chord-run shares of a piece of n chords are scaled by n / (n + this)
# A chord outside any run but voiced alike somewhere in the source counts this much (a
# bar of one chord has no run of its own once the bars are shuffled); only chords of at
# least SINGLE_CHORD_NOTES notes, as single notes of a tune prove nothing.
SINGLE_CHORD_WEIGHT = 0.5
SINGLE_CHORD_NOTES = 3
CHORD_MASK = (1 << (4 + VOICING_SPAN)) - 1  # a voicing token without its length class
SOURCE_RUN_THRESHOLD = 0.6  # chosen on validation
FEW_THRESHOLD = 0.7  # chosen on validation


@dataclass(frozen=True)
class Coverage:
    run: float  # share of sounding time in long runs found in any sources
    source: float  # the best single source's share by short figures
    best_source: int | None  # that source (index position), None when nothing matched
    run_sources: tuple[int, ...]  # sources of the runs, most time first
    in_runs: npt.NDArray[np.bool_] | None = None  # which of the piece's slices are in runs
    coarse: float = 0.0  # register-free run coverage
    coarse_sources: tuple[int, ...] = ()
    source_runs: float = 0.0  # one-source chord-run coverage (scaled by the evidence)
    source_runs_source: int | None = None
    few: float = 0.0  # few-source chord-run coverage (scaled by the evidence)
    few_sources: tuple[int, ...] = ()


@dataclass
class _Runs:
    """What runs found: which slices they cover, and each source's share of that time."""

    in_runs: npt.NDArray[np.bool_]
    time: dict[int, float] = field(default_factory=dict)

    def share(self, lengths: npt.NDArray[np.int64]) -> float:
        return float(lengths[self.in_runs].sum()) / float(lengths.sum())

    def ranked(self) -> tuple[int, ...]:
        return tuple(d for d, _ in sorted(self.time.items(), key=lambda i: (-i[1], i[0])))


@dataclass
class CoverageIndex:
    """Every indexed piece's canonical tokens (relative to its own tonic) as seeds for
    runs and as short figures; append-only, documents numbered by the caller."""

    run_tokens: int = RUN_TOKENS
    run_threshold: float = RUN_THRESHOLD
    source_threshold: float = SOURCE_THRESHOLD
    coarse_run_tokens: int = COARSE_RUN_TOKENS
    coarse_threshold: float = COARSE_THRESHOLD
    source_run_threshold: float = SOURCE_RUN_THRESHOLD
    few_threshold: float = FEW_THRESHOLD
    seeds: Postings = field(default_factory=Postings)
    figures: Postings = field(default_factory=Postings)
    coarse_seeds: Postings = field(default_factory=Postings)
    chords: Postings = field(default_factory=Postings)
    single_chords: Postings = field(default_factory=Postings)
    documents: int = 0

    def adopt_settings(self, other: CoverageIndex) -> None:
        """Decide as ``other`` does (the profile's thresholds, for an index of entries)."""
        self.run_tokens = other.run_tokens
        self.run_threshold = other.run_threshold
        self.source_threshold = other.source_threshold
        self.coarse_run_tokens = other.coarse_run_tokens
        self.coarse_threshold = other.coarse_threshold
        self.source_run_threshold = other.source_run_threshold
        self.few_threshold = other.few_threshold

    def add(self, doc: int, piece: Slices) -> None:
        self.documents = max(self.documents, doc + 1)
        tonic = piece.tonic
        outer, _ = tokens(piece, tonic, outer=True)
        coarse, _ = tokens(piece, tonic)
        self.seeds.add(doc, pack(outer, GRAM, OUTER_TOKEN_BITS))
        self.figures.add(doc, pack(outer, SHORT_GRAM, OUTER_TOKEN_BITS))
        self.coarse_seeds.add(doc, pack(coarse, GRAM, TOKEN_BITS))
        base, bass, first = voicing_tokens(piece)
        self.chords.add(doc, chord_seeds(voicing_tokens_at(base, bass, tonic)))
        full = np.bitwise_count(piece.voicing[first[:-1]]) >= SINGLE_CHORD_NOTES
        singles = voicing_tokens_at(base[full] & CHORD_MASK, bass[full], tonic)
        self.single_chords.add(doc, np.unique(singles).astype(np.uint64))

    def measure(self, piece: Slices, exclude: frozenset[int] = frozenset()) -> Coverage:
        """The piece's coverage by every indexed piece but ``exclude``, trying every
        tonic."""
        if float(piece.lengths.sum()) <= 0:
            return Coverage(0.0, 0.0, None, ())
        runs = _Runs(np.zeros(len(piece), dtype=bool))
        coarse = _Runs(np.zeros(len(piece), dtype=bool))
        # Every tonic at once: one lookup per kind of key, not one per tonic.
        outer = tonic_tokens(piece, outer=True)
        grams = pack_rows(outer.values, outer.offsets, GRAM, OUTER_TOKEN_BITS)
        self._runs(self.seeds, grams, outer, exclude, runs, piece, self.run_tokens)
        figures = pack_rows(outer.values, outer.offsets, SHORT_GRAM, OUTER_TOKEN_BITS)
        best, best_share = self._figures(*figures, exclude)
        plain = tonic_tokens(piece)
        grams = pack_rows(plain.values, plain.offsets, GRAM, TOKEN_BITS)
        self._runs(self.coarse_seeds, grams, plain, exclude, coarse, piece, self.coarse_run_tokens)
        lengths = piece.lengths
        chords = self._chord_runs(piece, exclude)
        return Coverage(
            runs.share(lengths),
            best_share,
            best,
            runs.ranked(),
            runs.in_runs,
            coarse.share(lengths),
            coarse.ranked(),
            *chords,
        )

    def _chord_runs(
        self, piece: Slices, exclude: frozenset[int]
    ) -> tuple[float, int | None, float, tuple[int, ...]]:
        """(one-source share, its source, few-source share, those sources) of chord runs
        (see the module's docstring), each scaled by the evidence; zeros and no source
        when neither rule can flag (switched off) or nothing matched."""
        nothing: tuple[float, int | None, float, tuple[int, ...]] = (0.0, None, 0.0, ())
        if min(self.source_run_threshold, self.few_threshold) > 1.0:
            return nothing
        base, bass, first = voicing_tokens(piece)
        count = len(base)
        if count < VOICING_GRAM:
            return nothing
        notes = np.bitwise_count(piece.voicing[first[:-1]]).astype(np.int64)
        run_docs, low, high = self._chord_run_spans(base, bass, exclude)
        single_docs, single_at = self._single_chords(base, bass, notes, exclude)
        if not len(run_docs) and not len(single_docs):
            return nothing
        present = np.zeros(int(max(run_docs.max(initial=0), single_docs.max(initial=0))) + 1, bool)
        present[run_docs] = True
        present[single_docs] = True
        sources = np.nonzero(present)[0]  # every source found, in order (one row each)
        row_of = np.cumsum(present) - 1
        row = row_of[run_docs]
        cumulative = np.concatenate(([0], np.cumsum(notes)))
        held = cumulative[high] - cumulative[low]  # notes in each run
        in_runs = _covered_chords(row, low, high, held >= SOURCE_RUN_NOTES, len(sources), count)
        weight = np.zeros((len(sources), count))
        weight[row_of[single_docs], single_at] = SINGLE_CHORD_WEIGHT
        weight[in_runs] = 1.0
        time = np.add.reduceat(piece.lengths, first[:-1]).astype(np.float64)  # per chord
        total = float(time.sum())
        evidence = count / (count + EVIDENCE_CHORDS)
        per_source = weight @ time
        best = int(np.argmax(per_source))
        long = _covered_chords(row, low, high, held >= FEW_RUN_NOTES, len(sources), count)
        union = np.zeros(count, dtype=bool)
        chosen: list[int] = []
        for _ in range(min(FEW_SOURCES, len(sources))):
            gains = (long & ~union).astype(np.float64) @ time
            pick = int(np.argmax(gains))
            if gains[pick] <= 0:
                break
            chosen.append(pick)
            union |= long[pick]
        return (
            float(per_source[best]) / total * evidence,
            int(sources[best]),
            float(time[union].sum()) / total * evidence,
            tuple(int(sources[c]) for c in chosen),
        )

    def _chord_run_spans(
        self, base: npt.NDArray[np.int64], bass: npt.NDArray[np.int64], exclude: frozenset[int]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """(source, first chord, end chord) of every run of the piece's chords found in
        order in a source (in any key: every tonic is tried)."""
        width = len(base) - VOICING_GRAM + 1  # seeds per tonic
        query = np.concatenate([chord_seeds(voicing_tokens_at(base, bass, t)) for t in TONICS])
        at, docs, positions = self.chords.hits(query, exclude)
        if not len(at):
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, empty
        tonic, seed = at // width, at % width
        # by source, tonic, diagonal, then seed (the source as the group)
        docs, seed, tonic, diagonal = sorted_hits(docs, seed, tonic, positions - seed)
        breaks = np.concatenate(
            (
                [True],
                (docs[1:] != docs[:-1])
                | (tonic[1:] != tonic[:-1])
                | (diagonal[1:] != diagonal[:-1])
                | (np.diff(seed) != 1),
            )
        )
        starts = np.nonzero(breaks)[0]
        ends = np.append(starts[1:], len(seed)) - 1
        return docs[starts], seed[starts], seed[ends] + VOICING_GRAM

    def _single_chords(
        self,
        base: npt.NDArray[np.int64],
        bass: npt.NDArray[np.int64],
        notes: npt.NDArray[np.int64],
        exclude: frozenset[int],
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """(source, chord) of every chord of at least ``SINGLE_CHORD_NOTES`` notes found
        voiced alike anywhere in a source (rhythm aside; in any key)."""
        chords = base & CHORD_MASK
        query = np.concatenate([voicing_tokens_at(chords, bass, t) for t in TONICS])
        at, docs, _ = self.single_chords.hits(query.astype(np.uint64), exclude)
        chord = at % len(base)
        keep = notes[chord] >= SINGLE_CHORD_NOTES
        return docs[keep], chord[keep]

    def _runs(
        self,
        postings: Postings,
        grams: tuple[Grams, npt.NDArray[np.int64]],
        tokenised: TonicTokens,
        exclude: frozenset[int],
        found: _Runs,
        piece: Slices,
        shortest: int,
    ) -> None:
        """Record in ``found`` the runs of at least ``shortest`` tokens that the query's
        seeds (``grams``: every tonic's, and where each tonic's start) find in order in
        one source, tonic by tonic, each source's time counted where no earlier run was."""
        seeds, offsets = grams
        at, docs, positions = postings.hits(seeds, exclude)
        if not len(at):
            return
        tonic = np.searchsorted(offsets, at, side="right") - 1
        at = at - offsets[tonic]
        tonic, at, docs, diagonal = sorted_hits(tonic, at, docs, positions - at)
        breaks = np.empty(len(at), dtype=bool)
        breaks[0] = True
        breaks[1:] = (
            (tonic[1:] != tonic[:-1])
            | (docs[1:] != docs[:-1])
            | (diagonal[1:] != diagonal[:-1])
            | (np.diff(at) > GAP + 1)
        )
        starts = np.nonzero(breaks)[0]
        ends = np.append(starts[1:], len(at)) - 1
        lows, highs = at[starts], at[ends] + GRAM  # each run's tokens [low, high)
        long_enough = highs - lows >= shortest
        starts, lows, highs = starts[long_enough], lows[long_enough], highs[long_enough]
        base = tokenised.offsets[tonic[starts]] + tonic[starts]  # each run's tonic in ``first``
        lows, highs = tokenised.first[base + lows].tolist(), tokenised.first[base + highs].tolist()
        for doc, low, high in zip(docs[starts].tolist(), lows, highs, strict=True):
            fresh = ~found.in_runs[low:high]
            found.in_runs[low:high] = True
            found.time[doc] = found.time.get(doc, 0.0) + float(piece.lengths[low:high][fresh].sum())

    def _figures(
        self, grams: Grams, offsets: npt.NDArray[np.int64], exclude: frozenset[int]
    ) -> tuple[int | None, float]:
        """The source holding the largest share of the piece's *distinctive* figures
        (``grams``: every tonic's, each tonic's from ``offsets``), and that share, the
        best tonic's: a figure is distinctive when at most ``RARE_SHARE`` of the indexed
        pieces hold it (figures most pieces have prove nothing either way); figures
        found nowhere count ``UNFOUND_WEIGHT`` each against every source. (None, 0)
        when no tonic has ``MIN_FIGURES`` distinctive figures."""
        at, docs, _ = self.figures.hits(grams, exclude)
        if not len(at):
            return None, 0.0
        # (query position, source), once: hits come sorted by query position and then by
        # source (postings are sorted by gram, source, position), so twins are neighbours.
        once = np.empty(len(at), dtype=bool)
        once[0] = True
        once[1:] = (at[1:] != at[:-1]) | (docs[1:] != docs[:-1])
        at, docs = at[once], docs[once]
        frequency = np.bincount(at, minlength=len(grams))
        cap = max(RARE_MIN, RARE_SHARE * self.documents)
        found = (frequency > 0) & (frequency <= cap)
        tonics = len(offsets) - 1
        tonic = np.repeat(np.arange(tonics), np.diff(offsets))  # of each figure
        found_count = np.bincount(tonic[found], minlength=tonics)
        unfound = np.bincount(tonic[frequency == 0], minlength=tonics)
        distinctive = found_count.astype(np.float64) + UNFOUND_WEIGHT * unfound
        pair_tonic, docs = tonic[at], docs
        chosen = found[at] & (found_count[pair_tonic] >= MIN_FIGURES)
        if not chosen.any():
            return None, 0.0
        sources = int(docs.max()) + 1
        keys, counts = np.unique(pair_tonic[chosen] * sources + docs[chosen], return_counts=True)
        by_source = np.zeros(sources)
        np.maximum.at(by_source, keys % sources, counts / distinctive[keys // sources])
        best = int(np.argmax(by_source))
        return best, float(by_source[best])

    # ----- persistence (inside the novelty index's file) ---------------------------------

    def to_arrays(self) -> dict[str, npt.NDArray[np.generic]]:
        for _, postings in self._all_postings():
            postings.merge()
        return {
            f"coverage_{name}_{part}": getattr(postings, part)
            for name, postings in self._all_postings()
            for part in ("grams", "docs", "positions")
        }

    def _all_postings(self) -> tuple[tuple[str, Postings], ...]:
        return (
            ("seeds", self.seeds),
            ("figures", self.figures),
            ("coarse", self.coarse_seeds),
            ("chords", self.chords),
            ("single_chords", self.single_chords),
        )

    def settings(self) -> dict[str, float | int]:
        return {
            "run_tokens": self.run_tokens,
            "run_threshold": self.run_threshold,
            "source_threshold": self.source_threshold,
            "coarse_run_tokens": self.coarse_run_tokens,
            "coarse_threshold": self.coarse_threshold,
            "source_run_threshold": self.source_run_threshold,
            "few_threshold": self.few_threshold,
            "documents": self.documents,
            "gram": GRAM,
            "short_gram": SHORT_GRAM,
            "source_run_notes": SOURCE_RUN_NOTES,
            "few_run_notes": FEW_RUN_NOTES,
            "few_sources": FEW_SOURCES,
            "evidence_chords": EVIDENCE_CHORDS,
            "single_chord_weight": SINGLE_CHORD_WEIGHT,
            "single_chord_notes": SINGLE_CHORD_NOTES,
        }

    @classmethod
    def from_arrays(
        cls, arrays: Mapping[str, npt.NDArray[np.generic]], settings: Mapping[str, float]
    ) -> CoverageIndex:
        if settings.get("gram") != GRAM or settings.get("short_gram") != SHORT_GRAM:
            raise ValueError("the coverage index was built with other gram sizes")
        index = cls(
            run_tokens=int(settings["run_tokens"]),
            run_threshold=float(settings["run_threshold"]),
            source_threshold=float(settings["source_threshold"]),
            coarse_run_tokens=int(settings["coarse_run_tokens"]),
            coarse_threshold=float(settings["coarse_threshold"]),
            source_run_threshold=float(settings.get("source_run_threshold", SOURCE_RUN_THRESHOLD)),
            few_threshold=float(settings.get("few_threshold", FEW_THRESHOLD)),
            documents=int(settings["documents"]),
        )
        for name, postings in index._all_postings():
            if f"coverage_{name}_grams" not in arrays:
                continue  # an index from before chord runs: they find nothing in it
            postings.grams = arrays[f"coverage_{name}_grams"].astype(np.uint64)
            postings.docs = arrays[f"coverage_{name}_docs"].astype(np.uint32)
            postings.positions = arrays[f"coverage_{name}_positions"].astype(np.uint32)
        return index


def _covered_chords(
    row: npt.NDArray[np.int64],
    low: npt.NDArray[np.int64],
    high: npt.NDArray[np.int64],
    keep: npt.NDArray[np.bool_],
    sources: int,
    count: int,
) -> npt.NDArray[np.bool_]:
    """(sources, count): which of the piece's chords lie in the runs ``keep`` chooses,
    per source (runs given by source row and chord span ``[low, high)``)."""
    steps = np.zeros((sources, count + 1), dtype=np.int32)
    np.add.at(steps, (row[keep], low[keep]), 1)
    np.add.at(steps, (row[keep], high[keep]), -1)
    return np.cumsum(steps[:, :count], axis=1) > 0
