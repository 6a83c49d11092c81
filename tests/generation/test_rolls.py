"""Scores on a model's grid and back: untouched notes survive exactly, edits become notes."""

import numpy as np

from generation.rolls import best_octave_shift, from_grid, to_grid
from music.score import Note, Score, Track

RANGE = (28, 92)


def piece() -> Score:
    melody = Track(
        [Note(0, 72, 470, 90), Note(480, 72, 480, 70), Note(960, 74, 960, 100)],
        program=41,
        name="Violin",
    )
    bass = Track([Note(0, 10, 480, 50), Note(0, 48, 1920, 60)], program=32, name="Bass")
    drums = Track([Note(0, 36, 120, 100)], is_drum=True, name="Drums")
    return Score([melody, bass, drums], resolution=480, tempo=97.0, time_signature=(3, 4))


def test_an_unedited_grid_gives_the_input_back_note_for_note():
    score = piece()
    grid = to_grid(score, 4, RANGE)
    assert from_grid(grid, grid.roll) == score


def test_the_grid_covers_whole_bars():
    grid = to_grid(piece(), 4, RANGE)
    assert grid.roll.shape == (24, 64)  # two bars of 3/4 at 4 steps per beat


def test_repeated_notes_stay_repeated_after_an_edit_elsewhere():
    score = piece()
    grid = to_grid(score, 4, RANGE)
    roll = grid.roll.copy()
    roll[0, 60 - 28] = True  # one new cell: middle C, first sixteenth
    melody = from_grid(grid, roll).tracks[0].notes
    assert [n.pitch for n in melody if n.pitch == 72] == [72, 72]


def test_new_cells_become_notes_in_the_main_track_at_its_median_velocity():
    score = piece()
    grid = to_grid(score, 4, RANGE)
    roll = grid.roll.copy()
    roll[4:6, 64 - 28] = True  # two sixteenths of E4 in beat two
    out = from_grid(grid, roll)
    added = [n for n in out.tracks[0].notes if n.pitch == 64]
    assert added == [Note(480, 64, 240, 90)]
    assert out.tracks[1] == score.tracks[1]


def test_a_shortened_input_note_keeps_its_track_and_velocity():
    score = piece()
    grid = to_grid(score, 4, RANGE)
    roll = grid.roll.copy()
    roll[4:, 48 - 28] = False  # the bass note loses all but its first beat
    bass = from_grid(grid, roll).tracks[1]
    assert Note(0, 48, 480, 60) in bass.notes
    assert Note(0, 10, 480, 50) in bass.notes  # below the range: passed through


def test_high_melodies_move_by_octaves_to_fit_the_range():
    high = Score([Track([Note(i * 480, 100 + i % 5, 480) for i in range(8)])])
    assert best_octave_shift(high, *RANGE) == -24  # -12 would leave 104 out
    grid = to_grid(high, 4, RANGE)
    assert np.flatnonzero(grid.roll.any(axis=0)).min() == 76 - 28
    assert from_grid(grid, grid.roll) == high
