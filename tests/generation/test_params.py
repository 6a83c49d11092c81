"""The parameter spec: validation messages, defaults, CLI options and JSON for the studio."""

import argparse

import pytest

from generation.errors import GenerationParamError
from generation.params import Param, ParamSpec
from generation.registry import ARCNN_PARAMS

SPEC = ParamSpec(
    (
        Param("creative_risk", "float", 1.0, "Risk.", minimum=0.5, maximum=6),
        Param("sampling_iterations", "int", 100, "Edits.", minimum=0, maximum=1000),
        Param("sampling_technique", "choice", "top-k", "How.", choices=("top-k", "nucleus")),
    )
)


def refusal(values):
    with pytest.raises(GenerationParamError) as caught:
        SPEC.validate(values)
    return caught.value


def test_it_names_the_parameter_and_its_range():
    error = refusal({"creative_risk": 9})
    assert error.param == "creative_risk"
    assert error.message == "Creative risk must be between 0.5 and 6, not 9."


def test_it_refuses_a_fraction_for_a_whole_number():
    error = refusal({"sampling_iterations": 2.5})
    assert (
        error.message == "Sampling iterations must be a whole number between 0 and 1000, not 2.5."
    )


def test_it_refuses_text_and_booleans_for_numbers():
    assert refusal({"creative_risk": "lots"}).message == (
        "Creative risk must be a number between 0.5 and 6, not 'lots'."
    )
    assert refusal({"sampling_iterations": True}).param == "sampling_iterations"
    assert refusal({"creative_risk": float("nan")}).param == "creative_risk"


@pytest.mark.parametrize("name", ["creative_risk", "sampling_iterations"])
def test_it_refuses_a_number_too_large_for_a_float_without_echoing_it(name):
    error = refusal({name: int("9" * 400)})  # float() of it raises OverflowError
    assert error.param == name
    assert error.message.endswith(", not a 400-digit number.")
    assert refusal({name: "9" * 400}).param == name  # as text, it reads as infinity


def test_it_lists_the_choices():
    assert refusal({"sampling_technique": "greedy"}).message == (
        "Sampling technique must be one of 'top-k' or 'nucleus', not 'greedy'."
    )


def test_it_refuses_unknown_names_instead_of_ignoring_them():
    error = refusal({"creative_rsik": 2})
    assert error.param == "creative_rsik"
    assert "creative_risk, sampling_iterations, sampling_technique" in error.message


def test_it_fills_defaults_and_converts_types():
    assert SPEC.validate({"sampling_iterations": "7", "creative_risk": 2}) == {
        "creative_risk": 2.0,
        "sampling_iterations": 7,
        "sampling_technique": "top-k",
    }
    assert SPEC.validate(None) == SPEC.defaults()


def test_cli_options_are_named_after_the_parameters():
    parser = argparse.ArgumentParser()
    SPEC.add_arguments(parser)
    args = parser.parse_args(["--creative-risk", "3", "--sampling-technique", "nucleus"])
    assert SPEC.from_args(args)["creative_risk"] == 3.0
    with pytest.raises(
        GenerationParamError, match=r"Creative risk must be between 0\.5 and 6, not 9"
    ):
        SPEC.from_args(parser.parse_args(["--creative-risk", "9"]))


def test_json_carries_what_the_studio_form_needs():
    first = SPEC.to_json()[0]
    assert first == {
        "name": "creative_risk",
        "label": "Creative risk",
        "type": "float",
        "default": 1.0,
        "help": "Risk.",
        "min": 0.5,
        "max": 6,
    }


def test_a_default_outside_its_own_range_fails_at_declaration():
    with pytest.raises(GenerationParamError):
        Param("x", "int", 11, "X.", minimum=0, maximum=10)


def test_arcnn_parameters_keep_deepcomposers_meaning_and_our_defaults():
    assert ARCNN_PARAMS.defaults() == {
        "max_input_notes_to_remove": 100,
        "max_notes_to_add": 500,
        "sampling_iterations": 100,
        "creative_risk": 1.0,
    }
    assert [(p.minimum, p.maximum) for p in ARCNN_PARAMS] == [
        (0, 100),
        (0, 1000),
        (0, 1000),
        (0.5, 6),
    ]


def test_an_empty_value_is_named_by_its_label_not_as_none():
    """Issue 20, item 10: a cleared field read "creative_risk ... not None"."""
    error = refusal({"creative_risk": None})
    assert error.param == "creative_risk"
    assert error.message == "Creative risk is empty: give a number between 0.5 and 6."
    assert "None" not in refusal({"sampling_technique": None}).message
