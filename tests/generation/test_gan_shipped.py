"""The shipped GAN styles on real inputs: every sample melody and every DeepComposer file."""

from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest

from generation.checkpoint import read_meta, shipped_path
from generation.errors import GenerationInputError, GenerationParamError
from generation.gan.baseline import top_line
from generation.gan.model import GanConfig, prepare_melody
from generation.gan.styles import STYLES, styles_json
from generation.registry import TECHNIQUES, generate
from music.catalogue import list_samples, load_sample
from music.midi_io import read_midi_file, score_to_midi
from music.score import Score
from music.transforms import concatenate
from music.validate import validate_midi

DEEPCOMPOSER = Path(__file__).resolve().parents[2].parent / "shared" / "testdata" / "deepcomposer"
DEEPCOMPOSER_FILES = sorted(DEEPCOMPOSER.glob("*.mid")) if DEEPCOMPOSER.is_dir() else []
SHIPPED = [name for name in STYLES if shipped_path("gan", name).exists()]

needs_checkpoints = pytest.mark.skipif(
    len(SHIPPED) < len(STYLES),
    reason="a GAN style has no shipped checkpoint (python -m generation.train gan --style S)",
)


pytestmark = pytest.mark.usefixtures("one_thread")


def assert_accompanied(given: Score, out: Score, style: str) -> None:
    back = validate_midi(score_to_midi(out))  # within the upload limits: it can be fed back
    assert back.tempo == pytest.approx(given.tempo, rel=1e-3)
    assert len(out.tracks) == 4
    melody = max(given.pitched_tracks(), key=lambda t: len(t.notes))
    assert out.tracks[0].notes == top_line(melody.notes, given.resolution)
    assert [t.program for t in out.tracks[1:]] == [i.program for i in STYLES[style].instruments]
    assert all(t.notes for t in out.tracks[1:])
    assert out.bar_count <= max(given.bar_count, 1)


def test_every_style_is_listed_for_the_studio_with_its_instruments():
    listed = {entry["name"]: entry for entry in styles_json()}
    assert set(listed) == {"chorale", "renaissance"}
    for entry in listed.values():
        assert entry["title"]
        assert entry["description"].endswith(".")
        assert [0 <= i["program"] <= 127 for i in entry["instruments"]] == [True] * 3
    assert TECHNIQUES["gan"].params["style"].choices == tuple(STYLES)


def test_an_unknown_style_is_refused_with_the_styles_named():
    with pytest.raises(GenerationParamError) as caught:
        generate("gan", load_sample("twinkle-twinkle"), {"style": "jazz"}, 0)
    assert caught.value.param == "style"
    assert caught.value.message == "Style must be one of 'chorale' or 'renaissance', not 'jazz'."


def test_inputs_over_32_bars_are_refused():
    with pytest.raises(GenerationInputError, match="the limit is 32 bars"):
        generate("gan", concatenate([load_sample("twinkle-twinkle")] * 5), {}, 0)


@needs_checkpoints
@pytest.mark.parametrize("style", list(STYLES))
def test_each_checkpoint_is_small_and_describes_itself(style):
    path = shipped_path("gan", style)
    meta = read_meta(path)
    assert path.stat().st_size < 10_000_000
    assert meta["config"]["style"] == style
    assert meta["data"]["corpus"] == STYLES[style].corpus
    assert meta["training"]["steps"] > 0


@needs_checkpoints
@pytest.mark.parametrize("style", list(STYLES))
@pytest.mark.parametrize("slug", [sample.slug for sample in list_samples()])
def test_every_sample_melody_comes_out_as_valid_midi(slug, style):
    given = load_sample(slug)
    assert_accompanied(given, generate("gan", given, {"style": style}, 0), style)


@needs_checkpoints
@pytest.mark.skipif(
    not DEEPCOMPOSER_FILES, reason=f"DeepComposer's files are not in {DEEPCOMPOSER}"
)
@pytest.mark.parametrize("style", list(STYLES))
@pytest.mark.parametrize("path", DEEPCOMPOSER_FILES, ids=lambda p: p.stem)
def test_every_deepcomposer_file_comes_out_as_valid_midi(path, style):
    given = read_midi_file(path)
    assert_accompanied(given, generate("gan", given, {"style": style}, 0), style)


@needs_checkpoints
def test_the_same_seed_gives_the_same_output():
    given = load_sample("deck-the-halls")
    assert generate("gan", given, {}, 5) == generate("gan", given, {}, 5)


@needs_checkpoints
@pytest.mark.parametrize("style", list(STYLES))
def test_a_32_bar_melody_is_accompanied_in_every_bar_and_across_every_seam(style):
    given = concatenate([load_sample("deck-the-halls")] * 4)
    assert given.bar_count == 32
    out = generate("gan", given, {"style": style}, 0)
    spb, bar = GanConfig().steps_per_beat, given.ticks_per_bar
    sounding = np.zeros(given.bar_count * bar, dtype=bool)
    for track in out.tracks[1:]:
        for note in track.notes:
            sounding[note.start : note.end] = True
    per_bar = sounding.reshape(given.bar_count, bar).mean(axis=1)
    assert per_bar.min() > 0.5, per_bar  # every bar is accompanied most of the time
    config = GanConfig()
    steps = prepare_melody(given, config).steps
    ticks_per_step = given.resolution // spb
    for seam in range(config.hop_steps + config.context_steps, steps, config.hop_steps):
        around = sounding[(seam - spb) * ticks_per_step : (seam + spb) * ticks_per_step]
        assert around.all(), f"silence at the seam at step {seam}"


@needs_checkpoints
@pytest.mark.parametrize("style", list(STYLES))
def test_the_voices_keep_the_styles_shortest_notes_and_rests_across_the_seams(style):
    given = concatenate([load_sample("greensleeves")] * 2)
    out = generate("gan", given, {"style": style}, 0)
    decoding = STYLES[style].decoding
    step = given.resolution // GanConfig().steps_per_beat
    end = max(n.end for n in given.tracks[0].notes)
    # The chorale style's sixteenth-note passing notes (written after decoding) are the one
    # thing shorter than the decoder's shortest note: half a step, and only where it writes them.
    shortest = step // 2 if decoding.sixteenths else decoding.min_note_steps * step
    for track in out.tracks[1:]:
        notes = sorted(track.notes)
        assert min(n.duration for n in notes) >= shortest
        short = [n for n in notes if n.duration < decoding.min_note_steps * step]
        assert all(n.duration == step // 2 for n in short)
        rests = [b.start - a.end for a, b in pairwise(notes) if b.start > a.end]
        assert min(rests, default=end) >= decoding.min_rest_steps * step
