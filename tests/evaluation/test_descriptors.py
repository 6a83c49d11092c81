import math
from fractions import Fraction as F

import numpy as np
import pytest

from evaluation.descriptors import DESCRIPTOR_GROUPS, DESCRIPTOR_NAMES, describe, describe_many
from tests.evaluation.builders import Part, build, chord, melody, part


def _bins(prefix: str, size: int) -> list[str]:
    return [f"{prefix}_{i}" for i in range(size)]


# Stored reference profiles are keyed by these names: a rename or reorder is a
# deliberate change, made here too.
EXPECTED_NAMES = [
    *["pitch_range", "n_pitches_used", "n_pitch_classes_used", "pitch_mean", "pitch_std"],
    *["pitch_entropy", "pitch_class_entropy", *_bins("pc_hist", 12)],
    *["scale_consistency", "in_scale_rate", "key_clarity", "pitch_classes_per_bar"],
    *["semitone_clash_rate", "tonal_distance"],
    *["empty_beat_rate", "empty_measure_rate", "qualified_note_rate", "notes_per_bar"],
    *["notes_per_bar_std", "ioi_mean", "ioi_std", "offbeat_onset_rate", "syncopation_rate"],
    *["groove_consistency", *_bins("note_length_hist", 10), *_bins("ioi_hist", 10)],
    *_bins("onset_position_hist", 16),
    *["drum_in_duple_pattern_rate", "drum_pattern_consistency", "polyphony", "polyphony_rate"],
    *["step_rate", "mean_abs_interval", "direction_change_rate", "leap_recovery_rate"],
    *["pc_transition_entropy", "articulation_ratio", *_bins("interval_hist", 9)],
]


def _parts() -> list[Part]:
    """Three pitched parts and drums, with triplets, 16ths, ties over bar lines and rests."""
    tune = [60, 62, 64, 65, 67, 65, 64, 62, 60, 67, 72, 71, 69, 67, 65, 64]
    lead = melody(tune, beats=F(1, 2), held=F(3, 8))
    lead.notes += [(8 + F(i, 3), 67 - i, F(1, 3)) for i in range(6)]  # triplets
    lead.notes += [(11 + F(1, 2), 72, 2)]  # syncopated, over the bar line
    bass = melody([36, 43, 41, 43, 36, 41, 43, 36], beats=2)
    chords = part(
        *chord([48, 52, 55], 0, 4), *chord([53, 57, 60], 4, 4), *chord([55, 59, 62, 65], 8, 6)
    )
    drums = part(*[(F(i, 4), 42 if i % 2 else 36, F(1, 8)) for i in range(48)], drum=True)
    return [lead, bass, chords, drums]


def test_names_are_stable_and_unique():
    assert list(DESCRIPTOR_NAMES) == EXPECTED_NAMES
    assert len(set(DESCRIPTOR_NAMES)) == len(DESCRIPTOR_NAMES) == 90


def test_groups_partition_the_names():
    grouped = [name for names in DESCRIPTOR_GROUPS.values() for name in names]
    assert grouped == list(DESCRIPTOR_NAMES)
    assert set(DESCRIPTOR_GROUPS) == {"pitch", "harmony", "rhythm", "drums", "texture", "melody"}


def test_describe_returns_every_name_in_order():
    values = describe(build(*_parts()))
    assert list(values) == list(DESCRIPTOR_NAMES)
    assert all(isinstance(v, float) for v in values.values())
    assert not any(math.isnan(v) for v in values.values())  # this piece defines them all


@pytest.mark.parametrize("resolution", [96, 240, 960])
def test_descriptors_do_not_depend_on_the_resolution(resolution):
    at_480 = describe(build(*_parts(), resolution=480))
    other = describe(build(*_parts(), resolution=resolution))
    np.testing.assert_array_equal(list(other.values()), list(at_480.values()))


def test_histograms_sum_to_one():
    values = describe(build(*_parts()))
    for prefix in (
        "pc_hist",
        "note_length_hist",
        "ioi_hist",
        "onset_position_hist",
        "interval_hist",
    ):
        total = sum(v for name, v in values.items() if name.rsplit("_", 1)[0] == prefix)
        assert total == pytest.approx(1.0)


def test_key_relative_descriptors_ignore_transposition():
    def transposed(parts: list[Part], semitones: int) -> list[Part]:
        return [
            p if p.is_drum else Part([(s, pitch + semitones, d) for s, pitch, d in p.notes])
            for p in parts
        ]

    home, away = describe(build(*_parts())), describe(build(*transposed(_parts(), 5)))
    changed = {name for name in DESCRIPTOR_NAMES if home[name] != pytest.approx(away[name])}
    assert changed == {"pitch_mean"}


def test_describe_many_stacks_rows():
    scores = [build(*_parts()), build(melody([60, 62])), build()]
    matrix = describe_many(scores)
    assert matrix.shape == (3, len(DESCRIPTOR_NAMES))
    np.testing.assert_array_equal(matrix[0], list(describe(scores[0]).values()))
    assert np.isnan(matrix[2]).all()
    assert describe_many([]).shape == (0, len(DESCRIPTOR_NAMES))
