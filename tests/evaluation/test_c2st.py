"""The classifier two-sample test: about 0.5 for one distribution, near 1 for two that
differ, folds that never split a source, and a CLI that says what is wrong."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from evaluation.c2st import (
    C2STError,
    _group_folds,
    balanced_p_value,
    c2st,
    control,
    group_of,
)
from tests.evaluation.builders import gaussian_sets, tune_folders

REPO = Path(__file__).resolve().parents[2]


def test_one_distribution_is_not_told_apart() -> None:
    a, b, ga, gb = gaussian_sets(shift=0.0)
    result = c2st(a, b, ga, gb, seed=1)
    assert 0.38 <= result.accuracy <= 0.62
    assert result.p_value > 0.01


def test_always_naming_the_larger_set_is_not_significant() -> None:
    labels = np.array([0.0] * 60 + [1.0] * 120)
    rng = np.random.default_rng(0)
    assert balanced_p_value(labels, np.ones(180), rng, rounds=500) > 0.5
    assert balanced_p_value(labels, labels.copy(), rng, rounds=500) < 0.01


def test_two_distributions_are_told_apart_and_the_figure_grows_with_the_difference() -> None:
    figures = [c2st(*gaussian_sets(shift=s)).accuracy for s in (0.5, 1.5, 4.0)]
    assert figures[0] < figures[1] < figures[2]
    assert figures[2] > 0.95


def test_a_difference_of_shape_is_found_by_the_neighbours_vote() -> None:
    # Same mean and spread per feature, but b lives on two clusters: no linear cue.
    rng = np.random.default_rng(3)
    a = rng.normal(size=(160, 2))
    b = rng.choice([-1.0, 1.0], size=(160, 1)) * np.array([[1.0, 1.0]])
    b = b + rng.normal(scale=0.15, size=(160, 2))
    result = c2st(a, b, [f"a{i}" for i in range(160)], [f"b{i}" for i in range(160)])
    assert result.logistic < 0.65
    assert result.knn > 0.85
    assert result.accuracy == result.knn


def test_pieces_of_one_source_always_share_a_fold() -> None:
    groups = ["bwv1", "bwv1", "bwv2", "bwv3", "bwv3", "bwv3", "bwv4", "bwv5"]
    folds = _group_folds(groups, 3, seed=0)
    for group in set(groups):
        assert len({folds[i] for i, g in enumerate(groups) if g == group}) == 1
    assert len(set(folds.tolist())) == 3


def test_a_source_and_its_variants_form_one_group() -> None:
    assert group_of("bwv253.mid") == group_of("out/bwv253__seed1.mid") == "bwv253"
    assert group_of("ode-to-joy__gan__2.mid") == "ode-to-joy"


def test_grouping_keeps_twins_from_leaking_between_train_and_test() -> None:
    # Every "fake" is a near-twin of a real piece, and each pair is one group. With
    # pieces held out by group the classifier cannot memorise a twin: about chance.
    rng = np.random.default_rng(5)
    a = rng.normal(size=(80, 5))
    b = a + rng.normal(scale=0.01, size=a.shape)
    names = [f"p{i}" for i in range(80)]
    assert c2st(a, b, names, names).accuracy < 0.62


def test_the_control_splits_the_first_set_by_group() -> None:
    a, _, ga, _ = gaussian_sets(shift=0.0, n=100)
    result = control(a, ga)
    assert result.n_a + result.n_b == 100
    assert 0.35 <= result.accuracy <= 0.65


def test_too_few_pieces_or_folds_are_refused() -> None:
    a, b, ga, gb = gaussian_sets(shift=0.0, n=3)
    with pytest.raises(C2STError, match="at least 4 pieces"):
        c2st(a, b, ga, gb)
    a, b, ga, gb = gaussian_sets(shift=0.0, n=10)
    with pytest.raises(C2STError, match="2 folds"):
        c2st(a, b, ga, gb, folds=1)


# ----- the command line ------------------------------------------------------------------


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "evaluation", "c2st", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_cli_compares_two_folders_and_prints_the_control(tmp_path: Path) -> None:
    real, fake = tune_folders(tmp_path, 24)
    (fake / "broken.mid").write_bytes(b"not midi")
    done = run(str(real), str(fake), "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["result"]["accuracy"] > 0.85
    assert report["result"]["n_a"] == report["result"]["n_b"] == 24
    assert report["result"]["groups"] == 24  # each tune with its shuffle; broken.mid skipped
    assert report["control"]["n_a"] + report["control"]["n_b"] == 24
    assert len(report["skipped"]) == 1
    assert report["skipped"][0].startswith(f"{fake / 'broken.mid'}: ")
    text = run(str(real), str(fake))
    assert "control (real vs real" in text.stdout
    assert "accuracy" in text.stdout


def test_the_cli_says_what_is_wrong_with_its_input(tmp_path: Path) -> None:
    missing = run(str(tmp_path / "nope"), str(tmp_path))
    assert missing.returncode == 1
    assert "is not a folder" in missing.stderr
    empty = run(str(tmp_path), str(tmp_path))
    assert empty.returncode == 1
    assert "at least 4 pieces" in empty.stderr
