"""The GAN's baseline: rule-based harmonisation with diatonic triads, and the parts both share.

:func:`harmonise` estimates the melody's key (Krumhansl-Schmuckler, duration-weighted),
and at every strong beat (each half bar in even meters, each bar otherwise) picks the
first triad of the key, in the order I, V, IV, vi, ii, iii (minor: i, V, iv, VI, III,
VII), that contains the melody's pitch class there, and holds it until the next strong
beat as a close-position chord under the melody with the root in the bass. It is what a
beginner's keyboard arranger does, and the GAN must beat it (MODEL_CARD.md).

:func:`melody_index` and :func:`accompanied` are how every accompaniment (this
baseline's and the GAN's) picks the melody and assembles the output: the melody track
unchanged, then three tracks with the style's names and General MIDI programs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from generation.gan_styles import STYLES, GanStyle
from music.key import best_key
from music.score import Note, Score, Track

# Scale degrees (semitones above the tonic) of each triad's root, in order of preference.
MAJOR_TRIADS = ((0, 4, 7), (7, 11, 2), (5, 9, 0), (9, 0, 4), (2, 5, 9), (4, 7, 11))
MINOR_TRIADS = ((0, 3, 7), (7, 11, 2), (5, 8, 0), (8, 0, 3), (3, 7, 10), (10, 2, 5))
BASS_LOW = 40  # E2: the bass's root goes in [BASS_LOW, BASS_LOW + 12)


def melody_index(score: Score) -> int:
    """The melody: the pitched track with the most notes (the first of equals)."""
    counts = [(len(t.notes), -i) for i, t in enumerate(score.tracks) if not t.is_drum]
    return -max(counts)[1]


def accompanied(score: Score, voices: Sequence[Sequence[Note]], style: GanStyle) -> Score:
    """The melody track unchanged, then one track per voice with the style's instruments.

    Other input tracks are left out: the output is always the melody plus three voices.
    """
    melody = score.tracks[melody_index(score)]
    tracks = [replace(melody, notes=list(melody.notes))]
    for notes, instrument in zip(voices, style.instruments, strict=True):
        tracks.append(Track(sorted(notes), program=instrument.program, name=instrument.name))
    return replace(score, tracks=tracks)


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


def harmonic_span(score: Score) -> int:
    """Ticks from one strong beat to the next: half a bar in even meters, else a bar."""
    numerator, _ = score.time_signature
    bar = score.ticks_per_bar
    return bar // 2 if numerator % 2 == 0 else bar


def choose_triad(pitch_class: int, tonic: int, mode: str) -> tuple[int, int, int]:
    """The first triad of the key containing ``pitch_class`` (the tonic triad if none)."""
    triads = MAJOR_TRIADS if mode == "major" else MINOR_TRIADS
    for root, third, fifth in (*triads, triads[0]):
        classes = ((tonic + root) % 12, (tonic + third) % 12, (tonic + fifth) % 12)
        if pitch_class in classes:
            return classes
    return classes  # no triad holds it (a chromatic note): the tonic triad


def voice_chord(triad: tuple[int, int, int], melody_pitch: int) -> tuple[int, int, int]:
    """(alto, tenor, bass): two chord tones just under the melody, the root in the bass."""
    melody_pitch = max(melody_pitch, 48)  # keep the chord above the bottom of the keyboard
    below = [p for p in range(melody_pitch - 3, melody_pitch - 28, -1) if p % 12 in triad]
    alto, tenor = below[0], below[1]
    bass = BASS_LOW + (triad[0] - BASS_LOW) % 12
    while bass >= tenor:
        bass -= 12
    return alto, tenor, bass


def _pitch_at(notes: Sequence[Note], start: int, end: int) -> int | None:
    """The melody pitch sounding at ``start``, else the first to begin before ``end``."""
    for note in notes:
        if note.start <= start < note.end:
            return note.pitch
    later = [n for n in notes if start <= n.start < end]
    return later[0].pitch if later else None


def harmonise(score: Score, style: str = "chorale") -> Score:
    """The melody of ``score`` with three block-chord voices in the ``style``'s instruments."""
    melody = sorted(score.tracks[melody_index(score)].notes)
    tonic, mode = melody_key(melody)
    span = harmonic_span(score)
    velocity = accompaniment_velocity(score)
    end = max((n.end for n in melody), default=0)
    voices: list[list[Note]] = [[], [], []]
    previous = melody[0].pitch if melody else 72
    for start in range(0, end, span):
        finish = min(start + span, end)
        pitch = _pitch_at(melody, start, finish)
        previous = previous if pitch is None else pitch
        chord = voice_chord(choose_triad(previous % 12, tonic, mode), previous)
        for voice, note_pitch in zip(voices, chord, strict=True):
            voice.append(Note(start, note_pitch, finish - start, velocity))
    return accompanied(score, voices, STYLES[style])
