"""The AR-CNN: network shapes, loss, damage, windows, the sampler's quotas and determinism."""

from dataclasses import replace

import numpy as np
import pytest
import torch

from generation.arcnn.model import (
    DEEPCOMPOSER_CONFIG,
    ArCnn,
    ArcnnConfig,
    damage,
    edit,
    edit_loss,
    edit_roll,
    fused_for_inference,
    iteration_schedule,
    plan_windows,
    random_edits,
    train,
)
from generation.checkpoint import load_checkpoint, parameter_count, save_checkpoint
from generation.rolls import to_grid
from generation.training import TrainOptions, adamw, clip_and_step
from music.score import Note, Score, Track

TINY = ArcnnConfig(base_channels=4, depth=2, window_steps=32, low_pitch=48, high_pitch=80)
PARAMS = {
    "max_input_notes_to_remove": 100,
    "max_notes_to_add": 500,
    "sampling_iterations": 100,
    "creative_risk": 1.0,
}


@pytest.fixture(autouse=True)
def one_thread():
    """One thread, as in production workers: tiny convolutions only lose time to threading."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def model(config=TINY, seed=0):
    torch.manual_seed(seed)
    return ArCnn(config).eval()


def melody(bars=8, tempo=100.0, program=0):
    notes = [Note(i * 480, 60 + (0, 2, 4, 5, 7, 5, 4, 2)[i % 8], 480, 90) for i in range(4 * bars)]
    return Score([Track(notes, program=program)], resolution=480, tempo=tempo)


def roll(seed=0, steps=128, pitches=64, density=0.05):
    return np.random.default_rng(seed).random((steps, pitches)) < density


def test_the_network_maps_a_roll_to_logits_of_the_same_shape():
    for steps in (128, 256):
        x = torch.zeros(3, steps, 64)
        assert model(ArcnnConfig())(x).shape == (3, steps, 64)


def test_sizes_ours_and_deepcomposers():
    assert parameter_count(ArCnn(ArcnnConfig())) < 2_000_000  # under 4 MB in fp16
    assert 31_000_000 < parameter_count(ArCnn(DEEPCOMPOSER_CONFIG)) < 32_000_000


def test_folding_batch_norm_does_not_change_the_output():
    net = model(ArcnnConfig())
    for module in net.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            assert module.running_mean is not None
            assert module.running_var is not None
            module.running_mean.uniform_(-1, 1)
            module.running_var.uniform_(0.5, 2)
    x = torch.from_numpy(roll()).float()[None]
    with torch.no_grad():
        assert torch.allclose(net(x), fused_for_inference(net)(x), atol=1e-5)


def test_the_loss_is_zero_when_all_mass_is_on_the_damaged_cells():
    original = torch.zeros(1, 4, 4, dtype=torch.bool)
    damaged = original.clone()
    damaged[0, 1, 2] = True
    perfect = torch.full((1, 4, 4), -1e4)
    perfect[0, 1, 2] = 0.0
    assert edit_loss(perfect, damaged, original).item() == pytest.approx(0.0, abs=1e-6)
    assert edit_loss(torch.zeros(1, 4, 4), damaged, original).item() == pytest.approx(np.log(16))


def test_damage_always_leaves_something_to_repair():
    voices = np.zeros((5, 4, 32, 32), dtype=bool)
    voices[:, 0, :, 10] = True
    damaged, original = damage(voices, np.random.default_rng(0), TINY)
    assert damaged.shape == original.shape == (5, 32, 32)
    assert (damaged != original).reshape(5, -1).any(axis=1).all()
    assert original[:, :, 10].all()


def test_a_tiny_model_learns_to_find_the_damage():
    torch.manual_seed(0)
    net = ArCnn(TINY)
    options = TrainOptions(lr=1e-2, warmup_steps=0)
    optimizer = adamw(net, options)
    voices = np.zeros((8, 4, 32, 32), dtype=bool)
    for voice, pitch in enumerate((8, 12, 15, 20)):
        voices[:, voice, :, pitch] = True
    damaged, original = (
        torch.from_numpy(a) for a in damage(voices, np.random.default_rng(1), TINY)
    )
    losses = []
    for _ in range(30):
        loss = edit_loss(net(damaged.float()), damaged, original)
        clip_and_step(net, optimizer, loss, options)
        losses.append(loss.item())
    assert losses[-1] < 0.7 * losses[0]


def test_windows_own_every_step_exactly_once():
    for steps in (48, 128, 144, 384, 512):
        plan = plan_windows(steps, 128, 64)
        owned = np.concatenate([np.arange(w.own_from, w.own_to) for w in plan])
        assert np.array_equal(owned, np.arange(steps))
        assert all(w.start <= w.own_from and w.own_to <= w.start + 128 for w in plan)


def test_iterations_are_per_8_bars_and_spread_over_the_windows():
    assert iteration_schedule(plan_windows(128, 128, 64), 100, 128) == [0] * 100
    assert len(iteration_schedule(plan_windows(64, 128, 64), 100, 128)) == 100
    schedule = iteration_schedule(plan_windows(512, 128, 64), 100, 128)
    assert len(schedule) == 400
    assert np.bincount(schedule).tolist() == [75, 50, 50, 50, 50, 50, 75]
    assert set(schedule[:7]) == set(range(7))  # round-robin, not one window after another


def sampled(net, start, **overrides):
    params = {**PARAMS, **overrides}
    return edit_roll(net, start, rng=np.random.default_rng(0), window=32, hop=16, **params)


def test_no_iterations_or_no_allowance_changes_nothing():
    start = roll(steps=64, pitches=32)
    net = model()
    assert np.array_equal(sampled(net, start, sampling_iterations=0), start)
    frozen = sampled(net, start, max_input_notes_to_remove=0, max_notes_to_add=0)
    assert np.array_equal(frozen, start)


def test_quotas_bound_removals_and_additions():
    start = roll(steps=64, pitches=32, density=0.2)
    for net in (model(), None):
        only_removals = sampled(net, start, max_notes_to_add=0, sampling_iterations=200)
        assert not (only_removals & ~start).any()
        assert (start & ~only_removals).sum() > 0
        bounded = sampled(
            net, start, max_input_notes_to_remove=10, max_notes_to_add=7, sampling_iterations=200
        )
        assert (start & ~bounded).sum() <= int(0.1 * start.sum())
        assert (bounded & ~start).sum() <= 7


def test_same_seed_same_output_different_seed_different():
    net = fused_for_inference(model(replace(ArcnnConfig(), base_channels=4)))
    score = melody()
    first = edit(score, PARAMS, 1, net)
    assert edit(score, PARAMS, 1, net) == first
    assert edit(score, PARAMS, 2, net) != first


def test_output_keeps_tempo_meter_program_and_length():
    score = melody(bars=12, tempo=87.0, program=19)
    out = edit(score, PARAMS, 0, model(replace(ArcnnConfig(), base_channels=4)))
    assert (out.tempo, out.time_signature, out.resolution) == (87.0, (4, 4), 480)
    assert [t.program for t in out.tracks] == [19]
    assert out.bar_count <= 12


def test_the_baseline_edits_at_random_within_the_quotas():
    score = melody()
    out = random_edits(score, {**PARAMS, "max_notes_to_add": 20}, 0)
    config = ArcnnConfig()
    before, after = (
        to_grid(s, config.steps_per_beat, (config.low_pitch, config.high_pitch)).roll
        for s in (score, out)
    )
    assert out != score
    assert (after & ~before).sum() <= 20  # the quota counts cells, as DeepComposer's does


def test_checkpoint_round_trip_gives_identical_edits(tmp_path):
    net = model()
    path = tmp_path / "arcnn.pt"
    save_checkpoint(net, TINY, path, {"data": {}})
    loaded, config, _ = load_checkpoint(path, ArcnnConfig, ArCnn)
    assert config == TINY
    start = roll(steps=64, pitches=32)
    assert np.array_equal(sampled(net, start), sampled(loaded, start))


def test_training_end_to_end_writes_weights_meta_and_curve(tmp_path):
    out = tmp_path / "arcnn.pt"
    options = TrainOptions(
        steps=3, eval_every=2, eval_batches=1, batch_size=4, threads=1, progress=False
    )
    meta = train(TINY, options, out)
    assert out.exists()
    assert (tmp_path / "arcnn" / "loss_curve.png").exists()
    assert meta["training"]["steps"] == 3
    assert meta["data"]["train_split"]["pieces"] > meta["data"]["validation_split"]["pieces"] > 0
    loaded, _, _ = load_checkpoint(out, ArcnnConfig, ArCnn)
    assert parameter_count(loaded) == meta["parameters"]


def test_a_coarse_resolution_is_refined_so_grid_steps_are_whole_ticks():
    coarse = Score([Track([Note(i, 60 + i, 1) for i in range(16)])], resolution=1)
    config = replace(ArcnnConfig(), base_channels=4)
    out = edit(coarse, PARAMS, 0, model(config))
    assert out.resolution == config.steps_per_beat
    assert all(n.duration > 0 for n in out.all_notes())


def test_dropped_voices_can_keep_part_of_their_cells():
    voices = np.zeros((40, 4, 32, 32), dtype=bool)
    for voice, pitch in enumerate((8, 12, 15, 20)):
        voices[:, voice, :, pitch] = True
    config = replace(TINY, voice_drop_pct=100.0, dropped_voice_keep_max_pct=80.0, add_max_pct=0.0)
    damaged, original = damage(voices, np.random.default_rng(0), replace(config, add_min_pct=0.0))
    kept = damaged[:, :, (8, 12, 15, 20)].mean(axis=1)  # (windows, voices): share still sounding
    assert not (damaged & ~original).any()  # no noise asked for: only removals
    assert ((kept > 0) & (kept < 1)).any()  # some voices are partly there, as mid-edit
    assert (kept == 1).any(axis=1).all()  # and every window keeps at least one whole voice
