"""The shipped AR-CNN on real inputs: every sample melody, every DeepComposer file, and
the parameters' extremes."""

from dataclasses import replace
from pathlib import Path

import pytest

from generation.arcnn.cells import final_chord_of
from generation.checkpoint import read_meta, shipped_path
from generation.registry import ARCNN_PARAMS, generate
from music.catalogue import list_samples, load_sample
from music.midi_io import read_midi_file, score_from_midi, score_to_midi
from music.score import Note, Score, Track
from music.transforms import concatenate, transpose
from music.validate import validate_midi

SHIPPED = shipped_path("arcnn")
DEEPCOMPOSER = Path(__file__).resolve().parents[2].parent / "shared" / "testdata" / "deepcomposer"
DEEPCOMPOSER_FILES = sorted(DEEPCOMPOSER.glob("input_*.mid")) if DEEPCOMPOSER.is_dir() else []

pytestmark = pytest.mark.usefixtures("one_thread")


def assert_valid(given, out, assert_four_voices):
    assert_four_voices(out)
    back = validate_midi(score_to_midi(out))  # within the upload limits, so it can be fed back
    assert back.tempo == pytest.approx(given.tempo, rel=1e-3)
    assert out.time_signature == given.time_signature
    assert out.end_tick <= given.end_tick + given.resolution  # at most a beat of rounding


def assert_final_chord(given, out):
    """Where the melody asks for a final chord, the piece ends on it: the tonic triad
    over the tonic."""
    final = final_chord_of(given, 2)
    if final is not None:
        assert sorted(out.tracks[3].notes)[-1].pitch % 12 == final.tonic
        assert {sorted(t.notes)[-1].pitch % 12 for t in out.tracks} <= final.chord


def test_the_checkpoint_is_small_clean_and_describes_itself():
    meta = read_meta(SHIPPED)
    assert SHIPPED.stat().st_size < 10_000_000
    assert meta["config_class"] == "ArcnnConfig"
    assert meta["data"]["corpus"] == "bach-chorales"
    assert meta["training"]["steps"] > 0
    assert not meta["git_revision"].endswith("+dirty")  # trained from a commit


@pytest.mark.parametrize("slug", [sample.slug for sample in list_samples()])
def test_every_sample_melody_becomes_four_voices(slug, assert_four_voices):
    given = load_sample(slug)
    out = generate("arcnn", given, {}, 0)
    assert_valid(given, out, assert_four_voices)
    assert_final_chord(given, out)  # 19 of the 20 ask for one


@pytest.mark.skipif(
    not DEEPCOMPOSER_FILES, reason=f"DeepComposer's files are not in {DEEPCOMPOSER}"
)
@pytest.mark.parametrize("path", DEEPCOMPOSER_FILES, ids=lambda p: p.stem)
def test_every_deepcomposer_input_becomes_four_voices(path, assert_four_voices):
    given = read_midi_file(path)
    out = generate("arcnn", given, {}, 0)
    assert_valid(given, out, assert_four_voices)
    assert_final_chord(given, out)


def test_the_output_can_be_fed_back_in(assert_four_voices):
    given = load_sample("twinkle-twinkle")
    first = generate("arcnn", given, {}, 0)
    again = generate("arcnn", score_from_midi(score_to_midi(first)), {}, 1)
    assert_valid(given, again, assert_four_voices)
    assert again.tracks[1:] != first.tracks[1:]  # the default rewrites the lower voices


def test_same_seed_same_output_different_seed_different():
    given = load_sample("deck-the-halls")
    assert generate("arcnn", given, {}, 5) == generate("arcnn", given, {}, 5)
    assert generate("arcnn", given, {}, 5) != generate("arcnn", given, {}, 6)


def test_a_32_bar_input_gets_four_voices_from_its_first_bar_to_its_last(assert_four_voices):
    melody = load_sample("ode-to-joy")  # 16 bars
    given = concatenate([melody, melody])
    assert given.bar_count == 32
    out = generate("arcnn", given, {}, 0)
    assert_valid(given, out, assert_four_voices)
    eight_bars = given.ticks_per_bar * 8
    for track in out.tracks:
        quarters = {n.start // eight_bars for n in track.notes}
        assert quarters == {0, 1, 2, 3}, track.name


def test_a_melody_with_a_note_at_the_top_of_midi_comes_out_writable():
    # Twinkle an octave down fits the soprano's range best an octave up; one of its notes
    # at 120 would then be 132, and the job failed writing its output. The melody stays.
    melody = transpose(load_sample("twinkle-twinkle"), -12)
    notes = sorted(melody.tracks[0].notes)
    notes[6] = replace(notes[6], pitch=120)
    melody.tracks[0].notes = notes
    out = generate("arcnn", melody, {}, 0)
    assert all(0 <= n.pitch <= 127 for track in out.tracks for n in track.notes)
    validate_midi(score_to_midi(out))


def test_a_lone_note_after_a_rest_comes_out_with_four_voices():
    # One bar whose only note is a C on its last beat. The network deleted that note for
    # most seeds, and wrote only rests under the silence: the job saved an empty piece.
    given = Score([Track([Note(1440, 72, 480)])], resolution=480, tempo=120.0)
    for seed in range(4):
        out = generate("arcnn", given, {}, seed)
        assert len(out.tracks) == 4
        assert all(track.notes for track in out.tracks)
        assert (1440, 480) in {(n.start, n.duration) for n in out.tracks[0].notes}
        validate_midi(score_to_midi(out))


def test_an_odd_resolution_near_midis_limit_comes_out_writable():
    # An upload at 32767 ticks per beat (odd: no whole-tick eighth-note step) was doubled
    # to 65534, past what a MIDI file can hold: the job failed writing its output, and
    # failed again on every retry.
    beat = 32767
    pitches = [60, 62, 64, 65, 67, 65, 64, 62, 60, 64, 67, 72, 67, 64, 62, 60]
    notes = [Note(i * beat, pitch, beat) for i, pitch in enumerate(pitches)]
    given = validate_midi(score_to_midi(Score([Track(notes)], resolution=beat)))
    out = generate("arcnn", given, {}, 0)
    back = validate_midi(score_to_midi(out))
    assert len(back.tracks) == 4
    assert all(track.notes for track in back.tracks)
    melody = sorted(back.tracks[0].notes)
    assert [round(n.start / back.resolution, 3) for n in melody] == list(range(len(pitches)))
    assert back.end_tick == len(pitches) * back.resolution


@pytest.mark.slow
@pytest.mark.parametrize("which", ["minimum", "maximum"])
def test_every_parameter_at_its_extremes_finishes_on_32_bars(which):
    melody = load_sample("ode-to-joy")
    given = concatenate([melody, melody])
    params = {p.name: p.minimum if which == "minimum" else p.maximum for p in ARCNN_PARAMS.params}
    out = generate("arcnn", given, params, 0)
    validate_midi(score_to_midi(out))
    if which == "minimum":  # no iterations: nothing changes
        assert out == generate("arcnn", given, {"sampling_iterations": 0}, 0)
