"""An entry made by running a generator on a sample melody may hold the sample: the judge
gets it as given material, and calls the entry a copy only when it is the sample alone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from chartbusters.accounts.models import User
from chartbusters.challenges.models import Challenge
from chartbusters.submissions import services
from chartbusters.submissions.evaluation import judge
from chartbusters.submissions.models import Submission
from chartbusters.submissions.provenance import Verification, given_samples
from music.catalogue import load_sample
from music.midi_io import score_to_midi
from tests.chartbusters.builders import enter, make_challenge
from tests.evaluation.builders import continued

CLAIM = {
    "input": "sample:ode-to-joy",
    "technique": "transformer",
    "parameters": {},
    "seed": 7,
    "model_version": "transformer-1",
}
STUDIO = {
    "source": "studio",
    "input": {"composition": "c1", "kind": "sample", "title": "Ode", "sample": "ode-to-joy"},
    "chain": [
        {"kind": "sample", "title": "Ode to Joy", "sample": "ode-to-joy"},
        {"kind": "generated", "title": "Ode, extended", "technique": "transformer"},
    ],
}


@pytest.mark.parametrize(
    ("provenance", "verification", "given"),
    [
        (CLAIM, Verification.PENDING, ["sample:ode-to-joy"]),
        (CLAIM, Verification.VERIFIED, ["sample:ode-to-joy"]),
        (CLAIM, Verification.UNVERIFIED, []),  # the re-run did not give its notes
        (STUDIO, Verification.STUDIO, ["sample:ode-to-joy"]),
        ({**CLAIM, "input": {"sample": "kuckuck"}}, Verification.PENDING, ["sample:kuckuck"]),
        ({**CLAIM, "input": {"midi": "TVRoZA=="}}, Verification.PENDING, []),  # an own file
        (None, Verification.NOT_CLAIMED, []),  # an upload
        ({"chain": [{"sample": "ode-to-joy"}]}, Verification.NOT_CLAIMED, []),  # no generator
        ({**CLAIM, "input": "sample:"}, Verification.PENDING, []),
        ("sample:ode-to-joy", Verification.PENDING, []),  # not a provenance at all
    ],
)
def test_the_samples_an_entry_was_generated_from(
    provenance: Any, verification: str, given: list[str]
) -> None:
    assert given_samples(provenance, verification) == given


@pytest.fixture
def challenge(db: None, monkeypatch: pytest.MonkeyPatch) -> Challenge:
    """A challenge taking Transformer entries; claims' re-runs are not queued here."""
    monkeypatch.setattr(services, "publish_verification", lambda pk: None)
    return make_challenge(allowed_techniques=["transformer", "upload"])


@pytest.fixture
def extended() -> bytes:
    """The sample melody with a continuation, as the Transformer makes it."""
    return score_to_midi(continued(load_sample("ode-to-joy")))


def copy_of(entry: Submission) -> Any:
    return judge(entry).details["novelty"]["copy_of"]


@pytest.mark.django_db
def test_a_generated_continuation_of_a_sample_is_no_copy_but_the_same_upload_is(
    alice: User,
    bob: User,
    challenge: Challenge,
    extended: bytes,
    real_judge: Path,
) -> None:
    claimed = enter(
        alice, challenge, technique="transformer", provenance=CLAIM, midi_bytes=extended
    )
    report = judge(claimed)
    assert report.details["novelty"]["copy_of"] is None
    assert report.details["novelty"]["built_on"] == ["sample:ode-to-joy"]
    assert not [flag for flag in report.flags if flag["code"] == "copy"]
    uploaded = enter(bob, challenge, midi_bytes=extended)
    assert copy_of(uploaded) == "sample:ode-to-joy"


@pytest.mark.django_db
@pytest.mark.django_db
def test_two_participants_continuing_one_sample_do_not_copy_each_other(
    alice: User, bob: User, challenge: Challenge, real_judge: Path
) -> None:
    first, second = (
        score_to_midi(continued(load_sample("ode-to-joy"), seed=seed)) for seed in (1, 2)
    )
    enter(alice, challenge, technique="transformer", provenance=CLAIM, midi_bytes=first)
    later = enter(bob, challenge, technique="transformer", provenance=CLAIM, midi_bytes=second)
    assert copy_of(later) is None
    again = enter(bob, challenge, technique="transformer", provenance=CLAIM, midi_bytes=first)
    assert str(copy_of(again)).startswith("entry:")  # alice's continuation itself


@pytest.mark.django_db
def test_the_sample_alone_claimed_as_generated_is_still_a_copy(
    alice: User, challenge: Challenge, real_judge: Path
) -> None:
    sample = score_to_midi(load_sample("ode-to-joy"))
    entry = enter(alice, challenge, technique="transformer", provenance=CLAIM, midi_bytes=sample)
    assert copy_of(entry) == "sample:ode-to-joy"


@pytest.mark.django_db
def test_a_claim_that_failed_its_rerun_is_judged_as_an_upload(
    alice: User,
    challenge: Challenge,
    extended: bytes,
    real_judge: Path,
) -> None:
    entry = enter(alice, challenge, technique="transformer", provenance=CLAIM, midi_bytes=extended)
    Submission.objects.filter(pk=entry.pk).update(verification=Verification.UNVERIFIED)
    entry.refresh_from_db()
    assert copy_of(entry) == "sample:ode-to-joy"
