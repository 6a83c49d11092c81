"""Entering a challenge: validation before storage, quotas, provenance, the queue."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from chartbusters.accounts.models import User
from chartbusters.challenges.models import Challenge
from chartbusters.core.errors import ApplicationError
from chartbusters.submissions.audio import RENDER_SUBMISSION_AUDIO
from chartbusters.submissions.models import Submission
from chartbusters.submissions.pipeline import SCORING_TASK
from chartbusters.submissions.states import SubmissionState
from tests.chartbusters.builders import enter, make_challenge, piece

pytestmark = pytest.mark.django_db

PROVENANCE = {
    "input": "sample:twinkle-twinkle",
    "technique": "arcnn",
    "parameters": {"iterations": 50, "creative_risk": 1.5},
    "seed": 7,
    "model_version": "arcnn-bach-1",
}


def stored_files(settings: Any) -> list[Path]:
    return [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()]


def test_an_entry_is_stored_under_a_generated_name_and_queued(
    alice: User, challenge: Challenge, settings: Any
) -> None:
    entry = enter(alice, challenge, title="  Chorale no. 1  ")
    assert entry.state == SubmissionState.QUEUED
    assert entry.title == "Chorale no. 1"
    assert entry.attempts == 1
    assert entry.lease_expires_at is not None
    assert entry.midi.name == f"submissions/{challenge.pk}/{entry.uuid}.mid"
    assert entry.fingerprint
    assert [p.name for p in stored_files(settings)] == [f"{entry.uuid}.mid"]


def test_scoring_and_audio_are_enqueued_only_when_the_entry_is_committed(
    alice: User, challenge: Challenge, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        enter(alice, challenge)
    names = [callback.__name__ for callback in callbacks]
    # scoring first
    assert names == [f"publish {SCORING_TASK}", f"publish {RENDER_SUBMISSION_AUDIO}"]


def test_an_invalid_file_is_refused_with_the_validators_message_and_stored_nowhere(
    alice: User, challenge: Challenge, settings: Any
) -> None:
    with pytest.raises(ApplicationError) as caught:
        enter(alice, challenge, midi_bytes=b"RIFF not a midi file at all")
    assert caught.value.code != "invalid"  # the validator's own code
    assert caught.value.message
    assert not Submission.objects.exists()
    assert stored_files(settings) == []


def test_a_file_without_notes_is_refused(alice: User, challenge: Challenge) -> None:
    from music.midi_io import score_to_midi
    from music.score import Score, Track

    empty = score_to_midi(Score(tracks=[Track([], program=0)], resolution=480))
    with pytest.raises(ApplicationError):
        enter(alice, challenge, midi_bytes=empty)
    assert not Submission.objects.exists()


def test_a_closed_challenge_takes_no_entries(alice: User) -> None:
    now = timezone.now()
    closed = make_challenge(starts_at=now - timedelta(days=3), ends_at=now - timedelta(days=1))
    with pytest.raises(ApplicationError, match="not taking entries"):
        enter(alice, closed)


def test_a_technique_the_challenge_does_not_allow_is_refused(alice: User) -> None:
    challenge = make_challenge(allowed_techniques=["arcnn"])
    with pytest.raises(ApplicationError, match="AR-CNN") as caught:
        enter(alice, challenge, technique="upload")
    assert caught.value.code == "technique_not_allowed"


def test_a_studio_composition_keeps_its_provenance(alice: User, challenge: Challenge) -> None:
    entry = enter(alice, challenge, technique="arcnn", provenance=PROVENANCE)
    entry.refresh_from_db()
    assert entry.provenance == PROVENANCE


@pytest.mark.parametrize(
    ("technique", "provenance", "message"),
    [
        ("upload", PROVENANCE, "An uploaded piece has no provenance"),
        ("arcnn", {"seed": 1}, "exactly: input, technique"),
        ("gan", PROVENANCE, "its technique is 'arcnn'"),
        ("arcnn", PROVENANCE | {"seed": "seven"}, "seed must be a whole number"),
        ("arcnn", PROVENANCE | {"model_version": ""}, "model_version must be"),
    ],
)
def test_provenance_is_validated(
    alice: User, challenge: Challenge, technique: str, provenance: object, message: str
) -> None:
    with pytest.raises(ApplicationError, match=message):
        enter(alice, challenge, technique=technique, provenance=provenance)
    assert not Submission.objects.exists()


def test_the_total_quota_is_enforced(alice: User) -> None:
    challenge = make_challenge(daily_quota=2, total_quota=2)
    enter(alice, challenge, seed=1)
    enter(alice, challenge, seed=2)
    with pytest.raises(ApplicationError, match="all 2 entries") as caught:
        enter(alice, challenge, seed=3)
    assert caught.value.status == 429


def test_the_daily_quota_counts_the_current_utc_day(alice: User) -> None:
    challenge = make_challenge(daily_quota=1, total_quota=10)
    yesterday = enter(alice, challenge, seed=1)
    Submission.objects.filter(pk=yesterday.pk).update(created_at=timezone.now() - timedelta(days=1))
    enter(alice, challenge, seed=2)
    with pytest.raises(ApplicationError, match="today's 1 entries"):
        enter(alice, challenge, seed=3)


def test_quotas_are_per_participant(alice: User, bob: User) -> None:
    challenge = make_challenge(daily_quota=1, total_quota=1)
    enter(alice, challenge, seed=1)
    enter(bob, challenge, seed=2)


def test_entries_that_failed_for_system_reasons_cost_no_quota(alice: User) -> None:
    challenge = make_challenge(daily_quota=1, total_quota=1)
    first = enter(alice, challenge, seed=1)
    Submission.objects.filter(pk=first.pk).update(
        state=SubmissionState.FAILED, counts_against_quota=False
    )
    enter(alice, challenge, seed=2)


@pytest.mark.django_db(transaction=True)
def test_parallel_entries_cannot_pass_the_quota_together(alice: User) -> None:
    challenge = make_challenge(daily_quota=3, total_quota=3)
    outcomes: list[str] = []
    start = threading.Barrier(6)

    def submit(seed: int) -> None:
        try:
            start.wait()
            enter(alice, challenge, seed=seed)
            outcomes.append("ok")
        except ApplicationError as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()  # each thread has its own connection; leave none open

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["ok"] * 3 + ["quota_exceeded"] * 3
    assert Submission.objects.filter(participant=alice).count() == 3


def test_a_piece_made_of_different_seeds_is_a_different_file() -> None:
    assert piece(1) != piece(2)
