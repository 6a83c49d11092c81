"""Tiny hand-built scores for the metric tests, written in beats rather than ticks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction

import muspy

from music.score import Note, Score, Track

RES = 480
Beats = int | float | Fraction


@dataclass
class Part:
    """A track in beats: (start, pitch, duration) triples."""

    notes: list[tuple[Beats, int, Beats]] = field(default_factory=list)
    is_drum: bool = False


def part(*notes: tuple[Beats, int, Beats], drum: bool = False) -> Part:
    return Part(list(notes), is_drum=drum)


def melody(
    pitches: Sequence[int], beats: Beats = 1, start: Beats = 0, held: Beats | None = None
) -> Part:
    """Consecutive notes ``beats`` apart, each sounding ``held`` beats (default: all of it)."""
    length = beats if held is None else held
    return Part([(Fraction(start) + i * Fraction(beats), p, length) for i, p in enumerate(pitches)])


def chord(
    pitches: Sequence[int], start: Beats = 0, beats: Beats = 1
) -> list[tuple[Beats, int, Beats]]:
    return [(start, p, beats) for p in pitches]


def _ticks(beats: Beats, resolution: int) -> int:
    ticks = Fraction(beats) * resolution
    assert ticks.denominator == 1, f"{beats} beats is not a whole tick at {resolution}"
    return int(ticks)


def build(*parts: Part, resolution: int = RES, time_signature: tuple[int, int] = (4, 4)) -> Score:
    tracks = [
        Track(
            notes=sorted(
                Note(_ticks(s, resolution), p, _ticks(d, resolution)) for s, p, d in part.notes
            ),
            is_drum=part.is_drum,
        )
        for part in parts
    ]
    return Score(tracks=tracks, resolution=resolution, time_signature=time_signature)


def to_muspy(score: Score) -> muspy.Music:
    """The same notes as a muspy Music at the score's resolution."""
    return muspy.Music(
        resolution=score.resolution,
        tracks=[
            muspy.Track(
                is_drum=t.is_drum,
                notes=[
                    muspy.Note(time=n.start, pitch=n.pitch, duration=n.duration) for n in t.notes
                ],
            )
            for t in score.tracks
        ],
    )
