"""Fingerprints: what the copy check (:mod:`evaluation.novelty`) keeps of a piece.

A piece's *voices* are each pitched track's top line, plus its bottom line where the
track plays chords. Each voice becomes the set of its grams (``NGRAM`` consecutive
melodic intervals packed into one integer: transposition-invariant, and tempo-invariant
as rhythm is left out) and its pitches in order (for note-for-note verification); the
whole piece also keeps its canonical slices (:mod:`evaluation.canonical`) for coverage.
A fingerprint is stored with each entry, so indexes of earlier entries are rebuilt
without re-parsing any MIDI.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from evaluation.alignment import MAX_INTERVAL, TOKEN_BITS, Pitches
from evaluation.canonical import Slices, slices
from music.score import Score

# Of fingerprints and indexes: 1 coded rhythm ratios into the grams; 3 added the
# canonical slices that coverage (evaluation.coverage) works on; 4 their voicings.
FORMAT = 4
NGRAM = 6  # intervals per gram: a gram spans NGRAM + 1 notes
MIN_VOICE_NOTES = NGRAM + 1

Grams = npt.NDArray[np.uint64]


@dataclass(frozen=True)
class Fingerprint:
    """The gram sets of a piece's voices (voices too short for one gram are left out)
    and, when made from a score, each of those voices' pitches in order."""

    voices: tuple[Grams, ...]
    lines: tuple[Pitches, ...] = ()
    canonical: Slices | None = None

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
        if self.canonical is not None:
            arrays["sets"] = self.canonical.sets
            arrays["lengths"] = self.canonical.lengths
            arrays["low"] = self.canonical.low
            arrays["high"] = self.canonical.high
            arrays["voicing"] = self.canonical.voicing
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
            canonical = None
            if "sets" in arrays.files:
                canonical = Slices(
                    arrays["sets"].astype(np.uint16),
                    arrays["lengths"].astype(np.int64),
                    arrays["low"].astype(np.uint8),
                    arrays["high"].astype(np.uint8),
                    arrays["voicing"].astype(np.uint64),
                )
            return cls(voices, lines if len(lines) == count else (), canonical)


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
        first = np.concatenate(([True], starts[1:] != starts[:-1]))
        last = np.append(starts[1:] != starts[:-1], True)
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
        grams |= tokens[j : j + count] << np.uint64(TOKEN_BITS * j)
    return np.unique(grams)


def fingerprint(score: Score) -> Fingerprint:
    voices, lines = [], []
    for onsets, pitches in voice_lines(score):
        grams = voice_grams(onsets, pitches)
        if len(grams):
            voices.append(grams)
            lines.append(pitches.astype(np.uint8))
    return Fingerprint(tuple(voices), tuple(lines), slices(score))
