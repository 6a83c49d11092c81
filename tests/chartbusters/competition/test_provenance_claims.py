"""What an entry claims about how it was made, decided at submission."""

from __future__ import annotations

from typing import Any

import pytest

from chartbusters.accounts.models import User
from chartbusters.challenges.models import Challenge
from chartbusters.core import enqueue
from chartbusters.core.errors import ApplicationError
from chartbusters.submissions import services, verification
from chartbusters.submissions.models import Submission
from chartbusters.submissions.provenance import NO_PROVENANCE
from chartbusters.submissions.tasks import reap_stuck_submissions
from tests.chartbusters.builders import enter, make_challenge

pytestmark = pytest.mark.django_db

CLAIM = {
    "input": "sample:twinkle-twinkle",
    "technique": "transformer",
    "parameters": {},
    "seed": 7,
    "model_version": "transformer-1",
}


@pytest.fixture
def challenge(db: None) -> Challenge:
    return make_challenge(allowed_techniques=["gan", "arcnn", "transformer", "upload"])


@pytest.fixture
def reruns(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    queued: list[int] = []
    monkeypatch.setattr(services, "publish_verification", queued.append)
    return queued


def test_an_upload_claims_no_generator(
    alice: User, challenge: Challenge, reruns: list[int]
) -> None:
    entry = enter(alice, challenge)
    assert (entry.verification, entry.hand_edited, entry.provenance) == ("not_claimed", False, None)
    assert reruns == []


def test_a_generator_claim_with_a_provenance_is_queued_for_a_rerun(
    alice: User, challenge: Challenge, reruns: list[int]
) -> None:
    entry = enter(alice, challenge, technique="transformer", provenance=CLAIM)
    assert (entry.verification, entry.provenance) == ("pending", CLAIM)
    assert reruns == [entry.pk]


def test_a_generator_claim_without_a_provenance_is_unverified_with_the_reason(
    alice: User, challenge: Challenge, reruns: list[int]
) -> None:
    entry = enter(alice, challenge, technique="arcnn")
    assert (entry.verification, entry.verification_note) == ("unverified", NO_PROVENANCE)
    assert reruns == []


def test_a_provenance_naming_a_studio_composition_is_refused(
    alice: User, challenge: Challenge
) -> None:
    """Else anyone could borrow another participant's (private) composition's record."""
    forged = CLAIM | {"composition": "0b7c6a3e-0000-4000-8000-000000000000"}
    with pytest.raises(ApplicationError, match="cannot name a studio composition"):
        enter(alice, challenge, technique="transformer", provenance=forged)
    assert not Submission.objects.exists()


def test_a_rerun_whose_publish_failed_is_queued_again_by_the_reaper(
    alice: User,
    challenge: Challenge,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
    redis_queues: None,
) -> None:
    published: list[int] = []

    class Down:
        def delay(self, submission_id: int) -> None:
            raise ConnectionError("the broker is down")

    class Up:
        def delay(self, submission_id: int) -> None:
            published.append(submission_id)

    real = enqueue.task  # the broker is down for the re-runs only

    def broker(state: object) -> None:
        monkeypatch.setattr(
            enqueue,
            "task",
            lambda name: state if name == verification.VERIFY_PROVENANCE else real(name),
        )

    broker(Down())
    with django_capture_on_commit_callbacks(execute=True):
        entry = enter(alice, challenge, technique="transformer", provenance=CLAIM)
    entry.refresh_from_db()
    assert (entry.verification, entry.verification_queued_at) == ("pending", None)
    broker(Up())
    with django_capture_on_commit_callbacks(execute=True):
        assert reap_stuck_submissions.run()["verification_requeued"] == [entry.pk]
    assert published == [entry.pk]
    assert reap_stuck_submissions.run()["verification_requeued"] == []  # queued, not lost
