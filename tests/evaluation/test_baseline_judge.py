"""The baseline AI judge: 50 * p(classifier) + 50 * (1 - KS), trained tiny on synthetic pieces."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from evaluation.baseline_judge import (
    QUICK,
    BaselineClassifier,
    BaselineConfig,
    BaselineJudge,
    first_bars_roll,
    pitch_histogram,
    train_baseline_judge,
)
from music.score import Score
from tests.evaluation.builders import build, chorale, melody

FAMILIES = ("cluster", "near_empty", "pitch_shuffled")
TINY = BaselineConfig(
    channels=(4, 4, 8), hidden=8, epochs=4, batch_size=16, lr=1e-2, families=FAMILIES
)


def pieces(seeds: range) -> list[Score]:
    return [chorale(seed, bars=10) for seed in seeds]


@pytest.fixture(scope="module")
def judge() -> BaselineJudge:
    torch.set_num_threads(1)
    return train_baseline_judge(pieces(range(6)), pieces(range(6, 9)), seed=2, config=TINY)


def untrained(histogram: np.ndarray) -> BaselineJudge:
    return BaselineJudge(BaselineClassifier(TINY), histogram, TINY)


def test_the_classifier_sees_the_first_8_bars_as_a_128_by_128_roll():
    score = chorale(1, bars=12)
    roll = first_bars_roll(score)
    assert roll.shape == (128, 128)
    assert roll.dtype == np.uint8
    assert roll.any()
    later = score.copy()
    for track in later.tracks:
        track.notes = [n for n in track.notes if n.start >= 8 * score.ticks_per_bar]
    assert not first_bars_roll(later).any()


def test_a_three_four_piece_shows_eight_bars_then_silence():
    waltz = build(melody([60] * 40), time_signature=(3, 4))
    roll = first_bars_roll(waltz)
    assert roll[: 24 * 4].any(axis=1).all()
    assert not roll[24 * 4 :].any()


def test_ks_is_zero_for_the_reference_distribution_and_one_without_notes():
    score = build(melody([60, 62, 64, 62]))
    judge = untrained(pitch_histogram([score]))
    assert judge.ks(score) == 0.0
    assert judge.ks(Score()) == 1.0


def test_ks_is_the_largest_gap_between_the_pitch_cdfs():
    reference = np.zeros(128)
    reference[[60, 62]] = 1  # half at 60, half at 62
    judge = untrained(reference)
    assert judge.ks(build(melody([62, 62, 62, 62]))) == pytest.approx(0.5)
    assert judge.ks(build(melody([48]))) == pytest.approx(1.0)
    assert judge.ks(build(melody([60, 64, 64, 64]))) == pytest.approx(0.75)  # at 62-63


def test_ks_only_counts_the_first_8_bars():
    reference = np.zeros(128)
    reference[60] = 1
    judge = untrained(reference)
    score = build(melody([60] * 32 + [72] * 32))  # 16 bars: C4 for 8, then C5
    assert judge.ks(score) == 0.0


def test_the_final_score_is_half_classifier_half_ks(judge):
    scores = pieces(range(20, 23))
    expected = 50 * judge.classifier_p(scores) + 50 * (1 - np.array([judge.ks(s) for s in scores]))
    np.testing.assert_allclose(judge.score_many(scores), expected)
    assert judge.score(scores[0]) == pytest.approx(expected[0])
    assert ((judge.score_many(scores) >= 0) & (judge.score_many(scores) <= 100)).all()
    assert judge.score_many([]).shape == (0,)


def test_training_lowers_the_loss_and_reports_validation_auroc(judge):
    losses = judge.meta["losses"]
    assert len(losses) == TINY.epochs
    assert losses[-1] < losses[0]
    assert set(judge.meta["val_auroc"]) == set(FAMILIES)
    json.dumps(judge.meta)


def test_the_reference_histogram_is_the_train_pieces_notes(judge):
    np.testing.assert_array_equal(judge.reference_histogram, pitch_histogram(pieces(range(6))))


def test_a_saved_judge_loads_back_and_scores_the_same(judge, tmp_path):
    path = tmp_path / "baseline.pt"
    judge.save(path)
    loaded = BaselineJudge.load(path)
    scores = [*pieces(range(30, 33)), Score()]
    np.testing.assert_array_equal(loaded.score_many(scores), judge.score_many(scores))
    assert loaded.config == judge.config
    assert loaded.meta == judge.meta


def test_training_is_repeatable_for_a_seed(judge):
    again = train_baseline_judge(pieces(range(6)), pieces(range(6, 9)), seed=2, config=TINY)
    scores = pieces(range(30, 33))
    np.testing.assert_array_equal(again.score_many(scores), judge.score_many(scores))


def test_quick_training_uses_the_quick_config():
    quick = train_baseline_judge(pieces(range(3)), [], seed=0, quick=True)
    assert quick.config == QUICK
    assert quick.meta["val_auroc"] == {}


def test_it_refuses_an_empty_reference():
    with pytest.raises(ValueError, match="reference histogram"):
        untrained(np.zeros(128))
