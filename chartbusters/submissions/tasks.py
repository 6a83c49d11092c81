"""Celery tasks of the scoring pipeline (queue "evaluation"). They take ids and re-fetch."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.db import close_old_connections, connection

from chartbusters.core.crashes import crash_guard
from chartbusters.evaluator import scoring
from chartbusters.submissions.audio import (
    RENDER_SUBMISSION_AUDIO,
    submission_audio_give_up,
    submission_render_audio,
    submissions_audio_reap,
)
from chartbusters.submissions.evaluation import judge
from chartbusters.submissions.models import Submission
from chartbusters.submissions.notifications import notify_submission_result as send_result
from chartbusters.submissions.pipeline import (
    NOTIFY_SUBMISSION_RESULT,
    SCORING_TASK,
    Claim,
    submission_claim,
    submission_give_up,
    submission_record_report,
    submission_reject,
    submission_release,
    submissions_reap,
)
from chartbusters.submissions.verification import verifications_reap

logger = logging.getLogger(__name__)


def reconnect_if_dropped() -> None:
    """The judge takes a while; the database may have dropped the connection meanwhile (a
    restart, a failover). Health-check it as Django does per request, so the result is
    written on a live connection instead of the task failing with the entry stuck.

    Not inside a transaction: a task run in process (``load_demo``, tests) works on its
    caller's connection, which closing would break (Django drops a connection whose
    autocommit is off)."""
    if not connection.in_atomic_block:
        close_old_connections()


@shared_task(name=SCORING_TASK, acks_late=True)
def score_submission(submission_id: int) -> str:
    """Score one entry. Idempotent: a repeated delivery finds nothing to claim."""
    claim = submission_claim(submission_id=submission_id)
    if claim is None:
        return "nothing to do"
    with crash_guard("score_submission", submission_id) as guard:
        if guard.poisoned:
            submission_give_up(claim=claim, reason=f"Scoring failed. {guard.reason}")
            return "gave up"
        return _score(claim)


def _score(claim: Claim) -> str:
    submission_id = claim.submission_id
    submission = Submission.objects.select_related("challenge").get(pk=submission_id)
    try:
        report = judge(submission)
    except scoring.EntryUnscorable as exc:
        submission_reject(claim=claim, reason=str(exc))
        return "rejected"
    except SoftTimeLimitExceeded:
        submission_release(claim=claim, reason="the judge ran past its time limit")
        return "released"
    except Exception as exc:
        # Anything else is ours, not the entry's: retried by the reaper, never costs quota.
        logger.exception("Scoring submission %s failed", submission_id)
        reconnect_if_dropped()  # if the database dropped us, release on a new connection
        submission_release(claim=claim, reason=f"the judge failed ({type(exc).__name__})")
        return "released"
    reconnect_if_dropped()
    submission_record_report(claim=claim, report=report)
    return "scored"


@shared_task(name=RENDER_SUBMISSION_AUDIO, acks_late=True)
def render_submission_audio(submission_id: int) -> str:
    """Render the entry's listening copy (Ogg Vorbis). Idempotent; never affects scoring.
    Queued on "audio" (see ``audio.publish_audio``), never with the scoring."""
    with crash_guard("render_submission_audio", submission_id) as guard:
        if guard.poisoned:
            return submission_audio_give_up(submission_id=submission_id)
        return submission_render_audio(submission_id=submission_id)


@shared_task(name="chartbusters.submissions.tasks.reap_stuck_submissions")
def reap_stuck_submissions() -> dict[str, list[int]]:
    """Beat: re-queue entries whose worker failed them, fail those out of attempts, and
    queue again scoring and audio messages that are known lost (see ``pipeline``)."""
    result = submissions_reap().as_dict()
    result["audio_requeued"], result["audio_failed"] = submissions_audio_reap()
    result["verification_requeued"] = verifications_reap()
    return result


@shared_task(name=NOTIFY_SUBMISSION_RESULT)
def notify_submission_result(submission_id: int) -> bool:
    submission = (
        Submission.objects.select_related("challenge", "participant")
        .filter(pk=submission_id)
        .first()
    )
    return submission is not None and send_result(submission)
