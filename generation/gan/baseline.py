"""The GAN's baseline: a strong rule-based four-part harmoniser, and the parts both share.

:func:`harmonise` puts alto, tenor and bass under the melody with
:mod:`music.harmoniser` (chords by function, cadences, secondary dominants, voice leading
by dynamic programming without parallel fifths or octaves, passing tones; measured in
``generation/HARMONISER.md``) and lays them out in the style's instruments. It replaced
a triad-per-half-bar baseline (the first chord of I, V, IV, vi ... holding the melody
note, in close position): the GAN must beat what a harmony teacher would pass, not what
a keyboard's auto-chord does (MODEL_CARD.md's baseline rows still quote the old one).

:func:`melody_index` and :func:`accompanied` are how every accompaniment (this
baseline's and the GAN's) picks the melody and assembles the output: the melody track
unchanged, then three tracks with the style's names and General MIDI programs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from generation.errors import GenerationInputError
from generation.gan.styles import STYLES, GanStyle
from music.harmoniser import HarmoniserError, harmonise_melody, melody_index, skyline
from music.key import best_key
from music.score import Note, Score, Track

__all__ = [
    "accompanied",
    "accompaniment_velocity",
    "harmonise",
    "melody_index",
    "melody_key",
    "top_line",
]


def accompanied(score: Score, voices: Sequence[Sequence[Note]], style: GanStyle) -> Score:
    """The melody track, then one track per voice with the style's instruments.

    The melody track keeps its program and name; its notes are its :func:`top_line` (a
    melody as one line is unchanged). Other input tracks are left out: the output is
    always the melody plus three voices.
    """
    melody = score.tracks[melody_index(score)]
    tracks = [replace(melody, notes=top_line(melody.notes, score.resolution))]
    for notes, instrument in zip(voices, style.instruments, strict=True):
        tracks.append(Track(sorted(notes), program=instrument.program, name=instrument.name))
    return replace(score, tracks=tracks)


def top_line(notes: Sequence[Note], resolution: int) -> list[Note]:
    """The melody of a track that may hold chords, as one line.

    A note is left out where a higher note starts with it or sounds on through its start
    by more than a sixteenth (a legato overlap keeps the note after it): the chord notes
    and the accompaniment under a held melody note go. Each note left ends where the next
    one starts (:func:`music.harmoniser.skyline`); a single line comes back unchanged.
    """
    overlap = resolution // 4
    ordered = sorted(n for n in notes if n.duration > 0)  # by start, then pitch
    kept: list[Note] = []
    sounding: list[Note] = []
    for index, note in enumerate(ordered):
        sounding = [m for m in sounding if m.end > note.start]
        covered = any(m.pitch > note.pitch and m.end - note.start > overlap for m in sounding)
        after = ordered[index + 1] if index + 1 < len(ordered) else note
        under = after.start == note.start and after.pitch > note.pitch
        if not covered and not under:
            kept.append(note)
        sounding.append(note)
    return skyline(kept)


def accompaniment_velocity(score: Score) -> int:
    """A little softer than the melody, so that the tune stays on top."""
    notes = score.tracks[melody_index(score)].notes
    median = float(np.median([n.velocity for n in notes])) if notes else 80.0
    return int(np.clip(round(median * 0.85), 1, 127))


def melody_key(notes: Sequence[Note]) -> tuple[int, str]:
    """``(tonic pitch class, "major" | "minor")`` of the duration-weighted pitch classes."""
    weights = np.zeros(12)
    for note in notes:
        weights[note.pitch % 12] += note.duration
    key = best_key(weights)
    return (0, "major") if key is None else (key.tonic, key.mode)


def harmonise(score: Score, style: str = "chorale", seed: int | None = None) -> Score:
    """The melody of ``score`` with alto, tenor and bass in the ``style``'s instruments.

    Deterministic; a ``seed`` picks among harmonisations of near-equal cost."""
    try:
        melody = score.tracks[melody_index(score)]
        result = harmonise_melody(
            top_line(melody.notes, score.resolution),
            score.resolution,
            score.time_signature,
            seed=seed,
            velocity=accompaniment_velocity(score),
        )
    except HarmoniserError as exc:
        raise GenerationInputError(f"Cannot harmonise this melody: {exc}.") from exc
    return accompanied(score, result.voices[1:], STYLES[style])
