"""The whole-tune critic, trained tiny on toy folk tunes so the tests stay fast."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from evaluation.critic_training import auroc
from evaluation.evaluate import _realism, evaluate_many
from evaluation.fakes import make_fake
from evaluation.profile import Profile, load_profile
from evaluation.tune_critic import (
    NOTE_FEATURES,
    TUNE_FEATURES,
    TuneCritic,
    TuneCriticConfig,
    estimate_key,
    melody,
    tune_features,
)
from evaluation.tune_critic_training import train_tune_critic
from music.score import Score
from tests.evaluation.builders import RES, build, part

C_MAJOR = (0, 2, 4, 5, 7, 9, 11)
TINY = replace(
    TuneCriticConfig(),
    channels=8,
    dilations=(1, 2),
    hidden=8,
    families=("time_reversed", "pitch_shuffled"),
    epochs=12,
    batch_size=16,
    lr=1e-2,
    fake_rounds=2,
)


def tune(seed: int, bars: int = 8) -> Score:
    """A toy folk tune in C major, 4/4: an eighth-note pickup, stepwise eighths and
    quarters where a leap up is filled by a step down, two-bar phrases ending on a long
    note and the last one on a long tonic."""
    rng = np.random.default_rng(seed)
    scale = [p for p in range(55, 86) if p % 12 in C_MAJOR]
    degree = scale.index(67)
    notes = [(-0.5, scale[degree], 0.5)]
    for phrase in range(bars // 2):
        beat = phrase * 8.0
        while beat < phrase * 8 + 6:
            length = float(rng.choice([0.5, 0.5, 1.0]))
            previous = notes[-1][1]
            if len(notes) > 1 and previous - notes[-2][1] >= 5:
                move = -1
            else:
                move = int(rng.choice([-1, -1, 1, 1, 0, 3, -2]))
            degree = int(np.clip(degree + move, 3, len(scale) - 4))
            notes.append((beat, scale[degree], length))
            beat += length
        final = 60 + 12 * (scale[degree] >= 72) if phrase == bars // 2 - 1 else scale[degree]
        notes.append((phrase * 8 + 6.0, final, 2.0))
    notes = [(s + 4.0, p, d) for s, p, d in notes]  # the pickup ends the first bar
    return build(part(*notes), resolution=RES)


def tunes(seeds: range) -> list[Score]:
    return [tune(seed) for seed in seeds]


@pytest.fixture(scope="module")
def trained() -> tuple[TuneCritic, dict]:
    torch.set_num_threads(1)
    return train_tune_critic(tunes(range(48)), tunes(range(48, 60)), config=TINY, seed=1)


def test_the_melody_is_the_highest_note_of_each_onset() -> None:
    score = build(part((0, 60, 1), (0, 64, 1), (1, 62, 1)), part((0, 67, 2), (2, 59, 1)))
    assert melody(score).tolist() == [[0, 67, 2 * RES], [RES, 62, 2 * RES], [2 * RES, 59, 3 * RES]]


def test_the_key_of_a_c_major_scale_is_c_major_and_a_minor_triad_is_minor() -> None:
    tonic, mode, clarity = estimate_key([60, 62, 64, 65, 67, 69, 71, 72], [2, 1, 1, 1, 1, 1, 1, 2])
    assert (tonic, mode) == (0, 0)
    assert clarity > 0.8
    assert estimate_key([57, 60, 64, 57], [2, 1, 1, 2])[:2] == (9, 1)


def test_features_do_not_change_under_transposition() -> None:
    score = tune(3)
    moved = replace(
        score,
        tracks=[
            replace(t, notes=[replace(n, pitch=n.pitch + 5) for n in t.notes]) for t in score.tracks
        ],
    )
    a, b = tune_features(score), tune_features(moved)
    assert a.notes.shape[1] == NOTE_FEATURES
    assert a.tune.shape == (TUNE_FEATURES,)
    np.testing.assert_array_equal(a.notes, b.notes)
    np.testing.assert_array_equal(a.tune, b.tune)


def test_a_silent_piece_has_one_blank_note() -> None:
    features = tune_features(Score())
    assert features.notes.shape == (1, NOTE_FEATURES)
    assert not features.notes.any()


def test_training_lowers_the_loss_and_calibrates(trained: tuple[TuneCritic, dict]) -> None:
    critic, log = trained
    assert log["losses"][-1] < log["losses"][0]
    assert set(log["val_auroc"]) == {"time_reversed", "pitch_shuffled"}
    # Toy tunes separate perfectly, so calibration sharpens (a temperature below 1).
    assert 0 < critic.temperature < 20


def test_it_separates_held_out_tunes_from_reversed_and_shuffled_ones(
    trained: tuple[TuneCritic, dict],
) -> None:
    critic, _ = trained
    held_out = tunes(range(100, 130))
    rng = np.random.default_rng(99)
    real = critic.p_real(held_out)
    for family in ("time_reversed", "pitch_shuffled"):
        fakes = critic.p_real([make_fake(family, s, rng) for s in held_out])
        assert auroc(real, fakes) > 0.9, family


def test_it_survives_a_save_and_load_round_trip(
    trained: tuple[TuneCritic, dict], tmp_path: Path
) -> None:
    critic, _ = trained
    critic.save(tmp_path / "tune_critic.pt")
    loaded = TuneCritic.load(tmp_path / "tune_critic.pt")
    pieces = tunes(range(200, 204))
    np.testing.assert_array_equal(loaded.p_real(pieces), critic.p_real(pieces))
    assert loaded.temperature == critic.temperature
    assert loaded.net.config == critic.net.config


def test_realism_needs_the_windows_and_the_tune_to_look_real() -> None:
    p_windows, distances = np.array([0.9, 0.8]), np.zeros(2)
    assert _realism(p_windows, distances, 1.0).value == pytest.approx(0.8)
    assert _realism(p_windows, distances, 1.0, tune_p=0.1).value == pytest.approx(0.1)
    assert _realism(p_windows, distances, 1.0, tune_p=0.95).value == pytest.approx(0.8)


def test_a_profile_with_a_tune_critic_saves_it_and_scores_with_it(
    trained: tuple[TuneCritic, dict], tmp_path: Path
) -> None:
    shipped = load_profile("bach-chorales")
    critic, _ = trained
    profile = replace(shipped, tune_critic=critic)
    profile.save(tmp_path / "p")
    loaded = Profile.load(tmp_path / "p")
    assert loaded.tune_critic is not None
    assert loaded.digest != shipped.digest
    pieces = [tune(300), make_fake("time_reversed", tune(300), np.random.default_rng(0))]
    reports = evaluate_many(pieces, loaded)
    for report in reports:
        details = report.details
        assert details["tune_p_real"] is not None
        expected = min(details["windows_realism"], details["tune_p_real"])
        assert report.components["realism"] == pytest.approx(expected, abs=1e-4)
