"""Typicality: ordinary values score 1, extreme ones 0, and the worst features count most."""

from __future__ import annotations

import numpy as np
import pytest

from evaluation.typicality import DescriptorReference

NAMES = ("a", "b", "constant", "sparse")


@pytest.fixture(scope="module")
def reference() -> DescriptorReference:
    rng = np.random.default_rng(0)
    pieces = 200
    matrix = np.column_stack(
        [
            rng.normal(10.0, 1.0, pieces),  # a
            rng.uniform(0.0, 1.0, pieces),  # b
            np.zeros(pieces),  # constant: dropped (DESIGN.md §5)
            np.where(rng.random(pieces) < 0.5, 1.0, np.nan),  # mostly undefined: dropped
        ]
    )
    return DescriptorReference.fit(NAMES, matrix)


def test_near_constant_and_rarely_defined_descriptors_are_left_out(
    reference: DescriptorReference,
) -> None:
    assert reference.names == ("a", "b")


def test_a_median_value_is_fully_typical(reference: DescriptorReference) -> None:
    assert reference.scores({"a": 10.0, "b": 0.5}).tolist() == [1.0, 1.0]


def test_values_far_outside_the_reference_score_zero(reference: DescriptorReference) -> None:
    scores = reference.scores({"a": 30.0, "b": -5.0})
    assert scores.tolist() == [0.0, 0.0]


def test_scores_fall_off_in_the_tails(reference: DescriptorReference) -> None:
    inner, tail, far = reference.scores({"a": 11.0})[0], reference.scores({"a": 12.2})[0], 0.0
    assert inner == 1.0
    assert far < tail < 1.0


def test_an_undefined_value_counts_as_atypical(reference: DescriptorReference) -> None:
    assert reference.scores({"a": float("nan"), "b": 0.5}).tolist() == [0.0, 1.0]


def test_the_worst_quarter_decides_and_is_reported(reference: DescriptorReference) -> None:
    value, outliers = reference.typicality({"a": 30.0, "b": 0.5})
    assert value == 0.0  # the worst quarter of two descriptors is the single worst one
    assert outliers == {"a": 0.0}


def test_it_survives_a_json_round_trip(reference: DescriptorReference) -> None:
    again = DescriptorReference.from_json(reference.to_json())
    values = {"a": 11.7, "b": 0.97}
    assert np.allclose(again.scores(values), reference.scores(values), atol=1e-6)
