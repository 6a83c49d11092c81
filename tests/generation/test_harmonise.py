"""The rule-based baseline: key, triad choice, voicing and the shape of its output."""

import pytest

from generation.gan_styles import STYLES
from generation.harmonise import (
    choose_triad,
    harmonic_span,
    harmonise,
    melody_index,
    melody_key,
    voice_chord,
)
from music.catalogue import list_samples, load_sample
from music.midi_io import score_to_midi
from music.score import Note, Score, Track
from music.validate import validate_midi


def test_it_estimates_the_key_of_a_scale():
    d_major = [Note(i * 480, p, 480) for i, p in enumerate((62, 64, 66, 67, 69, 71, 73, 74))]
    assert melody_key(d_major) == (2, "major")


def test_it_prefers_primary_triads_containing_the_melody_note():
    assert choose_triad(0, 0, "major") == (0, 4, 7)  # C: I
    assert choose_triad(2, 0, "major") == (7, 11, 2)  # D: V
    assert choose_triad(9, 0, "major") == (5, 9, 0)  # A: IV
    assert choose_triad(11, 9, "minor") == (4, 8, 11)  # B in A minor: V with G sharp


def test_it_voices_the_chord_under_the_melody_with_the_root_in_the_bass():
    alto, tenor, bass = voice_chord((7, 11, 2), 74)
    assert 74 > alto > tenor > bass
    assert {alto % 12, tenor % 12} <= {7, 11, 2}
    assert bass % 12 == 7


def test_strong_beats_fall_every_half_bar_in_even_meters_and_every_bar_in_odd_ones():
    assert harmonic_span(Score(resolution=480, time_signature=(4, 4))) == 960
    assert harmonic_span(Score(resolution=480, time_signature=(3, 4))) == 1440


def test_the_melody_is_the_pitched_track_with_the_most_notes():
    score = Score([Track([Note(0, 60, 1)]), Track([Note(0, 40, 1)] * 2, is_drum=True)])
    assert melody_index(score) == 0
    score.tracks.append(Track([Note(0, 70, 1), Note(1, 71, 1)]))
    assert melody_index(score) == 2


@pytest.mark.parametrize("slug", [sample.slug for sample in list_samples()])
@pytest.mark.parametrize("style", list(STYLES))
def test_every_sample_melody_gets_three_valid_voices(slug, style):
    given = load_sample(slug)
    out = harmonise(given, style)
    validate_midi(score_to_midi(out))
    assert out.tracks[0] == given.tracks[0]
    assert [t.program for t in out.tracks[1:]] == [i.program for i in STYLES[style].instruments]
    for voice in out.tracks[1:]:
        assert voice.notes
        assert all(0 <= n.pitch <= 127 for n in voice.notes)
    assert out.end_tick <= given.end_tick
