"""Pure transformations of a Score: each returns a new Score and leaves its input alone.

They serve data augmentation (transpose, time_stretch), the realism critic's negatives
(reverse, shuffle_pitches, drop_notes) and plumbing (quantize, rescale, on_grid, crop,
concatenate, merge_tracks, split_tracks). Random ones take ``seed``, an int or a
``numpy.random.Generator``: the same seed gives the same result. Every result keeps
notes valid (pitch 0-127, duration of at least one tick) and sorted.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import Literal

import numpy as np

from music.score import MAX_RESOLUTION, Note, Score, Track

Seed = int | np.random.Generator | None
OutOfRange = Literal["octave", "clip", "drop"]


def transpose(score: Score, semitones: int, out_of_range: OutOfRange = "octave") -> Score:
    """Shift every pitched note by ``semitones``; drum tracks are untouched.

    A note pushed outside 0-127 is moved back by whole octaves (``"octave"``, keeping
    its pitch class), pinned to 0 or 127 (``"clip"``) or removed (``"drop"``).
    """
    if out_of_range not in ("octave", "clip", "drop"):
        raise ValueError(f"out_of_range must be 'octave', 'clip' or 'drop', not {out_of_range!r}")

    def shift(note: Note) -> Note | None:
        pitch = note.pitch + semitones
        if 0 <= pitch <= 127:
            return replace(note, pitch=pitch)
        if out_of_range == "drop":
            return None
        if out_of_range == "clip":
            return replace(note, pitch=min(max(pitch, 0), 127))
        while pitch < 0:
            pitch += 12
        while pitch > 127:
            pitch -= 12
        return replace(note, pitch=pitch)

    return _map_notes(score, shift, drums=False)


def time_stretch(score: Score, factor: float) -> Score:
    """Multiply every start and end by ``factor`` (2.0: twice as long at the same tempo).

    Starts and ends are rounded to ticks separately, so notes that touched still touch;
    a note never shrinks below one tick.
    """
    if not factor > 0:
        raise ValueError(f"factor must be positive, not {factor}")

    def stretch(note: Note) -> Note:
        start = round(note.start * factor)
        return replace(note, start=start, duration=max(round(note.end * factor) - start, 1))

    return _map_notes(score, stretch)


def rescale(score: Score, resolution: int) -> Score:
    """The same music at ``resolution`` ticks per beat (exact when it divides evenly)."""
    if resolution < 1:
        raise ValueError(f"resolution must be positive, not {resolution}")
    stretched = time_stretch(score, resolution / score.resolution)
    return replace(stretched, resolution=resolution)


def on_grid(score: Score, steps_per_beat: int) -> Score:
    """``score`` at a resolution that divides a beat into ``steps_per_beat`` whole-tick
    steps and that a MIDI file can hold: as it is where it does already, else at the
    least common multiple of the two (exact), or, where that is past
    ``MAX_RESOLUTION``, at the largest multiple of ``steps_per_beat`` below its own
    (each start and end moves by less than one tick)."""
    if steps_per_beat < 1:
        raise ValueError(f"steps_per_beat must be positive, not {steps_per_beat}")
    if score.resolution % steps_per_beat == 0:
        return score
    exact = math.lcm(score.resolution, steps_per_beat)
    if exact <= MAX_RESOLUTION:
        return rescale(score, exact)
    return rescale(score, max(score.resolution - score.resolution % steps_per_beat, steps_per_beat))


def reverse(score: Score) -> Score:
    """Play the score backwards: a note ending ``t`` ticks before the end now starts at ``t``."""
    total = score.end_tick
    return _map_notes(score, lambda note: replace(note, start=total - note.end))


def shuffle_pitches(score: Score, seed: Seed = None) -> Score:
    """Permute the pitches among the notes of each pitched track, keeping the rhythm and
    velocities; drum tracks are untouched."""
    rng = np.random.default_rng(seed)
    tracks = []
    for track in score.tracks:
        if track.is_drum or not track.notes:
            tracks.append(replace(track, notes=list(track.notes)))
            continue
        pitches = rng.permutation([n.pitch for n in track.notes]).tolist()
        notes = [replace(n, pitch=p) for n, p in zip(track.notes, pitches, strict=True)]
        tracks.append(replace(track, notes=sorted(notes)))
    return replace(score, tracks=tracks)


def drop_notes(score: Score, fraction: float, seed: Seed = None) -> Score:
    """Remove ``round(fraction * n)`` notes chosen at random from each track of n notes."""
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"fraction must be between 0 and 1, not {fraction}")
    rng = np.random.default_rng(seed)
    tracks = []
    for track in score.tracks:
        count = len(track.notes)
        dropped = set(rng.choice(count, size=round(fraction * count), replace=False).tolist())
        notes = [n for i, n in enumerate(track.notes) if i not in dropped]
        tracks.append(replace(track, notes=notes))
    return replace(score, tracks=tracks)


def quantize(score: Score, steps_per_beat: int = 4) -> Score:
    """Snap every start and end to the nearest of ``steps_per_beat`` steps per beat.

    A note that would shrink to nothing keeps one step. The grid is exact only when
    ``steps_per_beat`` divides the resolution; otherwise steps round to whole ticks.
    """
    if steps_per_beat < 1:
        raise ValueError(f"steps_per_beat must be positive, not {steps_per_beat}")
    resolution = score.resolution

    def snap(tick: int) -> int:
        step = (2 * tick * steps_per_beat + resolution) // (2 * resolution)
        return (2 * step * resolution + steps_per_beat) // (2 * steps_per_beat)

    def quantize_note(note: Note) -> Note:
        start = snap(note.start)
        end = snap(note.end)
        if end <= start:
            end = start + max(round(resolution / steps_per_beat), 1)
        return replace(note, start=start, duration=end - start)

    return _map_notes(score, quantize_note)


def crop(score: Score, start_bar: int, end_bar: int) -> Score:
    """Bars ``start_bar`` (inclusive) to ``end_bar`` (exclusive), counted from 0, moved to
    the start. Notes crossing the window's edges are cut at them."""
    if not 0 <= start_bar <= end_bar:
        raise ValueError(f"need 0 <= start_bar <= end_bar, not {start_bar}, {end_bar}")
    begin = start_bar * score.ticks_per_bar
    finish = end_bar * score.ticks_per_bar
    tracks = []
    for track in score.tracks:
        notes = []
        for note in track.notes:
            start, end = max(note.start, begin), min(note.end, finish)
            if end > start:
                notes.append(replace(note, start=start - begin, duration=end - start))
        tracks.append(replace(track, notes=sorted(notes)))
    return replace(score, tracks=tracks)


def concatenate(scores: Sequence[Score]) -> Score:
    """Play ``scores`` one after another, each starting on the bar after the last ends.

    The first score gives the resolution, tempo, meter and title; later scores are
    rescaled to its resolution. Tracks are joined by position (track i of every score
    goes into track i), taking program, drum flag and name from the first score that
    has a track i.
    """
    if not scores:
        return Score()
    first = scores[0]
    joined: list[Track] = []
    offset = 0
    for score in scores:
        score = rescale(score, first.resolution) if score.resolution != first.resolution else score
        for index, track in enumerate(score.tracks):
            if index == len(joined):
                joined.append(replace(track, notes=[]))
            moved = (replace(n, start=n.start + offset) for n in track.notes)
            joined[index].notes.extend(moved)
        offset += _whole_bars(score.end_tick, first.ticks_per_bar)
    return replace(first, tracks=[replace(t, notes=sorted(t.notes)) for t in joined])


def merge_tracks(score: Score, name: str = "") -> Score:
    """All pitched tracks as one (with the first pitched track's program), then all drum
    tracks as one drum track: at most two tracks."""
    tracks = []
    for group in (score.pitched_tracks(), [t for t in score.tracks if t.is_drum]):
        if group:
            notes = sorted(n for t in group for n in t.notes)
            tracks.append(replace(group[0], notes=notes, name=name or group[0].name))
    return replace(score, tracks=tracks)


def split_tracks(score: Score, voices: int = 4) -> Score:
    """Split each pitched track into ``voices`` tracks by register, like SATB parts.

    Notes starting on the same tick form a chord, sorted from high to low: the highest
    goes to voice 1, the lowest to the last voice, and the ones between fill the middle
    voices from the top (extra ones join the last voice but one, or the last when there
    are only two). A melody with chords under it thus splits into a top line and the
    rest. Drum tracks are kept whole; empty voices are kept so the track count is
    predictable.
    """
    if voices < 1:
        raise ValueError(f"voices must be positive, not {voices}")
    tracks = []
    for track in score.tracks:
        if track.is_drum or voices == 1:
            tracks.append(replace(track, notes=list(track.notes)))
            continue
        parts: list[list[Note]] = [[] for _ in range(voices)]
        for chord in _chords(track.notes):
            for note, voice in zip(chord, _voice_slots(len(chord), voices), strict=True):
                parts[voice].append(note)
        for number, notes in enumerate(parts, start=1):
            name = f"{track.name} voice {number}".strip()
            tracks.append(replace(track, notes=sorted(notes), name=name))
    return replace(score, tracks=tracks)


# ----- helpers -----------------------------------------------------------------------


def _map_notes(score: Score, change: Callable[[Note], Note | None], drums: bool = True) -> Score:
    """Apply ``change`` to every note (of pitched tracks only unless ``drums``); a None
    result removes the note."""
    tracks = []
    for track in score.tracks:
        if track.is_drum and not drums:
            tracks.append(replace(track, notes=list(track.notes)))
            continue
        changed = (change(n) for n in track.notes)
        tracks.append(replace(track, notes=sorted(n for n in changed if n is not None)))
    return replace(score, tracks=tracks)


def _whole_bars(ticks: int, ticks_per_bar: int) -> int:
    """``ticks`` rounded up to a whole number of bars."""
    return -(-ticks // ticks_per_bar) * ticks_per_bar


def _chords(notes: Iterable[Note]) -> list[list[Note]]:
    """Notes grouped by start tick, each group sorted from the highest pitch down."""
    groups: dict[int, list[Note]] = defaultdict(list)
    for note in notes:
        groups[note.start].append(note)
    return [sorted(g, key=lambda n: -n.pitch) for _, g in sorted(groups.items())]


def _voice_slots(size: int, voices: int) -> list[int]:
    """Which voice each note of a chord (sorted high to low) goes to."""
    if voices == 1:
        return [0] * size
    if size >= voices:
        inner = list(range(1, voices - 1)) if voices > 2 else []
        middle_voice = voices - 2 if voices > 2 else voices - 1
        middle = inner + [middle_voice] * (size - voices)
        return [0, *middle, voices - 1]
    if size == 1:
        return [0]
    return [0, *range(1, size - 1), voices - 1]
