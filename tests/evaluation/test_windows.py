"""Piano-roll windows for the critics: shape, padding, rounding, drums and range."""

from __future__ import annotations

import numpy as np
import pytest

from evaluation.windows import WindowSpec, score_windows
from music.pianoroll import to_onsets, to_pianoroll
from music.score import Note, Score, Track
from music.transforms import rescale
from tests.evaluation.builders import build, chord, melody, part

SPEC = WindowSpec()


def stitched(windows: np.ndarray, spec: WindowSpec, length: int) -> np.ndarray:
    """The (2, length, P) roll the windows were cut from, read back window by window."""
    roll = np.zeros((2, (len(windows) - 1) * spec.hop_steps + spec.steps, spec.pitches), np.uint8)
    for index, window in enumerate(windows):
        roll[:, index * spec.hop_steps : index * spec.hop_steps + spec.steps] = window
    assert not roll[:, length:].any(), "padding must be silent"
    return roll[:, :length]


def test_default_spec_is_sixteen_beats_of_sixteenths_over_88_keys():
    assert SPEC.shape == (2, 64, 88)
    assert (SPEC.pitch_low, SPEC.pitch_high) == (21, 109)


def test_windows_are_the_piano_roll_and_onsets_of_the_piece():
    score = build(
        melody([60, 62, 64, 65, 67, 69, 71, 72] * 6, beats=0.75),
        part(*chord([48, 55], 0, 7.5), *chord([50, 57], 8, 20.25), (30.5, 43, 1)),
    )
    windows = score_windows(score, SPEC)
    low_high = (SPEC.pitch_low, SPEC.pitch_high)
    roll = to_pianoroll(score, 4, low_high)
    onsets = to_onsets(score, 4, low_high)
    back = stitched(windows, SPEC, len(roll))
    np.testing.assert_array_equal(back[0], roll)
    np.testing.assert_array_equal(back[1], onsets)


def test_it_gives_uint8_windows_of_zeros_and_ones():
    windows = score_windows(build(part(*chord([60, 64, 67], 0, 3))), SPEC)
    assert windows.dtype == np.uint8
    assert set(np.unique(windows).tolist()) == {0, 1}


def test_windows_start_every_hop_and_the_last_one_is_padded():
    score = build(melody([60] * 36))  # 36 beats: windows at beats 0, 8, 16 and 24
    windows = score_windows(score, SPEC)
    assert windows.shape == (4, 2, 64, 88)
    np.testing.assert_array_equal(windows[0, :, 32:], windows[1, :, :32])
    assert windows[3, 0, : 12 * 4].all(axis=0).any()  # beats 24-36 sound
    assert not windows[3, :, 12 * 4 :].any()  # beats 36-40 are silence


def test_a_piece_that_fills_one_window_exactly_gives_one_window():
    assert len(score_windows(build(melody([60] * 16)), SPEC)) == 1
    assert len(score_windows(build(melody([60] * 17)), SPEC)) == 2


def test_a_short_piece_is_padded_to_one_window():
    windows = score_windows(build(melody([60, 62, 64])), SPEC)
    assert windows.shape == (1, 2, 64, 88)
    assert windows[0, 0].sum() == 12  # three notes of four steps
    assert windows[0, 1].sum() == 3


def test_an_empty_score_gives_one_silent_window():
    for empty in (Score(), Score(tracks=[Track()])):
        windows = score_windows(empty, SPEC)
        assert windows.shape == (1, 2, 64, 88)
        assert not windows.any()


def test_drums_are_left_out():
    drums = part((0, 36, 1), (1, 38, 1), drum=True)
    with_drums = score_windows(build(melody([60, 62]), drums), SPEC)
    without = score_windows(build(melody([60, 62])), SPEC)
    np.testing.assert_array_equal(with_drums, without)
    assert not score_windows(build(drums), SPEC).any()


def test_pitches_outside_the_range_move_by_octaves_into_it():
    score = build(part((0, 12, 1), (1, 120, 1), (2, 21, 1), (3, 108, 1)))
    columns = np.flatnonzero(score_windows(score, SPEC)[0, 1].any(axis=0)) + SPEC.pitch_low
    assert sorted(columns.tolist()) == [21, 24, 108]  # 12 -> 24, 120 -> 108 (and itself)


def test_repeated_notes_are_told_apart_by_onsets():
    windows = score_windows(build(melody([60, 60, 60])), SPEC)
    column = 60 - SPEC.pitch_low
    assert windows[0, 0, :12, column].all()
    assert windows[0, 1, :12, column].tolist() == [1, 0, 0, 0] * 3


def test_short_notes_still_cover_one_step():
    score = Score([Track([Note(0, 60, 1), Note(121, 62, 2)])], resolution=480)
    windows = score_windows(score, SPEC)
    assert windows[0, 0, 0, 60 - 21] == 1
    assert windows[0, 0, 1, 62 - 21] == 1  # tick 121 rounds to step 1


def test_windows_do_not_depend_on_the_resolution():
    score = build(melody([60, 64, 67, 72] * 9, beats=0.5), part(*chord([48, 52], 2, 9.25)))
    np.testing.assert_array_equal(
        score_windows(score, SPEC), score_windows(rescale(score, 24), SPEC)
    )


def test_other_specs_change_the_grid():
    spec = WindowSpec(steps_per_beat=2, window_beats=8, hop_beats=4, pitch_low=36, pitch_high=96)
    windows = score_windows(build(melody([60] * 20)), spec)
    assert windows.shape == (4, 2, 16, 60)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"hop_beats": 0},
        {"steps_per_beat": 0},
        {"pitch_low": 60, "pitch_high": 70},
        {"pitch_high": 129},
    ],
)
def test_it_refuses_a_bad_spec(kwargs):
    with pytest.raises(ValueError, match="must"):
        WindowSpec(**kwargs)
