"""The scoring pipeline, as services the Celery tasks call.

One evaluation goes: ``submission_claim`` (queued -> evaluating, with a lease) ->
the judge, outside any transaction -> ``submission_record_report`` (evaluating ->
scored, and the leaderboard row, in one transaction) or ``submission_reject`` or
``submission_release`` (a system failure: failed when out of attempts, otherwise left
for the reaper).

``attempts`` counts how often the entry was handed to the queue: 1 at submission, +1
per re-queue by the reaper. A result is written only by the delivery that claimed the
current attempt, so a slow worker whose lease ran out cannot write over (or beside) the
result of the worker that took over: every entry gets one result.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from chartbusters.leaderboards.services import leaderboard_refresh_participant
from chartbusters.submissions import scoring
from chartbusters.submissions.models import Submission
from chartbusters.submissions.states import SubmissionState

logger = logging.getLogger(__name__)
S = SubmissionState


@dataclass(frozen=True)
class Claim:
    submission_id: int
    attempt: int
    challenge_id: int
    participant_id: int


def _lease(seconds: int, now: datetime) -> datetime:
    return now + timedelta(seconds=seconds)


def submission_claim(*, submission_id: int, now: datetime | None = None) -> Claim | None:
    """Take a queued entry for evaluation; None when there is nothing to do (it is done,
    another worker holds it, or the row is gone): repeated deliveries are harmless."""
    now = now or timezone.now()
    with transaction.atomic():
        submission = Submission.objects.select_for_update().filter(pk=submission_id).first()
        if submission is None or submission.state != S.QUEUED:
            return None
        fields = submission.move_to(S.EVALUATING)
        submission.lease_expires_at = _lease(settings.SUBMISSION_EVALUATION_LEASE_SECONDS, now)
        submission.save(update_fields=[*fields, "lease_expires_at"])
    return Claim(
        submission.pk, submission.attempts, submission.challenge_id, submission.participant_id
    )


def _current(claim: Claim) -> Submission | None:
    """The entry, locked, if this claim still holds it."""
    submission = Submission.objects.select_for_update().filter(pk=claim.submission_id).first()
    if submission is None or submission.state != S.EVALUATING:
        return None
    if submission.attempts != claim.attempt:
        return None
    return submission


def submission_record_report(
    *, claim: Claim, report: scoring.EntryReport, now: datetime | None = None
) -> Submission | None:
    """Store the judge's report and update the board, together; once per entry."""
    from chartbusters.submissions.tasks import notify_submission_result

    with transaction.atomic():
        submission = _current(claim)
        if submission is None:
            logger.info("Dropping a stale result for submission %s", claim.submission_id)
            return None
        fields = submission.move_to(S.SCORED)
        _apply_report(submission, report, now or timezone.now())
        submission.lease_expires_at = None
        submission.save(update_fields=[*fields, *REPORT_FIELDS, "lease_expires_at"])
        leaderboard_refresh_participant(
            challenge_id=submission.challenge_id, participant_id=submission.participant_id
        )
        notify_submission_result.delay_on_commit(submission.pk)
    return submission


REPORT_FIELDS = (
    "score", "components", "weights", "flags", "explanation", "evaluator_version",
    "profile", "details", "ranked", "scored_at",
)  # fmt: skip


def _apply_report(submission: Submission, report: scoring.EntryReport, now: datetime) -> None:
    submission.score = report.score
    submission.components = report.components
    submission.weights = report.weights
    submission.flags = report.flags
    submission.explanation = report.explanation
    submission.evaluator_version = report.evaluator_version
    submission.profile = report.profile
    submission.details = report.details
    submission.ranked = report.ranked
    submission.scored_at = now


def submission_reject(*, claim: Claim, reason: str) -> Submission | None:
    """The entry itself cannot be scored; it still counts against the quota."""
    from chartbusters.submissions.tasks import notify_submission_result

    with transaction.atomic():
        submission = _current(claim)
        if submission is None:
            return None
        fields = submission.move_to(S.REJECTED)
        submission.failure_reason = reason
        submission.lease_expires_at = None
        submission.save(update_fields=[*fields, "failure_reason", "lease_expires_at"])
        notify_submission_result.delay_on_commit(submission.pk)
    return submission


def _fail(submission: Submission, reason: str) -> None:
    """A system failure: terminal, and it never costs the participant quota."""
    fields = submission.move_to(S.FAILED)
    submission.failure_reason = reason
    submission.counts_against_quota = False
    submission.lease_expires_at = None
    submission.save(
        update_fields=[*fields, "failure_reason", "counts_against_quota", "lease_expires_at"]
    )


def submission_release(
    *, claim: Claim, reason: str, now: datetime | None = None
) -> Submission | None:
    """The judge failed for a system reason: fail the entry when out of attempts,
    otherwise end its lease now so that the reaper re-queues it on its next pass."""
    with transaction.atomic():
        submission = _current(claim)
        if submission is None:
            return None
        if submission.attempts >= settings.SUBMISSION_MAX_ATTEMPTS:
            _fail(submission, f"{reason} (after {submission.attempts} attempts)")
        else:
            submission.lease_expires_at = now or timezone.now()
            submission.failure_reason = reason
            submission.save(update_fields=["lease_expires_at", "failure_reason", "updated_at"])
    return submission


def submission_give_up(*, claim: Claim, reason: str) -> Submission | None:
    """Scoring this entry keeps killing the worker: fail it now (a system failure, so it
    costs no quota) instead of handing it to the next worker."""
    with transaction.atomic():
        submission = _current(claim)
        if submission is None:
            return None
        _fail(submission, reason)
    return submission


@dataclass(frozen=True)
class ReapResult:
    requeued: list[int]
    failed: list[int]


def submissions_reap(*, now: datetime | None = None) -> ReapResult:
    """Re-queue entries queued or evaluating past their lease; fail those out of attempts."""
    from chartbusters.submissions.tasks import score_submission

    now = now or timezone.now()
    stuck = Submission.objects.filter(
        state__in=[S.QUEUED, S.EVALUATING], lease_expires_at__lt=now
    ).values_list("pk", flat=True)
    requeued, failed = [], []
    for submission_id in list(stuck[:1000]):
        with transaction.atomic():
            submission = Submission.objects.select_for_update().get(pk=submission_id)
            if submission.state not in (S.QUEUED, S.EVALUATING):
                continue
            if submission.lease_expires_at is None or submission.lease_expires_at >= now:
                continue
            if submission.attempts >= settings.SUBMISSION_MAX_ATTEMPTS:
                _fail(submission, _stuck_reason(submission))
                failed.append(submission_id)
                continue
            fields = submission.move_to(S.QUEUED)
            submission.attempts += 1
            submission.lease_expires_at = _lease(settings.SUBMISSION_QUEUE_LEASE_SECONDS, now)
            submission.save(update_fields=[*fields, "attempts", "lease_expires_at"])
            score_submission.delay_on_commit(submission_id)
            requeued.append(submission_id)
    if requeued or failed:
        logger.warning("Reaper: re-queued %s, failed %s", requeued, failed)
    return ReapResult(requeued, failed)


def _stuck_reason(submission: Submission) -> str:
    last = submission.failure_reason or "the judge did not finish in time"
    return (
        f"Scoring failed {submission.attempts} times ({last}). This was our fault, not "
        "your entry's: it does not count against your quota. Please submit it again."
    )
