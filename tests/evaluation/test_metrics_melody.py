import math
import random

import numpy as np
import pytest

from evaluation import metrics as m
from tests.evaluation.builders import build, chord, melody, part

# Intervals +2 +2 -4 +7 -2 0.
LINE = [60, 62, 64, 60, 67, 65, 65]
TUNE = build(melody(LINE))


def test_intervals_follow_the_line():
    np.testing.assert_array_equal(m.melodic_intervals(TUNE), [2, 2, -4, 7, -2, 0])


def test_the_top_of_a_chord_is_the_line():
    piece = build(part(*chord([60, 64, 67]), (1, 62, 1)))
    np.testing.assert_array_equal(m.melodic_intervals(piece), [-5])  # G4 -> D4


def test_a_lower_note_under_a_held_note_is_not_the_line():
    # C5 held for two beats; A4 enters under it on beat 2; B4 follows on beat 3.
    piece = build(part((0, 72, 2), (1, 69, 1), (2, 71, 1)))
    np.testing.assert_array_equal(m.melodic_intervals(piece), [-1])  # C5 -> B4


def test_intervals_never_cross_tracks():
    piece = build(melody([60, 62]), melody([72, 74]))
    np.testing.assert_array_equal(m.melodic_intervals(piece), [2, 2])


def test_step_rate_and_mean_abs_interval():
    assert m.step_rate(TUNE) == pytest.approx(4 / 6)  # +2 +2 -2 0
    assert m.mean_abs_interval(TUNE) == pytest.approx(17 / 6)  # (2+2+4+7+2+0) / 6


def test_direction_change_rate_skips_repeats():
    # moving intervals +2 +2 -4 +7 -2: changes at (+2,-4) (-4,+7) (+7,-2) of 4 pairs
    assert m.direction_change_rate(TUNE) == 0.75


def test_leap_recovery_rate():
    assert m.leap_recovery_rate(TUNE) == 1.0  # +7 then -2
    no_recovery = build(melody([60, 67, 69, 72]))  # +7 +2 +3
    assert m.leap_recovery_rate(no_recovery) == 0.0
    assert math.isnan(m.leap_recovery_rate(build(melody([60, 62, 64]))))  # no leap


def test_interval_histogram_is_signed():
    expected = np.zeros(9)
    # -4 -> bin 2, -2 -> 3, 0 -> 4, +2 +2 -> 5, +7 -> 7
    expected[[2, 3, 4, 5, 7]] = [1 / 6, 1 / 6, 1 / 6, 2 / 6, 1 / 6]
    np.testing.assert_allclose(m.interval_histogram(TUNE), expected)


def test_transition_matrix_rows_are_conditional_probabilities():
    matrix = m.pitch_class_transition_matrix(TUNE, relative_to_key=False)
    expected = np.zeros((12, 12))
    # 0->2, 2->4, 4->0, 0->7, 7->5, 5->5
    expected[0, 2] = expected[0, 7] = 0.5
    expected[2, 4] = expected[4, 0] = expected[7, 5] = expected[5, 5] = 1.0
    np.testing.assert_allclose(matrix, expected)


def test_key_relative_transition_matrix_ignores_transposition():
    up_a_third = build(melody([p + 4 for p in LINE]))
    np.testing.assert_allclose(
        m.pitch_class_transition_matrix(up_a_third), m.pitch_class_transition_matrix(TUNE)
    )


def test_transition_entropy_is_conditional():
    # Only C has two successors, equally likely: H(next | current) = P(C) * 1 bit = 1/3.
    assert m.pitch_class_transition_entropy(TUNE) == pytest.approx(1 / 3)
    assert m.pitch_class_transition_entropy(build(melody([60, 62] * 4))) == 0.0


def test_articulation_ratio():
    assert m.articulation_ratio(TUNE) == 1.0
    assert m.articulation_ratio(build(melody(LINE, held=0.5))) == 0.5


def test_transition_features_are_nan_for_a_single_note():
    one = build(melody([60]))
    for metric in (m.step_rate, m.mean_abs_interval, m.direction_change_rate, m.articulation_ratio):
        assert math.isnan(metric(one))
    assert math.isnan(m.pitch_class_transition_entropy(one))
    assert np.isnan(m.interval_histogram(one)).all()
    assert np.isnan(m.pitch_class_transition_matrix(one)).all()


# A stepwise tune that ends with a leap up and a step back, 32 notes long.
REAL = [60, 62, 64, 65, 67, 65, 64, 62, 60, 64, 67, 72, 71, 69, 67, 65] * 2


def test_shuffled_pitches_keep_the_pitch_histogram_but_change_transitions():
    shuffled_line = REAL.copy()
    random.Random(7).shuffle(shuffled_line)
    real, shuffled = build(melody(REAL)), build(melody(shuffled_line))
    np.testing.assert_array_equal(m.pitch_class_histogram(real), m.pitch_class_histogram(shuffled))
    assert m.pitch_entropy(real) == m.pitch_entropy(shuffled)
    assert m.step_rate(shuffled) < m.step_rate(real)
    assert m.mean_abs_interval(shuffled) > m.mean_abs_interval(real)
    assert m.pitch_class_transition_entropy(shuffled) > m.pitch_class_transition_entropy(real)


def test_time_reversal_keeps_histograms_but_flips_signed_intervals():
    spacing, held = [1, 0.5, 0.5, 2] * 8, [1, 0.25, 0.5, 1] * 8  # rests after some notes
    starts = np.concatenate(([0], np.cumsum(spacing)[:-1]))
    notes = list(zip(starts.tolist(), REAL, held, strict=True))
    end = notes[-1][0] + notes[-1][2]
    forward = build(part(*notes))
    backward = build(part(*[(end - s - d, p, d) for s, p, d in notes]))
    for histogram in (m.pitch_class_histogram, m.note_length_histogram):
        np.testing.assert_array_equal(histogram(forward), histogram(backward))
    assert m.step_rate(forward) == m.step_rate(backward)  # symmetric features cannot see it
    assert not np.array_equal(m.interval_histogram(forward), m.interval_histogram(backward))
    assert m.leap_recovery_rate(forward) != m.leap_recovery_rate(backward)
    assert m.articulation_ratio(forward) != m.articulation_ratio(backward)


def test_a_held_note_hides_every_lower_onset_it_spans_in_its_own_track_only():
    piece = build(
        part((0, 72, 4), (1, 69, 1), (2, 71, 1), (3, 67, 1), (4, 74, 1)),  # C5 over A B G
        part((0, 84, 4)),  # a higher held note in another track hides nothing
        melody([60, 62, 64, 65], start=0),
    )
    voices = m.as_grid(piece).voices
    assert voices.pitches.tolist() == [72, 74, 84, 60, 62, 64, 65]
    np.testing.assert_array_equal(m.melodic_intervals(piece), [2, 2, 2, 1])


def _reference_lines(score):
    """The top-line definition, note by note in plain Python."""
    lines = []
    for index, track in enumerate(score.tracks):
        notes = [(n.start, n.end, n.pitch) for n in track.notes]
        for onset in sorted({s for s, _, _ in notes}):
            top = max(p for s, _, p in notes if s == onset)
            if not any(s < onset < e and p > top for s, e, p in notes):
                lines.append((index, onset, top))
    return lines


def test_top_lines_match_the_definition_on_random_polyphony():
    rng = random.Random(3)
    for _ in range(20):
        tracks = [
            part(
                *[
                    (rng.randrange(32), rng.randrange(48, 80), rng.randrange(1, 9))
                    for _ in range(30)
                ]
            )
            for _ in range(3)
        ]
        piece = build(*tracks, resolution=24)  # ticks are grid steps
        voices = m.as_grid(piece).voices
        got = list(
            zip(
                voices.tracks.tolist(), voices.starts.tolist(), voices.pitches.tolist(), strict=True
            )
        )
        assert got == _reference_lines(piece)
