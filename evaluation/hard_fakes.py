"""Hard negatives for the realism critics: fakes made of real music, rearranged or damaged.

The scrambled families of :mod:`evaluation.fakes` each destroy one property of music
outright; these keep almost everything a window shows and break what only a musician
(or a well-trained critic) notices, which is what a determined competitor submits
(issue 15, item 2):

- ``cento``: 2- to 4-bar chunks of the piece and of up to ``CENTO_DONORS`` other pieces
  (donors of the same meter and mode where there are any), each moved to the piece's
  key, joined to the piece's length: every chunk is real, the joins and the whole are
  not;
- ``bar_shuffled``: the piece's own bars in a random order;
- ``wrong_notes``: a share of the notes (one of ``DAMAGE_LEVELS``, drawn per fake) moved
  by 1 to 6 semitones: a real piece partly damaged.

Each keeps the piece's resolution, tempo, meter, track layout (drums as they are) and
length, like every family. The attacks of :mod:`evaluation.redteam.attacks` are reused
where they fit; both are build-time code, never imported when scoring.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from evaluation.metrics.harmony import estimate_key
from evaluation.redteam import attacks
from music import transforms
from music.score import Note, Score, Track

CENTO_DONORS = 3  # other pieces a cento draws on, besides the piece itself
CENTO_CHUNK_BARS = (2, 3, 4)
DONOR_CANDIDATES = 12  # donors looked at (in random order) for a matching meter and mode
DAMAGE_LEVELS = (0.02, 0.05, 0.10, 0.20)  # shares of wrong notes, one drawn per fake


def cento(score: Score, rng: np.random.Generator, donors: Sequence[Score] = ()) -> Score:
    """Chunks of 2-4 bars taken in turn from the piece and from up to ``CENTO_DONORS``
    pieces of ``donors`` (the piece itself is never its own donor), each transposed to
    the piece's key by the smaller move, voices laid by register on the piece's pitched
    tracks, cut to the piece's length. With no donors the chunks all come from the
    piece (a shuffle of phrases rather than bars)."""
    voices = len(score.pitched_tracks())
    if score.bar_count < 2 or not voices:
        return score.copy()
    sources = [score, *_donors(score, donors, rng)]
    tonic = _tonic(score)
    shifts = [0] + [((tonic - _tonic(s) + 6) % 12) - 6 for s in sources[1:]]
    parts: list[list[Note]] = [[] for _ in range(voices)]
    offset, end, turn = 0, _length(score), 0
    while offset < end:
        index = turn % len(sources)
        source, turn = sources[index], turn + 1
        bars = min(int(rng.choice(CENTO_CHUNK_BARS)), source.bar_count)
        if bars < 1:
            continue
        first = int(rng.integers(0, source.bar_count - bars + 1))
        chunk = transforms.crop(source, first, first + bars)
        chunk = transforms.transpose(chunk, shifts[index])
        if chunk.resolution != score.resolution:
            chunk = transforms.rescale(chunk, score.resolution)
        for part, notes in zip(parts, _by_register(chunk, voices), strict=True):
            part += [replace(n, start=n.start + offset) for n in notes]
        # The next chunk starts on the piece's next bar line after this one ends.
        span = max(chunk.end_tick, bars * chunk.ticks_per_bar)
        offset += -(-span // score.ticks_per_bar) * score.ticks_per_bar
    return _laid_out(score, [_cut(part, end) for part in parts])


def bar_shuffled(score: Score, rng: np.random.Generator) -> Score:
    """The piece's bars in a random order (a piece of one bar stays as it is)."""
    if score.bar_count < 2:
        return score.copy()
    shuffled = attacks.bar_shuffle(score, rng)
    tracks = [
        original if original.is_drum else replace(moved, notes=_cut(moved.notes, _length(score)))
        for moved, original in zip(shuffled.tracks, score.tracks, strict=True)
    ]
    return replace(score, tracks=[replace(t, notes=list(t.notes)) for t in tracks])


def wrong_notes(score: Score, rng: np.random.Generator) -> Score:
    """A share of the notes, one of ``DAMAGE_LEVELS`` drawn at random, each moved by 1-6
    semitones up or down (drums untouched)."""
    share = float(rng.choice(DAMAGE_LEVELS))
    return attacks.wrong_notes(share)(score.copy(), rng)


# ----- helpers ---------------------------------------------------------------------------


def _length(score: Score) -> int:
    return score.end_tick or score.ticks_per_bar


def _tonic(score: Score) -> int:
    key = estimate_key(score)
    return key.tonic if key is not None else 0


def _mode(score: Score) -> str | None:
    key = estimate_key(score)
    return key.mode if key is not None else None


def _donors(score: Score, pool: Sequence[Score], rng: np.random.Generator) -> list[Score]:
    """Up to ``CENTO_DONORS`` pieces of ``pool`` other than ``score``, of its meter and
    mode where a random sample of candidates holds such pieces."""
    candidates = [p for p in pool if p is not score and p.bar_count >= 2]
    if not candidates:
        return []
    order = rng.permutation(len(candidates))[:DONOR_CANDIDATES].tolist()
    looked = [candidates[i] for i in order]
    mode = _mode(score)
    alike = [p for p in looked if p.time_signature == score.time_signature and _mode(p) == mode]
    rest = [p for p in looked if not any(p is a for a in alike)]
    return (alike + rest)[:CENTO_DONORS]


def _by_register(chunk: Score, voices: int) -> list[list[Note]]:
    """The chunk's pitched notes as ``voices`` parts, highest first: its tracks ordered
    by mean pitch where it has that many voices, else split by register."""
    tracks = chunk.pitched_tracks()
    if len(tracks) != voices:
        merged = Score([Track(notes=sorted(n for t in tracks for n in t.notes))])
        tracks = transforms.split_tracks(merged, voices).tracks
        return [list(t.notes) for t in tracks]
    ordered = sorted(tracks, key=lambda t: -np.mean([n.pitch for n in t.notes]) if t.notes else 0)
    return [list(t.notes) for t in ordered]


def _cut(notes: Sequence[Note], end: int) -> list[Note]:
    """The notes that start before ``end``, cut off there."""
    kept = (replace(n, duration=min(n.duration, end - n.start)) for n in notes if n.start < end)
    return sorted(kept)


def _laid_out(score: Score, parts: list[list[Note]]) -> Score:
    """``parts`` (highest first) on the piece's pitched tracks ordered by their register,
    drums and names kept."""
    pitched = [i for i, t in enumerate(score.tracks) if not t.is_drum]
    height = {i: np.mean([n.pitch for n in score.tracks[i].notes] or [0]) for i in pitched}
    by_height = sorted(pitched, key=lambda i: -height[i])
    tracks = list(score.copy().tracks)
    for index, notes in zip(by_height, parts, strict=True):
        tracks[index] = replace(tracks[index], notes=sorted(notes))
    return replace(score, tracks=tracks)
