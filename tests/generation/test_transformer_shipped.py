"""The shipped Transformer on real inputs: every sample melody and every DeepComposer file."""

import itertools
from pathlib import Path

import numpy as np
import pytest

from generation.checkpoint import read_meta, shipped_path
from generation.registry import MAX_BARS, TRANSFORMER_PARAMS, generate
from generation.transformer.extension import beat_ticks, is_monophonic
from generation.transformer.model import TransformerConfig, shipped_model
from generation.transformer.tokens import grid_notes
from music.catalogue import list_samples, load_sample
from music.midi_io import read_midi_file, score_to_midi
from music.transforms import concatenate
from music.validate import validate_midi

SHIPPED = shipped_path("transformer")
DEEPCOMPOSER = Path(__file__).resolve().parents[2].parent / "shared" / "testdata" / "deepcomposer"
DEEPCOMPOSER_FILES = sorted(DEEPCOMPOSER.glob("*.mid")) if DEEPCOMPOSER.is_dir() else []
QUICK = {"extension_duration": 6}  # validity does not depend on the length; speed does


pytestmark = pytest.mark.usefixtures("one_thread")


def assert_valid_extension(given, out, seconds):
    back = validate_midi(score_to_midi(out))  # within the upload limits: it can be fed back
    assert back.tempo == pytest.approx(given.tempo, rel=1e-3)
    assert out.time_signature == given.time_signature
    kept, added = out.tracks[: len(given.tracks)], out.tracks[len(given.tracks) :]
    assert [(t.program, t.is_drum, t.name) for t in kept] == [
        (t.program, t.is_drum, t.name) for t in given.tracks
    ]
    for track in added:  # voices under a melody with chords: its instrument, a track each
        assert not track.is_drum
        assert " voice " in track.name
        assert track.notes
        assert min(n.start for n in track.notes) >= given.end_tick
    for track in out.tracks:  # every track's new notes: one at a time
        new = sorted(n for n in track.notes if n.start >= given.end_tick)
        assert all(a.end <= b.start for a, b in itertools.pairwise(new)), track.name
        assert all(21 <= n.pitch <= 108 for n in new), track.name
    beat = beat_ticks(given)
    start = np.ceil(given.end_tick / beat - 1e-9) * beat
    beats = max(1, np.floor(seconds * given.tempo / 60 * given.time_signature[1] / 4 + 0.5))
    assert out.end_tick == round(start + beats * beat)
    for before, after in zip(given.tracks, kept, strict=True):
        assert after.notes[: len(before.notes)] == before.notes  # the input, note for note
    assert out.note_count > given.note_count
    if is_monophonic(grid_notes(given)):  # the sample melodies; DeepComposer's have chords
        tail = out.tracks[0].notes[len(given.tracks[0].notes) - 1 :]
        assert all(a.end <= b.start for a, b in itertools.pairwise(tail))


def test_the_checkpoint_is_small_and_describes_itself():
    meta = read_meta(SHIPPED)
    assert SHIPPED.stat().st_size < 10_000_000
    assert meta["config_class"] == TransformerConfig.__name__
    assert set(meta["data"]["train_split"]) == {"folk", "chorale"}
    assert meta["training"]["steps"] > 0
    assert shipped_model().config.vocab_size == meta["config"]["vocab_size"]


@pytest.mark.parametrize("slug", [sample.slug for sample in list_samples()])
def test_every_sample_melody_comes_out_as_valid_midi(slug):
    given = load_sample(slug)
    assert is_monophonic(grid_notes(given))
    assert_valid_extension(given, generate("transformer", given, QUICK, 0), 6)


@pytest.mark.skipif(
    not DEEPCOMPOSER_FILES, reason=f"DeepComposer's files are not in {DEEPCOMPOSER}"
)
@pytest.mark.parametrize("path", DEEPCOMPOSER_FILES, ids=lambda p: p.name)
def test_every_deepcomposer_file_comes_out_as_valid_midi(path):
    given = read_midi_file(path)
    assert_valid_extension(given, generate("transformer", given, QUICK, 0), 6)


def test_the_default_call_adds_20_seconds_and_can_be_fed_back_in():
    given = load_sample("twinkle-twinkle")
    out = generate("transformer", given, {}, 0)
    assert_valid_extension(given, out, TRANSFORMER_PARAMS.defaults()["extension_duration"])
    assert out.note_count > given.note_count + 10
    again = generate("transformer", validate_midi(score_to_midi(out)), QUICK, 1)
    assert again.end_tick > out.end_tick


def test_same_seed_same_output_different_seed_different():
    given = load_sample("ode-to-joy")
    a, b, c = (generate("transformer", given, QUICK, seed) for seed in (3, 3, 4))
    assert a.tracks == b.tracks
    assert a.tracks != c.tracks


def test_a_32_bar_input_is_extended_by_30_seconds():
    given = concatenate([load_sample("ode-to-joy")] * 2)
    assert given.bar_count == MAX_BARS
    out = generate("transformer", given, {"extension_duration": 30}, 0)
    assert_valid_extension(given, out, 30)
