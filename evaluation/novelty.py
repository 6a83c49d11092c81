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

import io
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import numpy.typing as npt

from music import transforms
from music.score import Score

FORMAT = 2  # of fingerprints and indexes: 1 coded rhythm ratios into the grams
NGRAM = 6  # intervals per gram: a gram spans NGRAM + 1 notes
MAX_INTERVAL = 24  # semitones; larger leaps are clipped
_TOKEN_BITS = 6  # 49 interval values fit in 6 bits; 6 tokens in 36 bits
MIN_VOICE_NOTES = NGRAM + 1

VOICE_THRESHOLD = 0.3  # stage 1 alone (sources indexed without pitches)
CANDIDATE_THRESHOLD = 0.05  # stage 1 before verification: mean voice score; recall first
ALIGNMENT_THRESHOLD = 0.85
PIECE_THRESHOLD = 0.5
CANDIDATES = 5  # sources verified per query, best stage-1 scores first
# Partial copies (an excerpt, a source played twice, new material appended) are found
# by local matching (:func:`local_match`): windows of LOCAL_WINDOW notes of a voice,
# each placed in the source by seeds of LOCAL_SEED intervals, and matched when all but
# one of its notes appear in order in the source around that offset.
LOCAL_WINDOW = 12
LOCAL_STRIDE = 4  # notes between the starts of consecutive windows
LOCAL_SEED = 5  # intervals per seed (6 notes)
LOCAL_SLACK = 3  # source notes either side of a window's offset
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

Grams = npt.NDArray[np.uint64]
Pitches = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class Fingerprint:
    """The gram sets of a piece's voices (voices too short for one gram are left out)
    and, when made from a score, each of those voices' pitches in order."""

    voices: tuple[Grams, ...]
    lines: tuple[Pitches, ...] = ()

    @property
    def all_grams(self) -> Grams:
        if not self.voices:
            return np.zeros(0, dtype=np.uint64)
        return np.unique(np.concatenate(self.voices))

    def to_bytes(self) -> bytes:
        """A compact form for storing with an entry (rebuilds the index without re-parsing)."""
        buffer = io.BytesIO()
        arrays: dict[str, np.ndarray] = {f"g{i}": v for i, v in enumerate(self.voices)}
        arrays.update({f"p{i}": line for i, line in enumerate(self.lines)})
        np.savez_compressed(buffer, format=np.array(FORMAT), **arrays)  # type: ignore[arg-type]
        return buffer.getvalue()

    @staticmethod
    def stored_format(data: bytes) -> int:
        """The format a stored fingerprint was written in (1 before formats were
        recorded; 0 if it is not a fingerprint at all)."""
        try:
            with np.load(io.BytesIO(data)) as arrays:
                return int(arrays["format"]) if "format" in arrays.files else 1
        except (OSError, ValueError, EOFError):
            return 0

    @classmethod
    def from_bytes(cls, data: bytes) -> Fingerprint:
        """The stored fingerprint; one stored in an older format (other grams) comes back
        empty, matching nothing: re-fingerprint such entries from their MIDI."""
        with np.load(io.BytesIO(data)) as arrays:
            if "format" not in arrays.files or int(arrays["format"]) != FORMAT:
                return cls(())
            count = sum(name.startswith("g") for name in arrays.files)
            voices = tuple(arrays[f"g{i}"].astype(np.uint64) for i in range(count))
            lines = tuple(
                arrays[f"p{i}"].astype(np.uint8) for i in range(count) if f"p{i}" in arrays.files
            )
            return cls(voices, lines if len(lines) == count else ())


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
    """The set of packed gram integers of one voice (``onsets`` only fix the order)."""
    if len(onsets) < MIN_VOICE_NOTES:
        return np.zeros(0, dtype=np.uint64)
    intervals = np.clip(np.diff(pitches), -MAX_INTERVAL, MAX_INTERVAL)
    tokens = (intervals + MAX_INTERVAL).astype(np.uint64)
    count = len(tokens) - NGRAM + 1
    grams = np.zeros(count, dtype=np.uint64)
    for j in range(NGRAM):
        grams |= tokens[j : j + count] << np.uint64(_TOKEN_BITS * j)
    return np.unique(grams)


def fingerprint(score: Score) -> Fingerprint:
    voices, lines = [], []
    for onsets, pitches in voice_lines(score):
        grams = voice_grams(onsets, pitches)
        if len(grams):
            voices.append(grams)
            lines.append(pitches.astype(np.uint8))
    return Fingerprint(tuple(voices), tuple(lines))


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
        codes |= intervals[j : j + count] << (_TOKEN_BITS * j)
    return codes


def local_match(a: Pitches, b: Pitches) -> int:
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
    """
    qa, qb = a.astype(np.int64), b.astype(np.int64)
    codes_a, codes_b = _seed_codes(qa), _seed_codes(qb)
    if not len(codes_a) or not len(codes_b):
        return 0
    order = np.argsort(codes_b, kind="stable")
    sorted_b = codes_b[order]
    low = np.searchsorted(sorted_b, codes_a, side="left")
    counts = np.searchsorted(sorted_b, codes_a, side="right") - low
    total = int(counts.sum())
    if total == 0:
        return 0
    seed_i = np.repeat(np.arange(len(codes_a)), counts)
    within = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
    seed_j = order[low[seed_i] + within]
    # Overlapping windows every LOCAL_STRIDE notes, the last one ending with the line.
    starts = list(range(0, max(1, len(qa) - LOCAL_WINDOW + 1), LOCAL_STRIDE))
    if starts[-1] + LOCAL_WINDOW < len(qa):
        starts.append(len(qa) - LOCAL_WINDOW)
    first = np.searchsorted(np.array(starts), seed_i - LOCAL_WINDOW, side="right")
    last = np.searchsorted(np.array(starts), seed_i, side="right")  # windows first..last-1
    spans = last - first
    window = np.repeat(first, spans) + (
        np.arange(int(spans.sum())) - np.repeat(np.cumsum(spans) - spans, spans)
    )
    seed_j, seed_i = np.repeat(seed_j, spans), np.repeat(seed_i, spans)
    diagonal = seed_j - seed_i
    shift = qb[seed_j] - qa[seed_i]
    unique, votes = np.unique(
        np.stack([window, diagonal, shift], axis=1), axis=0, return_counts=True
    )
    best: dict[int, tuple[int, int, int]] = {}
    for (w, d, t), v in zip(unique.tolist(), votes.tolist(), strict=True):
        if w not in best or v > best[w][0]:
            best[w] = (v, d, t)
    a_list, b_list = qa.tolist(), qb.tolist()
    # Runs of matched windows: each covers its notes; a stretch of at most one window
    # of unmatched notes between two matched windows is bridged, not counted.
    longest = covered = 0
    reach = -1  # end of the current run's coverage
    for w in sorted(best):
        start, end = starts[w], min(starts[w] + LOCAL_WINDOW, len(qa))
        _, d, t = best[w]
        segment = b_list[max(0, start + d - LOCAL_SLACK) : max(0, end + d + LOCAL_SLACK)]
        if lcs_length([p + t for p in a_list[start:end]], segment) < end - start:
            continue
        if reach >= 0 and start <= reach + LOCAL_WINDOW:
            covered += end - max(start, reach)
        else:
            covered = end - start
        reach = max(reach, end)
        longest = max(longest, covered)
    return longest


def line_alignment(a: Pitches, b: Pitches) -> float:
    """How much of two voices is the same note for note, 0-1: ``2 * LCS / (len(a) +
    len(b))`` of their pitch sequences, ``a`` transposed by the shift that best overlays
    the two pitch histograms (so a transposed copy aligns as well as a verbatim one)."""
    if not len(a) or not len(b):
        return 0.0
    ha = np.bincount(a, minlength=128).astype(np.float64)
    hb = np.bincount(b, minlength=128).astype(np.float64)
    overlap = np.correlate(hb, ha, mode="full")  # index k: shift k - 127
    shift = int(np.argmax(overlap)) - 127
    moved = (a.astype(np.int64) + shift).tolist()
    return 2.0 * lcs_length(moved, b.tolist()) / (len(a) + len(b))


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

    def _scores(
        self, print_: Fingerprint, exclude: Iterable[str]
    ) -> list[tuple[int, tuple[float, ...]]]:
        """Every piece sharing grams with the piece, with each voice's containment in it."""
        self._merge_pending()
        voices = [v for v in print_.voices if len(v)]
        if not voices or not self.sources:
            return []
        excluded = {self._positions[s] for s in exclude if s in self._positions}
        per_voice = [self._voice_containment(v) for v in voices]
        candidates = set().union(*(scores.keys() for scores in per_voice)) - excluded
        return [(doc, tuple(float(s.get(doc, 0.0)) for s in per_voice)) for doc in candidates]

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
        """The source the piece copies (the best one if several), else None."""
        matches = self.copy_candidates(print_, exclude=exclude, first=True)
        best = [m for m in matches if m.copied_fraction >= self.piece_threshold]
        return best[0] if best else None

    def copy_candidates(
        self, print_: Fingerprint, *, exclude: Iterable[str] = (), first: bool = False
    ) -> list[Match]:
        """The sources that pass stage 1, with ``copied_fraction`` as decided (verified
        note for note where both sides have pitches), best first. With ``first``,
        verification stops at the first source that verifies as copied."""
        lines = print_.lines if len(print_.lines) == len(print_.voices) else ()
        verify, direct = [], []
        for doc, scores in self._scores(print_, exclude):
            if lines and doc in self._lines:
                if sum(scores) / len(scores) >= self.candidate_threshold:
                    verify.append((doc, scores))
            else:
                matched = sum(score >= self.voice_threshold for score in scores)
                direct.append(Match(self.sources[doc], matched / len(scores), scores))
        verify.sort(key=lambda item: (-sum(item[1]), self.sources[item[0]]))
        matches = direct
        for doc, scores in verify[:CANDIDATES]:
            match = self._verify(doc, lines, scores, every_voice=not first)
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
        scores: tuple[float, ...],
        every_voice: bool,
    ) -> Match:
        """Source ``doc`` checked note for note: each voice's whole-line alignment; where
        fewer than ``piece_threshold`` of the voices match whole, each voice's local
        match (for every voice with ``every_voice``), the piece then copying the source
        when ``local_piece_threshold`` of its voices match whole or locally.
        ``copied_fraction`` is the share of voices matched (whole, or whole or locally
        where the local rule decided), 0 when neither rule holds."""
        theirs = self._lines[doc]
        alignments = tuple(max(line_alignment(line, other) for other in theirs) for line in lines)
        whole = [a >= self.alignment_threshold for a in alignments]
        local = [0] * len(lines)
        fraction = sum(whole) / len(lines)
        if every_voice or fraction < self.piece_threshold:
            for v, line in enumerate(lines):
                if whole[v] or scores[v] <= 0:
                    continue  # matched already, or not one gram in common with the source
                local[v] = max(local_match(line, other) for other in theirs)
        if fraction < self.piece_threshold:
            either = sum(w or n >= self.local_threshold for w, n in zip(whole, local, strict=True))
            if either / len(lines) >= self.local_piece_threshold - 1e-9:
                fraction = either / len(lines)
        return Match(self.sources[doc], fraction, scores, alignments, tuple(local))

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
            "format": FORMAT,
            "sources": self.sources,
            "voice_threshold": self.voice_threshold,
            "piece_threshold": self.piece_threshold,
            "candidate_threshold": self.candidate_threshold,
            "alignment_threshold": self.alignment_threshold,
            "local_threshold": self.local_threshold,
            "local_piece_threshold": self.local_piece_threshold,
            "ngram": NGRAM,
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
            )

    @classmethod
    def load(cls, path: Path) -> NoveltyIndex:
        with np.load(path) as arrays:
            meta = json.loads(str(arrays["meta"]))
            if meta.get("format") != FORMAT or meta["ngram"] != NGRAM:
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


# ----- copies and thresholds ---------------------------------------------------------


def _reinstrument(score: Score) -> Score:
    programs = [40, 41, 42, 70, 71, 68]
    tracks = [replace(t, program=programs[i % len(programs)]) for i, t in enumerate(score.tracks)]
    return replace(score, tracks=tracks)


def _reorder(score: Score) -> Score:
    return replace(score, tracks=list(reversed(score.tracks)))


CopyKind = Callable[[Score, np.random.Generator], Score]
COPY_KINDS: dict[str, CopyKind] = {
    "verbatim": lambda s, rng: s,
    "transposed": lambda s, rng: transforms.transpose(s, int(rng.choice([-5, -3, 2, 4, 7]))),
    "time-stretched": lambda s, rng: transforms.time_stretch(
        s, float(rng.choice([0.5, 0.75, 1.5]))
    ),
    "re-instrumented": lambda s, rng: _reinstrument(s),
    "tracks reordered": lambda s, rng: _reorder(s),
    "10% of notes dropped": lambda s, rng: transforms.drop_notes(s, 0.1, seed=rng),
}


def _excerpt(score: Score, rng: np.random.Generator, seconds: float = 30.0) -> Score:
    """Half the piece, and at least ``seconds`` (whole bars), from a random bar. (Thirty
    seconds of slow polyphony can be under 20 notes a voice, below MIN_LOCAL_NOTES.)"""
    bars = max(1, int(seconds / (score.ticks_per_bar * score.seconds_per_tick)))
    bars = max(bars, (score.bar_count + 1) // 2)
    start = int(rng.integers(0, max(score.bar_count - bars, 0) + 1))
    return transforms.crop(score, start, start + bars)


# Copies of part of a source, or of a source within more music: found by local
# matching, with their own threshold (``local_threshold``, in notes).
PARTIAL_COPY_KINDS: dict[str, CopyKind] = {
    "excerpt (half, at least 30 s)": _excerpt,
    "looped (played twice)": lambda s, rng: transforms.concatenate([s, s]),
    # New music after the source: the source again, backwards and a tritone away
    # (same style, different lines).
    "new material appended": lambda s, rng: transforms.concatenate(
        [s, transforms.reverse(transforms.transpose(s, 6))]
    ),
    "excerpt, transposed, 10% of notes dropped": lambda s, rng: transforms.drop_notes(
        transforms.transpose(_excerpt(s, rng), int(rng.choice([-5, -3, 2, 4, 7]))), 0.1, seed=rng
    ),
}
COPY_RECALL = 0.995  # on the validation split, for every kind of copy
REAL_QUANTILE = 0.99


def _strength(index: NoveltyIndex, print_: Fingerprint, source: str | None, exclude: str) -> float:
    """The highest alignment threshold at which the piece would still be flagged as a
    copy of ``source`` (of any source but ``exclude`` when ``source`` is None)."""
    best = 0.0
    for match in index.copy_candidates(print_, exclude=[exclude] if exclude else []):
        if match.alignments and (source is None or match.source == source):
            best = max(best, copy_strength(match.alignments, index.piece_threshold))
    return best


def _local_strength(
    index: NoveltyIndex, print_: Fingerprint, source: str | None, exclude: str
) -> float:
    """The highest ``local_threshold`` (notes) at which the piece would still be flagged
    by local matches alone as a copy of ``source`` (of any source but ``exclude``)."""
    best = 0.0
    for match in index.copy_candidates(print_, exclude=[exclude] if exclude else []):
        if match.local and (source is None or match.source == source):
            best = max(best, copy_strength(match.local, index.local_piece_threshold))
    return best


def calibrate_local(
    index: NoveltyIndex, validation: Sequence[tuple[str, Score]], seed: int = 0
) -> dict[str, object]:
    """Set ``index.local_threshold`` (notes matched in one run, per voice) from the
    validation pieces: midway between the most copy-like real piece (the *highest*
    local strength of any of them against every other source) and the weakest partial
    copies (the ``1 - COPY_RECALL`` quantile, the lowest over the kinds), above every
    real piece in any case and never below ``MIN_LOCAL_NOTES``. Every real piece, not
    the ``REAL_QUANTILE`` used for whole alignment: in corpora whose pieces share long
    passages (folk tunes share whole strains) the tail of real local strength is long,
    and a threshold just above its 99th percentile flagged 1.0% of folk's validation
    pieces but 2.7% of its test pieces. Returns what was measured."""
    if not validation:
        return {}
    saved = index.alignment_threshold
    index.alignment_threshold = 2.0  # no voice matches whole: every voice is matched locally
    try:
        rng = np.random.default_rng(seed)
        copies: dict[str, list[float]] = {}
        for kind, make in PARTIAL_COPY_KINDS.items():
            copies[kind] = [
                _local_strength(index, fingerprint(make(score, rng)), source, "")
                for source, score in validation
            ]
        real = [
            _local_strength(index, fingerprint(score), None, source) for source, score in validation
        ]
    finally:
        index.alignment_threshold = saved
    highest = float(max(real))
    weakest = {
        kind: float(np.quantile(v, 1.0 - COPY_RECALL, method="lower")) for kind, v in copies.items()
    }
    lowest = min(weakest.values())
    middle = int(np.floor((lowest + highest) / 2))
    index.local_threshold = max(MIN_LOCAL_NOTES, int(highest) + 1, middle)
    chosen = index.local_threshold
    return {
        "local_threshold": chosen,
        "most_copy_like_real": highest,
        "weakest_copies": weakest,
        "validation_copy_recall": {
            kind: round(float(np.mean(np.array(v) >= chosen)), 4) for kind, v in copies.items()
        },
        "validation_flagged_real": round(float(np.mean(np.array(real) >= chosen)), 4),
    }


def calibrate(
    index: NoveltyIndex, validation: Sequence[tuple[str, Score]], seed: int = 0
) -> dict[str, object]:
    """Both thresholds: :func:`calibrate_alignment`, then :func:`calibrate_local`."""
    measured = calibrate_alignment(index, validation, seed)
    if measured:
        measured["local"] = calibrate_local(index, validation, seed)
    return measured


def calibrate_alignment(
    index: NoveltyIndex, validation: Sequence[tuple[str, Score]], seed: int = 0
) -> dict[str, object]:
    """Set ``index.alignment_threshold`` from the validation pieces, midway between the
    weakest copies (the ``1 - COPY_RECALL`` quantile of copy strength, the lowest over
    the kinds of copy) and the most copy-like real pieces (the ``REAL_QUANTILE`` of
    their strength against every other source): the widest margin on either side, as
    the test split is not the validation split. Returns what was measured."""
    if not validation:
        return {}
    saved = index.alignment_threshold
    index.alignment_threshold = 0.0  # every verified candidate reports its alignments
    rng = np.random.default_rng(seed)
    copies: dict[str, list[float]] = {}
    for kind, make in COPY_KINDS.items():
        copies[kind] = [
            _strength(index, fingerprint(make(score, rng)), source, "")
            for source, score in validation
        ]
    real = [_strength(index, fingerprint(score), None, source) for source, score in validation]
    lowest = min(float(np.quantile(v, 1.0 - COPY_RECALL, method="lower")) for v in copies.values())
    highest = float(np.quantile(real, REAL_QUANTILE, method="higher"))
    middle = (lowest + highest) / 2
    index.alignment_threshold = float(np.floor(middle * 1e4) / 1e4) if lowest > 0 else saved
    chosen = index.alignment_threshold
    return {
        "alignment_threshold": chosen,
        "weakest_copies": round(lowest, 4),
        "most_copy_like_real": round(highest, 4),
        "validation_pieces": len(validation),
        "validation_copy_recall": {
            kind: round(float(np.mean(np.array(v) >= chosen)), 4) for kind, v in copies.items()
        },
        "validation_flagged_real": round(float(np.mean(np.array(real) >= chosen)), 4),
    }
