"""Material an entry was given to build on: the sample melody a generator extended (the
Transformer) or accompanied (the GAN, the AR-CNN).

Such an entry holds the sample's notes by design, and so does every other entry built on
the same sample. The copy check therefore judges what the entry *added*: the entry less
the given material's notes (each note of the sample removes one note of the entry at the
same place in beats and the same pitch). That remainder must not copy the reference
music, the sample melodies or earlier entries, by every rule; and an entry that adds less
than ``MIN_ADDED_SHARE`` of its notes is the given material itself, a copy of it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace

from music.catalogue import load_sample
from music.score import Score

SAMPLE_PREFIX = "sample:"  # the novelty index's name for a sample melody
# An entry whose notes are less than this share new adds too little to be more than the
# sample: it copies it (a sample with a cadence appended, or a few notes changed).
MIN_ADDED_SHARE = 0.2
ONSET_GRID = 48  # onsets compared on a grid of 1/48 beat (tick resolutions differ)


@dataclass(frozen=True)
class Added:
    """An entry less its given material: ``score`` holds the notes it added, ``share``
    their share of its notes, ``source`` the given piece that was taken out."""

    score: Score
    share: float
    source: str


def given_scores(given: Sequence[str]) -> list[tuple[str, Score]]:
    """The given pieces that can be read (sample melodies we ship), by name."""
    found = []
    for name in given:
        if not name.startswith(SAMPLE_PREFIX):
            continue
        try:
            found.append((name, load_sample(name.removeprefix(SAMPLE_PREFIX))))
        except (KeyError, OSError, ValueError):
            continue  # a sample no longer shipped: nothing to take out
    return found


def added_part(score: Score, given: Sequence[tuple[str, Score]]) -> Added | None:
    """``score`` less the notes of every given piece (None when nothing is given)."""
    if not given:
        return None
    left = Counter(
        (round(n.start * ONSET_GRID / piece.resolution), n.pitch)
        for _, piece in given
        for track in piece.tracks
        if not track.is_drum
        for n in track.notes
    )
    tracks, total, kept = [], 0, 0
    for track in score.tracks:
        notes = []
        for note in track.notes:
            total += not track.is_drum
            key = (round(note.start * ONSET_GRID / score.resolution), note.pitch)
            if not track.is_drum and left[key] > 0:
                left[key] -= 1
                continue
            notes.append(note)
            kept += not track.is_drum
        tracks.append(replace(track, notes=notes))
    share = kept / total if total else 0.0
    return Added(replace(score, tracks=tracks), share, given[0][0])
