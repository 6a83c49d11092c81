"""The rule-based baseline: key, the shape of its output, and its errors (the harmoniser
itself is tested in tests/music/test_harmoniser.py)."""

import pytest

from generation.errors import GenerationInputError
from generation.gan.baseline import harmonise, melody_index, melody_key
from generation.gan.styles import STYLES
from music.catalogue import list_samples, load_sample
from music.midi_io import score_to_midi
from music.score import Note, Score, Track
from music.validate import validate_midi
from music.voice_leading import parallel_motions


def test_it_estimates_the_key_of_a_scale():
    d_major = [Note(i * 480, p, 480) for i, p in enumerate((62, 64, 66, 67, 69, 71, 73, 74))]
    assert melody_key(d_major) == (2, "major")


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
    assert parallel_motions([t.notes for t in out.tracks])[0] == 0


def test_a_seed_varies_the_harmonisation_and_repeats_it():
    given = load_sample("ode-to-joy")
    assert harmonise(given, seed=3) == harmonise(given, seed=3)
    assert harmonise(given) == harmonise(given)
    assert any(harmonise(given, seed=s).tracks != harmonise(given).tracks for s in range(4))


def test_a_score_without_melody_is_refused_with_a_clear_error():
    drums = Score([Track([Note(0, 36, 480)], is_drum=True)])
    with pytest.raises(GenerationInputError, match="no pitched track"):
        harmonise(drums)
    with pytest.raises(GenerationInputError, match="no notes"):
        harmonise(Score([Track([])]))


def test_a_single_note_gets_a_tonic_chord_under_it():
    out = harmonise(Score([Track([Note(0, 67, 960, 90)])]))
    classes = {n.pitch % 12 for t in out.tracks for n in t.notes}
    assert classes == {7, 11, 2}  # a lone G is taken as the tonic of G major
    assert all(len(t.notes) == 1 for t in out.tracks)
