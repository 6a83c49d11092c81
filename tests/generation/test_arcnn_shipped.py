"""The shipped AR-CNN on real inputs: every sample melody and every DeepComposer file."""

from pathlib import Path

import numpy as np
import pytest
import torch

from generation.checkpoint import read_meta, shipped_path
from generation.registry import generate
from generation.rolls import to_grid
from music.catalogue import list_samples, load_sample
from music.midi_io import read_midi_file, score_from_midi, score_to_midi
from music.transforms import concatenate
from music.validate import validate_midi

SHIPPED = shipped_path("arcnn")
DEEPCOMPOSER = Path(__file__).resolve().parents[2].parent / "shared" / "testdata" / "deepcomposer"
DEEPCOMPOSER_FILES = sorted(DEEPCOMPOSER.glob("*.mid")) if DEEPCOMPOSER.is_dir() else []
QUICK = {"sampling_iterations": 25}  # validity does not depend on the count; speed does

pytestmark = pytest.mark.skipif(
    not SHIPPED.exists(), reason="no shipped AR-CNN checkpoint (python -m generation.train arcnn)"
)


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def assert_valid_edit(given, out):
    back = validate_midi(score_to_midi(out))  # within the upload limits, so it can be fed back
    assert back.tempo == pytest.approx(given.tempo, rel=1e-3)
    assert out.time_signature == given.time_signature
    assert [(t.program, t.is_drum) for t in out.tracks] == [
        (t.program, t.is_drum) for t in given.tracks
    ]
    assert out.bar_count <= max(given.bar_count, 1)


def test_the_checkpoint_is_small_and_describes_itself():
    meta = read_meta(SHIPPED)
    assert SHIPPED.stat().st_size < 10_000_000
    assert meta["data"]["corpus"] == "bach-chorales"
    assert meta["training"]["steps"] > 0


@pytest.mark.parametrize("slug", [sample.slug for sample in list_samples()])
def test_every_sample_melody_comes_out_as_valid_midi(slug):
    given = load_sample(slug)
    assert_valid_edit(given, generate("arcnn", given, QUICK, 0))


@pytest.mark.skipif(
    not DEEPCOMPOSER_FILES, reason=f"DeepComposer's files are not in {DEEPCOMPOSER}"
)
@pytest.mark.parametrize("path", DEEPCOMPOSER_FILES, ids=lambda p: p.stem)
def test_every_deepcomposer_file_comes_out_as_valid_midi(path):
    given = read_midi_file(path)
    assert_valid_edit(given, generate("arcnn", given, QUICK, 0))


def test_the_default_call_edits_and_can_be_fed_back_in():
    given = load_sample("twinkle-twinkle")
    first = generate("arcnn", given, {}, 0)
    assert first.tracks != given.tracks
    again = generate("arcnn", score_from_midi(score_to_midi(first)), QUICK, 1)
    assert_valid_edit(given, again)


def test_same_seed_same_output_different_seed_different():
    given = load_sample("deck-the-halls")
    assert generate("arcnn", given, QUICK, 5) == generate("arcnn", given, QUICK, 5)
    assert generate("arcnn", given, QUICK, 5) != generate("arcnn", given, QUICK, 6)


def test_a_32_bar_input_is_edited_from_its_first_bar_to_its_last():
    melody = load_sample("ode-to-joy")  # 16 bars
    given = concatenate([melody, melody])
    assert given.bar_count == 32
    out = generate("arcnn", given, {}, 0)
    changed = to_grid(given, 4, (28, 92)).roll != to_grid(out, 4, (28, 92)).roll
    per_8_bars = changed.reshape(4, 128, -1).sum(axis=(1, 2))
    assert np.all(per_8_bars > 0), per_8_bars
    assert_valid_edit(given, out)
