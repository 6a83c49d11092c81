"""The attacks of the red-team suite: ways to disguise a copy, and changes a real piece
survives as music (performance, excerpts) or does not (wrong notes).

Each attack is a pure function of the piece (and, where random, a seeded generator);
the copies that draw on several pieces (centos) take the other pieces as an argument.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np

from evaluation.metrics.harmony import estimate_key
from music import transforms
from music.harmoniser import harmonise_score
from music.score import Note, Score, Track

Attack = Callable[[Score, np.random.Generator], Score]
LOWEST, HIGHEST = 28, 96  # pitches an octave move may reach (E1 to C7)


# ----- disguised copies ----------------------------------------------------------------


def doubling_tracks(score: Score, rng: np.random.Generator, extra: int = 3) -> Score:
    """The piece verbatim plus ``extra`` tracks that double short runs (2-6 notes) of
    its voices in unison: they pad the track list without adding any music."""
    voices = [t for t in score.pitched_tracks() if t.notes]
    added = []
    for number in range(extra):
        notes: list[Note] = []
        for _ in range(max(1, score.bar_count // 2)):
            voice = voices[int(rng.integers(len(voices)))].notes
            start = int(rng.integers(len(voice)))
            notes += voice[start : start + int(rng.integers(2, 7))]
        added.append(Track(sorted(set(notes)), program=48 + number, name=f"Doubling {number}"))
    return replace(score, tracks=[*score.tracks, *added])


def merged(score: Score, rng: np.random.Generator) -> Score:
    """Every voice in one track."""
    return transforms.merge_tracks(score)


def hocket(score: Score, rng: np.random.Generator, tracks: int = 6) -> Score:
    """The notes dealt round ``tracks`` tracks one by one, so no track is a voice."""
    notes = score.all_notes()
    parts: list[list[Note]] = [[] for _ in range(tracks)]
    for i, note in enumerate(notes):
        parts[i % tracks].append(note)
    return replace(
        score, tracks=[Track(p, program=i, name=f"Part {i}") for i, p in enumerate(parts)]
    )


def octave_moves(score: Score, rng: np.random.Generator) -> Score:
    """Every note below the top voice moved an octave up or down at random (half of
    them), within the keyboard: the same pitch classes in other registers."""
    pitched = score.pitched_tracks()
    top = max(pitched, key=lambda t: np.mean([n.pitch for n in t.notes]) if t.notes else -1)
    tracks = []
    for track in score.tracks:
        if track is top or track.is_drum:
            tracks.append(track)
            continue
        notes = []
        for note in track.notes:
            shift = int(rng.choice([-12, 12])) if rng.random() < 0.5 else 0
            pitch = note.pitch + shift if LOWEST <= note.pitch + shift <= HIGHEST else note.pitch
            notes.append(replace(note, pitch=pitch))
        tracks.append(replace(track, notes=sorted(notes)))
    return replace(score, tracks=tracks)


def mode_swapped(score: Score, rng: np.random.Generator) -> Score:
    """Major made minor (or minor major) in the estimated key: the third, sixth and
    seventh degrees moved a semitone."""
    key = estimate_key(score)
    if key is None:
        return score
    degrees = {4: -1, 9: -1, 11: -1} if key.mode == "major" else {3: 1, 8: 1, 10: 1}

    def swap(note: Note) -> Note:
        shift = degrees.get((note.pitch - key.tonic) % 12, 0)
        return replace(note, pitch=note.pitch + shift)

    return _map(score, swap)


def bar_shuffle(score: Score, rng: np.random.Generator) -> Score:
    """The piece's bars in a random order."""
    bars = [transforms.crop(score, b, b + 1) for b in range(score.bar_count)]
    order = rng.permutation(len(bars))
    return transforms.concatenate([bars[i] for i in order])


def cento(score: Score, rng: np.random.Generator, others: Sequence[Score], bars: int = 2) -> Score:
    """``bars``-bar chunks taken in turn from the piece and from ``others`` (at least
    one other source), each moved to the piece's key, joined to the piece's length."""
    key = estimate_key(score)
    tonic = key.tonic if key else 0
    sources = [score, *others]
    chunks = []
    for i in range(max(2, score.bar_count // bars)):
        source = sources[i % len(sources)]
        if source.bar_count < bars:
            continue
        start = int(rng.integers(0, source.bar_count - bars + 1))
        chunk = transforms.crop(source, start, start + bars)
        other_key = estimate_key(source)
        shift = ((tonic - (other_key.tonic if other_key else 0) + 6) % 12) - 6
        chunks.append(transforms.transpose(chunk, shift))
    return transforms.concatenate(chunks)


# ----- music that is correct but not the style's -------------------------------------------


def strong_harmonisation(score: Score, rng: np.random.Generator) -> Score:
    """The piece's top voice (its soprano) harmonised afresh in four parts by the rule
    harmoniser of :mod:`music.harmoniser` (a seed from ``rng`` picks among near-equal
    harmonisations): what a harmony teacher would pass, written without Bach."""
    pitched = [t for t in score.pitched_tracks() if t.notes]
    top = max(pitched, key=lambda t: float(np.mean([n.pitch for n in t.notes])))
    return harmonise_score(replace(score, tracks=[top]), seed=int(rng.integers(2**31)))


# ----- what performance changes, and what damage does ---------------------------------------


def timing_jitter(score: Score, rng: np.random.Generator, seconds: float = 0.02) -> Score:
    """Every onset and release moved by up to ``seconds`` either way, as a player would."""
    spread = max(1, score.seconds_to_ticks(seconds))

    def jitter(note: Note) -> Note:
        start = max(0, note.start + int(rng.integers(-spread, spread + 1)))
        end = max(start + 1, note.end + int(rng.integers(-spread, spread + 1)))
        return replace(note, start=start, duration=end - start)

    return _map(score, jitter)


def played_in(
    score: Score,
    rng: np.random.Generator,
    *,
    bpm: float | None = None,
    breathing: float = 0.03,
    lead: float | None = None,
) -> Score:
    """The piece as a MIDI keyboard records it when the player ignores the click: played
    at the player's own tempo (``bpm`` a quarter note, else 60-100), which breathes
    (``breathing`` either way over a phrase, and a slow drift) and broadens over the last
    two beats, each note 15 ms early or late (one standard deviation) and released 30 ms
    before the next, begun ``lead`` seconds (else 0.05-0.6) after the recording starts,
    and saved at the sequencer's 120 bpm and 480 ticks per quarter note: nothing of it
    lies on the file's beats."""
    notes = [n for t in score.tracks for n in t.notes]
    if not notes:
        return score
    quarter = 60.0 / (bpm if bpm is not None else float(rng.uniform(60.0, 100.0)))
    steps = np.arange(0.0, max(n.end for n in notes) / score.resolution + 2.0, 0.25)
    phase = rng.uniform(0, 2 * np.pi)
    swing = breathing * np.sin(2 * np.pi * steps / rng.uniform(6, 16) + phase)
    drift = np.cumsum(rng.normal(0.0, 0.1 * breathing, steps.size))
    slower = 1.0 + 0.15 * np.clip(steps - (steps[-1] - 4.0), 0.0, 2.0) / 2.0  # the ending
    pace = 0.25 * quarter * slower / (1 + swing + drift - drift.mean())
    seconds = np.concatenate([[0.0], np.cumsum(pace)])[:-1]
    start = float(rng.uniform(0.05, 0.6)) if lead is None else lead
    file = replace(score, resolution=480, tempo=120.0)

    def at(ticks: int, late: float) -> int:
        time = start + float(np.interp(ticks / score.resolution, steps, seconds)) + late
        return file.seconds_to_ticks(max(time, 0.0))

    def play(note: Note) -> Note:
        begin = at(note.start, float(rng.normal(0.0, 0.015)))
        end = max(begin + 1, at(note.end, -0.03))
        velocity = int(np.clip(note.velocity + rng.normal(0.0, 10.0), 1, 127))
        return replace(note, start=begin, duration=end - begin, velocity=velocity)

    tracks = [replace(t, notes=sorted(play(n) for n in t.notes)) for t in score.tracks]
    return replace(file, tracks=tracks)


def detached(score: Score, rng: np.random.Generator) -> Score:
    """The piece played in without the click (:func:`played_in`) by a player whose touch
    is detached: each note let go after 65-90 % of its value (drawn note by note), as on
    a keyboard without the pedal."""
    played = played_in(score, rng)

    def let_go(note: Note) -> Note:
        return replace(note, duration=max(1, round(note.duration * rng.uniform(0.65, 0.9))))

    return _map(played, let_go)


def note_values(scale: int, bars_kept: bool) -> Attack:
    """The piece written in ``scale`` times its note values (2: quarters become halves; -2:
    eighths) at ``scale`` times the tempo, so that it sounds exactly as before: with its
    bar lines where they were (the meter's denominator changed) or with the meter as
    written (as a sequencer left at 4/4 writes it: bars that merge or split)."""

    def attack(score: Score, rng: np.random.Generator) -> Score:
        numerator, denominator = score.time_signature
        if scale > 0:
            meter = (
                (numerator, max(1, denominator // scale)) if bars_kept else (numerator, denominator)
            )
            stretched = transforms.time_stretch(score, scale)
            return replace(stretched, tempo=score.tempo * scale, time_signature=meter)
        meter = (numerator, denominator * -scale) if bars_kept else (numerator, denominator)
        return replace(
            score,
            resolution=score.resolution * -scale,
            tempo=score.tempo / -scale,
            time_signature=meter,
        )

    return attack


def one_piano_track(score: Score, rng: np.random.Generator) -> Score:
    """Every voice in one piano track (as played on a keyboard)."""
    one = transforms.merge_tracks(score)
    return replace(one, tracks=[replace(t, program=0, name="Piano") for t in one.tracks])


def first_bars(bars: int) -> Attack:
    def excerpt(score: Score, rng: np.random.Generator) -> Score:
        return transforms.crop(score, 0, min(bars, score.bar_count))

    excerpt.__name__ = f"first_{bars}_bars"
    return excerpt


def wrong_notes(share: float) -> Attack:
    """``share`` of the notes moved by a random 1-6 semitones either way."""

    def damage(score: Score, rng: np.random.Generator) -> Score:
        def maybe(note: Note) -> Note:
            if rng.random() >= share:
                return note
            shift = int(rng.integers(1, 7)) * int(rng.choice([-1, 1]))
            return replace(note, pitch=min(127, max(0, note.pitch + shift)))

        return _map(score, maybe)

    damage.__name__ = f"wrong_notes_{round(share * 100)}"
    return damage


def _map(score: Score, change: Callable[[Note], Note]) -> Score:
    tracks = [
        track if track.is_drum else replace(track, notes=sorted(change(n) for n in track.notes))
        for track in score.tracks
    ]
    return replace(score, tracks=tracks)
