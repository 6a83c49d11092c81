import math
from fractions import Fraction as F

import numpy as np
import pytest

from evaluation import metrics as m
from tests.evaluation.builders import build, melody, part

# Bar 1: C E G (one beat each), then A held over the bar line for two beats; bar 2: B;
# bar 3: empty; bar 4: C on its first beat. Last note ends at beat 13.
GAPPY = build(
    melody([60, 64, 67]),
    part((3, 69, 2), (5, 71, 1)),
    part((12, 72, 1)),
)


def test_empty_beat_rate_counts_half_open_beats():
    # 13 beats; beats 0-5 sound (A covers 3 and 4, B beat 5), 6-11 are empty, 12 sounds.
    assert m.empty_beat_rate(GAPPY) == pytest.approx(6 / 13)


def test_empty_measure_rate_counts_bars_of_the_meter():
    assert m.empty_measure_rate(GAPPY) == 0.25  # ceil(13 / 4) = 4 bars, bar 3 empty
    in_three = build(melody([60, 64, 67]), part((12, 72, 1)), time_signature=(3, 4))
    assert m.empty_measure_rate(in_three) == pytest.approx(3 / 5)  # 5 bars, 2-4 empty


def test_a_note_ending_on_a_beat_line_leaves_the_next_beat_empty():
    piece = build(part((0, 60, 1), (2, 62, 1)))
    assert m.empty_beat_rate(piece) == pytest.approx(1 / 3)  # beats 0 and 2 only


def test_drums_neither_fill_nor_are_empty_time():
    piece = build(part((0, 60, 4)), part(*[(b, 36, 1) for b in range(8)], drum=True))
    # The drums set the length to 2 bars; only the first has a pitched note.
    assert m.empty_measure_rate(piece) == 0.5
    assert m.empty_beat_rate(piece) == 0.5


def test_qualified_note_rate_keeps_notes_of_a_32nd_or_longer():
    # A 64th (rounds to 2 grid steps), a 32nd (3 steps), a 16th and a quarter.
    piece = build(part((0, 60, F(1, 16)), (1, 62, F(1, 8)), (2, 64, F(1, 4)), (3, 65, 1)))
    assert m.qualified_note_rate(piece) == 0.75
    assert m.qualified_note_rate(piece, min_beats=0.25) == 0.5


def test_note_length_histogram_bins():
    piece = build(
        part(
            (0, 60, F(1, 4)), (1, 60, F(1, 2)), (2, 60, F(1, 2)), (3, 60, 1), (4, 60, 2), (6, 60, 6)
        )
    )
    expected = np.zeros(10)
    expected[[1, 2, 4, 6, 9]] = [1 / 6, 2 / 6, 1 / 6, 1 / 6, 1 / 6]
    np.testing.assert_allclose(m.note_length_histogram(piece), expected)


def test_note_length_bins_are_half_open():
    # 3/8 of a beat (a dotted 16th) is the lower edge of the 8th-note bin.
    hist = m.note_length_histogram(build(part((0, 60, F(3, 8)))))
    assert hist[2] == 1.0


# Onsets at beats 0 (a chord), 1, 1.5, 2.5 and 4.
ONSETS = build(
    part((0, 60, 1), (0, 64, 1), (1, 62, F(1, 2)), (F(3, 2), 64, 1), (F(5, 2), 65, F(1, 2))),
    part((4, 67, 1)),
)


def test_inter_onset_intervals_count_a_chord_once():
    np.testing.assert_array_equal(m.inter_onset_intervals(ONSETS), [1, 0.5, 1, 1.5])


def test_ioi_mean_std_and_histogram():
    # intervals 1, 0.5, 1, 1.5: mean 1, deviations 0 -0.5 0 0.5 -> variance 1/8
    assert m.ioi_mean(ONSETS) == 1.0
    assert m.ioi_std(ONSETS) == pytest.approx(math.sqrt(1 / 8))
    expected = np.zeros(10)
    expected[[2, 4, 5]] = [1 / 4, 2 / 4, 1 / 4]  # an 8th, two quarters, a dotted quarter
    np.testing.assert_allclose(m.ioi_histogram(ONSETS), expected)


def test_offbeat_onset_rate():
    assert m.offbeat_onset_rate(ONSETS) == pytest.approx(2 / 5)  # 1.5 and 2.5 of 5 onsets


def test_syncopation_is_an_offbeat_note_held_over_the_beat():
    # Of 6 notes only the one at 1.5 (to 2.5) crosses a beat; the one at 2.5 ends on 3.
    assert m.syncopation_rate(ONSETS) == pytest.approx(1 / 6)


def test_onset_position_histogram_in_four_four():
    piece = build(
        part(
            (0, 60, F(1, 4)),
            (F(1, 4), 62, F(3, 4)),
            (1, 64, 1),
            (4, 65, 1),
            (F(15, 2), 67, F(1, 2)),
        )
    )
    expected = np.zeros(16)
    expected[[0, 1, 4, 14]] = [0.4, 0.2, 0.2, 0.2]  # 0 twice, 16th 1, beat 2, 3.5 -> 14
    np.testing.assert_allclose(m.onset_position_histogram(piece), expected)


def test_onset_position_histogram_in_three_four_splits_the_bar_in_sixteen():
    piece = build(part((0, 60, 1), (1, 62, 1)), time_signature=(3, 4))
    hist = m.onset_position_histogram(piece)
    assert hist[0] == hist[5] == 0.5  # beat 2 = step 24 of 72 -> bin 24 * 16 // 72 = 5


def test_notes_per_bar_over_all_bars():
    piece = build(melody([60, 62, 64]), part((8, 65, 1)))  # 3, 0 and 1 notes in 3 bars
    assert m.notes_per_bar(piece) == pytest.approx(4 / 3)
    assert m.notes_per_bar_std(piece) == pytest.approx(math.sqrt(14) / 3)  # var 14/9


def test_groove_consistency_of_neighbouring_bars():
    steady = build(melody([60] * 8))
    assert m.groove_consistency(steady) == 1.0
    # Bar 2 moves its last onset from beat 4 to beat 3.5: two of 96 positions differ.
    moved = build(melody([60] * 7), part((F(7, 2) + 4, 60, F(1, 2))))
    assert m.groove_consistency(moved) == pytest.approx(1 - 2 / 96)
    # Drum onsets are part of the groove, as in muspy: one more position differs.
    with_drum = build(
        melody([60] * 7), part((F(7, 2) + 4, 60, F(1, 2))), part((F(9, 2), 42, F(1, 4)), drum=True)
    )
    assert m.groove_consistency(with_drum) == pytest.approx(1 - 3 / 96)


def test_groove_consistency_is_nan_for_one_bar():
    assert math.isnan(m.groove_consistency(build(melody([60, 62, 64, 65]))))


DRUMS = build(
    part((0, 60, 4)),
    part(
        (0, 36, F(1, 8)),
        (1 + F(1, 4), 38, F(1, 8)),
        (2 + F(1, 3), 42, F(1, 8)),
        (3 + F(1, 2), 42, F(1, 8)),
        (F(1, 8), 42, F(1, 8)),
        drum=True,
    ),
)


def test_drum_in_pattern_rate_per_meter():
    # onsets within the beat: 0, 1/4, 1/3, 1/2, 1/8 -> duple 0 1/4 1/2; triple 0 1/3
    assert m.drum_in_pattern_rate(DRUMS, "duple") == pytest.approx(3 / 5)
    assert m.drum_in_pattern_rate(DRUMS, "triple") == pytest.approx(2 / 5)
    assert m.drum_pattern_consistency(DRUMS) == pytest.approx(3 / 5)


def test_drum_metrics_are_nan_without_drums():
    assert math.isnan(m.drum_pattern_consistency(GAPPY))
    assert math.isnan(m.drum_in_pattern_rate(GAPPY, "triple"))


def test_drum_in_pattern_rate_rejects_an_unknown_meter():
    with pytest.raises(ValueError, match="duple"):
        m.drum_in_pattern_rate(DRUMS, "waltz")
