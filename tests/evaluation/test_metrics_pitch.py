import math

import numpy as np
import pytest

from evaluation import metrics as m
from tests.evaluation.builders import build, melody

# C4 D4 E4 C4 G4, one beat each.
FIVE_NOTES = build(melody([60, 62, 64, 60, 67]))


def test_pitch_range_is_highest_minus_lowest():
    assert m.pitch_range(FIVE_NOTES) == 7.0  # 67 - 60


def test_it_counts_pitches_and_pitch_classes():
    assert m.n_pitches_used(FIVE_NOTES) == 4.0  # 60 62 64 67
    octaves = build(melody([60, 72, 84, 61]))
    assert m.n_pitches_used(octaves) == 4.0
    assert m.n_pitch_classes_used(octaves) == 2.0  # C and C#


def test_pitch_mean_and_std():
    assert m.pitch_mean(FIVE_NOTES) == pytest.approx(62.6)  # 313 / 5
    # deviations -2.6 -0.6 1.4 -2.6 4.4 -> squares sum 35.2 -> variance 7.04
    assert m.pitch_std(FIVE_NOTES) == pytest.approx(math.sqrt(7.04))


def test_pitch_entropy_of_note_counts():
    # P = 0.4 (C4), 0.2, 0.2, 0.2 -> 0.4 log2(1/0.4) + 3 * 0.2 log2(5)
    expected = 0.4 * math.log2(2.5) + 0.6 * math.log2(5)
    assert m.pitch_entropy(FIVE_NOTES) == pytest.approx(expected)  # 1.921928
    assert m.pitch_class_entropy(FIVE_NOTES) == pytest.approx(expected)


def test_pitch_class_entropy_merges_octaves():
    octaves = build(melody([60, 72, 62, 74]))
    assert m.pitch_entropy(octaves) == pytest.approx(2.0)  # four pitches, equally likely
    assert m.pitch_class_entropy(octaves) == pytest.approx(1.0)  # two classes


def test_one_repeated_pitch_has_zero_entropy():
    assert m.pitch_entropy(build(melody([60, 60, 60]))) == 0.0


def test_pitch_class_histogram_counts_notes():
    expected = np.zeros(12)
    expected[[0, 2, 4, 7]] = [0.4, 0.2, 0.2, 0.2]
    np.testing.assert_allclose(m.pitch_class_histogram(FIVE_NOTES, relative_to_key=False), expected)
    # The key is C major (durations C 2, D 1, E 1, G 1), so relative == absolute here.
    np.testing.assert_allclose(m.pitch_class_histogram(FIVE_NOTES), expected)


def test_key_relative_pitch_class_histogram_ignores_transposition():
    in_d = build(melody([62, 64, 66, 62, 69]))
    absolute = m.pitch_class_histogram(in_d, relative_to_key=False)
    assert absolute[2] == pytest.approx(0.4)  # D
    np.testing.assert_allclose(m.pitch_class_histogram(in_d), m.pitch_class_histogram(FIVE_NOTES))


def test_drum_notes_are_not_pitches():
    from tests.evaluation.builders import part

    with_drums = build(melody([60, 62, 64, 60, 67]), part((0, 35, 1), (1, 81, 1), drum=True))
    assert m.pitch_range(with_drums) == 7.0
    assert m.n_pitches_used(with_drums) == 4.0
