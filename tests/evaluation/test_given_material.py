"""Material an entry was built on (the sample melody a generator extended or
accompanied) may be in it: it copies that material only when it is that material alone."""

from __future__ import annotations

import pytest

from evaluation.evaluate import evaluate
from evaluation.profile import Profile, load_profile
from music.catalogue import load_sample
from music.score import Score
from tests.evaluation.builders import continued

SAMPLE = "ode-to-joy"
GIVEN = [f"sample:{SAMPLE}"]


@pytest.fixture(scope="module")
def profile() -> Profile:
    return load_profile("bach-chorales")


def copy_of(profile: Profile, score: Score, given: list[str] | None = None) -> object:
    return evaluate(score, profile, given=given or ()).details["novelty"]["copy_of"]


def test_a_continuation_of_the_sample_it_was_given_is_no_copy_of_it(profile: Profile) -> None:
    extended = continued(load_sample(SAMPLE))
    assert copy_of(profile, extended) == GIVEN[0]  # taken as it is: the sample's notes
    report = evaluate(extended, profile, given=GIVEN)
    assert report.details["novelty"] == {"copy_of": None, "built_on": GIVEN}
    assert not [flag for flag in report.flags if flag.code == "copy"]


def test_the_sample_alone_is_still_a_copy_of_it(profile: Profile) -> None:
    assert copy_of(profile, load_sample(SAMPLE), GIVEN) == GIVEN[0]
    assert copy_of(profile, continued(load_sample(SAMPLE), notes=3), GIVEN) == GIVEN[0]


def test_only_the_material_named_as_given_is_let_through(profile: Profile) -> None:
    extended = continued(load_sample(SAMPLE))
    assert copy_of(profile, extended, ["sample:twinkle-twinkle"]) == GIVEN[0]
