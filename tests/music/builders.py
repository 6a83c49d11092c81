"""Pieces the music tests share."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from music.score import Note, Score, Track

RES = 480
SCALE = (0, 2, 4, 5, 7, 9, 11)

# Rhythms of one beat (simple meters: a quarter note; compound: a dotted quarter), in
# ticks, and of the bass under them.
SIMPLE_BEATS = ((480,), (240, 240), (360, 120), (240, 240), (480,))
COMPOUND_BEATS = ((720,), (480, 240), (240, 240, 240), (480, 240))


def two_voices(seed: int, *, bars: int = 16, meter: tuple[int, int] = (4, 4)) -> Score:
    """A tune over a bass, written on the grid at 480 ticks a beat: the tune in beat-long
    rhythms (quarters, eighths, dotted; in 6/8 dotted quarters, quarter and eighth,
    three eighths), a long note closing every second bar; the bass a note a beat, held
    through the tune's long notes."""
    rng = np.random.default_rng(seed)
    numerator, denominator = meter
    compound = denominator == 8 and numerator % 3 == 0
    beat = 720 if compound else RES * 4 // denominator
    beats_per_bar = numerator // 3 if compound else numerator
    patterns = COMPOUND_BEATS if compound else SIMPLE_BEATS
    tune, bass = [], []
    degree, time = 7, 0
    for bar in range(bars):
        closing = bar % 2 == 1
        for index in range(beats_per_bar):
            if closing and index == beats_per_bar - 2:
                tune.append(Note(time, _pitch(degree, 60), 2 * beat))
                bass.append(Note(time, _pitch(degree - 7, 48), 2 * beat))
                time += 2 * beat
                break
            rhythm = patterns[int(rng.integers(len(patterns)))]
            at = time
            for length in rhythm:
                degree = int(np.clip(degree + rng.choice([-2, -1, 1, 2]), 2, 12))
                tune.append(Note(at, _pitch(degree, 60), length))
                at += length
            bass.append(Note(time, _pitch(int(rng.integers(0, 7)), 48), beat))
            time += beat
    return Score(
        [Track(tune, program=0, name="Tune"), Track(bass, program=32, name="Bass")],
        resolution=RES,
        time_signature=meter,
    )


def _pitch(degree: int, base: int) -> int:
    octave, step = divmod(degree, 7)
    return base + 12 * octave + SCALE[step]


def performed(
    score: Score,
    seed: int,
    *,
    bpm: float,
    resolution: int = 96,
    file_tempo: float = 120.0,
    lead: float = 0.4,
    wander: float = 0.01,
) -> Score:
    """The piece as a pianist plays it into a sequencer without the click, on a model of
    this module's own (not the red team's): a quarter note at ``bpm``, the tempo
    wandering by a random walk of ``wander`` a beat (kept within 12 %), each start 12 ms early
    or late and each end 10 ms (one standard deviation), notes let go 40 ms early, the
    first beat ``lead`` seconds in, saved at ``file_tempo`` and ``resolution`` ticks a
    quarter note."""
    rng = np.random.default_rng(seed)
    quarters = max(n.end for t in score.tracks for n in t.notes) / score.resolution + 2
    steps = np.arange(0.0, quarters + 1.0)
    walk = np.clip(np.cumsum(rng.normal(0.0, wander, steps.size)), -0.12, 0.12)
    seconds = np.concatenate([[0.0], np.cumsum(60.0 / (bpm * (1 + walk)))])[:-1] + lead
    per_second = file_tempo * resolution / 60.0

    def tick(ticks: int, late: float) -> int:
        at = float(np.interp(ticks / score.resolution, steps, seconds)) + late
        return max(0, round(at * per_second))

    def play(note: Note) -> Note:
        start = tick(note.start, float(rng.normal(0.0, 0.012)))
        end = tick(note.end, float(rng.normal(-0.04, 0.01)))
        return Note(start, note.pitch, max(1, end - start), note.velocity)

    tracks = [
        Track(sorted(play(n) for n in t.notes), t.program, t.is_drum, t.name) for t in score.tracks
    ]
    return Score(tracks, resolution=resolution, tempo=file_tempo, time_signature=(4, 4))


def held_for(score: Score, share: float) -> Score:
    """Every note let go after ``share`` of its value, as a player's touch does."""
    return replace(
        score,
        tracks=[
            replace(
                t, notes=[replace(n, duration=max(1, round(n.duration * share))) for n in t.notes]
            )
            for t in score.tracks
        ],
    )
