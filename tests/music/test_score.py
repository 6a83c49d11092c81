"""The Score model's derived quantities and its browser JSON."""

from __future__ import annotations

import pytest

from music.score import Note, Score, Track


def score() -> Score:
    piano = Track([Note(0, 60, 480), Note(480, 64, 960, 100)], name="piano")
    drums = Track([Note(0, 36, 240)], is_drum=True)
    return Score([piano, drums], resolution=480, tempo=120.0, time_signature=(3, 4))


def test_it_ends_where_the_last_note_ends() -> None:
    assert score().end_tick == 1440
    assert Score().end_tick == 0


def test_it_counts_a_partly_filled_last_bar_as_a_bar() -> None:
    assert score().ticks_per_bar == 1440
    assert score().bar_count == 1
    assert Score([Track([Note(0, 60, 1441)])], time_signature=(3, 4)).bar_count == 2
    assert Score().bar_count == 0


def test_it_converts_ticks_to_seconds_at_its_tempo() -> None:
    assert score().duration_seconds == pytest.approx(1.5)
    assert score().seconds_to_ticks(0.5) == 480


def test_it_lists_pitched_notes_unless_asked_for_drums() -> None:
    assert [n.pitch for n in score().all_notes()] == [60, 64]
    assert [n.pitch for n in score().all_notes(include_drums=True)] == [36, 60, 64]


def test_a_copy_does_not_share_note_lists() -> None:
    original = score()
    copied = original.copy()
    copied.tracks[0].notes.append(Note(2000, 70, 10))
    assert original.tracks[0].notes == score().tracks[0].notes


def test_it_round_trips_through_browser_json() -> None:
    assert Score.from_json(score().to_json()) == score()


def test_notes_sort_by_start_then_pitch() -> None:
    assert sorted([Note(10, 50, 1), Note(0, 70, 1), Note(0, 60, 5)]) == [
        Note(0, 60, 5),
        Note(0, 70, 1),
        Note(10, 50, 1),
    ]


def beats_in(meter: tuple[int, int], beats: int) -> Score:
    notes = [Note(i * 480, 60, 480) for i in range(beats)]
    return Score([Track(notes)], resolution=480, time_signature=meter)


@pytest.mark.parametrize(
    ("meter", "beats", "bars"),
    [((4, 4), 32, 8), ((3, 4), 24, 8), ((6, 8), 24, 8), ((12, 8), 48, 8), ((6, 4), 48, 8)],
)
def test_bars_in_a_usual_meter_are_counted_as_written(
    meter: tuple[int, int], beats: int, bars: int
) -> None:
    score = beats_in(meter, beats)
    assert score.measured_bar_count == score.bar_count == bars
    assert score.length_in_bars == f"{bars} bars long"


@pytest.mark.parametrize(
    ("meter", "written", "measured"),
    [((255, 1), 1, 75), ((16, 4), 19, 75), ((7, 4), 43, 75)],
)
def test_bars_longer_than_six_beats_are_counted_in_4_4(
    meter: tuple[int, int], written: int, measured: int
) -> None:
    score = beats_in(meter, 300)  # 300 beats: 75 bars of 4/4
    assert score.bar_count == written
    assert score.measured_bar_count == measured
    assert score.length_in_bars == (
        f"{measured} bars of 4/4 long (its {meter[0]}/{meter[1]} bars are longer than any "
        "usual meter's)"
    )
