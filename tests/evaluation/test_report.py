"""Weights and the final score."""

from __future__ import annotations

from typing import Any

import pytest

from evaluation.report import (
    GENERAL_CAP,
    Flag,
    Report,
    Weights,
    WeightsError,
    combine,
    graded,
)


def test_default_weights_are_normalised() -> None:
    assert Weights().normalised() == {"realism": 0.5, "typicality": 0.3, "frechet": 0.2}
    assert Weights(2, 1, 1).normalised() == {"realism": 0.5, "typicality": 0.25, "frechet": 0.25}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"realism": -1}, "at least 0"),
        ({"realism": 0, "typicality": 0, "frechet": 0}, "At least one weight"),
        ({"loudness": 1}, "Unknown weight 'loudness'"),
        ({"realism": "lots"}, "must be numbers"),
        ({"realism": float("nan")}, "at least 0"),
    ],
)
def test_it_rejects_unusable_weights_with_a_message(data: dict[str, object], message: str) -> None:
    with pytest.raises(WeightsError, match=message):
        Weights.from_dict(data)


def test_perfect_components_score_100_and_the_weakest_drags_the_score_down() -> None:
    assert combine({"realism": 1.0, "typicality": 1.0, "frechet": 1.0}, Weights()) == 100.0
    one_bad = combine({"realism": 0.0, "typicality": 1.0, "frechet": 1.0}, Weights())
    # Geometric mean: realism at the floor (0.01) with weight 0.5 gives 100 * 0.01^0.5.
    assert one_bad == 10.0


def test_a_component_with_zero_weight_does_not_count() -> None:
    components = {"realism": 0.2, "typicality": 1.0, "frechet": 1.0}
    assert combine(components, Weights(realism=0, typicality=1, frechet=1)) == 100.0


def test_a_blocking_flag_keeps_a_report_off_the_ranking() -> None:
    base: dict[str, Any] = {
        "score": 80.0,
        "components": {},
        "weights": {},
        "explanation": "",
        "evaluator_version": "1+x",
        "profile": "p",
    }
    assert Report(flags=[Flag("short", "short")], **base).ranked
    assert not Report(flags=[Flag("copy", "copies x", blocking=True)], **base).ranked


def test_the_musicality_floor_raises_a_low_style_score_and_never_lowers_one() -> None:
    assert graded(3.0, 0.8) == round(GENERAL_CAP * 0.8, 2)
    assert graded(90.0, 1.0) == 90.0  # a good fit to the style is judged by that fit
    assert graded(10.0, 0.0) == 10.0
    assert graded(10.0, None) == 10.0  # no musicality critic: the style score alone


def test_musicality_alone_never_reaches_the_cap() -> None:
    assert graded(0.0, 1.5) == GENERAL_CAP
    assert GENERAL_CAP <= 60.0  # fitting the challenge's style must matter more
