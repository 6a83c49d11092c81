"""Fréchet distances: zero for identical statistics, growing with the difference."""

from __future__ import annotations

import numpy as np

from evaluation.frechet import (
    EmbeddingReference,
    distance_component,
    frechet_distance,
    piece_distance,
    set_distance,
)


def reference(dimensions: int = 4, seed: int = 0) -> EmbeddingReference:
    rng = np.random.default_rng(seed)
    return EmbeddingReference.fit(rng.normal(size=(5000, dimensions)))


def test_identical_gaussians_are_at_distance_zero() -> None:
    mu, cov = np.zeros(3), np.diag([1.0, 2.0, 3.0])
    assert abs(frechet_distance(mu, cov, mu, cov)) < 1e-9


def test_the_distance_of_shifted_means_is_the_squared_shift() -> None:
    cov = np.eye(2)
    assert np.isclose(frechet_distance(np.zeros(2), cov, np.array([3.0, 4.0]), cov), 25.0)


def test_the_distance_of_scaled_variances_follows_the_formula() -> None:
    # 1-D: (s1 - s2)^2 for standard deviations s1, s2.
    assert np.isclose(frechet_distance(np.zeros(1), np.eye(1) * 4.0, np.zeros(1), np.eye(1)), 1.0)


def test_a_piece_like_the_reference_is_closer_than_a_shifted_one() -> None:
    ref = reference()
    rng = np.random.default_rng(1)
    alike = rng.normal(size=(6, 4))
    shifted = alike + 3.0
    assert piece_distance(alike, ref) < piece_distance(shifted, ref)


def test_the_small_sample_correction_removes_the_bias_of_the_mean() -> None:
    ref = reference(dimensions=8)
    rng = np.random.default_rng(2)
    samples = [rng.normal(size=(40, 8)) + 1.0 for _ in range(100)]

    def uncorrected(e: np.ndarray) -> float:
        cov = np.cov(e, rowvar=False)
        return frechet_distance(e.mean(axis=0), cov, ref.mean, ref.covariance) / 8

    corrected = np.mean([set_distance(e, ref) for e in samples])
    raw = np.mean([uncorrected(e) for e in samples])
    # The sample mean's squared error adds tr(S)/n/d = 1/40 on average; the correction
    # removes it, leaving the true mean shift (1 per dimension).
    assert np.isclose(raw - corrected, 1 / 40, atol=0.003)


def test_the_out_of_distribution_distance_grows_away_from_the_reference() -> None:
    ref = reference()
    near, far = ref.mahalanobis(np.array([[0.0, 0.0, 0.0, 0.0], [10.0, 10.0, 10.0, 10.0]]))
    assert near < 0.2 < 5.0 < far


def test_the_component_is_one_at_zero_and_a_half_at_the_scale() -> None:
    assert distance_component(0.0, 2.0) == 1.0
    assert distance_component(2.0, 2.0) == 0.5
    assert distance_component(float("inf"), 2.0) == 0.0


def test_the_reference_survives_a_json_round_trip() -> None:
    ref = reference()
    again = EmbeddingReference.from_json(ref.to_json())
    assert np.allclose(again.mean, ref.mean)
    assert np.allclose(again.covariance, ref.covariance)
