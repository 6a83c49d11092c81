"""Fréchet-style distances between critic embeddings and the reference music.

The Fréchet distance between Gaussians N(m1, S1) and N(m2, S2) is

    FD = |m1 - m2|^2 + tr(S1 + S2 - 2 (S1 S2)^(1/2))        (Heusel et al., 2017)

A single piece has only a handful of windows, too few for a covariance, so
:func:`piece_distance` uses diagonal covariances, shrinking the piece's variances
towards the reference's (``SHRINK`` pseudo-windows). For a set of pieces (a
participant's entries) :func:`set_distance` uses full covariances and removes the
small-sample bias of the mean term: E|m_hat - m|^2 = tr(S) / n, so ``tr(S_hat) / n``
is subtracted (clipped at 0). The out-of-distribution gate uses the diagonal
Mahalanobis distance of each window to the reference.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

SHRINK = 4.0
VARIANCE_FLOOR = 1e-6


@dataclass(frozen=True)
class EmbeddingReference:
    """Statistics of the reference windows' embeddings, and the calibrated scales."""

    mean: FloatArray
    covariance: FloatArray
    ood_threshold: float = float("inf")  # per-window Mahalanobis distance, chosen on validation
    distance_scale: float = 1.0  # piece distance at which the component halves

    @classmethod
    def fit(cls, embeddings: FloatArray) -> EmbeddingReference:
        return cls(embeddings.mean(axis=0), np.cov(embeddings, rowvar=False))

    @property
    def variance(self) -> FloatArray:
        return np.maximum(np.diag(self.covariance), VARIANCE_FLOOR)

    def mahalanobis(self, embeddings: FloatArray) -> FloatArray:
        """Diagonal Mahalanobis distance of each window, divided by sqrt(dimensions)."""
        z = (embeddings - self.mean) / np.sqrt(self.variance)
        return np.sqrt((z**2).mean(axis=1))

    def to_json(self) -> dict[str, Any]:
        return {
            "mean": self.mean.tolist(),
            "covariance": self.covariance.tolist(),
            "ood_threshold": self.ood_threshold,
            "distance_scale": self.distance_scale,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> EmbeddingReference:
        return cls(
            np.array(data["mean"], dtype=np.float64),
            np.array(data["covariance"], dtype=np.float64),
            float(data["ood_threshold"]),
            float(data["distance_scale"]),
        )


def frechet_distance(mu1: FloatArray, cov1: FloatArray, mu2: FloatArray, cov2: FloatArray) -> float:
    """The Fréchet distance between two Gaussians with full covariances."""
    diff = mu1 - mu2
    # tr((S1 S2)^(1/2)) is the sum of the square roots of the eigenvalues of S1 S2, which
    # are real and non-negative for covariance matrices (up to rounding).
    eigenvalues = np.linalg.eigvals(cov1 @ cov2).real
    trace_covmean = float(np.sqrt(np.clip(eigenvalues, 0.0, None)).sum())
    return float(diff @ diff + np.trace(cov1) + np.trace(cov2) - 2.0 * trace_covmean)


def piece_distance(embeddings: FloatArray, reference: EmbeddingReference) -> float:
    """Diagonal Fréchet distance of one piece's windows to the reference, per dimension."""
    n = len(embeddings)
    if n == 0:
        return float("inf")
    ref_var = reference.variance
    mean = embeddings.mean(axis=0)
    sample_var = embeddings.var(axis=0) if n > 1 else np.zeros_like(ref_var)
    var = (n * sample_var + SHRINK * ref_var) / (n + SHRINK)
    diff = mean - reference.mean
    distance = diff @ diff + np.sum(var + ref_var - 2.0 * np.sqrt(var * ref_var))
    return float(distance / len(mean))


def set_distance(embeddings: FloatArray, reference: EmbeddingReference) -> float:
    """Full-covariance Fréchet distance of many windows, with the mean's bias removed."""
    n = len(embeddings)
    if n < 2:
        return piece_distance(embeddings, reference)
    mean = embeddings.mean(axis=0)
    cov = np.atleast_2d(np.cov(embeddings, rowvar=False))
    raw = frechet_distance(mean, cov, reference.mean, reference.covariance)
    diff = mean - reference.mean
    corrected_mean_term = max(0.0, float(diff @ diff) - float(np.trace(cov)) / n)
    return (raw - float(diff @ diff) + corrected_mean_term) / len(mean)


def distance_component(distance: float, scale: float) -> float:
    """Map a distance to [0, 1]: 1 at 0, one half at ``scale``, towards 0 beyond."""
    if not np.isfinite(distance):
        return 0.0
    return float(2.0 ** (-max(distance, 0.0) / max(scale, 1e-9)))
