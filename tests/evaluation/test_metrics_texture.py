import math

import pytest

from evaluation import metrics as m
from tests.evaluation.builders import build, chord, part

# Beat 1: C E G; beat 2: C alone; beat 3: rest; beat 4: C + G.
TEXTURE = build(part(*chord([60, 64, 67]), (1, 60, 1), *chord([60, 67], start=3)))


def test_polyphony_averages_over_sounding_steps():
    assert m.polyphony(TEXTURE) == 2.0  # (3 + 1 + 2) pitch-beats / 3 sounding beats


def test_polyphony_rate_counts_steps_with_at_least_two_pitches():
    assert m.polyphony_rate(TEXTURE) == pytest.approx(2 / 3)  # the rest is not a step
    assert m.polyphony_rate(TEXTURE, min_pitches=3) == pytest.approx(1 / 3)
    assert m.polyphony_rate(TEXTURE, min_pitches=1) == 1.0


def test_a_doubled_pitch_is_one_pitch():
    doubled = build(
        part(*chord([60, 64, 67]), (1, 60, 1), *chord([60, 67], start=3)), part((0, 60, 4))
    )
    # The second track's C sounds in the rest too: beats 1-4 hold 3, 1, 1, 2 pitches.
    assert m.polyphony(doubled) == pytest.approx(7 / 4)


def test_overlapping_notes_of_one_pitch_are_one_pitch():
    piece = build(part((0, 60, 2), (1, 60, 2)))
    assert m.polyphony(piece) == 1.0
    assert m.polyphony_rate(piece) == 0.0


def test_texture_is_nan_without_pitched_notes():
    drums = build(part((0, 36, 1), drum=True))
    assert math.isnan(m.polyphony(drums))
    assert math.isnan(m.polyphony_rate(drums))
