"""Convert parsed corpus files into Scores on the common corpus grid.

Every corpus piece is stored at ``GRID`` ticks per quarter note. 24 is the smallest grid
that holds both duple and triple subdivisions exactly (sixteenths = 6 ticks, eighth-note
triplets = 8, sixteenth triplets = 4, thirty-seconds = 3); anything finer (grace notes,
64ths in a few fiddle tunes) is rounded, and a note never shrinks below one tick.

A pickup (anacrusis) is padded with rest so that tick 0 is the start of a full bar and
every later bar line falls on a multiple of ``Score.ticks_per_bar``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction

from music.score import Note, Score, Track

GRID = 24
DEFAULT_TEMPO = 100.0  # DeepComposer's studio tempo; notated corpora rarely state one
VELOCITY = 80  # notated music has no performed dynamics: one velocity for all

# (onset, pitch, duration), onset and duration in quarter notes
QuarterNote = tuple[Fraction, int, Fraction]


@dataclass(frozen=True, slots=True)
class CorpusPiece:
    """One piece of a reference corpus.

    ``id`` is stable across builds (``collection/file-stem`` or ``collection/file-stem#X``
    for one tune of a multi-tune ABC file); ``source`` is the file's path inside
    music21's corpus directory.
    """

    id: str
    source: str
    title: str
    score: Score


def to_ticks(quarters: Fraction | float) -> int:
    return round(quarters * GRID)


def quantised_track(
    notes: Iterable[QuarterNote], *, name: str, pad: Fraction | float = 0, program: int = 0
) -> Track:
    """A track on the grid; duplicates (same onset and pitch) keep the longest note."""
    best: dict[tuple[int, int], int] = {}
    for onset, pitch, duration in notes:
        start = to_ticks(onset + pad)
        end = to_ticks(onset + pad + duration)
        key = (start, pitch)
        best[key] = max(best.get(key, 0), end - start, 1)
    track_notes = [Note(s, p, d, VELOCITY) for (s, p), d in best.items()]
    track_notes.sort()
    return Track(notes=track_notes, program=program, name=name)


def pickup_pad(first_bar_quarters: Fraction | float, bar_quarters: Fraction | float) -> Fraction:
    """Rest to put before a first bar of ``first_bar_quarters`` so it ends on a bar line.

    A first bar that is full, empty or overfull needs no padding.
    """
    first = Fraction(first_bar_quarters).limit_denominator(960)
    bar = Fraction(bar_quarters).limit_denominator(960)
    if 0 < first < bar:
        return bar - first
    return Fraction(0)


def content_hash(score: Score) -> str:
    """A digest of the note content (meter and every track's notes, names ignored).

    Two files holding the same music under different names (the same chorale filed under
    several BWV numbers) hash equal.
    """
    digest = hashlib.sha1(usedforsecurity=False)
    digest.update(repr(score.time_signature).encode())
    for track in score.tracks:
        digest.update(b"|track|")
        digest.update(repr([(n.start, n.pitch, n.duration) for n in track.notes]).encode())
    return digest.hexdigest()[:20]


def dedupe(pieces: Sequence[CorpusPiece]) -> tuple[list[CorpusPiece], dict[str, str]]:
    """Keep the first piece of each content hash.

    Returns the kept pieces (in input order) and ``{dropped id: kept id}``.
    """
    seen: dict[str, str] = {}
    kept: list[CorpusPiece] = []
    dropped: dict[str, str] = {}
    for piece in pieces:
        digest = content_hash(piece.score)
        if digest in seen:
            dropped[piece.id] = seen[digest]
            continue
        seen[digest] = piece.id
        kept.append(piece)
    return kept, dropped


def make_score(
    tracks: list[Track], *, time_signature: tuple[int, int], tempo: float | None, title: str
) -> Score:
    return Score(
        tracks=tracks,
        resolution=GRID,
        tempo=float(tempo) if tempo and tempo > 0 else DEFAULT_TEMPO,
        time_signature=time_signature,
        title=title,
    )
