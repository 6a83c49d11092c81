"""The scoring pipeline, as services the Celery tasks call.

One evaluation goes: ``submission_claim`` (queued -> evaluating, with a lease) ->
the judge, outside any transaction -> ``submission_record_report`` (evaluating ->
scored, and the leaderboard row, in one transaction) or ``submission_reject`` or
``submission_release`` (a system failure: failed when out of attempts, otherwise left
for the reaper).

``attempts`` counts the workers an entry was given to: 1 at submission, +1 each time
the reaper takes it back from a worker that claimed it and did not finish (killed, or a
system failure). A result is written only by the delivery that claimed the current
attempt, so a slow worker whose lease ran out cannot write over (or beside) the result
of the worker that took over: every entry gets one result.

Leases that tell waiting from failing. The reaper treats the two pending states apart:

- ``evaluating`` past its lease: a worker took the entry and did not finish. That is a
  failed attempt: re-queued (attempts + 1), or failed once out of attempts.
- ``queued``: no worker has taken it in this attempt. Waiting in a backlog, however
  long, is not a failure: ``attempts`` never grows and the entry is never failed for it.
  Its message is published again only when it is known lost, because a message that is
  still queued must not get a twin (2,000 entries behind a slow worker would otherwise
  become 4,000, then 6,000 messages). Known lost means: its publish failed
  (``published_at`` is empty; re-published at the next pass, a minute, not a lease,
  later), or its queue lease ran out and the broker's evaluation queue is empty (the
  message cannot be waiting there: the broker lost it). Every row's ``published_at``
  is set in the transaction that queues it, and cleared if the publish then fails.

Duplicates that the broker itself makes (a redelivery after a worker died holding an
unacknowledged message) are harmless: a delivery claims only a ``queued`` entry, so a
stale copy finds the entry evaluating or done and does nothing. The one window left is
a message a worker has taken off the queue but not yet claimed (milliseconds) at the
moment a queue lease has run out and the queue is empty; its twin then does nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from chartbusters.core.enqueue import publish_on_commit, task
from chartbusters.core.queues import queue_depth, queue_of
from chartbusters.evaluator import scoring
from chartbusters.submissions.models import Submission
from chartbusters.submissions.signals import announce_standing_changed
from chartbusters.submissions.states import SubmissionState, check_transition

logger = logging.getLogger(__name__)
S = SubmissionState
SCORING_TASK = "chartbusters.submissions.tasks.score_submission"
NOTIFY_SUBMISSION_RESULT = "chartbusters.submissions.tasks.notify_submission_result"
REAP_BATCH = 1000  # rows per pass; the next pass (a minute later) takes the rest


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
    another worker holds it, or the row is gone): repeated deliveries are harmless.

    The state change is one conditional UPDATE, its own transaction: of two deliveries
    at once, the second waits for the first's row lock and then finds the entry no
    longer queued. (A locked read, the write and BEGIN/COMMIT were four round trips
    per scored entry.) The lease keeps the reaper off the entry while its ids are read.
    """
    now = now or timezone.now()
    check_transition(S.QUEUED, S.EVALUATING)
    lease = _lease(settings.SUBMISSION_EVALUATION_LEASE_SECONDS, now)
    taken = Submission.objects.filter(pk=submission_id, state=S.QUEUED).update(
        state=S.EVALUATING, lease_expires_at=lease, updated_at=now
    )
    if not taken:
        return None
    row = (
        Submission.objects.filter(pk=submission_id)
        .values_list("attempts", "challenge_id", "participant_id")
        .first()
    )
    return Claim(submission_id, *row) if row else None


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
    with transaction.atomic():
        submission = _current(claim)
        if submission is None:
            logger.info("Dropping a stale result for submission %s", claim.submission_id)
            return None
        fields = submission.move_to(S.SCORED)
        apply_report(submission, report, now or timezone.now())
        submission.lease_expires_at = None
        submission.save(update_fields=[*fields, *REPORT_FIELDS, "lease_expires_at"])
        announce_standing_changed(
            challenge_id=submission.challenge_id, participant_id=submission.participant_id
        )
        task(NOTIFY_SUBMISSION_RESULT).delay_on_commit(submission.pk)
    return submission


REPORT_FIELDS = (
    "score", "components", "weights", "flags", "explanation", "evaluator_version",
    "profile", "details", "ranked", "scored_at",
)  # fmt: skip


def apply_report(submission: Submission, report: scoring.EntryReport, now: datetime) -> None:
    """Copy the judge's report onto the entry (the caller saves ``REPORT_FIELDS``)."""
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
    with transaction.atomic():
        submission = _current(claim)
        if submission is None:
            return None
        fields = submission.move_to(S.REJECTED)
        submission.failure_reason = reason
        submission.lease_expires_at = None
        submission.save(update_fields=[*fields, "failure_reason", "lease_expires_at"])
        task(NOTIFY_SUBMISSION_RESULT).delay_on_commit(submission.pk)
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


def publish_scoring(submission_id: int) -> None:
    """Hand the entry's scoring message to the broker once the transaction commits.

    Not ``delay_on_commit``: a broker that is down must not turn a stored entry into an
    error page (the participant would submit again and pay quota twice). A failed
    publish clears ``published_at``, which tells the reaper's next pass (a minute away,
    not a queue lease) that this message is lost for sure."""

    publish_on_commit(
        SCORING_TASK,
        (submission_id,),
        what=f"the scoring of submission {submission_id}",
        on_failure=lambda: Submission.objects.filter(pk=submission_id, state=S.QUEUED).update(
            published_at=None
        ),
    )


def _requeue(submission: Submission, now: datetime, fields: list[str]) -> None:
    """Give the entry a fresh queue lease and publish its message on commit."""
    submission.lease_expires_at = _lease(settings.SUBMISSION_QUEUE_LEASE_SECONDS, now)
    submission.published_at = now
    submission.save(update_fields=[*fields, "lease_expires_at", "published_at"])
    publish_scoring(submission.pk)


@dataclass(frozen=True)
class ReapResult:
    requeued: list[int]  # a worker took it and died or gave up: a new attempt
    failed: list[int]  # out of attempts
    republished: list[int]  # never taken, and its message is lost: the same attempt

    def as_dict(self) -> dict[str, list[int]]:
        return {"requeued": self.requeued, "failed": self.failed, "republished": self.republished}


def submissions_reap(*, now: datetime | None = None) -> ReapResult:
    """Re-queue entries whose worker failed them, fail those out of attempts, and
    re-publish entries whose message is known lost. Waiting is never failing."""
    now = now or timezone.now()
    requeued, failed = _reap_evaluating(now)
    republished = _republish_lost(now)
    if requeued or failed or republished:
        logger.warning(
            "Reaper: re-queued %s, failed %s, re-published %s", requeued, failed, republished
        )
    return ReapResult(requeued, failed, republished)


def _reap_evaluating(now: datetime) -> tuple[list[int], list[int]]:
    """Entries a worker claimed and did not finish within the lease: each is a failed
    attempt (the worker died, or released it after a system error)."""
    stuck = Submission.objects.filter(state=S.EVALUATING, lease_expires_at__lt=now)
    requeued, failed = [], []
    for submission_id in list(stuck.values_list("pk", flat=True)[:REAP_BATCH]):
        with transaction.atomic():
            submission = Submission.objects.select_for_update().get(pk=submission_id)
            if submission.state != S.EVALUATING or not submission.lease_expires_at:
                continue
            if submission.lease_expires_at >= now:
                continue
            if submission.attempts >= settings.SUBMISSION_MAX_ATTEMPTS:
                _fail(submission, _stuck_reason(submission))
                failed.append(submission_id)
                continue
            fields = submission.move_to(S.QUEUED)
            submission.attempts += 1
            _requeue(submission, now, [*fields, "attempts"])
            requeued.append(submission_id)
    return requeued, failed


def _republish_lost(now: datetime) -> list[int]:
    """Queued entries no worker has taken yet. Waiting is not failing: ``attempts``
    stays, and a message is published again only when the old one is known lost."""
    lost = _lost_messages(now)
    republished = []
    for submission_id in list(lost.values_list("pk", flat=True)[:REAP_BATCH]):
        with transaction.atomic():
            submission = Submission.objects.select_for_update().get(pk=submission_id)
            if not lost.filter(pk=submission_id).exists():
                continue  # claimed, or published, since the list was read
            _requeue(submission, now, ["updated_at"])
            republished.append(submission_id)
    return republished


def _lost_messages(now: datetime) -> QuerySet[Submission]:
    """Queued entries whose message cannot be in the broker any more.

    - Its publish failed (``published_at`` is empty): lost for sure, re-publish now.
    - Its queue lease ran out and the evaluation queue holds no message at all: the
      broker lost it (a restart without persistence). While the queue still holds
      messages, ours may be among them, waiting behind a backlog, so nothing is
      published: a second copy would be a duplicate, however long the wait.
    """
    queued = Submission.objects.filter(state=S.QUEUED)
    unpublished = Q(published_at__isnull=True)
    if not queued.filter(lease_expires_at__lt=now, published_at__isnull=False).exists():
        return queued.filter(unpublished)
    if queue_depth(queue_of(SCORING_TASK)) != 0:  # waiting, or the broker cannot say
        return queued.filter(unpublished)
    return queued.filter(unpublished | Q(lease_expires_at__lt=now))


def _stuck_reason(submission: Submission) -> str:
    last = submission.failure_reason or "the judge did not finish in time"
    return (
        f"Scoring failed {submission.attempts} times ({last}). This was our fault, not "
        "your entry's: it does not count against your quota. Please submit it again."
    )
