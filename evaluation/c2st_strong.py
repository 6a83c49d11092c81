"""The C2ST with stronger classifiers: is a figure of :mod:`evaluation.c2st` low only
because its two classifiers are simple?

:func:`evaluation.c2st.c2st` calls a set "hard to tell apart" when a logistic
regression and a nearest-neighbours vote both fail on the hand descriptors. A
difference neither can draw (a feature whose spread differs while its mean does not, or
two features that matter only together) would pass unseen. This module gives the same
descriptors, the same grouped folds and the same balanced accuracy to two classifiers
that can draw such differences:

- **boosted stumps**: gradient boosting of the logistic loss with one-split trees on
  each feature's training quantiles (class-balanced weights, shrinkage 0.2, 150
  rounds): a sum of step functions of single features, so it finds spread and shape
  differences feature by feature;
- **a small network**: two hidden layers of 64 units with dropout and weight decay,
  trained for a fixed 300 full-batch Adam steps on the class-balanced logistic loss, so
  it can also combine features.

Both are deterministic for a seed. Where they agree with the simple test, its figure
stands; where either is well above it, the simple test missed something and the higher
figure is the one to report. Run by ``python -m evaluation c2st REAL FAKE --strong``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import torch

from evaluation.c2st import (
    DEFAULT_FOLDS,
    C2STError,
    Predictor,
    control_halves,
    dir_features,
    dir_report,
    held_out_calls,
)

FloatArray = npt.NDArray[np.float64]
STUMP_ROUNDS = 150
STUMP_SHRINKAGE = 0.2
STUMP_THRESHOLDS = 12  # per feature: quantiles 5-95 % of its training values
NETWORK_HIDDEN = 64
NETWORK_STEPS = 300


@dataclass(frozen=True)
class StrongResult:
    """Balanced accuracies on held-out folds of the two stronger classifiers."""

    stumps: float
    network: float

    @property
    def accuracy(self) -> float:
        return max(self.stumps, self.network)

    def to_json(self) -> dict[str, float]:
        return {
            "stumps": round(self.stumps, 4),
            "network": round(self.network, 4),
            "accuracy": round(self.accuracy, 4),
        }


def strong_c2st(
    a: FloatArray,
    b: FloatArray,
    groups_a: Sequence[str],
    groups_b: Sequence[str],
    *,
    folds: int = DEFAULT_FOLDS,
    seed: int = 0,
) -> StrongResult:
    """The C2ST of feature rows ``a`` and ``b`` by the two stronger classifiers, with the
    folds :func:`evaluation.c2st.c2st` uses for the same ``seed``."""
    predictors: dict[str, Predictor] = {
        "stumps": lambda x, y, x_test, _: boosted_stumps_predict(x, y, x_test),
        "network": lambda x, y, x_test, fold: network_predict(
            x, y, x_test, seed=seed * 1000 + fold
        ),
    }
    found = held_out_calls(a, b, groups_a, groups_b, predictors, folds=folds, seed=seed)
    return StrongResult(stumps=found.accuracy("stumps"), network=found.accuracy("network"))


def strong_control(
    a: FloatArray, groups_a: Sequence[str], *, folds: int = DEFAULT_FOLDS, seed: int = 0
) -> StrongResult:
    """The stronger classifiers on the first set against itself, split as
    :func:`evaluation.c2st.control` splits it: the noise level of these classifiers."""
    first, second = control_halves(groups_a, seed)
    groups = np.array(groups_a)
    return strong_c2st(
        a[first], a[second], groups[first].tolist(), groups[second].tolist(), folds=folds, seed=seed
    )


def compare_dirs_strong(
    real_dir: Path,
    fake_dir: Path,
    *,
    folds: int = DEFAULT_FOLDS,
    seed: int = 0,
    group_pattern: str | None = None,
) -> dict[str, Any]:
    """:func:`evaluation.c2st.compare_dirs`'s report with the stronger classifiers'
    figures and their control added (``strong``, ``strong_control``)."""
    found = dir_features(real_dir, fake_dir, group_pattern)
    report = dir_report(found, real_dir, fake_dir, folds=folds, seed=seed)
    x_real, real_groups = found.x_real, found.real_groups
    report["strong"] = strong_c2st(
        x_real, found.x_fake, real_groups, found.fake_groups, folds=folds, seed=seed
    ).to_json()
    try:
        report["strong_control"] = strong_control(
            x_real, real_groups, folds=folds, seed=seed
        ).to_json()
    except C2STError:
        report["strong_control"] = None
    return report


def _balanced_weights(y: FloatArray) -> FloatArray:
    share = float(y.mean())
    return np.where(y > 0, 0.5 / share, 0.5 / (1 - share))


def boosted_stumps_predict(
    x: FloatArray, y: FloatArray, x_test: FloatArray, rounds: int = STUMP_ROUNDS
) -> FloatArray:
    """0/1 calls for ``x_test`` from gradient-boosted one-split trees fitted to ``x``, ``y``."""
    weights = _balanced_weights(y)
    score, score_test = np.zeros(len(x)), np.zeros(len(x_test))
    cuts = [
        np.unique(np.quantile(x[:, j], np.linspace(0.05, 0.95, STUMP_THRESHOLDS)))
        for j in range(x.shape[1])
    ]
    for _ in range(rounds):
        p = 1.0 / (1.0 + np.exp(-score))
        gradient, hessian = weights * (y - p), weights * p * (1 - p) + 1e-9
        best: tuple[float, int, float, float, float] | None = None
        for j, thresholds in enumerate(cuts):
            left = x[:, j][:, None] <= thresholds[None, :]  # (pieces, thresholds)
            g_left, h_left = gradient @ left, hessian @ left
            g_right, h_right = gradient.sum() - g_left, hessian.sum() - h_left
            gain = g_left**2 / (h_left + 1) + g_right**2 / (h_right + 1)
            k = int(np.argmax(gain))
            if best is None or gain[k] > best[0]:
                best = (
                    float(gain[k]),
                    j,
                    float(thresholds[k]),
                    float(g_left[k] / (h_left[k] + 1)),
                    float(g_right[k] / (h_right[k] + 1)),
                )
        assert best is not None
        _, j, threshold, value_left, value_right = best
        score += STUMP_SHRINKAGE * np.where(x[:, j] <= threshold, value_left, value_right)
        score_test += STUMP_SHRINKAGE * np.where(x_test[:, j] <= threshold, value_left, value_right)
    return (score_test > 0).astype(np.float64)


def network_predict(x: FloatArray, y: FloatArray, x_test: FloatArray, *, seed: int) -> FloatArray:
    """0/1 calls for ``x_test`` from a two-layer network fitted to ``x``, ``y``."""
    generator = torch.Generator().manual_seed(seed)
    features = torch.tensor(x, dtype=torch.float32)
    labels = torch.tensor(y, dtype=torch.float32)
    weights = torch.tensor(_balanced_weights(y), dtype=torch.float32)
    network = torch.nn.Sequential(
        torch.nn.Linear(features.shape[1], NETWORK_HIDDEN),
        torch.nn.ReLU(),
        torch.nn.Dropout(0.2),
        torch.nn.Linear(NETWORK_HIDDEN, NETWORK_HIDDEN),
        torch.nn.ReLU(),
        torch.nn.Dropout(0.2),
        torch.nn.Linear(NETWORK_HIDDEN, 1),
    )
    with torch.no_grad():  # initial weights from the seed, not the global generator
        for parameter in network.parameters():
            bound = 1.0 / np.sqrt(parameter.shape[-1])
            parameter.uniform_(-bound, bound, generator=generator)
    optimiser = torch.optim.Adam(network.parameters(), lr=3e-3, weight_decay=1e-3)
    torch_state = torch.random.get_rng_state()
    torch.manual_seed(seed)  # dropout's masks
    try:
        for _ in range(NETWORK_STEPS):
            optimiser.zero_grad()
            logits = network(features)[:, 0]
            loss = torch.nn.functional.binary_cross_entropy_with_logits(
                logits, labels, weight=weights
            )
            loss.backward()
            optimiser.step()
    finally:
        torch.random.set_rng_state(torch_state)
    network.eval()
    with torch.no_grad():
        calls = network(torch.tensor(x_test, dtype=torch.float32))[:, 0] > 0
    return calls.numpy().astype(np.float64)
