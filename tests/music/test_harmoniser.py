"""The rule harmoniser: four correct voices under real melodies, cadences, and its errors."""

from __future__ import annotations

import numpy as np
import pytest

from music.catalogue import load_sample
from music.harmoniser import HarmoniserError, harmonise_melody, harmonise_score, melody_index
from music.score import Note, Score, Track
from music.voice_leading import parallel_motions, sounding
from music.voicing import ALTO, BASS, TENOR

SAMPLES = ("ode-to-joy", "twinkle-twinkle", "amazing-grace", "greensleeves", "minuet-in-g")
A_MINOR_TUNE = (69, 71, 72, 74, 76, 74, 72, 71, 72, 71, 69, 68, 69)  # ends G#-A


def melody_of(slug: str) -> Score:
    return load_sample(slug)


def line(pitches, beats=(1,), resolution=480) -> list[Note]:
    notes, start = [], 0
    for i, pitch in enumerate(pitches):
        length = round(beats[i % len(beats)] * resolution)
        notes.append(Note(start, pitch, length, 90))
        start += length
    return notes


def onsets(voices) -> list[int]:
    return sorted({n.start for v in voices for n in v})


@pytest.mark.parametrize("slug", SAMPLES)
def test_real_melodies_get_no_parallel_fifths_or_octaves_in_any_pair(slug):
    score = melody_of(slug)
    result = harmonise_melody(score.tracks[0].notes, score.resolution, score.time_signature)
    parallels, moves = parallel_motions(result.voices)
    assert parallels == 0
    assert moves > 20  # the voices do move: the check has something to check


@pytest.mark.parametrize("slug", SAMPLES)
def test_voices_keep_their_ranges_and_order_and_the_soprano_is_the_melody(slug):
    score = melody_of(slug)
    result = harmonise_melody(score.tracks[0].notes, score.resolution, score.time_signature)
    assert result.voices[0] == sorted(score.tracks[0].notes)
    for voice, (low, high) in zip(result.voices[1:], (ALTO, TENOR, BASS), strict=True):
        assert all(low <= n.pitch <= high for n in voice)
    times = onsets(result.voices)
    grid = np.array([sounding(v, times) for v in result.voices])
    both = (grid >= 0).all(axis=0)
    assert both.mean() > 0.9
    assert (np.diff(grid[:, both], axis=0) < 0).all()  # strictly high to low: no crossing


def test_the_end_is_an_authentic_cadence_on_the_root_position_tonic():
    score = melody_of("ode-to-joy")
    result = harmonise_melody(score.tracks[0].notes, score.resolution, score.time_signature)
    tonic_names = {"I", "i"}
    assert result.chords[-1] in tonic_names
    assert result.chords[-2] in {"V", "V7"}
    bass = result.voices[3][-1].pitch
    assert bass % 12 == result.tonic


def test_a_minor_melody_gets_the_raised_leading_tone_at_the_final_dominant():
    result = harmonise_melody(line(A_MINOR_TUNE, beats=(1, 1, 1, 1)), 480, (4, 4))
    assert (result.tonic, result.mode) == (9, "minor")
    assert result.chords[-2] in {"V", "V7"}
    penultimate = result.slots[-2].start
    heard = {sounding(v, [penultimate])[0] % 12 for v in result.voices}
    assert 8 in heard  # G sharp
    assert 7 not in heard


def test_a_seed_repeats_itself_and_different_seeds_differ():
    notes = melody_of("amazing-grace").tracks[0].notes
    first = harmonise_melody(notes, 480, (3, 4), seed=5)
    assert first == harmonise_melody(notes, 480, (3, 4), seed=5)
    assert harmonise_melody(notes, 480, (3, 4)) == harmonise_melody(notes, 480, (3, 4))
    others = {
        harmonise_melody(notes, 480, (3, 4), seed=s).voices[1:] != first.voices[1:]
        for s in range(4)
    }
    assert True in others


def test_passing_tones_fill_thirds_between_beats():
    score = melody_of("ode-to-joy")
    result = harmonise_melody(score.tracks[0].notes, score.resolution, score.time_signature)
    off_beat = [n for v in result.voices[1:] for n in v if n.start % score.resolution]
    assert off_beat
    assert all(n.duration == score.resolution // 2 for n in off_beat)


def test_a_single_note_is_a_tonic_chord_and_an_empty_melody_is_refused():
    result = harmonise_melody([Note(0, 72, 960)], 480)
    assert [len(v) for v in result.voices] == [1, 1, 1, 1]
    assert {v[0].pitch % 12 for v in result.voices} == {0, 4, 7}
    with pytest.raises(HarmoniserError, match="no notes"):
        harmonise_melody([], 480)


def test_a_drum_only_score_has_no_melody():
    with pytest.raises(HarmoniserError, match="no pitched track"):
        melody_index(Score([Track([Note(0, 36, 480)], is_drum=True)]))


def test_a_score_becomes_four_named_parts_over_the_same_melody():
    given = melody_of("twinkle-twinkle")
    out = harmonise_score(given)
    assert [t.name for t in out.tracks] == ["Soprano", "Alto", "Tenor", "Bass"]
    assert out.tracks[0].notes == given.tracks[0].notes
    assert out.end_tick == given.end_tick
