import math

import numpy as np
import pytest

from evaluation import metrics as m
from tests.evaluation.builders import build, chord, melody, part

# Harte's tonal centroid of a single pitch class l:
# (sin 7πl/6, cos 7πl/6, sin 3πl/2, cos 3πl/2, ½ sin 2πl/3, ½ cos 2πl/3).
# C (l=0) = (0, 1, 0, 1, 0, ½); G (l=7) = (½, √3/2, 1, 0, √3/4, -¼).
# |C - G|² = ¼ + (1 - √3/2)² + 1 + 1 + 3/16 + 9/16 = 4.75 - √3.
C_TO_G = math.sqrt(4.75 - math.sqrt(3))


def test_it_estimates_the_key_of_triads():
    c_major = m.estimate_key(build(part(*chord([60, 64, 67]))))
    assert c_major is not None
    assert (c_major.tonic, c_major.mode) == (0, "major")
    # Pearson's r of the chord's pitch classes with the Krumhansl-Kessler major profile
    kk_major = [6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88]
    c_e_g = [1, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0]
    assert c_major.clarity == pytest.approx(np.corrcoef(c_e_g, kk_major)[0, 1])  # 0.8338
    a_minor = m.estimate_key(build(part(*chord([57, 60, 64]))))
    assert a_minor is not None
    assert (a_minor.tonic, a_minor.mode) == (9, "minor")


def test_key_clarity_is_lower_for_a_chromatic_cluster():
    triad = m.key_clarity(build(part(*chord([60, 64, 67]))))
    cluster = m.key_clarity(build(part(*chord([60, 61, 62, 63, 66]))))
    assert cluster < triad


def test_twelve_equal_pitch_classes_have_no_key_evidence():
    chromatic = build(melody(range(60, 72)))
    assert m.estimate_key(chromatic) == m.Key(0, "major", 0.0)


# Seven notes of C major and one C#: pitch classes {0, 1, 2, 4, 5, 7, 9, 11}.
C_MAJOR_PLUS_C_SHARP = build(melody([60, 62, 64, 65, 67, 69, 71, 61]))


def test_pitch_in_scale_rate_per_scale():
    assert m.pitch_in_scale_rate(C_MAJOR_PLUS_C_SHARP, 0, "major") == 7 / 8
    assert m.pitch_in_scale_rate(C_MAJOR_PLUS_C_SHARP, 9, "minor") == 7 / 8  # same notes
    # F# major = F# G# A# B C# D# E#(F): of ours only C#, F and B.
    assert m.pitch_in_scale_rate(C_MAJOR_PLUS_C_SHARP, 6, "major") == 3 / 8


def test_scale_consistency_is_the_best_scale():
    # No diatonic scale holds C, C# and D together, so 7 of 8 is the best.
    assert m.scale_consistency(C_MAJOR_PLUS_C_SHARP) == 7 / 8
    assert m.scale_consistency(build(melody([60, 64, 67]))) == 1.0


def test_in_scale_rate_uses_the_estimated_key():
    assert m.in_scale_rate(C_MAJOR_PLUS_C_SHARP) == 7 / 8  # C major
    # A C-major arpeggio with many F#s fits G major best by scale_consistency, but its
    # durations still say C major, so F# counts as out of the key.
    piece = build(part(*chord([60, 64, 67], beats=8)), melody([66, 66], start=8, beats=0.5))
    key = m.estimate_key(piece)
    assert key is not None
    assert (key.tonic, key.mode) == (0, "major")
    assert m.in_scale_rate(piece) == 3 / 5
    assert m.scale_consistency(piece) == 1.0  # G major holds all five


def test_pitch_classes_per_bar_counts_held_notes_and_skips_empty_bars():
    piece = build(
        melody([60, 64, 67]),  # bar 1: C E G
        part((3, 69, 2), (5, 71, 1)),  # A held over the bar line, then B
        part((12, 72, 1)),  # bar 4: C; bar 3 is empty
    )
    # bar 1 {C E G A} = 4, bar 2 {A B} = 2, bar 4 {C} = 1 -> 7 / 3
    assert m.pitch_classes_per_bar(piece) == pytest.approx(7 / 3)


def test_semitone_clash_rate_weights_steps_and_wraps_b_to_c():
    piece = build(part((0, 60, 2)), part((0, 59, 1), (1, 55, 1)))
    # beat 1: C + B (a semitone, across the octave wrap); beat 2: C + G: no clash.
    assert m.semitone_clash_rate(piece) == 0.5


def test_semitone_clash_rate_is_nan_without_harmony():
    assert math.isnan(m.semitone_clash_rate(build(melody([60, 61, 62]))))


def test_tonal_distance_of_c_and_g_by_hand():
    piece = build(part((0, 60, 4)), part((0, 67, 4)))
    assert m.tonal_distance(piece, 0, 1) == pytest.approx(C_TO_G)  # 1.737189


def test_tonal_distance_uses_pitch_classes_not_pitches():
    low, high = build(part((0, 48, 4)), part((0, 79, 4))), build(part((0, 60, 4)), part((0, 67, 4)))
    assert m.tonal_distance(low, 0, 1) == pytest.approx(m.tonal_distance(high, 0, 1))


def test_tonal_distance_of_identical_tracks_is_zero():
    triad = chord([60, 64, 67], beats=4)
    assert m.tonal_distance(build(part(*triad), part(*triad)), 0, 1) == 0.0


def test_tritone_chords_are_further_apart_than_fifth_related_chords():
    c_major, g_major, f_sharp_major = [60, 64, 67], [55, 59, 62], [54, 58, 61]
    near = m.tonal_distance(build(part(*chord(c_major)), part(*chord(g_major))), 0, 1)
    far = m.tonal_distance(build(part(*chord(c_major)), part(*chord(f_sharp_major))), 0, 1)
    assert far > near > 0


def test_tonal_distance_averages_bars_where_both_tracks_sound():
    piece = build(
        part((0, 60, 4), (4, 60, 4), (8, 60, 4)),  # C in bars 1-3
        part((0, 60, 4), (4, 67, 4)),  # C then G; silent in bar 3
    )
    assert m.tonal_distance(piece, 0, 1) == pytest.approx(C_TO_G / 2)  # bars 1 and 2 only


def test_tonal_distance_is_nan_for_a_drum_or_silent_pair():
    piece = build(part((0, 60, 4)), part((0, 36, 1), drum=True), part((4, 67, 4)))
    assert math.isnan(m.tonal_distance(piece, 0, 1))  # drums
    assert math.isnan(m.tonal_distance(piece, 0, 2))  # never in the same bar
    assert math.isnan(m.tonal_distance(piece, 0, 7))  # no such track


def test_mean_tonal_distance_over_track_pairs():
    piece = build(part((0, 60, 4)), part((0, 72, 4)), part((0, 67, 4)))
    # pairs: C-C = 0, C-G = d, C-G = d
    assert m.mean_tonal_distance(piece) == pytest.approx(2 * C_TO_G / 3)
    assert math.isnan(m.mean_tonal_distance(build(part((0, 60, 4)))))


def test_centroid_matrix_matches_harte():
    expected_g = np.array([0.5, math.sqrt(3) / 2, 1, 0, math.sqrt(3) / 4, -0.25])
    from evaluation.metrics.harmony import TONAL_CENTROID_MATRIX

    np.testing.assert_allclose(TONAL_CENTROID_MATRIX[:, 7], expected_g, atol=1e-12)
