"""Entries scored by a real Celery worker process on the configured broker."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from chartbusters.accounts.models import User
from chartbusters.challenges.models import Challenge
from chartbusters.leaderboards.models import LeaderboardEntry
from chartbusters.submissions.models import Submission
from chartbusters.submissions.states import TERMINAL_STATES, SubmissionState
from chartbusters.submissions.tasks import score_submission
from tests.chartbusters.builders import enter, make_challenge, piece
from tests.worker import celery_worker, wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def settled(entry: Submission) -> bool:
    """Done, or handed back to the reaper after a failure (which this test does not run)."""
    entry.refresh_from_db()
    return entry.state in TERMINAL_STATES or bool(entry.failure_reason)


def test_a_system_failure_in_the_worker_fails_the_entry_without_costing_quota(
    alice: User, tmp_path: Path
) -> None:
    challenge = make_challenge(daily_quota=1, total_quota=1)
    no_profiles = tmp_path / "no-profiles"
    no_profiles.mkdir()
    with celery_worker(
        queues="evaluation,celery",
        EVALUATION_PROFILES_DIR=str(no_profiles),
        SUBMISSION_MAX_ATTEMPTS="1",
    ):
        entry = enter(alice, challenge)
        assert wait_until(lambda: settled(entry), timeout=120), "the worker never ran it"
    assert entry.state == SubmissionState.FAILED
    assert not entry.counts_against_quota
    assert "after 1 attempts" in entry.failure_reason
    enter(alice, challenge, seed=9)  # the quota is untouched


def test_entries_are_scored_by_a_real_worker_and_copies_stay_off_the_board(
    alice: User, bob: User, real_judge: Path, challenge: Challenge
) -> None:
    with celery_worker(queues="evaluation,celery", EVALUATION_PROFILES_DIR=str(real_judge)):
        original = enter(alice, challenge, seed=1, title="Original")
        assert wait_until(lambda: settled(original), timeout=240)
        copy = enter(bob, challenge, seed=1, title="Copy", midi_bytes=piece(1))
        again = enter(alice, challenge, seed=1, title="Again", midi_bytes=piece(1))
        assert wait_until(lambda: settled(copy) and settled(again), timeout=240)
    assert original.state == SubmissionState.SCORED, original.failure_reason
    assert original.ranked
    assert 0 <= (original.score or 0) <= 100
    assert set(original.components) == {"realism", "typicality", "frechet", "musicality"}
    assert original.evaluator_version
    assert not copy.ranked
    assert copy.blocking_flags[0]["source"] == f"entry:{original.pk}"
    assert again.ranked  # resubmitting your own piece is not copying
    board = list(LeaderboardEntry.objects.filter(challenge=challenge))
    assert [(row.participant_id, row.rank) for row in board] == [(alice.pk, 1)]


def test_a_repeated_delivery_writes_one_result(
    alice: User, real_judge: Path, challenge: Challenge, settings: Any
) -> None:
    entry = enter(alice, challenge)
    assert score_submission.run(entry.pk) == "scored"
    entry.refresh_from_db()
    first = (entry.score, entry.scored_at)
    assert score_submission.run(entry.pk) == "nothing to do"
    entry.refresh_from_db()
    assert (entry.score, entry.scored_at) == first
