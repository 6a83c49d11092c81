"""The same sound in other note values reads as the reference music's note values
(music.canonical.plain_note_values): a tune written in half notes at twice the tempo is the
tune in quarter notes, and nothing moves in time."""

from __future__ import annotations

from dataclasses import replace

import pytest

from music.beats import mean_onset_gap
from music.canonical import canonical_form, plain_note_values
from music.score import MAX_RESOLUTION, Note, Score, Track
from tests.music.builders import two_voices

GAP = 0.63  # the chorales' and folk tunes' mean quarter notes between onsets


def in_beats(score: Score) -> list[tuple[float, float, int]]:
    """Every note's start and length in quarter notes, and its pitch."""
    res = score.resolution
    return sorted((n.start / res, n.duration / res, n.pitch) for n in score.all_notes())


def in_seconds(score: Score) -> list[tuple[float, float, int]]:
    return sorted(
        (
            round(score.ticks_to_seconds(n.start), 9),
            round(score.ticks_to_seconds(n.end), 9),
            n.pitch,
        )
        for n in score.all_notes()
    )


def stretched(score: Score, factor: int, meter: tuple[int, int]) -> Score:
    """``score`` in ``factor`` times its note values at ``factor`` times its tempo."""
    tracks = [
        replace(
            t,
            notes=[
                replace(n, start=n.start * factor, duration=n.duration * factor) for n in t.notes
            ],
        )
        for t in score.tracks
    ]
    return replace(score, tracks=tracks, tempo=score.tempo * factor, time_signature=meter)


def bar_notes(score: Score) -> float:
    return score.note_count / score.bar_count


def test_music_in_the_references_note_values_is_the_same_object() -> None:
    tune = two_voices(1)
    assert 1 / 1.6 < (mean_onset_gap(tune) or 0) / GAP < 1.6
    assert plain_note_values(tune, GAP) is tune
    assert plain_note_values(tune, GAP, bar_notes(tune)) is tune
    assert canonical_form(tune, GAP) is tune


@pytest.mark.parametrize("meter", [(4, 4), (3, 4)])
def test_twice_the_note_values_at_twice_the_tempo_reads_as_written(meter: tuple[int, int]) -> None:
    tune = two_voices(2, meter=meter)
    # As a sequencer left at the tune's meter writes it: each bar holds half a bar.
    slow = stretched(tune, 2, meter)
    read = plain_note_values(slow, GAP, bar_notes(tune))
    assert in_beats(read) == in_beats(tune)
    assert read.time_signature == meter  # two written bars are one bar again
    assert read.ticks_per_bar / read.resolution == tune.ticks_per_bar / tune.resolution
    assert in_seconds(read) == in_seconds(slow)  # nothing moved in time


def test_bar_lines_written_for_the_long_values_stay_where_they_are() -> None:
    tune = two_voices(3)
    in_halves = stretched(tune, 2, (4, 2))  # 4/2: a bar of four half notes
    read = plain_note_values(in_halves, GAP, bar_notes(tune))
    assert read.time_signature == (4, 4)
    assert in_beats(read) == in_beats(tune)
    assert in_seconds(read) == in_seconds(in_halves)


def test_half_the_note_values_are_doubled_back() -> None:
    tune = two_voices(4)
    quick = replace(tune, resolution=2 * tune.resolution, tempo=tune.tempo / 2)  # eighths
    read = plain_note_values(quick, GAP, bar_notes(tune))
    assert in_beats(read) == in_beats(tune)
    assert read.time_signature == (4, 4)
    assert in_seconds(read) == in_seconds(quick)
    # At an odd resolution the ticks double instead.
    odd = replace(tune, resolution=961, tempo=60.0)  # eighths, near enough
    read = plain_note_values(odd, GAP)
    assert read.resolution == odd.resolution
    assert in_seconds(read) == in_seconds(odd)
    assert 1 / 1.6 <= (mean_onset_gap(read) or 0) / GAP <= 1.6


def test_without_a_reference_bar_the_bars_stay_in_the_usual_span() -> None:
    tune = two_voices(5, meter=(3, 4))
    slow = stretched(tune, 2, (3, 4))
    # Bar lines kept would give bars of 3/8 (a beat and a half): the meter is kept.
    assert plain_note_values(slow, GAP).time_signature == (3, 4)
    assert plain_note_values(stretched(tune, 2, (3, 2)), GAP).time_signature == (3, 4)


def test_four_times_the_note_values_come_back_in_two_steps() -> None:
    tune = two_voices(6)
    read = plain_note_values(stretched(tune, 4, (4, 1)), GAP, bar_notes(tune))
    assert in_beats(read) == in_beats(tune)
    assert read.time_signature == (4, 4)


def test_the_largest_resolution_halves_the_ticks_or_stays() -> None:
    res = MAX_RESOLUTION - 1  # cannot double
    halves = [Note(i * 2 * res, 60 + i % 5, 2 * res) for i in range(12)]
    top = Score([Track(halves)], resolution=res, tempo=240.0)
    read = plain_note_values(top, GAP)
    assert read.resolution == res
    assert [n.start for n in read.all_notes()] == [i * res for i in range(12)]
    assert in_seconds(read) == in_seconds(top)
    odd = replace(top, tracks=[Track([replace(n, start=n.start + 1) for n in halves])])
    assert plain_note_values(odd, GAP) is odd  # no exact halving: left as it is


def test_slow_music_at_a_usual_tempo_stays_slow() -> None:
    tune = two_voices(8)
    in_halves = stretched(tune, 2, (4, 4))
    # Half notes at 120 bpm: the beat a listener taps is the quarter note, as written.
    assert plain_note_values(replace(in_halves, tempo=120.0), GAP).resolution == 480
    assert plain_note_values(replace(in_halves, tempo=200.0), GAP).resolution == 960
    eighths = replace(tune, resolution=960)
    assert plain_note_values(replace(eighths, tempo=100.0), GAP).resolution == 960
    assert plain_note_values(replace(eighths, tempo=50.0), GAP).resolution == 480


def test_too_few_onsets_say_nothing() -> None:
    few = Score([Track([Note(i * 1920, 60, 1920) for i in range(5)])], resolution=480)
    assert mean_onset_gap(few) is None
    assert plain_note_values(few, GAP) is few
