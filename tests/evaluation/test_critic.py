"""The realism critic ensemble, trained tiny on synthetic chorales so the tests stay fast."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
import torch

from evaluation.critic import ChromaBranch, Critic, CriticConfig, CriticEnsemble, CriticOutput
from evaluation.critic_training import (
    WindowSet,
    _critic_families,
    _family_chances,
    auroc,
    check_config,
    fit_temperature,
    train_ensemble,
)
from evaluation.fakes import BUILTIN, DEGENERATE, HARD, TRAINING
from evaluation.windows import WindowSpec, score_windows
from tests.evaluation.builders import chorale

TINY = CriticConfig(
    channels=(4, 6, 8, 8),
    chroma_channels=(4, 6),
    embed_dim=8,
    n_critics=2,
    families=("cluster", "near_empty", "time_reversed", "out_of_key"),
    held_out=1,
    epochs=6,
    batch_size=16,
    lr=1e-2,
    fake_rounds=1,
    fake_windows_per_piece=3,
)


def pieces(seeds: range) -> list:
    return [chorale(seed, bars=6) for seed in seeds]


@pytest.fixture(scope="module")
def trained() -> tuple[CriticEnsemble, dict]:
    torch.set_num_threads(1)
    return train_ensemble(
        pieces(range(8)), pieces(range(8, 11)), config=TINY, seed=3, progress=False
    )


@pytest.fixture(scope="module")
def windows() -> np.ndarray:
    return np.concatenate([score_windows(p) for p in pieces(range(20, 23))])


def test_a_critic_gives_a_logit_and_an_embedding_per_window():
    critic = Critic(CriticConfig(embed_dim=12))
    logits, embeddings = critic(torch.zeros(5, 2, 64, 88))
    assert logits.shape == (5,)
    assert embeddings.shape == (5, 12)


def test_the_chroma_branch_does_not_care_about_the_key():
    branch = ChromaBranch(WindowSpec(), (4, 6))
    x = torch.zeros(3, 2, 64, 88)
    x[:, :, ::3, 30:70:5] = 1
    x[:, 1, ::6, 44] = 1
    for shift in (1, 5, 12):
        moved = torch.roll(x, shift, dims=3)
        torch.testing.assert_close(branch(moved), branch(x))


def test_training_lowers_the_loss_of_every_critic(trained):
    _, log = trained
    assert len(log["critics"]) == 2
    for critic in log["critics"]:
        assert len(critic["losses"]) == TINY.epochs
        assert critic["losses"][-1] < critic["losses"][0]


def test_the_log_reports_validation_auroc_per_family(trained):
    _, log = trained
    assert set(log["val_auroc"]) == set(TINY.families)
    assert set(log["val_auroc_pieces"]) == set(TINY.families)
    assert all(0.0 <= v <= 1.0 for v in log["val_auroc"].values())
    assert log["val_auroc"]["cluster"] > 0.9
    assert log["seconds"] > 0
    json.dumps(log)


def test_each_critic_sees_every_degenerate_family_and_holds_one_scrambled_one_out(trained):
    _, log = trained
    for critic in log["critics"]:
        assert {"cluster", "near_empty"} <= set(critic["families"])
        assert len(critic["held_out"]) == 1
        assert critic["held_out"][0] in ("time_reversed", "out_of_key")


def test_held_out_families_rotate_over_the_critics():
    config = CriticConfig(n_critics=5, held_out=1)
    chosen = _critic_families(config, np.random.default_rng(0))
    held = [set(BUILTIN) - set(families) for families in chosen]
    assert all(len(h) == 1 for h in held)
    assert len(set().union(*held)) == 5
    assert all(set(DEGENERATE) <= set(families) for families in chosen)


def test_every_critic_sees_the_hard_negatives_whatever_is_held_out():
    config = CriticConfig(families=(*BUILTIN, *HARD), n_critics=6, held_out=2)
    for families in _critic_families(config, np.random.default_rng(1)):
        assert set(HARD) <= set(families)
        assert len(families) == len(BUILTIN) + len(HARD) - 2


def test_weighted_families_are_drawn_as_often_as_their_weight_says():
    config = CriticConfig(family_weights=(("cento", 3.0), ("wrong_notes", 0.5)))
    chances = _family_chances(config, ["cento", "cluster", "wrong_notes"])
    np.testing.assert_allclose(chances, [3 / 4.5, 1 / 4.5, 0.5 / 4.5])
    even = _family_chances(replace(config, family_weights=()), ["cento", "cluster"])
    np.testing.assert_allclose(even, [0.5, 0.5])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"families": ("cluster", "gan")}, "gan"),
        ({"real_augmentations": ("reverb",)}, "reverb"),
        ({"family_weights": (("transformer", 1.0),)}, "transformer"),
        ({"family_weights": (("cento", 0.0),)}, "weight of family cento"),
    ],
)
def test_a_config_with_unknown_names_or_a_weight_of_nothing_is_refused(change, message):
    with pytest.raises(ValueError, match=message):
        check_config(replace(CriticConfig(), **change))


def test_temperature_scaling_lowers_the_validation_nll(trained):
    _, log = trained
    for critic in log["critics"]:
        assert critic["temperature"] > 0
        assert critic["val_nll"]["after"] <= critic["val_nll"]["before"]


def test_fit_temperature_undoes_overconfidence():
    rng = np.random.default_rng(0)
    true_logits = rng.normal(0, 2, size=8_000)
    labels = rng.random(8_000) < 1 / (1 + np.exp(-true_logits))
    assert fit_temperature(4 * true_logits, labels) == pytest.approx(4, rel=0.15)
    assert fit_temperature(true_logits / 2, labels) == pytest.approx(0.5, rel=0.15)


def test_predict_gives_one_probability_and_one_embedding_per_window(trained, windows):
    ensemble, _ = trained
    output = ensemble.predict(windows, batch_size=4)
    assert isinstance(output, CriticOutput)
    assert output.p_real.shape == (len(windows),)
    assert ((output.p_real >= 0) & (output.p_real <= 1)).all()
    assert output.embeddings.shape == (len(windows), 2 * 8)  # concatenated
    assert ensemble.embed_dim == 16
    whole = ensemble.predict(windows)
    np.testing.assert_allclose(whole.p_real, output.p_real, rtol=1e-5, atol=1e-7)


def test_predict_score_predicts_the_windows_of_a_piece(trained):
    ensemble, _ = trained
    piece = chorale(30, bars=6)
    np.testing.assert_array_equal(
        ensemble.predict_score(piece).p_real, ensemble.predict(score_windows(piece)).p_real
    )


def test_predict_refuses_windows_of_another_shape(trained):
    ensemble, _ = trained
    with pytest.raises(ValueError, match="windows must be"):
        ensemble.predict(np.zeros((2, 2, 32, 88), np.uint8))


def test_a_saved_ensemble_loads_back_and_predicts_the_same(trained, windows, tmp_path):
    ensemble, _ = trained
    path = tmp_path / "critic.pt"
    ensemble.save(path)
    loaded = CriticEnsemble.load(path)
    before, after = ensemble.predict(windows), loaded.predict(windows)
    np.testing.assert_array_equal(after.p_real, before.p_real)
    np.testing.assert_array_equal(after.embeddings, before.embeddings)
    assert loaded.temperatures == ensemble.temperatures
    assert loaded.meta == ensemble.meta


def test_the_state_is_plain_fp16_tensors_and_json(trained):
    ensemble, _ = trained
    state = ensemble.state()
    for critic in state["critics"]:
        assert all(t.dtype == torch.float16 for t in critic["weights"].values())
        json.dumps(critic["config"])
    json.dumps({k: v for k, v in state.items() if k != "critics"})
    assert CriticConfig.from_dict(state["critics"][0]["config"]).channels == (4, 6, 8, 8)


def test_training_is_repeatable_for_a_seed(trained):
    ensemble, _ = trained
    again, _ = train_ensemble(
        pieces(range(8)), pieces(range(8, 11)), config=TINY, seed=3, progress=False
    )
    assert again.temperatures == ensemble.temperatures
    for ours, theirs in zip(ensemble.critics, again.critics, strict=True):
        for (name, a), b in zip(
            ours.state_dict().items(), theirs.state_dict().values(), strict=True
        ):
            assert torch.equal(a, b), name


def test_window_sets_average_per_piece():
    windows = WindowSet.of([*pieces(range(2)), chorale(5, bars=2)], WindowSpec())
    assert windows.piece.tolist() == [0, 0, 1, 1, 2]  # 24 beats make two windows, 8 one
    np.testing.assert_allclose(windows.per_piece(np.arange(5.0)), [0.5, 2.5, 4])


def test_auroc_counts_ties_as_half():
    assert auroc([3, 4], [1, 2]) == 1.0
    assert auroc([1, 2], [3, 4]) == 0.0
    assert auroc([1, 1], [1, 1]) == 0.5
    assert auroc([2, 1], [1, 0]) == pytest.approx(0.875)
    assert np.isnan(auroc([], [1]))


def test_a_config_survives_json():
    config = replace(CriticConfig(), **CriticConfig.quick_overrides())
    assert CriticConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config
    hard = replace(
        config, family_weights=(("cento", 0.5), ("wrong_notes", 2.0)), real_augmentations=()
    )
    again = CriticConfig.from_dict(json.loads(json.dumps(hard.to_dict())))
    assert again == hard
    assert hash(again) == hash(hard)  # an ensemble groups its critics' configs in a set


def test_a_config_saved_before_augmentations_reads_as_trained_without_them():
    saved = CriticConfig().to_dict()
    del saved["real_augmentations"], saved["family_weights"]
    config = CriticConfig.from_dict(json.loads(json.dumps(saved)))
    assert config.real_augmentations == ()
    assert config.family_weights == ()


def test_without_validation_pieces_the_temperatures_stay_one():
    config = replace(TINY, epochs=1, n_critics=1)
    ensemble, log = train_ensemble(pieces(range(3)), [], config=config, seed=0, progress=False)
    assert ensemble.temperatures == [1.0]
    assert np.isnan(log["val_auroc"]["cluster"])


def test_by_default_every_critic_sees_every_family_and_the_hard_negatives():
    chosen = _critic_families(CriticConfig(), np.random.default_rng(0))
    assert chosen == [TRAINING] * CriticConfig().n_critics
    assert set(BUILTIN) < set(TRAINING) <= set(BUILTIN) | set(HARD)
    assert "strong_harmonisation" in TRAINING


def test_fused_critics_compute_what_the_critics_do(trained, windows):
    ensemble, _ = trained
    assert ensemble.fused is not None  # one width: the critics fuse
    x = torch.from_numpy(windows.astype(np.float32))
    with torch.no_grad():
        logits, embeddings = ensemble.fused(x)
        for k, critic in enumerate(ensemble.critics):
            own_logits, own_embeddings = critic(x)
            torch.testing.assert_close(logits[:, k], own_logits, rtol=1e-5, atol=1e-5)
            torch.testing.assert_close(embeddings[:, k], own_embeddings, rtol=1e-5, atol=1e-5)


def test_critics_of_different_widths_still_predict(windows):
    critics = [Critic(replace(TINY, channels=c)) for c in ((4, 6, 8, 8), (6, 9, 12, 12))]
    ensemble = CriticEnsemble(critics, [1.0, 2.0])
    assert ensemble.fused is None
    output = ensemble.predict(windows)
    assert output.embeddings.shape == (len(windows), 16)


def test_small_and_large_batches_agree(trained, windows):
    ensemble, _ = trained
    many = np.concatenate([windows, windows])  # 12 windows: past the fused batch size
    separate = ensemble.predict(many)
    fused = ensemble.predict(many, batch_size=4)
    np.testing.assert_allclose(fused.p_real, separate.p_real, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(fused.embeddings, separate.embeddings, rtol=1e-4, atol=1e-5)
