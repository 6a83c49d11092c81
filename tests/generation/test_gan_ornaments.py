"""Passing notes, suspensions and moving beats written into decoded voices
(generation.gan.ornaments)."""

from __future__ import annotations

import numpy as np
import pytest

from generation.gan.ornaments import keep_moving, ornament

# Columns are MIDI pitches here (low_pitch 0); a beat is two steps (eighths in 4/4).
BEAT = 2


def voices(*lines: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Voices from per-step pitches; a note starts where the pitch changes."""
    columns = np.array(lines, dtype=np.int64)
    onsets = np.zeros_like(columns, dtype=np.bool_)
    onsets[:, 0] = True
    onsets[:, 1:] = columns[:, 1:] != columns[:, :-1]
    return columns, onsets


def run(columns, onsets, melody, passing=1.0, suspension=1.0, seed=0):
    return ornament(
        columns,
        onsets,
        np.array(melody, dtype=np.int64),
        BEAT,
        0,
        passing,
        suspension,
        np.random.default_rng(seed),
    )


def test_a_third_between_beats_is_filled_with_the_scale_step() -> None:
    # Alto C4 then E4 a beat later, under a held melody G4 and a bass C3.
    columns, onsets = voices([60, 60, 64, 64], [55, 55, 55, 55], [48, 48, 48, 48])
    new, starts = run(columns, onsets, [72, 72, 72, 72], suspension=0.0)
    assert new[0].tolist() == [60, 62, 64, 64]
    assert starts[0].tolist() == [True, True, True, False]
    assert new[1:].tolist() == columns[1:].tolist()  # the other voices are untouched


def test_no_passing_note_off_the_scale_or_into_parallels() -> None:
    # E4 -> G#4: the scale step between, F, leaves an augmented second to G#: nothing.
    columns, onsets = voices([64, 64, 68, 68], [55, 55, 55, 55], [48, 48, 48, 48])
    assert run(columns, onsets, [76, 76, 76, 76], suspension=0.0)[0].tolist() == columns.tolist()
    # C4 -> D4 -> E4 against a tenor F3 -> G3 -> A3 would make parallel fifths (C/F, D/G):
    # the tenor moves G3 -> A3 at the beat, so D4 over G3 then E4 over A3 are fifths.
    columns, onsets = voices([60, 60, 64, 64], [53, 55, 57, 57], [41, 41, 41, 41])
    new, _ = run(columns, onsets, [72, 72, 72, 72], suspension=0.0)
    assert new[0].tolist() == [60, 60, 64, 64]


def test_a_step_down_onto_a_beat_becomes_a_prepared_suspension() -> None:
    # Alto D4 -> C4 at the beat, where the bass is C3 and the tenor E3: holding the D
    # makes a ninth over the bass, which resolves to the octave at the half beat.
    columns, onsets = voices([62, 62, 60, 60], [55, 55, 52, 52], [43, 43, 48, 48])
    new, starts = run(columns, onsets, [67, 67, 67, 67], passing=0.0)
    assert new[0].tolist() == [62, 62, 62, 60]
    assert starts[0].tolist() == [True, False, False, True]


def test_no_suspension_where_the_held_note_is_consonant_or_the_resolution_clashes() -> None:
    # Alto E4 -> D4 over a bass that arrives on G2 with the tenor on B2: E over G is a
    # sixth, no dissonance to resolve, so the line stays as decoded.
    columns, onsets = voices([64, 64, 62, 62], [55, 55, 47, 47], [48, 48, 43, 43])
    assert run(columns, onsets, [71, 71, 71, 71], passing=0.0)[0].tolist() == columns.tolist()
    # The resolution C4 would sit a semitone under the melody's C#4: refused.
    columns, onsets = voices([62, 62, 60, 60], [55, 55, 52, 52], [43, 43, 48, 48])
    new, _ = run(columns, onsets, [67, 67, 67, 61], passing=0.0)
    assert new[0].tolist() == columns[0].tolist()


def test_rates_zero_change_nothing_and_a_seed_repeats_its_choices() -> None:
    rng = np.random.default_rng(5)
    steps = 64
    columns = np.stack(
        [
            60 + rng.integers(-4, 5, steps),
            52 + rng.integers(-4, 5, steps),
            41 + rng.integers(-4, 5, steps),
        ]
    ).astype(np.int64)
    columns = np.repeat(columns[:, ::2], 2, axis=1)  # a note per beat
    onsets = np.zeros_like(columns, dtype=np.bool_)
    onsets[:, ::2] = True
    melody = np.repeat(72 + rng.integers(-2, 3, steps // 2), 2)
    same = run(columns, onsets, melody, passing=0.0, suspension=0.0)
    assert same[0].tolist() == columns.tolist()
    half = [run(columns, onsets, melody, 0.5, 0.5, seed=s) for s in (1, 1, 2)]
    assert half[0][0].tolist() == half[1][0].tolist()
    assert half[0][1].tolist() == half[1][1].tolist()
    every = run(columns, onsets, melody, 1.0, 1.0)
    changed = int((every[0] != columns).sum())
    assert changed > 0
    assert int((half[0][0] != columns).sum()) < changed


@pytest.mark.parametrize("beat_steps", [1, 3])
def test_meters_without_a_half_beat_are_left_alone(beat_steps: int) -> None:
    columns, onsets = voices([60, 60, 60, 64, 64, 64], [55] * 6, [48] * 6)
    new, _ = ornament(
        columns, onsets, np.full(6, 72), beat_steps, 0, 1.0, 1.0, np.random.default_rng(0)
    )
    assert new.tolist() == columns.tolist()


def test_figures_never_write_a_note_shorter_than_the_voices_shortest() -> None:
    # With notes of at least two steps, a half beat of one step is too short for a passing
    # note or a suspension; with four-step beats the same lines get both.
    columns, onsets = voices([60, 60, 64, 64], [55, 55, 55, 55], [48, 48, 48, 48])
    new, _ = run(columns, onsets, [72] * 4)
    assert new[0].tolist() == [60, 62, 64, 64]
    rng = np.random.default_rng(0)
    kept = ornament(columns, onsets, np.full(4, 72), BEAT, 0, 1.0, 1.0, rng, min_steps=2)
    assert kept[0].tolist() == columns.tolist()
    wide = np.repeat(columns, 2, axis=1)
    wide_onsets = np.zeros_like(onsets, shape=wide.shape)
    wide_onsets[:, ::4] = True
    wide_onsets[0, 4] = True
    new, _ = ornament(wide, wide_onsets, np.full(8, 72), 4, 0, 1.0, 1.0, rng, min_steps=2)
    assert new[0].tolist() == [60, 60, 62, 62, 64, 64, 64, 64]


def lines(*steps: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Voices from per-step pitches, a negative pitch striking its note again there."""
    columns = np.abs(np.array(steps, dtype=np.int64))
    onsets = np.zeros_like(columns, dtype=np.bool_)
    onsets[:, 0] = True
    onsets[:, 1:] = columns[:, 1:] != columns[:, :-1]
    onsets |= np.array(steps) < 0
    return columns, onsets


# Melody G4 held two beats, then F4: its onsets at steps 0 and 4 (eighths in 4/4).
HELD_MELODY = (np.array([67] * 4 + [65] * 4), np.array([True, False, False, False] * 2))


def moving(columns, onsets, melody=HELD_MELODY, ranges=None, beat_steps=BEAT):
    bounds = None if ranges is None else np.array(ranges, dtype=np.int64)
    return keep_moving(columns, onsets, melody, beat_steps, bounds, np.random.default_rng(0))


def test_a_beat_between_onsets_a_beat_and_a_half_apart_gets_the_bass_an_octave_away():
    # The tenor moves at the half beat (step 1), then nothing starts until step 4: the
    # gap is a beat and a half, and the bass, lowest, leaps to C2 at the beat.
    columns, onsets = lines(
        [60, 60, 60, 60, 60, 60, 60, 60], [53, 55, 55, 55, 57, 57, 57, 57], [48] * 4 + [53] * 4
    )
    new, starts = moving(columns, onsets)
    assert new[2].tolist() == [
        48,
        48,
        36,
        36,
        53,
        53,
        53,
        53,
    ]  # C3's other octave, C4, is the alto's
    assert starts[2].tolist() == [True, False, True, False, True, False, False, False]
    assert new[:2].tolist() == columns[:2].tolist()


def test_where_the_bass_cannot_move_an_inner_voice_takes_another_chord_note():
    # C major at the beat (G4, C4, E3, C3); the bass may not leave C3 (its range), so the
    # tenor moves from E3 to the chord's G3, under the alto and over the bass.
    columns, onsets = lines(
        [62, 60, 60, 60, 60, 60, 60, 60], [52] * 4 + [57] * 4, [48] * 4 + [53] * 4
    )
    new, starts = moving(columns, onsets, ranges=[(55, 74), (48, 69), (44, 50)])
    assert new[1].tolist() == [52, 52, 55, 55, 57, 57, 57, 57]
    assert starts[1, 2]
    assert new[2].tolist() == columns[2].tolist()


def test_a_moved_note_never_clashes_with_the_chord_it_lasts_into():
    # The alto's C4 lasts from step 1 into the F major chord at step 4 (F4 over A3): the
    # C major chord's E4 would clash with that F and its G3 with the A, so it stays.
    columns, onsets = lines(
        [62, 60, 60, 60, 60, 60, 60, 60], [52] * 4 + [57] * 4, [48] * 4 + [53] * 4
    )
    new, _ = moving(columns, onsets, ranges=[(55, 74), (50, 54), (44, 50)])
    assert new[0].tolist() == columns[0].tolist()


def test_where_no_voice_can_move_the_lowest_holding_voice_strikes_its_note_again():
    columns, onsets = lines(
        [62, 60, 60, 60, 60, 60, 60, 60], [52] * 4 + [57] * 4, [48] * 4 + [53] * 4
    )
    new, starts = moving(columns, onsets, ranges=[(58, 62), (50, 54), (44, 50)])
    assert new.tolist() == columns.tolist()
    assert starts[:, 2].tolist() == [False, False, True]


def test_gaps_of_two_beats_meters_of_odd_beats_and_the_final_chord_are_left_alone():
    # Every part holds two beats (onsets at steps 0 and 4): Bach holds such chords too.
    columns, onsets = lines([60] * 4 + [60] * 4, [52] * 4 + [57] * 4, [48] * 4 + [53] * 4)
    new, starts = moving(columns, onsets)
    assert (new.tolist(), starts.tolist()) == (columns.tolist(), onsets.tolist())
    columns, onsets = lines(
        [60, 60, 60, 60, 60, 60, 60, 60], [53, 55, 55, 55, 57, 57, 57, 57], [48] * 4 + [53] * 4
    )
    assert moving(columns, onsets, beat_steps=3)[1].tolist() == onsets.tolist()
    # The melody's last note starts at step 0: its chord is the final one, kept whole.
    last = (np.full(8, 67), np.array([True] + [False] * 7))
    assert moving(columns, onsets, melody=last)[1].tolist() == onsets.tolist()


def test_no_figure_strikes_a_note_where_the_voices_hold_a_cadence() -> None:
    # The passing note (alto C4 -> E4 filled at step 1) and the suspension (alto D4 -> C4
    # resolving at step 3) are written anywhere else, and not where those steps are still.
    columns, onsets = voices([60, 60, 64, 64], [55, 55, 55, 55], [48, 48, 48, 48])
    still = np.array([False, True, False, False])
    rng = np.random.default_rng(0)
    new, _ = ornament(columns, onsets, np.full(4, 72), BEAT, 0, 1.0, 0.0, rng, 1, still)
    assert new.tolist() == columns.tolist()
    assert run(columns, onsets, [72] * 4, suspension=0.0)[0][0].tolist() == [60, 62, 64, 64]
    columns, onsets = voices([62, 62, 60, 60], [55, 55, 52, 52], [43, 43, 48, 48])
    still = np.array([False, False, False, True])
    rng = np.random.default_rng(0)
    new, _ = ornament(columns, onsets, np.full(4, 67), BEAT, 0, 0.0, 1.0, rng, 1, still)
    assert new.tolist() == columns.tolist()


def test_a_beat_inside_a_held_cadence_is_left_still() -> None:
    columns, onsets = lines(
        [60, 60, 60, 60, 60, 60, 60, 60], [53, 55, 55, 55, 57, 57, 57, 57], [48] * 4 + [53] * 4
    )
    still = np.zeros(8, dtype=np.bool_)
    still[1:4] = True
    new, starts = keep_moving(
        columns, onsets, HELD_MELODY, BEAT, None, np.random.default_rng(0), still
    )
    assert new.tolist() == columns.tolist()
    assert starts.tolist() == onsets.tolist()
