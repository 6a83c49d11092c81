"""The GAN: networks, lines and runs, key moves, windows and seams, training, checkpoints."""

import json
from dataclasses import replace

import numpy as np
import pytest
import torch

from generation.checkpoint import load_checkpoint, parameter_count, save_checkpoint
from generation.gan.baseline import harmonise
from generation.gan.constraints import cadence_holds, phrase_bias, still_steps
from generation.gan.decoding import runs
from generation.gan.lines import key_shift, line, to_columns
from generation.gan.model import (
    DEEPCOMPOSER_CONFIG,
    VOICES,
    GanConfig,
    Generator,
    accompany,
    accompany_melody,
    generator_input,
    prepare_melody,
    window_starts,
)
from generation.gan.styles import STYLES
from generation.gan.training import Critic, GanTrainer, VoiceWindows, condition, voice_loss
from generation.training import TrainOptions
from music.catalogue import list_samples, load_sample
from music.corpus import CorpusPiece
from music.score import Note, Score, Track
from music.transforms import concatenate, transpose

TINY = GanConfig(base_channels=4, depth=2, z_channels=2, critic_channels=4, pretrain_steps=0)


pytestmark = pytest.mark.usefixtures("one_thread")


def model(config=TINY, seed=0):
    torch.manual_seed(seed)
    return Generator(config).eval()


def scale_melody(bars=8):
    notes = [Note(i * 480, 60 + (0, 2, 4, 5, 7, 5, 4, 2)[i % 8], 480, 90) for i in range(4 * bars)]
    return Score([Track(notes, name="Melody")], resolution=480, tempo=100.0)


def four_part_pieces():
    """Small four-part training pieces without the corpus: samples under the baseline."""
    return [
        CorpusPiece(sample.slug, "", sample.title, harmonise(load_sample(sample.slug)))
        for sample in list_samples()[:6]
    ]


def test_the_generator_gives_pitch_or_rest_and_onset_logits_per_voice_and_step():
    net = model()
    x = torch.zeros(2, 11, TINY.window_steps, TINY.pitches)
    pitch, onset = net(x, torch.randn(net.noise_shape(2)))
    assert pitch.shape == (2, VOICES, TINY.window_steps, 1 + TINY.pitches)
    assert onset.shape == (2, VOICES, TINY.window_steps)


def test_the_critic_gives_one_number_per_window():
    critic = Critic(TINY)
    assert critic(torch.zeros(3, 10, TINY.window_steps, TINY.pitches)).shape == (3,)


def test_the_shipped_size_is_far_below_deepcomposers():
    ours = parameter_count(Generator(GanConfig()))
    theirs = parameter_count(Generator(DEEPCOMPOSER_CONFIG))
    assert ours < 500_000
    assert 8_000_000 < theirs < 9_000_000  # their U-Net: 8.3 M


def test_a_line_keeps_the_top_pitch_and_marks_repeated_notes():
    notes = [Note(0, 60, 480), Note(480, 60, 480), Note(480, 64, 240), Note(960, 62, 960)]
    pitches, onsets = line(notes, 8, 2, 480)
    assert pitches.tolist() == [60, 60, 64, 60, 62, 62, 62, 62]
    assert onsets.tolist() == [True, False, True, True, True, False, False, False]
    lowest, _ = line(notes, 8, 2, 480, lowest=True)
    assert lowest.tolist()[2] == 60


def test_runs_merge_short_notes_and_keep_repeated_ones():
    columns = np.array([5, 5, 7, 5, 5, -1, 5, 5])
    onsets = np.array([1, 0, 1, 1, 0, 0, 1, 0], dtype=bool)
    assert runs(columns, onsets, 1) == [[5, 0, 2], [7, 2, 3], [5, 3, 5], [-1, 5, 6], [5, 6, 8]]
    assert runs(columns, onsets, 2) == [[5, 0, 3], [5, 3, 6], [5, 6, 8]]


def test_the_key_move_takes_any_key_signature_to_c():
    for tonic in range(12):
        notes = [Note(i * 480, 60 + tonic + step, 480) for i, step in enumerate((0, 2, 4, 5, 7))]
        shift = key_shift(notes)
        assert -6 <= shift <= 5
        assert (tonic + shift) % 12 == 0


def test_columns_fold_by_octaves_into_the_grid():
    columns = to_columns(np.array([-1, 28, 27, 91, 92, 130]), 28, 64)
    assert columns.tolist() == [-1, 0, 11, 63, 52, 54]


def test_windows_overlap_by_the_context_and_reach_the_end():
    config = GanConfig()
    assert window_starts(32, config) == [0]
    assert window_starts(256, config) == list(range(0, 241, 24))  # 11 windows for 32 bars
    assert window_starts(256, config)[-1] + config.window_steps >= 256


def test_training_windows_are_four_lines_of_the_pieces():
    windows = VoiceWindows(four_part_pieces(), TINY)
    batch = windows.sample(5, np.random.default_rng(0))
    assert batch.melody.shape == (5, TINY.window_steps)
    assert batch.voices.shape == (5, VOICES, TINY.window_steps)
    assert generator_input(batch, TINY.pitches).shape == (5, 11, TINY.window_steps, TINY.pitches)
    assert condition(batch, TINY.pitches).shape == (5, 4, TINY.window_steps, TINY.pitches)
    assert (batch.melody >= 0).any()
    assert (batch.voices >= 0).any()


def test_a_tiny_gan_trains_and_its_critic_learns_to_tell_real_from_fake():
    torch.manual_seed(0)
    windows = VoiceWindows(four_part_pieces(), TINY)
    trainer = GanTrainer(TINY, windows, TrainOptions(batch_size=8, lr=1e-3))
    first = trainer.step(0)
    for index in range(1, 12):
        last = trainer.step(index)
    assert set(first) == {"critic", "wasserstein", "gp", "generator", "loss"}
    assert all(np.isfinite(v) for v in last.values())
    assert last["wasserstein"] > first["wasserstein"]  # the critic separates them early on
    assert last["critic"] < first["critic"]


def test_save_and_load_give_the_same_accompaniment(tmp_path):
    net = model(replace(TINY, melody_center=67))
    save_checkpoint(net, net.config, tmp_path / "gan-test.pt", {"note": "test"})
    loaded, config, meta = load_checkpoint(tmp_path / "gan-test.pt", GanConfig, Generator)
    assert config == net.config
    assert meta["note"] == "test"
    style = STYLES["chorale"]
    given = scale_melody()
    assert accompany(given, loaded, style, 3) == accompany(given, net, style, 3)


def test_the_output_is_the_melody_unchanged_plus_three_voices_in_the_styles_programs():
    given = scale_melody()
    for name, style in STYLES.items():
        out = accompany(given, model(), style, 0)
        assert len(out.tracks) == 4
        assert out.tracks[0] == given.tracks[0]
        assert [t.program for t in out.tracks[1:]] == [i.program for i in style.instruments]
        assert [t.name for t in out.tracks[1:]] == [i.name for i in style.instruments], name


def test_the_same_seed_gives_the_same_output():
    given = scale_melody()
    style = STYLES["chorale"]
    assert accompany(given, model(), style, 7) == accompany(given, model(), style, 7)


def test_long_inputs_are_accompanied_window_by_window_with_the_context_carried():
    net = model()
    melody = prepare_melody(concatenate([scale_melody()] * 4), net.config)  # 32 bars
    voices, onsets = accompany_melody(net, melody, 0)
    assert voices.shape == onsets.shape == (VOICES, 256)
    # Changing only the first window's noise changes what follows: the seams carry context.
    other, _ = accompany_melody(net, melody, 1)
    assert not np.array_equal(voices[:, 32:], other[:, 32:])


def test_a_transposed_melody_gets_the_transposed_accompaniment_before_the_ranges():
    # The voices' ranges are in absolute pitch, so only the decoding without them is
    # exactly the same in every key; the final chord moves with the key.
    given, decoding = scale_melody(), STYLES["chorale"].decoding
    melody = prepare_melody(given, TINY)
    moved = prepare_melody(transpose(given, 5), TINY)
    assert melody.ending is not None
    assert moved.ending is not None
    assert moved.ending.tonic == (melody.ending.tonic + 5) % 12
    ours = accompany_melody(model(), melody, 0, decoding)
    theirs = accompany_melody(model(), moved, 0, decoding)
    assert np.array_equal(ours[0], theirs[0])
    assert np.array_equal(ours[1], theirs[1])


def test_a_long_tonic_note_inside_the_melody_is_a_phrase_end_where_the_bass_wants_the_tonic():
    notes = [Note(i * 480, p, 480, 90) for i, p in enumerate((60, 62, 64, 65, 67, 65, 64, 62))]
    notes += [Note(3840, 60, 960, 90), Note(4800, 62, 480, 90), Note(5280, 60, 1920, 90)]
    melody = prepare_melody(Score([Track(notes)], resolution=480), TINY)
    assert melody.tonic == 0
    assert melody.phrase_ends == [(16, 20)]  # the half note C, not the final C
    classes = (np.arange(TINY.pitches) + TINY.low_pitch - melody.move) % 12
    bias = phrase_bias(melody.phrase_ends, classes == melody.tonic, (VOICES, melody.steps), 0.5)
    assert bias is not None
    assert not bias[:2].any()  # only the bass
    assert (bias[2, 16:20, 1:][:, classes == 0] == 0).all()
    assert (bias[2, 16:20, 1:][:, classes != 0] == -0.5).all()
    assert (bias[2, 16:20, 0] == -0.5).all()  # resting is off the tonic too
    assert not bias[2, :16].any()
    assert phrase_bias(melody.phrase_ends, classes == 0, (VOICES, melody.steps), 0.0) is None


def test_the_voices_hold_under_a_phrases_long_last_note():
    # C D E(half) F G(half) A B C D(dotted half) C(whole), in C major: the half E on the
    # tonic triad ends a phrase; the half G does too by its pitch, but the E began less
    # than four beats before it (a tune's long-short pattern); the three-beat D ends one
    # by its length, off the triad, and so does the last note.
    beats = ((60, 1), (62, 1), (64, 2), (65, 1), (67, 2), (69, 1), (71, 1), (72, 1), (62, 3))
    notes, tick = [], 0
    for pitch, length in (*beats, (60, 4)):
        notes.append(Note(tick, pitch, 480 * length, 90))
        tick += 480 * length
    melody = prepare_melody(Score([Track(notes)], resolution=480), TINY)
    assert melody.tonic == 0
    assert melody.holds == [(4, 8), (20, 26), (26, 34)]
    assert cadence_holds(notes, (0, "minor"), 480, 2, 480) == [(20, 26), (26, 34)]
    without_e = [replace(n, duration=480) if n.pitch == 64 else n for n in notes]
    assert (10, 14) in cadence_holds(without_e, (0, "major"), 480, 2, 480)
    assert still_steps([(2, 5), (6, 7)], 8).tolist() == [0, 0, 0, 1, 1, 0, 0, 0]


def test_voice_context_training_gives_some_voices_whole_and_learns_only_the_others():
    config = replace(TINY, voice_context=True, voice_context_pct=100.0, context_pct=0.0)
    batch = VoiceWindows(four_part_pieces(), config).sample(8, np.random.default_rng(0))
    assert batch.mask.shape == (8, VOICES, config.window_steps)
    given = batch.mask.amax(-1)  # (B, V): voices given whole
    assert (given.sum(1) >= 1).all()
    assert (given.sum(1) <= VOICES - 1).all()
    assert (batch.mask.amin(-1) == given).all()  # a given voice is given on every step
    planes = generator_input(batch, config.pitches, per_voice=True)
    assert planes.shape[1] == config.generator_inputs == 13  # a mask plane per voice
    net = model(config)
    with torch.no_grad():
        pitch_logits, onset_logits = net(planes, torch.zeros(net.noise_shape(8)))
    # The cross-entropy reads only the voices to generate: the given ones cannot move it.
    loss = voice_loss(pitch_logits, onset_logits, batch)
    scrambled = pitch_logits.clone()
    scrambled[given.bool()] = torch.randn_like(scrambled[given.bool()])
    assert voice_loss(scrambled, onset_logits, batch) == pytest.approx(loss.item())


def test_a_voice_context_generator_generates_each_voice_again_given_the_others():
    net = model(replace(TINY, voice_context=True))
    melody = prepare_melody(concatenate([scale_melody()] * 2), net.config)
    once = replace(STYLES["chorale"].decoding, regenerate_rounds=0)
    again = replace(once, regenerate_rounds=1)
    first, _ = accompany_melody(net, melody, 0, once)
    second, second_onsets = accompany_melody(net, melody, 0, again)
    assert not np.array_equal(first, second)  # the second round rewrote voices
    repeat, repeat_onsets = accompany_melody(net, melody, 0, again)
    assert np.array_equal(second, repeat)
    assert np.array_equal(second_onsets, repeat_onsets)
    # A generator without voice context has nothing to regenerate with: rounds are ignored.
    plain = model()
    plain_melody = prepare_melody(concatenate([scale_melody()] * 2), plain.config)
    assert np.array_equal(
        accompany_melody(plain, plain_melody, 0, once)[0],
        accompany_melody(plain, plain_melody, 0, again)[0],
    )


def test_a_checkpoint_saved_before_voice_context_loads_without_it(tmp_path):
    net = model(replace(TINY, melody_center=67))
    save_checkpoint(net, net.config, tmp_path / "gan-old.pt", {})
    meta_file = tmp_path / "gan-old.json"
    meta = json.loads(meta_file.read_text())
    del meta["config"]["voice_context"], meta["config"]["voice_context_pct"]
    meta_file.write_text(json.dumps(meta))
    _loaded, config, _ = load_checkpoint(tmp_path / "gan-old.pt", GanConfig, Generator)
    assert config.voice_context is False
    assert config == net.config
    meta["config"]["renamed_field"] = 1  # any other mismatch is still an error
    meta_file.write_text(json.dumps(meta))
    with pytest.raises(ValueError, match="renamed_field"):
        load_checkpoint(tmp_path / "gan-old.pt", GanConfig, Generator)
