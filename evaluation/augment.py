"""Real-side augmentations for training the realism critics: what a performance or an
arrangement changes while the music stays the same (issue 15, item 2).

Each is ``augmentation(score, rng) -> Score``. The critics see windows of a piece's
performance canonical form (:func:`music.canonical.canonical_form`, as the judge does),
so an augmented real piece is put through it before its windows are taken
(:func:`augmented_real`). Measured on the bach-chorales training split (see the commit
introducing this module): the windows merge tracks and carry no velocity, and the
canonical form snaps timing back and splits a keyboard track into voices, so
``velocity``, ``one_track`` and ``timing_jitter`` leave every window (or nearly every
window) as it was; they are kept so that a config can name them and so that a change of
the windows or of the canonical form cannot silently make them matter. Only
``octave_doubling`` changes what the critics see.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np

from evaluation.redteam import attacks
from music.canonical import canonical_form
from music.score import Score, Track

Augmentation = Callable[[Score, np.random.Generator], Score]

VELOCITY_SCALE = (0.6, 1.3)  # a track's loudness factor
VELOCITY_NOISE = 12  # per-note spread, either way
JITTER_SECONDS = (0.01, 0.03)  # largest timing error of a performance
LOWEST, HIGHEST = attacks.LOWEST, attacks.HIGHEST


def velocity(score: Score, rng: np.random.Generator) -> Score:
    """Each track louder or softer by a factor in ``VELOCITY_SCALE``, each note by up to
    ``VELOCITY_NOISE`` more either way (1-127)."""
    tracks = []
    for track in score.tracks:
        factor = rng.uniform(*VELOCITY_SCALE)
        noise = rng.integers(-VELOCITY_NOISE, VELOCITY_NOISE + 1, size=len(track.notes))
        notes = [
            replace(n, velocity=int(np.clip(round(n.velocity * factor) + int(d), 1, 127)))
            for n, d in zip(track.notes, noise, strict=True)
        ]
        tracks.append(replace(track, notes=notes))
    return replace(score, tracks=tracks)


def octave_doubling(score: Score, rng: np.random.Generator) -> Score:
    """One voice doubled an octave away in a new track: the top voice an octave up or
    the bottom voice an octave down (as an organist's 16' or 4' stop would), or a
    voice picked at random moved whichever way stays in ``LOWEST``-``HIGHEST``."""
    voices = [t for t in score.pitched_tracks() if t.notes]
    if not voices:
        return score.copy()
    heights = [float(np.mean([n.pitch for n in t.notes])) for t in voices]
    choice = int(rng.integers(3))
    if choice == 0:
        voice, shift = voices[int(np.argmax(heights))], 12
    elif choice == 1:
        voice, shift = voices[int(np.argmin(heights))], -12
    else:
        voice, shift = voices[int(rng.integers(len(voices)))], int(rng.choice([-12, 12]))
    pitches = [n.pitch for n in voice.notes]
    if max(pitches) + shift > HIGHEST or min(pitches) + shift < LOWEST:
        shift = -shift
    if max(pitches) + shift > HIGHEST or min(pitches) + shift < LOWEST:
        return score.copy()
    doubled = [replace(n, pitch=n.pitch + shift) for n in voice.notes]
    name = f"{voice.name} (octave)".strip()
    return replace(score, tracks=[*score.copy().tracks, Track(doubled, voice.program, name=name)])


def one_track(score: Score, rng: np.random.Generator) -> Score:
    """Every voice in one piano track, as played on a keyboard."""
    return attacks.one_piano_track(score, rng)


def timing_jitter(score: Score, rng: np.random.Generator) -> Score:
    """Every onset and release off by up to 10-30 ms (drawn per piece), as played."""
    return attacks.timing_jitter(score, rng, seconds=float(rng.uniform(*JITTER_SECONDS)))


AUGMENTATIONS: dict[str, Augmentation] = {
    "velocity": velocity,
    "octave_doubling": octave_doubling,
    "one_track": one_track,
    "timing_jitter": timing_jitter,
}


def augmented_real(name: str, score: Score, rng: np.random.Generator) -> Score:
    """The canonical form of ``score`` changed by augmentation ``name``: what the judge
    would read of it."""
    try:
        augmentation = AUGMENTATIONS[name]
    except KeyError:
        known = ", ".join(AUGMENTATIONS)
        raise ValueError(f"unknown augmentation {name!r}; known: {known}") from None
    return canonical_form(augmentation(score, rng))
