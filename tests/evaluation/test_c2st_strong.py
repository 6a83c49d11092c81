"""The C2ST's stronger classifiers: chance on one distribution, and they find a
difference the logistic regression cannot draw (a wider spread with the same mean)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from evaluation.c2st import C2STError, c2st, compare_dirs, format_report
from evaluation.c2st_strong import compare_dirs_strong, strong_c2st, strong_control
from tests.evaluation.builders import gaussian_sets, tune_folders


def names(prefix: str, n: int) -> list[str]:
    return [f"{prefix}{i}" for i in range(n)]


def test_one_distribution_is_not_told_apart_by_either() -> None:
    a, b, ga, gb = gaussian_sets(shift=0.0, n=100)
    result = strong_c2st(a, b, ga, gb, seed=1)
    assert 0.35 <= result.stumps <= 0.65
    assert 0.35 <= result.network <= 0.65


def test_a_shift_is_told_apart_by_both() -> None:
    a, b, ga, gb = gaussian_sets(shift=3.0, n=100)  # the best possible call: 93 % right
    result = strong_c2st(a, b, ga, gb)
    assert result.stumps > 0.85
    assert result.network > 0.85


def test_a_wider_spread_with_the_same_mean_is_found_where_the_logistic_misses_it() -> None:
    # Four times the spread in one feature: the best possible call is 79 % right.
    rng = np.random.default_rng(5)
    a = rng.normal(size=(200, 6))
    b = rng.normal(size=(200, 6))
    b[:, 2] *= 4.0
    ga, gb = names("a", 200), names("b", 200)
    simple = c2st(a, b, ga, gb)
    strong = strong_c2st(a, b, ga, gb)
    assert simple.logistic < 0.6
    assert strong.stumps > 0.72
    assert strong.network > 0.7
    assert strong.accuracy > simple.accuracy + 0.05
    assert strong.accuracy == max(strong.stumps, strong.network)


def test_it_is_deterministic_for_a_seed() -> None:
    a, b, ga, gb = gaussian_sets(shift=0.5, n=60)
    assert strong_c2st(a, b, ga, gb, seed=2) == strong_c2st(a, b, ga, gb, seed=2)


def test_its_control_and_its_refusals() -> None:
    a, _, ga, _ = gaussian_sets(shift=0.0, n=80)
    assert 0.3 <= strong_control(a, ga).accuracy <= 0.7
    with pytest.raises(C2STError, match="at least 4 pieces"):
        strong_c2st(a[:3], a[3:6], ga[:3], ga[3:6])
    with pytest.raises(C2STError, match="two groups"):
        strong_control(a, ["one"] * len(a))


def test_the_folder_comparison_reports_the_stronger_classifiers(tmp_path: Path) -> None:
    real, fake = tune_folders(tmp_path, 16)
    plain = compare_dirs(real, fake)
    assert "strong" not in plain
    report = compare_dirs_strong(real, fake)
    assert report["result"] == plain["result"]
    assert report["strong"]["accuracy"] > 0.8
    assert report["strong_control"] is not None
    assert "stronger classifiers" in format_report(report)
