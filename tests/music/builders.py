"""Pieces the music tests share."""

from __future__ import annotations

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
