"""The scoring pipeline: guarded states, one result per entry, leases and the reaper."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from chartbusters.accounts.models import User
from chartbusters.challenges.models import Challenge
from chartbusters.leaderboards.models import LeaderboardEntry
from chartbusters.submissions.models import Submission
from chartbusters.submissions.pipeline import (
    submission_claim,
    submission_record_report,
    submission_reject,
    submission_release,
    submissions_reap,
)
from chartbusters.submissions.states import (
    ALLOWED_TRANSITIONS,
    TERMINAL_STATES,
    SubmissionState,
    TransitionNotAllowed,
    check_transition,
)
from chartbusters.submissions.tasks import notify_submission_result, reap_stuck_submissions
from tests.chartbusters.builders import enter, make_challenge, report, score_with

pytestmark = pytest.mark.django_db
S = SubmissionState


@pytest.mark.parametrize("terminal", sorted(TERMINAL_STATES))
@pytest.mark.parametrize("target", S.values)
def test_terminal_states_stay_terminal(terminal: str, target: str) -> None:
    with pytest.raises(TransitionNotAllowed):
        check_transition(terminal, target)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (S.RECEIVED, S.SCORED),
        (S.QUEUED, S.SCORED),
        (S.EVALUATING, S.RECEIVED),
        (S.QUEUED, S.RECEIVED),
    ],
)
def test_states_cannot_skip_or_go_backwards(current: str, target: str) -> None:
    with pytest.raises(TransitionNotAllowed, match=f"from {current} to {target}"):
        check_transition(current, target)


def test_every_state_has_its_transitions_listed() -> None:
    assert set(ALLOWED_TRANSITIONS) == set(S.values)


def test_a_queued_entry_is_claimed_once(alice: User, challenge: Challenge) -> None:
    entry = enter(alice, challenge)
    claim = submission_claim(submission_id=entry.pk)
    assert claim is not None
    assert claim.attempt == 1
    assert submission_claim(submission_id=entry.pk) is None  # a repeated delivery
    entry.refresh_from_db()
    assert entry.state == S.EVALUATING
    assert entry.lease_expires_at is not None
    assert entry.lease_expires_at > timezone.now()


def test_a_claim_on_a_missing_entry_does_nothing() -> None:
    assert submission_claim(submission_id=123456) is None


def test_a_result_is_written_once_and_puts_the_entry_on_the_board(
    alice: User, challenge: Challenge
) -> None:
    entry = enter(alice, challenge)
    claim = submission_claim(submission_id=entry.pk)
    assert claim is not None
    assert submission_record_report(claim=claim, report=report(61.5)) is not None
    assert submission_record_report(claim=claim, report=report(99.0)) is None
    entry.refresh_from_db()
    assert (entry.state, entry.score, entry.ranked) == (S.SCORED, 61.5, True)
    assert entry.evaluator_version == "1+test.0000000000"
    assert entry.components == {"realism": 0.5, "typicality": 0.5, "frechet": 0.5}
    assert entry.scored_at is not None
    board = LeaderboardEntry.objects.get()
    assert (board.submission_id, board.score, board.rank) == (entry.pk, 61.5, 1)


def test_a_copy_is_scored_but_kept_off_the_board(alice: User, challenge: Challenge) -> None:
    entry = score_with(enter(alice, challenge), report(80.0, copy_of="bach-chorales:bwv1.6"))
    assert entry.state == S.SCORED
    assert not entry.ranked
    assert entry.blocking_flags[0]["source"] == "bach-chorales:bwv1.6"
    assert not LeaderboardEntry.objects.exists()


def test_a_stale_worker_cannot_write_after_the_reaper_handed_the_entry_on(
    alice: User, challenge: Challenge
) -> None:
    entry = enter(alice, challenge)
    slow = submission_claim(submission_id=entry.pk)
    assert slow is not None
    later = timezone.now() + timedelta(days=1)
    assert submissions_reap(now=later).requeued == [entry.pk]
    fresh = submission_claim(submission_id=entry.pk, now=later)
    assert fresh is not None
    assert fresh.attempt == 2
    assert submission_record_report(claim=slow, report=report(10.0)) is None
    assert submission_record_report(claim=fresh, report=report(70.0)) is not None
    entry.refresh_from_db()
    assert (entry.score, entry.attempts) == (70.0, 2)
    assert LeaderboardEntry.objects.get().score == 70.0


def test_the_reaper_leaves_entries_within_their_lease_alone(
    alice: User, challenge: Challenge
) -> None:
    entry = enter(alice, challenge)
    submission_claim(submission_id=entry.pk)
    assert submissions_reap() == submissions_reap(now=timezone.now())
    assert submissions_reap().requeued == []
    entry.refresh_from_db()
    assert entry.state == S.EVALUATING


def test_a_queued_entry_whose_publish_failed_is_published_again_in_the_same_attempt(
    alice: User, challenge: Challenge, django_capture_on_commit_callbacks: Any
) -> None:
    entry = enter(alice, challenge)
    Submission.objects.filter(pk=entry.pk).update(published_at=None)  # the broker was down
    with django_capture_on_commit_callbacks() as callbacks:
        result = submissions_reap()  # at once: not after the queue lease
    assert result.republished == [entry.pk]
    assert result.requeued == []
    assert len(callbacks) == 1  # a fresh score_submission message
    entry.refresh_from_db()
    assert (entry.state, entry.attempts) == (S.QUEUED, 1)  # waiting is not an attempt
    assert entry.published_at is not None


def test_after_the_last_attempt_the_reaper_fails_the_entry_without_costing_quota(
    alice: User, settings: Any
) -> None:
    settings.SUBMISSION_MAX_ATTEMPTS = 2
    challenge = make_challenge(daily_quota=1, total_quota=1)
    entry = enter(alice, challenge)
    now = timezone.now()
    submission_claim(submission_id=entry.pk, now=now)  # the worker dies holding it
    assert submissions_reap(now=now + timedelta(days=1)).requeued == [entry.pk]
    submission_claim(submission_id=entry.pk, now=now + timedelta(days=1))  # dies again
    assert submissions_reap(now=now + timedelta(days=2)).failed == [entry.pk]
    entry.refresh_from_db()
    assert entry.state == S.FAILED
    assert not entry.counts_against_quota
    assert "does not count against your quota" in entry.failure_reason
    enter(alice, challenge, seed=5)  # the quota is still there


def test_the_beat_task_runs_the_reaper(alice: User, challenge: Challenge) -> None:
    entry = enter(alice, challenge)
    submission_claim(submission_id=entry.pk)  # the worker dies holding it
    Submission.objects.filter(pk=entry.pk).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1)
    )
    nothing: dict[str, list[int]] = {
        "requeued": [], "failed": [], "republished": [], "audio_requeued": [], "audio_failed": [],
        "verification_requeued": [],
    }  # fmt: skip
    assert reap_stuck_submissions.run() == nothing | {"requeued": [entry.pk]}
    assert reap_stuck_submissions.run() == nothing


def test_a_system_failure_is_left_for_the_reaper_then_fails_when_out_of_attempts(
    alice: User, settings: Any
) -> None:
    settings.SUBMISSION_MAX_ATTEMPTS = 2
    challenge = make_challenge()
    entry = enter(alice, challenge)
    first = submission_claim(submission_id=entry.pk)
    assert first is not None
    submission_release(claim=first, reason="the judge failed (OSError)")
    entry.refresh_from_db()
    assert entry.state == S.EVALUATING  # its lease has ended: the reaper's turn
    assert submissions_reap(now=timezone.now() + timedelta(seconds=1)).requeued == [entry.pk]
    second = submission_claim(submission_id=entry.pk)
    assert second is not None
    submission_release(claim=second, reason="the judge failed (OSError)")
    entry.refresh_from_db()
    assert entry.state == S.FAILED
    assert not entry.counts_against_quota
    assert entry.failure_reason == "the judge failed (OSError) (after 2 attempts)"


def test_a_rejected_entry_keeps_its_reason_and_counts_against_the_quota(
    alice: User, challenge: Challenge
) -> None:
    entry = enter(alice, challenge)
    claim = submission_claim(submission_id=entry.pk)
    assert claim is not None
    submission_reject(claim=claim, reason="The file has no notes.")
    entry.refresh_from_db()
    assert (entry.state, entry.failure_reason, entry.counts_against_quota) == (
        S.REJECTED, "The file has no notes.", True,
    )  # fmt: skip
    assert submission_record_report(claim=claim, report=report()) is None


def test_the_owner_is_emailed_when_an_entry_is_scored(alice: User, challenge: Challenge) -> None:
    entry = score_with(enter(alice, challenge, title="Aria"), report(55.0))
    assert notify_submission_result.run(entry.pk)
    assert mail.outbox[-1].to == ["alice@example.com"]
    assert "scored 55.0 out of 100" in mail.outbox[-1].body


def test_the_email_keeps_a_hidden_score_hidden(alice: User, hidden_challenge: Challenge) -> None:
    entry = score_with(enter(alice, hidden_challenge), report(55.0))
    notify_submission_result.run(entry.pk)
    assert "scored 55" not in mail.outbox[-1].body
    assert "revealed with the results" in mail.outbox[-1].body


def test_the_owner_is_told_why_a_copy_stays_off_the_ranking(
    alice: User, challenge: Challenge
) -> None:
    entry = score_with(enter(alice, challenge), report(80.0, copy_of="entry:1"))
    notify_submission_result.run(entry.pk)
    assert "stays off the ranking: This entry matches an earlier entry." in mail.outbox[-1].body


def test_rejections_are_emailed_too(alice: User, challenge: Challenge) -> None:
    entry = enter(alice, challenge)
    claim = submission_claim(submission_id=entry.pk)
    assert claim is not None
    submission_reject(claim=claim, reason="The file has no notes.")
    notify_submission_result.run(entry.pk)
    assert "rejected: The file has no notes." in mail.outbox[-1].body
    assert Submission.objects.get().state == S.REJECTED


@pytest.mark.parametrize(
    ("task", "queue"),
    [
        ("chartbusters.submissions.tasks.score_submission", "evaluation"),
        ("chartbusters.submissions.tasks.rescore_challenge", "evaluation"),
        ("chartbusters.submissions.tasks.reap_stuck_submissions", "celery"),
        ("chartbusters.submissions.tasks.notify_submission_result", "celery"),
        ("chartbusters.submissions.tasks.render_submission_audio", "audio"),
        ("chartbusters.challenges.tasks.refresh_challenge_statuses", "celery"),
        ("chartbusters.leaderboards.tasks.notify_results_published", "celery"),
    ],
)
def test_the_judge_runs_on_the_evaluation_queue_and_the_reaper_does_not(
    task: str, queue: str
) -> None:
    from chartbusters.celery import app

    assert app.amqp.router.route({}, task)["queue"].name == queue


def test_beat_runs_the_reaper_and_the_status_refresh() -> None:
    from django.conf import settings

    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {
        "chartbusters.submissions.tasks.reap_stuck_submissions",
        "chartbusters.challenges.tasks.refresh_challenge_statuses",
    } <= tasks
