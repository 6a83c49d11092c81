"""Score transformations: exact results on small fixtures, and properties on random scores."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from music.midi_io import score_from_midi, score_to_midi
from music.score import MAX_RESOLUTION, Note, Score, Track
from music.transforms import (
    concatenate,
    crop,
    drop_notes,
    merge_tracks,
    on_grid,
    quantize,
    rescale,
    reverse,
    shuffle_pitches,
    split_tracks,
    time_stretch,
    transpose,
)


def melody_and_drums() -> Score:
    melody = Track([Note(0, 60, 480, 90), Note(480, 64, 240), Note(960, 67, 960)], name="lead")
    drums = Track([Note(0, 36, 120), Note(480, 38, 120)], is_drum=True)
    return Score([melody, drums])


@st.composite
def scores(draw: st.DrawFn) -> Score:
    tracks = [
        Track(
            sorted(
                draw(
                    st.lists(
                        st.builds(
                            Note,
                            st.integers(0, 4000),
                            st.integers(0, 127),
                            st.integers(1, 1000),
                            st.integers(1, 127),
                        ),
                        max_size=25,
                    )
                )
            ),
            is_drum=draw(st.booleans()),
        )
        for _ in range(draw(st.integers(0, 3)))
    ]
    return Score(tracks)


def is_valid(score: Score) -> bool:
    return all(
        0 <= n.pitch <= 127 and n.start >= 0 and n.duration >= 1 and t.notes == sorted(t.notes)
        for t in score.tracks
        for n in t.notes
    )


# ----- transpose ---------------------------------------------------------------------


def test_it_transposes_pitched_notes_and_leaves_drums_alone() -> None:
    result = transpose(melody_and_drums(), 2)
    assert [n.pitch for n in result.tracks[0].notes] == [62, 66, 69]
    assert result.tracks[1] == melody_and_drums().tracks[1]


@pytest.mark.parametrize(
    ("out_of_range", "pitches"), [("octave", [119, 127]), ("clip", [127, 127]), ("drop", [127])]
)
def test_it_handles_notes_pushed_out_of_range(out_of_range: str, pitches: list[int]) -> None:
    score = Score([Track([Note(0, 120, 10), Note(10, 116, 10)])])
    result = transpose(score, 11, out_of_range)  # type: ignore[arg-type]
    assert sorted(n.pitch for n in result.tracks[0].notes) == sorted(pitches)


@settings(max_examples=60, deadline=None)
@given(scores(), st.integers(-24, 24))
def test_transposing_there_and_back_changes_nothing_in_range(score: Score, steps: int) -> None:
    result = transpose(transpose(score, steps, "drop"), -steps, "drop")
    kept = [[n for n in t.notes if t.is_drum or 0 <= n.pitch + steps <= 127] for t in score.tracks]
    assert [t.notes for t in result.tracks] == kept


# ----- time ----------------------------------------------------------------------------


def test_it_stretches_time_by_a_factor() -> None:
    result = time_stretch(melody_and_drums(), 2.0)
    assert result.tracks[0].notes[1] == Note(960, 64, 480, 80)
    assert result.tempo == melody_and_drums().tempo


@settings(max_examples=60, deadline=None)
@given(scores())
def test_stretching_by_two_then_a_half_changes_nothing(score: Score) -> None:
    assert time_stretch(time_stretch(score, 2.0), 0.5) == score


def test_it_rescales_to_another_resolution_exactly_when_it_divides() -> None:
    result = rescale(melody_and_drums(), 96)
    assert result.resolution == 96
    assert result.tracks[0].notes[1] == Note(96, 64, 48, 80)
    assert rescale(result, 480) == melody_and_drums()


def test_on_grid_keeps_a_resolution_that_already_holds_the_steps() -> None:
    score = melody_and_drums()
    assert on_grid(score, 2) is score


def test_on_grid_moves_an_odd_resolution_to_the_least_common_multiple_exactly() -> None:
    score = rescale(melody_and_drums(), 1)  # one tick per beat: notes on whole beats
    result = on_grid(score, 4)
    assert result.resolution == 4
    assert rescale(result, 1) == score


def test_on_grid_never_goes_past_what_a_midi_file_can_hold() -> None:
    # 32767 ticks per beat is the most a MIDI header can give; doubling it to get two
    # steps per beat gave 65534, and the result could not be written.
    beat = MAX_RESOLUTION
    score = Score([Track([Note(i * beat, 60 + i, beat) for i in range(8)] + [Note(3, 50, 1)])])
    score = replace(score, resolution=beat)
    result = on_grid(score, 2)
    assert result.resolution == MAX_RESOLUTION - 1
    assert result.resolution % 2 == 0
    ratio = result.resolution / beat
    pairs = zip(sorted(score.tracks[0].notes), sorted(result.tracks[0].notes), strict=True)
    for before, after in pairs:
        assert abs(after.start - before.start * ratio) <= 0.5
        assert abs(after.end - before.end * ratio) <= 0.5
        assert after.duration >= 1
    assert score_from_midi(score_to_midi(result)) == result


def test_it_reverses_time() -> None:
    score = Score([Track([Note(0, 60, 480), Note(480, 62, 960)])])
    assert reverse(score).tracks[0].notes == [Note(0, 62, 960), Note(960, 60, 480)]


@settings(max_examples=60, deadline=None)
@given(scores())
def test_reversing_twice_gives_the_score_back_from_its_first_note(score: Score) -> None:
    first = min((n.start for t in score.tracks for n in t.notes), default=0)
    shifted = [[replace(n, start=n.start - first) for n in t.notes] for t in score.tracks]
    assert [t.notes for t in reverse(reverse(score)).tracks] == shifted


def test_it_quantizes_to_the_nearest_step() -> None:
    score = Score([Track([Note(5, 60, 230), Note(470, 62, 10), Note(1000, 64, 20)])])
    assert quantize(score, 4).tracks[0].notes == [
        Note(0, 60, 240),
        Note(480, 62, 120),  # too short for the grid: it keeps one step
        Note(960, 64, 120),
    ]


@settings(max_examples=60, deadline=None)
@given(scores(), st.sampled_from([1, 2, 4, 8, 12]))
def test_quantized_notes_sit_on_the_grid_and_quantizing_again_changes_nothing(
    score: Score, steps: int
) -> None:
    result = quantize(score, steps)
    grid = score.resolution // steps
    assert all(n.start % grid == 0 and n.end % grid == 0 for t in result.tracks for n in t.notes)
    assert quantize(result, steps) == result


def test_it_crops_whole_bars_and_cuts_notes_at_the_edges() -> None:
    bar = 1920
    score = Score([Track([Note(0, 60, bar), Note(bar - 240, 62, 480), Note(2 * bar, 64, 480)])])
    assert crop(score, 1, 2).tracks[0].notes == [Note(0, 62, 240)]


def test_it_concatenates_on_the_next_bar_line() -> None:
    first = Score([Track([Note(0, 60, 600)])])
    second = Score(
        [Track([Note(0, 62, 48)]), Track([Note(0, 36, 48)], is_drum=True)], resolution=96
    )
    result = concatenate([first, second])
    assert result.tracks[0].notes == [Note(0, 60, 600), Note(1920, 62, 240)]
    assert result.tracks[1].notes == [Note(1920, 36, 240)]
    assert result.tracks[1].is_drum


# ----- randomness ----------------------------------------------------------------------


def test_it_shuffles_pitches_but_keeps_rhythm_and_drums() -> None:
    score = Score([Track([Note(i * 120, 40 + i, 100, 60 + i) for i in range(30)])])
    result = shuffle_pitches(score, seed=1)
    notes = result.tracks[0].notes
    assert sorted(n.pitch for n in notes) == list(range(40, 70))
    assert [(n.start, n.duration, n.velocity) for n in notes] == [
        (n.start, n.duration, n.velocity) for n in score.tracks[0].notes
    ]
    assert notes != score.tracks[0].notes
    assert shuffle_pitches(melody_and_drums(), 3).tracks[1] == melody_and_drums().tracks[1]


def test_it_drops_the_asked_fraction_of_notes_from_each_track() -> None:
    score = Score([Track([Note(i, 60, 1) for i in range(40)]), Track([Note(0, 60, 1)] * 10)])
    result = drop_notes(score, 0.25, seed=7)
    assert [len(t.notes) for t in result.tracks] == [30, 8]
    assert set(result.tracks[0].notes) <= set(score.tracks[0].notes)


@pytest.mark.parametrize(
    "transform",
    [lambda s, seed: shuffle_pitches(s, seed), lambda s, seed: drop_notes(s, 0.5, seed)],
    ids=["shuffle_pitches", "drop_notes"],
)
def test_random_transforms_repeat_for_the_same_seed(
    transform: Callable[[Score, int], Score],
) -> None:
    score = Score([Track([Note(i * 10, 30 + i, 10) for i in range(50)])])
    assert transform(score, 11) == transform(score, 11)
    assert transform(score, 11) != transform(score, 12)


# ----- tracks --------------------------------------------------------------------------


def test_it_merges_pitched_tracks_and_drum_tracks_separately() -> None:
    score = melody_and_drums()
    score.tracks.insert(1, Track([Note(0, 36, 1920)], program=33))
    result = merge_tracks(score)
    assert [(len(t.notes), t.is_drum) for t in result.tracks] == [(4, False), (2, True)]
    assert result.tracks[0].notes[0] == Note(0, 36, 1920)


def test_it_splits_chords_into_voices_from_the_top() -> None:
    chords = [Note(0, p, 480) for p in (48, 55, 64, 72)] + [Note(480, p, 480) for p in (50, 74)]
    result = split_tracks(Score([Track(chords, name="choir")]), voices=4)
    assert [[n.pitch for n in t.notes] for t in result.tracks] == [[72, 74], [64], [55], [48, 50]]
    assert [t.name for t in result.tracks] == [f"choir voice {i}" for i in range(1, 5)]


def test_it_puts_extra_chord_notes_in_the_voice_above_the_bass() -> None:
    chord = [Note(0, p, 480) for p in (40, 45, 50, 55, 60)]
    result = split_tracks(Score([Track(chord)]), voices=3)
    assert [[n.pitch for n in t.notes] for t in result.tracks] == [[60], [45, 50, 55], [40]]


@settings(max_examples=60, deadline=None)
@given(scores(), st.integers(1, 5))
def test_splitting_then_merging_keeps_every_pitched_note(score: Score, voices: int) -> None:
    merged = merge_tracks(split_tracks(score, voices))
    assert Counter(merged.all_notes()) == Counter(score.all_notes())


# ----- purity and validity -----------------------------------------------------------

TRANSFORMS: list[Callable[[Score], Score]] = [
    lambda s: transpose(s, 30),
    lambda s: time_stretch(s, 0.37),
    reverse,
    lambda s: shuffle_pitches(s, 0),
    lambda s: drop_notes(s, 0.3, 0),
    lambda s: quantize(s, 3),
    lambda s: crop(s, 0, 1),
    lambda s: concatenate([s, s]),
    merge_tracks,
    lambda s: split_tracks(s, 3),
    lambda s: rescale(s, 100),
]


@settings(max_examples=40, deadline=None)
@given(scores())
def test_transforms_leave_their_input_alone_and_return_valid_scores(score: Score) -> None:
    before = score.copy()
    for transform in TRANSFORMS:
        assert is_valid(transform(score))
        assert score == before
