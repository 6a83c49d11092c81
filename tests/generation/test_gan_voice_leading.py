"""The shipped GAN's voice leading on real inputs: no parallel fifths or octaves, every
voice in its range, chords reduced to the melody, a final tonic over a tonic bass."""

from dataclasses import replace
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest

from evaluation.metrics.melody import direction_change_rate
from generation.checkpoint import shipped_path
from generation.gan.baseline import top_line
from generation.gan.constraints import cadence_holds
from generation.gan.model import accompany, shipped_model
from generation.gan.styles import STYLES
from generation.stats import (
    beat_dissonance,
    outside_ranges,
    parallel_counts,
    tonic_bass_cadence,
    voice_grid,
)
from music.catalogue import list_samples, load_sample
from music.harmoniser import harmoniser_key
from music.lines import beat_length
from music.midi_io import read_midi_file
from music.score import Note, Score, Track
from music.transforms import transpose

DEEPCOMPOSER = Path(__file__).resolve().parents[2].parent / "shared" / "testdata" / "deepcomposer"
INPUTS = sorted(DEEPCOMPOSER.glob("input_*.mid")) if DEEPCOMPOSER.is_dir() else []
SAMPLES = [sample.slug for sample in list_samples()]

pytestmark = [
    pytest.mark.skipif(
        not all(shipped_path("gan", name).exists() for name in STYLES),
        reason="a GAN style has no shipped checkpoint (python -m generation.train gan --style S)",
    ),
    pytest.mark.usefixtures("one_thread"),
]


def accompanied(score: Score, style: str, seed: int = 0) -> Score:
    return accompany(score, shipped_model(style), STYLES[style], seed)


def with_chords(score: Score) -> Score:
    """The melody with a triad under each of its notes, in the same track."""
    notes = list(score.tracks[0].notes)
    for note in score.tracks[0].notes:
        notes += [Note(note.start, note.pitch - i, note.duration, note.velocity) for i in (5, 9)]
    return Score([Track(sorted(notes), name="Piano")], resolution=score.resolution)


@pytest.mark.parametrize("style", list(STYLES))
@pytest.mark.parametrize("seed", [0, 1])
def test_no_sample_melody_gets_parallel_fifths_or_octaves_between_any_two_parts(style, seed):
    for slug in SAMPLES:
        out = accompanied(load_sample(slug), style, seed)
        parallels, moves = parallel_counts(voice_grid(out))
        assert moves > 0
        assert parallels == 0, slug


@pytest.mark.parametrize("style", list(STYLES))
def test_every_voice_stays_in_its_range_on_the_samples_and_deepcomposers_inputs(style):
    inputs = [load_sample(slug) for slug in SAMPLES] + [read_midi_file(p) for p in INPUTS]
    for score in inputs:
        assert outside_ranges(accompanied(score, style), STYLES[style].ranges[1:])[0] == 0


@pytest.mark.parametrize("style", list(STYLES))
@pytest.mark.parametrize("semitones", [-19, 14])
def test_a_very_low_or_high_melody_still_gets_voices_in_range(style, semitones):
    out = accompanied(transpose(load_sample("twinkle-twinkle"), semitones), style)
    for track, (low, high) in zip(out.tracks[1:], STYLES[style].ranges[1:], strict=True):
        assert track.notes
        assert all(low <= n.pitch <= high for n in track.notes)


@pytest.mark.parametrize("style", list(STYLES))
def test_an_input_with_chords_comes_out_as_its_top_line_and_three_voices(style):
    given = load_sample("ode-to-joy")
    out = accompanied(with_chords(given), style)
    assert len(out.tracks) == 4
    assert out.tracks[0].notes == given.tracks[0].notes
    plain = accompanied(given, style)
    assert out.tracks[1:] == plain.tracks[1:]  # the chords changed nothing


@pytest.mark.skipif(not INPUTS, reason=f"DeepComposer's files are not in {DEEPCOMPOSER}")
def test_deepcomposers_inputs_come_out_with_one_melody_note_at_a_time():
    for path in INPUTS:
        given = read_midi_file(path)
        melody = accompanied(given, "chorale").tracks[0].notes
        assert len(melody) < len(given.tracks[0].notes), path.stem  # the chords are gone
        assert all(a.end <= b.start for a, b in pairwise(melody))


def test_top_line_keeps_a_legato_melody_and_drops_what_sounds_under_a_held_note():
    notes = [
        Note(0, 64, 500),  # overlaps the next melody note by 20 ticks: kept whole up to it
        Note(480, 62, 960),
        Note(480, 55, 480),  # a chord note under it
        Note(960, 50, 480),  # under the held D: accompaniment
        Note(1440, 60, 480),
    ]
    assert top_line(notes, 480) == [Note(0, 64, 480), Note(480, 62, 960), Note(1440, 60, 480)]
    line = [Note(0, 60, 480), Note(480, 62, 480)]
    assert top_line(line, 480) == line


@pytest.mark.parametrize("style", list(STYLES))
def test_a_melody_that_ends_on_its_tonic_gets_the_tonic_in_the_bass(style):
    endings = [tonic_bass_cadence(accompanied(load_sample(slug), style)) for slug in SAMPLES]
    assert endings.count(None) < len(SAMPLES) // 2  # most sample melodies end on the tonic
    assert all(ending in (True, None) for ending in endings)


def test_the_chorale_voices_clash_on_the_beat_about_as_often_as_bachs() -> None:
    # Bach: a second or seventh between two parts on 21-23 % of beats (generation.stats);
    # the decoder alone gave about 2 %, with suspensions written in about Bach's share.
    clashes = beats = 0
    for slug in SAMPLES:
        dissonant, counted = beat_dissonance(accompanied(load_sample(slug), "chorale"))
        clashes, beats = clashes + dissonant, beats + counted
    assert 0.12 <= clashes / beats <= 0.32


def test_the_chorale_lines_turn_back_about_as_often_as_bachs() -> None:
    # Bach's alto, tenor and bass turn after 49-55 % of their moves (validation split);
    # without the decoder's turn cost the lines under the sample melodies turned after 61 %.
    turns = [
        direction_change_rate(replace(out, tracks=out.tracks[1:]))
        for out in (accompanied(load_sample(slug), "chorale") for slug in SAMPLES)
    ]
    assert 0.45 <= float(np.nanmean(turns)) <= 0.58


def test_the_chorale_texture_never_stands_a_beat_and_a_half_without_an_onset() -> None:
    # Bach's parts never all hold from a half beat to the next beat but one (validation
    # split: no such gap between onsets); the decoded voices left 25 under the samples.
    gaps = onsets = 0
    for slug in SAMPLES:
        out = accompanied(load_sample(slug), "chorale")
        last = max(n.start for n in out.tracks[0].notes)
        starts = sorted({n.start for track in out.tracks for n in track.notes if n.start <= last})
        onsets += len(starts)
        gaps += sum(2 * (b - a) == 3 * out.resolution for a, b in pairwise(starts))
    assert gaps <= 0.005 * onsets


def test_the_chorale_voices_hold_their_chord_under_the_melodys_phrase_ends() -> None:
    # Bach's voices strike nothing under 75-81 % of the long notes that end his melodies'
    # phrases (validation split); code version 7 under those of the samples: 27 %.
    held = quiet = 0
    for slug in SAMPLES:
        out = accompanied(load_sample(slug), "chorale")
        melody = top_line(out.tracks[0].notes, out.resolution)
        key, half_beat = harmoniser_key(melody), out.resolution // 2
        starts = {n.start for track in out.tracks[1:] for n in track.notes}
        for begin, end in cadence_holds(melody, key, beat_length(out), 2, out.resolution):
            held += 1
            quiet += not any(begin * half_beat < start < end * half_beat for start in starts)
    assert held >= 40
    assert quiet >= 0.75 * held


def test_the_chorale_style_writes_sixteenth_passing_notes_and_the_renaissance_none():
    def sixteenths(style: str) -> list[tuple[int, int, int]]:
        found = []
        for slug in SAMPLES:
            out = accompanied(load_sample(slug), style)
            sixteenth = out.resolution // 4
            for track in out.tracks[1:]:
                notes = sorted(track.notes)
                for first, second, after in zip(notes, notes[1:], notes[2:], strict=False):
                    second_half = second.start % (2 * sixteenth) == sixteenth
                    joined = first.end == second.start and second.end == after.start
                    if second.duration == sixteenth and second_half and joined:
                        found.append((first.pitch, second.pitch, after.pitch))
        return found

    chorale = sixteenths("chorale")
    assert chorale
    for before, passing, after in chorale:  # a scale step between two notes a third apart
        assert abs(after - before) in (3, 4)
        assert min(before, after) < passing < max(before, after)
    assert not sixteenths("renaissance")
