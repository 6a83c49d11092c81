"""The hand statistics of four-part music: exact values on tiny pieces."""

import math

import pytest

from generation.stats import (
    beat_dissonance,
    figures,
    held_share,
    outside_ranges,
    parallel_counts,
    tonic_bass_cadence,
    voice_grid,
)
from music.score import Note, Score, Track

Q = 480  # ticks per quarter note
RANGES = ((53, 74), (48, 69), (36, 62))


def piece(*voices):
    """Four parts from ``[(pitch, beats), ...]`` each, high to low (pitch -1: a rest)."""
    tracks = []
    for voice in voices:
        notes, start = [], 0
        for pitch, beats in voice:
            if pitch >= 0:
                notes.append(Note(start, pitch, beats * Q))
            start += beats * Q
        tracks.append(Track(notes))
    return Score(tracks, resolution=Q)


def test_parallel_fifths_and_octaves_are_counted_per_joint_move():
    score = piece(
        [(72, 1), (74, 1), (76, 1)],  # C D E
        [(67, 1), (69, 1), (71, 1)],  # G A B: fourths under the melody are no fifths
        [(60, 1), (62, 1), (60, 1)],  # C D C
        [(55, 1), (57, 1), (57, 1)],  # G A A (the last one held)
    )
    # Joint moves: all six pairs into beat 2, S-A, S-T and A-T into beat 3 = 9.
    # Parallels into beat 2: S-T octaves, A-T fifths, A-B octaves.
    assert parallel_counts(voice_grid(score)) == (3, 9)


def test_a_voice_that_holds_makes_no_joint_move():
    score = piece([(72, 1), (74, 1)], [(65, 2)], [(60, 2)], [(48, 2)])
    assert parallel_counts(voice_grid(score)) == (0, 0)


def test_beat_dissonance_counts_beats_with_a_second_or_seventh_between_two_parts():
    score = piece(
        [(72, 1), (72, 1), (71, 1)],
        [(67, 1), (65, 1), (67, 1)],  # on beat 3 a major third under B
        [(64, 1), (62, 1), (62, 1)],  # beat 2: the melody's C over D is a seventh
        [(48, 1), (-1, 1), (43, 1)],
    )
    assert beat_dissonance(score) == (1, 3)


def test_held_share_is_the_inner_voices_time_on_one_pitch_for_four_beats_or_more():
    score = piece(
        [(72, 6)],
        [(67, 2), (67, 2), (65, 2)],  # G held and repeated for 4 beats, then F for 2
        [(64, 1), (-1, 1), (64, 3), (60, 1)],  # the rest breaks the E's run
        [(48, 6)],
    )
    assert held_share(score) == (4 * Q, 11 * Q)


def test_the_cadence_counts_a_tonic_bass_under_a_tonic_ending_only():
    c_major = [(60, 1), (62, 1), (64, 1), (65, 1), (67, 2), (64, 1), (62, 1), (60, 4)]
    inner = [(55, 12)], [(52, 12)]
    assert tonic_bass_cadence(piece(c_major, *inner, [(43, 8), (48, 4)])) is True
    assert tonic_bass_cadence(piece(c_major, *inner, [(43, 12)])) is False
    assert tonic_bass_cadence(piece(c_major[:-1], *inner, [(43, 8)])) is None  # ends on D


def test_notes_outside_the_ranges_are_counted_in_the_lower_three_voices():
    score = piece([(90, 1)], [(53, 1), (75, 1)], [(47, 1)], [(36, 1), (62, 1), (63, 1)])
    assert outside_ranges(score, RANGES) == (3, 6)


def test_figures_pool_the_counts_and_are_nan_where_nothing_was_counted():
    still = piece([(72, 2)], [(67, 2)], [(64, 2)], [(48, 2)])
    moving = piece([(72, 1), (74, 1)], [(65, 1), (67, 1)], [(64, 1), (62, 1)], [(48, 2)])
    result = figures([still, moving], RANGES)
    assert result.pieces == 2
    assert result.parallels == pytest.approx(100 / 3)  # S-A fifths; S-A, S-T, A-T move
    assert result.outside == 0.0
    # A two-note tune C D is in D by the last-note rule, and its bass is C.
    assert (result.cadences, result.tonic_endings) == (1, 2)
    assert math.isnan(figures([still], RANGES).parallels)
