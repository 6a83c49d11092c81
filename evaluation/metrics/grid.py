"""A Score quantised once onto a fixed time grid, as flat numpy arrays.

Every metric reads a :class:`NoteGrid`, never the Score's ticks, so its value does not
depend on the file's resolution: the same music stored at 480 or at 96 ticks per beat
gives the same grid. The grid has ``STEPS_PER_BEAT = 24`` steps per quarter note
(MuseGAN's resolution): it holds 32nd notes (3 steps), 16th-note triplets (4 steps) and
32nd-note triplets (2 steps) exactly.

Quantisation rounds every start and end to the nearest step (halves up); a note that
rounds to zero length is kept one step long, so no note vanishes. Times are integers
throughout, so the conversion is exact and the metrics are deterministic.

Derived views that several metrics share (the piano roll, the voices, the key) are
computed lazily, once per grid: :func:`evaluation.descriptors.describe` builds one grid
and passes it to every metric. Each public metric also accepts a Score and builds the
grid itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any, TypeAlias

import numpy as np
from numpy.typing import NDArray

from music.key import Key, best_key
from music.score import Score

STEPS_PER_BEAT = 24

IntArray: TypeAlias = NDArray[np.int64]
FloatArray: TypeAlias = NDArray[np.float64]
BoolArray: TypeAlias = NDArray[np.bool_]


def quantize(ticks: IntArray, resolution: int) -> IntArray:
    """Ticks at ``resolution`` per beat -> nearest grid step (halves round up), exactly."""
    return (ticks * (2 * STEPS_PER_BEAT) + resolution) // (2 * resolution)


@dataclass(frozen=True)
class Voices:
    """The top line of each pitched track, in (track, start) order.

    At every onset of a track the highest note starting there belongs to the line,
    unless a higher note of the same track started earlier and is still sounding.
    """

    tracks: IntArray
    starts: IntArray
    ends: IntArray
    pitches: IntArray

    @cached_property
    def same_track(self) -> BoolArray:
        """(n-1,): whether note i and note i+1 belong to the same track's line."""
        return self.tracks[1:] == self.tracks[:-1]

    @cached_property
    def intervals(self) -> IntArray:
        """Signed semitone steps between consecutive notes of each line."""
        return np.diff(self.pitches)[self.same_track]

    @cached_property
    def interval_tracks(self) -> IntArray:
        return self.tracks[1:][self.same_track]


class NoteGrid:
    """The notes of a Score on the grid: pitched notes as arrays, drum onsets apart.

    Pitched arrays (``starts``, ``ends``, ``pitches``, ``tracks``) are sorted by start,
    then pitch; ``tracks`` holds each note's index in ``score.tracks``. ``length`` is
    the step at which the last note of any track (drums included) ends.
    """

    def __init__(
        self,
        *,
        starts: IntArray,
        ends: IntArray,
        pitches: IntArray,
        tracks: IntArray,
        drum_starts: IntArray,
        length: int,
        bar_steps: int,
    ) -> None:
        self.starts = starts
        self.ends = ends
        self.pitches = pitches
        self.tracks = tracks
        self.drum_starts = drum_starts
        self.length = length
        self.bar_steps = bar_steps

    @classmethod
    def from_score(cls, score: Score) -> NoteGrid:
        pitched = [(i, t.notes) for i, t in enumerate(score.tracks) if not t.is_drum]
        drums = [n for t in score.tracks if t.is_drum for n in t.notes]
        starts, ends, pitches, tracks = _pitched_arrays(pitched, score.resolution)
        drum_starts = quantize(_field(drums, "start"), score.resolution)
        drum_ends = quantize(_field(drums, "end"), score.resolution)
        drum_ends = np.maximum(drum_ends, drum_starts + 1)
        length = max(int(ends.max(initial=0)), int(drum_ends.max(initial=0)))
        numerator, denominator = score.time_signature
        bar_steps = max(1, round(STEPS_PER_BEAT * 4 * numerator / denominator))
        return cls(
            starts=starts,
            ends=ends,
            pitches=pitches,
            tracks=tracks,
            drum_starts=np.sort(drum_starts),
            length=length,
            bar_steps=bar_steps,
        )

    # ----- sizes ------------------------------------------------------------------

    @property
    def n_notes(self) -> int:
        """Number of pitched notes."""
        return int(self.starts.size)

    @cached_property
    def durations(self) -> IntArray:
        return self.ends - self.starts

    @property
    def n_beats(self) -> int:
        return -(-self.length // STEPS_PER_BEAT)

    @property
    def n_bars(self) -> int:
        return -(-self.length // self.bar_steps)

    # ----- shared views -----------------------------------------------------------

    @cached_property
    def onsets(self) -> IntArray:
        """Distinct onset steps of the pitched notes, ascending (a chord counts once)."""
        s = self.starts
        if s.size == 0:
            return s
        keep = np.empty(s.size, dtype=bool)
        keep[0] = True
        np.not_equal(s[1:], s[:-1], out=keep[1:])
        return s[keep]

    @cached_property
    def roll_pitches(self) -> IntArray:
        """The distinct pitches used, ascending: the rows of :attr:`segment_roll`."""
        return np.unique(self.pitches)

    @cached_property
    def segment_bounds(self) -> IntArray:
        """Every step where a pitched note starts or ends, ascending.

        Between two consecutive bounds nothing changes, so the piano roll is stored per
        segment rather than per step: the cost follows the notes, not the grid.
        """
        return np.unique(np.concatenate((self.starts, self.ends)))

    @cached_property
    def segment_lengths(self) -> IntArray:
        """(segments,): steps in each segment between consecutive bounds."""
        return np.diff(self.segment_bounds)

    @cached_property
    def segment_roll(self) -> BoolArray:
        """(len(roll_pitches), segments): whether each used pitch sounds in each segment.

        A pitch doubled by two tracks is one pitch, as in muspy's piano roll. Silent
        gaps between notes are segments with nothing sounding.
        """
        rows = np.searchsorted(self.roll_pitches, self.pitches)
        return self._segment_activity(rows, self.roll_pitches.size)

    @cached_property
    def _segment_spans(self) -> tuple[IntArray, IntArray]:
        """Each note's first segment and the segment after its last."""
        bounds = self.segment_bounds
        return np.searchsorted(bounds, self.starts), np.searchsorted(bounds, self.ends)

    def _segment_activity(self, rows: IntArray, n_rows: int) -> BoolArray:
        """(n_rows, segments): whether some note of each row sounds in each segment."""
        width = self.segment_bounds.size  # one column per bound; the last is always empty
        first = rows * width + self._segment_spans[0]
        stop = rows * width + self._segment_spans[1]
        size = n_rows * width
        # Row-major and flat: each row's running sum is back to 0 at its last bound, so
        # one cumulative sum over the whole array counts the notes sounding per row.
        changes = np.bincount(first, minlength=size) - np.bincount(stop, minlength=size)
        return np.cumsum(changes).reshape(n_rows, width)[:, :-1] > 0

    @cached_property
    def segment_sounding(self) -> IntArray:
        """(segments,): how many distinct pitches sound in each segment."""
        return self.segment_roll.sum(axis=0)

    @cached_property
    def segment_pitch_classes(self) -> BoolArray:
        """(12, segments): whether each pitch class sounds in each segment."""
        return self._segment_activity(self.pitches % 12, 12)

    def occupied(self, period: int) -> BoolArray:
        """(ceil(length / period),): whether a pitched note sounds in each unit.

        Units are consecutive ``period``-step spans from step 0 (beats, bars); a note
        occupies the units its half-open span ``[start, end)`` touches.
        """
        units = -(-self.length // period)
        first = self.starts // period
        after = (self.ends - 1) // period + 1
        changes = np.bincount(first, minlength=units + 1) - np.bincount(after, minlength=units + 1)
        return np.cumsum(changes[:units]) > 0

    @cached_property
    def pitch_class_counts(self) -> FloatArray:
        """(12,): how many pitched notes have each pitch class."""
        return np.bincount(self.pitches % 12, minlength=12).astype(np.float64)

    @cached_property
    def key(self) -> Key | None:
        """Krumhansl-Schmuckler key of the duration-weighted pitch classes."""
        weights = np.bincount(self.pitches % 12, weights=self.durations, minlength=12)
        return best_key(np.asarray(weights, dtype=np.float64))

    @cached_property
    def voices(self) -> Voices:
        return _voices(self.tracks, self.starts, self.ends, self.pitches)

    @cached_property
    def bar_chroma(self) -> tuple[IntArray, FloatArray]:
        """Track ids and (tracks, bars, 12): steps each pitch class sounds per bar.

        Notes that cross a bar line are split at it.
        """
        track_ids, track_index = np.unique(self.tracks, return_inverse=True)
        bars, weights, rows = _split_at_bars(self.starts, self.ends, self.bar_steps)
        n_bars = self.n_bars
        flat = (track_index[rows] * n_bars + bars) * 12 + self.pitches[rows] % 12
        size = track_ids.size * n_bars * 12
        chroma = np.asarray(np.bincount(flat, weights=weights, minlength=size), dtype=np.float64)
        return track_ids, chroma.reshape(track_ids.size, n_bars, 12)


def as_grid(music: Score | NoteGrid) -> NoteGrid:
    """The grid of a Score, or the grid itself (so shared views are computed once)."""
    return music if isinstance(music, NoteGrid) else NoteGrid.from_score(music)


# ----- construction helpers ---------------------------------------------------------


def _field(notes: list[Any], name: str) -> IntArray:
    return np.fromiter((getattr(n, name) for n in notes), dtype=np.int64, count=len(notes))


def _pitched_arrays(
    pitched: list[tuple[int, list[Any]]], resolution: int
) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    notes = [n for _, track_notes in pitched for n in track_notes]
    count = len(notes)
    starts = np.fromiter([n.start for n in notes], dtype=np.int64, count=count)
    ends = np.fromiter([n.start + n.duration for n in notes], dtype=np.int64, count=count)
    pitches = np.fromiter([n.pitch for n in notes], dtype=np.int64, count=count)
    tracks = np.repeat(
        np.array([i for i, _ in pitched], dtype=np.int64),
        [len(track_notes) for _, track_notes in pitched],
    )
    starts = quantize(starts, resolution)
    ends = np.maximum(quantize(ends, resolution), starts + 1)
    # Sort by (start, pitch, track); the key fits easily in int64.
    order = np.argsort(
        (starts * 128 + pitches) * (tracks.max(initial=0) + 1) + tracks, kind="stable"
    )
    return starts[order], ends[order], pitches[order], tracks[order]


def _split_at_bars(
    starts: IntArray, ends: IntArray, bar_steps: int
) -> tuple[IntArray, IntArray, IntArray]:
    """Pieces of notes within single bars: (bar index, length in steps, note row)."""
    first = starts // bar_steps
    last = (ends - 1) // bar_steps
    spans = last - first + 1
    rows = np.arange(starts.size)
    if starts.size == 0 or int(spans.max()) == 1:
        return first, ends - starts, rows
    rows = np.repeat(rows, spans)
    offsets = np.arange(rows.size) - np.repeat(np.cumsum(spans) - spans, spans)
    bars = first[rows] + offsets
    lengths = np.minimum(ends[rows], (bars + 1) * bar_steps) - np.maximum(
        starts[rows], bars * bar_steps
    )
    return bars, lengths, rows


def _voices(tracks: IntArray, starts: IntArray, ends: IntArray, pitches: IntArray) -> Voices:
    order = np.lexsort((pitches, starts, tracks))
    k, s, e, p = tracks[order], starts[order], ends[order], pitches[order]
    n = k.size
    if n == 0:
        return Voices(k, s, e, p)
    # The last (highest) note of each (track, onset) group is the group's candidate.
    last = np.ones(n, dtype=bool)
    last[:-1] = (k[1:] != k[:-1]) | (s[1:] != s[:-1])
    ck, cs, ce, cp = k[last], s[last], e[last], p[last]
    # Only notes that outlast their track's next onset can hide a later candidate.
    group = np.cumsum(np.concatenate(([True], last[:-1]))) - 1  # each note's group
    next_onset = np.full(ck.size, np.iinfo(np.int64).max)
    same = ck[1:] == ck[:-1]
    next_onset[:-1][same] = cs[1:][same]
    held = e > next_onset[group]
    if held.any():
        hidden = _covered_candidates(ck, cs, cp, k[held], s[held], e[held], p[held])
        keep = np.ones(ck.size, dtype=bool)
        keep[hidden] = False
        ck, cs, ce, cp = ck[keep], cs[keep], ce[keep], cp[keep]
    return Voices(ck, cs, ce, cp)


def _covered_candidates(
    ck: IntArray, cs: IntArray, cp: IntArray, hk: IntArray, hs: IntArray, he: IntArray, hp: IntArray
) -> IntArray:
    """Indices of candidates (sorted by track, start) under a higher held note.

    A held note (track hk, span hs..he, pitch hp) covers the candidates of its track
    with hs < start < he, a contiguous range of the sorted candidates, when it is higher
    than they are. Enumerating only those ranges keeps this linear in the pairs that
    overlap, rather than candidates x held notes.
    """
    base = int(he.max()) + 1
    keys = ck * base + cs  # ascending
    first = np.searchsorted(keys, hk * base + hs, side="right")
    stop = np.searchsorted(keys, hk * base + he, side="left")
    counts = np.maximum(stop - first, 0)
    owner = np.repeat(np.arange(hk.size), counts)
    candidate = np.arange(owner.size) - np.repeat(np.cumsum(counts) - counts, counts) + first[owner]
    return candidate[hp[owner] > cp[candidate]]
