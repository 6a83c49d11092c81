"""A four-part continuation's lower voices, written again by the AR-CNN's network under the
Transformer's melody (generation.transformer.voicing, generation.arcnn.fill; issue 17)."""

import itertools
from pathlib import Path

import pytest

from generation.arcnn.fill import fill_lower_voices
from generation.arcnn.gibbs import SATB
from generation.checkpoint import shipped_path
from generation.registry import TECHNIQUES, TRANSFORMER_PARAMS, generate
from generation.transformer.extension import extend
from generation.transformer.model import continue_with, sampler_factory, shipped_model
from generation.transformer.model import generate as shipped_generate
from music.midi_io import score_to_midi
from music.score import Note, Score, Track
from tests.generation.helpers import forget_loaded_models, retrain, temporary_checkpoints

PARAMS = {**TRANSFORMER_PARAMS.defaults(), "extension_duration": 8}

pytestmark = [
    pytest.mark.usefixtures("one_thread"),
    pytest.mark.skipif(
        not (shipped_path("transformer").exists() and shipped_path("arcnn").exists()),
        reason="no shipped Transformer or AR-CNN checkpoint",
    ),
]


def chorale(bars: int = 4) -> Score:
    """Four voices on a I-IV-V-I progression in C, a chord per beat."""
    chords = [(72, 67, 64, 48), (72, 69, 65, 53), (71, 67, 62, 55), (72, 67, 64, 48)]
    voices: list[list[Note]] = [[], [], [], []]
    for beat in range(4 * bars):
        for voice, pitch in enumerate(chords[beat % 4]):
            voices[voice].append(Note(beat * 480, pitch, 480, 70))
    names = ("S", "A", "T", "B")
    return Score([Track(v, name=n) for v, n in zip(voices, names, strict=True)], resolution=480)


def new(given: Score, out: Score) -> list[list[Note]]:
    return [sorted(n for n in t.notes if n.start >= given.end_tick) for t in out.tracks]


def alone(given: Score, seed: int) -> Score:
    """The Transformer's own continuation: every voice as it sampled them."""
    return extend(given, PARAMS, seed, sampler_factory(shipped_model()))


def test_the_melody_is_the_transformers_and_the_lower_voices_are_written_again():
    given = chorale()
    bach = shipped_generate(given, PARAMS, 3)
    assert continue_with(shipped_model(), given, PARAMS, 3).tracks == bach.tracks
    alone_ = alone(given, 3)
    assert [t.name for t in bach.tracks] == ["S", "A", "T", "B"]
    assert new(given, bach)[0] == new(given, alone_)[0]  # the melody kept note for note
    assert new(given, bach)[1:] != new(given, alone_)[1:]
    cadence = max(n.start for n in new(given, bach)[0])  # the final chord is the Transformer's
    for mine, its in zip(new(given, bach), new(given, alone_), strict=True):
        assert [n for n in mine if n.start >= cadence] == [n for n in its if n.start >= cadence]
        assert all(n.end <= cadence for n in mine if n.start < cadence)
    for voice, notes in enumerate(new(given, bach)[1:], start=1):
        assert notes, voice
        assert all(a.end <= b.start for a, b in itertools.pairwise(notes))  # one at a time
        assert all(given.end_tick <= n.start and n.end <= bach.end_tick for n in notes)
        low, high = SATB[voice]
        assert all(low <= n.pitch <= high for n in notes)
    # the input is kept as it was
    for before, after in zip(given.tracks, bach.tracks, strict=True):
        assert [n for n in after.notes if n.start < given.end_tick] == before.notes


def test_same_seed_same_voices():
    given = chorale()
    assert shipped_generate(given, PARAMS, 5).tracks == shipped_generate(given, PARAMS, 5).tracks


def test_the_fill_writes_from_its_start_only_and_keeps_what_comes_before():
    given = chorale(bars=4)
    start = 8 * 480  # the third bar
    lower = fill_lower_voices(given, start, seed=0)
    assert len(lower) == 3
    for notes in lower:
        assert notes
        assert min(n.start for n in notes) == start
        assert max(n.end for n in notes) <= given.end_tick
    assert fill_lower_voices(given, given.end_tick, seed=0) == [[], [], []]


def test_four_voices_on_fewer_tracks_keep_the_transformers_voices():
    given = chorale()
    tenor, bass = given.tracks[2].notes, given.tracks[3].notes
    given = Score([*given.tracks[:2], Track(sorted(tenor + bass), name="TB")], resolution=480)
    out = shipped_generate(given, PARAMS, 1)  # a voice on a new track: no prompt to follow
    assert len(out.tracks) == 4
    assert out.tracks == alone(given, 1).tracks


def test_new_ar_cnn_weights_make_a_new_transformer_version_and_the_old_one_still_runs(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    temporary_checkpoints(monkeypatch, tmp_path, TECHNIQUES["transformer"].checkpoints)
    try:
        given = chorale()
        old_version = TECHNIQUES["transformer"].version
        old = score_to_midi(generate("transformer", given, PARAMS, 2))
        retrain("arcnn")
        assert TECHNIQUES["transformer"].version != old_version
        assert score_to_midi(generate("transformer", given, PARAMS, 2)) != old
        again = generate("transformer", given, PARAMS, 2, version=old_version)
        assert score_to_midi(again) == old
    finally:
        forget_loaded_models()
