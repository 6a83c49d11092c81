"""muspy's pitfalls (DESIGN.md section 5) and the degenerate pieces every metric meets."""

import math

import muspy
import numpy as np
import pytest

from evaluation import metrics as m
from evaluation.descriptors import DESCRIPTOR_GROUPS, describe
from music.score import Score, Track
from tests.evaluation.builders import build, melody, part, to_muspy

DRUMS_ONLY = build(part(*[(b, 36, 0.5) for b in range(8)], drum=True))


def test_pitch_range_of_drum_only_music_is_nan_not_minus_127():
    assert muspy.pitch_range(to_muspy(DRUMS_ONLY)) == -127
    assert math.isnan(m.pitch_range(DRUMS_ONLY))


def test_drum_only_music_has_drum_metrics_and_nan_pitch_metrics():
    values = describe(DRUMS_ONLY)
    pitched = [
        name
        for group in ("pitch", "harmony", "texture", "melody")
        for name in DESCRIPTOR_GROUPS[group]
    ]
    assert all(math.isnan(values[name]) for name in pitched)
    assert values["drum_pattern_consistency"] == 1.0
    assert values["groove_consistency"] == 1.0  # two identical bars of drum onsets
    assert math.isnan(values["empty_beat_rate"])  # nothing pitched to be empty of


def test_muspy_counts_drums_as_filled_beats_and_we_do_not():
    piece = build(part((0, 60, 4)), part(*[(b, 36, 1) for b in range(8)], drum=True))
    assert muspy.empty_measure_rate(to_muspy(piece), 4 * 480) == 0.0
    assert m.empty_measure_rate(piece) == 0.5


def test_muspy_has_an_off_by_one_at_the_end_of_the_piece():
    piece = build(part((0, 60, 1), (2, 62, 1)))  # beats 0 and 2 sound, beat 1 is empty
    # muspy: 3 * 480 // 480 + 1 = 4 beats, note ends inclusive -> beats 0,1,2,3 all "used"
    assert muspy.empty_beat_rate(to_muspy(piece)) == 0.0
    assert m.empty_beat_rate(piece) == pytest.approx(1 / 3)


def test_muspy_polyphony_rate_threshold_is_strict():
    two_voices = build(part((0, 60, 4), (0, 64, 4)), resolution=24)
    assert muspy.polyphony_rate(to_muspy(two_voices)) == 0.0  # "> 2" pitches
    assert m.polyphony_rate(two_voices) == 1.0  # ">= 2" pitches


@pytest.mark.parametrize("empty", [Score(), Score(tracks=[Track(), Track(is_drum=True)])])
def test_a_piece_without_notes_is_all_nan(empty):
    values = describe(empty)
    assert all(math.isnan(v) for v in values.values())
    for metric in (m.empty_beat_rate, m.polyphony, m.groove_consistency, m.mean_tonal_distance):
        assert math.isnan(metric(empty))
    assert m.estimate_key(empty) is None


def test_muspy_raises_on_a_music_without_tracks():
    with pytest.raises(ValueError, match="empty sequence"):
        muspy.empty_beat_rate(muspy.Music(resolution=24))
    assert math.isnan(m.empty_beat_rate(Score()))


def test_a_single_note():
    values = describe(build(melody([60])))
    expected = {
        "pitch_range": 0.0,
        "n_pitches_used": 1.0,
        "n_pitch_classes_used": 1.0,
        "pitch_entropy": 0.0,
        "pitch_std": 0.0,
        "scale_consistency": 1.0,
        "in_scale_rate": 1.0,
        "pitch_classes_per_bar": 1.0,
        "empty_beat_rate": 0.0,
        "empty_measure_rate": 0.0,
        "qualified_note_rate": 1.0,
        "notes_per_bar": 1.0,
        "offbeat_onset_rate": 0.0,
        "polyphony": 1.0,
        "polyphony_rate": 0.0,
        "note_length_hist_4": 1.0,
        "onset_position_hist_0": 1.0,
    }
    assert {name: values[name] for name in expected} == expected
    undefined = [
        "ioi_mean", "ioi_hist_0", "step_rate", "interval_hist_4", "pc_transition_entropy",
        "tonal_distance", "groove_consistency", "semitone_clash_rate", "drum_pattern_consistency",
    ]  # fmt: skip
    assert all(math.isnan(values[name]) for name in undefined)


def test_quantisation_absorbs_tick_jitter():
    clean = build(melody([60, 62, 64, 65, 67], beats=0.5))
    jittered = clean.copy()
    jittered.tracks[0].notes = [
        type(n)(n.start + offset, n.pitch, n.duration - offset, n.velocity)
        for n, offset in zip(clean.tracks[0].notes, [3, -4, 2, 0, -1], strict=True)
    ]  # at most 4 ticks of 480: a fifth of a grid step
    np.testing.assert_array_equal(list(describe(clean).values()), list(describe(jittered).values()))
