"""Where a metric keeps muspy's definition, it gives muspy's value.

The fixtures are at 24 ticks per beat (our grid), have no rests, and end inside a bar,
so muspy's piano-roll length, its strict polyphony threshold and its extra boundary bar
do not come into play; where we differ on purpose, the pitfall tests show it.
"""

from fractions import Fraction as F

import muspy
import pytest

from evaluation import metrics as m
from tests.evaluation.builders import build, chord, melody, part, to_muspy

PIECE = build(
    melody([60, 62, 64, 65, 67, 69, 71, 72, 61, 66], beats=0.5),
    part(*chord([48, 55], beats=2), *chord([50, 53, 57], start=2, beats=2), (4, 43, 1)),
    part(
        *[(b / 4, 36 if b % 4 == 0 else 42, 0.25) for b in range(20)],
        (F(10, 3), 38, F(1, 4)),
        drum=True,
    ),
    resolution=24,
)
MUSIC = to_muspy(PIECE)


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (m.pitch_range, muspy.pitch_range),
        (m.n_pitches_used, muspy.n_pitches_used),
        (m.n_pitch_classes_used, muspy.n_pitch_classes_used),
        (m.pitch_entropy, muspy.pitch_entropy),
        (m.pitch_class_entropy, muspy.pitch_class_entropy),
        (m.scale_consistency, muspy.scale_consistency),
        (m.polyphony, muspy.polyphony),
        (m.drum_pattern_consistency, muspy.drum_pattern_consistency),
    ],
)
def test_it_matches_muspy(ours, theirs):
    assert ours(PIECE) == pytest.approx(theirs(MUSIC), abs=1e-12)


@pytest.mark.parametrize("root", range(12))
@pytest.mark.parametrize("mode", ["major", "minor"])
def test_pitch_in_scale_rate_matches_muspy(root, mode):
    assert m.pitch_in_scale_rate(PIECE, root, mode) == muspy.pitch_in_scale_rate(MUSIC, root, mode)


@pytest.mark.parametrize("meter", ["duple", "triple"])
def test_drum_in_pattern_rate_matches_muspy(meter):
    assert m.drum_in_pattern_rate(PIECE, meter) == muspy.drum_in_pattern_rate(MUSIC, meter)


@pytest.mark.parametrize("min_pitches", [1, 2, 3])
def test_polyphony_rate_is_muspy_with_an_inclusive_threshold(min_pitches):
    theirs = muspy.polyphony_rate(MUSIC, threshold=min_pitches - 1)
    assert m.polyphony_rate(PIECE, min_pitches) == pytest.approx(theirs)


def test_groove_consistency_matches_muspy_at_24_steps_per_beat():
    assert m.groove_consistency(PIECE) == pytest.approx(muspy.groove_consistency(MUSIC, 96))
    assert m.groove_consistency(PIECE) < 1  # the fixture's bars do differ
