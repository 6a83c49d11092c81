"""Piano rolls: shapes, values, and exact round trips of grid-aligned scores."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from music.pianoroll import from_pianoroll, to_onsets, to_pianoroll
from music.score import Note, Score, Track

STEP = 120  # ticks per sixteenth at 480 ticks per beat


def grid_score() -> Score:
    melody = Track([Note(0, 60, 480, 90), Note(480, 64, 240, 70), Note(960, 67, 480, 100)])
    bass = Track([Note(0, 36, 1920, 64)], program=33)
    return Score([melody, bass])


def test_it_makes_a_merged_time_by_pitch_roll() -> None:
    roll = to_pianoroll(grid_score())
    assert roll.shape == (16, 128)
    assert roll.dtype == np.bool_
    assert roll[0:4, 60].all()
    assert not roll[4, 60]
    assert roll[:, 36].all()


def test_it_makes_one_layer_per_track_without_merging() -> None:
    roll = to_pianoroll(grid_score(), merge=False)
    assert roll.shape == (2, 16, 128)
    assert roll[1, :, 36].all()
    assert not roll[0, :, 36].any()


def test_it_picks_tracks_by_index() -> None:
    roll = to_pianoroll(grid_score(), tracks=[1])
    assert roll.sum() == 16


def test_it_keeps_the_loudest_velocity_where_notes_overlap() -> None:
    score = Score([Track([Note(0, 60, 480, 50)]), Track([Note(240, 60, 480, 110)])])
    roll = to_pianoroll(score, mode="velocity")
    assert roll.dtype == np.uint8
    assert roll[:, 60].tolist() == [50, 50, 110, 110, 110, 110]


def test_it_gives_a_note_shorter_than_a_step_one_step() -> None:
    roll = to_pianoroll(Score([Track([Note(0, 60, 10)])]))
    assert roll.shape == (1, 128)
    assert roll[0, 60]


def test_it_crops_to_the_pitch_range_and_drops_notes_outside_it() -> None:
    roll = to_pianoroll(grid_score(), pitch_range=(48, 84))
    assert roll.shape == (16, 36)
    assert roll[0, 60 - 48]
    assert roll.sum() == 4 + 2 + 4


def test_it_pads_or_crops_to_a_fixed_number_of_steps() -> None:
    assert to_pianoroll(grid_score(), n_steps=32)[16:].sum() == 0
    assert to_pianoroll(grid_score(), n_steps=8).shape == (8, 128)


def test_it_rolls_an_empty_score_to_zero_steps() -> None:
    assert to_pianoroll(Score()).shape == (0, 128)
    assert from_pianoroll(np.zeros((0, 128), dtype=bool)).note_count == 0


def test_it_rejects_a_bad_pitch_range_or_mode() -> None:
    with pytest.raises(ValueError, match="pitch_range"):
        to_pianoroll(grid_score(), pitch_range=(60, 60))
    with pytest.raises(ValueError, match="mode"):
        to_pianoroll(grid_score(), mode="loud")  # type: ignore[arg-type]


def test_it_joins_consecutive_cells_into_one_note() -> None:
    roll = np.zeros((8, 128), dtype=bool)
    roll[2:6, 60] = True
    score = from_pianoroll(roll, velocity=70)
    assert score.tracks[0].notes == [Note(2 * STEP, 60, 4 * STEP, 70)]


def test_it_splits_repeated_notes_at_onsets() -> None:
    score = Score([Track([Note(0, 60, 480), Note(480, 60, 480)])])
    roll, onsets = to_pianoroll(score), to_onsets(score)
    assert len(from_pianoroll(roll).tracks[0].notes) == 1
    assert from_pianoroll(roll, onsets=onsets) == score


def test_it_splits_a_velocity_roll_where_the_velocity_changes() -> None:
    roll = np.zeros((4, 128), dtype=np.uint8)
    roll[:, 60] = [80, 80, 100, 100]
    notes = from_pianoroll(roll, mode="velocity").tracks[0].notes
    assert notes == [Note(0, 60, 240, 80), Note(240, 60, 240, 100)]


def test_it_thresholds_probabilities() -> None:
    roll = np.full((4, 12), 0.2)
    roll[1:3, 5] = 0.9
    score = from_pianoroll(roll, threshold=0.5, pitch_offset=60)
    assert score.tracks[0].notes == [Note(STEP, 65, 2 * STEP, 80)]


def test_it_gives_each_layer_its_program_drum_flag_and_name() -> None:
    roll = to_pianoroll(grid_score(), merge=False)
    score = from_pianoroll(roll, programs=[0, 33], is_drum=[False, True], names=["a", "b"])
    assert [(t.program, t.is_drum, t.name) for t in score.tracks] == [
        (0, False, "a"),
        (33, True, "b"),
    ]


def test_it_rejects_a_program_list_of_the_wrong_length() -> None:
    with pytest.raises(ValueError, match="programs"):
        from_pianoroll(np.zeros((2, 4, 128)), programs=[1, 2, 3])


def test_a_grid_score_survives_a_velocity_roll_exactly() -> None:
    score = grid_score()
    roll = to_pianoroll(score, mode="velocity", merge=False)
    assert from_pianoroll(roll, mode="velocity", programs=[0, 33]) == score


def test_a_grid_score_survives_a_binary_roll_exactly_at_one_velocity() -> None:
    score = Score([Track([Note(0, 60, 480), Note(480, 62, 240), Note(720, 60, 120)])])
    assert from_pianoroll(to_pianoroll(score)) == score


@st.composite
def grid_scores(draw: st.DrawFn) -> Score:
    """Grid-aligned scores in which notes of one pitch in a track never overlap."""
    tracks = []
    for _ in range(draw(st.integers(1, 3))):
        notes = []
        for pitch in draw(st.sets(st.integers(20, 100), max_size=6)):
            step = 0
            for _ in range(draw(st.integers(0, 4))):
                step += draw(st.integers(0, 4))  # 0: a repeated note right after the last
                length = draw(st.integers(1, 6))
                notes.append(Note(step * STEP, pitch, length * STEP, draw(st.integers(1, 127))))
                step += length
        tracks.append(Track(sorted(notes)))
    return Score(tracks)


@settings(max_examples=100, deadline=None)
@given(grid_scores())
def test_any_grid_score_survives_a_velocity_roll_with_onsets(score: Score) -> None:
    roll = to_pianoroll(score, mode="velocity", merge=False)
    onsets = to_onsets(score, merge=False)
    assert from_pianoroll(roll, mode="velocity", onsets=onsets) == score
