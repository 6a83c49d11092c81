"""Re-running the judge over a challenge's scored entries (a host's rescore).

A run walks the challenge's scored entries in id order and moves its ``cursor`` past
each one in the same transaction that stores the new report, so a re-delivered or
continued task picks up where the last one stopped and never rescores an entry twice.
Entries are rescored in arrival order, so the novelty check sees the same earlier
entries it saw the first time.
"""

from __future__ import annotations

import logging
import time

from django.db import transaction
from django.utils import timezone

from chartbusters.core.crashes import crash_guard
from chartbusters.leaderboards.models import RescoreRun
from chartbusters.leaderboards.services import leaderboard_refresh_participant, rescore_finish
from chartbusters.submissions import scoring
from chartbusters.submissions.evaluation import judge
from chartbusters.submissions.models import Submission
from chartbusters.submissions.pipeline import REPORT_FIELDS, _apply_report
from chartbusters.submissions.states import SubmissionState

logger = logging.getLogger(__name__)


def _next_entry(run: RescoreRun) -> Submission | None:
    return (
        Submission.objects.filter(
            challenge_id=run.challenge_id, state=SubmissionState.SCORED, pk__gt=run.cursor
        )
        .select_related("challenge")
        .order_by("pk")
        .first()
    )


def _store(run_id: int, entry: Submission, report: scoring.EntryReport | None) -> None:
    with transaction.atomic():
        run = RescoreRun.objects.select_for_update().get(pk=run_id)
        if run.cursor >= entry.pk:
            return  # another delivery of this run got here first
        submission = Submission.objects.select_for_update().get(pk=entry.pk)
        if report is not None and submission.state == SubmissionState.SCORED:
            _apply_report(submission, report, timezone.now())
            submission.save(update_fields=[*REPORT_FIELDS, "updated_at"])
            leaderboard_refresh_participant(
                challenge_id=submission.challenge_id, participant_id=submission.participant_id
            )
            run.rescored += 1
        run.cursor = entry.pk
        run.save(update_fields=["cursor", "rescored"])


def _rejudge(run_id: int, entry: Submission) -> scoring.EntryReport | None:
    """The entry's new report, or None to keep its old one (the judge refused it, or
    judging it keeps killing the worker: the run moves past it instead of looping)."""
    with crash_guard("rescore_entry", f"{run_id}:{entry.pk}") as guard:
        if guard.poisoned:
            logger.error("Rescore %s kept the old report of %s: %s", run_id, entry.pk, guard.reason)
            return None
        try:
            return judge(entry)
        except (scoring.EntryUnscorable, scoring.ScoringUnavailable) as exc:
            logger.warning("Rescore %s kept the old report of %s: %s", run_id, entry.pk, exc)
            return None


def rescore_run_continue(*, run_id: int, budget_seconds: float) -> bool:
    """Rescore entries until done (True) or the time budget is spent (False)."""
    deadline = time.monotonic() + budget_seconds
    while True:
        run = RescoreRun.objects.get(pk=run_id)
        if run.state == RescoreRun.State.DONE:
            return True
        entry = _next_entry(run)
        if entry is None:
            rescore_finish(run=run)
            return True
        _store(run_id, entry, _rejudge(run_id, entry))
        if time.monotonic() > deadline:
            return False
